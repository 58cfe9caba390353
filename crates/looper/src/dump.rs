//! Debugging snapshots of a looper's queue: [`Looper::dump`].

use crate::queue::{Kind, FRONT};
use crate::Looper;
use std::fmt;
use std::time::Instant;

impl Looper {
    /// A snapshot of every pending entry in delivery order, for debugging.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// local.looper().post_delayed(|| (), std::time::Duration::from_secs(5)).unwrap();
    /// let dump = local.looper().dump();
    /// assert_eq!(dump.entries.len(), 1);
    /// assert!(dump.to_string().contains("closure"));
    /// ```
    pub fn dump(&self) -> Dump {
        let now = self.now();
        let st = self.shared.lock();
        let entries = st
            .queue
            .snapshot()
            .into_iter()
            .map(|(when, seq, kind, job)| DumpEntry {
                due: match when {
                    FRONT => Due::Front,
                    u64::MAX => Due::Never,
                    t => match self.shared.instant_of(t) {
                        Some(i) => Due::At(i),
                        None => Due::Never,
                    },
                },
                sequence: seq,
                barrier: kind == Kind::Barrier,
                description: format!("{job:?}"),
            })
            .collect();
        Dump {
            looper: self.shared.id,
            name: self.shared.config.name.clone(),
            now,
            quitting: st.quit.is_some(),
            entries,
        }
    }
}

/// When a dumped entry is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Posted at the front of the queue.
    Front,
    /// Due at this instant of the looper's clock.
    At(Instant),
    /// Never due (an unrepresentably long delay).
    Never,
}

/// One pending entry in a [`Dump`].
#[derive(Debug, Clone)]
pub struct DumpEntry {
    /// When it is due.
    pub due: Due,
    /// Insertion sequence number (as [`Token::sequence`](crate::Token::sequence)).
    pub sequence: u64,
    /// Whether this is a sync barrier.
    pub barrier: bool,
    /// The job's description.
    pub description: String,
}

/// The pending entries of a looper, from [`Looper::dump`]. `Display` prints
/// one line per entry with its due time relative to now.
#[derive(Debug, Clone)]
pub struct Dump {
    /// The looper's id.
    pub looper: u64,
    /// The looper's name.
    pub name: Option<String>,
    /// The clock reading the dump was taken at.
    pub now: Instant,
    /// Whether the looper is quitting.
    pub quitting: bool,
    /// Entries in delivery order.
    pub entries: Vec<DumpEntry>,
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "looper #{} {:?}: {} pending{}",
            self.looper,
            self.name.as_deref().unwrap_or("-"),
            self.entries.len(),
            if self.quitting { " (quitting)" } else { "" }
        )?;
        for e in &self.entries {
            let due = match e.due {
                Due::Front => "front".to_string(),
                Due::Never => "never".to_string(),
                Due::At(t) if t >= self.now => format!("in {:?}", t - self.now),
                Due::At(t) => format!("{:?} ago", self.now - t),
            };
            writeln!(f, "  #{:<8} {:<16} {}", e.sequence, due, e.description)?;
        }
        Ok(())
    }
}
