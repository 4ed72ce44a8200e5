//! Known web crawlers, by `User-Agent`: search engines, link previewers, SEO and AI
//! crawlers, uptime monitors and health checkers, which run pages in ways that make
//! errors no person sees. A built-in list of names, plus the marks crawlers leave in their
//! user agents (`bot/`, `spider/`, `crawler/`, a `+http` info link), matched
//! case-insensitively anywhere in the header by one automaton (linear in its length).

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

/// Crawler names, each matched as a substring (case-insensitive).
const NAMES: &[&str] = &[
    // Search engines.
    "googlebot",
    "google-inspectiontool",
    "mediapartners-google",
    "adsbot-google",
    "feedfetcher-google",
    "storebot-google",
    "apis-google",
    "bingbot",
    "bingpreview",
    "msnbot",
    "slurp",
    "duckduckbot",
    "baiduspider",
    "yandex",
    "sogou",
    "exabot",
    "seznambot",
    "naver.me/spd",
    "petalbot",
    "applebot",
    "qwantify",
    // Link previews and social networks.
    "facebookexternalhit",
    "facebot",
    "twitterbot",
    "linkedinbot",
    "slackbot",
    "slack-imgproxy",
    "discordbot",
    "telegrambot",
    "pinterestbot",
    "embedly",
    "ia_archiver",
    // SEO crawlers.
    "ahrefsbot",
    "semrushbot",
    "mj12bot",
    "dotbot",
    "rogerbot",
    "screaming frog",
    // AI crawlers.
    "gptbot",
    "chatgpt-user",
    "oai-searchbot",
    "claudebot",
    "claude-web",
    "anthropic-ai",
    "ccbot",
    "perplexitybot",
    "bytespider",
    "amazonbot",
    // Monitors and health checks.
    "pingdom",
    "uptimerobot",
    "statuscake",
    "site24x7",
    "gtmetrix",
    "better uptime",
    "elb-healthchecker",
    "cloudflare-healthchecks",
    "hubspot crawler",
    "lyticsbot",
    "aws security scanner",
    "calypso appdata",
];

/// Marks crawlers put in their user agents and browsers never do: a product token ending
/// in `bot`, `spider` or `crawler` followed by its version or a separator, and a `+http`
/// link to the crawler's page.
const MARKS: &str = r"(?:bot|spider|crawler)(?:/|;|\))|\+https?://";

static CRAWLER: LazyLock<Regex> = LazyLock::new(|| {
    let names: Vec<String> = NAMES.iter().map(|n| regex::escape(n)).collect();
    RegexBuilder::new(&format!("{}|{MARKS}", names.join("|")))
        .case_insensitive(true)
        .build()
        .expect("the built-in crawler list compiles")
});

/// Whether `user_agent` is a known web crawler's.
pub fn is_crawler(user_agent: &str) -> bool {
    CRAWLER.is_match(user_agent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crawlers_are_recognized() {
        for ua in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0 Safari/537.36",
            "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Twitterbot/1.0",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
            "ELB-HealthChecker/2.0",
            "Mozilla/5.0 (compatible; SomeNewBot/0.1)",
            "Acme Spider/1.0",
            "MYCRAWLER; v2",
            "SLACKBOT-LINKEXPANDING 1.0 (+HTTPS://API.SLACK.COM/ROBOTS)",
        ] {
            assert!(is_crawler(ua), "{ua}");
        }
    }

    #[test]
    fn browsers_are_not_crawlers() {
        for ua in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Mozilla/5.0 (Linux; Android 10; CUBOT X19 Build/QP1A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
            "python-requests/2.31.0",
            "",
        ] {
            assert!(!is_crawler(ua), "{ua}");
        }
    }

    #[test]
    fn long_user_agents_cost_one_pass() {
        let long = "Mozilla/5.0 ".repeat(20_000);
        let started = std::time::Instant::now();
        assert!(!is_crawler(&long));
        assert!(is_crawler(&format!("{long}Googlebot")));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
