//! Exact escapes of independent fast movers (`[acceleration] method = "movers"`):
//! factorised local basins.
//!
//! The joint basin of `N` fast movers (interstitials or adatoms hopping among otherwise
//! frozen sites) is the product of their own basins, so its size grows as `nᴺ` and the
//! joint enumeration of [`super::basin`] gives up at once. When the movers do not interact,
//! their processes are independent and the joint escape factorises:
//!
//! 1. **Split.** The fast events possible now are grouped into *components* by shared sites
//!    (one mover with the empty sites it can reach; two movers competing for one site are
//!    one component).
//! 2. **Enumerate each alone.** Each component's basin is enumerated with the others held
//!    in place; in a state, its events are the fast events touching its seed sites or a
//!    site it has changed. Its *footprint* is the set of owners whose events the engine
//!    refreshes when any site it touches changes.
//! 3. **Check independence.** Footprints must be disjoint; two components whose footprints
//!    meet are merged and enumerated jointly (a component of two movers). Disjoint
//!    footprints mean every event's rate depends on at most one component's state, so the
//!    total exit rate of a joint state is `R₀ + Σ_c r_c(x_c)`, with `r_c` the slow rate of
//!    the owners in `c`'s footprint and `R₀` that of all other owners (constant), and the
//!    fast events of a joint state are the union of the components' own. The joint process
//!    is then exactly the product of independent absorbing chains plus a background
//!    Poisson clock `R₀`. A self-check recounts, in every state, the fast events of the
//!    footprint against those recorded; a mismatch abandons the step.
//! 4. **Solve and draw.** Each component is solved by [`BasinSolution`] and draws its own
//!    escape time; the background draws an exponential. The earliest wins. The other
//!    components are placed at that moment in a state drawn from their law conditional on
//!    not having left, `p(T*) / S(T*)` ([`BasinSolution::sample_survivor`]); a component
//!    without any exit (a closed pocket) is solved with a uniform auxiliary killing rate,
//!    which leaves that conditional law unchanged. The winner executes one slow event of
//!    its footprint, chosen by rate, or the background one of the other owners (drawn by
//!    rejection from all slow events).
//!
//! This is the factorised-basin form of first-passage kinetic Monte Carlo: the per-mover
//! basin plays the part of the protective domain, with the exact propagator of the basin
//! instead of a continuum one. It is exact for any split into fast and slow events, as
//! the joint basin step is. When a component has more than `max_basin_states` states the
//! step is abandoned and rate scaling takes over until the next decision, as with the
//! joint basin.

use std::collections::HashMap;

use super::table::NO_BLOCK;
use super::{Simulation, StepOutcome};
use crate::accel::MOVERS_MEMORY;
use crate::accel::basin::{BasinOutcome, BasinSolution};
use crate::energy::EnergyModel;
use crate::error::Result;
use crate::events::DecodedEvent;
use crate::rng;
use crate::sites::{ShellId, SiteId};
use crate::solver::classes::ClassId;
use crate::state::{SiteChange, SpeciesId};

/// Uniform auxiliary killing rate of a component without exits, relative to its largest
/// fast rate: it only makes the absorbing chain solvable; the law of the state given
/// survival does not depend on it.
const CLOSED_KILLING: f64 = 1e-9;

/// Largest number of merges of components in one step before it is abandoned.
const MAX_MERGES: usize = 64;

/// One state of a component's basin.
struct MoverState {
    /// Sites that differ from the base configuration, with their species here, sorted.
    key: Vec<(u32, u8)>,
    /// Fast events leading here from the base configuration.
    path: Vec<DecodedEvent>,
}

/// One component: a mover (or a few interacting ones) and its basin.
struct Component {
    /// Sites of its fast events in the base configuration, sorted.
    seeds: Vec<u32>,
    states: Vec<MoverState>,
    /// Fast transitions (from, to, physical rate [s⁻¹]).
    fast: Vec<(usize, usize, f64)>,
    /// Fast transitions recorded out of each state.
    n_out: Vec<usize>,
    /// Species of every touched site in the base configuration.
    root: HashMap<u32, SpeciesId>,
    /// Owners refreshed when any touched site changes (the footprint), sorted.
    owners: Vec<u32>,
    /// Exit rate of each state [s⁻¹]: the slow events of the footprint.
    exits: Vec<f64>,
}

/// The root of `i` in the union-find forest `parent`, halving the path.
fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Why a movers step was not taken.
enum Abandon {
    /// A component exceeded `max_basin_states` or merges did not settle.
    TooLarge,
    /// The self-check found a fast event outside the components, or the solver refused.
    Dependent,
}

impl<E: EnergyModel> Simulation<E> {
    /// The fast events possible now that touch a site of `m` (sorted), with their physical
    /// rates, in owner and slot order.
    fn fast_touching(&self, m: &[u32], fast_groups: &[bool]) -> Vec<(DecodedEvent, f64)> {
        let mut candidates: Vec<u32> = m.to_vec();
        for &s in m {
            for shell in 0..self.graph.shell_count() {
                #[allow(clippy::cast_possible_truncation)]
                let shell = ShellId(shell as u8);
                candidates.extend(self.graph.neighbors(SiteId(s), shell).map(|k| k.0));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let classes = &self.table.classes;
        let mut out = Vec::new();
        for &o in &candidates {
            let block = self.table.block(o);
            if block == NO_BLOCK {
                continue;
            }
            let size = self.catalog.layout(self.table.block_layout(block)).size;
            for slot in 0..size {
                let class = self.table.record(block, slot).class;
                if class == ClassId::NONE {
                    continue;
                }
                let g = classes.key(class).group as usize;
                if !fast_groups[g] {
                    continue;
                }
                let e =
                    self.catalog
                        .decode(&self.model, &self.graph, &self.occupancy, SiteId(o), slot);
                if e.changes()
                    .iter()
                    .any(|c| m.binary_search(&c.site.0).is_ok())
                {
                    out.push((e, classes.rate(class) / self.scale[g]));
                }
            }
        }
        out
    }

    /// The slow rate [s⁻¹] and the number of fast slots of the owners in `owners` now.
    // slot counts are far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    fn footprint_rates(&self, owners: &[u32], fast_groups: &[bool]) -> (f64, usize) {
        let classes = &self.table.classes;
        let mut slow = 0.0;
        let mut n_fast = 0;
        for &o in owners {
            let block = self.table.block(o);
            if block == NO_BLOCK {
                continue;
            }
            let size = self.catalog.layout(self.table.block_layout(block)).size;
            for slot in 0..size {
                let class = self.table.record(block, slot).class;
                if class == ClassId::NONE {
                    continue;
                }
                if fast_groups[classes.key(class).group as usize] {
                    n_fast += 1;
                } else {
                    slow += classes.rate(class);
                }
            }
        }
        (slow, n_fast)
    }

    /// Moves the configuration from the base to state `to` of `c` through the base,
    /// from state `at`.
    fn visit(&mut self, c: &mut Component, at: usize, to: usize) -> Result<()> {
        if at != to {
            let from = std::mem::take(&mut c.states[at].path);
            self.undo_path(&from)?;
            c.states[at].path = from;
            let path = std::mem::take(&mut c.states[to].path);
            self.redo_path(&path)?;
            c.states[to].path = path;
        }
        Ok(())
    }

    /// Enumerates the basin of the component seeded by `seeds` (sorted), breadth first,
    /// the rest of the configuration held in place, and its footprint; `None`
    /// (configuration unchanged) when it has more than `max` states.
    fn explore_component(
        &mut self,
        seeds: Vec<u32>,
        fast_groups: &[bool],
        max: usize,
    ) -> Result<Option<Component>> {
        let mut c = Component {
            seeds,
            states: vec![MoverState {
                key: Vec::new(),
                path: Vec::new(),
            }],
            fast: Vec::new(),
            n_out: Vec::new(),
            root: HashMap::new(),
            owners: Vec::new(),
            exits: Vec::new(),
        };
        let mut index: HashMap<Vec<(u32, u8)>, usize> = HashMap::new();
        index.insert(Vec::new(), 0);
        let mut at = 0usize;
        let mut i = 0;
        while i < c.states.len() {
            self.visit(&mut c, at, i)?;
            at = i;
            let mut m = c.seeds.clone();
            m.extend(c.states[i].key.iter().map(|&(s, _)| s));
            m.sort_unstable();
            m.dedup();
            let fast = self.fast_touching(&m, fast_groups);
            c.n_out.push(fast.len());
            for (event, rate) in fast {
                let mut key = c.states[i].key.clone();
                for ch in event.changes() {
                    let root = *c.root.entry(ch.site.0).or_insert(ch.from);
                    match key.binary_search_by_key(&ch.site.0, |&(s, _)| s) {
                        Ok(k) if ch.to == root => {
                            key.remove(k);
                        }
                        Ok(k) => key[k].1 = ch.to.0,
                        Err(k) if ch.to != root => key.insert(k, (ch.site.0, ch.to.0)),
                        Err(_) => {}
                    }
                }
                let j = if let Some(&j) = index.get(&key) {
                    j
                } else {
                    if c.states.len() >= max {
                        let path = std::mem::take(&mut c.states[at].path);
                        self.undo_path(&path)?;
                        return Ok(None);
                    }
                    let mut path = c.states[i].path.clone();
                    path.push(event);
                    c.states.push(MoverState {
                        key: key.clone(),
                        path,
                    });
                    index.insert(key, c.states.len() - 1);
                    c.states.len() - 1
                };
                c.fast.push((i, j, rate));
            }
            i += 1;
        }
        let path = std::mem::take(&mut c.states[at].path);
        self.undo_path(&path)?;
        c.states[at].path = path;
        // the footprint, from the base configuration.
        let mut touched = c.seeds.clone();
        touched.extend(c.root.keys().copied());
        touched.sort_unstable();
        touched.dedup();
        let mut owners = Vec::new();
        for s in touched {
            self.collect_owners(&[SiteId(s)]);
            owners.extend(self.owners.iter().map(|&(o, _)| o.0));
        }
        owners.sort_unstable();
        owners.dedup();
        c.owners = owners;
        Ok(Some(c))
    }

    /// Splits the fast events possible now into independent components and enumerates
    /// them; merges components whose footprints meet.
    fn components(
        &mut self,
        fast_groups: &[bool],
        max: usize,
    ) -> Result<std::result::Result<Vec<Component>, Abandon>> {
        // seeds: union-find of the base fast events over shared sites.
        let (fast, _, _) = self.fast_and_exit(fast_groups);
        let mut parent: Vec<usize> = (0..fast.len()).collect();
        let mut by_site: HashMap<u32, usize> = HashMap::new();
        for (k, (e, _, _)) in fast.iter().enumerate() {
            for ch in e.changes() {
                if let Some(&other) = by_site.get(&ch.site.0) {
                    let (a, b) = (find(&mut parent, k), find(&mut parent, other));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                } else {
                    by_site.insert(ch.site.0, k);
                }
            }
        }
        let mut seeds: Vec<Vec<u32>> = Vec::new();
        let mut slot_of: HashMap<usize, usize> = HashMap::new();
        for (k, (e, _, _)) in fast.iter().enumerate() {
            let r = find(&mut parent, k);
            let s = *slot_of.entry(r).or_insert_with(|| {
                seeds.push(Vec::new());
                seeds.len() - 1
            });
            seeds[s].extend(e.changes().iter().map(|ch| ch.site.0));
        }
        let mut comps: Vec<Option<Component>> = Vec::new();
        for mut s in seeds {
            s.sort_unstable();
            s.dedup();
            let Some(c) = self.explore_component(s, fast_groups, max)? else {
                return Ok(Err(Abandon::TooLarge));
            };
            comps.push(Some(c));
        }
        // merge components whose footprints meet, until they are disjoint.
        let mut merges = 0;
        'again: loop {
            let mut owner_of: HashMap<u32, usize> = HashMap::new();
            for (ci, c) in comps.iter().enumerate() {
                let Some(c) = c else { continue };
                for &o in &c.owners {
                    if let Some(&cj) = owner_of.get(&o) {
                        merges += 1;
                        if merges > MAX_MERGES {
                            return Ok(Err(Abandon::TooLarge));
                        }
                        let a = comps[cj].take().map(|c| c.seeds).unwrap_or_default();
                        let b = comps[ci].take().map(|c| c.seeds).unwrap_or_default();
                        let mut s: Vec<u32> = a.into_iter().chain(b).collect();
                        s.sort_unstable();
                        s.dedup();
                        let Some(m) = self.explore_component(s, fast_groups, max)? else {
                            return Ok(Err(Abandon::TooLarge));
                        };
                        comps[cj.min(ci)] = Some(m);
                        continue 'again;
                    }
                    owner_of.insert(o, ci);
                }
            }
            break;
        }
        let mut out: Vec<Component> = comps.into_iter().flatten().collect();
        // exits of every state, and the self-check of the fast events of the footprint.
        for c in &mut out {
            let mut at = 0;
            for i in 0..c.states.len() {
                self.visit(c, at, i)?;
                at = i;
                let (slow, n_fast) = self.footprint_rates(&c.owners, fast_groups);
                c.exits.push(slow);
                if n_fast != c.n_out[i] {
                    self.visit(c, at, 0)?;
                    return Ok(Err(Abandon::Dependent));
                }
            }
            self.visit(c, at, 0)?;
        }
        Ok(Ok(out))
    }

    /// One step by the factorised escape of independent fast movers (see the module
    /// documentation); `None` when it does not apply (the caller falls back).
    // counts are far below 2^52.
    #[allow(clippy::cast_precision_loss, clippy::too_many_lines)]
    pub(super) fn movers_step(
        &mut self,
        fast_groups: &[bool],
        max: usize,
    ) -> Result<Option<StepOutcome>> {
        let comps = match self.components(fast_groups, max)? {
            Ok(c) if !c.is_empty() => c,
            Ok(_) => return Ok(None),
            Err(why) => {
                let acc = self.accel.as_deref_mut().expect("called with acceleration");
                acc.basin_blocked = true;
                acc.basin.abandoned += 1;
                if matches!(why, Abandon::Dependent) {
                    acc.basin.dependent += 1;
                }
                return Ok(None);
            }
        };
        // the background: slow events of owners in no footprint.
        let mut owner_of: HashMap<u32, usize> = HashMap::new();
        for (ci, c) in comps.iter().enumerate() {
            for &o in &c.owners {
                owner_of.insert(o, ci);
            }
        }
        let classes = &self.table.classes;
        let mut background = 0.0;
        for class in classes.ids() {
            if fast_groups[classes.key(class).group as usize] {
                continue;
            }
            let rate = classes.rate(class);
            for &m in classes.members(class) {
                if !owner_of.contains_key(&self.table.resolve(m).0) {
                    background += rate;
                }
            }
        }
        // solve every component.
        let mut solutions = Vec::with_capacity(comps.len());
        let mut closed = Vec::with_capacity(comps.len());
        for c in &comps {
            let is_closed = c.exits.iter().all(|&r| r <= 0.0);
            let solution = if is_closed {
                let fastest = c.fast.iter().fold(0.0f64, |a, &(_, _, r)| a.max(r));
                let exits = vec![CLOSED_KILLING * fastest; c.states.len()];
                BasinSolution::new(c.states.len(), &c.fast, &exits)
            } else {
                BasinSolution::new(c.states.len(), &c.fast, &c.exits)
            };
            let Ok(solution) = solution else {
                let acc = self.accel.as_deref_mut().expect("called with acceleration");
                acc.basin_blocked = true;
                acc.basin.abandoned += 1;
                acc.basin.dependent += 1;
                return Ok(None);
            };
            solutions.push(solution);
            closed.push(is_closed);
        }
        // draw: every open component, then the background; the earliest wins.
        let horizon = self.window.end - self.time;
        let mut outcomes = Vec::with_capacity(comps.len());
        let mut first = horizon;
        let mut winner: Option<usize> = None; // comps.len() = the background
        for (ci, sol) in solutions.iter().enumerate() {
            if closed[ci] {
                outcomes.push(None);
                continue;
            }
            let o = sol.sample(0, horizon, &mut self.rng);
            if let BasinOutcome::Escape { time, .. } = o
                && time < first
            {
                first = time;
                winner = Some(ci);
            }
            outcomes.push(Some(o));
        }
        let u = rng::uniform_open01(&mut self.rng);
        if background > 0.0 {
            let t0 = -u.ln() / background;
            if t0 < first {
                first = t0;
                winner = Some(comps.len());
            }
        }
        // the state of every component at `first`.
        let mut chosen = Vec::with_capacity(comps.len());
        for (ci, sol) in solutions.iter().enumerate() {
            let state = match (&outcomes[ci], winner) {
                (Some(BasinOutcome::Escape { state, .. }), Some(w)) if w == ci => *state,
                (Some(BasinOutcome::Survived { state }), None) => *state,
                _ => sol.sample_survivor(0, first, &mut self.rng),
            };
            chosen.push(state);
        }
        // fast events integrated out: `first` × each component's occupation-weighted
        // fast out-rate.
        let mut integrated = 0.0;
        let mut n_states = 0usize;
        for (c, sol) in comps.iter().zip(&solutions) {
            let mut out_fast = vec![0.0; c.states.len()];
            for &(i, _, rate) in &c.fast {
                out_fast[i] += rate;
            }
            let occupation = sol.occupation_times(0);
            let tau: f64 = occupation.iter().sum();
            let mean: f64 = occupation.iter().zip(&out_fast).map(|(t, k)| t * k).sum();
            if tau > 0.0 {
                integrated += first * mean / tau;
            }
            n_states += c.states.len();
        }
        // move every component to its state.
        self.basin_moves.clear();
        for (c, &state) in comps.iter().zip(&chosen) {
            let path = c.states[state].path.clone();
            self.redo_path(&path)?;
            for e in &path {
                self.record_transfers(e.changes());
            }
            for &(site, species) in &c.states[state].key {
                self.basin_moves.push(SiteChange {
                    site: SiteId(site),
                    from: c.root[&site],
                    to: SpeciesId(species),
                });
            }
        }
        {
            let acc = self.accel.as_deref_mut().expect("called with acceleration");
            acc.basin.solved += comps.len() as u64;
            acc.basin.exact += solutions.iter().filter(|s| s.is_exact()).count() as u64;
            acc.basin.largest = comps
                .iter()
                .map(|c| c.states.len())
                .fold(acc.basin.largest, usize::max);
            acc.basin.mover_steps += 1;
            acc.basin.most_movers = acc.basin.most_movers.max(comps.len());
            acc.saved_events += integrated;
            // judged on the recent average: one short interval between slow events must
            // not stop the steps.
            let b = &mut acc.basin;
            b.recent_integrated = MOVERS_MEMORY * b.recent_integrated + integrated;
            b.recent_states = MOVERS_MEMORY * b.recent_states + n_states as f64;
            if b.recent_integrated < b.recent_states {
                acc.basin_blocked = true;
                acc.basin.unprofitable += 1;
            }
        }
        let Some(w) = winner else {
            self.accel
                .as_deref_mut()
                .expect("called with acceleration")
                .basin
                .survived += 1;
            self.time = self.window.end;
            return Ok(Some(StepOutcome::Boundary));
        };
        self.time = (self.time + first).min(self.window.end);
        let (site, slot) = if w == comps.len() {
            self.draw_background(fast_groups, &owner_of)
        } else {
            self.draw_in_footprint(&comps[w].owners, fast_groups)
        };
        let rule = self.execute(SiteId(site), slot)?;
        Ok(Some(StepOutcome::Event { rule }))
    }

    // member counts are far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    /// A slow event of an owner in no footprint, chosen by rate: drawn from all slow
    /// events and redrawn while its owner lies in a footprint (rejection, exact).
    fn draw_background(
        &mut self,
        fast_groups: &[bool],
        owner_of: &HashMap<u32, usize>,
    ) -> (u32, u32) {
        loop {
            let classes = &self.table.classes;
            let total: f64 = classes
                .ids()
                .filter(|&c| !fast_groups[classes.key(c).group as usize])
                .map(|c| classes.members(c).len() as f64 * classes.rate(c))
                .sum();
            let target = (1.0 - rng::uniform_open01(&mut self.rng)) * total;
            let classes = &self.table.classes;
            let class = classes
                .select_where(target, |c| !fast_groups[classes.key(c).group as usize])
                .expect("a background escape has a slow event with weight");
            let members = classes.members(class);
            let member = members[rng::uniform_index(&mut self.rng, members.len())];
            let (site, slot) = self.table.resolve(member);
            if !owner_of.contains_key(&site) {
                return (site, slot);
            }
        }
    }

    /// A slow event of the owners in `owners`, chosen by rate.
    fn draw_in_footprint(&mut self, owners: &[u32], fast_groups: &[bool]) -> (u32, u32) {
        let (total, _) = self.footprint_rates(owners, fast_groups);
        let target = (1.0 - rng::uniform_open01(&mut self.rng)) * total;
        let classes = &self.table.classes;
        let mut cumulative = 0.0;
        let mut last = None;
        for &o in owners {
            let block = self.table.block(o);
            if block == NO_BLOCK {
                continue;
            }
            let size = self.catalog.layout(self.table.block_layout(block)).size;
            for slot in 0..size {
                let class = self.table.record(block, slot).class;
                if class == ClassId::NONE || fast_groups[classes.key(class).group as usize] {
                    continue;
                }
                let rate = classes.rate(class);
                if rate <= 0.0 {
                    continue;
                }
                cumulative += rate;
                last = Some((o, slot));
                if target <= cumulative {
                    return (o, slot);
                }
            }
        }
        last.expect("an escaping component has a slow event in its footprint")
    }
}
