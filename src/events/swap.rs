//! The swap action (`hop`, `exchange`, `beam_displace`): the species on two neighbouring
//! sites exchange places.
//!
//! One end owns the event, the end whose species is rarer when the simulation starts (see
//! [`EventCatalog::new`]); the owner has one slot per neighbour in the rule's shell. The
//! owner's side of the energy changes is computed once for all its partners
//! ([`EnergyModel::delta_energy_swaps`]).

use super::environment::conditions_hold;
use super::{Classified, DecodedEvent, EventCatalog, LayoutEntry, offset_site};
use crate::energy::{EnergyModel, SwapFamily};
use crate::error::Result;
use crate::model::{Action, Model, RateLaw, Rule, SiteMatch};
use crate::sites::{KindId, ShellId, SiteGraph, SiteId};
use crate::state::{Occupancy, SiteChange, SpeciesId};

/// The owner's side of the swap slots of one layout entry (see
/// [`EventCatalog::swap_owner`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapOwner {
    /// The owner, the species exchanged and the shell.
    pub family: SwapFamily,
    /// What the partner must hold (and on which kind).
    partner_spec: SiteMatch,
    /// The species the partner's site receives (its kind must allow it).
    partner_receives: SpeciesId,
    /// True when the partner's kind matters (the rule names one, or some kind does not
    /// allow what the partner receives); otherwise the kind is not read.
    partner_kind_matters: bool,
}

/// Scratch space of [`EventCatalog::classify_swaps`] (no state: contents are meaningless
/// between calls).
#[derive(Debug, Clone, Default)]
pub struct SwapScratch {
    partners: Vec<SiteId>,
    slots: Vec<u32>,
    deltas: Vec<f64>,
}

/// Slots of a swap rule on an owner of `kind` holding `species`: one per neighbour in the
/// shell when the owner's end of the rule matches, else none.
pub(super) fn slots(
    graph: &SiteGraph,
    action: Action,
    by_mover: bool,
    kind: KindId,
    species: SpeciesId,
) -> usize {
    match action {
        Action::Swap {
            shell,
            mover,
            target,
        } if (if by_mover { mover } else { target }).matches(kind, species) => {
            graph.max_neighbors(kind, shell)
        }
        _ => 0,
    }
}

/// Decodes the swap in slot `local` of `entry` owned by `owner`.
pub(super) fn decode(
    graph: &SiteGraph,
    action: Action,
    owner: SiteId,
    entry: LayoutEntry,
    local: u32,
) -> Option<DecodedEvent> {
    let Action::Swap {
        shell,
        mover,
        target,
    } = action
    else {
        return None;
    };
    let partner = graph.neighbor(owner, shell, local as usize);
    let (mover_site, target_site) = if entry.mover_owned {
        (owner, partner)
    } else {
        (partner, owner)
    };
    Some(DecodedEvent {
        rule: entry.rule,
        changes: swap_changes(mover_site, target_site, mover.species, target.species),
        n_changes: 2,
    })
}

/// The two changes of a swap: the mover's site first, then the target's.
#[inline]
fn swap_changes(
    mover_site: SiteId,
    target_site: SiteId,
    mover: SpeciesId,
    target: SpeciesId,
) -> [SiteChange; 2] {
    [
        SiteChange {
            site: mover_site,
            from: mover,
            to: target,
        },
        SiteChange {
            site: target_site,
            from: target,
            to: mover,
        },
    ]
}

/// Classifies the swap in slot `local` of `entry` owned by `owner` alone (see
/// [`EventCatalog::classify`]): its energy change and partner, or `None` when impossible.
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
    let Action::Swap { shell, .. } = rule.action else {
        return None;
    };
    let thermal = matches!(rule.law, RateLaw::Thermal { .. });
    let offsets = graph.neighbor_offsets(owner, shell);
    let &offset = offsets.get(local as usize)?;
    let partner = offset_site(owner, offset);
    let so = EventCatalog::swap_owner(model, graph, owner, entry)?;
    if !swap_possible(rule, model, graph, occupancy, &so, partner) {
        return None;
    }
    let mut delta = [0.0];
    if thermal {
        energy.delta_energy_swaps(graph, occupancy, so.family, &[partner], &mut delta);
    }
    Some((delta[0], Some((partner, shell))))
}

/// Whether the swap of `owner` with its neighbour `partner` is possible now: the
/// partner holds the right species on a kind that allows what it receives, and the
/// rule's conditions hold.
#[inline]
fn swap_possible(
    rule: &Rule,
    model: &Model,
    graph: &SiteGraph,
    occupancy: &Occupancy,
    owner: &SwapOwner,
    partner: SiteId,
) -> bool {
    let kind_ok = || {
        let kind = graph.kind(partner);
        owner.partner_spec.kind.is_none_or(|k| k == kind)
            && model.kinds[kind.index()]
                .allowed
                .contains(owner.partner_receives)
    };
    occupancy.get(partner) == owner.partner_spec.species
        && (!owner.partner_kind_matters || kind_ok())
        && conditions_hold(
            graph,
            occupancy,
            &rule.conditions,
            owner.family.owner,
            Some((partner, owner.family.shell)),
        )
}

impl EventCatalog {
    /// The owner's side of the swap slots of `entry`: `None` when the entry is not a swap,
    /// or when the owner's site kind does not allow the species it would receive (then no
    /// slot of the entry is possible).
    #[inline]
    #[must_use]
    pub fn swap_owner(
        model: &Model,
        graph: &SiteGraph,
        owner: SiteId,
        entry: LayoutEntry,
    ) -> Option<SwapOwner> {
        let Action::Swap {
            shell,
            mover,
            target,
        } = model.rules[entry.rule as usize].action
        else {
            return None;
        };
        let (partner_spec, owner_receives, partner_receives) = if entry.mover_owned {
            (target, target.species, mover.species)
        } else {
            (mover, mover.species, target.species)
        };
        if !model.kinds[graph.kind(owner).index()]
            .allowed
            .contains(owner_receives)
        {
            return None;
        }
        let partner_kind_matters = partner_spec.kind.is_some()
            || model
                .kinds
                .iter()
                .any(|k| !k.allowed.contains(partner_receives));
        Some(SwapOwner {
            partner_kind_matters,
            family: SwapFamily {
                owner,
                owner_is_mover: entry.mover_owned,
                mover: mover.species,
                target: target.species,
                shell,
            },
            partner_spec,
            partner_receives,
        })
    }

    /// Classifies the swap slots of `entry` owned by `owner` whose partner passes `filter`,
    /// passing `(slot, classification)` to `report` (impossible slots first, then the
    /// possible ones, each in slot order; slots beyond the owner's neighbour count are never
    /// possible and are not reported).
    ///
    /// # Errors
    /// The first error of `report`, at which classification stops. The owner's side of the
    /// energy changes is computed once ([`EnergyModel::delta_energy_swaps`]); each result is
    /// bit for bit the one [`Self::classify`] gives for that slot alone.
    // the arguments are the configuration, the slot range and the scratch space.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn classify_swaps<E: EnergyModel>(
        model: &Model,
        energy: &E,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        owner: SiteId,
        entry: LayoutEntry,
        filter: impl Fn(SiteId) -> bool,
        scratch: &mut SwapScratch,
        mut report: impl FnMut(u32, Option<Classified>) -> Result<()>,
    ) -> Result<()> {
        let rule = &model.rules[entry.rule as usize];
        let Action::Swap { shell, .. } = rule.action else {
            return Ok(());
        };
        let offsets = graph.neighbor_offsets(owner, shell);
        let Some(so) = Self::swap_owner(model, graph, owner, entry) else {
            for (local, &offset) in offsets.iter().enumerate() {
                let partner = offset_site(owner, offset);
                if filter(partner) {
                    #[allow(clippy::cast_possible_truncation)]
                    report(entry.offset + local as u32, None)?;
                }
            }
            return Ok(());
        };
        scratch.partners.clear();
        scratch.slots.clear();
        for (local, &offset) in offsets.iter().enumerate() {
            let partner = offset_site(owner, offset);
            if !filter(partner) {
                continue;
            }
            #[allow(clippy::cast_possible_truncation)]
            let slot = entry.offset + local as u32;
            if swap_possible(rule, model, graph, occupancy, &so, partner) {
                scratch.partners.push(partner);
                scratch.slots.push(slot);
            } else {
                report(slot, None)?;
            }
        }
        if scratch.partners.is_empty() {
            return Ok(());
        }
        let thermal = matches!(rule.law, RateLaw::Thermal { .. });
        // grown, never shrunk (a `resize` per owner cost ~40 instructions).
        let n = scratch.partners.len();
        if scratch.deltas.len() < n {
            scratch.deltas.resize(n, 0.0);
        }
        let deltas = &mut scratch.deltas[..n];
        deltas.fill(0.0);
        if thermal {
            energy.delta_energy_swaps(graph, occupancy, so.family, &scratch.partners, deltas);
        }
        for ((&slot, &partner), &delta_e) in
            scratch.slots.iter().zip(&scratch.partners).zip(&*deltas)
        {
            let barrier = if thermal {
                Self::thermal_barrier(
                    rule,
                    graph,
                    occupancy,
                    owner,
                    Some((partner, shell)),
                    delta_e,
                )
            } else {
                0.0
            };
            report(
                slot,
                Some(Classified {
                    rule: entry.rule,
                    barrier,
                }),
            )?;
        }
        Ok(())
    }
}
