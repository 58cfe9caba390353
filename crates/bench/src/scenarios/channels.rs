//! Scenarios over every implementation: targets 1, 2 and the wake part of 4.

use super::{bench, find, interleave, keep, Bench};
use crate::impls::{
    CalloopExec, CrossbeamExec, FlumeExec, LooperExec, LooperNoSpinExec, StdExec, TokioExec,
};
use crate::latency::{self, Placement};
use crate::report::{Report, Table};
use crate::stats::{median, min, ratio, us, Dist};
use crate::{throughput, Opts};
use std::time::Duration;

fn pingpong_benches(p: Placement, n: usize) -> Vec<Bench<Vec<u64>>> {
    let mut v = vec![
        bench("looper", move || latency::pingpong::<LooperExec>(p, n)),
        bench("looper, spin_before_park(false)", move || {
            latency::pingpong::<LooperNoSpinExec>(p, n)
        }),
        bench("crossbeam-channel", move || {
            latency::pingpong::<CrossbeamExec>(p, n)
        }),
        bench("std mpsc", move || latency::pingpong::<StdExec>(p, n)),
        bench("flume", move || latency::pingpong::<FlumeExec>(p, n)),
        bench("tokio current_thread+mpsc", move || {
            latency::pingpong::<TokioExec>(p, n)
        }),
        bench("calloop channel", move || {
            latency::pingpong::<CalloopExec>(p, n)
        }),
        bench("park/unpark (limit)", move || {
            latency::pingpong_limit(p, n, false)
        }),
    ];
    #[cfg(feature = "handler")]
    v.insert(
        2,
        bench("Handler::post", move || {
            latency::pingpong::<crate::impls::HandlerExec>(p, n)
        }),
    );
    if matches!(p, Placement::AcrossCores) {
        // Spinning on one core only burns the other thread's time slice.
        v.push(bench("busy-spin (limit)", move || {
            latency::pingpong_limit(p, n, true)
        }));
    }
    v
}

pub(crate) fn latency_scenario(opts: &Opts, report: &mut Report, p: Placement) {
    let n = if opts.smoke { 300 } else { 3000 };
    let benches = keep(pingpong_benches(p, n), opts);
    let results = interleave(opts.rounds, &benches);
    let dists: Vec<(String, Dist)> = benches
        .iter()
        .zip(results)
        .map(|((name, _), rs)| (name.clone(), Dist::new(rs.concat())))
        .collect();
    let cb = find(&dists, "crossbeam-channel");
    let park = find(&dists, "park/unpark (limit)");
    let (title, short) = match p {
        Placement::AcrossCores => (
            "Target 1: ping-pong one-way latency, across cores",
            "across cores",
        ),
        Placement::OneCore => (
            "Target 1: ping-pong one-way latency, both threads on one core",
            "one core",
        ),
    };
    let mut t = Table::new(
        title,
        &format!(
            "Half the round trip A -> B -> A, both hops through the implementation under test; \
             {n} round trips per round, all rounds merged."
        ),
        &[
            "implementation",
            "p50",
            "p99",
            "p50 / crossbeam",
            "p50 / park",
            "p99 / park",
            "samples",
        ],
    );
    for (name, d) in &dists {
        t.row(vec![
            name.clone(),
            us(d.p50()),
            us(d.p99()),
            ratio(d.p50() as f64, cb.p50() as f64),
            ratio(d.p50() as f64, park.p50() as f64),
            ratio(d.p99() as f64, park.p99() as f64),
            d.len().to_string(),
        ]);
    }
    report.tables.push(t);
    let subjects: Vec<&str> = ["looper", "Handler::post"]
        .into_iter()
        .filter(|s| dists.iter().any(|(n, _)| n == s))
        .collect();
    for s in subjects {
        let d = find(&dists, s);
        match p {
            Placement::AcrossCores => report.verdict(
                "1",
                &format!("{s} p50 across cores vs crossbeam-channel"),
                format!(
                    "{} ({})",
                    us(d.p50()),
                    ratio(d.p50() as f64, cb.p50() as f64)
                ),
                "≤ 2×",
                d.p50() as f64 <= 2.0 * cb.p50() as f64,
            ),
            Placement::OneCore => report.verdict(
                "1",
                &format!("{s} p50 on one core vs park/unpark"),
                format!(
                    "{} ({})",
                    us(d.p50()),
                    ratio(d.p50() as f64, park.p50() as f64)
                ),
                "≤ 1×",
                d.p50() <= park.p50(),
            ),
        }
        report.verdict(
            "1",
            &format!("{s} p99 {short} vs park/unpark p99"),
            format!(
                "{} ({})",
                us(d.p99()),
                ratio(d.p99() as f64, park.p99() as f64)
            ),
            "≤ 1.5×",
            d.p99() as f64 <= 1.5 * park.p99() as f64,
        );
    }
    report.panels.push((
        format!("Ping-pong one-way latency, {short}"),
        dists
            .into_iter()
            .map(|(n, d)| (n, d.sorted().to_vec()))
            .collect(),
    ));
}

pub(crate) fn wake_scenario(opts: &Opts, report: &mut Report) {
    let n = if opts.smoke { 100 } else { 1500 };
    let gap = Duration::from_micros(100);
    #[cfg_attr(not(feature = "handler"), allow(unused_mut))]
    let mut benches = vec![
        bench("looper", move || {
            latency::wake_latency::<LooperExec>(n, gap)
        }),
        bench("crossbeam-channel", move || {
            latency::wake_latency::<CrossbeamExec>(n, gap)
        }),
        bench("std mpsc", move || latency::wake_latency::<StdExec>(n, gap)),
        bench("flume", move || latency::wake_latency::<FlumeExec>(n, gap)),
        bench("tokio current_thread+mpsc", move || {
            latency::wake_latency::<TokioExec>(n, gap)
        }),
        bench("calloop channel", move || {
            latency::wake_latency::<CalloopExec>(n, gap)
        }),
        bench("park/unpark (limit)", move || {
            latency::wake_latency_limit(n, gap)
        }),
    ];
    #[cfg(feature = "handler")]
    benches.insert(
        1,
        bench("Handler::post", move || {
            latency::wake_latency::<crate::impls::HandlerExec>(n, gap)
        }),
    );
    let benches = keep(benches, opts);
    let results = interleave(opts.rounds.min(3), &benches);
    let dists: Vec<(String, Dist)> = benches
        .iter()
        .zip(results)
        .map(|((name, _), rs)| (name.clone(), Dist::new(rs.concat())))
        .collect();
    let park = find(&dists, "park/unpark (limit)");
    let mut t = Table::new(
        "Target 4: idle loop woken by posts ~100 µs apart, across cores",
        "Loop thread on CPU 0, poster on CPU 1 sleeping 100 µs between posts; time from the post \
         call to the closure running (limit: from `unpark` to the parked thread running).",
        &["implementation", "p50", "p99", "p50 / park", "samples"],
    );
    for (name, d) in &dists {
        t.row(vec![
            name.clone(),
            us(d.p50()),
            us(d.p99()),
            ratio(d.p50() as f64, park.p50() as f64),
            d.len().to_string(),
        ]);
    }
    report.tables.push(t);
    report.panels.push((
        "Idle loop woken by posts 100 µs apart (post -> run)".to_string(),
        dists
            .into_iter()
            .map(|(n, d)| (n, d.sorted().to_vec()))
            .collect(),
    ));
}

pub(crate) fn throughput_scenario(opts: &Opts, report: &mut Report) {
    let total: u64 = if opts.smoke { 50_000 } else { 1_000_000 };
    let mut t = Table::new(
        "Target 2: throughput of boxed closures, P producers -> one loop",
        &format!(
            "{total} closures per run (each captures a u64: one box per post); median of the \
             rounds in M msg/s, worst round in parentheses; ratio of medians vs crossbeam-channel."
        ),
        &[
            "implementation",
            "P = 1",
            "× cb",
            "P = 2",
            "× cb",
            "P = 4",
            "× cb",
        ],
    );
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    for p in [1usize, 2, 4] {
        #[cfg_attr(not(feature = "handler"), allow(unused_mut))]
        let mut benches = vec![
            bench("looper", move || {
                throughput::throughput::<LooperExec>(p, total)
            }),
            bench("crossbeam-channel", move || {
                throughput::throughput::<CrossbeamExec>(p, total)
            }),
            bench("std mpsc", move || {
                throughput::throughput::<StdExec>(p, total)
            }),
            bench("flume", move || {
                throughput::throughput::<FlumeExec>(p, total)
            }),
            bench("tokio current_thread+mpsc", move || {
                throughput::throughput::<TokioExec>(p, total)
            }),
            bench("calloop channel", move || {
                throughput::throughput::<CalloopExec>(p, total)
            }),
        ];
        #[cfg(feature = "handler")]
        benches.insert(
            1,
            bench("Handler::post", move || {
                throughput::throughput::<crate::impls::HandlerExec>(p, total)
            }),
        );
        let benches = keep(benches, opts);
        let results = interleave(opts.rounds, &benches);
        let meds: Vec<(String, f64, f64)> = benches
            .iter()
            .zip(&results)
            .map(|((n, _), r)| (n.clone(), median(r), min(r)))
            .collect();
        let cb = meds
            .iter()
            .find(|(n, _, _)| n == "crossbeam-channel")
            .map_or(f64::NAN, |m| m.1);
        for (name, med, worst) in &meds {
            let cells = vec![
                format!("{:.2} ({:.2})", med / 1e6, worst / 1e6),
                ratio(*med, cb),
            ];
            match rows.iter_mut().find(|(n, _)| n == name) {
                Some((_, c)) => c.extend(cells),
                None => rows.push((name.clone(), cells)),
            }
            if name == "looper" || name == "Handler::post" {
                report.verdict(
                    "2",
                    &format!("{name} throughput, P = {p}, vs crossbeam-channel"),
                    format!("{:.2} M/s ({})", med / 1e6, ratio(*med, cb)),
                    "≥ 0.9×",
                    *med >= 0.9 * cb,
                );
            }
        }
    }
    for (name, cells) in rows {
        let mut r = vec![name];
        r.extend(cells);
        t.row(r);
    }
    report.tables.push(t);
}
