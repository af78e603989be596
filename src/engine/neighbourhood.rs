//! Replay of refresh neighbourhoods.
//!
//! After every event the engine searches the sites within the refresh radius of the changed
//! sites, breadth-first over all shells. In a crystal that search repeats itself: the sites
//! it visits, as offsets from the first changed site, depend only on the neighbour
//! templates of the sites it expands. A [`Ball`] records one search (the visited offsets in
//! visiting order, and the templates of the expanded sites); when the same key comes again
//! and the expanded sites have the same templates, the recorded visit is replayed in the
//! same order, so the trajectory is identical with or without the cache (it only saves the
//! search). Irregular regions miss the cache and fall back to the search; the cache is
//! bounded.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::solver::classes::KeyHasher;

use crate::sites::{SiteGraph, SiteId};

/// Most neighbourhoods kept.
const CAPACITY: usize = 1 << 14;

/// Most recorded sites (visited plus expanded, 8 bytes each) over all neighbourhoods kept:
/// bounds the cache at a few MB whatever the refresh radius.
const ENTRIES: usize = 1 << 20;

/// Most recorded searches per key (sites near a periodic boundary or an interface see
/// other templates around them than interior sites with the same key).
const VARIANTS: usize = 32;

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

/// What identifies a neighbourhood: the templates of the changed sites and their offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct BallKey {
    first: u32,
    second: u32,
    delta: i64,
}

impl BallKey {
    /// The key of the neighbourhood of `changed` (one or two sites).
    pub fn new(graph: &SiteGraph, changed: &[SiteId]) -> Self {
        let first = graph.template(changed[0]);
        match changed.get(1) {
            Some(&other) => Self {
                first,
                second: graph.template(other),
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

/// One recorded search.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ball {
    /// Visited sites as offsets from the first changed site, in visiting order.
    pub sites: Vec<(i32, Visit)>,
    /// Expanded sites (offset, template): the search is the same wherever these match.
    pub expanded: Vec<(i32, u32)>,
}

impl Ball {
    /// True when the search from `base` would visit exactly the recorded sites.
    #[inline]
    pub fn matches(&self, graph: &SiteGraph, base: SiteId) -> bool {
        // site ids are u32, so the number of sites fits an i64.
        #[allow(clippy::cast_possible_wrap)]
        let n = graph.len() as i64;
        self.expanded.iter().all(|&(offset, template)| {
            let site = i64::from(base.0) + i64::from(offset);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let ok = site >= 0 && site < n && graph.template(SiteId(site as u32)) == template;
            ok
        })
        // every recorded site is a neighbour of an expanded site, so it exists.
    }
}

/// The bounded cache of recorded searches: per key, the variants met so far, tried in the
/// order they were recorded.
#[derive(Debug, Clone, Default)]
pub(crate) struct BallCache {
    map: HashMap<BallKey, Vec<Ball>, BuildHasherDefault<KeyHasher>>,
    len: usize,
    entries: usize,
}

impl BallCache {
    /// The recorded search for `key` that matches the graph around `base`, if any.
    #[inline]
    pub fn find(&self, key: &BallKey, graph: &SiteGraph, base: SiteId) -> Option<&Ball> {
        self.map
            .get(key)?
            .iter()
            .find(|ball| ball.matches(graph, base))
    }

    /// True while the cache can take another search for `key`.
    pub fn has_room(&self, key: &BallKey) -> bool {
        self.len < CAPACITY
            && self.entries < ENTRIES
            && self.map.get(key).is_none_or(|v| v.len() < VARIANTS)
    }

    /// Keeps a search as a new variant of `key`.
    pub fn insert(&mut self, key: BallKey, ball: Ball) {
        self.entries += ball.sites.len() + ball.expanded.len();
        self.map.entry(key).or_default().push(ball);
        self.len += 1;
    }
}
