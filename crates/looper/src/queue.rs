//! The time-ordered message queue, as a plain single-threaded data structure.
//!
//! # Contract (SEMANTICS Q2, Q3, Q4, Q5, Q7, Q9)
//!
//! * Entries are delivered in ascending due time; entries with equal due
//!   times are delivered in insertion order (FIFO).
//! * Front entries (due time [`FRONT`]) come before every other entry and
//!   among themselves run last-in first-out.
//! * A sync barrier stalls every synchronous entry ordered after it, once it is
//!   the first due element; asynchronous entries keep flowing in due order.
//! * Removal by key is effective at once and costs O(1) plus amortised
//!   clean-up; nothing here is O(n) per insert or per removal by key.
//!
//! # How
//!
//! Undelayed synchronous posts (the hot path) live in `fifo`, a deque of
//! `(when, seq, payload)` sorted by both `when` and `seq`: O(1) to append and
//! to pop, O(log n) to find by sequence number for removal (the entry becomes
//! a tombstone). Such an entry is due by construction (its `when` is a past
//! clock reading), so the looper need not read the clock to dispatch it.
//!
//! Everything else lives in a slab, with three min-heaps of
//! `(when, order, slot)` keys: `timed` (delayed, absolute and front
//! synchronous entries), `asynchronous` and `barriers`. Removing a slab entry
//! frees its slot and leaves a stale key behind; stale keys are skipped when
//! they reach a heap's top, and the heaps are compacted once stale keys
//! outnumber live ones, so removal stays O(1) amortised and memory bounded.
//!
//! Times are `u64` ticks chosen by the caller; `0` is reserved for front
//! entries and `u64::MAX` means "never due". Sequence numbers are chosen by
//! the caller too (the looper draws them from one counter for all lanes), so
//! that FIFO ties hold across lanes.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

/// The due time of front-of-queue entries (Q3, Q4).
pub(crate) const FRONT: u64 = 0;

/// What kind of entry a slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An ordinary message; stalled by a due barrier.
    Sync,
    /// A message that passes barriers (Q9).
    Async,
    /// A sync barrier: never delivered, only removed.
    Barrier,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    Timed,
    Asynchronous,
    Barriers,
}

/// The `slot` of keys naming entries of the FIFO lane.
pub(crate) const FIFO_SLOT: u32 = u32::MAX;

/// Identifies a queued entry: its slot (or [`FIFO_SLOT`]) and its unique
/// sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) slot: u32,
    pub(crate) seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LaneKey {
    when: u64,
    /// Sequence number, inverted for front entries so that they run LIFO.
    order: u64,
    slot: u32,
}

impl Ord for LaneKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.when, self.order).cmp(&(other.when, other.order))
    }
}

impl PartialOrd for LaneKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

struct Occupied<T> {
    seq: u64,
    when: u64,
    kind: Kind,
    lane: Lane,
    value: T,
}

enum Slot<T> {
    Occupied(Occupied<T>),
    Free,
}

/// An entry of the FIFO lane; `value` is `None` once removed (a tombstone
/// until it reaches the front).
struct FifoEntry<T> {
    when: u64,
    seq: u64,
    value: Option<T>,
}

/// One entry as returned by [`Queue::pop_due`] and friends.
pub(crate) struct Popped<T> {
    pub(crate) key: Key,
    pub(crate) when: u64,
    pub(crate) value: T,
}

/// What the head of the queue looks like at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Head {
    /// Something is deliverable now.
    Due,
    /// Nothing is deliverable now; the earliest deliverable entry is due then.
    Later(u64),
    /// Nothing is deliverable until a barrier is removed; an asynchronous
    /// entry (if any) is due at the given time.
    Stalled(Option<u64>),
    /// No entries at all (barriers count as entries).
    Empty,
}

/// The queue. `T` is the payload; the looper stores jobs, tests store numbers.
pub(crate) struct Queue<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    fifo: VecDeque<FifoEntry<T>>,
    fifo_live: usize,
    timed: BinaryHeap<Reverse<LaneKey>>,
    asynchronous: BinaryHeap<Reverse<LaneKey>>,
    barriers: BinaryHeap<Reverse<LaneKey>>,
    live: usize,
    stale: usize,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue {
            slots: Vec::new(),
            free: Vec::new(),
            fifo: VecDeque::new(),
            fifo_live: 0,
            timed: BinaryHeap::new(),
            asynchronous: BinaryHeap::new(),
            barriers: BinaryHeap::new(),
            live: 0,
            stale: 0,
        }
    }
}

impl<T> Queue<T> {
    /// Number of live entries (barriers included).
    pub(crate) fn len(&self) -> usize {
        self.live + self.fifo_live
    }

    /// Appends an undelayed synchronous entry to the FIFO lane. The caller
    /// guarantees `seq` is larger than every FIFO entry's; `when` is clamped
    /// up to the tail's so the lane stays sorted (the entry is due now either
    /// way, and the clamped time lies between the caller's clock read and
    /// this call).
    pub(crate) fn push_fifo(&mut self, seq: u64, when: u64, value: T) -> Key {
        let when = match self.fifo.back() {
            Some(tail) => {
                debug_assert!(tail.seq < seq, "FIFO sequence numbers must grow");
                when.max(tail.when)
            }
            None => when,
        };
        self.fifo.push_back(FifoEntry {
            when,
            seq,
            value: Some(value),
        });
        self.fifo_live += 1;
        Key {
            slot: FIFO_SLOT,
            seq,
        }
    }

    fn fifo_index(&self, seq: u64) -> Option<usize> {
        let i = self.fifo.binary_search_by_key(&seq, |e| e.seq).ok()?;
        self.fifo[i].value.is_some().then_some(i)
    }

    /// Inserts `value` due at `when` into the slab lanes.
    pub(crate) fn push(&mut self, seq: u64, when: u64, kind: Kind, value: T) -> Key {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(Slot::Free);
                u32::try_from(self.slots.len() - 1).expect("more than u32::MAX pending entries")
            }
        };
        let order = if when == FRONT { u64::MAX - seq } else { seq };
        let lane_key = LaneKey { when, order, slot };
        let lane = match kind {
            Kind::Async => {
                self.asynchronous.push(Reverse(lane_key));
                Lane::Asynchronous
            }
            Kind::Barrier => {
                self.barriers.push(Reverse(lane_key));
                Lane::Barriers
            }
            Kind::Sync => {
                self.timed.push(Reverse(lane_key));
                Lane::Timed
            }
        };
        self.slots[slot as usize] = Slot::Occupied(Occupied {
            seq,
            when,
            kind,
            lane,
            value,
        });
        self.live += 1;
        Key { slot, seq }
    }

    fn is_live(&self, key: &LaneKey) -> bool {
        match &self.slots[key.slot as usize] {
            Slot::Occupied(o) => {
                let order = if o.when == FRONT {
                    u64::MAX - o.seq
                } else {
                    o.seq
                };
                order == key.order && o.when == key.when
            }
            Slot::Free => false,
        }
    }

    /// Drops stale keys sitting at the heads of the lanes.
    fn clean_heads(&mut self) {
        while self.fifo.front().is_some_and(|e| e.value.is_none()) {
            self.fifo.pop_front();
        }
        for lane in [Lane::Timed, Lane::Asynchronous, Lane::Barriers] {
            loop {
                let heap = match lane {
                    Lane::Timed => &self.timed,
                    Lane::Asynchronous => &self.asynchronous,
                    _ => &self.barriers,
                };
                match heap.peek() {
                    Some(Reverse(k)) if !self.is_live(k) => {}
                    _ => break,
                }
                match lane {
                    Lane::Timed => self.timed.pop(),
                    Lane::Asynchronous => self.asynchronous.pop(),
                    _ => self.barriers.pop(),
                };
                self.stale -= 1;
            }
        }
    }

    /// The smallest live key among the lanes; call after `clean_heads`.
    fn heads(&self) -> (Option<LaneKey>, Option<LaneKey>, Option<LaneKey>) {
        let imm = self.fifo.front().map(|e| LaneKey {
            when: e.when,
            order: e.seq,
            slot: FIFO_SLOT,
        });
        let timed = self.timed.peek().map(|r| r.0);
        let sync = match (imm, timed) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let asynchronous = self.asynchronous.peek().map(|r| r.0);
        let barrier = self.barriers.peek().map(|r| r.0);
        (sync, asynchronous, barrier)
    }

    /// Picks the next deliverable entry at `now` without removing it.
    fn select(&mut self, now: u64) -> Result<LaneKey, Head> {
        self.clean_heads();
        // A FIFO entry's due time is a clock reading already taken, so time
        // has reached at least that far even if the caller's `now` is older.
        let now = self.fifo.front().map_or(now, |e| now.max(e.when));
        let (sync, asynchronous, barrier) = self.heads();
        let message_head = match (sync, asynchronous) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match (barrier, message_head) {
            (Some(b), head) if b.when <= now && head.map_or(true, |h| b < h) => {
                // A due barrier is the first element: only async entries pass.
                match asynchronous {
                    Some(a) if a.when <= now => Ok(a),
                    Some(a) => Err(Head::Stalled(Some(a.when))),
                    None => Err(Head::Stalled(None)),
                }
            }
            (barrier, Some(h)) => {
                if h.when <= now {
                    Ok(h)
                } else {
                    // A barrier not yet due still stalls once it becomes due.
                    let next = barrier.map_or(h.when, |b| b.when.min(h.when));
                    Err(Head::Later(next))
                }
            }
            (Some(b), None) => Err(Head::Later(b.when)),
            (None, None) => Err(Head::Empty),
        }
    }

    /// Describes the head at `now` (Q5, Q7).
    pub(crate) fn head(&mut self, now: u64) -> Head {
        match self.select(now) {
            Ok(_) => Head::Due,
            Err(head) => head,
        }
    }

    /// Removes and returns the next deliverable entry at `now`, but only if
    /// its sequence number is below `seq_limit` (entries queued after a pump
    /// began wait for the next pump).
    pub(crate) fn pop_due(&mut self, now: u64, seq_limit: u64) -> Option<Popped<T>> {
        self.pop_due_if(now, seq_limit, |_, _| true)
    }

    /// [`pop_due`](Self::pop_due), but only if `accept` agrees with the
    /// chosen entry's key; the looper uses it to take FIFO and front entries
    /// without first moving its inbox in.
    pub(crate) fn pop_due_if(
        &mut self,
        now: u64,
        seq_limit: u64,
        accept: impl FnOnce(Key, u64) -> bool,
    ) -> Option<Popped<T>> {
        let k = self.select(now).ok()?;
        let seq = match self.slots.get(k.slot as usize) {
            _ if k.slot == FIFO_SLOT => k.order,
            Some(Slot::Occupied(o)) => o.seq,
            _ => unreachable!("select returns live keys only"),
        };
        if seq >= seq_limit || !accept(Key { slot: k.slot, seq }, k.when) {
            return None;
        }
        if k.slot == FIFO_SLOT {
            let e = self
                .fifo
                .pop_front()
                .expect("select returned the FIFO head");
            self.fifo_live -= 1;
            return Some(Popped {
                key: Key {
                    slot: FIFO_SLOT,
                    seq: e.seq,
                },
                when: e.when,
                value: e.value.expect("clean_heads removed tombstones"),
            });
        }
        let occupied = self.take_slot(k.slot);
        // Pop the key from its lane: it is the head of that lane.
        match occupied.lane {
            Lane::Timed => {
                self.timed.pop();
            }
            Lane::Asynchronous => {
                self.asynchronous.pop();
            }
            Lane::Barriers => {
                self.barriers.pop();
            }
        }
        Some(Popped {
            key: Key {
                slot: k.slot,
                seq: occupied.seq,
            },
            when: occupied.when,
            value: occupied.value,
        })
    }

    fn take_slot(&mut self, slot: u32) -> Occupied<T> {
        let taken = std::mem::replace(&mut self.slots[slot as usize], Slot::Free);
        self.free.push(slot);
        self.live -= 1;
        match taken {
            Slot::Occupied(o) => o,
            Slot::Free => unreachable!("take_slot on a free slot"),
        }
    }

    /// Removes the entry `key` names, if it is still queued.
    pub(crate) fn remove(&mut self, key: Key) -> Option<Popped<T>> {
        if key.slot == FIFO_SLOT {
            let i = self.fifo_index(key.seq)?;
            let e = &mut self.fifo[i];
            let value = e.value.take()?;
            let when = e.when;
            self.fifo_live -= 1;
            self.maybe_compact();
            return Some(Popped { key, when, value });
        }
        match self.slots.get(key.slot as usize) {
            Some(Slot::Occupied(o)) if o.seq == key.seq => {}
            _ => return None,
        }
        let o = self.take_slot(key.slot);
        self.stale += 1;
        self.maybe_compact();
        Some(Popped {
            key,
            when: o.when,
            value: o.value,
        })
    }

    /// Whether the entry `key` names is still queued.
    pub(crate) fn contains(&self, key: Key) -> bool {
        if key.slot == FIFO_SLOT {
            return self.fifo_index(key.seq).is_some();
        }
        matches!(self.slots.get(key.slot as usize), Some(Slot::Occupied(o)) if o.seq == key.seq)
    }

    /// Removes every entry (barriers included) for which `pred` is true.
    pub(crate) fn remove_if(&mut self, mut pred: impl FnMut(Kind, u64, &T) -> bool) -> Vec<T> {
        let mut removed = Vec::new();
        for slot in 0..self.slots.len() {
            let hit = match &self.slots[slot] {
                Slot::Occupied(o) => pred(o.kind, o.when, &o.value),
                Slot::Free => false,
            };
            if hit {
                removed.push(self.take_slot(slot as u32).value);
                self.stale += 1;
            }
        }
        for e in self.fifo.iter_mut() {
            if e.value
                .as_ref()
                .is_some_and(|v| pred(Kind::Sync, e.when, v))
            {
                removed.extend(e.value.take());
                self.fifo_live -= 1;
            }
        }
        self.maybe_compact();
        removed
    }

    /// Whether any live entry satisfies `pred`.
    pub(crate) fn any(&self, mut pred: impl FnMut(Kind, u64, &T) -> bool) -> bool {
        self.slots.iter().any(|s| match s {
            Slot::Occupied(o) => pred(o.kind, o.when, &o.value),
            Slot::Free => false,
        }) || self.fifo.iter().any(|e| {
            e.value
                .as_ref()
                .is_some_and(|v| pred(Kind::Sync, e.when, v))
        })
    }

    /// The latest due time among live messages (barriers and never-due
    /// entries excluded).
    #[cfg(feature = "test-util")]
    pub(crate) fn last_when(&self) -> Option<u64> {
        let fifo = self
            .fifo
            .iter()
            .rev()
            .find(|e| e.value.is_some())
            .map(|e| e.when);
        self.slots
            .iter()
            .filter_map(|s| match s {
                Slot::Occupied(o) if o.kind != Kind::Barrier && o.when != u64::MAX => Some(o.when),
                _ => None,
            })
            .chain(fifo)
            .max()
    }

    /// Every live entry in delivery order (ignoring barriers' stalling).
    pub(crate) fn snapshot(&self) -> Vec<(u64, u64, Kind, &T)> {
        let mut all: Vec<(LaneKey, u64, Kind, &T)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(slot, s)| match s {
                Slot::Occupied(o) => {
                    let order = if o.when == FRONT {
                        u64::MAX - o.seq
                    } else {
                        o.seq
                    };
                    let k = LaneKey {
                        when: o.when,
                        order,
                        slot: slot as u32,
                    };
                    Some((k, o.seq, o.kind, &o.value))
                }
                Slot::Free => None,
            })
            .collect();
        all.extend(self.fifo.iter().filter_map(|e| {
            let v = e.value.as_ref()?;
            let k = LaneKey {
                when: e.when,
                order: e.seq,
                slot: FIFO_SLOT,
            };
            Some((k, e.seq, Kind::Sync, v))
        }));
        all.sort_by_key(|e| e.0);
        all.into_iter()
            .map(|(k, seq, kind, v)| (k.when, seq, kind, v))
            .collect()
    }

    /// Rebuilds the lanes without stale keys once they outnumber live ones,
    /// so that removal stays O(1) amortised and memory stays bounded.
    fn maybe_compact(&mut self) {
        if self.fifo.len() > 2 * self.fifo_live + 64 {
            self.fifo.retain(|e| e.value.is_some());
        }
        if self.stale <= self.live + 64 {
            return;
        }
        let slots = &self.slots;
        let live = |k: &LaneKey| match &slots[k.slot as usize] {
            Slot::Occupied(o) => {
                let order = if o.when == FRONT {
                    u64::MAX - o.seq
                } else {
                    o.seq
                };
                order == k.order && o.when == k.when
            }
            Slot::Free => false,
        };
        for heap in [&mut self.timed, &mut self.asynchronous, &mut self.barriers] {
            let kept: Vec<_> = std::mem::take(heap)
                .into_vec()
                .into_iter()
                .filter(|r| live(&r.0))
                .collect();
            *heap = BinaryHeap::from(kept);
        }
        self.stale = 0;
        // Give memory back after a burst: keep at most twice what is live.
        if self.live == 0 {
            self.slots.clear();
            self.free.clear();
            self.slots.shrink_to(64);
            self.free.shrink_to(64);
        }
    }

    /// Removes everything, returning the payloads in no particular order.
    pub(crate) fn drain_all(&mut self) -> Vec<T> {
        let out = self.remove_if(|_, _, _| true);
        self.fifo.clear();
        self.timed.clear();
        self.asynchronous.clear();
        self.barriers.clear();
        self.stale = 0;
        out
    }
}

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;
