//! Environment counts of an event: the neighbours that its conditions and saddle terms
//! count, around its owner (and its partner, for two-site events).
//!
//! Every rule reads its environment through this file, so a new filter on what a neighbour
//! must be (a species set, a site kind, a domain) is added here once for every action.

use crate::model::{Condition, SaddleTerm};
use crate::sites::{ShellId, SiteGraph, SiteId};
use crate::state::{Occupancy, SpeciesId};

/// Species counts of one site's shell (from the [`Occupancy`] cache) to a neighbour count.
type CountsFn<'a> = dyn Fn(&[u8]) -> u32 + 'a;

/// Number of neighbours of `owner` (and of `pair.0`, for two-site events) in `shell`
/// holding a species accepted by `accept`, excluding the two event sites themselves.
#[inline]
fn environment_count(
    graph: &SiteGraph,
    occupancy: &Occupancy,
    shell: ShellId,
    owner: SiteId,
    pair: Option<(SiteId, ShellId)>,
    accept: impl Fn(SiteId, SpeciesId) -> bool,
    cached: Option<&CountsFn<'_>>,
) -> u32 {
    if let (Some(from_counts), true) = (cached, occupancy.is_counted(shell)) {
        let mut n = from_counts(occupancy.counts(owner, shell));
        if let Some((partner, _)) = pair {
            n += from_counts(occupancy.counts(partner, shell));
            // the two event sites see each other when they are neighbours in this shell.
            if graph.slot_of(owner, shell, partner).is_some() {
                n -= u32::from(accept(partner, occupancy.get(partner)));
                n -= u32::from(accept(owner, occupancy.get(owner)));
            }
        }
        return n;
    }
    let mut n = 0;
    let mut visit = |site: SiteId, other: Option<SiteId>| {
        for k in graph.neighbors(site, shell) {
            if Some(k) != other && accept(k, occupancy.get(k)) {
                n += 1;
            }
        }
    };
    match pair {
        Some((partner, _)) => {
            visit(owner, Some(partner));
            visit(partner, Some(owner));
        }
        None => visit(owner, None),
    }
    n
}

/// The number of neighbours a saddle term counts around an event.
pub(super) fn saddle_count(
    graph: &SiteGraph,
    occupancy: &Occupancy,
    term: &SaddleTerm,
    owner: SiteId,
    pair: Option<(SiteId, ShellId)>,
) -> u32 {
    let species = term.species;
    if term.filter.is_open() {
        environment_count(
            graph,
            occupancy,
            term.shell,
            owner,
            pair,
            |_, s| s == species,
            Some(&|counts: &[u8]| u32::from(counts[species.index()])),
        )
    } else {
        let filter = &term.filter;
        environment_count(
            graph,
            occupancy,
            term.shell,
            owner,
            pair,
            |site, s| s == species && filter.accepts(graph.kind(site), graph.domain(site)),
            None,
        )
    }
}

/// Whether the environment of an event satisfies `condition`.
pub(super) fn condition_holds(
    graph: &SiteGraph,
    occupancy: &Occupancy,
    condition: &Condition,
    owner: SiteId,
    pair: Option<(SiteId, ShellId)>,
) -> bool {
    let set = condition.species;
    let n = if condition.filter.is_open() {
        environment_count(
            graph,
            occupancy,
            condition.shell,
            owner,
            pair,
            |_, s| set.contains(s),
            Some(&|counts: &[u8]| {
                counts
                    .iter()
                    .enumerate()
                    .filter(|(z, _)| {
                        #[allow(clippy::cast_possible_truncation)]
                        set.contains(SpeciesId(*z as u8))
                    })
                    .map(|(_, &c)| u32::from(c))
                    .sum()
            }),
        )
    } else {
        let filter = &condition.filter;
        environment_count(
            graph,
            occupancy,
            condition.shell,
            owner,
            pair,
            |site, s| set.contains(s) && filter.accepts(graph.kind(site), graph.domain(site)),
            None,
        )
    };
    n >= u32::from(condition.min) && n <= u32::from(condition.max)
}

/// All conditions of a rule hold around an event.
#[inline]
pub(super) fn conditions_hold(
    graph: &SiteGraph,
    occupancy: &Occupancy,
    conditions: &[Condition],
    owner: SiteId,
    pair: Option<(SiteId, ShellId)>,
) -> bool {
    conditions
        .iter()
        .all(|c| condition_holds(graph, occupancy, c, owner, pair))
}
