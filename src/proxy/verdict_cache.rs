//! Short-lived auth verdicts, pure: a successful panel verdict (limits and the user's
//! tunnels on other nodes) is reused for `AUTH_CACHE_TTL`, so a reconnecting client does
//! not ask the panel again each time. Keyed by user and a salted hash of the password
//! ([`crate::auth_key`]); dropped at once when the panel kicks, deletes or re-limits the
//! user. No locks, and `now` comes from the caller.

use crate::auth_key::AuthKeyer;
use crate::wire::UserLimits;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A cached successful verdict is trusted this long (and dropped at once on kick/delete).
pub const AUTH_CACHE_TTL: Duration = Duration::from_secs(60);

/// (user, salted hash of the password)
pub type CacheKey = (String, [u8; 32]);
/// (limits, the user's tunnels on other nodes, when the panel said so)
type CachedVerdict = (UserLimits, u32, Instant);

pub struct VerdictCache {
    keyer: AuthKeyer,
    entries: HashMap<CacheKey, CachedVerdict>,
}

impl VerdictCache {
    /// An empty cache with a fresh random salt.
    pub fn new() -> Self {
        VerdictCache { keyer: AuthKeyer::random(), entries: HashMap::new() }
    }

    pub fn key(&self, user: &str, password: &str) -> CacheKey {
        (user.to_owned(), self.keyer.key(user, password))
    }

    /// The verdict for this user and password if seen less than `AUTH_CACHE_TTL` before
    /// `now`; an expired one is dropped.
    pub fn get(&mut self, user: &str, password: &str, now: Instant) -> Option<(UserLimits, u32)> {
        let key = self.key(user, password);
        match self.entries.get(&key) {
            Some((limits, elsewhere, at)) if now.duration_since(*at) < AUTH_CACHE_TTL => {
                Some((*limits, *elsewhere))
            }
            Some(_) => {
                self.entries.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Remembers a verdict seen at `now`; expired entries go first, so the cache holds at
    /// most the verdicts of the last `AUTH_CACHE_TTL`.
    pub fn remember(&mut self, user: &str, password: &str, limits: UserLimits, elsewhere: u32, now: Instant) {
        let key = self.key(user, password);
        self.entries.retain(|_, (_, _, at)| now.duration_since(*at) < AUTH_CACHE_TTL);
        self.entries.insert(key, (limits, elsewhere, now));
    }

    /// Drops every verdict for `user`, whatever the password.
    pub fn forget(&mut self, user: &str) {
        self.entries.retain(|(name, _), _| name != user);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Default for VerdictCache {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_connections: u32) -> UserLimits {
        UserLimits { rate_kbps: 0, max_connections, require_auth_header: false }
    }

    #[test]
    fn a_verdict_is_reused_for_the_same_password_until_the_ttl() {
        let mut c = VerdictCache::new();
        let t0 = Instant::now();
        c.remember("u", "pw", limits(3), 1, t0);
        assert_eq!(c.get("u", "pw", t0 + AUTH_CACHE_TTL - Duration::from_millis(1)), Some((limits(3), 1)));
        assert_eq!(c.get("u", "other", t0), None, "another password is not a hit");
        assert_eq!(c.get("v", "pw", t0), None, "another user is not a hit");
        assert_eq!(c.get("u", "pw", t0 + AUTH_CACHE_TTL), None, "expired at the ttl");
        assert!(c.is_empty(), "an expired verdict is dropped when looked up");
    }

    #[test]
    fn remembering_drops_expired_verdicts_and_replaces_the_old_one() {
        let mut c = VerdictCache::new();
        let t0 = Instant::now();
        c.remember("old", "pw", limits(1), 0, t0);
        c.remember("u", "pw", limits(1), 0, t0);
        let later = t0 + AUTH_CACHE_TTL + Duration::from_secs(1);
        c.remember("u", "pw", limits(2), 4, later);
        assert_eq!(c.len(), 1, "the expired verdict went, the same key was replaced");
        assert_eq!(c.get("u", "pw", later), Some((limits(2), 4)));
    }

    #[test]
    fn forgetting_a_user_drops_all_their_passwords_and_only_theirs() {
        let mut c = VerdictCache::new();
        let t0 = Instant::now();
        c.remember("u", "pw1", limits(1), 0, t0);
        c.remember("u", "pw2", limits(1), 0, t0);
        c.remember("v", "pw1", limits(1), 0, t0);
        c.forget("u");
        assert_eq!(c.get("u", "pw1", t0), None);
        assert_eq!(c.get("u", "pw2", t0), None);
        assert_eq!(c.get("v", "pw1", t0), Some((limits(1), 0)));
    }
}
