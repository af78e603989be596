//! The remove action (`remove`, `beam_remove`): the atom on a site leaves into the vacuum
//! sink (evaporation, sputtering). The site itself owns the event (one slot); the engine
//! counts the removed atom per domain and species.

use crate::model::{Action, Model};
use crate::sites::{KindId, SiteId};
use crate::state::{SiteChange, SpeciesId};

/// Slots of a remove rule on a site of `kind` holding `species`: one when the rule's site
/// matches, else none.
pub(super) fn slots(_model: &Model, action: Action, kind: KindId, species: SpeciesId) -> usize {
    match action {
        Action::Remove { site } if site.matches(kind, species) => 1,
        _ => 0,
    }
}

/// The change of the removal from `owner`.
pub(super) fn change(action: Action, owner: SiteId) -> Option<SiteChange> {
    let Action::Remove { site } = action else {
        return None;
    };
    Some(SiteChange {
        site: owner,
        from: site.species,
        to: SpeciesId::VACANCY,
    })
}
