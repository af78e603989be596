//! The engine side of collective cluster moves ([`crate::model::Action::ClusterMove`]):
//! which clusters exist, who owns their moves, and their refresh after every event.
//!
//! The moves of a cluster live in the slot block of its owner (its lowest site), like every
//! other event, so selection, rate classes, checkpoints and the audit treat them alike. What
//! differs is the refresh: a cluster move reads its whole cluster, which may reach far
//! beyond the fixed refresh radius of the other actions. So, per cluster rule, a
//! [`Tracker`] keeps every *small* cluster (a connected component of the sites holding the
//! rule's motif species, of `min_size ..= max_size` atoms, with at least one lead atom):
//! its owner (lowest lead site) and members, and for each site the owner of its cluster. After an event that changed the sites `S`:
//! 1. every site within `reach = 1 + interaction range` hops of `S` (all shells) is visited:
//!    a cluster with a member there may read a changed site (its destinations and their
//!    neighbourhoods lie within `reach` of its atoms), so it is dissolved, and its members
//!    and the atoms of the motif's species found there become *seeds*;
//!    With lattice move vectors ([`crate::model::vectors`]) a destination may lie several
//!    hops away, so the clusters with an atom one listed vector away from a visited site
//!    are dissolved too;
//! 2. the cluster of every seed is collected again by a flood fill along the `connect` shell,
//!    stopped after `max_size + 1` atoms (a larger cluster cannot move and is not kept);
//!    each small one is registered and its owner's cluster slots are classified again
//!    (a slot whose class did not change stays where it is);
//! 3. the owners of dissolved clusters that own none now lose their cluster slots.
//!
//! **Large components.** A flood fill that reaches `max_size + 1` atoms learns only that its
//! component is too large to move; next to a large gold domain that is most refreshes. So a
//! tracker marks the atoms of a component found to hold more than `max_size + BIG_MARGIN`
//! atoms, and a later flood fill that reaches a marked atom stops: its component is large.
//! The marks are exact, not a guess: they belong to an *epoch*, and an epoch ends before a
//! marked component could have shrunk to `max_size` atoms or split, i.e. after
//! `BIG_MARGIN` removals of motif atoms, at any event removing more than one, and at any
//! removal whose motif neighbours are not connected among themselves (the one removal that
//! could split a component; a removal whose neighbours stay connected cannot). A site that
//! loses its atom loses its mark. A small cluster never holds a valid mark, so its flood
//! fill, its members and their order are those of the plain fill.
//!
//! The set of small clusters is a function of the configuration alone (the components of
//! the right size), so a checkpoint stores nothing of it: [`Simulation::build_clusters`]
//! rebuilds it. `Simulation::audit` recomputes every cluster slot from scratch through
//! `EventCatalog::classify`, which covers this refresh.

use std::collections::BTreeMap;

use super::table::NO_BLOCK;
use super::{Simulation, class_of, group_of};
use crate::energy::EnergyModel;
use crate::error::Result;
use crate::events::{Classified, ClusterScratch, LayoutEntry, cluster_move};
use crate::model::ClusterMove;
use crate::sites::{ShellId, SiteId, SiteSet};
use crate::solver::classes::ClassId;
use crate::state::SiteChange;

/// No cluster.
const NONE: u32 = u32::MAX;

/// Atoms beyond `max_size` that a flood fill counts before it marks a component as large:
/// the number of motif removals an epoch of marks survives.
const BIG_MARGIN: usize = 64;

/// The small clusters of one cluster rule.
#[derive(Debug, Clone)]
pub(super) struct Tracker {
    /// Rule index.
    rule: u32,
    /// The rule's cluster definition.
    spec: ClusterMove,
    /// Per site, the owner of the small cluster it belongs to, or [`NONE`].
    cluster_of: Vec<u32>,
    /// Members of each small cluster, by owner.
    members: BTreeMap<u32, Vec<u32>>,
    /// Per site, the epoch in which its atom was found in a large component (module
    /// documentation); valid while equal to `epoch`.
    big: Vec<u32>,
    /// The current epoch of the large-component marks (≥ 1).
    epoch: u32,
    /// Motif atoms removed since the epoch began.
    removed: usize,
}

/// Everything the engine keeps for cluster moves.
#[derive(Debug, Clone)]
pub(super) struct Clusters {
    trackers: Vec<Tracker>,
    /// Hops (any shell) from a changed site within which a cluster may read it.
    reach: usize,
    scratch: ClusterScratch,
    seen: SiteSet,
    visited: SiteSet,
    ball: Vec<SiteId>,
    /// The changed sites of the refresh.
    changed: Vec<SiteId>,
    seeds: Vec<SiteId>,
    old_owners: Vec<u32>,
    new_owners: Vec<u32>,
}

impl Clusters {
    /// The bookkeeping of `model`'s cluster rules on `n_sites` sites, or `None` when the
    /// model has none.
    pub(super) fn new(model: &crate::model::Model, n_sites: usize) -> Option<Box<Self>> {
        let trackers: Vec<Tracker> = model
            .cluster_rules()
            .map(|(rule, spec)| Tracker {
                #[allow(clippy::cast_possible_truncation)]
                rule: rule as u32,
                spec,
                cluster_of: vec![NONE; n_sites],
                members: BTreeMap::new(),
                big: vec![0; n_sites],
                epoch: 1,
                removed: 0,
            })
            .collect();
        if trackers.is_empty() {
            return None;
        }
        Some(Box::new(Self {
            trackers,
            reach: 1 + model.interaction_range(),
            scratch: ClusterScratch::default(),
            seen: SiteSet::default(),
            visited: SiteSet::default(),
            ball: Vec::new(),
            changed: Vec::new(),
            seeds: Vec::new(),
            old_owners: Vec::new(),
            new_owners: Vec::new(),
        }))
    }

    /// Memory held [bytes] (approximate).
    pub(super) fn memory_bytes(&self) -> usize {
        self.trackers
            .iter()
            .map(|t| {
                t.cluster_of.capacity() * 4
                    + t.big.capacity() * 4
                    + t.members.values().map(|m| m.len() * 4 + 48).sum::<usize>()
            })
            .sum::<usize>()
            + self.scratch.memory_bytes()
            + self.seen.memory_bytes()
            + self.visited.memory_bytes()
    }

    /// Number of small clusters of each cluster rule now, as `(rule, count)`.
    pub(super) fn counts(&self) -> Vec<(u32, usize)> {
        self.trackers
            .iter()
            .map(|t| (t.rule, t.members.len()))
            .collect()
    }
}

impl Tracker {
    /// Ends the epoch of the large-component marks: every mark becomes invalid.
    fn new_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.big.fill(0);
            self.epoch = 1;
        }
        self.removed = 0;
    }

    /// Whether the atom on `s` is known to be in a large component.
    fn known_big(&self, s: SiteId) -> bool {
        self.big[s.index()] == self.epoch
    }

    /// Forgets the cluster owned by `owner`, pushing its members onto `seeds`.
    fn dissolve(&mut self, owner: u32, seeds: &mut Vec<SiteId>) {
        if let Some(members) = self.members.remove(&owner) {
            for m in members {
                self.cluster_of[m as usize] = NONE;
                seeds.push(SiteId(m));
            }
        }
    }

    /// Registers the cluster `members` owned by `owner` (its lowest lead site,
    /// [`lead_owner`]).
    fn register(&mut self, members: &[SiteId], owner: u32) {
        for m in members {
            self.cluster_of[m.index()] = owner;
        }
        self.members
            .insert(owner, members.iter().map(|s| s.0).collect());
    }
}

/// The owner of the cluster `members`: its lowest site holding the lead species of `spec`,
/// or `None` when it holds none (such a cluster does not move).
fn lead_owner(
    occupancy: &crate::state::Occupancy,
    spec: &ClusterMove,
    members: &[SiteId],
) -> Option<u32> {
    members
        .iter()
        .filter(|&&s| occupancy.get(s) == spec.species)
        .map(|s| s.0)
        .min()
}

/// Whether the motif atoms among the `connect` neighbours of `site` are connected among
/// themselves (through `connect` bonds between them): then removing the atom of `site`
/// cannot split its component.
fn neighbours_connected(
    graph: &crate::sites::SiteGraph,
    occupancy: &crate::state::Occupancy,
    spec: &ClusterMove,
    site: SiteId,
) -> bool {
    /// More motif neighbours than this are not tested (treated as not connected).
    const MAX: usize = 32;
    let mut near = [SiteId(0); MAX];
    let mut n = 0;
    for k in graph.neighbors(site, spec.connect) {
        if spec.motif.contains(occupancy.get(k)) {
            if n == MAX {
                return false;
            }
            near[n] = k;
            n += 1;
        }
    }
    if n <= 1 {
        return true;
    }
    // breadth-first from the first neighbour over the others.
    let mut reached = [false; MAX];
    let mut queue = [0usize; MAX];
    reached[0] = true;
    let (mut head, mut tail) = (0, 1);
    while head < tail {
        let u = near[queue[head]];
        head += 1;
        for w in graph.neighbors(u, spec.connect) {
            if let Some(j) = near[..n].iter().position(|&x| x == w) {
                if !reached[j] {
                    reached[j] = true;
                    queue[tail] = j;
                    tail += 1;
                }
            }
        }
    }
    tail == n
}

/// The flood fill of the refresh: collects into `members` the cluster of `seed` as
/// [`cluster_move::component`] with cap `max_size` does, and returns true when it is small
/// (whole, at most `max_size` atoms). A component found large is cut short at an atom with
/// a valid mark of `tracker`, or after `max_size + BIG_MARGIN` atoms, and then its atoms
/// seen are marked.
fn collect_small(
    graph: &crate::sites::SiteGraph,
    occupancy: &crate::state::Occupancy,
    tracker: &mut Tracker,
    seed: SiteId,
    members: &mut Vec<SiteId>,
    seen: &mut SiteSet,
) -> bool {
    let spec = tracker.spec;
    let max = spec.max_size as usize;
    let whole = cluster_move::component_until(
        graph,
        occupancy,
        &spec,
        seed,
        max + BIG_MARGIN,
        members,
        seen,
        |k| tracker.known_big(k),
    );
    if !whole {
        let epoch = tracker.epoch;
        for m in members.iter() {
            tracker.big[m.index()] = epoch;
        }
    }
    whole && members.len() <= max
}

impl<E: EnergyModel> Simulation<E> {
    /// Finds every small cluster from scratch (after construction, a restore or a rebuilt
    /// table); with `classify`, also classifies the cluster slots of their owners.
    pub(super) fn build_clusters(&mut self, classify: bool) -> Result<()> {
        let Some(mut clusters) = self.clusters.take() else {
            return Ok(());
        };
        let result = self.build_clusters_in(&mut clusters, classify);
        self.clusters = Some(clusters);
        result
    }

    fn build_clusters_in(&mut self, cl: &mut Clusters, classify: bool) -> Result<()> {
        for t in 0..cl.trackers.len() {
            let tracker = &mut cl.trackers[t];
            tracker.cluster_of.fill(NONE);
            tracker.members.clear();
            tracker.new_epoch();
            let spec = tracker.spec;
            cl.visited.clear();
            cl.new_owners.clear();
            for s in 0..self.graph.len() {
                #[allow(clippy::cast_possible_truncation)]
                let site = SiteId(s as u32);
                if !spec.motif.contains(self.occupancy.get(site)) || cl.visited.contains(&site.0) {
                    continue;
                }
                // the whole component (uncapped), so that a large one is walked once.
                cluster_move::component(
                    &self.graph,
                    &self.occupancy,
                    &spec,
                    site,
                    usize::MAX,
                    &mut cl.scratch.members,
                    &mut cl.seen,
                );
                cl.visited.extend(cl.scratch.members.iter().map(|m| m.0));
                let n = cl.scratch.members.len();
                if n >= spec.min_size as usize && n <= spec.max_size as usize {
                    if let Some(owner) = lead_owner(&self.occupancy, &spec, &cl.scratch.members) {
                        cl.trackers[t].register(&cl.scratch.members, owner);
                        cl.new_owners.push(owner);
                    }
                }
            }
            if classify {
                let rule = cl.trackers[t].rule;
                for i in 0..cl.new_owners.len() {
                    let owner = cl.new_owners[i];
                    self.classify_cluster_slots(SiteId(owner), rule, &mut cl.scratch)?;
                }
            }
        }
        Ok(())
    }

    /// Refreshes the cluster moves that the site changes `changes` (already applied) may
    /// have affected (see the module documentation).
    pub(super) fn refresh_clusters(&mut self, changes: &[SiteChange]) -> Result<()> {
        let Some(mut clusters) = self.clusters.take() else {
            return Ok(());
        };
        for tracker in &mut clusters.trackers {
            self.age_marks(tracker, changes);
        }
        let mut changed = std::mem::take(&mut clusters.changed);
        changed.clear();
        changed.extend(changes.iter().map(|c| c.site));
        let result = self.refresh_clusters_in(&mut clusters, &changed);
        clusters.changed = changed;
        self.clusters = Some(clusters);
        result
    }

    /// Counts the motif removals of `changes` against the epoch of `tracker`'s
    /// large-component marks, ending the epoch when a marked component could have shrunk
    /// to `max_size` atoms or split (module documentation).
    fn age_marks(&self, tracker: &mut Tracker, changes: &[SiteChange]) {
        let spec = tracker.spec;
        let mut removed = 0;
        let mut may_split = false;
        for c in changes {
            if spec.motif.contains(c.from) && !spec.motif.contains(c.to) {
                removed += 1;
                tracker.big[c.site.index()] = 0;
                may_split =
                    may_split || !neighbours_connected(&self.graph, &self.occupancy, &spec, c.site);
            }
        }
        tracker.removed += removed;
        if removed > 1 || may_split || tracker.removed >= BIG_MARGIN {
            tracker.new_epoch();
        }
    }

    /// `cl.ball`: the sites within `cl.reach` steps of the changes, breadth-first over all
    /// shells.
    fn fill_ball(&self, cl: &mut Clusters, changed: &[SiteId]) {
        cl.ball.clear();
        cl.seen.clear();
        for &s in changed {
            if cl.seen.insert(s.0) {
                cl.ball.push(s);
            }
        }
        let n_shells = self.graph.shell_count();
        let mut start = 0;
        for _ in 0..cl.reach {
            let end = cl.ball.len();
            for i in start..end {
                let s = cl.ball[i];
                for shell in 0..n_shells {
                    #[allow(clippy::cast_possible_truncation)]
                    for k in self.graph.neighbors(s, ShellId(shell as u8)) {
                        if cl.seen.insert(k.0) {
                            cl.ball.push(k);
                        }
                    }
                }
            }
            start = end;
        }
    }

    fn refresh_clusters_in(&mut self, cl: &mut Clusters, changed: &[SiteId]) -> Result<()> {
        self.fill_ball(cl, changed);
        for t in 0..cl.trackers.len() {
            let spec = cl.trackers[t].spec;
            let rule = cl.trackers[t].rule;
            cl.seeds.clear();
            cl.old_owners.clear();
            cl.new_owners.clear();
            let vectors = self.model.rule_vectors(rule as usize);
            for i in 0..cl.ball.len() {
                let v = cl.ball[i];
                let owner = cl.trackers[t].cluster_of[v.index()];
                if owner != NONE {
                    cl.old_owners.push(owner);
                    cl.trackers[t].dissolve(owner, &mut cl.seeds);
                }
                if spec.motif.contains(self.occupancy.get(v)) {
                    cl.seeds.push(v);
                }
                // with lattice move vectors, a cluster reads the sites a vector away from
                // its atoms (and their neighbourhoods): the clusters with an atom a vector
                // away from the ball (the list holds every vector's opposite) may read it.
                if let Some(set) = vectors {
                    for k in 0..set.uvw.len() {
                        let Some(w) = set.target(v, k) else {
                            continue;
                        };
                        let owner = cl.trackers[t].cluster_of[w.index()];
                        if owner != NONE {
                            cl.old_owners.push(owner);
                            cl.trackers[t].dissolve(owner, &mut cl.seeds);
                        }
                    }
                }
            }
            cl.visited.clear();
            for i in 0..cl.seeds.len() {
                let seed = cl.seeds[i];
                if !spec.motif.contains(self.occupancy.get(seed)) || cl.visited.contains(&seed.0) {
                    continue;
                }
                let whole = collect_small(
                    &self.graph,
                    &self.occupancy,
                    &mut cl.trackers[t],
                    seed,
                    &mut cl.scratch.members,
                    &mut cl.seen,
                );
                cl.visited.extend(cl.scratch.members.iter().map(|m| m.0));
                if !whole || cl.scratch.members.len() < spec.min_size as usize {
                    continue;
                }
                // a cluster found whole was either dissolved above or never small; a stale
                // record cannot overlap it, but dissolve any to keep the map exact.
                for j in 0..cl.scratch.members.len() {
                    let m = cl.scratch.members[j];
                    let stale = cl.trackers[t].cluster_of[m.index()];
                    if stale != NONE {
                        cl.old_owners.push(stale);
                        let mut ignored = Vec::new();
                        cl.trackers[t].dissolve(stale, &mut ignored);
                    }
                }
                let Some(owner) = lead_owner(&self.occupancy, &spec, &cl.scratch.members) else {
                    continue;
                };
                cl.trackers[t].register(&cl.scratch.members, owner);
                cl.new_owners.push(owner);
            }
            for i in 0..cl.old_owners.len() {
                let owner = cl.old_owners[i];
                if cl.trackers[t].members.contains_key(&owner) {
                    continue;
                }
                self.clear_cluster_slots(SiteId(owner), rule);
            }
            for i in 0..cl.new_owners.len() {
                let owner = cl.new_owners[i];
                self.classify_cluster_slots(SiteId(owner), rule, &mut cl.scratch)?;
            }
        }
        Ok(())
    }

    /// The layout entry of cluster rule `rule` in the block layout of `owner` now, if any.
    fn cluster_entry(&self, owner: SiteId, rule: u32) -> Option<(u32, LayoutEntry)> {
        let layout = self
            .catalog
            .layout_id(self.graph.kind(owner), self.occupancy.get(owner));
        if layout == crate::events::EventCatalog::NONE {
            return None;
        }
        self.catalog
            .layout(layout)
            .entries
            .iter()
            .find(|e| e.rule == rule)
            .map(|&e| (layout, e))
    }

    /// Removes the cluster slots of `rule` from the block of `owner` (which owns no
    /// cluster any more), releasing the block when nothing is left in it.
    fn clear_cluster_slots(&mut self, owner: SiteId, rule: u32) {
        let block = self.table.block(owner.0);
        if block == NO_BLOCK {
            return;
        }
        let layout = self.table.block_layout(block);
        let Some(entry) = self
            .catalog
            .layout(layout)
            .entries
            .iter()
            .find(|e| e.rule == rule)
            .copied()
        else {
            return;
        };
        for slot in entry.offset..entry.offset + entry.slots {
            if self.table.record(block, slot).class != ClassId::NONE {
                self.table.deactivate(block, slot);
            }
        }
        if self.table.block_active(block) == 0 {
            self.table.release(owner.0);
        }
    }

    /// Classifies the cluster slots of `rule` owned by `owner` and moves those whose class
    /// changed (as `refresh_owner` does for the other actions).
    fn classify_cluster_slots(
        &mut self,
        owner: SiteId,
        rule: u32,
        scratch: &mut ClusterScratch,
    ) -> Result<()> {
        let Some((layout_id, entry)) = self.cluster_entry(owner, rule) else {
            return Ok(());
        };
        let mut block = self.table.block(owner.0);
        let table = &mut self.table;
        let model = &*self.model;
        let bound = self.window.bound;
        let scale = &self.scale;
        let graph = &*self.graph;
        let regions = self.regions.as_deref();
        let update = |slot: u32, classified: Option<Classified>| -> Result<()> {
            let new_class = match classified {
                None => ClassId::NONE,
                Some(Classified { rule, barrier }) => {
                    let group = group_of(graph, model, regions, owner, entry, slot, rule);
                    class_of(table, model, bound, scale, group, barrier)?
                }
            };
            let old_class = if block == NO_BLOCK {
                ClassId::NONE
            } else {
                table.record(block, slot).class
            };
            if old_class != new_class {
                if old_class != ClassId::NONE {
                    table.deactivate(block, slot);
                }
                if new_class != ClassId::NONE {
                    if block == NO_BLOCK {
                        block = table.allocate(owner.0, layout_id);
                    }
                    table.activate(block, slot, new_class);
                }
            }
            Ok(())
        };
        cluster_move::classify_all(
            model,
            &self.energy,
            graph,
            &self.occupancy,
            owner,
            entry,
            scratch,
            update,
        )?;
        if block != NO_BLOCK && self.table.block_active(block) == 0 {
            self.table.release(owner.0);
        }
        Ok(())
    }

    /// The number of small clusters (`min_size ..= max_size` atoms) of each cluster rule
    /// now, as `(rule index, count)`; empty when the model has no cluster rule.
    #[must_use]
    pub fn small_cluster_counts(&self) -> Vec<(u32, usize)> {
        self.clusters.as_ref().map_or_else(Vec::new, |c| c.counts())
    }
}
