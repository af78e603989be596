//! The change action (`change`, `beam_change`): the species on a site changes in place (a
//! reduction `Zn²⁺ → Zn⁰` under the beam, a charge state). The site owns the event (one
//! slot) when it holds the species and its kind allows the new one.

use crate::model::{Action, Model};
use crate::sites::{KindId, SiteId};
use crate::state::{SiteChange, SpeciesId};

/// Slots of a change rule on a site of `kind` holding `species`: one when the rule's site
/// matches and the kind allows the new species, else none.
pub(super) fn slots(model: &Model, action: Action, kind: KindId, species: SpeciesId) -> usize {
    match action {
        Action::Change { site, to }
            if site.matches(kind, species) && model.kinds[kind.index()].allowed.contains(to) =>
        {
            1
        }
        _ => 0,
    }
}

/// The change on `owner`.
pub(super) fn change(action: Action, owner: SiteId) -> Option<SiteChange> {
    let Action::Change { site, to } = action else {
        return None;
    };
    Some(SiteChange {
        site: owner,
        from: site.species,
        to,
    })
}
