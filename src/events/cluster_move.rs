//! The cluster-move action (`cluster_move`): a connected cluster of one species
//! translates rigidly by one vector of a neighbour shell.
//!
//! A *cluster* is a connected component of the sites holding the rule's species, linked by
//! the `connect` shell. Only clusters of `min_size ..= max_size` atoms move. The lowest site
//! of the cluster owns its moves, one slot per neighbour of the owner in the move `shell`:
//! slot `k` moves every atom by the vector from the owner to its `k`-th neighbour (the
//! minimum image in a periodic box). A move is possible when
//! - every atom has a neighbour in `shell` at exactly that vector (to 10⁻³ Å), and the
//!   destination site allows the species and is vacant or part of the cluster;
//! - the moved cluster is connected along `connect` and touches no other atom of the
//!   species (it stays the same cluster: the reverse move, by the opposite vector, owned
//!   by the lowest site of the moved cluster, exists, so detailed balance holds).
//!
//! The energy change is the exact bond-counting ΔE of the net site changes (vacated
//! sites first, then filled ones, each in the breadth-first order of the cluster from its
//! owner); the barrier is `barrier_rule(E_m + size term, ΔE)` with the size term of
//! [`ClusterMove::size_barrier`]. A cluster move and its reverse therefore satisfy
//! `E_fwd − E_bwd = ΔE` like every other thermal event.
//!
//! A cluster move reads sites up to `1 + interaction range` hops from its atoms (the
//! destinations and their neighbourhoods) and its whole cluster, so the engine refreshes
//! cluster moves with a bounded flood fill of its own (`engine/clusters.rs`), not with the
//! fixed-radius refresh of the other actions.

use std::collections::HashSet;

use nalgebra::{Matrix3, Vector3};

use super::{Classified, LayoutEntry};
use crate::energy::EnergyModel;
use crate::model::{Action, ClusterMove, Model, RateLaw};
use crate::sites::{KindId, SiteGraph, SiteId};
use crate::state::{Occupancy, SiteChange, SpeciesId};

/// Largest distance [Å] between a neighbour's displacement and the move vector for the
/// neighbour to count as the destination.
const VECTOR_TOLERANCE: f64 = 1e-3;

/// Scratch space of the cluster-move functions (no state between calls).
#[derive(Debug, Clone, Default)]
pub struct ClusterScratch {
    /// The cluster's sites in breadth-first order from the owner.
    pub members: Vec<SiteId>,
    member_set: HashSet<u32>,
    dest: Vec<SiteId>,
    dest_set: HashSet<u32>,
    reached: Vec<SiteId>,
    reached_set: HashSet<u32>,
    /// The net site changes of the last planned move (vacated sites, then filled ones).
    pub changes: Vec<SiteChange>,
}

/// Slots of a cluster-move rule on an owner of `kind` holding `species`: one per neighbour
/// in the move shell when the species is the cluster's.
pub(super) fn slots(graph: &SiteGraph, action: Action, kind: KindId, species: SpeciesId) -> usize {
    match action {
        Action::ClusterMove(c) if c.species == species => graph.max_neighbors(kind, c.shell),
        _ => 0,
    }
}

/// Collects into `members` the sites of the cluster containing `start` (breadth-first
/// along `c.connect`, in neighbour order), stopping once it holds more than `cap` sites.
/// Returns true when the whole cluster was collected (it has at most `cap` sites).
/// `start` must hold `c.species`.
// the scratch sets are always the default hasher's.
#[allow(clippy::implicit_hasher)]
pub fn component(
    graph: &SiteGraph,
    occupancy: &Occupancy,
    c: &ClusterMove,
    start: SiteId,
    cap: usize,
    members: &mut Vec<SiteId>,
    seen: &mut HashSet<u32>,
) -> bool {
    members.clear();
    seen.clear();
    members.push(start);
    seen.insert(start.0);
    let mut head = 0;
    while head < members.len() {
        let s = members[head];
        head += 1;
        for k in graph.neighbors(s, c.connect) {
            if occupancy.get(k) == c.species && seen.insert(k.0) {
                if members.len() == cap {
                    return false;
                }
                members.push(k);
            }
        }
    }
    true
}

/// The minimum image of `d` [Å] in `graph`'s box, with the box's inverse `inverse`.
fn min_image(graph: &SiteGraph, inverse: Option<&Matrix3<f64>>, d: [f64; 3]) -> [f64; 3] {
    let b = graph.simulation_box();
    let Some(inverse) = inverse else {
        return d;
    };
    let edges = Matrix3::from_fn(|i, j| b.edges[j][i]);
    let f = inverse * Vector3::from(d);
    let mut out = d;
    for a in 0..3 {
        if b.periodic[a] {
            let n = f[a].round();
            for (i, x) in out.iter_mut().enumerate() {
                *x -= n * edges[(i, a)];
            }
        }
    }
    out
}

/// The displacement from `a` to `b` [Å] (minimum image).
fn displacement(
    graph: &SiteGraph,
    inverse: Option<&Matrix3<f64>>,
    a: SiteId,
    b: SiteId,
) -> [f64; 3] {
    let (pa, pb) = (graph.position(a), graph.position(b));
    min_image(
        graph,
        inverse,
        [pb[0] - pa[0], pb[1] - pa[1], pb[2] - pa[2]],
    )
}

/// The inverse of the box edges when some axis is periodic.
fn box_inverse(graph: &SiteGraph) -> Option<Matrix3<f64>> {
    let b = graph.simulation_box();
    if !b.periodic.iter().any(|&p| p) {
        return None;
    }
    Matrix3::from_fn(|i, j| b.edges[j][i]).try_inverse()
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
    inverse: Option<&Matrix3<f64>>,
    scratch: &mut ClusterScratch,
) -> bool {
    let offsets = graph.neighbor_offsets(owner, c.shell);
    if local as usize >= offsets.len() {
        return false;
    }
    let target = graph.neighbor(owner, c.shell, local as usize);
    let d = displacement(graph, inverse, owner, target);
    let tol2 = VECTOR_TOLERANCE * VECTOR_TOLERANCE;
    scratch.dest.clear();
    scratch.dest_set.clear();
    for &s in &scratch.members {
        let mut found = None;
        for t in graph.neighbors(s, c.shell) {
            let v = displacement(graph, inverse, s, t);
            let e2 = (v[0] - d[0]).powi(2) + (v[1] - d[1]).powi(2) + (v[2] - d[2]).powi(2);
            if e2 <= tol2 {
                found = Some(t);
                break;
            }
        }
        let Some(t) = found else {
            return false;
        };
        let vacant = occupancy.get(t).is_vacancy();
        if !(vacant || scratch.member_set.contains(&t.0))
            || !model.kinds[graph.kind(t).index()]
                .allowed
                .contains(c.species)
            || !scratch.dest_set.insert(t.0)
        {
            return false;
        }
        scratch.dest.push(t);
    }
    // the moved cluster touches no other atom of the species (a site of the old cluster is
    // vacant after the move), and it is connected.
    for &t in &scratch.dest {
        for u in graph.neighbors(t, c.connect) {
            if occupancy.get(u) == c.species && !scratch.member_set.contains(&u.0) {
                return false;
            }
        }
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
    if scratch.reached.len() != scratch.dest.len() {
        return false;
    }
    scratch.changes.clear();
    for &s in &scratch.members {
        if !scratch.dest_set.contains(&s.0) {
            scratch.changes.push(SiteChange {
                site: s,
                from: c.species,
                to: SpeciesId::VACANCY,
            });
        }
    }
    for &t in &scratch.dest {
        if !scratch.member_set.contains(&t.0) {
            scratch.changes.push(SiteChange {
                site: t,
                from: SpeciesId::VACANCY,
                to: c.species,
            });
        }
    }
    true
}

/// Collects the cluster of `owner` into `scratch.members` and returns its size, or `None`
/// when `owner` does not own cluster moves of `c` now (wrong species, not the lowest site,
/// size outside `min_size ..= max_size`).
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
    if n < c.min_size || scratch.members.iter().any(|&s| s < owner) {
        return None;
    }
    Some(n)
}

/// The classification of a possible move of a cluster of `n` atoms whose net changes are
/// in `changes`.
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
    changes: &[SiteChange],
) -> Classified {
    let barrier = match model.rules[rule as usize].law {
        RateLaw::Thermal {
            migration_energy,
            barrier_rule,
            ..
        } => {
            let delta_e = energy.delta_energy(graph, occupancy, changes);
            barrier_rule.barrier((migration_energy + c.size_barrier(n)).max(0.0), delta_e)
        }
        RateLaw::Beam { .. } => 0.0,
    };
    Classified { rule, barrier }
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
    let inverse = box_inverse(graph);
    if !plan_move(
        model,
        graph,
        occupancy,
        &c,
        owner,
        local,
        inverse.as_ref(),
        scratch,
    ) {
        return None;
    }
    Some(classified(
        model,
        energy,
        graph,
        occupancy,
        entry.rule,
        &c,
        n,
        &scratch.changes,
    ))
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
    let inverse = box_inverse(graph);
    for local in 0..entry.slots {
        let result = if plan_move(
            model,
            graph,
            occupancy,
            &c,
            owner,
            local,
            inverse.as_ref(),
            scratch,
        ) {
            Some(classified(
                model,
                energy,
                graph,
                occupancy,
                entry.rule,
                &c,
                n,
                &scratch.changes,
            ))
        } else {
            None
        };
        report(entry.offset + local, result)?;
    }
    Ok(())
}

/// The net site changes of the (possible) cluster move in slot `local` of `entry` owned by
/// `owner`, into `scratch.changes`; false (and no changes) when the move is not possible.
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
    let inverse = box_inverse(graph);
    let ok = plan_move(
        model,
        graph,
        occupancy,
        &c,
        owner,
        local,
        inverse.as_ref(),
        scratch,
    );
    if !ok {
        scratch.changes.clear();
    }
    ok
}
