//! Event catalogue: which events a site owns, and what each one costs.
//!
//! Every event instance is *owned* by one site and lives in a numbered *slot* of that
//! site's block. The [`EventCatalog`] fixes, for each (site kind, species) pair, the
//! [`Layout`] of the block: one range of slots per applicable rule (one slot per neighbour
//! in the rule's shell for two-site actions, one slot for single-site actions). Given an owner and a
//! slot, [`EventCatalog::classify`] says whether the event is possible now and, if so, its
//! barrier; [`EventCatalog::decode`] gives the site changes it makes.
//!
//! Ownership: one end of a swap owns it, the end whose species is rarer when the simulation
//! starts (the vacancy, for hops in a nearly full crystal; the atom, for a dilute adatom
//! gas); the site itself owns a removal, an addition or a species change; the site of the
//! first atom owns a molecule event. A site whose (kind, species) has no applicable rule
//! owns no slot, which keeps the bookkeeping proportional to the number of possible events,
//! not sites.
//!
//! The engine refreshes owners near every executed event ([`EventCatalog::refresh_radius`]).
//!
//! # One file per action
//! | file | action | potential-file `type` |
//! |---|---|---|
//! | `swap.rs` | [`Action::Swap`] | `hop`, `exchange`, `beam_displace` |
//! | `remove.rs` | [`Action::Remove`] | `remove`, `beam_remove` |
//! | `add.rs` | [`Action::Add`] | `add` |
//! | `change.rs` | [`Action::Change`] | `change`, `beam_change` |
//! | `remove_pair.rs` | [`Action::RemovePair`] | `remove_pair` |
//! | `add_pair.rs` | [`Action::AddPair`] | `add_pair` |
//! | `cluster_move.rs` | [`Action::ClusterMove`] | `cluster_move` (refreshed by the engine's `engine/clusters.rs`) |
//!
//! `environment.rs` counts the neighbours that conditions and saddle terms read (species,
//! kind and domain filters), `molecule.rs` classifies the two molecule actions. A new
//! action is one variant of [`Action`], one file here giving its slots per (kind, species)
//! and its site changes, and one arm in each `match` of this file.

mod add;
mod add_pair;
mod change;
pub mod cluster_move;
mod environment;
mod molecule;
mod remove;
mod remove_pair;
mod swap;

pub use cluster_move::ClusterScratch;
pub use swap::{SwapOwner, SwapScratch};

use crate::energy::EnergyModel;
use crate::error::Result;
use crate::model::{Action, Model, RateLaw, Rule, SpeciesSet};
use crate::sites::{KindId, ShellId, SiteGraph, SiteId};
use crate::state::{Occupancy, SiteChange, SpeciesId};
use environment::{conditions_hold, saddle_count};

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
                        Action::Swap { .. } => {
                            swap::slots(graph, rule.action, by_mover, kind_id, species_id)
                        }
                        Action::Remove { .. } => {
                            remove::slots(model, rule.action, kind_id, species_id)
                        }
                        Action::Add { .. } => add::slots(model, rule.action, kind_id, species_id),
                        Action::Change { .. } => {
                            change::slots(model, rule.action, kind_id, species_id)
                        }
                        Action::RemovePair { .. } => {
                            remove_pair::slots(graph, rule.action, kind_id, species_id)
                        }
                        Action::AddPair { .. } => {
                            add_pair::slots(model, graph, rule.action, kind_id, species_id)
                        }
                        Action::ClusterMove(_) => {
                            cluster_move::slots(graph, rule.action, kind_id, species_id)
                        }
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
        let action = model.rules[entry.rule as usize].action;
        let here = occupancy.get(owner);
        let none = SiteChange {
            site: owner,
            from: here,
            to: here,
        };
        let single = |change: Option<SiteChange>| DecodedEvent {
            rule: entry.rule,
            changes: [change.unwrap_or(none), none],
            n_changes: 1,
        };
        let pair = |decoded: Option<DecodedEvent>| {
            decoded.unwrap_or(DecodedEvent {
                rule: entry.rule,
                changes: [none, none],
                n_changes: 0,
            })
        };
        match action {
            Action::Swap { .. } => pair(swap::decode(graph, action, owner, entry, local)),
            Action::RemovePair { .. } | Action::AddPair { .. } => {
                pair(molecule::decode(graph, action, owner, entry, local))
            }
            Action::Remove { .. } => single(remove::change(action, owner)),
            Action::Add { .. } => single(add::change(action, owner)),
            Action::Change { .. } => single(change::change(action, owner)),
            // a cluster move changes many sites: the engine plans them with
            // `cluster_move::plan` (no change here).
            Action::ClusterMove(_) => pair(None),
        }
    }

    /// The barrier of a possible event of `rule` owned by `owner` (with partner `pair` for
    /// two-site events) whose energy change is `delta_e` (without the rule's reference energy; only
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
            RateLaw::Beam { .. } | RateLaw::BeamProcess { .. } => 0.0,
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

    /// Classifies the slots of a two-site `entry` (swap or molecule) owned by `owner` whose
    /// partner passes `filter`, passing `(slot, classification)` to `report`: see
    /// [`Self::classify_swaps`] and [`Self::classify_molecules`]. Other entries report
    /// nothing.
    ///
    /// # Errors
    /// The first error of `report`, at which classification stops.
    // the arguments are the configuration, the slot range and the scratch space.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn classify_two_site<E: EnergyModel>(
        model: &Model,
        energy: &E,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        owner: SiteId,
        entry: LayoutEntry,
        filter: impl Fn(SiteId) -> bool,
        scratch: &mut SwapScratch,
        report: impl FnMut(u32, Option<Classified>) -> Result<()>,
    ) -> Result<()> {
        match model.rules[entry.rule as usize].action {
            Action::Swap { .. } => Self::classify_swaps(
                model, energy, graph, occupancy, owner, entry, filter, scratch, report,
            ),
            Action::RemovePair { .. } | Action::AddPair { .. } => Self::classify_molecules(
                model, energy, graph, occupancy, owner, entry, filter, report,
            ),
            Action::Remove { .. }
            | Action::Add { .. }
            | Action::Change { .. }
            | Action::ClusterMove(_) => Ok(()),
        }
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
            Action::Swap { .. } => {
                swap::classify_one(model, energy, graph, occupancy, owner, entry, local)?
            }
            Action::Remove { .. } => single_site(
                rule,
                energy,
                graph,
                occupancy,
                remove::change(rule.action, owner)?,
            )?,
            Action::Add { .. } => single_site(
                rule,
                energy,
                graph,
                occupancy,
                add::change(rule.action, owner)?,
            )?,
            Action::Change { .. } => single_site(
                rule,
                energy,
                graph,
                occupancy,
                change::change(rule.action, owner)?,
            )?,
            Action::RemovePair { .. } | Action::AddPair { .. } => {
                molecule::classify_one(model, energy, graph, occupancy, owner, entry, local)?
            }
            Action::ClusterMove(_) => {
                // one scratch per thread, reused: its site sets grow to the system's size
                // once instead of at every call (the audit classifies every slot).
                thread_local! {
                    static SCRATCH: std::cell::RefCell<ClusterScratch> =
                        std::cell::RefCell::new(ClusterScratch::default());
                }
                return SCRATCH.with(|scratch| {
                    cluster_move::classify_one(
                        model,
                        energy,
                        graph,
                        occupancy,
                        owner,
                        entry,
                        local,
                        &mut scratch.borrow_mut(),
                    )
                });
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

/// Whether a single-site event making `change` is possible now (the rule's conditions
/// hold around the site), and its energy change (0 for athermal rules).
#[inline]
fn single_site<E: EnergyModel>(
    rule: &Rule,
    energy: &E,
    graph: &SiteGraph,
    occupancy: &Occupancy,
    change: SiteChange,
) -> Option<(f64, Option<(SiteId, ShellId)>)> {
    if !conditions_hold(graph, occupancy, &rule.conditions, change.site, None) {
        return None;
    }
    let delta = if matches!(rule.law, RateLaw::Thermal { .. }) {
        energy.delta_energy(graph, occupancy, &[change])
    } else {
        0.0
    };
    Some((delta, None))
}
