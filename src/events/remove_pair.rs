//! The molecule removal action (`remove_pair`): two atoms on neighbouring sites leave
//! together into the vacuum sink (`X₂`, a `CdSe` unit). The site of the first atom owns
//! the event, with one slot per neighbour in the rule's shell (see [`super::molecule`] for
//! the classification shared with [`super::add_pair`]).

use super::molecule::Ends;
use crate::model::{Action, SiteMatch};
use crate::sites::{KindId, SiteGraph};
use crate::state::SpeciesId;

/// Slots of a molecule removal on a site of `kind` holding `species`: one per neighbour in
/// the shell when the site can hold the first atom, else none.
pub(super) fn slots(graph: &SiteGraph, action: Action, kind: KindId, species: SpeciesId) -> usize {
    match action {
        Action::RemovePair { shell, first, .. } if first.matches(kind, species) => {
            graph.max_neighbors(kind, shell)
        }
        _ => 0,
    }
}

/// The two ends of a removal: each site must hold its atom (on its kind, if named) and
/// becomes vacant.
pub(super) fn ends(first: SiteMatch, second: SiteMatch) -> Ends {
    Ends {
        before: [first.species, second.species],
        after: [SpeciesId::VACANCY, SpeciesId::VACANCY],
        kinds: [first.kind, second.kind],
    }
}
