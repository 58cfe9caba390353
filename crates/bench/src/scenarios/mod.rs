//! The scenarios: sizes, interleaved rounds, tables and verdicts.

mod channels;
mod queue;
#[cfg(feature = "asynctask")]
mod tasks;

use crate::latency::Placement;
use crate::report::Report;
use crate::stats::Dist;
use crate::Opts;

pub(crate) type Bench<T> = (String, Box<dyn Fn() -> T>);

/// Runs every bench once per round, rotating which goes first, and returns
/// each bench's results in round order.
pub(crate) fn interleave<T>(rounds: usize, benches: &[Bench<T>]) -> Vec<Vec<T>> {
    let k = benches.len();
    let mut out: Vec<Vec<T>> = (0..k).map(|_| Vec::with_capacity(rounds)).collect();
    for r in 0..rounds {
        for j in 0..k {
            let i = (r + j) % k;
            out[i].push((benches[i].1)());
        }
    }
    out
}

/// Runs one scenario by name.
pub fn run(name: &str, opts: &Opts, report: &mut Report) {
    match name {
        "memory" => queue::memory_scenario(opts, report),
        "idle" => queue::idle_scenario(opts, report),
        "delayed" => queue::delayed_scenario(opts, report),
        "latency" => {
            channels::latency_scenario(opts, report, Placement::AcrossCores);
            channels::latency_scenario(opts, report, Placement::OneCore);
        }
        "wake" => channels::wake_scenario(opts, report),
        "throughput" => channels::throughput_scenario(opts, report),
        "tasks" => tasks_scenario(opts, report),
        _ => unreachable!("scenario names are checked when parsing"),
    }
}

/// A named bench.
pub(crate) fn bench<T: 'static>(name: &str, f: impl Fn() -> T + 'static) -> Bench<T> {
    (name.to_string(), Box::new(f))
}

/// Keeps the benches whose name contains `--filter` (all without one).
pub(crate) fn keep<T>(benches: Vec<Bench<T>>, opts: &Opts) -> Vec<Bench<T>> {
    match &opts.filter {
        Some(f) => benches
            .into_iter()
            .filter(|(n, _)| n.contains(f.as_str()))
            .collect(),
        None => benches,
    }
}

static EMPTY: Dist = Dist::empty();

/// The named result; an empty distribution (ratios print as "–") when a
/// filter left it out.
pub(crate) fn find<'a>(names: &'a [(String, Dist)], name: &str) -> &'a Dist {
    names
        .iter()
        .find(|(n, _)| n == name)
        .map_or(&EMPTY, |(_, d)| d)
}

#[cfg(feature = "asynctask")]
fn tasks_scenario(opts: &Opts, report: &mut Report) {
    tasks::run(opts, report);
}

#[cfg(not(feature = "asynctask"))]
fn tasks_scenario(_opts: &Opts, report: &mut Report) {
    report.tables.push(crate::report::Table::new(
        "Targets 5-7: AsyncTask",
        "Not measured: looper-bench was built without the `asynctask` feature.",
        &["status"],
    ));
}
