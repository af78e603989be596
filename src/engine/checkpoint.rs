//! The complete dynamic state of a [`Simulation`], for checkpoints.
//!
//! A run that is stopped, saved and restored must continue exactly as if it had never
//! stopped: same events, same times, bit for bit. Besides the occupancy, the clock, the
//! counters and the random generator, that needs what decides the *next* selections:
//!
//! - the rate classes in id order (selection walks them in that order), and
//! - the order of the members inside each class (the uniform pick indexes into it),
//! - the current rate window (its end and its bound environment),
//! - which end of each swap rule owns its events (fixed at the start of a run).
//!
//! [`EngineState`] stores exactly that, independent of how the event table lays out its
//! slot records in memory; [`Simulation::restore`] rebuilds the table by inserting the
//! classes and their members in the stored order, then runs a full [`Simulation::audit`]
//! so that a corrupt or foreign state is refused rather than run. Caches (the refresh
//! neighbourhoods) are not stored: they never change results.
//!
//! The state derives serde; writing it to a file is the job of the caller
//! (`nanokmc::run::checkpoint`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Simulation, Window};
use crate::accel::Detector;
use crate::energy::{BondCounting, EnergyModel};
use crate::error::{Error, Result};
use crate::events::EventCatalog;
use crate::model::Model;
use crate::program::{Environment, Program};
use crate::rng::Rng;
use crate::sites::{SiteGraph, SiteId};
use crate::solver::classes::{ClassId, ClassKey};
use crate::state::SpeciesId;

/// One rate class: its key and its members `(site, slot)` in selection order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassState {
    /// Group index (`rule + n_rules × region`).
    pub group: u32,
    /// Bits of the barrier [eV] (`f64::to_bits`).
    pub barrier_bits: u64,
    /// Members as (owner site, slot), in order.
    pub members: Vec<(u32, u32)>,
}

/// Everything that determines the continuation of a run (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    /// Species id per site.
    pub species: Vec<u8>,
    /// Simulated time [s].
    pub time: f64,
    /// End of the current rate window [s].
    pub window_end: f64,
    /// Whether the program is constant over the current window.
    pub window_constant: bool,
    /// The environment the class rates of the current window were computed for.
    pub window_bound: Environment,
    /// Executed events.
    pub executed: u64,
    /// Rejected thinning candidates.
    pub null_events: u64,
    /// Executed events per rule.
    pub rule_counts: Vec<u64>,
    /// Atoms removed into the vacuum sink, `[domain * n_species + species]`.
    pub removed: Vec<u64>,
    /// Atoms added from a reservoir, `[domain * n_species + species]`.
    pub added: Vec<u64>,
    /// Atoms moved between domains, `[(from * n_domains + to) * n_species + species]`.
    pub transfers: Vec<u64>,
    /// Per rule, whether a swap's events are owned by the mover's site.
    pub mover_owned: Vec<bool>,
    /// The random generator.
    pub rng: Rng,
    /// The rate classes in id order.
    pub classes: Vec<ClassState>,
    /// Rate scaling factor per group (1 when unscaled).
    pub scale: Vec<f64>,
    /// The acceleration detector, when on.
    pub accel: Option<Detector>,
}

fn corrupt(message: impl Into<String>) -> Error {
    Error::build("engine state", message)
}

impl<E: EnergyModel> Simulation<E> {
    /// The dynamic state, from which [`Simulation::restore`] continues bit for bit.
    #[must_use]
    pub fn save_state(&self) -> EngineState {
        let classes = &self.table.classes;
        EngineState {
            species: self.occupancy.species().map(|s| s.0).collect(),
            time: self.time,
            window_end: self.window.end,
            window_constant: self.window.constant,
            window_bound: self.window.bound,
            executed: self.executed,
            null_events: self.null_events,
            rule_counts: self.rule_counts.clone(),
            removed: self.removed.clone(),
            added: self.added.clone(),
            transfers: self.transfers.clone(),
            mover_owned: self.mover_owned.clone(),
            rng: self.rng.clone(),
            scale: self.scale.clone(),
            accel: self.accel.as_deref().cloned(),
            classes: classes
                .ids()
                .map(|c| {
                    let key = classes.key(c);
                    ClassState {
                        group: key.group,
                        barrier_bits: key.barrier_bits,
                        members: classes
                            .members(c)
                            .iter()
                            .map(|&m| self.table.resolve(m))
                            .collect(),
                    }
                })
                .collect(),
        }
    }

    /// Restores a state saved by [`Simulation::save_state`] of a simulation of the same
    /// model on the same graph under the same program, with energy model `energy`.
    ///
    /// # Errors
    /// [`Error::Build`] if the state does not fit the graph and model (sizes, indices), or
    /// if a full audit of the restored events finds any difference from a recomputation
    /// (a corrupt state, or one from another model).
    pub fn restore_with_energy(
        graph: Arc<SiteGraph>,
        model: Arc<Model>,
        energy: E,
        program: Program,
        state: EngineState,
    ) -> Result<Self> {
        let n_cells = graph.domain_names().len() * model.species.len();
        if state.species.len() != graph.len() {
            return Err(corrupt(format!(
                "{} sites stored, the system has {}",
                state.species.len(),
                graph.len()
            )));
        }
        if state.rule_counts.len() != model.rules.len()
            || state.removed.len() != n_cells
            || state.added.len() != n_cells
            || state.transfers.len() != n_cells * graph.domain_names().len()
        {
            return Err(corrupt(
                "counters do not match the model's rules and domains",
            ));
        }
        if !(state.time.is_finite() && state.time >= 0.0 && state.window_end >= state.time) {
            return Err(corrupt("clock or window out of range"));
        }
        let species = state.species.iter().map(|&s| SpeciesId(s)).collect();
        let mut sim = Self::assemble(
            graph,
            model,
            energy,
            species,
            program,
            state.rng,
            Some(state.mover_owned),
        )?;
        sim.time = state.time;
        sim.window = Window {
            end: state.window_end,
            constant: state.window_constant,
            bound: state.window_bound,
        };
        sim.executed = state.executed;
        sim.null_events = state.null_events;
        sim.rule_counts = state.rule_counts;
        let (regions, n_regions) = match &state.accel {
            Some(acc) => super::region_map(&sim.graph, acc.settings.regions),
            None => (None, 1),
        };
        if let Some(acc) = &state.accel {
            acc.check_fits(&sim.model, n_regions).map_err(corrupt)?;
        }
        let n_groups = sim.model.rules.len() * n_regions;
        if state.scale.len() != n_groups || state.scale.iter().any(|f| !(*f > 0.0 && *f <= 1.0)) {
            return Err(corrupt(
                "rate scaling factors do not match the model's rules and regions",
            ));
        }
        sim.regions = regions;
        sim.scale = state.scale;
        sim.accel = state.accel.map(Box::new);
        sim.removed = state.removed;
        sim.added = state.added;
        sim.transfers = state.transfers;
        for (i, class) in state.classes.iter().enumerate() {
            if class.group as usize >= n_groups {
                return Err(corrupt(format!("class {i} names group {}", class.group)));
            }
            let barrier = f64::from_bits(class.barrier_bits);
            if !barrier.is_finite() {
                return Err(corrupt(format!("class {i} has a non-finite barrier")));
            }
            let key = ClassKey {
                group: class.group,
                barrier_bits: class.barrier_bits,
            };
            let rate = sim.class_rate(class.group, barrier, sim.window.bound)?;
            let (id, created) = sim.table.classes.find_or_insert(key, barrier, rate);
            if !created || id.index() != i {
                return Err(corrupt(format!("class {i} is stored twice")));
            }
            for &(site, slot) in &class.members {
                sim.restore_member(site, slot, id)?;
            }
        }
        sim.build_clusters(false)?;
        let report = sim.audit();
        if !report.is_clean() {
            return Err(corrupt(format!(
                "the stored events disagree with a recomputation ({} of {} slots, {} neighbour counts)",
                report.mismatches, report.slots_checked, report.count_mismatches
            )));
        }
        Ok(sim)
    }

    /// Puts `slot` of `site` into class `id` at the end of its members.
    fn restore_member(&mut self, site: u32, slot: u32, id: ClassId) -> Result<()> {
        if site as usize >= self.graph.len() {
            return Err(corrupt(format!("event owner {site} is not a site")));
        }
        let owner = SiteId(site);
        let layout = self
            .catalog
            .layout_id(self.graph.kind(owner), self.occupancy.get(owner));
        if layout == EventCatalog::NONE || slot >= self.catalog.layout(layout).size {
            return Err(corrupt(format!("site {site} has no event slot {slot}")));
        }
        let mut block = self.table.block(site);
        if block == super::NO_BLOCK {
            block = self.table.allocate(site, layout);
        }
        if self.table.record(block, slot).class != ClassId::NONE {
            return Err(corrupt(format!(
                "slot {slot} of site {site} is stored twice"
            )));
        }
        self.table.activate(block, slot, id);
        Ok(())
    }
}

impl Simulation<BondCounting> {
    /// [`Simulation::restore_with_energy`] with the bond-counting energy of `model`.
    ///
    /// # Errors
    /// As [`Simulation::restore_with_energy`].
    pub fn restore(
        graph: Arc<SiteGraph>,
        model: Arc<Model>,
        program: Program,
        state: EngineState,
    ) -> Result<Self> {
        let energy = BondCounting::new(&model.energy, model.species.len());
        super::check_coordination_tables(&graph, &model, &energy)?;
        Self::restore_with_energy(graph, model, energy, program, state)
    }
}
