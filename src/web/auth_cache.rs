//! Remembered bcrypt successes for `/internal/auth`, so that reconnect storms do not burn a
//! CPU core on the same password again and again. Keyed by a salted SHA-256 of user and
//! password (the password itself is never kept); an entry only counts while the user's
//! stored hash is the one it matched, so a password change invalidates it by itself.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_ENTRIES: usize = 100_000;

pub struct AuthCache {
    ttl: Duration,
    salt: [u8; 32],
    entries: Mutex<HashMap<[u8; 32], (String, Instant)>>,
}

impl AuthCache {
    /// `ttl` zero turns the cache off.
    pub fn new(ttl: Duration) -> Self {
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt).expect("the OS random source is available");
        AuthCache { ttl, salt, entries: Mutex::new(HashMap::new()) }
    }

    fn key(&self, user: &str, password: &str) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.salt)
            .chain_update(user.as_bytes())
            .chain_update([0])
            .chain_update(password.as_bytes())
            .finalize()
            .into()
    }

    /// True if this password was verified against `current_hash` less than `ttl` ago.
    pub fn hit(&self, user: &str, password: &str, current_hash: &str, now: Instant) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let key = self.key(user, password);
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(&key).is_some_and(|(hash, at)| hash == current_hash && now.duration_since(*at) < self.ttl)
    }

    pub fn remember(&self, user: &str, password: &str, hash: &str, now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let key = self.key(user, password);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| now.duration_since(*at) < ttl);
        }
        entries.insert(key, (hash.to_owned(), now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hit_needs_the_same_password_the_same_hash_and_a_fresh_entry() {
        let cache = AuthCache::new(Duration::from_secs(60));
        let t0 = Instant::now();
        cache.remember("u", "pw", "$2b$hash1", t0);
        assert!(cache.hit("u", "pw", "$2b$hash1", t0));
        assert!(!cache.hit("u", "other", "$2b$hash1", t0));
        assert!(!cache.hit("v", "pw", "$2b$hash1", t0));
        assert!(!cache.hit("u", "pw", "$2b$hash2", t0), "a new password hash invalidates");
        assert!(!cache.hit("u", "pw", "$2b$hash1", t0 + Duration::from_secs(61)));
    }

    #[test]
    fn a_zero_ttl_turns_it_off() {
        let cache = AuthCache::new(Duration::ZERO);
        cache.remember("u", "pw", "h", Instant::now());
        assert!(!cache.hit("u", "pw", "h", Instant::now()));
    }
}
