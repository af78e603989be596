//! The cluster-move action (`cluster_move`): a connected cluster of one species, or a
//! multi-species motif (a `ZnX₄` tetrahedron), translates rigidly by one vector of a
//! neighbour shell.
//!
//! A *cluster* is a connected component of the sites holding a species of the rule's
//! motif (the lead `species` and the further `motif` species), linked by the `connect`
//! shell. Only clusters of `min_size ..= max_size` atoms holding at least one lead atom
//! move. The lowest site of the cluster holding the lead species owns its moves, one slot
//! per neighbour of the owner in the move `shell`:
//! slot `k` moves every atom by the vector from the owner to its `k`-th neighbour (the
//! minimum image in a periodic box). A move is possible when
//! - every atom has a neighbour in `shell` at exactly that vector (to 10⁻³ Å), and the
//!   destination site allows the atom's species and is vacant or part of the cluster;
//! - the moved cluster is connected along `connect` and touches no other atom of the
//!   motif's species (it stays the same cluster: the reverse move, by the opposite vector,
//!   owned by the lowest lead site of the moved cluster, exists, so detailed balance
//!   holds);
//! - or, for a rule with `merge_min_gain` ([`ClusterMove::merge_min_gain`]), the moved
//!   cluster is connected and touches other atoms of the motif (a *merge*), and the move
//!   lowers the energy by at least that gain. A merge is one-way: the cluster it joins is
//!   larger, and no cluster move splits one.
//!
//! Each atom keeps its species. The moved cluster holds the same lead atoms, so it is
//! owned again, by its lowest lead site; every moved atom has a neighbour in `shell` at
//! the opposite vector (its old site), so the reverse move is one of that owner's slots.
//!
//! The energy change is the exact bond-counting ΔE of the net site changes (vacated
//! sites first, then filled ones, each in the breadth-first order of the cluster from its
//! owner); the barrier is `barrier_rule(E_m + size term, ΔE)` with the size term of
//! [`ClusterMove::size_barrier`] ([`ClusterMove::barrier`]; a merge takes `E_m + size
//! term`). A cluster move that stays alone and its reverse therefore satisfy
//! `E_fwd − E_bwd = ΔE` like every other thermal event.
//!
//! A cluster move reads sites up to `1 + interaction range` hops from its atoms (the
//! destinations and their neighbourhoods) and its whole cluster, so the engine refreshes
//! cluster moves with a bounded flood fill of its own (`engine/clusters.rs`), not with the
//! fixed-radius refresh of the other actions.

use super::{Classified, LayoutEntry};
use crate::energy::EnergyModel;
use crate::model::{Action, ClusterMove, Model, RateLaw};
use crate::sites::{KindId, MinImage, ShellId, SiteGraph, SiteId, SiteSet};
use crate::state::{Occupancy, SiteChange, SpeciesId};

/// Largest distance [Å] between a neighbour's displacement and the move vector for the
/// neighbour to count as the destination.
const VECTOR_TOLERANCE: f64 = 1e-3;

/// Scratch space of the cluster-move functions (no state between calls).
#[derive(Debug, Clone, Default)]
pub struct ClusterScratch {
    /// The cluster's sites in breadth-first order from the owner.
    pub members: Vec<SiteId>,
    member_set: SiteSet,
    dest: Vec<SiteId>,
    dest_set: SiteSet,
    reached: Vec<SiteId>,
    reached_set: SiteSet,
    /// The net site changes of the last planned move (vacated sites, then filled ones).
    pub changes: Vec<SiteChange>,
    /// Whether the last planned move brings the cluster into contact with other atoms of
    /// the motif (a merge).
    pub contact: bool,
    /// The atom at which a shell move last failed, per `(owner, slot)`.
    probes: Probes,
}

/// Number of entries of [`Probes`].
const PROBES: usize = 1024;

/// A direct-mapped cache of the atom at which the shell move of a slot last failed, by
/// owner and slot. Most shell moves of a cluster are blocked (a destination is missing,
/// taken or of a kind the atom may not enter), and after an event elsewhere in the cluster's
/// neighbourhood they are blocked by the same atom: [`plan_move`] tests that atom first and
/// stops there, instead of walking the cluster to it. The cache only orders the work: a
/// move the probe blocks is blocked at that atom in the full walk too, and every other move
/// is planned in full.
#[derive(Debug, Clone, Default)]
struct Probes {
    /// `(owner, slot, atom)`; empty until first used.
    entries: Vec<(u32, u32, u32)>,
}

impl Probes {
    fn entry(owner: SiteId, local: u32) -> usize {
        let h = u64::from(owner.0).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(local);
        #[allow(clippy::cast_possible_truncation)]
        let i = (h.wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 54) as usize;
        i % PROBES
    }

    /// The atom at which the move of `local` owned by `owner` last failed.
    fn get(&self, owner: SiteId, local: u32) -> Option<SiteId> {
        let &(o, l, atom) = self.entries.get(Self::entry(owner, local))?;
        (o == owner.0 && l == local).then_some(SiteId(atom))
    }

    fn set(&mut self, owner: SiteId, local: u32, atom: SiteId) {
        if self.entries.is_empty() {
            self.entries = vec![(u32::MAX, u32::MAX, u32::MAX); PROBES];
        }
        self.entries[Self::entry(owner, local)] = (owner.0, local, atom.0);
    }
}

impl ClusterScratch {
    /// Records `atom` as the atom at which the move of slot `local` owned by `owner` last
    /// failed (the probe tested first next time). For tests, which check that any probe
    /// leaves every plan unchanged.
    #[doc(hidden)]
    pub fn set_probe(&mut self, owner: SiteId, local: u32, atom: SiteId) {
        self.probes.set(owner, local, atom);
    }

    /// Memory held [bytes] (its site sets grow to the system's size).
    #[must_use]
    pub fn memory_bytes(&self) -> usize {
        self.member_set.memory_bytes()
            + self.dest_set.memory_bytes()
            + self.reached_set.memory_bytes()
            + (self.members.capacity() + self.dest.capacity() + self.reached.capacity()) * 4
            + self.changes.capacity() * std::mem::size_of::<SiteChange>()
            + self.probes.entries.capacity() * 12
    }
}

/// Slots of a cluster-move rule on an owner of `kind` holding `species`: one per neighbour
/// in the move shell when the species is the cluster's.
pub(super) fn slots(graph: &SiteGraph, action: Action, kind: KindId, species: SpeciesId) -> usize {
    match action {
        Action::ClusterMove(c) if c.species == species => match c.vectors {
            Some(v) => usize::from(v.count),
            None => graph.max_neighbors(kind, c.shell),
        },
        _ => 0,
    }
}

/// Collects into `members` the sites of the cluster containing `start` (breadth-first
/// along `c.connect`, in neighbour order, through sites holding a species of `c.motif`),
/// stopping once it holds more than `cap` sites. Returns true when the whole cluster was
/// collected (it has at most `cap` sites). `start` must hold a species of `c.motif`.
pub fn component(
    graph: &SiteGraph,
    occupancy: &Occupancy,
    c: &ClusterMove,
    start: SiteId,
    cap: usize,
    members: &mut Vec<SiteId>,
    seen: &mut SiteSet,
) -> bool {
    component_until(graph, occupancy, c, start, cap, members, seen, |_| false)
}

/// [`component`] that also stops, returning false, at the first atom (`start` included)
/// for which `stop` holds; that atom is not added to `members`, except `start`.
// the arguments of `component` and the stop test.
#[allow(clippy::too_many_arguments)]
pub fn component_until(
    graph: &SiteGraph,
    occupancy: &Occupancy,
    c: &ClusterMove,
    start: SiteId,
    cap: usize,
    members: &mut Vec<SiteId>,
    seen: &mut SiteSet,
    stop: impl Fn(SiteId) -> bool,
) -> bool {
    members.clear();
    seen.clear();
    members.push(start);
    seen.insert(start.0);
    if stop(start) {
        return false;
    }
    let mut head = 0;
    while head < members.len() {
        let s = members[head];
        head += 1;
        for k in graph.neighbors(s, c.connect) {
            if c.motif.contains(occupancy.get(k)) && seen.insert(k.0) {
                if members.len() == cap || stop(k) {
                    return false;
                }
                members.push(k);
            }
        }
    }
    true
}

/// The minimum-image convention of a graph's box (shifts by whole edge vectors along the
/// periodic axes).
struct Frame {
    image: MinImage,
}

impl Frame {
    fn of(graph: &SiteGraph) -> Self {
        Self {
            image: MinImage::new(graph.simulation_box()),
        }
    }

    /// The minimum image of `d` [Å].
    fn min_image(&self, d: [f64; 3]) -> [f64; 3] {
        self.image.apply(d)
    }

    /// The displacement from `a` to `b` [Å] (minimum image).
    fn displacement(&self, graph: &SiteGraph, a: SiteId, b: SiteId) -> [f64; 3] {
        let (pa, pb) = (graph.position(a), graph.position(b));
        self.min_image([pb[0] - pa[0], pb[1] - pa[1], pb[2] - pa[2]])
    }

    /// Whether the displacement from `a` to `b` is `d` (to [`VECTOR_TOLERANCE`]): the plain
    /// difference is tried first, its minimum image only when that fails in a periodic box.
    fn is_vector(&self, graph: &SiteGraph, a: SiteId, b: SiteId, d: [f64; 3]) -> bool {
        let (pa, pb) = (graph.position(a), graph.position(b));
        let raw = [pb[0] - pa[0], pb[1] - pa[1], pb[2] - pa[2]];
        let off =
            |v: [f64; 3]| (v[0] - d[0]).powi(2) + (v[1] - d[1]).powi(2) + (v[2] - d[2]).powi(2);
        let tol2 = VECTOR_TOLERANCE * VECTOR_TOLERANCE;
        off(raw) <= tol2 || (!self.image.is_open() && off(self.min_image(raw)) <= tol2)
    }

    /// The neighbour of `s` in `shell` at the vector `d`: the neighbour at the index
    /// `offset` from `s` when it is at `d` (a repeated crystal), else the first neighbour
    /// at `d` (by [`Self::is_vector`]). One pass over the neighbours, which are sorted by
    /// index; in an open box a neighbour more than twice the tolerance away along x is
    /// passed over without the full test (it fails it).
    fn destination(
        &self,
        graph: &SiteGraph,
        shell: ShellId,
        s: SiteId,
        offset: i64,
        d: [f64; 3],
    ) -> Option<SiteId> {
        let open = self.image.is_open();
        let ps = graph.position(s);
        let at_d = |t: SiteId| {
            if open && (graph.position(t)[0] - ps[0] - d[0]).abs() > 2.0 * VECTOR_TOLERANCE {
                return false;
            }
            self.is_vector(graph, s, t, d)
        };
        let mut first = None;
        for t in graph.neighbors(s, shell) {
            let step = i64::from(t.0) - i64::from(s.0);
            if step == offset {
                // the neighbour at the offset: preferred when at d.
                if at_d(t) {
                    return Some(t);
                }
                if first.is_some() {
                    return first;
                }
                continue;
            }
            if first.is_some() {
                if step > offset {
                    // no neighbour at the offset (the list is sorted).
                    return first;
                }
            } else if at_d(t) {
                first = Some(t);
            }
        }
        first
    }
}

/// Whether the cluster in `scratch.members` (owned by `owner`, its lowest site) can move by
/// the vector of slot `local`; if so, fills `scratch.changes` with the net site changes.
// the configuration, the rule, the slot and the scratch space.
#[allow(clippy::too_many_arguments)]
fn plan_move(
    model: &Model,
    graph: &SiteGraph,
    occupancy: &Occupancy,
    c: &ClusterMove,
    owner: SiteId,
    local: u32,
    frame: &Frame,
    scratch: &mut ClusterScratch,
) -> bool {
    scratch.dest.clear();
    scratch.dest_set.clear();
    if let Some(set) = c
        .vectors
        .and_then(|v| model.move_vectors.get(usize::from(v.index)))
    {
        // lattice vectors: each atom's destination from the table, whose opposite vector
        // leads back to the atom (so the reverse move is one of the new owner's, and the
        // refresh finds the atom from the destination: engine/clusters.rs).
        let k = local as usize;
        let Some(back) = set.opposite(k) else {
            return false;
        };
        for i in 0..scratch.members.len() {
            let s = scratch.members[i];
            let Some(t) = set.target(s, k) else {
                return false;
            };
            if set.target(t, back) != Some(s)
                || !accepts(
                    model,
                    graph,
                    occupancy,
                    (&scratch.member_set, &mut scratch.dest_set),
                    s,
                    t,
                )
            {
                return false;
            }
            scratch.dest.push(t);
        }
    } else {
        let offsets = graph.neighbor_offsets(owner, c.shell);
        if local as usize >= offsets.len() {
            return false;
        }
        let offset = i64::from(offsets[local as usize]);
        let target = graph.neighbor(owner, c.shell, local as usize);
        let d = frame.displacement(graph, owner, target);
        let destination = |s: SiteId| frame.destination(graph, c.shell, s, offset, d);
        if let Some(p) = scratch.probes.get(owner, local) {
            if scratch.member_set.contains(&p.0)
                && !destination(p).is_some_and(|t| {
                    (occupancy.get(t).is_vacancy() || scratch.member_set.contains(&t.0))
                        && model.kinds[graph.kind(t).index()]
                            .allowed
                            .contains(occupancy.get(p))
                })
            {
                return false;
            }
        }
        for i in 0..scratch.members.len() {
            let s = scratch.members[i];
            let ok = destination(s).is_some_and(|t| {
                accepts(
                    model,
                    graph,
                    occupancy,
                    (&scratch.member_set, &mut scratch.dest_set),
                    s,
                    t,
                ) && {
                    scratch.dest.push(t);
                    true
                }
            });
            if !ok {
                scratch.probes.set(owner, local, s);
                return false;
            }
        }
    }
    let Some(contact) = landing(graph, occupancy, c, scratch) else {
        return false;
    };
    if contact && c.merge_min_gain.is_none() {
        return false;
    }
    scratch.contact = contact;
    scratch.changes.clear();
    for &s in &scratch.members {
        if !scratch.dest_set.contains(&s.0) {
            scratch.changes.push(SiteChange {
                site: s,
                from: occupancy.get(s),
                to: SpeciesId::VACANCY,
            });
        }
    }
    // every destination takes the species of its source atom; a destination that was a
    // site of the cluster changes only when the arriving species differs.
    for (i, &t) in scratch.dest.iter().enumerate() {
        let arriving = occupancy.get(scratch.members[i]);
        let before = occupancy.get(t);
        if before != arriving {
            scratch.changes.push(SiteChange {
                site: t,
                from: before,
                to: arriving,
            });
        }
    }
    true
}

/// How the cluster placed on `scratch.dest` lands: `None` when it is not connected, else
/// whether it touches another atom of the motif (a site of the old cluster is vacant after
/// the move or holds a moved atom).
fn landing(
    graph: &SiteGraph,
    occupancy: &Occupancy,
    c: &ClusterMove,
    scratch: &mut ClusterScratch,
) -> Option<bool> {
    let contact = scratch.dest.iter().any(|&t| {
        graph
            .neighbors(t, c.connect)
            .any(|u| c.motif.contains(occupancy.get(u)) && !scratch.member_set.contains(&u.0))
    });
    if contact && c.merge_min_gain.is_none() {
        // refused anyway: skip the connectivity walk.
        return Some(true);
    }
    scratch.reached.clear();
    scratch.reached_set.clear();
    scratch.reached.push(scratch.dest[0]);
    scratch.reached_set.insert(scratch.dest[0].0);
    let mut head = 0;
    while head < scratch.reached.len() {
        let s = scratch.reached[head];
        head += 1;
        for u in graph.neighbors(s, c.connect) {
            if scratch.dest_set.contains(&u.0) && scratch.reached_set.insert(u.0) {
                scratch.reached.push(u);
            }
        }
    }
    (scratch.reached.len() == scratch.dest.len()).then_some(contact)
}

/// Whether the atom on `s` may move to `t`: `t` is vacant or a site of the cluster, allows
/// the atom's species and is no other atom's destination (recorded in `scratch.dest_set`).
fn accepts(
    model: &Model,
    graph: &SiteGraph,
    occupancy: &Occupancy,
    (member_set, dest_set): (&SiteSet, &mut SiteSet),
    s: SiteId,
    t: SiteId,
) -> bool {
    (occupancy.get(t).is_vacancy() || member_set.contains(&t.0))
        && model.kinds[graph.kind(t).index()]
            .allowed
            .contains(occupancy.get(s))
        && dest_set.insert(t.0)
}

/// Collects the cluster of `owner` into `scratch.members` and returns its size, or `None`
/// when `owner` does not own cluster moves of `c` now (not the lead species, not the
/// lowest site holding it, size outside `min_size ..= max_size`).
fn owned_cluster(
    graph: &SiteGraph,
    occupancy: &Occupancy,
    c: &ClusterMove,
    owner: SiteId,
    scratch: &mut ClusterScratch,
) -> Option<u32> {
    if occupancy.get(owner) != c.species {
        return None;
    }
    let cap = c.max_size as usize;
    if !component(
        graph,
        occupancy,
        c,
        owner,
        cap,
        &mut scratch.members,
        &mut scratch.member_set,
    ) {
        return None;
    }
    let n = u32::try_from(scratch.members.len()).ok()?;
    if n < c.min_size
        || scratch
            .members
            .iter()
            .any(|&s| s < owner && occupancy.get(s) == c.species)
    {
        return None;
    }
    Some(n)
}

/// The classification of a planned move of a cluster of `n` atoms whose net changes are
/// in `scratch.changes`; `None` when it is a merge that gains too little energy.
// the configuration, the rule and the move.
#[allow(clippy::too_many_arguments)]
fn classified<E: EnergyModel>(
    model: &Model,
    energy: &E,
    graph: &SiteGraph,
    occupancy: &Occupancy,
    rule: u32,
    c: &ClusterMove,
    n: u32,
    scratch: &ClusterScratch,
) -> Option<Classified> {
    let barrier = match model.rules[rule as usize].law {
        RateLaw::Thermal {
            migration_energy,
            barrier_rule,
            ..
        } => {
            let delta_e = energy.delta_energy(graph, occupancy, &scratch.changes);
            c.barrier(barrier_rule, migration_energy, n, delta_e, scratch.contact)?
        }
        RateLaw::Beam { .. } | RateLaw::BeamProcess { .. } => 0.0,
    };
    Some(Classified { rule, barrier })
}

/// Classifies the cluster move in slot `local` of `entry` owned by `owner` (see
/// [`super::EventCatalog::classify`]).
#[must_use]
// the arguments of `EventCatalog::classify` and the scratch space.
#[allow(clippy::too_many_arguments)]
pub fn classify_one<E: EnergyModel>(
    model: &Model,
    energy: &E,
    graph: &SiteGraph,
    occupancy: &Occupancy,
    owner: SiteId,
    entry: LayoutEntry,
    local: u32,
    scratch: &mut ClusterScratch,
) -> Option<Classified> {
    let Action::ClusterMove(c) = model.rules[entry.rule as usize].action else {
        return None;
    };
    let n = owned_cluster(graph, occupancy, &c, owner, scratch)?;
    let frame = Frame::of(graph);
    if !plan_move(model, graph, occupancy, &c, owner, local, &frame, scratch) {
        return None;
    }
    classified(model, energy, graph, occupancy, entry.rule, &c, n, scratch)
}

/// Classifies every slot of the cluster-move `entry` owned by `owner`, passing
/// `(slot, classification)` to `report` in slot order. The cluster is collected once; each
/// result is bit for bit the one [`classify_one`] gives for that slot alone.
///
/// # Errors
/// The first error of `report`, at which classification stops.
// the arguments of `EventCatalog::classify`, the scratch space and the report.
#[allow(clippy::too_many_arguments)]
pub fn classify_all<E: EnergyModel, R>(
    model: &Model,
    energy: &E,
    graph: &SiteGraph,
    occupancy: &Occupancy,
    owner: SiteId,
    entry: LayoutEntry,
    scratch: &mut ClusterScratch,
    mut report: impl FnMut(u32, Option<Classified>) -> Result<(), R>,
) -> Result<(), R> {
    let Action::ClusterMove(c) = model.rules[entry.rule as usize].action else {
        return Ok(());
    };
    let Some(n) = owned_cluster(graph, occupancy, &c, owner, scratch) else {
        for local in 0..entry.slots {
            report(entry.offset + local, None)?;
        }
        return Ok(());
    };
    let frame = Frame::of(graph);
    for local in 0..entry.slots {
        let result = if plan_move(model, graph, occupancy, &c, owner, local, &frame, scratch) {
            classified(model, energy, graph, occupancy, entry.rule, &c, n, scratch)
        } else {
            None
        };
        report(entry.offset + local, result)?;
    }
    Ok(())
}

/// The net site changes of the (possible) cluster move in slot `local` of `entry` owned by
/// `owner`, into `scratch.changes`; false (and no changes) when the move is not possible.
/// A merge's energy gain is not checked here: it is planned only once classified.
pub fn plan(
    model: &Model,
    graph: &SiteGraph,
    occupancy: &Occupancy,
    owner: SiteId,
    entry: LayoutEntry,
    local: u32,
    scratch: &mut ClusterScratch,
) -> bool {
    scratch.changes.clear();
    let Action::ClusterMove(c) = model.rules[entry.rule as usize].action else {
        return false;
    };
    if owned_cluster(graph, occupancy, &c, owner, scratch).is_none() {
        return false;
    }
    let frame = Frame::of(graph);
    let ok = plan_move(model, graph, occupancy, &c, owner, local, &frame, scratch);
    if !ok {
        scratch.changes.clear();
    }
    ok
}
