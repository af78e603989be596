//! The changes of a many-site event (a cluster move) indexed by site, so that the pair
//! terms of the energy change find the earlier changes among a site's neighbours by one
//! look-up per neighbour instead of a test of every earlier change.

use crate::sites::{ShellId, SiteGraph, SiteId};
use crate::state::SiteChange;

/// Above this many changes, [`super::BondCounting`]'s `delta_energy` finds the earlier changes among a
/// site's neighbours through a [`ChangeIndex`] instead of testing each earlier change.
pub(super) const EARLIER_SCAN_LIMIT: usize = 8;

/// Per site, the position of the site among a list of changes (a cluster move's), stamped
/// with the list's generation so that a new list needs no clearing. One per thread, grown
/// to the largest system seen: 8 bytes per site, only on threads that evaluate moves of
/// more than [`EARLIER_SCAN_LIMIT`] changes.
#[derive(Default)]
pub(super) struct ChangeIndex {
    /// `generation << 32 | position` per site.
    marks: Vec<u64>,
    generation: u32,
}

thread_local! {
    pub(super) static CHANGE_INDEX: std::cell::RefCell<ChangeIndex> =
        std::cell::RefCell::new(ChangeIndex::default());
}

impl ChangeIndex {
    /// Indexes `changes` on a graph of `n_sites` sites. Returns false (nothing indexed)
    /// when a site occurs twice among them.
    pub(super) fn index(&mut self, n_sites: usize, changes: &[SiteChange]) -> bool {
        if self.marks.len() < n_sites {
            self.marks.resize(n_sites, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.marks.fill(0);
            self.generation = 1;
        }
        let tag = u64::from(self.generation) << 32;
        for (i, c) in changes.iter().enumerate() {
            let mark = &mut self.marks[c.site.index()];
            if *mark >> 32 == u64::from(self.generation) {
                return false;
            }
            *mark = tag | i as u64;
        }
        true
    }

    /// Into `out`, in increasing order and each once: the positions `j < before` of the
    /// indexed changes whose site is a neighbour of `site` in `shell` (the `j` for which
    /// `graph.slot_of(site, shell, changes[j].site)` is some).
    pub(super) fn earlier_neighbors(
        &self,
        graph: &SiteGraph,
        shell: ShellId,
        site: SiteId,
        before: usize,
        out: &mut Vec<usize>,
    ) {
        out.clear();
        for k in graph.neighbors(site, shell) {
            let mark = self.marks[k.index()];
            if mark >> 32 == u64::from(self.generation) {
                #[allow(clippy::cast_possible_truncation)]
                let j = (mark & 0xffff_ffff) as usize;
                if j < before {
                    out.push(j);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}
