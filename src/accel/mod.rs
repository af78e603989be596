//! Acceleration of fast, quasi-equilibrated events (`docs/acceleration.md`).
//!
//! Our systems mix events whose rates differ by many orders of magnitude: plain BKL spends
//! nearly every event on fast, reversible moves (an interstitial rattling between
//! neighbouring holes) while the slow events that transform the particle (exchange,
//! evaporation) wait. This module finds, on the fly, the reversible *channels* that are
//! quasi-equilibrated and lowers their rates uniformly in both directions, keeping them a
//! user-set factor faster than everything else.
//!
//! # Channels and groups
//! A [`Channel`] is a thermal swap rule together with its reverse: either a generated
//! reverse rule (`Rule::reverse_of`) or the rule itself when both ends are on the same site
//! kind (a hop from `i` to `j` and back are then events of one rule). Scaling both
//! directions by the same factor `f` raises both barriers by `−k_B T ln f`, so the
//! equilibrium among the states the channel connects is unchanged and its time scale is
//! stretched by `1/f`. Irreversible rules (evaporation, deposition, beam events, one-way
//! swaps) are never scaled.
//!
//! Detection and scaling work per *region*: with [`RegionMode::Domains`] every domain of
//! the system is a region, and an event belongs to the region of its site (a swap to the
//! lower region of its two ends, the same for an event and its reverse). The engine keys
//! rate classes by *group* = `rule + n_rules × region`, so each (rule, region) has its own
//! factor.
//!
//! # Detection (per detection window of `window` executed events)
//! The engine reports every executed event's group and, at every step, the time integral of
//! each group's total propensity. At the end of a window a channel is *quasi-equilibrated*
//! in a region when both directions were executed at least `min_executions` times and
//! `|n_fwd − n_bwd| ≤ balance · (n_fwd + n_bwd)` (for a self-reverse channel:
//! `2 · min_executions` executions). This follows the window test of Dybeck, Plaisance &
//! Neurock, J. Chem. Theory Comput. 13, 1525 (2017), with the per-process counting of
//! Chatterjee & Voter, J. Chem. Phys. 132, 194101 (2010).
//!
//! # Scaling
//! `R_slow` is the window's time-averaged total propensity of every group that is not
//! quasi-equilibrated, over the whole system (slow events anywhere, and fast channels that
//! carry a net flux: a region's fast moves may feed slow events elsewhere). A
//! quasi-equilibrated channel with time-averaged physical propensity `P` gets
//! `f = separation · R_slow / P`, rounded up to a power of two and kept in
//! `[min_factor, 1]`, so that its scaled total rate stays at least `separation` times the
//! slow total rate (between `separation` and twice that). Rounding makes the factors change
//! rarely once the system is steady (each change is logged). A channel that is no longer
//! quasi-equilibrated returns to `f = 1` at once. A window in which nothing slow had any
//! propensity (`R_slow = 0`: every slow event has happened, e.g. the last small cluster has
//! merged) keeps the factors decided before: any factor keeps the separation then, and
//! there is no slow rate to measure a new one against.
//!
//! When the temperature or the beam flux changes (a ramp, a step, the beam turning on), the
//! separation that was measured at the decision may shrink: slow events have higher
//! barriers and speed up faster on heating. At every change of the rate window the engine
//! computes that loss `L` from the barriers present ([`separation_loss`]) and uses
//! `min(1, f_decided · L)` until the next decision, so the separation never falls below the
//! user's margin; a beam turning on resets every factor to 1.

pub mod basin;
mod report;

pub use report::AccelReport;

use crate::constants::BOLTZMANN_EV_PER_K;
use crate::error::{Error, Result};
use crate::model::{Action, Model, RateLaw};
use crate::program::Environment;
use serde::{Deserialize, Serialize};

/// How the system is divided into regions for detection and scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegionMode {
    /// One region: the whole system.
    Whole,
    /// One region per domain.
    Domains,
}

/// How detected fast channels are accelerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// Scale their rates (approximate, error set by `separation`).
    Scaling,
    /// Solve the escape from the basin of states they connect exactly when the basin has
    /// at most `max_basin_states` states ([`basin`]); scale otherwise.
    Basin,
    /// Exact escapes of independent fast movers: each mover's basin solved alone, the
    /// earliest escape taken, the others drawn at that moment (factorised basins; up to
    /// `max_basin_states` states per mover); scale otherwise.
    Movers,
}

impl Method {
    /// True for the methods that solve basins exactly (`basin`, `movers`).
    #[must_use]
    pub fn solves_basins(self) -> bool {
        matches!(self, Self::Basin | Self::Movers)
    }

    /// Largest allowed `max_basin_states` for this method: [`MAX_MOVER_STATES`] for
    /// movers, [`MAX_BASIN_STATES`] otherwise.
    #[must_use]
    pub fn max_basin_states(self) -> u32 {
        if self == Self::Movers {
            MAX_MOVER_STATES
        } else {
            MAX_BASIN_STATES
        }
    }
}

/// The accuracy knobs of rate scaling (the scenario's `[acceleration]` block).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AccelSettings {
    /// Scaling only, or exact basin escapes where the basin is small.
    pub method: Method,
    /// Largest basin solved exactly (states, ≥ 2).
    pub max_basin_states: u32,
    /// Smallest ratio kept between the scaled total rate of a quasi-equilibrated channel
    /// and the total rate of the slow events (≥ 1).
    pub separation: f64,
    /// Executed events per detection window (≥ 1).
    pub window: u64,
    /// Executions needed in each direction of a channel within a window (≥ 1).
    pub min_executions: u64,
    /// Largest allowed net imbalance `|n_fwd − n_bwd| / (n_fwd + n_bwd)` (in `[0, 1)`).
    pub balance: f64,
    /// Smallest scaling factor (in `(0, 1]`).
    pub min_factor: f64,
    /// Regions of detection and scaling.
    pub regions: RegionMode,
}

impl Default for AccelSettings {
    fn default() -> Self {
        Self {
            method: Method::Scaling,
            max_basin_states: DEFAULT_MAX_BASIN_STATES,
            separation: DEFAULT_SEPARATION,
            window: DEFAULT_WINDOW,
            min_executions: DEFAULT_MIN_EXECUTIONS,
            balance: DEFAULT_BALANCE,
            min_factor: DEFAULT_MIN_FACTOR,
            regions: RegionMode::Domains,
        }
    }
}

/// Default of [`AccelSettings::separation`] (justified in `docs/acceleration.md`).
pub const DEFAULT_SEPARATION: f64 = 100.0;
/// Default of [`AccelSettings::window`].
pub const DEFAULT_WINDOW: u64 = 20_000;
/// Default of [`AccelSettings::min_executions`].
pub const DEFAULT_MIN_EXECUTIONS: u64 = 100;
/// Default of [`AccelSettings::balance`].
pub const DEFAULT_BALANCE: f64 = 0.2;
/// Default of [`AccelSettings::max_basin_states`].
pub const DEFAULT_MAX_BASIN_STATES: u32 = 64;
/// Largest allowed [`AccelSettings::max_basin_states`] with `method = "basin"`: basins up
/// to [`basin::DENSE_LIMIT`] states are solved densely, larger ones by kinetic path
/// sampling ([`basin::PathSampler`]).
pub const MAX_BASIN_STATES: u32 = 65_536;
/// Largest allowed [`AccelSettings::max_basin_states`] with `method = "movers"` (each
/// mover's basin is solved densely: its survivors are drawn at arbitrary times).
#[allow(clippy::cast_possible_truncation)]
pub const MAX_MOVER_STATES: u32 = basin::DENSE_LIMIT as u32;
/// Default of [`AccelSettings::min_factor`].
pub const DEFAULT_MIN_FACTOR: f64 = 1e-15;

impl AccelSettings {
    /// Checks the ranges of the knobs.
    ///
    /// # Errors
    /// [`Error::Build`] naming the first knob out of range.
    pub fn validate(&self) -> Result<()> {
        let bad =
            |key: &str, why: &str| Err(Error::build("acceleration", format!("`{key}` {why}")));
        if !(self.separation.is_finite() && self.separation >= 1.0) {
            return bad("separation", "must be a finite number ≥ 1");
        }
        if self.window == 0 {
            return bad("window", "must be at least 1 event");
        }
        if self.min_executions == 0 {
            return bad("min_executions", "must be at least 1");
        }
        if 2 * self.min_executions > self.window {
            return bad(
                "min_executions",
                "must be at most half the window (both directions must fit in it)",
            );
        }
        if !(self.balance >= 0.0 && self.balance < 1.0) {
            return bad("balance", "must lie in [0, 1)");
        }
        if !(self.min_factor > 0.0 && self.min_factor <= 1.0) {
            return bad("min_factor", "must lie in (0, 1]");
        }
        let most = self.method.max_basin_states();
        if !(2..=most).contains(&self.max_basin_states) {
            return Err(Error::build(
                "acceleration",
                format!("`max_basin_states` must lie in 2 ..= {most}"),
            ));
        }
        Ok(())
    }
}

/// A reversible channel: a thermal swap rule and its reverse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// Name for reports (the forward rule's name).
    pub name: String,
    /// The forward rule.
    pub forward: u32,
    /// The reverse rule, or `None` when the rule is its own reverse.
    pub reverse: Option<u32>,
}

impl Channel {
    /// The rules of the channel (one or two).
    #[must_use]
    pub fn rules(&self) -> Vec<u32> {
        match self.reverse {
            Some(r) => vec![self.forward, r],
            None => vec![self.forward],
        }
    }
}

/// The channels of `model` that may be scaled, in rule order.
#[must_use]
pub fn scalable_channels(model: &Model) -> Vec<Channel> {
    let mut out = Vec::new();
    for (i, rule) in model.rules.iter().enumerate() {
        let Action::Swap { mover, target, .. } = rule.action else {
            continue;
        };
        if !matches!(rule.law, RateLaw::Thermal { .. }) || rule.reverse_of.is_some() {
            continue;
        }
        #[allow(clippy::cast_possible_truncation)]
        let forward = i as u32;
        #[allow(clippy::cast_possible_truncation)]
        let reverse = model
            .rules
            .iter()
            .position(|r| r.reverse_of == Some(i))
            .map(|r| r as u32);
        if reverse.is_some() || mover.kind == target.kind {
            out.push(Channel {
                name: rule.name.clone(),
                forward,
                reverse,
            });
        }
    }
    out
}

/// Why a factor changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeReason {
    /// Detected quasi-equilibrated; the factor follows the measured separation.
    Equilibrated,
    /// No longer quasi-equilibrated: back to 1.
    NotEquilibrated,
    /// The temperature or beam program moved on: back to 1.
    Program,
}

impl ChangeReason {
    /// A short name for reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ChangeReason::Equilibrated => "quasi-equilibrated",
            ChangeReason::NotEquilibrated => "not equilibrated",
            ChangeReason::Program => "program changed",
        }
    }
}

/// One change of a scaling factor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FactorChange {
    /// Simulated time [s].
    pub time: f64,
    /// Channel index.
    pub channel: u32,
    /// Region index.
    pub region: u32,
    /// The new factor.
    pub factor: f64,
    /// Why.
    pub reason: ChangeReason,
}

/// The detector: window statistics, decided factors and the history of changes. Part of
/// the engine state (checkpoints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detector {
    /// The knobs.
    pub settings: AccelSettings,
    /// The scalable channels of the model.
    pub channels: Vec<Channel>,
    /// Rules of the model.
    pub n_rules: usize,
    /// Regions.
    pub n_regions: usize,
    /// Executed events per group in the current window.
    pub window_exec: Vec<u64>,
    /// ∫ (total propensity of the group) dt over the current window [1].
    pub window_integral: Vec<f64>,
    /// Events executed in the current window.
    pub window_events: u64,
    /// Simulated time of the current window [s].
    pub window_time: f64,
    /// Factor per (channel, region) chosen at the last decision: `[channel * n_regions + region]`.
    pub decided: Vec<f64>,
    /// Environment at the last decision.
    pub decided_env: Option<Environment>,
    /// Changes of decided factors, in time order.
    pub changes: Vec<FactorChange>,
    /// Estimated events an unscaled run would have spent on top of the executed ones:
    /// Σ over executed events of scaled groups of `1/f − 1`.
    pub saved_events: f64,
    /// Detection windows completed.
    pub windows: u64,
    /// Groups of the channels found quasi-equilibrated at the last decision (the fast
    /// events of a basin).
    pub fast_groups: Vec<bool>,
    /// True when the basin of the current fast groups was too large (or had no exit):
    /// rate scaling is used until the next decision.
    pub basin_blocked: bool,
    /// Solved basins by their exact chain (not part of the state: see
    /// [`basin::LawCache`]).
    #[serde(skip)]
    pub law_cache: basin::LawCache,
    /// Exact basin escapes: counts and sizes.
    pub basin: BasinStats,
}

/// What the exact basin escapes did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BasinStats {
    /// Basins solved (one per basin step).
    pub solved: u64,
    /// Of those, solved with the exact law (the rest with the mean-rate law).
    pub exact: u64,
    /// Basin steps that ended at a window end without an escape.
    pub survived: u64,
    /// Largest basin solved (states).
    pub largest: usize,
    /// Explorations abandoned (basin too large or no exit).
    pub abandoned: u64,
    /// Basins that integrated out fewer fast events than they had states (not worth it:
    /// ordinary steps until the next decision).
    pub unprofitable: u64,
    /// Steps by factorised escapes of independent movers (`method = "movers"`).
    #[serde(default)]
    pub mover_steps: u64,
    /// Most independent components (movers) in one such step.
    #[serde(default)]
    pub most_movers: usize,
    /// Movers steps abandoned because the self-check found the movers dependent or the
    /// solver refused a component.
    #[serde(default)]
    pub dependent: u64,
    /// Fast events integrated out by recent movers steps, an exponential average
    /// (weight [`MOVERS_MEMORY`] per step); with `recent_states`, judges whether the steps
    /// pay off on average, so that one short interval does not stop them.
    #[serde(default)]
    pub recent_integrated: f64,
    /// States enumerated by recent movers steps, averaged like `recent_integrated`.
    #[serde(default)]
    pub recent_states: f64,
    /// Basins solved by kinetic path sampling (more than [`basin::DENSE_LIMIT`] states).
    #[serde(default)]
    pub paths: u64,
    /// Basin steps whose law came from the cache of solved basins.
    #[serde(default)]
    pub cache_hits: u64,
    /// Basin steps abandoned (nothing changed) because a path-sampled survivor at a window
    /// end needed more than [`basin::law::SURVIVOR_BUDGET`] hops.
    #[serde(default)]
    pub survivor_abandoned: u64,
}

/// Weight of the past in the averages of [`BasinStats::recent_integrated`] and
/// [`BasinStats::recent_states`] (about ten steps of memory).
pub const MOVERS_MEMORY: f64 = 0.9;

/// What a decision asks of the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// New factor per group (`rule + n_rules × region`), 1 for unscaled groups.
    pub group_factors: Vec<f64>,
}

impl Detector {
    /// A detector for `model` with `n_regions` regions, for the scalable channels whose
    /// forward rule is in `only` (all of them with `None`).
    ///
    /// # Errors
    /// If the settings are out of range or `only` names a rule that is not the forward
    /// rule of a scalable channel.
    pub fn new(
        settings: AccelSettings,
        model: &Model,
        n_regions: usize,
        only: Option<&[u32]>,
    ) -> Result<Self> {
        settings.validate()?;
        let mut channels = scalable_channels(model);
        if let Some(only) = only {
            if let Some(r) = only
                .iter()
                .find(|r| !channels.iter().any(|c| c.forward == **r))
            {
                return Err(Error::build(
                    "acceleration",
                    format!("rule {r} is not the forward rule of a scalable channel"),
                ));
            }
            channels.retain(|c| only.contains(&c.forward));
        }
        let n_rules = model.rules.len();
        let n_groups = n_rules * n_regions;
        Ok(Self {
            settings,
            n_rules,
            n_regions,
            window_exec: vec![0; n_groups],
            window_integral: vec![0.0; n_groups],
            window_events: 0,
            window_time: 0.0,
            decided: vec![1.0; channels.len() * n_regions],
            decided_env: None,
            changes: Vec::new(),
            saved_events: 0.0,
            windows: 0,
            fast_groups: vec![false; n_groups],
            basin_blocked: false,
            law_cache: basin::LawCache::default(),
            basin: BasinStats::default(),
            channels,
        })
    }

    /// Checks that a restored detector fits `model` and `n_regions`.
    ///
    /// # Errors
    /// A description of the mismatch.
    pub fn check_fits(&self, model: &Model, n_regions: usize) -> std::result::Result<(), String> {
        let n_groups = model.rules.len() * n_regions;
        if self.n_rules != model.rules.len()
            || self.n_regions != n_regions
            || !self
                .channels
                .iter()
                .all(|c| scalable_channels(model).contains(c))
            || self.window_exec.len() != n_groups
            || self.window_integral.len() != n_groups
            || self.fast_groups.len() != n_groups
            || self.decided.len() != self.channels.len() * n_regions
            || self.decided.iter().any(|f| !(*f > 0.0 && *f <= 1.0))
            || self.settings.validate().is_err()
        {
            return Err("the acceleration state does not fit the model".into());
        }
        Ok(())
    }

    /// Number of groups (`rules × regions`).
    #[must_use]
    pub fn n_groups(&self) -> usize {
        self.n_rules * self.n_regions
    }

    /// The group of `rule` in `region`.
    #[inline]
    #[must_use]
    pub fn group(&self, rule: u32, region: u32) -> usize {
        rule as usize + self.n_rules * region as usize
    }

    /// Records an executed event of `group` whose current factor is `factor`. Returns true
    /// when the detection window is complete (call [`Self::decide`]).
    #[inline]
    pub fn record_event(&mut self, group: usize, factor: f64) -> bool {
        self.window_exec[group] += 1;
        self.window_events += 1;
        if factor < 1.0 {
            self.saved_events += 1.0 / factor - 1.0;
        }
        self.window_events >= self.settings.window
    }

    /// Records the fast transitions a basin step integrated out, `counts[group]` per
    /// group, as executions of the current window (so that the window keeps judging the
    /// channels while basin steps run); the slow event that ends the step is recorded by
    /// [`Self::record_event`].
    pub fn record_basin(&mut self, counts: &[u64]) {
        for (g, &c) in counts.iter().enumerate() {
            self.window_exec[g] += c;
            self.window_events += c;
        }
    }

    /// Adds `dt` of simulated time with per-group total propensities given by `each`
    /// (called as `each(|group, propensity| ...)`).
    #[inline]
    pub fn record_time(&mut self, dt: f64, each: impl FnOnce(&mut dyn FnMut(usize, f64))) {
        self.window_time += dt;
        let integral = &mut self.window_integral;
        each(&mut |g, p| integral[g] += p * dt);
    }

    /// The quasi-equilibrium test of the current window: per (channel, region) whether it
    /// passed, and per group whether it belongs to a channel that passed.
    // counts are far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    fn judge(&self) -> (Vec<bool>, Vec<bool>) {
        let s = &self.settings;
        let n_e = s.min_executions;
        let mut equilibrated = vec![false; self.channels.len() * self.n_regions];
        let mut in_qe = vec![false; self.n_groups()];
        for (c, ch) in self.channels.iter().enumerate() {
            for r in 0..self.n_regions {
                #[allow(clippy::cast_possible_truncation)]
                let region = r as u32;
                let nf = self.window_exec[self.group(ch.forward, region)];
                let ok = match ch.reverse {
                    Some(rev) => {
                        let nb = self.window_exec[self.group(rev, region)];
                        nf >= n_e
                            && nb >= n_e
                            && (nf.abs_diff(nb) as f64) <= s.balance * (nf + nb) as f64
                    }
                    None => nf >= 2 * n_e,
                };
                if ok {
                    equilibrated[c * self.n_regions + r] = true;
                    for rule in ch.rules() {
                        in_qe[self.group(rule, region)] = true;
                    }
                }
            }
        }
        (equilibrated, in_qe)
    }

    /// Ends the window at time `time` in environment `env`: judges every channel in every
    /// region, decides the factors and starts a new window. `current` is the factor each
    /// group ran with in this window.
    #[must_use]
    // counts are far below 2^52; factors are compared for identity.
    #[allow(clippy::cast_precision_loss, clippy::float_cmp)]
    pub fn decide(&mut self, time: f64, env: Environment, current: &[f64]) -> Decision {
        let s = &self.settings;
        let n_e = s.min_executions;
        let (equilibrated, in_qe) = self.judge();
        let t_w = self.window_time;
        if t_w > 0.0 {
            let slow: f64 = (0..self.n_groups())
                .filter(|&g| !in_qe[g])
                .map(|g| self.window_integral[g] / t_w)
                .sum();
            let k = equilibrated.iter().filter(|&&e| e).count() as f64;
            // each scaled channel keeps at least q of the window's events (so that it can be
            // judged again), and `separation` times the slow total rate.
            let q = 2.0 * n_e as f64 / s.window as f64;
            let target = if k * q < 1.0 {
                (s.separation * slow).max(q * slow / (1.0 - k * q))
            } else {
                f64::INFINITY
            };
            for (c, ch) in self.channels.iter().enumerate() {
                for r in 0..self.n_regions {
                    #[allow(clippy::cast_possible_truncation)]
                    let region = r as u32;
                    let i = c * self.n_regions + r;
                    let old = self.decided[i];
                    let new = if equilibrated[i] {
                        let physical: f64 = ch
                            .rules()
                            .iter()
                            .map(|&rule| {
                                let g = self.group(rule, region);
                                self.window_integral[g] / t_w / current[g]
                            })
                            .sum();
                        if physical > 0.0 && slow > 0.0 {
                            quantize((target / physical).clamp(s.min_factor, 1.0))
                        } else if physical > 0.0 {
                            // no slow rate in the window: every factor keeps the separation
                            // (there is nothing to separate from), and there is nothing to
                            // measure a new one against (it would fall to min_factor), so
                            // the factor decided before stays.
                            old
                        } else {
                            1.0
                        }
                    } else {
                        1.0
                    };
                    if new != old {
                        self.changes.push(FactorChange {
                            time,
                            #[allow(clippy::cast_possible_truncation)]
                            channel: c as u32,
                            region,
                            factor: new,
                            reason: if equilibrated[i] {
                                ChangeReason::Equilibrated
                            } else {
                                ChangeReason::NotEquilibrated
                            },
                        });
                        self.decided[i] = new;
                    }
                }
            }
        }
        let group_factors = self.group_factors(1.0);
        self.fast_groups = in_qe;
        self.basin_blocked = false;
        self.decided_env = Some(env);
        self.windows += 1;
        self.window_exec.fill(0);
        self.window_integral.fill(0.0);
        self.window_events = 0;
        self.window_time = 0.0;
        Decision { group_factors }
    }

    /// The factors to use in environment `env`: the decided ones relaxed by the separation
    /// `loss` since the decision (see [`separation_loss`]); an infinite loss resets every
    /// factor to 1 and records it. Returns per-group factors.
    pub fn follow(&mut self, time: f64, loss: f64) -> Vec<f64> {
        if !loss.is_finite() {
            for (i, f) in self.decided.iter_mut().enumerate() {
                if *f < 1.0 {
                    #[allow(clippy::cast_possible_truncation)]
                    self.changes.push(FactorChange {
                        time,
                        channel: (i / self.n_regions) as u32,
                        region: (i % self.n_regions) as u32,
                        factor: 1.0,
                        reason: ChangeReason::Program,
                    });
                    *f = 1.0;
                }
            }
            self.decided_env = None;
            return vec![1.0; self.n_groups()];
        }
        self.group_factors(loss.max(1.0))
    }

    /// The factor of every group: the decided factor of its channel and region times
    /// `relax` (at most 1), and 1 for groups of no channel.
    #[must_use]
    pub fn group_factors(&self, relax: f64) -> Vec<f64> {
        let mut factors = vec![1.0; self.n_groups()];
        for (c, ch) in self.channels.iter().enumerate() {
            for r in 0..self.n_regions {
                #[allow(clippy::cast_possible_truncation)]
                let region = r as u32;
                let f = (self.decided[c * self.n_regions + r] * relax).min(1.0);
                for rule in ch.rules() {
                    factors[self.group(rule, region)] = f;
                }
            }
        }
        factors
    }

    /// True when some factor is below 1.
    #[must_use]
    pub fn any_scaled(&self) -> bool {
        self.decided.iter().any(|&f| f < 1.0)
    }
}

/// Rounds `f` in `(0, 1]` up to a power of two (so that the separation is never less than
/// asked).
fn quantize(f: f64) -> f64 {
    if f >= 1.0 {
        1.0
    } else {
        // f ≥ min_factor > 0, so the exponent lies within f64's range.
        #[allow(clippy::cast_possible_truncation)]
        2f64.powi(f.log2().ceil() as i32)
    }
}

/// By how much the ratio between the fastest-slowing scaled rate and the fastest-rising
/// slow rate can have shrunk between environments `from` and `to`: the largest
/// `[k_s(to)/k_s(from)] / [k_f(to)/k_f(from)]` over slow classes `s` (rule laws and
/// barriers in `slow`) and scaled classes `f` (in `scaled`). Thermal rates change with
/// `exp(−E/k_B T)`, beam rates with the flux; a beam rate that was zero and is not any more
/// gives an infinite loss. At least 1.
#[must_use]
// an unchanged flux is compared for identity.
#[allow(clippy::float_cmp)]
pub fn separation_loss(
    from: Environment,
    to: Environment,
    slow: impl Iterator<Item = (RateLaw, f64)>,
    scaled: impl Iterator<Item = (RateLaw, f64)>,
) -> f64 {
    // ln of the rate ratio k(to)/k(from) of one class.
    let ln_ratio = |law: RateLaw, barrier: f64| -> f64 {
        match law {
            RateLaw::Thermal { .. } => {
                barrier / BOLTZMANN_EV_PER_K * (1.0 / from.temperature - 1.0 / to.temperature)
            }
            RateLaw::BeamProcess { process } => {
                let k_from = process.cross_section(from.beam_energy) * from.beam_flux;
                let k_to = process.cross_section(to.beam_energy) * to.beam_flux;
                if k_to == k_from {
                    0.0
                } else if k_from <= 0.0 {
                    f64::INFINITY
                } else if k_to <= 0.0 {
                    f64::NEG_INFINITY
                } else {
                    (k_to / k_from).ln()
                }
            }
            RateLaw::Beam { .. } => {
                if to.beam_flux == from.beam_flux {
                    0.0
                } else if from.beam_flux <= 0.0 {
                    f64::INFINITY
                } else if to.beam_flux <= 0.0 {
                    f64::NEG_INFINITY
                } else {
                    (to.beam_flux / from.beam_flux).ln()
                }
            }
        }
    };
    let up = slow
        .map(|(l, b)| ln_ratio(l, b))
        .fold(f64::NEG_INFINITY, f64::max);
    let down = scaled
        .map(|(l, b)| ln_ratio(l, b))
        .fold(f64::INFINITY, f64::min);
    if !up.is_finite() && up > 0.0 {
        return f64::INFINITY;
    }
    if up == f64::NEG_INFINITY || down == f64::INFINITY {
        return 1.0;
    }
    (up - down).exp().max(1.0)
}

#[cfg(test)]
mod tests;
