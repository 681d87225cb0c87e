//! A small mutational fuzzer that runs on the stable toolchain inside the test binary.
//! Inputs start from a committed seed corpus (`tests/corpus/<target>/`); each round stacks
//! one to four mutations (byte flips, hostile bytes and tokens from the target's
//! dictionary, deletions, duplications, splices with another input, huge runs). The
//! target's check answers an outcome signature; an input whose signature is new joins the
//! pool, so the search spreads over outcomes (feedback by behaviour, not by coverage). Each
//! target runs for a fixed budget: `WSS_FUZZ_SECS` (default 60). A panicking input is
//! written to `target/fuzz-crashes/` and fails the test with its path and the seed, so
//! `WSS_FUZZ_SEED=<seed>` replays the run.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Inputs kept in memory at most (seeds plus inputs with new outcomes).
const MAX_POOL: usize = 4096;
/// Longest input the mutator builds: beyond the parsers' own caps, so those are exercised.
const MAX_LEN: usize = 64 * 1024;
/// Bytes that break parsers: NUL, lone CR and LF, DEL, invalid UTF-8, quotes and brackets.
const HOSTILE: &[u8] = b"\0\r\n\t \x7f\xff\xfe\xc0\x80\"\\{}[]:,;=%-+.eE0129";

/// The budget per target: `WSS_FUZZ_SECS` seconds, 60 unless set.
pub fn budget() -> Duration {
    let secs = std::env::var("WSS_FUZZ_SECS").ok().map(|v| {
        v.parse::<u64>().unwrap_or_else(|_| panic!("WSS_FUZZ_SECS must be a whole number of seconds: {v:?}"))
    });
    Duration::from_secs(secs.unwrap_or(60))
}

/// The committed seed corpus of `target`, sorted by file name; never empty.
pub fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "corpus {} is empty", dir.display());
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

pub fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(target)
}

/// xorshift64*: deterministic for a seed, so a failing run can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// `WSS_FUZZ_SEED` if set, else a fresh one (printed by `run`).
fn seed() -> u64 {
    match std::env::var("WSS_FUZZ_SEED") {
        Ok(v) => v.parse().unwrap_or_else(|_| panic!("WSS_FUZZ_SEED must be a u64: {v:?}")),
        Err(_) => {
            let mut b = [0u8; 8];
            getrandom::fill(&mut b).unwrap();
            u64::from_le_bytes(b)
        }
    }
}

/// One mutation of `input`, drawing tokens from `dict` and splice material from `pool`.
fn mutate_once(rng: &mut Rng, input: &mut Vec<u8>, dict: &[&[u8]], pool: &[Vec<u8>]) {
    let len = input.len();
    let at = if len == 0 { 0 } else { rng.below(len + 1) };
    match rng.below(10) {
        0 if len > 0 => input[at.min(len - 1)] ^= 1 << rng.below(8),
        1 => input.insert(at, *rng.pick(HOSTILE)),
        2 if !dict.is_empty() => {
            let token = *rng.pick(dict);
            input.splice(at..at, token.iter().copied());
        }
        3 if !dict.is_empty() && len > 0 => {
            // Replace a short run with a token: swaps a number, a name or a delimiter.
            let end = (at + 1 + rng.below(8)).min(len);
            let token = *rng.pick(dict);
            input.splice(at.min(end)..end, token.iter().copied());
        }
        4 if len > 0 => {
            let end = (at + 1 + rng.below(16)).min(len);
            input.drain(at.min(end)..end);
        }
        5 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(64)).min(len);
            let piece = input[start..end].to_vec();
            input.splice(at..at, piece);
        }
        6 => {
            let other = rng.pick(pool);
            if !other.is_empty() {
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(other.len() - start)).min(other.len());
                input.splice(at..at, other[start..end].iter().copied());
            }
        }
        7 => input.truncate(at),
        8 => {
            // A huge run: overlong lines, numbers and names.
            let byte = if rng.below(2) == 0 { *rng.pick(HOSTILE) } else { b'a' + rng.below(26) as u8 };
            let n = 1 << rng.below(15);
            input.splice(at..at, std::iter::repeat_n(byte, n));
        }
        _ => {
            if len > 1 {
                let other = rng.below(len);
                input.swap(at.min(len - 1), other);
            }
        }
    }
    input.truncate(MAX_LEN);
}

/// What a finished run did.
#[derive(Debug)]
pub struct Report {
    pub execs: u64,
    pub outcomes: usize,
}

/// Runs `check` on every seed, then on mutations until the budget is spent. `check` panics
/// on a violated property and otherwise returns the outcome's signature.
pub fn run(target: &str, dict: &[&[u8]], mut check: impl FnMut(&[u8]) -> String) -> Report {
    let seed = seed();
    let budget = budget();
    let mut rng = Rng::new(seed);
    let mut pool = corpus(target);
    let mut seen = HashSet::new();
    let started = Instant::now();
    let mut execs = 0u64;
    let mut queue: Vec<Vec<u8>> = pool.clone();
    loop {
        let input = match queue.pop() {
            Some(seed_input) => seed_input,
            None if started.elapsed() >= budget => break,
            None => {
                let mut input = rng.pick(&pool).clone();
                for _ in 0..=rng.below(4) {
                    mutate_once(&mut rng, &mut input, dict, &pool);
                }
                input
            }
        };
        execs += 1;
        match catch_unwind(AssertUnwindSafe(|| check(&input))) {
            Ok(signature) => {
                if seen.insert(signature) && pool.len() < MAX_POOL {
                    pool.push(input);
                }
            }
            Err(cause) => {
                let saved = save_crash(target, &input);
                let why = cause
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| cause.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!(
                    "FUZZ_CRASH target={target} seed={seed} exec={execs} saved={} input={:?}: {why}",
                    saved.display(),
                    String::from_utf8_lossy(&input[..input.len().min(512)])
                );
            }
        }
    }
    let report = Report { execs, outcomes: seen.len() };
    eprintln!(
        "FUZZ_DONE target={target} seed={seed} secs={} execs={} outcomes={} pool={}",
        budget.as_secs(),
        report.execs,
        report.outcomes,
        pool.len()
    );
    report
}

fn save_crash(target: &str, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!(
        "{target}-{:016x}",
        input
            .iter()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| { (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3) })
    );
    let path = dir.join(name);
    std::fs::write(&path, input).unwrap();
    path
}
