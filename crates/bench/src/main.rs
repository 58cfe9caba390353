//! Side-by-side benchmarks of `looper` against its peers (PERFORMANCE.md).
//!
//! ```text
//! cargo run --release -p looper-bench -- [--smoke] [--only <scenario>] [--rounds N] [--plot FILE]
//!     [--filter NAME]
//! ```
//!
//! One process runs the project and its peers in interleaved rounds (every
//! implementation once per round, the starting one rotating), then prints a
//! markdown table per scenario with medians, p99 and ratios against the
//! named baseline, and a verdict per PERFORMANCE.md target. Benchmarks never
//! assert on time: a missed target prints FAIL and the exit status stays 0.
//! Only a scenario that hangs (60 s in smoke mode, 600 s otherwise) ends the
//! run, with exit status 3.
#![forbid(unsafe_code)]

mod delayed;
mod idle;
mod impls;
mod latency;
mod memory;
mod plot;
mod report;
mod scenarios;
mod stats;
#[cfg(feature = "asynctask")]
mod tasks;
mod throughput;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Command-line options.
#[derive(Debug, Clone)]
pub struct Opts {
    /// Short sizes for CI: finishes in seconds.
    pub smoke: bool,
    /// Run one scenario only.
    pub only: Option<String>,
    /// Rounds per scenario.
    pub rounds: usize,
    /// Where to write the latency SVG.
    pub plot: Option<String>,
    /// Run only the implementations whose name contains this (for profiling).
    pub filter: Option<String>,
}

const SCENARIOS: &[&str] = &[
    "memory",
    "idle",
    "delayed",
    "latency",
    "wake",
    "throughput",
    "tasks",
];

fn usage() -> String {
    format!(
        "usage: looper-bench [--smoke] [--only <{}>] [--rounds N] [--plot FILE.svg] [--filter NAME]",
        SCENARIOS.join("|")
    )
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut opts = Opts {
        smoke: false,
        only: None,
        rounds: 0,
        plot: None,
        filter: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--smoke" => opts.smoke = true,
            "--only" => {
                let s = it.next().ok_or("--only needs a scenario")?;
                if !SCENARIOS.contains(&s.as_str()) {
                    return Err(format!("unknown scenario {s:?}"));
                }
                opts.only = Some(s.clone());
            }
            "--rounds" => {
                let n = it.next().ok_or("--rounds needs a number")?;
                opts.rounds = n
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(format!("--rounds wants a positive number, not {n:?}"))?;
            }
            "--filter" => opts.filter = Some(it.next().ok_or("--filter needs a name")?.clone()),
            "--plot" => opts.plot = Some(it.next().ok_or("--plot needs a file")?.clone()),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if opts.rounds == 0 {
        opts.rounds = if opts.smoke { 1 } else { 5 };
    }
    Ok(opts)
}

type Watch = Arc<Mutex<Option<(&'static str, Instant)>>>;

/// Ends the process with a message when a scenario overruns its deadline:
/// an implementation that loses a wake-up would otherwise hang the run (and
/// CI) forever. The only exit a benchmark takes on its own.
fn watchdog() -> Watch {
    let watch: Watch = Arc::new(Mutex::new(None));
    let w = watch.clone();
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(500));
        let current = *w.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((name, deadline)) = current {
            if Instant::now() > deadline {
                eprintln!(
                    "looper-bench: scenario {name:?} did not finish in time; \
                     an implementation under test is stuck (lost wake-up?)"
                );
                std::process::exit(3);
            }
        }
    });
    watch
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child-rss") {
        let kind = args.get(1).map_or("looper-empty", String::as_str);
        let n = args
            .get(2)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1_000_000);
        let (rss, heap) = memory::child_rss(kind, n);
        println!("{rss} {heap}");
        return;
    }
    let opts = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("{e}");
            }
            eprintln!("{}", usage());
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let mut report = report::Report::default();
    let watch = watchdog();
    let limit = Duration::from_secs(if opts.smoke { 60 } else { 600 });
    for &name in SCENARIOS {
        if opts.only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let t = Instant::now();
        eprintln!("running {name} ...");
        *watch.lock().unwrap_or_else(|e| e.into_inner()) = Some((name, t + limit));
        scenarios::run(name, &opts, &mut report);
        eprintln!("  {name}: {:.1} s", t.elapsed().as_secs_f64());
    }
    *watch.lock().unwrap_or_else(|e| e.into_inner()) = None;
    println!(
        "## looper-bench results ({} mode, {} round(s))\n",
        if opts.smoke { "smoke" } else { "full" },
        opts.rounds
    );
    for t in &report.tables {
        println!("{}", t.markdown());
    }
    // A filtered run lacks the baselines the verdicts compare against.
    if !report.verdicts.is_empty() && opts.filter.is_none() {
        println!("{}", report.verdicts_markdown());
    }
    println!("_Total run time {:.1} s._", started.elapsed().as_secs_f64());
    if let Some(path) = &opts.plot {
        if report.panels.is_empty() {
            eprintln!("no latency distributions in this run; {path} not written");
        } else if let Err(e) = std::fs::write(path, plot::svg(&report.panels)) {
            eprintln!("cannot write {path}: {e}");
        } else {
            eprintln!("wrote {path}");
        }
    }
}
