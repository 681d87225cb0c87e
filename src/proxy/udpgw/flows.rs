//! One client's flows keyed by conid, with least-recently-used eviction at the per-client
//! cap and the idle sweep. Generic over the flow so that the policy is tested without
//! sockets; activity is microseconds since the client started, stored by whichever side
//! (client or destination) saw the flow's latest datagram. No I/O.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// When a flow last carried a datagram, shared with its receiving task.
pub type Activity = Arc<AtomicU64>;

/// A new activity cell, used at `now`.
pub fn activity(now: u64) -> Activity {
    Arc::new(AtomicU64::new(now))
}

pub struct FlowTable<F> {
    flows: HashMap<u16, (F, Activity)>,
    cap: usize,
}

impl<F> FlowTable<F> {
    pub fn new(cap: usize) -> Self {
        FlowTable { flows: HashMap::new(), cap: cap.max(1) }
    }

    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    pub fn get(&self, conid: u16) -> Option<&F> {
        self.flows.get(&conid).map(|(f, _)| f)
    }

    /// Marks the flow used at `now`.
    pub fn touch(&self, conid: u16, now: u64) {
        if let Some((_, a)) = self.flows.get(&conid) {
            a.fetch_max(now, Ordering::Relaxed);
        }
    }

    pub fn remove(&mut self, conid: u16) -> Option<F> {
        self.flows.remove(&conid).map(|(f, _)| f)
    }

    /// At the cap: takes out the least recently used flow to make room for a new one.
    pub fn evict_for_new(&mut self) -> Option<(u16, F)> {
        if self.flows.len() < self.cap {
            return None;
        }
        let oldest =
            self.flows.iter().min_by_key(|(_, (_, a))| a.load(Ordering::Relaxed)).map(|(c, _)| *c)?;
        self.remove(oldest).map(|f| (oldest, f))
    }

    /// Adds a flow (the caller made room) with its activity cell from [`activity`].
    pub fn insert(&mut self, conid: u16, flow: F, activity: Activity) {
        self.flows.insert(conid, (flow, activity));
    }

    /// Takes out every flow idle for at least `idle`.
    pub fn sweep(&mut self, now: u64, idle: u64) -> Vec<(u16, F)> {
        let idle: Vec<u16> = self
            .flows
            .iter()
            .filter(|(_, (_, a))| now.saturating_sub(a.load(Ordering::Relaxed)) >= idle)
            .map(|(c, _)| *c)
            .collect();
        idle.into_iter().filter_map(|c| self.remove(c).map(|f| (c, f))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_least_recently_used_flow_goes_first() {
        let mut t = FlowTable::new(3);
        for (conid, at) in [(1, 10), (2, 20), (3, 30)] {
            assert!(t.evict_for_new().is_none());
            t.insert(conid, conid * 100, activity(at));
        }
        t.touch(1, 40); // 2 is now the oldest
        assert_eq!(t.evict_for_new(), Some((2, 200)));
        t.insert(4, 400, activity(50));
        assert_eq!(t.evict_for_new(), Some((3, 300)));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn activity_stored_by_the_receiving_side_counts() {
        let mut t = FlowTable::new(2);
        let first = activity(0);
        t.insert(1, (), first.clone());
        t.insert(2, (), activity(5));
        first.store(9, Ordering::Relaxed); // a reply arrived on flow 1
        assert_eq!(t.evict_for_new().map(|(c, _)| c), Some(2));
    }

    #[test]
    fn the_sweep_takes_only_idle_flows() {
        let mut t = FlowTable::new(8);
        t.insert(1, "a", activity(0));
        t.insert(2, "b", activity(900));
        let gone = t.sweep(1000, 500);
        assert_eq!(gone, vec![(1, "a")]);
        assert!(t.get(2).is_some() && t.get(1).is_none());
    }
}
