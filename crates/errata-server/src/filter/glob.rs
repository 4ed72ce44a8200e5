//! Glob patterns as inbound filters use them: `*` matches any run of characters (newlines
//! too), `?` exactly one, everything else itself, case-insensitively (Unicode simple case
//! folding), against the whole text. A list of patterns compiles into ONE automaton of the
//! `regex` crate, whose matching never backtracks: time linear in the text whatever the
//! patterns (`*a*a*a*...b` over a long run of `a` costs one pass, not an explosion), and
//! its size is capped ([`SIZE_LIMIT`]) besides the store's bounds on count and length.

use regex::{Regex, RegexBuilder};

/// The most memory one compiled list (and its lazy DFA cache) may take.
pub const SIZE_LIMIT: usize = 2 << 20;

/// A compiled list of glob patterns: matches when any pattern matches the whole text.
#[derive(Debug, Clone, Default)]
pub struct GlobSet {
    /// `None` for an empty list (matches nothing).
    regex: Option<Regex>,
}

impl GlobSet {
    /// Compiles `patterns` (an empty list matches nothing).
    ///
    /// # Errors
    ///
    /// When the automaton would be larger than [`SIZE_LIMIT`].
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, regex::Error> {
        if patterns.is_empty() {
            return Ok(Self::default());
        }
        let alternatives: Vec<String> = patterns.iter().map(|p| translate(p.as_ref())).collect();
        let regex = RegexBuilder::new(&format!("^(?:{})$", alternatives.join("|")))
            .case_insensitive(true)
            .dot_matches_new_line(true)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()?;
        Ok(Self { regex: Some(regex) })
    }

    /// True when no pattern is set.
    pub fn is_empty(&self) -> bool {
        self.regex.is_none()
    }

    /// Whether any pattern matches all of `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.as_ref().is_some_and(|r| r.is_match(text))
    }
}

/// One glob as a regular expression: `*` (runs collapsed) is `.*`, `?` is `.`, every
/// other character is escaped.
fn translate(glob: &str) -> String {
    let mut out = String::with_capacity(glob.len() + 8);
    let mut literal = String::new();
    let mut last_star = false;
    for c in glob.chars() {
        match c {
            '*' | '?' => {
                out.push_str(&regex::escape(&literal));
                literal.clear();
                if c == '?' {
                    out.push('.');
                    last_star = false;
                } else if !last_star {
                    out.push_str(".*");
                    last_star = true;
                }
            }
            _ => {
                literal.push(c);
                last_star = false;
            }
        }
    }
    out.push_str(&regex::escape(&literal));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn set(patterns: &[&str]) -> GlobSet {
        GlobSet::new(patterns).unwrap()
    }

    #[test]
    fn stars_question_marks_and_literals() {
        let releases = set(&["1.0.*", "2.?.0", "exact"]);
        assert!(releases.is_match("1.0.0"));
        assert!(releases.is_match("1.0."));
        assert!(releases.is_match("1.0.5-beta+build"));
        assert!(!releases.is_match("11.0.0"), "anchored at the start");
        assert!(!releases.is_match("1.0"), "the dot is literal");
        assert!(!releases.is_match("1x0x1"), "the dot is not any character");
        assert!(releases.is_match("2.3.0"));
        assert!(!releases.is_match("2.33.0"), "? is one character");
        assert!(releases.is_match("EXACT"), "case-insensitive");
        assert!(!releases.is_match("exactly"), "anchored at the end");
        assert!(!releases.is_match(""));
        let messages = set(&["*ConnectionError*", "TypeError: *undefined*"]);
        assert!(messages.is_match("requests.exceptions.ConnectionError: refused"));
        assert!(messages.is_match("typeerror: x is UNDEFINED"));
        assert!(messages.is_match("ConnectionError"));
        assert!(!messages.is_match("ValueError: bad"));
        assert!(
            messages.is_match("first line\nConnectionError\nlast"),
            "stars cross newlines"
        );
        assert!(set(&["*"]).is_match(""));
        assert!(
            set(&["caf?"]).is_match("CAFÉ"),
            "? is a character, not a byte"
        );
        assert!(
            set(&["ÉCOLE*"]).is_match("école primaire"),
            "Unicode case folding"
        );
    }

    #[test]
    fn regex_syntax_in_patterns_is_literal() {
        let odd = set(&["a+b", "(x)|[y]", "^$.\\d{2}"]);
        assert!(odd.is_match("a+b"));
        assert!(!odd.is_match("aab"));
        assert!(odd.is_match("(X)|[Y]"));
        assert!(!odd.is_match("x"));
        assert!(odd.is_match("^$.\\d{2}"));
        assert!(!odd.is_match("12"));
    }

    #[test]
    fn empty_lists_match_nothing() {
        let none = GlobSet::new::<&str>(&[]).unwrap();
        assert!(none.is_empty());
        assert!(!none.is_match(""));
        assert!(!none.is_match("anything"));
        assert!(!set(&["*"]).is_empty());
    }

    /// A backtracking glob matcher takes exponential time on `*a*a*...*b` against a long
    /// run of `a`: here fifty such patterns of the longest length against 100,000
    /// characters stay a single linear pass (generous bound for a debug build on a busy
    /// machine; a backtracking matcher would not finish).
    #[test]
    fn hostile_patterns_and_inputs_cost_one_linear_pass() {
        let hostile = format!("{}b", "*a".repeat(99));
        assert_eq!(hostile.chars().count(), 199);
        let patterns: Vec<String> = (0..50).map(|n| format!("{hostile}{n}")).collect();
        let globs = GlobSet::new(&patterns).unwrap();
        let text = "a".repeat(100_000);
        let started = Instant::now();
        for _ in 0..5 {
            assert!(!globs.is_match(&text));
        }
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
        // The largest lists the store accepts compile: 50 patterns of 200 `?` (each one
        // character, a Unicode automaton of its own).
        let widest: Vec<String> = (0..50).map(|n| format!("{}{n}", "?".repeat(198))).collect();
        assert!(GlobSet::new(&widest).is_ok());
        let question = set(&[&"?".repeat(200)]);
        assert!(question.is_match(&"z".repeat(200)));
        assert!(!question.is_match(&"z".repeat(100_000)));
    }
}
