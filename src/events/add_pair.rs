//! The molecule addition action (`add_pair`): a molecule from a reservoir lands on two
//! vacant neighbouring sites, the reverse of [`super::remove_pair`]. The vacant site that
//! receives the first atom owns the event, with one slot per neighbour in the rule's shell.

use super::molecule::Ends;
use crate::model::{Action, Model, SiteMatch};
use crate::sites::{KindId, SiteGraph};
use crate::state::SpeciesId;

/// Slots of a molecule addition on a site of `kind` holding `species`: one per neighbour
/// in the shell on a vacant site of the first atom's kind (or any) that allows it.
pub(super) fn slots(
    model: &Model,
    graph: &SiteGraph,
    action: Action,
    kind: KindId,
    species: SpeciesId,
) -> usize {
    match action {
        Action::AddPair { shell, first, .. }
            if species.is_vacancy()
                && first.kind.is_none_or(|k| k == kind)
                && model.kinds[kind.index()].allowed.contains(first.species) =>
        {
            graph.max_neighbors(kind, shell)
        }
        _ => 0,
    }
}

/// The two ends of an addition: each site must be vacant (on its kind, if named) and
/// receives its atom.
pub(super) fn ends(first: SiteMatch, second: SiteMatch) -> Ends {
    Ends {
        before: [SpeciesId::VACANCY, SpeciesId::VACANCY],
        after: [first.species, second.species],
        kinds: [first.kind, second.kind],
    }
}
