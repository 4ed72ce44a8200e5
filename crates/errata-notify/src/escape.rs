//! Escaping and truncation for every target a notification is rendered to: Slack mrkdwn,
//! HTML (email), Markdown (GitHub and GitLab issue bodies, with code fences that the content
//! cannot close) and single-line headers. Every string in a [`crate::Notification`] is
//! hostile user data, so every renderer goes through these functions. Truncation counts
//! characters of the escaped output, so a cut never splits an entity like `&amp;`.

/// Cuts `text` to at most `max` characters, ending with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    escape_within(text, max, |_| None)
}

/// `text` on one line: control characters (CR, LF, tabs...) become spaces.
pub fn single_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Slack mrkdwn text: `&`, `<` and `>` escaped (so no `<!channel>`, links or mentions can be
/// injected), at most `max` characters.
pub fn slack(text: &str, max: usize) -> String {
    escape_within(text, max, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        _ => None,
    })
}

/// A URL inside a Slack `<url|text>` link: escaped as text, with `|` percent-encoded.
pub fn slack_url(url: &str) -> String {
    escape_within(url, 3000, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '|' => Some("%7C"),
        c if c.is_whitespace() || c.is_control() => Some("%20"),
        _ => None,
    })
}

/// HTML text or attribute value, at most `max` characters.
pub fn html(text: &str, max: usize) -> String {
    escape_within(text, max, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    })
}

/// Markdown inline text: every ASCII punctuation character backslash-escaped (Markdown
/// allows it for all of them), so no emphasis, link, HTML, mention (`@`) or reference (`#`)
/// can be formed; line breaks become spaces. At most `max` characters.
pub fn markdown(text: &str, max: usize) -> String {
    const PUNCT: &str = "\\`*_{}[]()<>#+-.!|~@&\"'$%^=:;,/?";
    escape_within(text, max, |c| {
        if c.is_control() {
            Some(" ")
        } else if PUNCT.contains(c) {
            // The escaped forms, one per punctuation character.
            Some(match c {
                '\\' => "\\\\",
                '`' => "\\`",
                '*' => "\\*",
                '_' => "\\_",
                '{' => "\\{",
                '}' => "\\}",
                '[' => "\\[",
                ']' => "\\]",
                '(' => "\\(",
                ')' => "\\)",
                '<' => "\\<",
                '>' => "\\>",
                '#' => "\\#",
                '+' => "\\+",
                '-' => "\\-",
                '.' => "\\.",
                '!' => "\\!",
                '|' => "\\|",
                '~' => "\\~",
                '@' => "\\@",
                '&' => "\\&",
                '"' => "\\\"",
                '\'' => "\\'",
                '$' => "\\$",
                '%' => "\\%",
                '^' => "\\^",
                '=' => "\\=",
                ':' => "\\:",
                ';' => "\\;",
                ',' => "\\,",
                '/' => "\\/",
                _ => "\\?",
            })
        } else {
            None
        }
    })
}

/// A fenced code block holding `content` verbatim (cut to `max` characters): the fence is
/// one backtick longer than the longest run of backticks inside (at least three), so the
/// content cannot close it (in GitHub and GitLab Markdown alike).
pub fn code_block(content: &str, max: usize) -> String {
    let content = truncate(content, max);
    let mut longest = 0;
    let mut run = 0;
    for c in content.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}\n{content}\n{fence}")
}

/// Escapes `text` with `escape` (`None` keeps the character) and keeps at most `max`
/// characters of the result, ending with `…` when cut (never inside an escape).
fn escape_within(text: &str, max: usize, escape: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let piece_len = escape(c).map_or(1, |e| e.chars().count());
        // Room for this piece, and for the ellipsis if more would follow.
        let reserve = usize::from(chars.peek().is_some());
        if count + piece_len + reserve > max {
            // `count < max` here: the previous piece reserved room for the ellipsis.
            if count < max {
                out.push('…');
            }
            return out;
        }
        match escape(c) {
            Some(e) => out.push_str(e),
            None => out.push(c),
        }
        count += piece_len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_is_bounded_and_marked() {
        assert_eq!(truncate("hello", 5), "hello");
        assert_eq!(truncate("hello!", 5), "hell…");
        assert!(truncate(&"x".repeat(100_000), 150).chars().count() <= 150);
        assert_eq!(truncate("", 3), "");
    }

    #[test]
    fn slack_escapes_control_sequences() {
        assert_eq!(
            slack("<!channel> & <@U1>", 100),
            "&lt;!channel&gt; &amp; &lt;@U1&gt;"
        );
        let cut = slack(&"<".repeat(1000), 10);
        assert!(cut.chars().count() <= 10);
        assert!(!cut.contains("&l…") && cut.ends_with('…'));
        assert_eq!(slack_url("https://x/a|b<c>"), "https://x/a%7Cb&lt;c&gt;");
    }

    #[test]
    fn html_escapes_markup() {
        assert_eq!(
            html("<script>alert('x')</script>&\"", 200),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }

    #[test]
    fn markdown_neutralizes_syntax() {
        let m = markdown("[x](javascript:1) @team #1 <b>\n`c`", 200);
        assert!(!m.contains('\n'));
        assert!(m.contains("\\[x\\]\\(javascript\\:1\\)"));
        assert!(m.contains("\\@team") && m.contains("\\#1") && m.contains("\\<b\\>"));
    }

    #[test]
    fn code_blocks_cannot_be_closed_from_inside() {
        let block = code_block("a\n```\nb ````` c", 1000);
        assert!(block.starts_with("``````\n"));
        assert!(block.ends_with("\n``````"));
        assert_eq!(code_block("plain", 100), "```\nplain\n```");
    }
}
