//! Event catalogue: which events a site owns, and what each one costs.
//!
//! Every event instance is *owned* by one site and lives in a numbered *slot* of that
//! site's block. The [`EventCatalog`] fixes, for each (site kind, species) pair, the
//! [`Layout`] of the block: one range of slots per applicable rule (one slot per neighbour
//! in the rule's shell for swaps, one slot for single-site actions). Given an owner and a
//! slot, [`EventCatalog::classify`] says whether the event is possible now and, if so, its
//! barrier; [`EventCatalog::decode`] gives the site changes it makes.
//!
//! Ownership: one end of a swap owns it, the end whose species is rarer when the simulation
//! starts (the vacancy, for hops in a nearly full crystal; the atom, for a dilute adatom
//! gas); the site itself owns a removal or an addition. A site whose (kind, species) has no applicable rule owns no slot,
//! which keeps the bookkeeping proportional to the number of possible events, not sites.
//!
//! The engine refreshes owners near every executed event ([`EventCatalog::refresh_radius`]).

use crate::energy::{EnergyModel, SwapFamily};
use crate::error::Result;
use crate::model::{Action, Condition, Model, RateLaw, Rule, SaddleTerm, SiteMatch, SpeciesSet};
use crate::sites::{KindId, ShellId, SiteGraph, SiteId};
use crate::state::{Occupancy, SiteChange, SpeciesId};

/// One rule's range of slots in a layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutEntry {
    /// Rule index.
    pub rule: u32,
    /// First slot.
    pub offset: u32,
    /// Number of slots.
    pub slots: u32,
    /// For swaps: true when the mover's site owns the event, false when the target's does.
    pub mover_owned: bool,
}

/// The slots owned by a site of one (kind, species).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// Rules and their slot ranges.
    pub entries: Vec<LayoutEntry>,
    /// Total slots.
    pub size: u32,
}

/// A classified possible event: its rule and barrier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Classified {
    /// Rule index.
    pub rule: u32,
    /// Barrier [eV] (0 for athermal rules).
    pub barrier: f64,
}

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

/// An event decoded into its effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodedEvent {
    /// Rule index.
    pub rule: u32,
    /// Site changes (one or two).
    pub changes: [SiteChange; 2],
    /// How many of `changes` are used.
    pub n_changes: usize,
}

impl DecodedEvent {
    /// The site changes.
    #[must_use]
    pub fn changes(&self) -> &[SiteChange] {
        &self.changes[..self.n_changes]
    }
}

/// Static event bookkeeping derived from a model and a graph.
#[derive(Debug, Clone)]
pub struct EventCatalog {
    layouts: Vec<Layout>,
    /// `layout_of[kind * n_species + species]`, `u32::MAX` for none.
    layout_of: Vec<u32>,
    n_species: usize,
    max_layout: u32,
    refresh_radius: usize,
    /// Per kind, the species that own events on it.
    owner_species: Vec<SpeciesSet>,
    /// The owner species when they are the same on every kind (ownership then does not
    /// depend on the kind, and the engine need not read it).
    uniform_owners: Option<SpeciesSet>,
}

impl EventCatalog {
    /// No layout.
    pub const NONE: u32 = u32::MAX;

    /// Builds the layouts for every (kind, species) of `model` on `graph`.
    ///
    /// `mover_owned[r]` says, for swap rule `r`, which end owns its events: the mover's site
    /// (true) or the target's (false). The engine gives ownership to the rarer species (the
    /// vacancies in a crystal with few vacancies, the atoms of a dilute adatom gas), so that
    /// owners, and the slots refreshed after each event, are few.
    #[must_use]
    pub fn new(model: &Model, graph: &SiteGraph, mover_owned: &[bool]) -> Self {
        let n_species = model.species.len();
        let n_kinds = model.kinds.len();
        let mut layouts: Vec<Layout> = Vec::new();
        let mut layout_of = vec![Self::NONE; n_kinds * n_species];
        for kind in 0..n_kinds {
            #[allow(clippy::cast_possible_truncation)]
            let kind_id = KindId(kind as u16);
            for species in 0..n_species {
                #[allow(clippy::cast_possible_truncation)]
                let species_id = SpeciesId(species as u8);
                let mut layout = Layout::default();
                for (r, rule) in model.rules.iter().enumerate() {
                    let by_mover = mover_owned.get(r).copied().unwrap_or(false);
                    let slots = match rule.action {
                        Action::Swap {
                            shell,
                            mover,
                            target,
                        } if (if by_mover { mover } else { target })
                            .matches(kind_id, species_id) =>
                        {
                            graph.max_neighbors(kind_id, shell)
                        }
                        Action::Remove { site } if site.matches(kind_id, species_id) => 1,
                        Action::Add {
                            species: added,
                            kind,
                        } if species_id.is_vacancy()
                            && kind.is_none_or(|k| k == kind_id)
                            && model.kinds[kind_id.index()].allowed.contains(added) =>
                        {
                            1
                        }
                        _ => 0,
                    };
                    if slots > 0 {
                        #[allow(clippy::cast_possible_truncation)]
                        layout.entries.push(LayoutEntry {
                            rule: r as u32,
                            offset: layout.size,
                            slots: slots as u32,
                            mover_owned: by_mover,
                        });
                        #[allow(clippy::cast_possible_truncation)]
                        {
                            layout.size += slots as u32;
                        }
                    }
                }
                if layout.size > 0 {
                    let id = if let Some(i) = layouts.iter().position(|l| *l == layout) {
                        i
                    } else {
                        layouts.push(layout);
                        layouts.len() - 1
                    };
                    #[allow(clippy::cast_possible_truncation)]
                    {
                        layout_of[kind * n_species + species] = id as u32;
                    }
                }
            }
        }
        let max_layout = layouts.iter().map(|l| l.size).max().unwrap_or(0);
        let owner_species: Vec<SpeciesSet> = (0..n_kinds)
            .map(|k| {
                let mut set = SpeciesSet::EMPTY;
                for z in 0..n_species {
                    if layout_of[k * n_species + z] != Self::NONE {
                        #[allow(clippy::cast_possible_truncation)]
                        set.insert(SpeciesId(z as u8));
                    }
                }
                set
            })
            .collect();
        let uniform_owners = match owner_species.split_first() {
            Some((first, rest)) if rest.iter().all(|s| s == first) => Some(*first),
            _ => None,
        };
        Self {
            uniform_owners,
            layouts,
            layout_of,
            n_species,
            max_layout,
            refresh_radius: model.interaction_range() + 1,
            owner_species,
        }
    }

    /// The layout id of a site of `kind` holding `species`, or [`Self::NONE`].
    #[inline]
    #[must_use]
    pub fn layout_id(&self, kind: KindId, species: SpeciesId) -> u32 {
        self.layout_of[kind.index() * self.n_species + species.index()]
    }

    /// True when a site of `kind` holding `species` owns events.
    #[inline]
    #[must_use]
    pub fn is_owner(&self, kind: KindId, species: SpeciesId) -> bool {
        self.owner_species[kind.index()].contains(species)
    }

    /// The species that own events on every kind, when ownership does not depend on the kind.
    #[inline]
    #[must_use]
    pub fn uniform_owners(&self) -> Option<SpeciesSet> {
        self.uniform_owners
    }

    /// A layout by id.
    #[inline]
    #[must_use]
    pub fn layout(&self, id: u32) -> &Layout {
        &self.layouts[id as usize]
    }

    /// The largest layout size (slots per block).
    #[must_use]
    pub fn max_layout_size(&self) -> u32 {
        self.max_layout
    }

    /// Owners within this many hops of a changed site may have events whose rate changed.
    #[must_use]
    pub fn refresh_radius(&self) -> usize {
        self.refresh_radius
    }

    /// The rule and local index of `slot` in layout `layout`.
    #[inline]
    #[must_use]
    pub fn entry_of(&self, layout: u32, slot: u32) -> (LayoutEntry, u32) {
        let l = &self.layouts[layout as usize];
        let e = l
            .entries
            .iter()
            .rev()
            .find(|e| e.offset <= slot)
            .copied()
            .unwrap_or(l.entries[0]);
        (e, slot - e.offset)
    }

    /// Decodes the event in `slot` of the block of `owner` into its site changes. The event
    /// must be active (classified as possible in the current configuration).
    #[must_use]
    pub fn decode(
        &self,
        model: &Model,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        owner: SiteId,
        slot: u32,
    ) -> DecodedEvent {
        let layout = self.layout_id(graph.kind(owner), occupancy.get(owner));
        let (entry, local) = self.entry_of(layout, slot);
        let rule = &model.rules[entry.rule as usize];
        let here = occupancy.get(owner);
        let none = SiteChange {
            site: owner,
            from: here,
            to: here,
        };
        match rule.action {
            Action::Swap {
                shell,
                mover,
                target,
            } => {
                let partner = graph.neighbor(owner, shell, local as usize);
                let (mover_site, target_site) = if entry.mover_owned {
                    (owner, partner)
                } else {
                    (partner, owner)
                };
                DecodedEvent {
                    rule: entry.rule,
                    changes: swap_changes(mover_site, target_site, mover.species, target.species),
                    n_changes: 2,
                }
            }
            Action::Remove { site } => DecodedEvent {
                rule: entry.rule,
                changes: [
                    SiteChange {
                        site: owner,
                        from: site.species,
                        to: SpeciesId::VACANCY,
                    },
                    none,
                ],
                n_changes: 1,
            },
            Action::Add { species, .. } => DecodedEvent {
                rule: entry.rule,
                changes: [
                    SiteChange {
                        site: owner,
                        from: SpeciesId::VACANCY,
                        to: species,
                    },
                    none,
                ],
                n_changes: 1,
            },
        }
    }

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
            && rule.conditions.iter().all(|condition| {
                condition_holds(
                    graph,
                    occupancy,
                    condition,
                    owner.family.owner,
                    Some((partner, owner.family.shell)),
                )
            })
    }

    /// The barrier of a possible event of `rule` owned by `owner` (with partner `pair` for
    /// swaps) whose energy change is `delta_e` (without the rule's reference energy; only
    /// called for thermal rules).
    #[inline]
    fn thermal_barrier(
        rule: &Rule,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        owner: SiteId,
        pair: Option<(SiteId, ShellId)>,
        delta_e: f64,
    ) -> f64 {
        match rule.law {
            RateLaw::Beam { .. } => 0.0,
            RateLaw::Thermal {
                migration_energy,
                barrier_rule,
                reference_energy,
                ..
            } => {
                let saddle: f64 = rule
                    .saddle
                    .iter()
                    .map(|t| t.shift * f64::from(saddle_count(graph, occupancy, t, owner, pair)))
                    .sum();
                // saddle terms may lower the migration energy, never below zero; the clamp is
                // the same for an event and its reverse, so detailed balance holds.
                barrier_rule.barrier(
                    (migration_energy + saddle).max(0.0),
                    delta_e + reference_energy,
                )
            }
        }
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
            if Self::swap_possible(rule, model, graph, occupancy, &so, partner) {
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
        scratch.deltas.clear();
        scratch.deltas.resize(scratch.partners.len(), 0.0);
        if thermal {
            energy.delta_energy_swaps(
                graph,
                occupancy,
                so.family,
                &scratch.partners,
                &mut scratch.deltas,
            );
        }
        for ((&slot, &partner), &delta_e) in scratch
            .slots
            .iter()
            .zip(&scratch.partners)
            .zip(&scratch.deltas)
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

    /// Whether the event in slot `local` of `entry` owned by `owner` is possible now, and
    /// its barrier. Pure: reads the configuration only.
    #[inline]
    #[must_use]
    pub fn classify<E: EnergyModel>(
        model: &Model,
        energy: &E,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        owner: SiteId,
        entry: LayoutEntry,
        local: u32,
    ) -> Option<Classified> {
        let rule = &model.rules[entry.rule as usize];
        let thermal = matches!(rule.law, RateLaw::Thermal { .. });
        let (delta_e, pair) = match rule.action {
            Action::Swap { shell, .. } => {
                let offsets = graph.neighbor_offsets(owner, shell);
                let &offset = offsets.get(local as usize)?;
                let partner = offset_site(owner, offset);
                let so = Self::swap_owner(model, graph, owner, entry)?;
                if !Self::swap_possible(rule, model, graph, occupancy, &so, partner) {
                    return None;
                }
                let mut delta = [0.0];
                if thermal {
                    energy.delta_energy_swaps(graph, occupancy, so.family, &[partner], &mut delta);
                }
                (delta[0], Some((partner, shell)))
            }
            Action::Remove { .. } | Action::Add { .. } => {
                let here = occupancy.get(owner);
                let to = match rule.action {
                    Action::Add { species, .. } => species,
                    _ => SpeciesId::VACANCY,
                };
                if !rule
                    .conditions
                    .iter()
                    .all(|c| condition_holds(graph, occupancy, c, owner, None))
                {
                    return None;
                }
                let change = SiteChange {
                    site: owner,
                    from: here,
                    to,
                };
                let delta = if thermal {
                    energy.delta_energy(graph, occupancy, &[change])
                } else {
                    0.0
                };
                (delta, None)
            }
        };
        let barrier = if thermal {
            Self::thermal_barrier(rule, graph, occupancy, owner, pair, delta_e)
        } else {
            0.0
        };
        Some(Classified {
            rule: entry.rule,
            barrier,
        })
    }
}

/// The site at `offset` from `site` (a neighbour offset of the graph).
#[inline]
fn offset_site(site: SiteId, offset: i32) -> SiteId {
    // The graph builder checked that site + offset is a valid site index.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    SiteId((i64::from(site.0) + i64::from(offset)) as u32)
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

/// Species counts of one site's shell (from the [`Occupancy`] cache) to a neighbour count.
type CountsFn<'a> = dyn Fn(&[u8]) -> u32 + 'a;

/// Number of neighbours of `owner` (and of `pair.0`, for swaps) in `shell` holding a
/// species accepted by `accept`, excluding the two event sites themselves.
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

fn saddle_count(
    graph: &SiteGraph,
    occupancy: &Occupancy,
    term: &SaddleTerm,
    owner: SiteId,
    pair: Option<(SiteId, ShellId)>,
) -> u32 {
    let species = term.species;
    match term.kind {
        None => environment_count(
            graph,
            occupancy,
            term.shell,
            owner,
            pair,
            |_, s| s == species,
            Some(&|counts: &[u8]| u32::from(counts[species.index()])),
        ),
        Some(kind) => environment_count(
            graph,
            occupancy,
            term.shell,
            owner,
            pair,
            |site, s| s == species && graph.kind(site) == kind,
            None,
        ),
    }
}

fn condition_holds(
    graph: &SiteGraph,
    occupancy: &Occupancy,
    condition: &Condition,
    owner: SiteId,
    pair: Option<(SiteId, ShellId)>,
) -> bool {
    let set = condition.species;
    let n = environment_count(
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
    );
    n >= u32::from(condition.min) && n <= u32::from(condition.max)
}
