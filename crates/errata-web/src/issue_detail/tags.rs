//! The tags panel: for each tag key, its most common values across the events
//! with their share, and what the listed values leave over.

/// The store's tag holding the user identity, shown as `user`.
const USER_TAG: &str = "sentry:user";

/// One tag key's distribution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagDistribution {
    /// The key as shown (`user` for `sentry:user`).
    pub key: String,
    /// How many events carried the key.
    pub total: u64,
    /// The top values, most common first.
    pub values: Vec<TagValueShare>,
    /// The events with other values, when the top values do not cover `total`.
    pub other: Option<TagValueShare>,
}

/// One value's share.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagValueShare {
    /// The value.
    pub value: String,
    /// Events with it.
    pub count: u64,
    /// Its share of `total` in whole percent (0 to 100).
    pub percent: u64,
}

impl TagDistribution {
    /// A distribution from the key, the number of events with the key and the top
    /// `(value, count)` pairs (sorted here, most common first).
    pub fn new(key: &str, total: u64, top: Vec<(String, u64)>) -> Self {
        let mut top = top;
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let listed = top.iter().fold(0u64, |a, (_, c)| a.saturating_add(*c));
        let total = total.max(listed);
        let share = |value: String, count: u64| TagValueShare {
            value,
            count,
            percent: percent(count, total),
        };
        let other = (total > listed).then(|| share("Other".to_owned(), total - listed));
        Self {
            key: if key == USER_TAG { "user" } else { key }.to_owned(),
            total,
            values: top.into_iter().map(|(v, c)| share(v, c)).collect(),
            other,
        }
    }
}

/// `part` of `whole` in whole percent, rounded, 0 when `whole` is 0.
fn percent(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 0;
    }
    let exact = u128::from(part) * 100;
    ((exact + u128::from(whole) / 2) / u128::from(whole)).min(100) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_sorted_rounded_and_complete() {
        let d = TagDistribution::new(
            "browser",
            10,
            vec![("Firefox".into(), 2), ("Chrome".into(), 7)],
        );
        assert_eq!(d.values[0].value, "Chrome");
        assert_eq!(d.values[0].percent, 70);
        let other = d.other.unwrap();
        assert_eq!((other.count, other.percent), (1, 10));
    }

    #[test]
    fn user_tag_is_renamed_and_bad_totals_are_fixed() {
        let d = TagDistribution::new("sentry:user", 1, vec![("id:7".into(), 3)]);
        assert_eq!(d.key, "user");
        assert_eq!(d.total, 3);
        assert_eq!(d.values[0].percent, 100);
        assert!(d.other.is_none());
        assert_eq!(TagDistribution::new("x", 0, vec![]).total, 0);
        assert_eq!(percent(u64::MAX, u64::MAX), 100);
        assert_eq!(percent(1, 3), 33);
    }
}
