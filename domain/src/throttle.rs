//! Rate limits of the public endpoints and the lockout of a tracking code's
//! second factor: the rules, with no storage. The counters themselves live
//! in the database (`store::throttle`), so every instance behind a load
//! balancer counts the same hits.

use std::net::IpAddr;

/// At most `limit` hits in any `window_secs` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub window_secs: i64,
}

impl Quota {
    pub fn per_minute(limit: u32) -> Self {
        Self {
            limit: limit.max(1),
            window_secs: 60,
        }
    }

    pub fn per_hour(limit: u32) -> Self {
        Self {
            limit: limit.max(1),
            window_secs: 3600,
        }
    }

    pub fn per_day(limit: u32) -> Self {
        Self {
            limit: limit.max(1),
            window_secs: 86_400,
        }
    }

    /// The start of the fixed window that holds `unix_secs`.
    pub fn window_of(&self, unix_secs: i64) -> i64 {
        unix_secs.div_euclid(self.window_secs) * self.window_secs
    }

    /// Whether one more hit fits, from the hits counted in the previous and
    /// the current fixed window (the current one including this hit). The
    /// previous window counts in proportion to how much of it still lies
    /// within the sliding window, so a client cannot spend two quotas
    /// across a window's edge. `None` lets it through; `Some(secs)` is how
    /// long until it would.
    pub fn verdict(&self, previous: i64, current: i64, unix_secs: i64) -> Option<u64> {
        let w = self.window_secs;
        let into = unix_secs - self.window_of(unix_secs);
        let limit = i64::from(self.limit);
        // previous × (w − into) / w + current ≤ limit, in integers.
        if previous * (w - into) + current * w <= limit * w {
            return None;
        }
        if current > limit || previous == 0 {
            return Some((w - into).max(1) as u64);
        }
        // The previous window's weight falls to (limit − current) × w / previous
        // when `into` reaches w − that.
        let room = (limit - current) * w / previous;
        Some((w - into - room).max(1) as u64)
    }
}

/// The bucket a client address counts in. An IPv6 client is its /64: one
/// subscriber holds a whole /64 and could otherwise take a new address per
/// request. An IPv4 address mapped into IPv6 counts as itself.
pub fn client_bucket(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// What a resident answers as the second factor: the last four digits of
/// the phone number, or the six-digit PIN printed on the receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorKind {
    Phone,
    Pin,
}

impl FactorKind {
    pub fn of(answer: &str) -> Self {
        let digits = answer.chars().filter(|c| !c.is_whitespace()).count();
        if digits == 6 { Self::Pin } else { Self::Phone }
    }

    /// Wrong answers of this kind one tracking code takes, from any number
    /// of addresses, before that kind is refused on it for a day. Four
    /// phone digits are 10,000 values: five guesses a day leave a guesser
    /// a one-in-2,000 chance. The PIN (a million values) stays open after
    /// the phone digits close, so the resident holding the receipt still
    /// gets in; past its own limit only the station can help.
    pub fn lockout(self) -> Quota {
        match self {
            Self::Phone => Quota::per_day(5),
            Self::Pin => Quota::per_day(10),
        }
    }

    /// The counter's name for `code`.
    pub fn bucket(self, code: &crate::TrackingCode) -> String {
        match self {
            Self::Phone => format!("factor-phone:{}", code.as_str()),
            Self::Pin => format!("factor-pin:{}", code.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_lets_its_limit_through_and_says_how_long_to_wait() {
        let q = Quota::per_minute(3);
        let start = 6_000; // the start of a window
        assert_eq!(q.verdict(0, 1, start), None);
        assert_eq!(q.verdict(0, 3, start + 10), None);
        assert_eq!(q.verdict(0, 4, start + 10), Some(50));
    }

    #[test]
    fn the_previous_window_still_counts_for_what_overlaps() {
        let q = Quota::per_minute(10);
        let start = 6_000;
        // Ten hits at the end of the last window: a second in, nothing fits.
        assert!(q.verdict(10, 1, start + 1).is_some());
        // Halfway through, half of them still count: five more fit.
        assert_eq!(q.verdict(10, 5, start + 30), None);
        assert!(q.verdict(10, 6, start + 30).is_some());
        // The wait is until enough of the previous window has slid out.
        let wait = q.verdict(10, 2, start + 1).unwrap() as i64;
        assert_eq!(q.verdict(10, 2, start + 1 + wait), None);
        assert!(q.verdict(10, 2, start + wait - 1).is_some());
    }

    #[test]
    fn an_ipv6_subscriber_is_one_bucket_however_many_addresses_it_takes() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_bucket(a), client_bucket(b));
        assert_ne!(client_bucket(a), client_bucket(other));
        assert_eq!(client_bucket(a), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(client_bucket(mapped), "10.1.2.3");
        assert_eq!(client_bucket("10.1.2.3".parse().unwrap()), "10.1.2.3");
    }

    #[test]
    fn six_digits_are_the_pin_anything_else_the_phone() {
        assert_eq!(FactorKind::of("123456"), FactorKind::Pin);
        assert_eq!(FactorKind::of(" 123 456 "), FactorKind::Pin);
        assert_eq!(FactorKind::of("5678"), FactorKind::Phone);
        assert_eq!(FactorKind::of("56789"), FactorKind::Phone);
        assert!(FactorKind::Phone.lockout().limit < FactorKind::Pin.lockout().limit);
    }
}
