//! One tunnel user's UDPGW numbers on this node: live flows (capped across all of the user's
//! clients) and datagrams each way since the last report. Lives in the user's
//! [`crate::proxy::state::UserEntry`]. No I/O.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct UdpCounters {
    flows: AtomicU32,
    pub datagrams_up: AtomicU64,
    pub datagrams_down: AtomicU64,
}

impl UdpCounters {
    /// Counts one more flow unless the user already has `max` (0 = no cap).
    pub fn try_open(&self, max: u32) -> bool {
        self.flows
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (max == 0 || n < max).then_some(n + 1))
            .is_ok()
    }

    pub fn close(&self) {
        let _ = self.flows.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }

    pub fn live_flows(&self) -> u32 {
        self.flows.load(Ordering::Acquire)
    }

    /// (flows, datagrams up, datagrams down); the datagram counts restart from zero.
    pub fn take_report(&self) -> (u32, u64, u64) {
        let up = self.datagrams_up.swap(0, Ordering::AcqRel);
        let down = self.datagrams_down.swap(0, Ordering::AcqRel);
        (self.live_flows(), up, down)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_holds_and_closing_frees_a_place() {
        let c = UdpCounters::default();
        assert!(c.try_open(2) && c.try_open(2));
        assert!(!c.try_open(2));
        c.close();
        assert!(c.try_open(2));
        assert!((0..100).all(|_| c.try_open(0)), "0 = no cap");
        c.datagrams_up.fetch_add(3, Ordering::Relaxed);
        assert_eq!(c.take_report(), (102, 3, 0));
        assert_eq!(c.take_report(), (102, 0, 0));
    }
}
