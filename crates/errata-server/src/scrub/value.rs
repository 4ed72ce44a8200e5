//! Value patterns: secrets recognized by their shape wherever they appear in a string,
//! whatever key they are under. Only three shapes, chosen because they do not occur in
//! ordinary data: a `Bearer` token (the word is kept, the token filtered), the body of a
//! PEM private key (the armor lines are kept), and a card number (13 to 19 digits with
//! optional single spaces or dashes, passing the Luhn check). Each regex runs only when a
//! cheap test says it could match. Not included, because they would damage ordinary
//! data: US social security numbers (dates and ids look alike), emails, IPs, user paths.

use super::FILTERED;
use regex::{Captures, Regex};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Fewest digits a card number has; strings with fewer digits skip the card regex.
const MIN_CARD_DIGITS: usize = 13;

/// Shortest token filtered after `Bearer` (shorter words are prose: `Bearer token`).
const MIN_BEARER_TOKEN: usize = 8;

/// Text every PEM private key armor line contains (the pre-check for [`PEM_KEY`]).
const PEM_MARKER: &str = "PRIVATE KEY";

/// The word before a bearer token (the pre-check for [`BEARER`], ASCII case-insensitive).
const BEARER_WORD: &str = "bearer";

/// 13 to 19 digits, single spaces or dashes allowed between them, on word boundaries.
static CARD: LazyLock<Regex> = LazyLock::new(|| built_in(r"(?-u:\b)\d(?:[ -]?\d){12,18}(?-u:\b)"));

/// `Bearer` (any case), blanks, then an RFC 6750 `b64token`.
static BEARER: LazyLock<Regex> =
    LazyLock::new(|| built_in(r"(?i)(?-u:\b)(bearer[ \t]+)([A-Za-z0-9._~+/-]+=*)"));

/// A PEM private key (RSA, EC, OpenSSH, encrypted, PGP block...): the BEGIN line, the
/// body, and the END line, or the end of the string when the key was cut short.
static PEM_KEY: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?s)(-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)(.*?)(-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
    )
});

fn built_in(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("built-in pattern {pattern:?}: {e}"))
}

/// Filters every value pattern in `s`, in place; untouched strings are not copied.
pub(super) fn scrub_patterns(s: &mut String) {
    if s.contains(PEM_MARKER) {
        replace(s, &PEM_KEY, |caps| {
            if &caps[2] == FILTERED {
                return None;
            }
            Some(format!("{}{FILTERED}{}", &caps[1], &caps[3]))
        });
    }
    if super::keys::contains_ignore_ascii_case(s, BEARER_WORD) {
        replace(s, &BEARER, |caps| {
            looks_like_token(&caps[2]).then(|| format!("{}{FILTERED}", &caps[1]))
        });
    }
    if s.bytes().filter(u8::is_ascii_digit).count() >= MIN_CARD_DIGITS {
        replace(s, &CARD, |caps| {
            let digits: Vec<u32> = caps[0].chars().filter_map(|c| c.to_digit(10)).collect();
            luhn(&digits).then(|| FILTERED.to_owned())
        });
    }
}

/// Replaces the matches of `re` for which `with` returns a replacement.
fn replace(s: &mut String, re: &Regex, with: impl Fn(&Captures<'_>) -> Option<String>) {
    let replaced = re.replace_all(s, |caps: &Captures<'_>| {
        with(caps).unwrap_or_else(|| caps[0].to_owned())
    });
    if let Cow::Owned(new) = replaced {
        *s = new;
    }
}

/// A credential rather than a word: long enough, and not a lowercase word after its
/// first letter (`Bearer undefined` and `Bearer authentication` stay readable).
fn looks_like_token(token: &str) -> bool {
    token.len() >= MIN_BEARER_TOKEN && token.bytes().skip(1).any(|b| !b.is_ascii_lowercase())
}

/// The Luhn checksum card numbers carry.
fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubbed(s: &str) -> String {
        let mut s = s.to_owned();
        scrub_patterns(&mut s);
        s
    }

    #[test]
    fn bearer_tokens_lose_the_token_and_keep_the_word() {
        assert_eq!(
            scrubbed("Authorization: Bearer eyJhbGciOi.eyJzdWIi.SflKxw"),
            "Authorization: Bearer [Filtered]"
        );
        assert_eq!(
            scrubbed("bearer  abcDEF123456 sent"),
            "bearer  [Filtered] sent"
        );
        assert_eq!(scrubbed("BEARER sk_live_12345678=="), "BEARER [Filtered]");
    }

    #[test]
    fn bearer_prose_is_kept() {
        for s in [
            "Bearer token expired",
            "Bearer undefined",
            "Bearer authentication failed",
            "the bearer of bad news",
            "Bearer abc",
            "forbearer 12345678XY",
        ] {
            assert_eq!(scrubbed(s), s);
        }
    }

    #[test]
    fn pem_private_key_bodies_are_filtered() {
        let key = "cfg: -----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY----- done";
        assert_eq!(
            scrubbed(key),
            "cfg: -----BEGIN RSA PRIVATE KEY-----[Filtered]-----END RSA PRIVATE KEY----- done"
        );
        let openssh =
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----";
        assert_eq!(
            scrubbed(openssh),
            "-----BEGIN OPENSSH PRIVATE KEY-----[Filtered]-----END OPENSSH PRIVATE KEY-----"
        );
        // Cut short by a length limit: filtered to the end.
        assert_eq!(
            scrubbed("-----BEGIN PRIVATE KEY-----\nMIIE..."),
            "-----BEGIN PRIVATE KEY-----[Filtered]"
        );
    }

    #[test]
    fn public_keys_and_certificates_are_kept() {
        for s in [
            "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "missing PRIVATE KEY file",
        ] {
            assert_eq!(scrubbed(s), s);
        }
    }

    #[test]
    fn luhn_valid_card_numbers_are_filtered() {
        assert_eq!(
            scrubbed("card 4111 1111 1111 1111 ok"),
            "card [Filtered] ok"
        );
        assert_eq!(scrubbed("4111-1111-1111-1111"), "[Filtered]");
        assert_eq!(
            scrubbed("paid with 5500005555555559."),
            "paid with [Filtered]."
        );
        assert_eq!(scrubbed("378282246310005"), "[Filtered]");
    }

    #[test]
    fn other_numbers_are_kept() {
        for s in [
            "4111111111111112",
            "order 123456789012",
            "id a4111111111111111",
            "550e8400-e29b-41d4-a716-446655440000",
            "2024-01-15 10:30:00",
            "+1 555 0100",
        ] {
            assert_eq!(scrubbed(s), s);
        }
    }

    #[test]
    fn scrubbing_is_idempotent() {
        for s in [
            "Bearer abcDEF123456",
            "4111 1111 1111 1111",
            "-----BEGIN EC PRIVATE KEY-----\nx\n-----END EC PRIVATE KEY-----",
        ] {
            let once = scrubbed(s);
            assert_eq!(scrubbed(&once), once);
        }
    }
}
