//! The add action (`add`): an atom arrives on a vacant site from a reservoir (deposition).
//! The vacant site owns the event (one slot) when its kind allows the species; the engine
//! counts the added atom per domain and species.

use crate::model::{Action, Model};
use crate::sites::{KindId, SiteId};
use crate::state::{SiteChange, SpeciesId};

/// Slots of an add rule on a site of `kind` holding `species`: one on a vacant site of the
/// rule's kind (or any) that allows the arriving species, else none.
pub(super) fn slots(model: &Model, action: Action, kind: KindId, species: SpeciesId) -> usize {
    match action {
        Action::Add {
            species: added,
            kind: wanted,
        } if species.is_vacancy()
            && wanted.is_none_or(|k| k == kind)
            && model.kinds[kind.index()].allowed.contains(added) =>
        {
            1
        }
        _ => 0,
    }
}

/// The change of the addition on `owner`.
pub(super) fn change(action: Action, owner: SiteId) -> Option<SiteChange> {
    let Action::Add { species, .. } = action else {
        return None;
    };
    Some(SiteChange {
        site: owner,
        from: SpeciesId::VACANCY,
        to: species,
    })
}
