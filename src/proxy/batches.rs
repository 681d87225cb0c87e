//! The exactly-once half of traffic reporting, pure: each tick's bytes become one numbered
//! batch; a batch is re-sent in every report until the panel acknowledges its sequence
//! number, and never changes once handed out (the panel may already have applied it, and
//! skips a sequence number it has seen). No locks, no clock: `NodeState` holds one behind a
//! mutex.

use crate::wire::TrafficBatch;
use std::collections::BTreeMap;

/// Batches carried in one report at most; the rest go in the next ones.
pub const MAX_BATCHES_PER_REPORT: usize = 64;

/// Handed-out batches the panel has not acknowledged yet, oldest first.
#[derive(Debug)]
pub struct Batches {
    next_seq: u64,
    pending: Vec<TrafficBatch>,
}

impl Default for Batches {
    fn default() -> Self {
        Batches { next_seq: 1, pending: Vec::new() }
    }
}

impl Batches {
    /// Seals this tick's bytes (user → (up, down)) into a new batch unless there are none;
    /// returns the oldest unacknowledged batches, at most `MAX_BATCHES_PER_REPORT`.
    pub fn seal(&mut self, bytes: BTreeMap<String, (u64, u64)>) -> Vec<TrafficBatch> {
        if !bytes.is_empty() {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.pending.push(TrafficBatch { seq, bytes });
        }
        self.pending.iter().take(MAX_BATCHES_PER_REPORT).cloned().collect()
    }

    /// The panel has applied every batch up to and including `seq`.
    pub fn ack(&mut self, seq: u64) {
        self.pending.retain(|b| b.seq > seq);
    }

    /// Bytes in batches not yet acknowledged.
    pub fn pending_bytes(&self) -> u64 {
        self.pending.iter().flat_map(|b| b.bytes.values()).map(|(u, d)| u + d).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(user: &str, up: u64, down: u64) -> BTreeMap<String, (u64, u64)> {
        BTreeMap::from([(user.to_owned(), (up, down))])
    }

    fn seqs(batches: &[TrafficBatch]) -> Vec<u64> {
        batches.iter().map(|b| b.seq).collect()
    }

    #[test]
    fn sequence_numbers_start_at_one_and_skip_empty_ticks() {
        let mut b = Batches::default();
        assert!(b.seal(BTreeMap::new()).is_empty(), "nothing counted, nothing sent");
        assert_eq!(seqs(&b.seal(bytes("a", 1, 2))), [1]);
        assert_eq!(seqs(&b.seal(BTreeMap::new())), [1], "an empty tick makes no batch");
        assert_eq!(seqs(&b.seal(bytes("a", 3, 0))), [1, 2]);
    }

    #[test]
    fn a_batch_is_resent_unchanged_until_acknowledged() {
        let mut b = Batches::default();
        let first = b.seal(bytes("a", 10, 20));
        let again = b.seal(bytes("a", 5, 5));
        assert_eq!(again[0], first[0], "the handed-out batch did not change");
        assert_eq!(b.pending_bytes(), 40);
        b.ack(1);
        assert_eq!(seqs(&b.seal(BTreeMap::new())), [2]);
        assert_eq!(b.pending_bytes(), 10);
        b.ack(2);
        assert!(b.is_empty());
        assert_eq!(b.pending_bytes(), 0);
        assert_eq!(seqs(&b.seal(bytes("a", 1, 0))), [3], "numbers are never reused");
    }

    #[test]
    fn an_ack_covers_everything_up_to_its_number_and_a_stale_ack_changes_nothing() {
        let mut b = Batches::default();
        for i in 1..=3 {
            b.seal(bytes("a", i, 0));
        }
        b.ack(2);
        assert_eq!(seqs(&b.seal(BTreeMap::new())), [3]);
        b.ack(1);
        assert_eq!(seqs(&b.seal(BTreeMap::new())), [3], "an old ack again is harmless");
        b.ack(99);
        assert!(b.is_empty(), "an ack past the newest clears all");
    }

    #[test]
    fn a_report_carries_at_most_the_oldest_cap_batches() {
        let mut b = Batches::default();
        for _ in 0..MAX_BATCHES_PER_REPORT + 5 {
            b.seal(bytes("a", 1, 0));
        }
        let sent = b.seal(BTreeMap::new());
        assert_eq!(sent.len(), MAX_BATCHES_PER_REPORT);
        assert_eq!(sent[0].seq, 1, "oldest first");
        b.ack(MAX_BATCHES_PER_REPORT as u64);
        assert_eq!(seqs(&b.seal(BTreeMap::new())), (65..=69).collect::<Vec<_>>());
    }
}
