//! The kMC engine: exact rejection-free kinetics under a time-dependent program.
//!
//! [`Simulation`] owns the configuration ([`Occupancy`]), the event table (per-site slot
//! blocks and rate classes), the program (T(t), φ(t)), the random stream and the clock.
//!
//! # One step ([`Simulation::step`])
//! 1. If the clock has reached the end of the current *window*, open the next one: a time
//!    interval with no program breakpoint inside, over which every class gets its *bound*
//!    rate `k̄_c` (its rate at the window's largest temperature and flux). When the program is
//!    constant over the window (holds, beam on/off plateaus) the bound is the rate itself.
//! 2. `R̄ = Σ_c n_c k̄_c`, recomputed from the class member counts (no drift). If `R̄ = 0`,
//!    jump to the window end.
//! 3. Draw `Δt = −ln(u₁)/R̄`. If `t + Δt` passes the window end, move the clock to the end
//!    and discard the draw (exact: the process is memoryless), returning
//!    [`StepOutcome::Boundary`].
//! 4. Choose a class with probability `n_c k̄_c / R̄`, and, in a ramp window, accept it with
//!    probability `k_c(T(t), φ(t)) / k̄_c` (thinning, Lewis & Shedler 1979): a rejected
//!    candidate is a *null event* that leaves the configuration unchanged. This samples the
//!    non-homogeneous process with rates that follow T(t) continuously, exactly.
//! 5. Choose a member of the class uniformly, apply its site changes (the only mutation),
//!    count it.
//! 6. Refresh every owner site within [`EventCatalog::refresh_radius`] hops of a changed
//!    site: recompute each of its slots, and move the ones whose class changed.
//!
//! Ramp windows are sized so that the thinning acceptance stays above ~95 % for the highest
//! barrier present, which keeps the cost of a ramp within a few per cent of a hold.

mod acceleration;
mod accessors;
mod audit;
mod basin;
mod checkpoint;
mod clusters;
mod execute;
mod movers;
mod neighbourhood;
pub mod table;
mod transfers;

pub use audit::AuditReport;
pub use checkpoint::{ClassState, EngineState};

use std::sync::Arc;

use crate::accel::{Detector, RegionMode};
use crate::energy::{BondCounting, EnergyModel};
use crate::error::{Error, Result};
use crate::events::{Classified, DecodedEvent, EventCatalog, LayoutEntry, SwapScratch};
use crate::model::{Action, Model, RateLaw};
use crate::program::{Environment, Program};
use crate::rates;
use crate::rng::{self, Rng};
use crate::sites::{SiteGraph, SiteId};
use crate::solver::classes::{ClassId, ClassKey};
use crate::state::{Occupancy, SpeciesId};
use neighbourhood::{Ball, BallCache, BallKey, DeepTemplates, OwnerBits, SiteMarks, Visit};
use table::{EventTable, NO_BLOCK};

/// Largest relative loss of rate over a ramp window for the highest barrier present; the
/// thinning acceptance stays above `1 − RAMP_TOLERANCE`.
const RAMP_TOLERANCE: f64 = 0.05;

/// The rule of a scaling group (`group = rule + n_rules × region`).
#[inline]
fn rule_of(model: &Model, group: u32) -> usize {
    let n = model.rules.len();
    let g = group as usize;
    if g < n { g } else { g % n }
}

/// The per-member rate of a class [s⁻¹]: the law of the group's rule at `barrier` and
/// `env`, times the group's scaling factor in `scale`; checked finite and ≥ 0.
fn scaled_rate(
    model: &Model,
    scale: &[f64],
    group: u32,
    barrier: f64,
    env: Environment,
) -> Result<f64> {
    let rule = rule_of(model, group);
    let law = &model.rules[rule].law;
    rates::checked_rate(
        law,
        barrier,
        env.temperature,
        env.beam_flux,
        env.beam_energy,
    )
    .map(|rate| rate * scale[group as usize])
    .map_err(|message| Error::Model {
        event: model.rules[rule].name.clone(),
        site: u32::MAX,
        message,
    })
}

/// The class of an event of `group` with `barrier`, created (with its rate at `bound`) if
/// new. Always inlined: it runs once per recomputed slot, and left to itself the compiler
/// stopped inlining it when it gained the group argument (+5 % instructions per event in
/// the benchmark, measured with callgrind; BENCHMARKS.md).
#[allow(clippy::inline_always)]
#[inline(always)]
fn class_of(
    table: &mut EventTable,
    model: &Model,
    bound: Environment,
    scale: &[f64],
    group: u32,
    barrier: f64,
) -> Result<ClassId> {
    let key = ClassKey {
        group,
        barrier_bits: barrier.to_bits(),
    };
    if let Some(id) = table.classes.find(key) {
        return Ok(id);
    }
    let rate = scaled_rate(model, scale, group, barrier, bound)?;
    Ok(table.classes.find_or_insert(key, barrier, rate).0)
}

/// The region of each domain under `mode` (`None` for one region) and the number of
/// regions.
fn region_map(graph: &SiteGraph, mode: RegionMode) -> (Option<Arc<[u32]>>, usize) {
    match mode {
        RegionMode::Whole => (None, 1),
        // one domain is one region: no per-slot look-up needed.
        RegionMode::Domains if graph.domain_names().len() <= 1 => (None, 1),
        RegionMode::Domains => {
            let n_domains = graph.domain_names().len();
            #[allow(clippy::cast_possible_truncation)]
            let map: Vec<u32> = (0..n_domains as u32).collect();
            (Some(map.into()), n_domains)
        }
    }
}

/// The scaling group of the event in `slot` of `owner` (layout entry `entry`, rule
/// `rule`): `rule + n_rules × region`, where the region is that of the owner's domain, or
/// for a two-site event the lower region of its two ends (the same for an event and its reverse).
#[inline]
fn group_of(
    graph: &SiteGraph,
    model: &Model,
    regions: Option<&[u32]>,
    owner: SiteId,
    entry: LayoutEntry,
    slot: u32,
    rule: u32,
) -> u32 {
    let Some(regions) = regions else {
        return rule;
    };
    let mut region = regions[graph.domain(owner).index()];
    if let Some(shell) = model.rules[rule as usize].action.pair_shell() {
        let offset = graph.neighbor_offsets(owner, shell)[(slot - entry.offset) as usize];
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let partner = SiteId((i64::from(owner.0) + i64::from(offset)) as u32);
        region = region.min(regions[graph.domain(partner).index()]);
    }
    #[allow(clippy::cast_possible_truncation)]
    let n_rules = model.rules.len() as u32;
    rule + n_rules * region
}

/// What one call of [`Simulation::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// An event of this rule was executed.
    Event {
        /// Rule index.
        rule: u32,
    },
    /// A thinning candidate was rejected; the clock advanced, the configuration did not.
    Null,
    /// The clock reached a window end (program breakpoint, ramp window or the limit).
    Boundary,
}

/// The current rate window.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Window {
    end: f64,
    constant: bool,
    bound: Environment,
}

/// A running kMC simulation. See the module documentation for one step.
#[derive(Debug, Clone)]
pub struct Simulation<E: EnergyModel = BondCounting> {
    graph: Arc<SiteGraph>,
    model: Arc<Model>,
    energy: E,
    catalog: EventCatalog,
    /// Per swap rule, whether the mover's site owns its events (fixed for a run).
    mover_owned: Vec<bool>,
    occupancy: Occupancy,
    table: EventTable,
    program: Program,
    rng: Rng,
    time: f64,
    window: Window,
    executed: u64,
    null_events: u64,
    rule_counts: Vec<u64>,
    /// `removed[domain * n_species + species]`: atoms that left into the vacuum sink.
    removed: Vec<u64>,
    /// `added[domain * n_species + species]`: atoms that arrived from a reservoir.
    added: Vec<u64>,
    /// Atoms moved between domains (`transfers.rs`).
    transfers: Vec<u64>,
    /// The sites visited around the current event (within range or in the outer layer).
    marks: SiteMarks,
    frontier: Vec<SiteId>,
    next_frontier: Vec<SiteId>,
    /// Owners to refresh after an event, with whether they are in the outer layer.
    owners: Vec<(SiteId, bool)>,
    last_event: Option<DecodedEvent>,
    /// Refresh neighbourhoods already explored, replayed where the graph repeats itself.
    balls: BallCache,
    /// Deep templates of the sites, where the refresh searches deeper than the graph's
    /// templates are refined (the key of a replayed neighbourhood).
    deep: Option<DeepTemplates>,
    /// Which sites own events now (read when collecting the owners around an event).
    owner_bits: OwnerBits,
    /// Scratch space of a refresh (no state).
    swap_scratch: SwapScratch,
    /// Audit every this many executed events (0: never).
    audit_every: u64,
    /// Rate scaling factor per group (`rule + n_rules × region`; see
    /// [`Simulation::set_rule_scaling`]).
    scale: Vec<f64>,
    /// Region of each domain when rates are scaled per region (`None`: one region).
    regions: Option<Arc<[u32]>>,
    /// Detection and scaling of quasi-equilibrated channels, when on.
    accel: Option<Box<Detector>>,
    /// Net site changes of the fast events integrated out by the last basin step.
    basin_moves: Vec<crate::state::SiteChange>,
    /// The small clusters of the cluster-move rules (`None` without such rules).
    clusters: Option<Box<clusters::Clusters>>,
    /// The site changes of the last event when it was a cluster move.
    cluster_changes: Vec<crate::state::SiteChange>,
    /// Scratch space of a cluster move's plan.
    cluster_scratch: crate::events::ClusterScratch,
}

/// Checks that every site's species exists and is allowed on the site's kind.
fn check_species(graph: &SiteGraph, model: &Model, species: &[SpeciesId]) -> Result<()> {
    if species.len() != graph.len() {
        return Err(Error::build(
            "simulation",
            format!("{} species given for {} sites", species.len(), graph.len()),
        ));
    }
    for (s, sp) in species.iter().enumerate() {
        let kind = graph.kinds()[s];
        if sp.index() >= model.species.len() {
            return Err(Error::build(
                "simulation",
                format!("site {s}: species index out of range"),
            ));
        }
        if !sp.is_vacancy() && !model.kinds[kind.index()].allowed.contains(*sp) {
            return Err(Error::build(
                "simulation",
                format!(
                    "site {s}: species `{}` is not allowed on site kind `{}`",
                    model.species.name(*sp),
                    model.kinds[kind.index()].name
                ),
            ));
        }
    }
    Ok(())
}

/// Checks that every coordination table E(n) of `energy` covers the largest neighbour
/// count of its shell in `graph`.
fn check_coordination_tables(
    graph: &SiteGraph,
    model: &Model,
    energy: &BondCounting,
) -> Result<()> {
    for shell in 0..graph.shell_count() {
        #[allow(clippy::cast_possible_truncation)]
        let shell = crate::sites::ShellId(shell as u8);
        if let Some(len) = energy.shortest_table(shell) {
            let max = (0..model.kinds.len())
                .map(|k| {
                    #[allow(clippy::cast_possible_truncation)]
                    graph.max_neighbors(crate::sites::KindId(k as u16), shell)
                })
                .max()
                .unwrap_or(0);
            if len <= max {
                return Err(Error::build(
                    format!("model `{}`", model.name),
                    format!(
                        "coordination table of shell `{}` has {len} entries but sites have up to {max} neighbours (needs {})",
                        model.shells[shell.index()].name,
                        max + 1
                    ),
                ));
            }
        }
    }
    Ok(())
}

impl Simulation<BondCounting> {
    /// A simulation with the bond-counting energy of `model`.
    ///
    /// # Errors
    /// See [`Simulation::with_energy`].
    pub fn new(
        graph: Arc<SiteGraph>,
        model: Arc<Model>,
        species: Vec<SpeciesId>,
        program: Program,
        rng: Rng,
    ) -> Result<Self> {
        let energy = BondCounting::new(&model.energy, model.species.len());
        check_coordination_tables(&graph, &model, &energy)?;
        Self::with_energy(graph, model, energy, species, program, rng)
    }
}

impl<E: EnergyModel> Simulation<E> {
    /// A simulation of `model` on `graph` from the configuration `species`, under
    /// `program`, drawing from `rng`, with energy model `energy`. Builds every event.
    ///
    /// # Errors
    /// If the model is inconsistent, its shells do not match the graph's, a species is not
    /// allowed on its site, or a rate is not finite at the program's start.
    pub fn with_energy(
        graph: Arc<SiteGraph>,
        model: Arc<Model>,
        energy: E,
        species: Vec<SpeciesId>,
        program: Program,
        rng: Rng,
    ) -> Result<Self> {
        let mut sim = Self::assemble(graph, model, energy, species, program, rng, None)?;
        for s in 0..sim.graph.len() {
            #[allow(clippy::cast_possible_truncation)]
            sim.refresh_owner(SiteId(s as u32), false)?;
        }
        sim.build_clusters(true)?;
        Ok(sim)
    }

    /// Checks the inputs and sets up everything but the events (the table is empty).
    // the constructors take the species by value (their callers hand them over); the
    // occupancy copies them into its own per-site records.
    #[allow(clippy::needless_pass_by_value)]
    fn assemble(
        graph: Arc<SiteGraph>,
        model: Arc<Model>,
        energy: E,
        species: Vec<SpeciesId>,
        program: Program,
        rng: Rng,
        mover_owned: Option<Vec<bool>>,
    ) -> Result<Self> {
        model.validate()?;
        if graph.shell_count() != model.shells.len()
            || graph
                .shell_names()
                .iter()
                .zip(&model.shells)
                .any(|(a, b)| *a != b.name)
        {
            return Err(Error::build(
                "simulation",
                "the site graph was built with other shells than the model's",
            ));
        }
        if graph.kind_names().len() != model.kinds.len() {
            return Err(Error::build(
                "simulation",
                "the site graph was built with other site kinds than the model's",
            ));
        }
        check_species(&graph, &model, &species)?;
        // domain filters name the scenario's domains: resolve them against this graph.
        let model = if model.has_domain_filters() {
            let mut resolved = (*model).clone();
            resolved.resolve_domains(graph.domain_names())?;
            Arc::new(resolved)
        } else {
            model
        };
        let occupancy = Occupancy::new(
            &graph,
            &species,
            model.species.len(),
            model.counted_shells(),
        )?;
        let mover_owned = mover_owned.unwrap_or_else(|| {
            let totals = occupancy.totals();
            model
                .rules
                .iter()
                .map(|r| match r.action {
                    Action::Swap { mover, target, .. } => {
                        totals[mover.species.index()] < totals[target.species.index()]
                    }
                    _ => false,
                })
                .collect()
        });
        if mover_owned.len() != model.rules.len() {
            return Err(Error::build(
                "simulation",
                "event ownership does not match the model's rules",
            ));
        }
        let catalog = EventCatalog::new(&model, &graph, &mover_owned);
        let table = EventTable::new(graph.len(), catalog.max_layout_size());
        let deep = DeepTemplates::new(&graph, catalog.refresh_radius().saturating_sub(1));
        let owner_bits = OwnerBits::new(&graph, &occupancy, &catalog);
        let n_cells = graph.domain_names().len() * model.species.len();
        let env = program.environment(0.0);
        Ok(Self {
            mover_owned,
            rule_counts: vec![0; model.rules.len()],
            scale: vec![1.0; model.rules.len()],
            regions: None,
            accel: None,
            basin_moves: Vec::new(),
            clusters: clusters::Clusters::new(&model, graph.len()),
            cluster_changes: Vec::new(),
            cluster_scratch: crate::events::ClusterScratch::default(),
            removed: vec![0; n_cells],
            added: vec![0; n_cells],
            transfers: vec![0; n_cells * graph.domain_names().len()],
            marks: SiteMarks::default(),
            frontier: Vec::new(),
            next_frontier: Vec::new(),
            owners: Vec::new(),
            last_event: None,
            balls: BallCache::default(),
            deep,
            owner_bits,
            swap_scratch: SwapScratch::default(),
            audit_every: 0,
            graph,
            model,
            energy,
            catalog,
            occupancy,
            table,
            program,
            rng,
            time: 0.0,
            window: Window {
                end: 0.0,
                constant: true,
                bound: env,
            },
            executed: 0,
            null_events: 0,
        })
    }

    fn class_rate(&self, group: u32, barrier: f64, env: Environment) -> Result<f64> {
        scaled_rate(&self.model, &self.scale, group, barrier, env)
    }

    /// Recomputes the slots of `owner`'s block (see the module documentation, stage 6).
    /// With `outer`, the owner lies just beyond the interaction range of the changed sites
    /// and only its swap slots whose partner lies within that range can have changed.
    fn refresh_owner(&mut self, owner: SiteId, outer: bool) -> Result<()> {
        // the region look-up per slot is compiled only into the per-region variant, so
        // that a run without regions pays nothing for it.
        if self.regions.is_some() {
            self.refresh_owner_in::<true>(owner, outer)
        } else {
            self.refresh_owner_in::<false>(owner, outer)
        }
    }

    /// [`Self::refresh_owner`] with (`REGIONS`) or without per-region scaling groups.
    fn refresh_owner_in<const REGIONS: bool>(&mut self, owner: SiteId, outer: bool) -> Result<()> {
        let kind = self.graph.kind(owner);
        let layout_id = self.catalog.layout_id(kind, self.occupancy.get(owner));
        let mut block = self.table.block(owner.0);
        if block != NO_BLOCK && self.table.block_layout(block) != layout_id {
            // the owner changed species: none of its old events exist any more.
            let old = self.catalog.layout(self.table.block_layout(block)).size;
            for slot in 0..old {
                if self.table.record(block, slot).class != ClassId::NONE {
                    self.table.deactivate(block, slot);
                }
            }
            self.table.release(owner.0);
            block = NO_BLOCK;
        }
        if layout_id == EventCatalog::NONE {
            return Ok(());
        }
        let n_entries = self.catalog.layout(layout_id).entries.len();
        for e in 0..n_entries {
            let entry = self.catalog.layout(layout_id).entries[e];
            let table = &mut self.table;
            let model = &*self.model;
            let bound = self.window.bound;
            let scale = &self.scale;
            let graph = &*self.graph;
            let regions = self.regions.as_deref();
            let mut update = |slot: u32, classified: Option<Classified>| -> Result<()> {
                let new_class = match classified {
                    None => ClassId::NONE,
                    Some(Classified { rule, barrier }) => {
                        let group = if REGIONS {
                            group_of(graph, model, regions, owner, entry, slot, rule)
                        } else {
                            rule
                        };
                        class_of(table, model, bound, scale, group, barrier)?
                    }
                };
                let old_class = if block == NO_BLOCK {
                    ClassId::NONE
                } else {
                    table.record(block, slot).class
                };
                if old_class != new_class {
                    if old_class != ClassId::NONE {
                        table.deactivate(block, slot);
                    }
                    if new_class != ClassId::NONE {
                        if block == NO_BLOCK {
                            block = table.allocate(owner.0, layout_id);
                        }
                        table.activate(block, slot, new_class);
                    }
                }
                Ok(())
            };
            if model.rules[entry.rule as usize]
                .action
                .pair_shell()
                .is_some()
            {
                let marks = &self.marks;
                EventCatalog::classify_two_site(
                    model,
                    &self.energy,
                    &self.graph,
                    &self.occupancy,
                    owner,
                    entry,
                    |partner| !outer || marks.is_inner(partner),
                    &mut self.swap_scratch,
                    update,
                )?;
            } else if !outer
                && !matches!(
                    model.rules[entry.rule as usize].action,
                    Action::ClusterMove(_)
                )
            {
                // cluster moves are refreshed by `refresh_clusters`.
                for local in 0..entry.slots {
                    let classified = EventCatalog::classify(
                        model,
                        &self.energy,
                        &self.graph,
                        &self.occupancy,
                        owner,
                        entry,
                        local,
                    );
                    update(entry.offset + local, classified)?;
                }
            }
        }
        if block != NO_BLOCK && self.table.block_active(block) == 0 {
            self.table.release(owner.0);
        }
        Ok(())
    }

    /// Collects the owner sites within the refresh radius of `changed` into `self.owners`.
    ///
    /// Breadth-first over all shells. The visited sites are marked in `self.marks`, those of
    /// the outer layer as such, so that [`Self::refresh_owner`] can tell a partner within
    /// range (a replay marks them only when an outer owner needs it).
    fn collect_owners(&mut self, changed: &[SiteId]) {
        self.marks.clear();
        self.owners.clear();
        let base = changed[0];
        let key = BallKey::new(&self.graph, self.deep.as_ref(), changed);
        // a recorded neighbourhood is keyed by one or two changed sites (a cluster move
        // changes more: it is searched, not replayed).
        let cacheable = changed.len() <= 2;

        // replay: the same sites in the same order as the search below would visit them.
        if let Some(ball) = self.balls.find(&key).filter(|_| cacheable) {
            if replay(ball, base, &self.owner_bits, &mut self.owners) {
                for &(offset, visit) in &ball.sites {
                    if visit != Visit::Outer {
                        self.marks.insert(offset_site(base, offset), false);
                    }
                }
            }
            return;
        }

        // breadth-first search, recorded for replay.
        let record = cacheable && self.balls.has_room();
        let mut ball = Ball::default();
        let offset = |k: SiteId| -> i32 {
            i32::try_from(i64::from(k.0) - i64::from(base.0)).unwrap_or(i32::MAX)
        };
        self.frontier.clear();
        for &s in changed {
            if self.marks.insert(s, false) {
                self.frontier.push(s);
                self.owners.push((s, false));
                if record {
                    ball.sites.push((offset(s), Visit::Changed));
                }
            }
        }
        let radius = self.catalog.refresh_radius();
        let n_shells = self.graph.shell_count();
        for hop in 1..=radius {
            self.next_frontier.clear();
            let outer = hop == radius;
            for i in 0..self.frontier.len() {
                let s = self.frontier[i];
                for shell in 0..n_shells {
                    #[allow(clippy::cast_possible_truncation)]
                    let shell = crate::sites::ShellId(shell as u8);
                    for k in self.graph.neighbors(s, shell) {
                        if !self.marks.insert(k, outer) {
                            continue;
                        }
                        if record {
                            ball.sites
                                .push((offset(k), if outer { Visit::Outer } else { Visit::Inner }));
                        }
                        // only the changed sites (layer 0) can hold a block of a layout
                        // they no longer have; elsewhere ownership follows the species.
                        if self.owner_bits.get(k) {
                            self.owners.push((k, outer));
                        }
                        if !outer {
                            self.next_frontier.push(k);
                        }
                    }
                }
            }
            std::mem::swap(&mut self.frontier, &mut self.next_frontier);
        }
        if record && ball.sites.iter().all(|(o, _)| *o != i32::MAX) {
            self.balls.insert(key, ball);
        }
    }

    /// Opens the rate window starting now and ending no later than `limit`.
    fn open_window(&mut self, limit: f64) -> Result<()> {
        let t = self.time;
        let mut end = self
            .program
            .next_breakpoint_after(t)
            .map_or(limit, |b| b.min(limit));
        let constant = self.program.is_constant_on(t, end);
        let bound = if constant {
            self.program.environment(t)
        } else {
            let ramp_end = t + self.ramp_window_length(t, end);
            // a window always moves the clock forward, even when the length is below the
            // resolution of t.
            if ramp_end > t {
                end = end.min(ramp_end);
            }
            self.program.bounds_on(t, end).0
        };
        let unchanged = bound == self.window.bound;
        self.window = Window {
            end,
            constant,
            bound,
        };
        if !unchanged {
            self.accel_follow_program();
            let ids: Vec<ClassId> = self.table.classes.ids().collect();
            for c in ids {
                let key = self.table.classes.key(c);
                let rate = self.class_rate(key.group, self.table.classes.barrier(c), bound)?;
                self.table.classes.set_rate(c, rate);
            }
        }
        Ok(())
    }

    /// Length of a ramp window from `t` (no breakpoint before `end`) such that the highest
    /// barrier present loses at most [`RAMP_TOLERANCE`] of its rate across it.
    fn ramp_window_length(&self, t: f64, end: f64) -> f64 {
        let span = end - t;
        if span <= 0.0 || !span.is_finite() {
            return span.max(0.0);
        }
        let classes = &self.table.classes;
        let max_barrier = classes
            .ids()
            .filter(|&c| !classes.members(c).is_empty())
            .filter(|&c| {
                matches!(
                    self.model.rules[rule_of(&self.model, classes.key(c).group)].law,
                    RateLaw::Thermal { .. }
                )
            })
            .map(|c| classes.barrier(c))
            .fold(0.0f64, f64::max);
        let mut length = span;
        // the segment is linear from t up to (not including) a jump at `end`.
        let a = self.program.environment(t);
        let b = self.program.environment_before(end);
        let slope_t = (b.temperature - a.temperature) / span;
        if slope_t != 0.0 && max_barrier > 0.0 {
            let d_inv = RAMP_TOLERANCE * crate::constants::BOLTZMANN_EV_PER_K / max_barrier;
            let t_a = a.temperature;
            let t_b = if slope_t > 0.0 {
                let inv = 1.0 / t_a - d_inv;
                if inv <= 0.0 { f64::INFINITY } else { 1.0 / inv }
            } else {
                1.0 / (1.0 / t_a + d_inv)
            };
            length = length.min((t_b - t_a) / slope_t);
        }
        let slope_f = (b.beam_flux - a.beam_flux) / span;
        if slope_f != 0.0 {
            let scale = a.beam_flux.max(b.beam_flux.max(a.beam_flux) * 1e-3);
            length = length.min(RAMP_TOLERANCE * scale / slope_f.abs());
        }
        length
    }

    /// One step towards `limit` (an absolute time [s]). See the module documentation.
    ///
    /// # Errors
    /// If a rate becomes non-finite or negative (a model or program error).
    ///
    /// # Panics
    /// Panics if the rate classes have a positive total but no class with positive weight
    /// (the class totals are kept consistent with the members, so this cannot happen).
    pub fn step(&mut self, limit: f64) -> Result<StepOutcome> {
        if self.time >= limit {
            return Ok(StepOutcome::Boundary);
        }
        if self.time >= self.window.end || self.window.end > limit {
            self.open_window(limit)?;
        }
        if self.accel.is_some() {
            self.basin_moves.clear();
            match self.basin_step()? {
                Some(StepOutcome::Event { rule }) => return self.after_event(rule),
                Some(outcome) => return Ok(outcome),
                None => {}
            }
        }
        let total = self.table.classes.total();
        if total <= 0.0 {
            self.accel_record_time(self.window.end - self.time);
            self.time = self.window.end;
            return Ok(StepOutcome::Boundary);
        }
        let dt = -rng::uniform_open01(&mut self.rng).ln() / total;
        if self.time + dt >= self.window.end {
            self.accel_record_time(self.window.end - self.time);
            self.time = self.window.end;
            return Ok(StepOutcome::Boundary);
        }
        self.accel_record_time(dt);
        self.time += dt;
        let target = (1.0 - rng::uniform_open01(&mut self.rng)) * total;
        let class = self
            .table
            .classes
            .select(target)
            .expect("a positive total has a class with weight");
        if !self.window.constant {
            let env = self.program.environment(self.time);
            let group = self.table.classes.key(class).group;
            let actual = self.class_rate(group, self.table.classes.barrier(class), env)?;
            let bound = self.table.classes.rate(class);
            if rng::uniform_open01(&mut self.rng) * bound > actual {
                self.null_events += 1;
                return Ok(StepOutcome::Null);
            }
        }
        let members = self.table.classes.members(class);
        let chosen = members[rng::uniform_index(&mut self.rng, members.len())];
        let (site, slot) = self.table.resolve(chosen);
        let group = self.table.classes.key(class).group;
        let rule = self.execute(SiteId(site), slot)?;
        if self.accel.is_some() {
            self.accel_record_event(group)?;
        }
        self.after_event(rule)
    }

    /// The audit of audit mode after an executed event of `rule`.
    fn after_event(&mut self, rule: u32) -> Result<StepOutcome> {
        if self.audit_every > 0 && self.executed.is_multiple_of(self.audit_every) {
            let report = self.audit();
            if !report.is_clean() {
                return Err(Error::Model {
                    event: self.model.rules[rule as usize].name.clone(),
                    site: self
                        .last_event
                        .as_ref()
                        .map_or(u32::MAX, |e| e.changes[0].site.0),
                    message: format!(
                        "audit after {} events found drift: {} of {} event slots and {} neighbour counts differ from a recomputation",
                        self.executed,
                        report.mismatches,
                        report.slots_checked,
                        report.count_mismatches
                    ),
                });
            }
        }
        Ok(StepOutcome::Event { rule })
    }

    /// Runs until the clock reaches `time` [s] (absolute).
    ///
    /// # Errors
    /// As [`Self::step`].
    pub fn run_until(&mut self, time: f64) -> Result<()> {
        while self.time < time {
            self.step(time)?;
        }
        Ok(())
    }

    /// Executes `n` events (or stops at `time_limit`, whichever comes first).
    ///
    /// # Errors
    /// As [`Self::step`].
    pub fn run_events(&mut self, n: u64, time_limit: f64) -> Result<()> {
        let stop = self.executed + n;
        while self.executed < stop && self.time < time_limit {
            self.step(time_limit)?;
        }
        Ok(())
    }
}

/// Replays a recorded refresh neighbourhood from `base`: collects the owners, in the order
/// of the search that recorded it (see `collect_owners`). Returns true when one of them is
/// in the outer layer.
#[inline]
fn replay(
    ball: &Ball,
    base: SiteId,
    owner_bits: &OwnerBits,
    owners: &mut Vec<(SiteId, bool)>,
) -> bool {
    let mut any_outer = false;
    for &(offset, visit) in &ball.sites {
        let k = offset_site(base, offset);
        match visit {
            Visit::Changed => owners.push((k, false)),
            Visit::Inner | Visit::Outer => {
                if owner_bits.get(k) {
                    let outer = visit == Visit::Outer;
                    any_outer |= outer;
                    owners.push((k, outer));
                }
            }
        }
    }
    any_outer
}

/// The site at `offset` from `base` (an offset recorded from a real neighbourhood).
#[inline]
fn offset_site(base: SiteId, offset: i32) -> SiteId {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    SiteId((i64::from(base.0) + i64::from(offset)) as u32)
}
