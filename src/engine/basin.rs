//! Exact escape from a small basin of fast states (`[acceleration] method = "basin"`).
//!
//! When the detector has found quasi-equilibrated channels, the configurations reachable
//! from the current one through their events alone form a *basin*. If it has at most
//! `max_basin_states` states, [`Simulation::basin_step`] enumerates it (applying the fast
//! events and undoing them, so the event table stays exact), records in every state the
//! physical rates of its fast transitions and the total rate of everything else (the
//! *exits*), and lets [`crate::accel::basin::BasinSolution`] draw when and from which
//! state the system leaves. The configuration moves to that state, the clock advances,
//! and one slow event is drawn from that state's exits as BKL would. This is the
//! absorbing-Markov-chain solution of the same process, so it is exact for any partition
//! into fast and slow events; the partition only decides whether it pays off. It needs
//! constant rates, so it runs in windows where the program is constant (holds) and the
//! escape is sampled with the window end as horizon.

use std::collections::HashMap;

use super::{Simulation, StepOutcome};
use crate::accel::Method;
use crate::accel::basin::{BasinOutcome, LawDraw};
use crate::energy::EnergyModel;
use crate::error::Result;
use crate::events::DecodedEvent;
use crate::rng;
use crate::sites::SiteId;
use crate::state::{SiteChange, SpeciesId};

/// The fast events possible now with their physical rates [s⁻¹] and groups, the total
/// rate of the rest [s⁻¹], and the propensity of every group present [s⁻¹].
pub(super) type FastAndExit = (Vec<(DecodedEvent, f64, u32)>, f64, Vec<(u32, f64)>);

/// One state of an enumerated basin.
struct State {
    /// Sites that differ from the basin's first state, with their species here, sorted.
    key: Vec<(u32, u8)>,
    /// Fast events leading here from the first state.
    path: Vec<DecodedEvent>,
}

/// An enumerated basin.
struct Basin {
    states: Vec<State>,
    /// Fast transitions (from, to, physical rate [s⁻¹]).
    fast: Vec<(usize, usize, f64)>,
    /// Group of each fast transition (parallel to `fast`).
    groups: Vec<u32>,
    /// Total rate of the exits of each state [s⁻¹].
    exits: Vec<f64>,
    /// Propensity of every group with a positive one in each state [s⁻¹]: the exits, and
    /// the fast transitions at their current (scaled) rates; for the detector.
    propensities: Vec<Vec<(u32, f64)>>,
    /// Species of every touched site in the first state.
    root: HashMap<u32, SpeciesId>,
}

impl<E: EnergyModel> Simulation<E> {
    /// Applies the changes of one event (one or two sites) without counting it, and
    /// refreshes the events around them.
    pub(super) fn apply_uncounted(&mut self, changes: &[SiteChange]) -> Result<()> {
        self.apply_changes(changes);
        let mut changed = [SiteId(0); 2];
        for (i, c) in changes.iter().enumerate() {
            changed[i] = c.site;
        }
        self.collect_owners(&changed[..changes.len()]);
        let owners = std::mem::take(&mut self.owners);
        for &(o, outer) in &owners {
            self.refresh_owner(o, outer)?;
        }
        self.owners = owners;
        if self.clusters.is_some() {
            self.refresh_clusters(changes)?;
        }
        Ok(())
    }

    /// Undoes the events of `path`, last first.
    pub(super) fn undo_path(&mut self, path: &[DecodedEvent]) -> Result<()> {
        for e in path.iter().rev() {
            let mut inverse = [e.changes[0], e.changes[1]];
            for c in &mut inverse[..e.n_changes] {
                std::mem::swap(&mut c.from, &mut c.to);
            }
            inverse[..e.n_changes].reverse();
            self.apply_uncounted(&inverse[..e.n_changes])?;
        }
        Ok(())
    }

    /// Replays the events of `path` from the basin's first state.
    pub(super) fn redo_path(&mut self, path: &[DecodedEvent]) -> Result<()> {
        for e in path {
            self.apply_uncounted(e.changes())?;
        }
        Ok(())
    }

    /// The fast events possible now, with their physical rates, and the total rate of the
    /// rest.
    // member counts are far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    pub(super) fn fast_and_exit(&self, fast_groups: &[bool]) -> FastAndExit {
        let classes = &self.table.classes;
        let mut fast = Vec::new();
        let mut exit = 0.0;
        let mut by_group: Vec<(u32, f64)> = Vec::new();
        for c in classes.ids() {
            let members = classes.members(c);
            if members.is_empty() {
                continue;
            }
            let g = classes.key(c).group as usize;
            let propensity = members.len() as f64 * classes.rate(c);
            match by_group.iter_mut().find(|(h, _)| *h as usize == g) {
                Some((_, p)) => *p += propensity,
                None => by_group.push((classes.key(c).group, propensity)),
            }
            if fast_groups[g] {
                let rate = classes.rate(c) / self.scale[g];
                for &m in members {
                    let (site, slot) = self.table.resolve(m);
                    let e = self.catalog.decode(
                        &self.model,
                        &self.graph,
                        &self.occupancy,
                        SiteId(site),
                        slot,
                    );
                    fast.push((e, rate, classes.key(c).group));
                }
            } else {
                exit += propensity;
            }
        }
        (fast, exit, by_group)
    }

    /// Enumerates the basin of the fast groups around the current configuration, breadth
    /// first; returns `None` (configuration unchanged) when it has more than `max` states.
    fn explore_basin(&mut self, fast_groups: &[bool], max: usize) -> Result<Option<Basin>> {
        let mut basin = Basin {
            states: vec![State {
                key: Vec::new(),
                path: Vec::new(),
            }],
            fast: Vec::new(),
            groups: Vec::new(),
            exits: Vec::new(),
            propensities: Vec::new(),
            root: HashMap::new(),
        };
        let mut index: HashMap<Vec<(u32, u8)>, usize> = HashMap::new();
        index.insert(Vec::new(), 0);
        let mut at = 0usize;
        let mut i = 0;
        while i < basin.states.len() {
            // move from state `at` to state `i` through the first state.
            if at != i {
                let from = std::mem::take(&mut basin.states[at].path);
                self.undo_path(&from)?;
                basin.states[at].path = from;
                let to = std::mem::take(&mut basin.states[i].path);
                self.redo_path(&to)?;
                basin.states[i].path = to;
                at = i;
            }
            let (fast, exit, by_group) = self.fast_and_exit(fast_groups);
            basin.exits.push(exit);
            basin.propensities.push(by_group);
            for (event, rate, group) in fast {
                let mut key = basin.states[i].key.clone();
                for c in event.changes() {
                    let root = *basin.root.entry(c.site.0).or_insert(c.from);
                    match key.binary_search_by_key(&c.site.0, |&(s, _)| s) {
                        Ok(k) if c.to == root => {
                            key.remove(k);
                        }
                        Ok(k) => key[k].1 = c.to.0,
                        Err(k) if c.to != root => key.insert(k, (c.site.0, c.to.0)),
                        Err(_) => {}
                    }
                }
                let j = if let Some(&j) = index.get(&key) {
                    j
                } else {
                    if basin.states.len() >= max {
                        let path = std::mem::take(&mut basin.states[at].path);
                        self.undo_path(&path)?;
                        return Ok(None);
                    }
                    let mut path = basin.states[i].path.clone();
                    path.push(event);
                    basin.states.push(State {
                        key: key.clone(),
                        path,
                    });
                    index.insert(key, basin.states.len() - 1);
                    basin.states.len() - 1
                };
                basin.fast.push((i, j, rate));
                basin.groups.push(group);
            }
            i += 1;
        }
        let path = std::mem::take(&mut basin.states[at].path);
        self.undo_path(&path)?;
        basin.states[at].path = path;
        Ok(Some(basin))
    }

    /// Feeds a basin step to the detector: `dt` \[s\] with each group's propensity
    /// averaged over the states by their occupation (the first state's for a path-sampled
    /// survivor); returns the fast transitions integrated out per group (occupation time ×
    /// rate), for [`crate::accel::Detector::record_basin`].
    fn record_basin_time(&mut self, basin: &Basin, draw: &LawDraw, dt: f64) -> Vec<u64> {
        let mut counts = vec![0u64; self.scale.len()];
        let Some(acc) = self.accel.as_deref_mut() else {
            return counts;
        };
        let occupied: f64 = draw.occupation.iter().sum();
        acc.record_time(dt, |add| {
            if occupied > 0.0 {
                for (props, &occ) in basin.propensities.iter().zip(&draw.occupation) {
                    if occ > 0.0 {
                        for &(g, p) in props {
                            add(g as usize, p * occ / occupied);
                        }
                    }
                }
            } else {
                for &(g, p) in &basin.propensities[0] {
                    add(g as usize, p);
                }
            }
        });
        if !draw.occupation.is_empty() {
            for (&(i, _, rate), &g) in basin.fast.iter().zip(&basin.groups) {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let c = (draw.occupation[i] * rate).round() as u64;
                counts[g as usize] += c;
            }
        }
        counts
    }

    /// One step by the exact escape from the basin of the fast channels, when acceleration
    /// uses basins, the program is constant over the current window and the basin is
    /// small; `None` otherwise (the caller takes an ordinary step).
    pub(super) fn basin_step(&mut self) -> Result<Option<StepOutcome>> {
        let Some(acc) = self.accel.as_deref() else {
            return Ok(None);
        };
        if !acc.settings.method.solves_basins()
            || acc.basin_blocked
            || !self.window.constant
            || !acc.fast_groups.iter().any(|&f| f)
        {
            return Ok(None);
        }
        let fast_groups = acc.fast_groups.clone();
        let max = acc.settings.max_basin_states as usize;
        if acc.settings.method == Method::Movers {
            return self.movers_step(&fast_groups, max);
        }
        let Some(basin) = self.explore_basin(&fast_groups, max)? else {
            let acc = self.accel.as_deref_mut().expect("checked above");
            acc.basin_blocked = true;
            acc.basin.abandoned += 1;
            return Ok(None);
        };
        let n = basin.states.len();
        let acc = self.accel.as_deref_mut().expect("checked above");
        let hits = acc.law_cache.hits;
        let Ok(law) = acc.law_cache.law(n, &basin.fast, &basin.exits) else {
            // no exit (nothing slow can happen), a disconnected enumeration or a
            // factorisation too large: the ordinary steps (with rate scaling) take over
            // until the next decision.
            acc.basin_blocked = true;
            acc.basin.abandoned += 1;
            return Ok(None);
        };
        let from_cache = acc.law_cache.hits > hits;
        let mut out_fast = vec![0.0; n];
        for &(i, _, rate) in &basin.fast {
            out_fast[i] += rate;
        }
        let horizon = self.window.end - self.time;
        let Some(draw) = law.draw(horizon, &out_fast, &mut self.rng) else {
            // a path-sampled survivor too long to simulate: nothing has changed, the
            // draws are discarded (exact), ordinary steps until the next decision.
            let acc = self.accel.as_deref_mut().expect("checked above");
            acc.basin_blocked = true;
            acc.basin.survivor_abandoned += 1;
            return Ok(None);
        };
        let (state, escaped_after) = match draw.outcome {
            BasinOutcome::Escape { time, state } => (state, Some(time)),
            BasinOutcome::Survived { state } => (state, None),
        };
        let integrated = draw.fast_transitions;
        let dt = escaped_after.unwrap_or(horizon);
        let counts = self.record_basin_time(&basin, &draw, dt);
        let path = basin.states[state].path.clone();
        self.redo_path(&path)?;
        for e in &path {
            self.record_transfers(e.changes());
        }
        self.basin_moves.clear();
        for &(site, species) in &basin.states[state].key {
            self.basin_moves.push(SiteChange {
                site: SiteId(site),
                from: basin.root[&site],
                to: SpeciesId(species),
            });
        }
        {
            let acc = self.accel.as_deref_mut().expect("checked above");
            acc.record_basin(&counts);
            acc.basin.solved += 1;
            acc.basin.exact += u64::from(law.is_exact());
            acc.basin.paths += u64::from(law.is_paths());
            acc.basin.cache_hits += u64::from(from_cache);
            acc.basin.largest = acc.basin.largest.max(n);
            acc.saved_events += integrated;
            // a basin that integrates out fewer fast events than it has states cost more to
            // enumerate and solve than the events it replaced: ordinary steps (and scaling)
            // until the next decision. The step itself stays exact.
            #[allow(clippy::cast_precision_loss)]
            if integrated < n as f64 {
                acc.basin_blocked = true;
                acc.basin.unprofitable += 1;
            }
        }
        let Some(dt) = escaped_after else {
            self.accel
                .as_deref_mut()
                .expect("checked above")
                .basin
                .survived += 1;
            self.time = self.window.end;
            return Ok(Some(StepOutcome::Boundary));
        };
        self.time = (self.time + dt).min(self.window.end);
        // one exit from this state, as BKL would choose it.
        let target = (1.0 - rng::uniform_open01(&mut self.rng)) * basin.exits[state];
        let classes = &self.table.classes;
        let class = classes
            .select_where(target, |c| !fast_groups[classes.key(c).group as usize])
            .expect("a state with an escape has an exit with weight");
        let group = classes.key(class).group;
        let members = self.table.classes.members(class);
        let member = members[rng::uniform_index(&mut self.rng, members.len())];
        let (site, slot) = self.table.resolve(member);
        let rule = self.execute(SiteId(site), slot)?;
        self.accel_record_event(group)?;
        Ok(Some(StepOutcome::Event { rule }))
    }
}
