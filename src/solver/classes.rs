//! Rate classes: exact rejection-free selection whose cost does not grow with system size.
//!
//! Every event instance belongs to one *class*: the events of one rule with the same barrier
//! (bit for bit), hence the same rate at any temperature and flux. A class holds its members
//! in a dense array, so inserting and removing a member is O(1) (swap-remove, with the moved
//! member's back-pointer fixed by the caller). Selection picks a class with probability
//! proportional to `members × rate` and then a member uniformly.
//!
//! The per-member rate of a class is set by the engine for the current time window (the
//! rate at the window's bound environment, see [`crate::engine`]), so a change of
//! temperature costs O(classes), not O(events). Class totals are recomputed from the member
//! counts whenever they are needed, never accumulated, so the total cannot drift.
//!
//! Selection scans the classes: the models of this project have tens to a few hundred
//! classes, and the scan is a few multiply-adds per class. Models with many thousands of
//! classes would want a [`super::sum_tree::SumTree`] over class totals instead.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Index of a rate class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId(pub u32);

impl ClassId {
    /// The "no class" marker of inactive event slots.
    pub const NONE: ClassId = ClassId(u32::MAX);

    /// The index as `usize`.
    #[inline]
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A member of a class: a 32-bit handle chosen by the user of the classes (the engine uses
/// the index of the event's slot record, which makes a member 4 bytes and lets a removal
/// fix the moved member's back-pointer without any other look-up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventRef(pub u32);

/// What defines a class: the scaling group (the rule, and the region when rates are scaled
/// per region) and the barrier bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClassKey {
    /// Group index: `rule + n_rules × region` (the rule itself with one region).
    pub group: u32,
    /// `f64::to_bits` of the barrier [eV] (0 for athermal rules).
    pub barrier_bits: u64,
}

/// A fast, deterministic hasher for class keys (FNV-1a over the two words; the keys are
/// small and not adversarial).
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        // final avalanche (splitmix64) so that the low bits used by the table are mixed.
        let mut z = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0 ^ u64::from(i)).wrapping_mul(0x0100_0000_01b3);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x0100_0000_01b3);
    }
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i.cast_unsigned());
    }
}

/// The set of rate classes with their members.
#[derive(Debug, Clone, Default)]
pub struct RateClasses {
    keys: Vec<ClassKey>,
    barriers: Vec<f64>,
    members: Vec<Vec<EventRef>>,
    /// Per-member rate of each class for the current window [s⁻¹].
    rates: Vec<f64>,
    index: HashMap<ClassKey, ClassId, BuildHasherDefault<KeyHasher>>,
    /// Per group, its classes as (barrier bits, id): searched linearly while short, which
    /// beats hashing for the few barriers a bond-counting rule takes.
    by_group: Vec<Vec<(u64, ClassId)>>,
}

/// Longest per-rule list searched linearly before the hash map is used.
const LINEAR_LOOKUP: usize = 24;

impl RateClasses {
    /// An empty set of classes.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of classes (empty ones included: classes are never deleted, so ids are
    /// stable for a run).
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there is no class.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The class of `key`, if it exists.
    #[inline]
    #[must_use]
    pub fn find(&self, key: ClassKey) -> Option<ClassId> {
        match self.by_group.get(key.group as usize) {
            Some(list) if list.len() <= LINEAR_LOOKUP => list
                .iter()
                .find(|(bits, _)| *bits == key.barrier_bits)
                .map(|(_, id)| *id),
            Some(_) => self.index.get(&key).copied(),
            None => None,
        }
    }

    /// The class of `key`, created with per-member rate `rate` if new. Returns the id and
    /// whether it was created.
    ///
    /// # Panics
    /// If there would be 2^32 classes or more (class ids are `u32`).
    pub fn find_or_insert(&mut self, key: ClassKey, barrier: f64, rate: f64) -> (ClassId, bool) {
        if let Some(id) = self.find(key) {
            return (id, false);
        }
        let id = ClassId(u32::try_from(self.keys.len()).expect("fewer than 2^32 classes"));
        self.keys.push(key);
        self.barriers.push(barrier);
        self.members.push(Vec::new());
        self.rates.push(rate);
        self.index.insert(key, id);
        let group = key.group as usize;
        if self.by_group.len() <= group {
            self.by_group.resize(group + 1, Vec::new());
        }
        self.by_group[group].push((key.barrier_bits, id));
        (id, true)
    }

    /// Key of a class.
    #[inline]
    #[must_use]
    pub fn key(&self, class: ClassId) -> ClassKey {
        self.keys[class.index()]
    }

    /// Barrier of a class [eV].
    #[inline]
    #[must_use]
    pub fn barrier(&self, class: ClassId) -> f64 {
        self.barriers[class.index()]
    }

    /// Members of a class.
    #[inline]
    #[must_use]
    pub fn members(&self, class: ClassId) -> &[EventRef] {
        &self.members[class.index()]
    }

    /// Per-member rate of a class [s⁻¹].
    #[inline]
    #[must_use]
    pub fn rate(&self, class: ClassId) -> f64 {
        self.rates[class.index()]
    }

    /// Sets the per-member rate of a class [s⁻¹].
    ///
    /// # Panics
    /// If the rate is not finite or negative: the engine validates rates before this.
    #[inline]
    pub fn set_rate(&mut self, class: ClassId, rate: f64) {
        assert!(
            rate.is_finite() && rate >= 0.0,
            "class rates are finite and non-negative"
        );
        self.rates[class.index()] = rate;
    }

    /// Adds a member; returns its position in the class.
    ///
    /// # Panics
    /// If the class would have 2^32 members or more (positions are `u32`).
    #[inline]
    pub fn push(&mut self, class: ClassId, event: EventRef) -> u32 {
        let m = &mut self.members[class.index()];
        if m.len() == m.capacity() {
            // grow by a quarter (still amortised O(1)) rather than doubling: member arrays
            // hold most of the memory of dense systems.
            m.reserve_exact((m.len() / 4).max(16));
        }
        m.push(event);
        u32::try_from(m.len() - 1).expect("fewer than 2^32 members in a class")
    }

    /// Removes the member at `position`. If another member moved into its place, returns
    /// it, so that the caller can update that member's back-pointer to `position`.
    #[inline]
    pub fn remove(&mut self, class: ClassId, position: u32) -> Option<EventRef> {
        let m = &mut self.members[class.index()];
        m.swap_remove(position as usize);
        m.get(position as usize).copied()
    }

    /// Total rate Σ members × rate [s⁻¹], recomputed exactly from the counts.
    #[must_use]
    // member counts are far below 2^52, so `usize as f64` is exact.
    #[allow(clippy::cast_precision_loss)]
    pub fn total(&self) -> f64 {
        self.members
            .iter()
            .zip(&self.rates)
            .map(|(m, &r)| m.len() as f64 * r)
            .sum()
    }

    /// Number of events over all classes.
    #[must_use]
    pub fn event_count(&self) -> usize {
        self.members.iter().map(Vec::len).sum()
    }

    /// The class whose cumulative total interval contains `target` (in `[0, total)`);
    /// classes with no member or zero rate are never returned. For `target ≥ total` (a
    /// rounding edge) the last class with weight is returned.
    #[must_use]
    pub fn select(&self, target: f64) -> Option<ClassId> {
        self.select_where(target, |_| true)
    }

    /// [`Self::select`] among the classes for which `keep` holds (`target` in `[0, total
    /// of those)`).
    #[inline]
    #[must_use]
    // member counts are far below 2^52, so `usize as f64` is exact.
    #[allow(clippy::cast_precision_loss)]
    pub fn select_where(&self, target: f64, keep: impl Fn(ClassId) -> bool) -> Option<ClassId> {
        let mut acc = 0.0;
        let mut last = None;
        for (i, (m, &r)) in self.members.iter().zip(&self.rates).enumerate() {
            let w = m.len() as f64 * r;
            #[allow(clippy::cast_possible_truncation)]
            let id = ClassId(i as u32);
            if w <= 0.0 || !keep(id) {
                continue;
            }
            acc += w;
            if target < acc {
                return Some(id);
            }
            last = Some(id);
        }
        last
    }

    /// Iterates over the ids of all classes.
    pub fn ids(&self) -> impl Iterator<Item = ClassId> + use<> {
        #[allow(clippy::cast_possible_truncation)]
        (0..self.keys.len() as u32).map(ClassId)
    }

    /// Bytes held by the members arrays.
    #[must_use]
    pub fn memory_bytes(&self) -> usize {
        self.members
            .iter()
            .map(|m| m.capacity() * std::mem::size_of::<EventRef>())
            .sum::<usize>()
            + self.keys.capacity() * 48
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_remove_returns_moved_member() {
        let mut c = RateClasses::new();
        let key = ClassKey {
            group: 0,
            barrier_bits: 1.0f64.to_bits(),
        };
        let (id, created) = c.find_or_insert(key, 1.0, 2.0);
        assert!(created);
        assert_eq!(c.find_or_insert(key, 1.0, 2.0), (id, false));
        let a = EventRef(1);
        let b = EventRef(23);
        assert_eq!(c.push(id, a), 0);
        assert_eq!(c.push(id, b), 1);
        assert!((c.total() - 4.0).abs() < 1e-15);
        assert_eq!(c.remove(id, 0), Some(b));
        assert_eq!(c.members(id), &[b]);
        assert_eq!(c.remove(id, 0), None);
        assert_eq!(c.select(0.0), None);
    }

    #[test]
    fn classes_select_skips_empty_and_zero_rate() {
        let mut c = RateClasses::new();
        let k = |r| ClassKey {
            group: r,
            barrier_bits: 0,
        };
        let (a, _) = c.find_or_insert(k(0), 0.0, 1.0);
        let (b, _) = c.find_or_insert(k(1), 0.0, 0.0);
        let (d, _) = c.find_or_insert(k(2), 0.0, 3.0);
        c.push(b, EventRef(0));
        c.push(d, EventRef(1));
        c.push(a, EventRef(2));
        assert_eq!(c.select(0.5), Some(a));
        assert_eq!(c.select(1.5), Some(d));
        assert_eq!(c.select(10.0), Some(d));
    }
}
