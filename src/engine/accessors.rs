//! Read access to a [`Simulation`]: the clock and counters, the configuration and model, the
//! event table's size and rates, the last event, memory use, and the random stream.

use super::neighbourhood::DeepTemplates;
use super::{Simulation, rule_of};
use crate::energy::EnergyModel;
use crate::events::DecodedEvent;
use crate::model::Model;
use crate::program::{Environment, Program};
use crate::rng::Rng;
use crate::sites::SiteGraph;
use crate::state::Occupancy;

impl<E: EnergyModel> Simulation<E> {
    /// Simulated time [s].
    #[must_use]
    pub fn time(&self) -> f64 {
        self.time
    }

    /// Events executed so far.
    #[must_use]
    pub fn executed(&self) -> u64 {
        self.executed
    }

    /// Thinning candidates rejected so far.
    #[must_use]
    pub fn null_events(&self) -> u64 {
        self.null_events
    }

    /// Events executed per rule, indexed like `model.rules`.
    #[must_use]
    pub fn rule_counts(&self) -> &[u64] {
        &self.rule_counts
    }

    /// Atoms removed into the vacuum sink, `[domain][species]` flattened
    /// (`domain * n_species + species`).
    #[must_use]
    pub fn removed(&self) -> &[u64] {
        &self.removed
    }

    /// Atoms added from reservoirs, flattened like [`Self::removed`].
    #[must_use]
    pub fn added(&self) -> &[u64] {
        &self.added
    }

    /// The site graph.
    #[must_use]
    pub fn graph(&self) -> &SiteGraph {
        &self.graph
    }

    /// The model.
    #[must_use]
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The energy model.
    #[must_use]
    pub fn energy(&self) -> &E {
        &self.energy
    }

    /// The configuration.
    #[must_use]
    pub fn occupancy(&self) -> &Occupancy {
        &self.occupancy
    }

    /// The program.
    #[must_use]
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The environment (temperature, flux) at the current time.
    #[must_use]
    pub fn environment(&self) -> Environment {
        self.program.environment(self.time)
    }

    /// Number of possible events now.
    #[must_use]
    pub fn event_count(&self) -> usize {
        self.table.classes.event_count()
    }

    /// Number of rate classes created so far.
    #[must_use]
    pub fn class_count(&self) -> usize {
        self.table.classes.len()
    }

    /// Total rate [s⁻¹] of all possible events at the current time.
    #[must_use]
    // class member counts are far below 2^52, so `usize as f64` is exact.
    #[allow(clippy::cast_precision_loss)]
    pub fn total_rate(&self) -> f64 {
        let env = self.environment();
        let classes = &self.table.classes;
        classes
            .ids()
            .map(|c| {
                // a rate that is invalid now shows as NaN (step reports it as an error).
                let rate = self
                    .class_rate(classes.key(c).group, classes.barrier(c), env)
                    .unwrap_or(f64::NAN);
                classes.members(c).len() as f64 * rate
            })
            .sum()
    }

    /// Possible events now, as (rule, barrier [eV], count) per non-empty class.
    #[must_use]
    pub fn class_summary(&self) -> Vec<(u32, f64, usize)> {
        let classes = &self.table.classes;
        classes
            .ids()
            .filter(|&c| !classes.members(c).is_empty())
            .map(|c| {
                #[allow(clippy::cast_possible_truncation)]
                (
                    rule_of(&self.model, classes.key(c).group) as u32,
                    classes.barrier(c),
                    classes.members(c).len(),
                )
            })
            .collect()
    }

    /// Bytes held by the engine's per-site and per-event data (graph included).
    #[must_use]
    pub fn memory_bytes(&self) -> usize {
        self.graph.memory_bytes()
            + self.occupancy.memory_bytes()
            + self.table.memory_bytes()
            + self.deep.as_ref().map_or(0, DeepTemplates::memory_bytes)
            + self.owner_bits.memory_bytes()
            + self.clusters.as_ref().map_or(0, |c| c.memory_bytes())
            + self.cluster_scratch.memory_bytes()
    }

    /// Audit mode: every `every` executed events, recompute every event from scratch
    /// ([`Self::audit`]) and fail the step with [`Error::Model`] if anything drifted.
    /// `0` turns it off (the default). Costs O(sites) per audit.
    pub fn set_audit_every(&mut self, every: u64) {
        self.audit_every = every;
    }

    /// The net site changes of the fast events that the last step integrated out by an
    /// exact basin escape (applied before [`Self::last_event`]); empty after an ordinary
    /// step.
    #[must_use]
    pub fn last_basin_moves(&self) -> &[crate::state::SiteChange] {
        &self.basin_moves
    }

    /// The last executed event (rule and site changes), if any. A cluster move decodes
    /// to no change here: its changes are in [`Self::last_changes`].
    #[must_use]
    pub fn last_event(&self) -> Option<&DecodedEvent> {
        self.last_event.as_ref()
    }

    /// The site changes of the last executed event (every kind of event, cluster moves
    /// included); empty before the first event.
    #[must_use]
    pub fn last_changes(&self) -> &[crate::state::SiteChange] {
        match &self.last_event {
            Some(e) if e.n_changes == 0 => &self.cluster_changes,
            Some(e) => e.changes(),
            None => &[],
        }
    }

    /// The random stream (for checkpoints).
    #[must_use]
    pub fn rng(&self) -> &Rng {
        &self.rng
    }
}
