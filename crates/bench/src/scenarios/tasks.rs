//! Targets 5, 6 and 7: tables and verdicts (measurements in `crate::tasks`).

use crate::impls::LooperExec;
use crate::report::{Report, Table};
use crate::stats::{median, ratio, us, Dist};
use crate::tasks::{
    cancel_latency, pool_baseline, pool_throughput, progress_every, progress_latest,
    round_trip_baseline, round_trip_task, unpark_latency, Coalesced,
};
use crate::{throughput, Opts};

/// Runs targets 5-7 and adds their tables and verdicts.
pub fn run(opts: &Opts, report: &mut Report) {
    let rounds = opts.rounds;
    let (rt_n, pool_n, cancel_n, progress_n) = if opts.smoke {
        (200, 10_000, 30, 100_000u64)
    } else {
        (2_000, 100_000, 300, 1_000_000u64)
    };

    // Target 5, round trip.
    let mut task_rt = Vec::new();
    let mut base_rt = Vec::new();
    for r in 0..rounds {
        if r % 2 == 0 {
            task_rt.extend(round_trip_task(rt_n));
            base_rt.extend(round_trip_baseline(rt_n));
        } else {
            base_rt.extend(round_trip_baseline(rt_n));
            task_rt.extend(round_trip_task(rt_n));
        }
    }
    let (task_rt, base_rt) = (Dist::new(task_rt), Dist::new(base_rt));
    let mut t = Table::new(
        "Target 5: AsyncTask round trip, execute -> on_post_execute (empty task)",
        &format!("{rt_n} sequential round trips per round, all rounds merged; worker pool of one thread."),
        &["implementation", "p50", "p99", "p50 / baseline", "samples"],
    );
    for (name, d) in [
        ("AsyncTask `execute_on(pool of 1)`", &task_rt),
        (
            "baseline: crossbeam to a worker, `Looper::post` back",
            &base_rt,
        ),
    ] {
        t.row(vec![
            name.into(),
            us(d.p50()),
            us(d.p99()),
            ratio(d.p50() as f64, base_rt.p50() as f64),
            d.len().to_string(),
        ]);
    }
    report.tables.push(t);
    report.verdict(
        "5",
        "AsyncTask round trip p50 vs two-hop baseline",
        format!(
            "{} ({})",
            us(task_rt.p50()),
            ratio(task_rt.p50() as f64, base_rt.p50() as f64)
        ),
        "≤ 1.5×",
        task_rt.p50() as f64 <= 1.5 * base_rt.p50() as f64,
    );

    // Target 5, pool throughput.
    let mut tp = Vec::new();
    let mut bp = Vec::new();
    for r in 0..rounds {
        if r % 2 == 0 {
            tp.push(pool_throughput(pool_n, 2));
            bp.push(pool_baseline(pool_n, 2));
        } else {
            bp.push(pool_baseline(pool_n, 2));
            tp.push(pool_throughput(pool_n, 2));
        }
    }
    let (tpm, bpm) = (median(&tp), median(&bp));
    let mut t = Table::new(
        &format!("Target 5: {pool_n} tiny tasks through a pool of two threads"),
        "From the first execute to the last on_post_execute; median of the rounds.",
        &["implementation", "k tasks/s", "vs baseline"],
    );
    t.row(vec![
        "AsyncTask on `ThreadPool`".into(),
        format!("{:.0}", tpm / 1e3),
        ratio(tpm, bpm),
    ]);
    t.row(vec![
        "baseline: crossbeam to 2 workers, `Looper::post` back".into(),
        format!("{:.0}", bpm / 1e3),
        ratio(bpm, bpm),
    ]);
    report.tables.push(t);
    report.verdict(
        "5",
        "AsyncTask pool throughput vs baseline",
        format!("{:.0} k/s ({})", tpm / 1e3, ratio(tpm, bpm)),
        "≥ 0.5×",
        tpm >= 0.5 * bpm,
    );

    // Target 6.
    let mut cl = Vec::new();
    let mut pl = Vec::new();
    for _ in 0..rounds.min(3) {
        cl.extend(cancel_latency(cancel_n));
        pl.extend(unpark_latency(cancel_n));
    }
    let (cl, pl) = (Dist::new(cl), Dist::new(pl));
    let mut t = Table::new(
        "Target 6: cancellation reaching a blocked background step",
        "Time from the `cancel(true)` call (another thread) to `Context::sleep(10 s)` having returned on the worker.",
        &["wait interrupted", "p50", "p99", "p50 / park", "samples"],
    );
    for (name, d) in [
        ("AsyncTask `cancel(true)` -> `Context::sleep`", &cl),
        ("`unpark` -> `park_timeout` (limit)", &pl),
    ] {
        t.row(vec![
            name.into(),
            us(d.p50()),
            us(d.p99()),
            ratio(d.p50() as f64, pl.p50() as f64),
            d.len().to_string(),
        ]);
    }
    report.tables.push(t);
    report.verdict(
        "6",
        "cancel(true) -> interruptible sleep returns, p50 vs park/unpark",
        format!(
            "{} ({})",
            us(cl.p50()),
            ratio(cl.p50() as f64, pl.p50() as f64)
        ),
        "≤ 1.2×",
        cl.p50() as f64 <= 1.2 * pl.p50() as f64,
    );

    // Target 7.
    let latest: Vec<Coalesced> = (0..rounds.min(3))
        .map(|_| progress_latest(progress_n))
        .collect();
    let ns = median(&latest.iter().map(|c| c.ns_per_call).collect::<Vec<_>>());
    let max_pending = latest.iter().map(|c| c.max_pending).max().unwrap_or(0);
    let last_ok = latest.iter().all(|c| c.last_delivered == progress_n - 1);
    let mut every = Vec::new();
    let mut raw = Vec::new();
    let mut lost = 0;
    for _ in 0..rounds.min(3) {
        let (rate, got) = progress_every(progress_n);
        every.push(rate);
        lost += progress_n - got;
        raw.push(throughput::throughput::<LooperExec>(1, progress_n));
    }
    let (em, rm) = (median(&every), median(&raw));
    let mut t = Table::new(
        &format!("Target 7: {progress_n} publish_progress calls from one task"),
        "Latest: ns per call timed on the worker, queue length sampled every 1024 calls. Every: updates \
         per second until on_post_execute, against one thread posting as many closures.",
        &["policy", "figure", "value"],
    );
    t.row(vec![
        "Latest".into(),
        "ns per publish_progress (median)".into(),
        format!("{ns:.1}"),
    ]);
    t.row(vec![
        "Latest".into(),
        "max pending UI messages seen".into(),
        max_pending.to_string(),
    ]);
    t.row(vec![
        "Latest".into(),
        "updates delivered per run (last value delivered?)".into(),
        format!(
            "{} ({})",
            latest
                .iter()
                .map(|c| c.delivered.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if last_ok { "yes" } else { "NO" }
        ),
    ]);
    t.row(vec![
        "Every (default)".into(),
        "M updates/s".into(),
        format!("{:.2}", em / 1e6),
    ]);
    t.row(vec![
        "Every (default)".into(),
        "updates lost".into(),
        lost.to_string(),
    ]);
    t.row(vec![
        "raw `Looper::post`, 1 producer".into(),
        "M msg/s".into(),
        format!("{:.2}", rm / 1e6),
    ]);
    report.tables.push(t);
    report.verdict(
        "7",
        "Latest policy: pending UI messages per task",
        format!("max {max_pending}"),
        "≤ 1",
        max_pending <= 1,
    );
    report.verdict(
        "7",
        "Latest policy: cost per publish_progress on the worker",
        format!("{ns:.1} ns"),
        "< 50 ns",
        ns < 50.0,
    );
    report.verdict(
        "7",
        "Every policy: throughput vs raw post (all updates arrive)",
        format!("{:.2} M/s ({}), {lost} lost", em / 1e6, ratio(em, rm)),
        "≥ 0.8×, 0 lost",
        em >= 0.8 * rm && lost == 0,
    );
}
