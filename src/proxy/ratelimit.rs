//! Per-user token bucket: how many bytes a tunnel may move now, or how long
//! it must wait before it may move some. One bucket per user per direction,
//! shared by all of that user's tunnels (`pipe.rs` wraps it in
//! `Arc<Mutex<_>>`), so every call is O(1) and never blocks: a tunnel over
//! the rate waits; it never drops or reorders bytes. Time is passed in. No I/O.
//!
//! Tokens are counted in nanobytes (10^-9 byte) in a `u128`: a refill adds
//! exactly `elapsed_ns * rate`, so no rounding error builds up however often
//! and however irregularly the bucket is polled.

use std::time::{Duration, Instant};

/// Project rule: a user may burst two seconds' worth of their rate.
pub const BURST_WINDOW: Duration = Duration::from_secs(2);

/// When the bucket is empty, [`TokenBucket::take`] says how long until this
/// much is available (less if the request or the burst is smaller), so a
/// throttled tunnel wakes up to one useful write instead of a trickle of
/// one-byte grants.
pub const WAKE_CHUNK_BYTES: usize = 16 * 1024;

const NANOBYTES_PER_BYTE: u128 = 1_000_000_000;

/// A token bucket refilled at `rate` bytes per second up to `rate × burst
/// window`, starting full. Rate 0 means unlimited.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate_bytes_per_sec: u64,
    burst_window: Duration,
    capacity_nanobytes: u128,
    tokens_nanobytes: u128,
    last_refill: Instant,
}

impl TokenBucket {
    /// A full bucket. The burst is given as a time window rather than bytes
    /// so that [`TokenBucket::set_rate`] can scale it with the rate; it is
    /// never less than one byte, so a slow rate still makes progress.
    pub fn new(rate_bytes_per_sec: u64, burst_window: Duration, now: Instant) -> Self {
        let capacity_nanobytes = capacity(rate_bytes_per_sec, burst_window);
        Self {
            rate_bytes_per_sec,
            burst_window,
            capacity_nanobytes,
            tokens_nanobytes: capacity_nanobytes,
            last_refill: now,
        }
    }

    /// The project's rule: `rate_kbps` KiB/s (0 = unlimited), burst
    /// [`BURST_WINDOW`] worth.
    pub fn for_kib_per_sec(rate_kbps: u32, now: Instant) -> Self {
        Self::new(u64::from(rate_kbps) * 1024, BURST_WINDOW, now)
    }

    /// Bytes per second; 0 means unlimited.
    pub fn rate_bytes_per_sec(&self) -> u64 {
        self.rate_bytes_per_sec
    }

    /// Grants up to `want` bytes and spends them: all of `want` if the tokens
    /// allow, else every whole byte available (at least one). With less than
    /// one byte available it grants nothing and returns how long until
    /// `min(want, WAKE_CHUNK_BYTES, burst)` bytes are available: calling again
    /// after that long grants at least that much, unless another tunnel
    /// sharing the bucket took it first.
    pub fn take(&mut self, want: usize, now: Instant) -> Result<usize, Duration> {
        self.take_at_least(NANOBYTES_PER_BYTE, want, now)
    }

    /// Like [`take`](Self::take), but grants only once `min(want, WAKE_CHUNK_BYTES, burst)`
    /// bytes are there; until then it returns how long until they are. A relay held back by
    /// the bucket then moves 16 KiB chunks, not a chunk followed by the few bytes earned while
    /// it was written (which cost a syscall and a segment each: 100 users at 1 MiB/s averaged
    /// 4 KiB per splice).
    pub fn take_chunk(&mut self, want: usize, now: Instant) -> Result<usize, Duration> {
        self.take_at_least(self.chunk_target(want), want, now)
    }

    /// Grants up to `want` once at least `least` nanobytes (one byte or more) are there.
    fn take_at_least(&mut self, least: u128, want: usize, now: Instant) -> Result<usize, Duration> {
        if self.rate_bytes_per_sec == 0 || want == 0 {
            return Ok(want);
        }
        self.refill(now);
        if self.tokens_nanobytes < least {
            return Err(self.wait_for(want));
        }
        let available = self.tokens_nanobytes / NANOBYTES_PER_BYTE;
        let grant = usize::try_from(available).map_or(want, |available| available.min(want));
        self.tokens_nanobytes -= nanobytes(grant);
        Ok(grant)
    }

    fn chunk_target(&self, want: usize) -> u128 {
        nanobytes(want.min(WAKE_CHUNK_BYTES)).min(self.capacity_nanobytes)
    }

    /// Changes the rate from `now` on. Tokens earned so far are kept, clamped
    /// to the new burst; a bucket that was unlimited starts full.
    pub fn set_rate(&mut self, rate_bytes_per_sec: u64, now: Instant) {
        self.refill(now);
        let was_unlimited = self.rate_bytes_per_sec == 0;
        self.rate_bytes_per_sec = rate_bytes_per_sec;
        self.capacity_nanobytes = capacity(rate_bytes_per_sec, self.burst_window);
        self.tokens_nanobytes = if was_unlimited {
            self.capacity_nanobytes
        } else {
            self.tokens_nanobytes.min(self.capacity_nanobytes)
        };
    }

    fn refill(&mut self, now: Instant) {
        // Tunnels sharing the bucket read their clocks before taking the
        // lock, so `now` may be older than the last refill. Moving
        // `last_refill` back would let that time be earned twice.
        let elapsed = now.saturating_duration_since(self.last_refill);
        self.last_refill = self.last_refill.max(now);
        let earned = elapsed.as_nanos().saturating_mul(u128::from(self.rate_bytes_per_sec));
        self.tokens_nanobytes = self.tokens_nanobytes.saturating_add(earned).min(self.capacity_nanobytes);
    }

    /// Only called with a limited rate and less than a chunk in the bucket.
    fn wait_for(&self, want: usize) -> Duration {
        let missing = self.chunk_target(want).saturating_sub(self.tokens_nanobytes);
        let nanos = missing.div_ceil(u128::from(self.rate_bytes_per_sec.max(1)));
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

fn nanobytes(bytes: usize) -> u128 {
    // usize is at most 64 bits, so this cannot overflow a u128.
    bytes as u128 * NANOBYTES_PER_BYTE
}

/// `rate × window` in nanobytes: bytes/s × ns is nanobytes exactly.
fn capacity(rate_bytes_per_sec: u64, burst_window: Duration) -> u128 {
    burst_window.as_nanos().saturating_mul(u128::from(rate_bytes_per_sec)).max(NANOBYTES_PER_BYTE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KIB: u64 = 1024;

    #[test]
    fn a_chunked_take_waits_for_a_whole_chunk_instead_of_granting_a_trickle() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(1024 * 1024, Duration::from_secs(1), start);
        assert_eq!(bucket.take(usize::MAX, start), Ok(1024 * 1024));
        // 1 ms later 1,048 bytes are there: `take` would grant them; a chunk is 16 KiB.
        let later = start + ms(1);
        let wait = bucket.take_chunk(64 * 1024, later).unwrap_err();
        assert_eq!(wait, Duration::from_micros(14_625));
        assert_eq!(bucket.take_chunk(64 * 1024, later + wait), Ok(WAKE_CHUNK_BYTES));
        // A small write waits only for itself; a burst smaller than a chunk for the burst.
        assert_eq!(bucket.take_chunk(100, later + wait + ms(1)), Ok(100));
        let mut slow = TokenBucket::new(1024, Duration::from_secs(1), start);
        assert_eq!(slow.take(usize::MAX, start), Ok(1024));
        assert_eq!(slow.take_chunk(64 * 1024, start), Err(Duration::from_secs(1)));
        assert_eq!(slow.take_chunk(64 * 1024, start + Duration::from_secs(1)), Ok(1024));
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Takes `ask`-byte chunks greedily for `span`, sleeping exactly the
    /// wait hints; returns the bytes granted.
    fn greedy(bucket: &mut TokenBucket, start: Instant, span: Duration, ask: usize) -> u64 {
        let (mut now, mut total) = (start, 0u64);
        while now <= start + span {
            match bucket.take(ask, now) {
                Ok(n) => total += n as u64,
                Err(wait) => now += wait,
            }
        }
        total
    }

    #[test]
    fn greedy_taker_gets_exactly_the_long_run_rate_plus_the_burst() {
        let start = Instant::now();
        let rate = 512 * KIB;
        let mut bucket = TokenBucket::for_kib_per_sec(512, start);
        let total = greedy(&mut bucket, start, Duration::from_secs(10), 16 * 1024);
        let ideal = rate * 10 + 2 * rate;
        assert!(total <= ideal, "{total} > {ideal}");
        assert!(total >= ideal - 16 * KIB, "{total} too far below {ideal}");
    }

    #[test]
    fn tiny_irregular_time_steps_neither_lose_nor_mint_tokens() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(1000, Duration::from_secs(1), start);
        assert_eq!(bucket.take(usize::MAX, start), Ok(1000));
        let (mut now, mut total) = (start, 0);
        // 1 s in steps of 1 µs and 3 µs: each earns a fraction of a byte.
        for step in 0..500_000u64 {
            now += Duration::from_micros(if step % 2 == 0 { 1 } else { 3 });
            total += bucket.take(1, now).unwrap_or(0);
        }
        assert_eq!(total, 1000);
    }

    #[test]
    fn the_burst_never_drops_below_one_byte() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(1000, Duration::ZERO, start);
        assert_eq!(bucket.take(10, start), Ok(1));
        assert_eq!(bucket.take(10, start), Err(ms(1)));
        assert_eq!(bucket.take(10, start + Duration::from_secs(9)), Ok(1));
    }

    #[test]
    fn a_long_idle_fills_the_bucket_only_up_to_the_burst() {
        let start = Instant::now();
        let mut bucket = TokenBucket::for_kib_per_sec(100, start);
        let later = start + Duration::from_secs(3600);
        assert_eq!(bucket.take(usize::MAX, later), Ok(200 * 1024));
        assert!(bucket.take(1, later).is_err());
    }

    #[test]
    fn fewer_tokens_than_asked_gives_a_partial_grant() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(1000, Duration::from_secs(1), start);
        assert_eq!(bucket.take(600, start), Ok(600));
        assert_eq!(bucket.take(600, start), Ok(400));
        assert_eq!(bucket.take(10_000, start + ms(500)), Ok(500));
        assert_eq!(
            bucket.take(1, start + ms(500) + Duration::from_micros(999)),
            Err(Duration::from_micros(1))
        );
        assert_eq!(bucket.take(10_000, start + ms(501)), Ok(1));
    }

    #[test]
    fn an_empty_bucket_says_how_long_until_a_chunk_and_that_wait_suffices() {
        let start = Instant::now();
        let mut bucket = TokenBucket::for_kib_per_sec(512, start);
        assert_eq!(bucket.take(usize::MAX, start), Ok(1024 * 1024));
        // 16 KiB at 512 KiB/s is 31.25 ms.
        let wait = bucket.take(64 * 1024, start).unwrap_err();
        assert_eq!(wait, Duration::from_micros(31_250));
        assert_eq!(bucket.take(64 * 1024, start + wait), Ok(WAKE_CHUNK_BYTES));
    }

    #[test]
    fn the_wait_hint_shrinks_to_a_small_ask_and_to_a_small_burst() {
        let start = Instant::now();
        let mut fast = TokenBucket::new(1000, Duration::from_secs(1), start);
        fast.take(1000, start).unwrap();
        assert_eq!(fast.take(100, start), Err(ms(100)));
        let mut slow = TokenBucket::for_kib_per_sec(1, start);
        slow.take(2048, start).unwrap();
        let wait = slow.take(64 * 1024, start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(2), "a 16 KiB wait could never be met");
        assert_eq!(slow.take(64 * 1024, start + wait), Ok(2048));
    }

    #[test]
    fn rate_zero_is_unlimited() {
        let start = Instant::now();
        let mut bucket = TokenBucket::for_kib_per_sec(0, start);
        for _ in 0..3 {
            assert_eq!(bucket.take(usize::MAX, start), Ok(usize::MAX));
        }
        assert_eq!(bucket.take(0, start), Ok(0));
    }

    #[test]
    fn lowering_the_rate_clamps_the_tokens_to_the_new_burst() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(1000, Duration::from_secs(2), start);
        bucket.set_rate(100, start + ms(10));
        assert_eq!(bucket.rate_bytes_per_sec(), 100);
        assert_eq!(bucket.take(usize::MAX, start + ms(10)), Ok(200));
        assert_eq!(bucket.take(usize::MAX, start + ms(1010)), Ok(100));
    }

    #[test]
    fn raising_the_rate_keeps_the_tokens_and_raises_the_cap() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(1000, Duration::from_secs(2), start);
        bucket.take(1500, start).unwrap();
        // 500 left, +100 earned at the old rate by 100 ms.
        bucket.set_rate(10_000, start + ms(100));
        assert_eq!(bucket.take(usize::MAX, start + ms(100)), Ok(600));
        assert_eq!(bucket.take(usize::MAX, start + ms(200)), Ok(1000));
        assert_eq!(bucket.take(usize::MAX, start + Duration::from_secs(60)), Ok(20_000));
    }

    #[test]
    fn switching_between_limited_and_unlimited() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(1000, Duration::from_secs(1), start);
        bucket.take(1000, start).unwrap();
        bucket.set_rate(0, start);
        assert_eq!(bucket.take(1 << 30, start), Ok(1 << 30));
        bucket.set_rate(1000, start + ms(1));
        assert_eq!(bucket.take(usize::MAX, start + ms(1)), Ok(1000), "starts full");
    }

    #[test]
    fn two_tunnels_sharing_one_bucket_get_the_combined_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::for_kib_per_sec(64, start);
        let end = start + Duration::from_secs(10);
        // Each tunnel sleeps its own wait hint; the one due first acts next,
        // and ties go either way, as races for the lock do.
        let (mut due, mut totals) = ([start; 2], [0u64; 2]);
        for turn in 0usize.. {
            let ready = (0..2).filter(|&t| due[t] <= end);
            let Some(t) = ready.min_by_key(|&t| (due[t], t != turn % 2)) else {
                break;
            };
            match bucket.take(16 * 1024, due[t]) {
                Ok(n) => totals[t] += n as u64,
                Err(wait) => due[t] += wait,
            }
        }
        let ideal = 64 * KIB * 12;
        let sum: u64 = totals.iter().sum();
        assert!(sum <= ideal && sum >= ideal - 16 * KIB, "{sum} vs {ideal}");
        assert!(totals.iter().all(|&t| t > ideal / 4), "{totals:?}");
    }

    #[test]
    fn an_older_instant_mints_nothing() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(1000, Duration::from_secs(1), start);
        bucket.take(1000, start + ms(500)).unwrap();
        assert!(bucket.take(1, start).is_err());
        assert!(bucket.take(1, start + ms(500)).is_err());
        assert_eq!(bucket.take(usize::MAX, start + ms(600)), Ok(100));
    }

    #[test]
    fn huge_rates_and_windows_do_not_overflow() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(u64::MAX, Duration::MAX, start);
        assert_eq!(bucket.take(usize::MAX, start + Duration::from_secs(1)), Ok(usize::MAX));
        let mut kib = TokenBucket::for_kib_per_sec(u32::MAX, start);
        assert!(kib.take(usize::MAX, start).is_ok());
    }

    proptest! {
        #[test]
        fn grants_never_exceed_rate_times_time_plus_burst(
            rate in 1u64..10_000_000,
            burst_ms in 0u64..5_000,
            steps in proptest::collection::vec((0u64..50_000_000, 1usize..100_000), 1..200),
        ) {
            let start = Instant::now();
            let mut bucket = TokenBucket::new(rate, ms(burst_ms), start);
            let (mut now, mut total) = (start, 0u128);
            for (step_ns, want) in steps {
                now += Duration::from_nanos(step_ns);
                match bucket.take(want, now) {
                    Ok(n) => total += n as u128,
                    Err(wait) => {
                        let granted = bucket.take(want, now + wait);
                        prop_assert!(granted.is_ok());
                        now += wait;
                        total += granted.unwrap_or(0) as u128;
                    }
                }
                let limit = capacity(rate, ms(burst_ms)) + (now - start).as_nanos() * u128::from(rate);
                prop_assert!(total * NANOBYTES_PER_BYTE <= limit);
            }
        }
    }
}
