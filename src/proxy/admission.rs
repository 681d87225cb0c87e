//! Caps on connections that have not authenticated yet (TLS handshake, request heads, auth):
//! at most `per_ip` from one source address (IPv6: one /64) and `global` in all. Over the
//! per-address cap a new connection is refused at once; at the global cap the oldest
//! unauthenticated connection is shed to make room, so slow clients holding connections
//! open lose them to fresh ones, and a normal client's handshake (milliseconds) gets
//! through. No I/O: a shed connection is told through its ticket's cancellation token.

use super::throttle::ip_key;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// Default for `preauth_per_ip`: handshakes take milliseconds, so even a carrier NAT
/// address rarely has more than a few in flight at once.
pub const DEFAULT_PER_IP: usize = 128;
/// Default for `preauth_global`.
pub const DEFAULT_GLOBAL: usize = 4096;

#[derive(Debug, Default)]
struct Inner {
    per_ip: HashMap<IpAddr, usize>,
    /// Admission order → (address key, shed signal): the first entry is the oldest.
    order: BTreeMap<u64, (IpAddr, CancellationToken)>,
    next: u64,
    refused: u64,
    shed: u64,
}

/// Counts for reports and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AdmissionStats {
    /// Connections not yet authenticated right now.
    pub pending: usize,
    /// Connections refused at the per-address cap since start.
    pub refused: u64,
    /// Connections shed at the global cap since start.
    pub shed: u64,
}

/// Why a new connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverPerIp {
    pub limit: usize,
}

/// The shared caps of one proxy process.
#[derive(Debug)]
pub struct Admission {
    per_ip: usize,
    global: usize,
    inner: Mutex<Inner>,
}

/// Held by a connection until it has authenticated (or ended); dropping it frees the slot.
#[derive(Debug)]
pub struct Ticket {
    gate: Arc<Admission>,
    id: u64,
    ip: IpAddr,
    shed: CancellationToken,
}

impl Ticket {
    /// Cancelled when this connection is shed to make room for a newer one.
    pub fn shed_signal(&self) -> CancellationToken {
        self.shed.clone()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut inner = self.gate.lock();
        // Absent when shed: the slot was already freed then.
        if inner.order.remove(&self.id).is_some() {
            release(&mut inner, self.ip);
        }
    }
}

fn release(inner: &mut Inner, ip: IpAddr) {
    if let Some(n) = inner.per_ip.get_mut(&ip) {
        *n -= 1;
        if *n == 0 {
            inner.per_ip.remove(&ip);
        }
    }
}

impl Admission {
    /// Both caps at least 1; `global` below `per_ip` simply wins.
    pub fn new(per_ip: usize, global: usize) -> Arc<Self> {
        Arc::new(Admission { per_ip: per_ip.max(1), global: global.max(1), inner: Mutex::default() })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits a connection from `ip`, shedding the oldest one if the global cap is full.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Ticket, OverPerIp> {
        let key = ip_key(ip);
        let mut inner = self.lock();
        if inner.per_ip.get(&key).copied().unwrap_or(0) >= self.per_ip {
            inner.refused += 1;
            return Err(OverPerIp { limit: self.per_ip });
        }
        while inner.order.len() >= self.global {
            let Some((_, (old_ip, token))) = inner.order.pop_first() else { break };
            release(&mut inner, old_ip);
            inner.shed += 1;
            token.cancel();
        }
        let id = inner.next;
        inner.next += 1;
        let shed = CancellationToken::new();
        inner.order.insert(id, (key, shed.clone()));
        *inner.per_ip.entry(key).or_default() += 1;
        Ok(Ticket { gate: self.clone(), id, ip: key, shed })
    }

    pub fn stats(&self) -> AdmissionStats {
        let inner = self.lock();
        AdmissionStats { pending: inner.order.len(), refused: inner.refused, shed: inner.shed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([198, 51, 100, last])
    }

    #[test]
    fn one_address_gets_at_most_per_ip_slots_and_others_are_unaffected() {
        let gate = Admission::new(2, 10);
        let _a = gate.admit(ip(1)).unwrap();
        let b = gate.admit(ip(1)).unwrap();
        assert_eq!(gate.admit(ip(1)).unwrap_err(), OverPerIp { limit: 2 });
        assert!(gate.admit(ip(2)).is_ok());
        drop(b);
        assert!(gate.admit(ip(1)).is_ok(), "a finished handshake frees its slot");
        assert_eq!(gate.stats().refused, 1);
    }

    #[test]
    fn at_the_global_cap_the_oldest_is_shed_first() {
        let gate = Admission::new(10, 3);
        let tickets: Vec<Ticket> = (1..=3).map(|i| gate.admit(ip(i)).unwrap()).collect();
        let newest = gate.admit(ip(4)).unwrap();
        assert!(tickets[0].shed_signal().is_cancelled(), "the oldest went");
        assert!(!tickets[1].shed_signal().is_cancelled() && !newest.shed_signal().is_cancelled());
        let _five = gate.admit(ip(5)).unwrap();
        assert!(tickets[1].shed_signal().is_cancelled());
        assert_eq!(gate.stats(), AdmissionStats { pending: 3, refused: 0, shed: 2 });
        drop(tickets);
        assert_eq!(gate.stats().pending, 2, "dropping a shed ticket frees nothing twice");
    }

    #[test]
    fn a_shed_connection_gives_its_address_slot_back_once() {
        let gate = Admission::new(1, 1);
        let first = gate.admit(ip(1)).unwrap();
        let _second = gate.admit(ip(2)).unwrap();
        assert!(first.shed_signal().is_cancelled());
        drop(first);
        let _again = gate.admit(ip(1)).unwrap();
        assert_eq!(gate.stats().pending, 1);
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_the_per_address_cap() {
        let gate = Admission::new(1, 10);
        let _a = gate.admit("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(gate.admit("2001:db8:1:2::ffff".parse().unwrap()).is_err());
        assert!(gate.admit("2001:db8:1:3::1".parse().unwrap()).is_ok());
    }
}
