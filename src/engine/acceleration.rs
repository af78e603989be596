//! Rate scaling and the acceleration detector's hooks into the engine: per-rule and
//! per-group factors, installing the detector and its regions, recording time and events in
//! its windows, and following the temperature and beam program (`docs/acceleration.md`).

use std::sync::Arc;

use super::table::EventTable;
use super::{Simulation, region_map, rule_of};
use crate::accel::{self, AccelSettings, Detector};
use crate::energy::EnergyModel;
use crate::error::{Error, Result};
use crate::sites::SiteId;
use crate::solver::classes::ClassId;

impl<E: EnergyModel> Simulation<E> {
    /// Multiplies the rates of every event of `rule` by `factor` in `(0, 1]` from now on
    /// (1 restores the physical rates). This is the mechanism of rate scaling for fast,
    /// quasi-equilibrated events: scaling a rule and its reverse by the same factor raises
    /// their barriers by `−k_B T ln(factor)` in both directions, which leaves the
    /// equilibrium among the states they connect unchanged and stretches their time scale
    /// by `1/factor`. The factor applies in every window and to the thinning test, and is
    /// part of [`EngineState`].
    ///
    /// # Errors
    /// [`Error::Build`] if `rule` does not exist or `factor` is not in `(0, 1]`.
    pub fn set_rule_scaling(&mut self, rule: u32, factor: f64) -> Result<()> {
        if rule as usize >= self.model.rules.len() {
            return Err(Error::build("rate scaling", format!("no rule {rule}")));
        }
        if !(factor > 0.0 && factor <= 1.0) {
            return Err(Error::build(
                "rate scaling",
                format!("the factor must lie in (0, 1], got {factor}"),
            ));
        }
        let mut factors = self.scale.clone();
        for (g, f) in factors.iter_mut().enumerate() {
            #[allow(clippy::cast_possible_truncation)]
            if rule_of(&self.model, g as u32) == rule as usize {
                *f = factor;
            }
        }
        self.set_group_factors(&factors)
    }

    /// The rate scaling factor of each rule in the first region (1 when unscaled); see
    /// [`Self::group_scaling`] for all regions.
    #[must_use]
    pub fn rule_scaling(&self) -> &[f64] {
        &self.scale[..self.model.rules.len()]
    }

    /// The rate scaling factor of each group `rule + n_rules × region`.
    #[must_use]
    pub fn group_scaling(&self) -> &[f64] {
        &self.scale
    }

    /// Sets the factor of every group and updates the rates of the classes whose factor
    /// changed (O(classes)).
    // factors are compared for identity, not closeness.
    #[allow(clippy::float_cmp)]
    pub(super) fn set_group_factors(&mut self, factors: &[f64]) -> Result<()> {
        debug_assert_eq!(factors.len(), self.scale.len());
        if factors == self.scale.as_slice() {
            return Ok(());
        }
        let old = std::mem::replace(&mut self.scale, factors.to_vec());
        let ids: Vec<ClassId> = self.table.classes.ids().collect();
        for c in ids {
            let g = self.table.classes.key(c).group;
            if old[g as usize] != self.scale[g as usize] {
                let rate = self.class_rate(g, self.table.classes.barrier(c), self.window.bound)?;
                self.table.classes.set_rate(c, rate);
            }
        }
        Ok(())
    }

    /// Turns on the detection and scaling of quasi-equilibrated channels
    /// ([`crate::accel`]) with `settings`. Every factor returns to 1; with
    /// [`RegionMode::Domains`] the event table is rebuilt with one group per rule and
    /// domain. Call before running (the trajectory from here on depends on it). `only`
    /// restricts scaling to the channels whose forward rule it lists.
    ///
    /// # Errors
    /// [`Error::Build`] if a setting is out of range or `only` names a rule that cannot be
    /// scaled; rate errors as [`Self::step`].
    pub fn enable_acceleration(
        &mut self,
        settings: AccelSettings,
        only: Option<&[u32]>,
    ) -> Result<()> {
        let (regions, n_regions) = region_map(&self.graph, settings.regions);
        let detector = Detector::new(settings, &self.model, n_regions, only)?;
        self.install_regions(regions, n_regions)?;
        self.accel = Some(Box::new(detector));
        Ok(())
    }

    /// Sets the region map, resets every factor to 1 and, when the groups change, rebuilds
    /// the event table.
    pub(super) fn install_regions(
        &mut self,
        regions: Option<Arc<[u32]>>,
        n_regions: usize,
    ) -> Result<()> {
        let n_groups = self.model.rules.len() * n_regions;
        let rebuild = self.regions.is_some() || regions.is_some();
        self.regions = regions;
        self.scale = vec![1.0; n_groups];
        if rebuild {
            self.table = EventTable::new(self.graph.len(), self.catalog.max_layout_size());
            for s in 0..self.graph.len() {
                #[allow(clippy::cast_possible_truncation)]
                self.refresh_owner(SiteId(s as u32), false)?;
            }
            self.build_clusters(true)?;
        } else {
            let ids: Vec<ClassId> = self.table.classes.ids().collect();
            for c in ids {
                let g = self.table.classes.key(c).group;
                let rate = self.class_rate(g, self.table.classes.barrier(c), self.window.bound)?;
                self.table.classes.set_rate(c, rate);
            }
        }
        Ok(())
    }

    /// The acceleration detector (factors, history, saved events), when on.
    #[must_use]
    pub fn acceleration(&self) -> Option<&Detector> {
        self.accel.as_deref()
    }

    /// What acceleration did so far (factors now, their changes, events saved), when on.
    #[must_use]
    pub fn acceleration_report(&self) -> Option<accel::AccelReport> {
        self.accel.as_deref().map(|d| {
            accel::AccelReport::new(d, &self.scale, self.graph.domain_names(), self.executed)
        })
    }

    /// Adds `dt` of simulated time to the detector's window, with the current per-group
    /// propensities.
    // member counts are far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    pub(super) fn accel_record_time(&mut self, dt: f64) {
        let Some(acc) = self.accel.as_deref_mut() else {
            return;
        };
        let classes = &self.table.classes;
        acc.record_time(dt, |add| {
            for c in classes.ids() {
                let n = classes.members(c).len();
                if n > 0 {
                    add(classes.key(c).group as usize, n as f64 * classes.rate(c));
                }
            }
        });
    }

    /// Counts an executed event of `group`; at the end of a detection window, decides and
    /// applies the new factors.
    pub(super) fn accel_record_event(&mut self, group: u32) -> Result<()> {
        let factor = self.scale[group as usize];
        let Some(acc) = self.accel.as_deref_mut() else {
            return Ok(());
        };
        if acc.record_event(group as usize, factor) {
            let env = self.program.environment(self.time);
            let decision = acc.decide(self.time, env, &self.scale);
            self.set_group_factors(&decision.group_factors)?;
        }
        Ok(())
    }

    /// At a new rate window: relaxes the factors by the separation lost since the decision
    /// (see [`accel::separation_loss`]); called before the class rates are recomputed.
    pub(super) fn accel_follow_program(&mut self) {
        let Some(acc) = self.accel.as_deref_mut() else {
            return;
        };
        let Some(from) = acc.decided_env else {
            return;
        };
        if !acc.any_scaled() {
            return;
        }
        let decided = acc.group_factors(1.0);
        let classes = &self.table.classes;
        let model = &self.model;
        let law_of = |c: ClassId| {
            (
                model.rules[rule_of(model, classes.key(c).group)].law,
                classes.barrier(c),
            )
        };
        // every class that ever existed, empty ones included: a slow event that is not
        // possible at this instant (the atom is elsewhere in its basin) still sets the
        // separation as soon as it is.
        let loss = accel::separation_loss(
            from,
            self.window.bound,
            classes
                .ids()
                .filter(|&c| decided[classes.key(c).group as usize] >= 1.0)
                .map(law_of),
            classes
                .ids()
                .filter(|&c| decided[classes.key(c).group as usize] < 1.0)
                .map(law_of),
        );
        self.scale = acc.follow(self.time, loss);
    }
}
