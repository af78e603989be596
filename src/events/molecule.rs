//! Classification shared by the two-site molecule actions ([`super::remove_pair`],
//! [`super::add_pair`]): which slots of an owner are possible, and their energy changes.
//!
//! An event is possible when the partner (the owner's neighbour in the slot) holds what
//! its end needs, on a kind the rule accepts and that allows what it receives, and the
//! rule's conditions hold around both sites. When the two ends need the same species
//! before and after, the same molecule would be seen from both of its sites: then only the
//! lower site owns it, so that every event is counted once.

use super::environment::conditions_hold;
use super::{Classified, DecodedEvent, EventCatalog, LayoutEntry, offset_site};
use crate::energy::EnergyModel;
use crate::error::Result;
use crate::model::{Action, Model, RateLaw};
use crate::sites::{KindId, ShellId, SiteGraph, SiteId};
use crate::state::{Occupancy, SiteChange, SpeciesId};

/// The two ends of a molecule event: the owner's (index 0) and the partner's (index 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ends {
    /// Species each site holds before.
    pub before: [SpeciesId; 2],
    /// Species each site holds after.
    pub after: [SpeciesId; 2],
    /// Kind each site must have, or any.
    pub kinds: [Option<KindId>; 2],
}

impl Ends {
    /// The ends of a molecule action, with its shell; `None` for other actions.
    pub(super) fn of(action: Action) -> Option<(ShellId, Ends)> {
        match action {
            Action::RemovePair {
                shell,
                first,
                second,
            } => Some((shell, super::remove_pair::ends(first, second))),
            Action::AddPair {
                shell,
                first,
                second,
            } => Some((shell, super::add_pair::ends(first, second))),
            _ => None,
        }
    }

    /// Whether a site of `kind` holding `species` can be end `i`.
    fn fits(&self, model: &Model, i: usize, kind: KindId, species: SpeciesId) -> bool {
        species == self.before[i]
            && self.kinds[i].is_none_or(|k| k == kind)
            && (self.after[i].is_vacancy()
                || model.kinds[kind.index()].allowed.contains(self.after[i]))
    }

    /// The two site changes, owner first.
    fn changes(&self, owner: SiteId, partner: SiteId) -> [SiteChange; 2] {
        [
            SiteChange {
                site: owner,
                from: self.before[0],
                to: self.after[0],
            },
            SiteChange {
                site: partner,
                from: self.before[1],
                to: self.after[1],
            },
        ]
    }
}

/// Whether the molecule event of `owner` with its neighbour `partner` is possible now.
// the configuration, the rule and its two ends.
#[allow(clippy::too_many_arguments)]
fn possible(
    model: &Model,
    graph: &SiteGraph,
    occupancy: &Occupancy,
    rule: u32,
    ends: &Ends,
    shell: ShellId,
    owner: SiteId,
    partner: SiteId,
) -> bool {
    let partner_kind = graph.kind(partner);
    let owner_kind = graph.kind(owner);
    if !ends.fits(model, 0, owner_kind, occupancy.get(owner))
        || !ends.fits(model, 1, partner_kind, occupancy.get(partner))
    {
        return false;
    }
    // the same molecule seen from the partner: the lower site owns it.
    if ends.before[0] == ends.before[1]
        && ends.after[0] == ends.after[1]
        && partner < owner
        && ends.fits(model, 0, partner_kind, occupancy.get(partner))
        && ends.fits(model, 1, owner_kind, occupancy.get(owner))
    {
        return false;
    }
    conditions_hold(
        graph,
        occupancy,
        &model.rules[rule as usize].conditions,
        owner,
        Some((partner, shell)),
    )
}

/// Decodes the molecule event in slot `local` of `entry` owned by `owner`.
pub(super) fn decode(
    graph: &SiteGraph,
    action: Action,
    owner: SiteId,
    entry: LayoutEntry,
    local: u32,
) -> Option<DecodedEvent> {
    let (shell, ends) = Ends::of(action)?;
    let partner = graph.neighbor(owner, shell, local as usize);
    Some(DecodedEvent {
        rule: entry.rule,
        changes: ends.changes(owner, partner),
        n_changes: 2,
    })
}

/// Classifies the molecule event in slot `local` of `entry` owned by `owner` alone: its
/// energy change and partner, or `None` when impossible.
pub(super) fn classify_one<E: EnergyModel>(
    model: &Model,
    energy: &E,
    graph: &SiteGraph,
    occupancy: &Occupancy,
    owner: SiteId,
    entry: LayoutEntry,
    local: u32,
) -> Option<(f64, Option<(SiteId, ShellId)>)> {
    let rule = &model.rules[entry.rule as usize];
    let (shell, ends) = Ends::of(rule.action)?;
    let &offset = graph.neighbor_offsets(owner, shell).get(local as usize)?;
    let partner = offset_site(owner, offset);
    if !possible(
        model, graph, occupancy, entry.rule, &ends, shell, owner, partner,
    ) {
        return None;
    }
    let delta = if matches!(rule.law, RateLaw::Thermal { .. }) {
        energy.delta_energy(graph, occupancy, &ends.changes(owner, partner))
    } else {
        0.0
    };
    Some((delta, Some((partner, shell))))
}

impl EventCatalog {
    /// Classifies the molecule slots of `entry` owned by `owner` whose partner passes
    /// `filter`, passing `(slot, classification)` to `report` in slot order (as
    /// [`Self::classify_swaps`] does for swaps; each result is the one [`Self::classify`]
    /// gives for that slot alone).
    ///
    /// # Errors
    /// The first error of `report`, at which classification stops.
    // the arguments are the configuration and the slot range.
    #[allow(clippy::too_many_arguments)]
    pub fn classify_molecules<E: EnergyModel>(
        model: &Model,
        energy: &E,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        owner: SiteId,
        entry: LayoutEntry,
        filter: impl Fn(SiteId) -> bool,
        mut report: impl FnMut(u32, Option<Classified>) -> Result<()>,
    ) -> Result<()> {
        let rule = &model.rules[entry.rule as usize];
        let Some((shell, _)) = Ends::of(rule.action) else {
            return Ok(());
        };
        let n = graph.neighbor_offsets(owner, shell).len();
        for local in 0..n {
            #[allow(clippy::cast_possible_truncation)]
            let local = local as u32;
            let partner = graph.neighbor(owner, shell, local as usize);
            if !filter(partner) {
                continue;
            }
            let classified = Self::classify(model, energy, graph, occupancy, owner, entry, local);
            report(entry.offset + local, classified)?;
        }
        Ok(())
    }
}
