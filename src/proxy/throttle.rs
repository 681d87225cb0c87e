//! Failure throttling for tunnel authentication, per source address and per username,
//! decided at the proxy before the panel is asked (every question the panel gets for a new
//! password costs it one bcrypt verify). No I/O; time is passed in.
//!
//! An attempt is counted when it starts ([`AuthThrottle::begin`]), not when the panel has
//! answered, so a thousand concurrent guesses cannot all pass the check before the first
//! failure is recorded. A success (or a panel that could not answer) gives the attempt back.
//! After `free` counted attempts a key is blocked for `base`, doubling with every further
//! failure up to `max`; a key with no failure for `forget_after` starts afresh.
//!
//! IPv6 sources are keyed by their /64 (one customer line holds a whole /64).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How one kind of key is throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failed attempts allowed before the first block.
    pub free: u32,
    /// The first block; it doubles with every failure after it.
    pub base: Duration,
    pub max: Duration,
    /// A key without failures for this long is forgotten.
    pub forget_after: Duration,
}

/// Per source address: a shared NAT address carries many customers, but customers with a
/// remembered verdict never reach the throttle, so only cold logins count here.
pub const PER_IP: Policy = Policy {
    free: 10,
    base: Duration::from_secs(1),
    max: Duration::from_secs(300),
    forget_after: Duration::from_secs(900),
};

/// Per username, counted over all addresses: looser than per address, because anyone can
/// fail with someone else's name (and a user with a remembered verdict still gets in).
pub const PER_USER: Policy = Policy {
    free: 20,
    base: Duration::from_secs(1),
    max: Duration::from_secs(120),
    forget_after: Duration::from_secs(900),
};

/// Keys tracked per kind at most; bounds memory under a flood of fresh names.
pub const MAX_KEYS: usize = 100_000;

/// Which key refused the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Ip,
    User,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ip => "ip",
            Scope::User => "user",
        }
    }
}

/// An attempt refused without asking the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub scope: Scope,
    pub retry_after: Duration,
    /// True for the first refusal of this block: the one worth a warning in the log.
    pub first: bool,
}

/// When `entry` may try again, if it has used up its free failures.
fn blocked_until(policy: &Policy, entry: &Entry) -> Option<Instant> {
    let over = entry.failures.checked_sub(policy.free)?;
    let block = policy.base.saturating_mul(2u32.saturating_pow(over.min(20))).min(policy.max);
    Some(entry.last + block)
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
    announced: bool,
}

/// Failure counts for one kind of key.
#[derive(Debug)]
struct Counter<K> {
    policy: Policy,
    max_keys: usize,
    entries: HashMap<K, Entry>,
}

impl<K: Hash + Eq + Clone> Counter<K> {
    fn new(policy: Policy, max_keys: usize) -> Self {
        Counter { policy, max_keys, entries: HashMap::new() }
    }

    fn live(&self, entry: &Entry, now: Instant) -> bool {
        now.saturating_duration_since(entry.last) < self.policy.forget_after
    }

    /// `Err(retry after, first refusal)` while `key` is blocked.
    fn check(&mut self, key: &K, now: Instant) -> Result<(), (Duration, bool)> {
        let Some(entry) = self.entries.get(key).copied() else { return Ok(()) };
        if !self.live(&entry, now) {
            self.entries.remove(key);
            return Ok(());
        }
        match blocked_until(&self.policy, &entry) {
            Some(until) if until > now => {
                let first = !entry.announced;
                if let Some(e) = self.entries.get_mut(key) {
                    e.announced = true;
                }
                Err((until - now, first))
            }
            _ => Ok(()),
        }
    }

    fn count(&mut self, key: &K, now: Instant) {
        if !self.entries.contains_key(key) && self.entries.len() >= self.max_keys {
            self.evict(now);
            if self.entries.len() >= self.max_keys {
                // Every tracked key is blocked right now: the new one goes untracked rather
                // than freeing a blocked one (the other kind of key still counts it).
                return;
            }
        }
        let entry =
            self.entries.entry(key.clone()).or_insert(Entry { failures: 0, last: now, announced: false });
        entry.failures = entry.failures.saturating_add(1);
        entry.last = now;
        entry.announced = false;
    }

    /// Forgets stale entries, then every entry not blocked at `now`.
    fn evict(&mut self, now: Instant) {
        let p = self.policy;
        self.entries.retain(|_, e| now.saturating_duration_since(e.last) < p.forget_after);
        if self.entries.len() >= self.max_keys {
            self.entries.retain(|_, e| blocked_until(&p, e).is_some_and(|until| until > now));
        }
    }

    fn give_back(&mut self, key: &K) {
        if let Some(e) = self.entries.get_mut(key) {
            e.failures = e.failures.saturating_sub(1);
        }
    }
}

/// The throttle for one proxy node.
#[derive(Debug)]
pub struct AuthThrottle {
    ips: Counter<IpAddr>,
    users: Counter<String>,
    refused: u64,
}

impl Default for AuthThrottle {
    fn default() -> Self {
        AuthThrottle::new(PER_IP, PER_USER, MAX_KEYS)
    }
}

/// The address as throttled: IPv4 as is, IPv6 cut to its /64.
pub fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

impl AuthThrottle {
    pub fn new(per_ip: Policy, per_user: Policy, max_keys: usize) -> Self {
        AuthThrottle {
            ips: Counter::new(per_ip, max_keys),
            users: Counter::new(per_user, max_keys),
            refused: 0,
        }
    }

    /// Checks both keys and, if neither is blocked, counts the attempt as a failure until
    /// [`AuthThrottle::succeeded`] or [`AuthThrottle::abandoned`] says otherwise.
    /// `user` None: a name that cannot exist, counted against the address only.
    pub fn begin(&mut self, ip: IpAddr, user: Option<&str>, now: Instant) -> Result<(), Throttled> {
        let result = self.try_begin(ip_key(ip), user, now);
        self.refused += u64::from(result.is_err());
        result
    }

    fn try_begin(&mut self, ip: IpAddr, user: Option<&str>, now: Instant) -> Result<(), Throttled> {
        let refused = |scope, (retry_after, first)| Throttled { scope, retry_after, first };
        self.ips.check(&ip, now).map_err(|r| refused(Scope::Ip, r))?;
        let user = user.map(str::to_owned);
        if let Some(user) = &user {
            self.users.check(user, now).map_err(|r| refused(Scope::User, r))?;
        }
        self.ips.count(&ip, now);
        if let Some(user) = &user {
            self.users.count(user, now);
        }
        Ok(())
    }

    /// The credentials were right: the attempt is given back to the address (so a shared
    /// NAT address is not blocked by its good logins) and the name starts afresh.
    pub fn succeeded(&mut self, ip: IpAddr, user: &str) {
        self.ips.give_back(&ip_key(ip));
        self.users.entries.remove(user);
    }

    /// The panel could not answer: the attempt proved nothing either way.
    pub fn abandoned(&mut self, ip: IpAddr, user: &str) {
        self.ips.give_back(&ip_key(ip));
        self.users.give_back(&user.to_owned());
    }

    /// The panel was too busy to verify: the name gets its attempt back, the address not.
    pub fn abandoned_name(&mut self, user: &str) {
        self.users.give_back(&user.to_owned());
    }

    /// Attempts refused since start.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Keys tracked (addresses, names): for reports and tests.
    pub fn tracked(&self) -> (usize, usize) {
        (self.ips.entries.len(), self.users.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 2));
    const SEC: Duration = Duration::from_secs(1);

    fn policy(free: u32) -> Policy {
        Policy { free, base: SEC, max: 8 * SEC, forget_after: 60 * SEC }
    }

    fn small() -> AuthThrottle {
        AuthThrottle::new(policy(3), policy(5), 1000)
    }

    fn fail(t: &mut AuthThrottle, ip: IpAddr, user: &str, n: u32, now: Instant) {
        for i in 0..n {
            assert_eq!(t.begin(ip, Some(user), now), Ok(()), "attempt {i}");
        }
    }

    #[test]
    fn an_address_is_blocked_after_its_free_failures_and_backs_off_doubling() {
        let mut t = small();
        let t0 = Instant::now();
        fail(&mut t, A, "u1", 3, t0);
        let blocked = t.begin(A, Some("u2"), t0).unwrap_err();
        assert_eq!((blocked.scope, blocked.retry_after, blocked.first), (Scope::Ip, SEC, true));
        assert!(!t.begin(A, Some("u2"), t0).unwrap_err().first, "announced once per block");
        // After the block one more try is allowed; its failure doubles the block.
        fail(&mut t, A, "u3", 1, t0 + SEC);
        assert_eq!(t.begin(A, Some("u3"), t0 + SEC).unwrap_err().retry_after, 2 * SEC);
        fail(&mut t, A, "u4", 1, t0 + 3 * SEC);
        assert_eq!(t.begin(A, Some("u4"), t0 + 3 * SEC).unwrap_err().retry_after, 4 * SEC);
        assert_eq!(t.begin(B, Some("u5"), t0 + 3 * SEC), Ok(()), "another address still gets through");
    }

    #[test]
    fn the_block_never_exceeds_max() {
        let mut t = small();
        let t0 = Instant::now();
        let mut now = t0;
        fail(&mut t, A, "u", 3, now);
        for _ in 0..40 {
            match t.begin(A, Some("u"), now) {
                Ok(()) => {}
                Err(e) => {
                    assert!(e.retry_after <= 8 * SEC, "{e:?}");
                    now += e.retry_after;
                }
            }
        }
    }

    #[test]
    fn a_name_is_blocked_after_failures_from_many_addresses_and_other_names_are_not() {
        let mut t = small();
        let t0 = Instant::now();
        for i in 0..5u8 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, i));
            fail(&mut t, ip, "victim", 1, t0);
        }
        let e = t.begin(B, Some("victim"), t0).unwrap_err();
        assert_eq!(e.scope, Scope::User);
        assert_eq!(t.begin(B, Some("other"), t0), Ok(()));
    }

    #[test]
    fn a_refused_attempt_is_not_counted_again() {
        let mut t = small();
        let t0 = Instant::now();
        fail(&mut t, A, "u", 3, t0);
        for _ in 0..100 {
            assert!(t.begin(A, Some("u"), t0).is_err());
        }
        assert_eq!(t.refused(), 100);
        assert_eq!(t.begin(A, Some("u"), t0 + SEC), Ok(()), "the block did not grow while refused");
    }

    #[test]
    fn a_success_gives_the_attempt_back_and_clears_the_name() {
        let mut t = small();
        let t0 = Instant::now();
        fail(&mut t, A, "u", 2, t0);
        t.begin(A, Some("u"), t0).unwrap();
        t.succeeded(A, "u");
        // Two failures stand for the address; the name starts afresh.
        fail(&mut t, A, "u", 1, t0);
        assert!(t.begin(A, Some("u"), t0).is_err());
        assert_eq!(t.begin(B, Some("u"), t0), Ok(()));
    }

    #[test]
    fn an_abandoned_attempt_is_given_back() {
        let mut t = small();
        let t0 = Instant::now();
        for _ in 0..10 {
            t.begin(A, Some("u"), t0).unwrap();
            t.abandoned(A, "u");
        }
        assert_eq!(t.begin(A, Some("u"), t0), Ok(()));
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_spell() {
        let mut t = small();
        let t0 = Instant::now();
        fail(&mut t, A, "u", 3, t0);
        let later = t0 + 200 * SEC;
        fail(&mut t, A, "u", 3, later);
        assert!(t.begin(A, Some("u"), later).is_err());
    }

    #[test]
    fn impossible_names_count_against_the_address_only() {
        let mut t = small();
        let t0 = Instant::now();
        for _ in 0..3 {
            t.begin(A, None, t0).unwrap();
        }
        assert_eq!(t.begin(A, None, t0).unwrap_err().scope, Scope::Ip);
        assert_eq!(t.tracked(), (1, 0));
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_key() {
        let mut t = small();
        let t0 = Instant::now();
        for i in 0..3u16 {
            let ip = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, i + 1));
            t.begin(ip, Some("u"), t0).unwrap();
        }
        let next = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, 9));
        assert_eq!(t.begin(next, Some("v"), t0).unwrap_err().scope, Scope::Ip);
        let other64 = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1));
        assert_eq!(t.begin(other64, Some("v"), t0), Ok(()));
        let mapped: IpAddr = "::ffff:203.0.113.1".parse().unwrap();
        assert_eq!(ip_key(mapped), A);
    }

    #[test]
    fn a_flood_of_fresh_names_keeps_the_table_bounded_and_blocked_keys_stay() {
        let mut t = AuthThrottle::new(policy(1000), policy(1), 50);
        let t0 = Instant::now();
        t.begin(A, Some("victim"), t0).unwrap();
        for i in 0..500 {
            let _ = t.begin(A, Some(&format!("n{i}")), t0);
        }
        assert!(t.tracked().1 <= 50);
        assert_eq!(t.begin(B, Some("victim"), t0).unwrap_err().scope, Scope::User);
    }
}
