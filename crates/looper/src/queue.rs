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
//! Entries live in a slab; four lanes hold `(when, order, slot)` keys:
//! `immediate` is a FIFO of synchronous entries whose due time was "now" when
//! they were queued (a post with no delay, the hot path: O(1)); `timed` is a
//! min-heap of the other synchronous entries (delayed, absolute, front);
//! `asynchronous` and `barriers` are min-heaps of their own. Removing an entry
//! frees its slot and leaves a stale key behind; stale keys are skipped when
//! they reach a lane's head and all lanes are compacted once stale keys
//! outnumber live ones, so removal stays O(1) amortised and memory bounded.
//!
//! Times are `u64` ticks chosen by the caller; `0` is reserved for front
//! entries and `u64::MAX` means "never due".

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
    Immediate,
    Timed,
    Asynchronous,
    Barriers,
}

/// Identifies a queued entry: its slot and its unique sequence number.
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
    immediate: VecDeque<LaneKey>,
    timed: BinaryHeap<Reverse<LaneKey>>,
    asynchronous: BinaryHeap<Reverse<LaneKey>>,
    barriers: BinaryHeap<Reverse<LaneKey>>,
    next_seq: u64,
    live: usize,
    stale: usize,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue {
            slots: Vec::new(),
            free: Vec::new(),
            immediate: VecDeque::new(),
            timed: BinaryHeap::new(),
            asynchronous: BinaryHeap::new(),
            barriers: BinaryHeap::new(),
            next_seq: 0,
            live: 0,
            stale: 0,
        }
    }
}

impl<T> Queue<T> {
    /// Number of live entries (barriers included).
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Inserts `value` due at `when`. `immediate` says the caller computed
    /// `when` as "now" (no delay), which lets the entry take the O(1) lane
    /// when that keeps the lane sorted.
    pub(crate) fn push(&mut self, when: u64, kind: Kind, immediate: bool, value: T) -> Key {
        let seq = self.next_seq;
        self.next_seq += 1;
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
                // The FIFO lane stays sorted only if the new key is not smaller
                // than its tail; a clock read before a concurrent poster's can
                // arrive later, so check rather than assume.
                let fits = immediate
                    && when != FRONT
                    && self.immediate.back().map_or(true, |tail| *tail <= lane_key);
                if fits {
                    self.immediate.push_back(lane_key);
                    Lane::Immediate
                } else {
                    self.timed.push(Reverse(lane_key));
                    Lane::Timed
                }
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
        while let Some(k) = self.immediate.front() {
            if self.is_live(k) {
                break;
            }
            self.immediate.pop_front();
            self.stale -= 1;
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
        let imm = self.immediate.front().copied();
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
        let k = self.select(now).ok()?;
        let seq = match &self.slots[k.slot as usize] {
            Slot::Occupied(o) => o.seq,
            Slot::Free => unreachable!("select returns live keys only"),
        };
        if seq >= seq_limit {
            return None;
        }
        let occupied = self.take_slot(k.slot);
        // Pop the key from its lane: it is the head of that lane.
        match occupied.lane {
            Lane::Immediate => {
                self.immediate.pop_front();
            }
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

    /// The sequence number the next pushed entry will get.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq
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
        self.maybe_compact();
        removed
    }

    /// Whether any live entry satisfies `pred`.
    pub(crate) fn any(&self, mut pred: impl FnMut(Kind, u64, &T) -> bool) -> bool {
        self.slots.iter().any(|s| match s {
            Slot::Occupied(o) => pred(o.kind, o.when, &o.value),
            Slot::Free => false,
        })
    }

    /// The latest due time among live messages (barriers and never-due
    /// entries excluded).
    #[cfg(feature = "test-util")]
    pub(crate) fn last_when(&self) -> Option<u64> {
        self.slots
            .iter()
            .filter_map(|s| match s {
                Slot::Occupied(o) if o.kind != Kind::Barrier && o.when != u64::MAX => Some(o.when),
                _ => None,
            })
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
        all.sort_by_key(|e| e.0);
        all.into_iter()
            .map(|(k, seq, kind, v)| (k.when, seq, kind, v))
            .collect()
    }

    /// Rebuilds the lanes without stale keys once they outnumber live ones,
    /// so that removal stays O(1) amortised and memory stays bounded.
    fn maybe_compact(&mut self) {
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
        self.immediate.retain(|k| live(k));
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
        self.immediate.clear();
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
