//! Login throttling, per client IP and per submitted account name. An attempt is counted
//! when it is admitted, before its bcrypt verify, so concurrent guesses cannot all pass the
//! check; a success forgets it again. After `MAX_FAILURES` attempts within `WINDOW` a key is
//! blocked, for `WINDOW` the first time and twice as long at each further lockout (capped).
//! At most `MAX_VERIFIES_PER_IP` verifies run at once per IP and `MAX_VERIFIES_GLOBAL` for
//! untrusted attempts overall. A trusted attempt (remembered device, or an IP that logged in
//! before: since start, or that issued a still-valid device) is not held by the name's lock or the global cap, only by its IP's limits, so
//! strangers guessing at `admin` cannot lock the admin out. Unknown names are throttled
//! exactly like the real one. Pure: the caller passes `now`. No I/O.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);
/// bcrypt verifies in flight from one IP; more concurrent attempts get 429 at once.
pub const MAX_VERIFIES_PER_IP: u32 = 2;
/// bcrypt verifies in flight for untrusted attempts from all IPs together.
pub const MAX_VERIFIES_GLOBAL: u32 = 4;
/// Bounds memory under a flood of made-up names or addresses.
const MAX_KEYS: usize = 50_000;
/// IPs remembered as having logged in (in memory, seeded at start from the remembered
/// devices' issuing IPs).
const MAX_KNOWN_IPS: usize = 64;

#[derive(Debug, Clone)]
struct Entry {
    failures: u32,
    window_start: Instant,
    blocked_until: Option<Instant>,
    lockouts: u32,
}

/// Why an attempt was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A key is locked out.
    Blocked,
    /// Too many verifies in flight (this IP's or everybody's).
    Busy,
}

/// An admitted attempt: the keys it was counted against and the verify slot it holds.
#[derive(Debug)]
pub struct Attempt {
    pub keys: Vec<String>,
    ip: String,
    global: bool,
}

#[derive(Debug, Default)]
pub struct Throttle {
    entries: HashMap<String, Entry>,
    in_flight: HashMap<String, u32>,
    global_in_flight: u32,
    known_ips: HashSet<String>,
    known_order: VecDeque<String>,
}

impl Throttle {
    /// Is any of `keys` blocked at `now`?
    pub fn blocked(&self, keys: &[String], now: Instant) -> bool {
        keys.iter()
            .any(|k| self.entries.get(k).and_then(|e| e.blocked_until).is_some_and(|until| now < until))
    }

    /// Starts with `ips` known (the issuing IPs of the stored remembered devices).
    pub fn knowing(ips: impl IntoIterator<Item = String>) -> Throttle {
        let mut t = Throttle::default();
        ips.into_iter().for_each(|ip| t.remember_ip(&ip));
        t
    }

    /// Has an admin logged in from `ip` (since the panel started, or with a device still
    /// remembered)?
    pub fn known_ip(&self, ip: &str) -> bool {
        self.known_ips.contains(ip)
    }

    /// Admits one login attempt, counting it now, or says why not. The returned attempt
    /// holds a verify slot until `finish`.
    pub fn admit(
        &mut self,
        ip: &str,
        username: &str,
        trusted: bool,
        now: Instant,
    ) -> Result<Attempt, Refusal> {
        let mut keys = keys(ip, username);
        if trusted {
            keys.truncate(1); // the IP key only
        }
        if self.blocked(&keys, now) {
            return Err(Refusal::Blocked);
        }
        let mine = self.in_flight.get(ip).copied().unwrap_or(0);
        if mine >= MAX_VERIFIES_PER_IP || (!trusted && self.global_in_flight >= MAX_VERIFIES_GLOBAL) {
            return Err(Refusal::Busy);
        }
        self.fail(&keys, now);
        *self.in_flight.entry(ip.to_owned()).or_default() += 1;
        self.global_in_flight += u32::from(!trusted);
        Ok(Attempt { keys, ip: ip.to_owned(), global: !trusted })
    }

    /// Releases the attempt's slot; a success forgets its keys' failures and trusts its IP.
    pub fn finish(&mut self, attempt: &Attempt, ok: bool) {
        if let Some(n) = self.in_flight.get_mut(&attempt.ip) {
            *n -= 1;
            if *n == 0 {
                self.in_flight.remove(&attempt.ip);
            }
        }
        self.global_in_flight -= u32::from(attempt.global);
        if ok {
            self.succeed(&attempt.keys);
            self.remember_ip(&attempt.ip);
        }
    }

    fn remember_ip(&mut self, ip: &str) {
        if !self.known_ips.insert(ip.to_owned()) {
            return;
        }
        self.known_order.push_back(ip.to_owned());
        if self.known_order.len() > MAX_KNOWN_IPS
            && let Some(old) = self.known_order.pop_front()
        {
            self.known_ips.remove(&old);
        }
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

/// An admitted attempt whose slot is released when it is dropped, also when the handler
/// fails or the client goes away mid-verify.
pub struct Slot<'a> {
    throttle: &'a Mutex<Throttle>,
    attempt: Attempt,
    ok: bool,
}

impl<'a> Slot<'a> {
    pub fn new(throttle: &'a Mutex<Throttle>, attempt: Attempt) -> Slot<'a> {
        Slot { throttle, attempt, ok: false }
    }

    /// Marks the attempt successful; the release happens at drop.
    pub fn succeeded(&mut self) {
        self.ok = true;
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.throttle.lock().unwrap_or_else(|p| p.into_inner()).finish(&self.attempt, self.ok);
    }
}

/// The throttle keys of one attempt: the IP's first.
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
        // The real account's name and a made-up one, each from its own IP: the same
        // attempts are admitted, the same one is refused, for the same lockout.
        let mut t = Throttle::default();
        let now = Instant::now();
        let trace = |t: &mut Throttle, ip: &str, name: &str| -> Vec<(bool, bool)> {
            (0..MAX_FAILURES + 1)
                .map(|i| {
                    let at = now + Duration::from_secs(u64::from(i));
                    let admitted = t.admit(ip, name, false, at).map(|a| t.finish(&a, false)).is_ok();
                    (admitted, t.blocked(&keys(ip, name), at))
                })
                .collect()
        };
        let known = trace(&mut t, "1.1.1.1", "admin");
        let unknown = trace(&mut t, "2.2.2.2", "nobody");
        assert_eq!(known, unknown);
        assert_eq!(known.iter().filter(|(admitted, _)| *admitted).count(), MAX_FAILURES as usize);
        assert!(known.last().unwrap().1, "both end blocked");
        // The same lockout: from the tenth attempt (at 9 s) for one WINDOW, for both.
        let locked = now + Duration::from_secs(9);
        for (ip, name) in [("1.1.1.1", "admin"), ("2.2.2.2", "nobody")] {
            assert!(t.blocked(&keys(ip, name), locked + WINDOW - Duration::from_secs(1)), "{name}");
            assert!(!t.blocked(&keys(ip, name), locked + WINDOW), "{name}");
        }
        t.succeed(&keys("2.2.2.2", "nobody"));
        assert!(!t.blocked(&keys("2.2.2.2", "nobody"), now));
    }

    #[test]
    fn attempts_count_when_admitted_and_verifies_in_flight_are_capped() {
        let mut t = Throttle::default();
        let now = Instant::now();
        let held: Vec<_> =
            (0..MAX_VERIFIES_PER_IP).map(|_| t.admit("1.1.1.1", "admin", false, now)).collect();
        assert!(held.iter().all(Result::is_ok));
        assert_eq!(t.admit("1.1.1.1", "admin", false, now).unwrap_err(), Refusal::Busy);
        for a in held {
            t.finish(&a.unwrap(), false);
        }
        // Counted at admission (finishing a failed verify adds nothing): ten admitted in all.
        let mut admitted = MAX_VERIFIES_PER_IP;
        while let Ok(a) = t.admit("1.1.1.1", "admin", false, now) {
            admitted += 1;
            t.finish(&a, false);
        }
        assert_eq!(admitted, MAX_FAILURES);
        let ips: Vec<_> = (0..MAX_VERIFIES_GLOBAL).map(|i| format!("2.0.0.{i}")).collect();
        for ip in &ips {
            t.admit(ip, "x", false, now).unwrap();
        }
        assert_eq!(t.admit("3.3.3.3", "x", false, now).unwrap_err(), Refusal::Busy, "global cap");
        assert!(t.admit("3.3.3.3", "x", true, now).is_ok(), "a trusted attempt skips the global cap");
    }

    #[test]
    fn a_locked_name_does_not_lock_out_a_trusted_attempt_but_its_ip_limit_holds() {
        let mut t = Throttle::default();
        let now = Instant::now();
        for i in 0..MAX_FAILURES {
            let a = t.admit(&format!("6.6.6.{i}"), "admin", false, now).unwrap();
            t.finish(&a, false);
        }
        assert_eq!(t.admit("7.7.7.7", "admin", false, now).unwrap_err(), Refusal::Blocked);
        let a = t.admit("7.7.7.7", "admin", true, now).unwrap();
        t.finish(&a, true);
        assert!(t.known_ip("7.7.7.7") && !t.known_ip("6.6.6.1"));
        assert!(t.blocked(&keys("8.8.8.8", "admin"), now), "the success did not unlock the name");
        for _ in 0..MAX_FAILURES {
            let a = t.admit("7.7.7.7", "admin", true, now).unwrap();
            t.finish(&a, false);
        }
        assert_eq!(t.admit("7.7.7.7", "admin", true, now).unwrap_err(), Refusal::Blocked);
    }
}
