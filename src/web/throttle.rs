//! Login throttling, per client IP and per submitted account name. After `MAX_FAILURES`
//! failures within `WINDOW` a key is blocked, for `WINDOW` the first time and twice as long
//! at each further lockout (capped). Unknown names are throttled exactly like the real one,
//! so the answer never tells them apart. Pure: the caller passes `now`. No I/O.

use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);
/// Bounds memory under a flood of made-up names or addresses.
const MAX_KEYS: usize = 50_000;

#[derive(Debug, Clone)]
struct Entry {
    failures: u32,
    window_start: Instant,
    blocked_until: Option<Instant>,
    lockouts: u32,
}

#[derive(Debug, Default)]
pub struct Throttle {
    entries: HashMap<String, Entry>,
}

impl Throttle {
    /// Is any of `keys` blocked at `now`?
    pub fn blocked(&self, keys: &[String], now: Instant) -> bool {
        keys.iter()
            .any(|k| self.entries.get(k).and_then(|e| e.blocked_until).is_some_and(|until| now < until))
    }

    pub fn fail(&mut self, keys: &[String], now: Instant) {
        if self.entries.len() >= MAX_KEYS {
            self.entries.retain(|_, e| {
                now.duration_since(e.window_start) < WINDOW || e.blocked_until.is_some_and(|u| now < u)
            });
        }
        for key in keys {
            let e = self.entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                window_start: now,
                blocked_until: None,
                lockouts: 0,
            });
            if now.duration_since(e.window_start) >= WINDOW {
                e.failures = 0;
                e.window_start = now;
            }
            e.failures += 1;
            if e.failures >= MAX_FAILURES {
                let backoff = WINDOW.saturating_mul(1 << e.lockouts.min(10)).min(MAX_BACKOFF);
                e.blocked_until = Some(now + backoff);
                e.lockouts += 1;
                e.failures = 0;
                e.window_start = now;
            }
        }
    }

    /// A successful login forgets the failures of its keys.
    pub fn succeed(&mut self, keys: &[String]) {
        for key in keys {
            self.entries.remove(key);
        }
    }
}

/// The throttle keys of one attempt.
pub fn keys(ip: &str, username: &str) -> Vec<String> {
    let name: String = username.trim().to_lowercase().chars().take(64).collect();
    vec![format!("ip:{ip}"), format!("user:{name}")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_block_the_ip_then_back_off_doubles() {
        let mut t = Throttle::default();
        let now = Instant::now();
        let k = keys("10.0.0.1", "admin");
        for _ in 0..MAX_FAILURES - 1 {
            t.fail(&k, now);
        }
        assert!(!t.blocked(&k, now));
        t.fail(&k, now);
        assert!(t.blocked(&k, now));
        assert!(t.blocked(&keys("10.0.0.1", "other"), now), "the IP is blocked for every name");
        assert!(t.blocked(&keys("10.0.0.2", "admin"), now), "the account is blocked from every IP");
        assert!(!t.blocked(&keys("10.0.0.2", "other"), now));
        let later = now + WINDOW;
        assert!(!t.blocked(&k, later));
        for _ in 0..MAX_FAILURES {
            t.fail(&k, later);
        }
        assert!(t.blocked(&k, later + WINDOW), "the second lockout lasts twice as long");
        assert!(!t.blocked(&k, later + WINDOW * 2));
    }

    #[test]
    fn unknown_and_known_names_count_the_same() {
        let mut t = Throttle::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES {
            t.fail(&keys("1.1.1.1", "nobody"), now);
        }
        assert!(t.blocked(&keys("1.1.1.1", "nobody"), now));
        t.succeed(&keys("1.1.1.1", "nobody"));
        assert!(!t.blocked(&keys("1.1.1.1", "nobody"), now));
    }
}
