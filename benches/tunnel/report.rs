//! The results table (Markdown, pasted into BENCHMARKS.md), checked against the targets of
//! the issue. Route 0 is direct TCP, 1 the proxy, 2 (when measured) the bare splice relay.

use crate::{OPENERS, PARALLEL_TUNNELS};
use std::time::Duration;

const MIB: f64 = 1024.0 * 1024.0;
const GIB: f64 = 1024.0 * MIB;
const PROXY: usize = 1;
const BARE: usize = 2;

/// Per route, one value per round.
pub struct Compared {
    pub rate: Vec<Vec<f64>>,
    /// Rate ÷ direct TCP's rate in the same round.
    pub ratio: Vec<Vec<f64>>,
    /// CPU seconds (bench + proxy processes) per unit moved.
    pub cpu: Vec<Vec<f64>>,
    /// CPU seconds of the proxy process alone per unit moved.
    pub proxy_cpu: Vec<Vec<f64>>,
}

impl Compared {
    pub fn new(routes: usize) -> Compared {
        let empty = || vec![vec![]; routes];
        Compared { rate: empty(), ratio: empty(), cpu: empty(), proxy_cpu: empty() }
    }
}

/// Round-trip percentiles per route, in microseconds.
pub struct Latency {
    pub p50: Vec<f64>,
    pub p99: Vec<f64>,
}

impl Latency {
    pub fn from_samples(samples: Vec<Vec<Duration>>) -> Latency {
        let (mut p50, mut p99) = (vec![], vec![]);
        for mut s in samples {
            s.sort();
            let at = |p: f64| s[((s.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6;
            p50.push(at(0.50));
            p99.push(at(0.99));
        }
        Latency { p50, p99 }
    }
}

#[derive(Default)]
pub struct Report {
    pub single: Option<Compared>,
    pub parallel: Option<Compared>,
    pub opens: Option<Compared>,
    pub latency: Option<Latency>,
    pub idle: Vec<(String, f64)>,
}

impl Report {
    pub fn print(&self) {
        println!(
            "| measure | direct TCP | wss-panel proxy | proxy vs direct | bare splice relay vs direct | target | met |"
        );
        println!("|---|---:|---:|---:|---:|---|---|");
        let throughput = [("1 connection", &self.single), ("64 connections", &self.parallel)];
        for (name, c) in throughput.into_iter().filter_map(|(n, c)| Some((n, c.as_ref()?))) {
            let ratio = median(&c.ratio[PROXY]);
            row(
                &format!("throughput, {name}"),
                &format!("{:.0} MiB/s", median(&c.rate[0]) / MIB),
                &format!("{:.0} MiB/s", median(&c.rate[PROXY]) / MIB),
                &format!("{ratio:.2} ×"),
                &format!("{:.2} ×", median(&c.ratio[BARE])),
                ("≥ 0.80 ×", ratio >= 0.8),
            );
            let cpu = |i: usize| median(&c.cpu[i]) * GIB;
            row(
                "… CPU s per GiB (bench + proxy processes)",
                &format!("{:.2}", cpu(0)),
                &format!("{:.2}", cpu(PROXY)),
                &format!("{:.2} ×", cpu(PROXY) / cpu(0)),
                &format!("{:.2} ×", cpu(BARE) / cpu(0)),
                ("", true),
            );
        }
        if let Some(c) = &self.opens {
            let rate = median(&c.rate[PROXY]);
            row(
                &format!("new tunnels/s (warm auth, {OPENERS} clients, open + 1 echo + close)"),
                &format!("{:.0} /s", median(&c.rate[0])),
                &format!("{rate:.0} /s"),
                &format!("{:.2} ×", median(&c.ratio[PROXY])),
                "",
                ("≥ 5,000 /s", rate >= 5000.0),
            );
            let cpu = |i: usize| median(&c.cpu[i]) * 1e6;
            let own = median(&c.proxy_cpu[PROXY]) * 1e6;
            row(
                "… CPU µs per connection (bench + proxy processes)",
                &format!("{:.0}", cpu(0)),
                &format!("{:.0} (proxy alone: {own:.0})", cpu(PROXY)),
                &format!("{:.2} ×", cpu(PROXY) / cpu(0)),
                "",
                ("", true),
            );
        }
        if let Some(l) = &self.latency {
            let added = |p: &[f64], i: usize| p[i] - p[0];
            for (name, p, target) in [("p50", &l.p50, Some(10.0)), ("p99", &l.p99, None)] {
                row(
                    &format!("64-byte echo round trip, {name}"),
                    &format!("{:.1} µs", p[0]),
                    &format!("{:.1} µs", p[PROXY]),
                    &format!("+{:.1} µs", added(p, PROXY)),
                    &format!("+{:.1} µs", added(p, BARE)),
                    target.map_or(("", true), |t| ("added ≤ 10 µs", added(p, PROXY) <= t)),
                );
            }
        }
        for (what, bytes) in &self.idle {
            let kib = bytes / 1024.0;
            let target = ("≤ 16 KiB", kib <= 16.0);
            row(&format!("proxy RSS per idle tunnel, {what}"), "", &format!("{kib:.1} KiB"), "", "", target);
        }
        println!("\n(throughput with {PARALLEL_TUNNELS} parallel connections; medians of 3 rounds)");
    }
}

fn row(measure: &str, direct: &str, proxy: &str, ratio: &str, bare: &str, (target, met): (&str, bool)) {
    let met = match (target.is_empty(), met) {
        (true, _) => "",
        (false, true) => "yes",
        (false, false) => "**no**",
    };
    println!("| {measure} | {direct} | {proxy} | {ratio} | {bare} | {target} | {met} |");
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
