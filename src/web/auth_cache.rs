//! Remembered bcrypt successes for `/internal/auth`, so that reconnect storms do not burn a
//! CPU core on the same password again and again. Keyed by a salted SHA-256 of user and
//! password (the password itself is never kept); an entry only counts while the user's
//! stored hash is the one it matched, so a password change invalidates it by itself.
//!
//! Also the gate in front of cold verifies ([`VerifyGate`]): at most a few bcrypt runs at
//! once and a short queue behind them; over that the caller gets 503 at once, instead of an
//! unbounded pile of blocking-pool tasks that would make every cold login wait. The cache
//! is checked before the gate, so remembered passwords never queue behind unknown ones.

use crate::auth_key::AuthKeyer;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const MAX_ENTRIES: usize = 100_000;
/// Cold verifies waiting per running one: at cost 12 (~0.25 s a verify) a full queue drains
/// in about a second.
const QUEUED_PER_RUNNING: usize = 4;
/// A queued verify gives up (503) after this: its caller (the proxy, 5 s timeout) would
/// otherwise have left by the time its turn came, and bcrypt would run for nobody.
pub const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

pub struct AuthCache {
    ttl: Duration,
    keyer: AuthKeyer,
    entries: Mutex<HashMap<[u8; 32], (String, Instant)>>,
    /// Cold verifies pass through here.
    pub gate: VerifyGate,
}

impl AuthCache {
    /// `ttl` zero turns the cache off. Cold verifies run on all cores but one (at least
    /// one), so that a flood of unknown passwords leaves a core to the proxy and sshd.
    pub fn new(ttl: Duration) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let running = cores.saturating_sub(1).max(1);
        let gate = VerifyGate::new(running, running * QUEUED_PER_RUNNING);
        AuthCache { ttl, keyer: AuthKeyer::random(), entries: Mutex::new(HashMap::new()), gate }
    }

    /// True if this password was verified against `current_hash` less than `ttl` ago.
    pub fn hit(&self, user: &str, password: &str, current_hash: &str, now: Instant) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let key = self.keyer.key(user, password);
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(&key).is_some_and(|(hash, at)| hash == current_hash && now.duration_since(*at) < self.ttl)
    }

    pub fn remember(&self, user: &str, password: &str, hash: &str, now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let key = self.keyer.key(user, password);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| now.duration_since(*at) < ttl);
        }
        entries.insert(key, (hash.to_owned(), now));
    }
}

/// At most `running` cold verifies at once and `queued` waiting for a turn.
pub struct VerifyGate {
    permits: tokio::sync::Semaphore,
    admitted: AtomicUsize,
    capacity: usize,
}

/// A turn to run one verify; the place is given back when dropped.
pub struct VerifyPass<'a> {
    _permit: tokio::sync::SemaphorePermit<'a>,
    _place: Place<'a>,
}

/// A place running or in the queue; freed on drop, also when the waiting caller goes away.
struct Place<'a>(&'a AtomicUsize);

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl VerifyGate {
    pub fn new(running: usize, queued: usize) -> Self {
        let running = running.max(1);
        VerifyGate {
            permits: tokio::sync::Semaphore::new(running),
            admitted: AtomicUsize::new(0),
            capacity: running + queued,
        }
    }

    /// Waits up to `wait` for a turn; `None` at once when the running and queued places are
    /// all taken, or when the wait runs out.
    pub async fn enter(&self, wait: Duration) -> Option<VerifyPass<'_>> {
        let capacity = self.capacity;
        self.admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < capacity).then_some(n + 1))
            .ok()?;
        let place = Place(&self.admitted);
        let permit = tokio::time::timeout(wait, self.permits.acquire()).await.ok()?.ok()?;
        Some(VerifyPass { _permit: permit, _place: place })
    }

    /// Places taken, running or queued.
    pub fn taken(&self) -> usize {
        self.admitted.load(Ordering::Acquire)
    }
}

/// The nice value of the threads that run cold verifies: the lowest priority there is.
const VERIFY_NICE: i32 = 19;

/// Runs one bcrypt verify on a thread of its own at the lowest CPU priority: a flood of
/// unknown passwords then only takes the time the tunnels, sshd and the admin API leave
/// idle, so tunnels already admitted keep their speed (the gate above bounds how many such
/// threads exist). A fresh thread each time, because an unprivileged thread can lower its
/// priority but never raise it again, so a pooled thread could not be handed back.
pub async fn verify_in_background(password: String, hash: String) -> Result<bool, std::io::Error> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new().name("cold-verify".into()).spawn(move || {
        lower_this_threads_priority();
        let _ = tx.send(bcrypt::non_truncating_verify(password, &hash).unwrap_or(false));
    })?;
    rx.await.map_err(|_| std::io::Error::other("the verify thread ended without an answer"))
}

/// `setpriority(PRIO_PROCESS, tid)`: on Linux a thread id names just that thread. A failure
/// leaves the priority as it was (the verify still runs).
fn lower_this_threads_priority() {
    let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), VERIFY_NICE);
}

/// This thread's nice value (tests).
#[cfg(test)]
fn this_threads_nice() -> i32 {
    rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cold_verifies_run_at_the_lowest_priority_and_still_answer() {
        let hash = bcrypt::hash("right", 4).unwrap();
        assert!(verify_in_background("right".into(), hash.clone()).await.unwrap());
        assert!(!verify_in_background("wrong".into(), hash).await.unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let before = this_threads_nice();
            lower_this_threads_priority();
            tx.send((before, this_threads_nice())).unwrap();
        });
        let (before, after) = rx.await.unwrap();
        assert_eq!(after, VERIFY_NICE, "was {before}");
        assert_eq!(this_threads_nice(), before, "only that thread was lowered");
    }

    #[tokio::test]
    async fn the_gate_runs_some_queues_some_and_refuses_the_rest_at_once() {
        let gate = VerifyGate::new(1, 2);
        let wait = Duration::from_secs(60);
        let running = gate.enter(wait).await.expect("a free turn");
        // Two callers queue behind the running one; the fourth is refused without waiting.
        let mut queued: Vec<_> = (0..2).map(|_| Box::pin(gate.enter(wait))).collect();
        for q in &mut queued {
            assert!(futures_util::FutureExt::now_or_never(q.as_mut()).is_none(), "queued, not refused");
        }
        assert_eq!(gate.taken(), 3);
        assert!(gate.enter(wait).await.is_none(), "over the queue: refused at once");
        drop(running);
        let next = queued.remove(0).await.expect("the first in the queue runs next");
        assert_eq!(gate.taken(), 2);
        drop(next);
        drop(queued);
        assert_eq!(gate.taken(), 0, "a caller that gave up while queued frees its place");
        assert!(gate.enter(wait).await.is_some());
    }

    #[tokio::test]
    async fn a_queued_verify_gives_up_after_the_wait() {
        let gate = VerifyGate::new(1, 1);
        let wait = Duration::from_millis(50);
        let _running = gate.enter(wait).await.expect("a free turn");
        let started = Instant::now();
        assert!(gate.enter(wait).await.is_none(), "the turn never came");
        assert!(started.elapsed() >= wait);
        assert_eq!(gate.taken(), 1, "the one that gave up left the queue");
    }

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
