//! Replay of refresh neighbourhoods.
//!
//! After every event the engine searches the sites within the refresh radius of the changed
//! sites, breadth-first over all shells. In a crystal that search repeats itself: the sites
//! it visits, as offsets from the first changed site, depend only on the neighbour
//! templates of the sites it expands. A [`Ball`] records one search (the visited offsets in
//! visiting order); it is keyed by the templates of the changed sites and their offset.
//! The graph refines its templates to [`TEMPLATE_DEPTH`] steps (and [`DeepTemplates`]
//! further where a search expands deeper), so the key fixes the templates of every site
//! the search expands. When the same key comes again, the recorded visit is replayed in
//! the same order without reading anything around it, and the trajectory is identical
//! with or without the cache (it only saves the search). Irregular regions miss the cache
//! more often and fall back to the search; the cache is bounded.
//!
//! The module also holds the engine's per-event bookkeeping of sites: [`OwnerBits`] (which
//! sites own events) and [`SiteMarks`] (the sites visited around the current event).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::solver::classes::KeyHasher;

use crate::events::EventCatalog;
use crate::sites::{SiteGraph, SiteId, TEMPLATE_DEPTH};
use crate::state::Occupancy;

/// Most neighbourhoods kept.
const CAPACITY: usize = 1 << 14;

/// Most recorded sites (8 bytes each) over all neighbourhoods kept: bounds the cache at a
/// few MB whatever the refresh radius.
const ENTRIES: usize = 1 << 20;

/// How a site was reached in the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Visit {
    /// One of the changed sites.
    Changed,
    /// Within the interaction range of a changed site.
    Inner,
    /// In the outer layer (refresh radius).
    Outer,
}

/// What identifies a neighbourhood: the (deep) templates of the changed sites and their
/// offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct BallKey {
    first: u32,
    second: u32,
    delta: i64,
}

impl BallKey {
    /// The key of the neighbourhood of `changed` (one or two sites).
    #[inline]
    pub fn new(graph: &SiteGraph, deep: Option<&DeepTemplates>, changed: &[SiteId]) -> Self {
        let id = |site: SiteId| deep.map_or_else(|| graph.template(site), |d| d.get(site));
        let first = id(changed[0]);
        match changed.get(1) {
            Some(&other) => Self {
                first,
                second: id(other),
                delta: i64::from(other.0) - i64::from(changed[0].0),
            },
            None => Self {
                first,
                second: u32::MAX,
                delta: 0,
            },
        }
    }
}

/// One recorded search: the visited sites as offsets from the first changed site, in
/// visiting order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ball {
    pub sites: Vec<(i32, Visit)>,
}

/// The bounded cache of recorded searches, one per key.
#[derive(Debug, Clone, Default)]
pub(crate) struct BallCache {
    map: HashMap<BallKey, Ball, BuildHasherDefault<KeyHasher>>,
    entries: usize,
}

impl BallCache {
    /// The recorded search for `key`, if any.
    #[inline]
    pub fn find(&self, key: &BallKey) -> Option<&Ball> {
        self.map.get(key)
    }

    /// True while the cache can take another search.
    pub fn has_room(&self) -> bool {
        self.map.len() < CAPACITY && self.entries < ENTRIES
    }

    /// Keeps the search of `key`.
    pub fn insert(&mut self, key: BallKey, ball: Ball) {
        self.entries += ball.sites.len();
        self.map.insert(key, ball);
    }
}

/// Deep templates, for searches that expand further than the graph's own refinement
/// ([`TEMPLATE_DEPTH`]): sites with the same deep template at depth `d` have the same
/// neighbour template, and so do all the sites reached from them along any path of at most
/// `d` neighbour steps (through every shell), at the same offsets.
///
/// Defined by induction: depth [`TEMPLATE_DEPTH`] is the graph's template; the deep
/// template of a site at depth `d` interns its template together with the depth-`d − 1`
/// deep templates of its neighbours in canonical order. Two sites with equal depth-`d` ids therefore have equal templates (the
/// same neighbour offsets) and pairwise equal depth-`d − 1` ids at those offsets, which by
/// induction is the claim. A breadth-first search of `d + 1` layers from a site expands only
/// sites within `d` steps, so it visits the same offsets in the same order from any site
/// with the same deep template: the key of a [`Ball`] needs nothing else, and no site
/// around the replayed neighbourhood has to be read to validate it.
#[derive(Debug, Clone)]
pub(crate) struct DeepTemplates {
    ids: DeepIds,
}

/// Deep template per site, in two bytes while there are few enough of them.
#[derive(Debug, Clone)]
enum DeepIds {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl DeepTemplates {
    /// The deep templates of every site of `graph` at `depth` neighbour steps, or `None`
    /// when the graph's templates already reach that depth.
    pub fn new(graph: &SiteGraph, depth: usize) -> Option<Self> {
        if depth <= TEMPLATE_DEPTH {
            return None;
        }
        let mut ids: Vec<u32> = (0..graph.len())
            .map(|s| graph.template(site_id(s)))
            .collect();
        let mut count = graph.template_count();
        for _ in TEMPLATE_DEPTH..depth {
            let (next, firsts) = graph.refine_ids(&ids);
            let done = firsts.len() == count;
            ids = next;
            count = firsts.len();
            if done {
                break;
            }
        }
        let ids = if count <= usize::from(u16::MAX) + 1 {
            #[allow(clippy::cast_possible_truncation)]
            DeepIds::Narrow(ids.iter().map(|&i| i as u16).collect())
        } else {
            DeepIds::Wide(ids)
        };
        Some(Self { ids })
    }

    /// The deep template of `site`.
    #[inline]
    pub fn get(&self, site: SiteId) -> u32 {
        match &self.ids {
            DeepIds::Narrow(v) => u32::from(v[site.index()]),
            DeepIds::Wide(v) => v[site.index()],
        }
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        match &self.ids {
            DeepIds::Narrow(v) => v.capacity() * 2,
            DeepIds::Wide(v) => v.capacity() * 4,
        }
    }
}

/// Site `s` of a graph (whose sites are numbered by `u32`).
fn site_id(s: usize) -> SiteId {
    #[allow(clippy::cast_possible_truncation)]
    SiteId(s as u32)
}

/// One bit per site: whether the site owns events now (its kind and species have a slot
/// layout, [`EventCatalog::is_owner`]). The engine updates it with every change of species,
/// so that collecting the owners around an event reads an eighth of a byte per site, which
/// stays in cache at 10⁶ sites, instead of each site's occupancy record.
#[derive(Debug, Clone)]
pub(crate) struct OwnerBits {
    words: Vec<u64>,
}

impl OwnerBits {
    /// The bits of the configuration `occupancy` on `graph`.
    pub fn new(graph: &SiteGraph, occupancy: &Occupancy, catalog: &EventCatalog) -> Self {
        let mut bits = Self {
            words: vec![0; graph.len().div_ceil(64)],
        };
        for s in 0..graph.len() {
            let site = site_id(s);
            bits.set(
                site,
                catalog.is_owner(graph.kind(site), occupancy.get(site)),
            );
        }
        bits
    }

    /// Whether `site` owns events.
    #[inline]
    pub fn get(&self, site: SiteId) -> bool {
        self.words[site.index() / 64] >> (site.index() % 64) & 1 == 1
    }

    /// Records whether `site` owns events.
    #[inline]
    pub fn set(&mut self, site: SiteId, owner: bool) {
        let word = &mut self.words[site.index() / 64];
        let bit = 1u64 << (site.index() % 64);
        if owner {
            *word |= bit;
        } else {
            *word &= !bit;
        }
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

/// The sites visited around one event and how they were reached (within the interaction
/// range, or in the outer layer): a small open-addressing table emptied by a generation
/// counter. It replaces a per-site stamp array, so marking a site touches a table that stays
/// in the first-level cache instead of a random line of a system-sized array.
#[derive(Debug, Clone)]
pub(crate) struct SiteMarks {
    /// `(site, tag)`; a slot is taken when `tag >> 1 == generation`, and `tag & 1` is the
    /// outer flag.
    slots: Vec<(u32, u32)>,
    generation: u32,
    len: usize,
    /// One bit per hash of the sites marked within range (a Bloom filter with one hash):
    /// most sites that are not within range are told apart by one bit test, without a
    /// probe of the table.
    within: [u64; 8],
}

impl Default for SiteMarks {
    fn default() -> Self {
        Self {
            slots: vec![(0, 0); 256],
            generation: 1,
            len: 0,
            within: [0; 8],
        }
    }
}

impl SiteMarks {
    /// Forgets every mark.
    #[inline]
    pub fn clear(&mut self) {
        self.len = 0;
        self.within = [0; 8];
        self.generation += 1;
        if self.generation == u32::MAX >> 1 {
            self.slots.fill((0, 0));
            self.generation = 1;
        }
    }

    /// The first slot to probe for `site` (Fibonacci hashing; the size is a power of two).
    #[inline]
    fn home(&self, site: u32) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (site.wrapping_mul(0x9E37_79B1) >> (32 - bits)) as usize
    }

    /// The bit of `site` in the filter of sites within range.
    #[inline]
    fn filter_bit(site: u32) -> (usize, u64) {
        let h = site.wrapping_mul(0x9E37_79B1) >> 23;
        ((h >> 6) as usize, 1 << (h & 63))
    }

    /// Marks `site`, reached in the outer layer or not. Returns false, and changes nothing,
    /// when it is already marked.
    #[inline]
    pub fn insert(&mut self, site: SiteId, outer: bool) -> bool {
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        if !outer {
            let (word, bit) = Self::filter_bit(site.0);
            self.within[word] |= bit;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(site.0);
        loop {
            let (s, tag) = self.slots[i];
            if tag >> 1 != self.generation {
                self.slots[i] = (site.0, self.generation << 1 | u32::from(outer));
                self.len += 1;
                return true;
            }
            if s == site.0 {
                return false;
            }
            i = (i + 1) & mask;
        }
    }

    /// True when `site` is marked and was not reached in the outer layer.
    #[inline]
    pub fn is_inner(&self, site: SiteId) -> bool {
        let (word, bit) = Self::filter_bit(site.0);
        if self.within[word] & bit == 0 {
            return false;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(site.0);
        loop {
            let (s, tag) = self.slots[i];
            if tag >> 1 != self.generation {
                return false;
            }
            if s == site.0 {
                return tag & 1 == 0;
            }
            i = (i + 1) & mask;
        }
    }

    /// Doubles the table, keeping the marks.
    fn grow(&mut self) {
        let size = 2 * self.slots.len();
        let old = std::mem::replace(&mut self.slots, vec![(0, 0); size]);
        let generation = self.generation;
        self.len = 0;
        for (s, tag) in old {
            if tag >> 1 == generation {
                self.insert(SiteId(s), tag & 1 == 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lattice::{Crystal, periodic_crystal};
    use crate::sites::neighbors::{ShellPair, ShellSpec, build_graph};
    use crate::sites::{KindId, ShellId};

    /// Deep templates beyond the graph's own depth: from two sites with equal deep
    /// templates, every path of `depth` steps reaches sites with the same offsets.
    #[test]
    fn deep_templates_fix_offsets_along_paths() {
        fn walk(g: &SiteGraph, a: SiteId, b: SiteId, depth: usize) {
            let da: Vec<i64> = g
                .neighbors(a, ShellId(0))
                .map(|k| i64::from(k.0) - i64::from(a.0))
                .collect();
            let db: Vec<i64> = g
                .neighbors(b, ShellId(0))
                .map(|k| i64::from(k.0) - i64::from(b.0))
                .collect();
            assert_eq!(da, db, "sites {} and {}", a.0, b.0);
            if depth > 0 {
                for (ka, kb) in g.neighbors(a, ShellId(0)).zip(g.neighbors(b, ShellId(0))) {
                    walk(g, ka, kb, depth - 1);
                }
            }
        }
        let crystal = Crystal::fcc(4.0).unwrap();
        let list = periodic_crystal(&crystal, [6; 3], &[KindId(0); 4], "bulk").unwrap();
        let shells = [ShellSpec {
            name: "nn".into(),
            pairs: vec![ShellPair {
                kinds: (KindId(0), KindId(0)),
                min: 2.5,
                max: 3.0,
            }],
        }];
        let g = build_graph(list, &shells, vec!["fcc".into()]).unwrap();
        assert!(DeepTemplates::new(&g, TEMPLATE_DEPTH).is_none());
        let depth = TEMPLATE_DEPTH + 1;
        let deep = DeepTemplates::new(&g, depth).unwrap();
        let mut first: HashMap<u32, SiteId> = HashMap::new();
        for s in 0..g.len() {
            let site = site_id(s);
            let reference = *first.entry(deep.get(site)).or_insert(site);
            walk(&g, reference, site, depth);
        }
        // deeper ids split the graph's templates further.
        assert!(first.len() > g.template_count());
    }

    #[test]
    fn site_marks_insert_query_clear_and_grow() {
        let mut marks = SiteMarks::default();
        for s in 0..1000u32 {
            assert!(marks.insert(SiteId(s * 7919), s % 3 == 0));
        }
        for s in 0..1000u32 {
            assert!(!marks.insert(SiteId(s * 7919), false), "already marked");
            assert_eq!(marks.is_inner(SiteId(s * 7919)), s % 3 != 0);
        }
        assert!(!marks.is_inner(SiteId(1)));
        marks.clear();
        assert!(!marks.is_inner(SiteId(7919)));
        assert!(marks.insert(SiteId(7919), false));
        assert!(marks.is_inner(SiteId(7919)));
    }

    #[test]
    fn site_marks_survive_generation_wrap() {
        let mut marks = SiteMarks {
            generation: (u32::MAX >> 1) - 2,
            ..SiteMarks::default()
        };
        assert!(marks.insert(SiteId(5), false));
        marks.clear();
        marks.clear();
        assert_eq!(marks.generation, 1);
        assert!(!marks.is_inner(SiteId(5)));
        assert!(marks.insert(SiteId(5), false));
        assert!(marks.is_inner(SiteId(5)));
    }
}
