//! Kinetic path sampling: the exact escape from a *large* basin (Athènes & Bulatov, Phys.
//! Rev. Lett. 113, 230601, 2014), for basins beyond the dense solver of the parent module.
//!
//! # The idea
//! The escape time from a basin is the sum of the holding times of the states the path
//! visits: `T = Σ_i Σ_{v ≤ n_i} E_iv / R_i` with `n_i` the number of visits to state `i`,
//! `R_i` its total rate (fast plus exit) and `E_iv` independent unit exponentials, so
//! `T = Σ_i Gamma(n_i, 1/R_i)` once the visit counts are known. Kinetic path sampling draws
//! the visit counts and the exit state of the embedded jump chain *jointly and exactly*
//! without walking the path, whose length (10¹⁴ hops at a separation of 10¹⁴) is
//! irrelevant to the cost.
//!
//! # Factorisation
//! The jump chain of the basin is reduced one state at a time (censoring: the chain
//! watched only on the remaining states). A row `i` holds non-negative weights: `W_ij` to
//! remaining states `j ≠ i`, `r_i` to the exit and `L_i` back to itself; its total stays
//! `R_i` throughout, so the probabilities are the weights over `R_i`. Eliminating `k`, with
//! `D_k = Σ_j W_kj + r_k` (its self-loop excluded), replaces every `i → k` by
//! `i → k → (k → k)* → j`:
//!
//! ```text
//! W_ij += W_ik W_kj / D_k,   r_i += W_ik r_k / D_k,   L_i += W_ik W_ki / D_k.
//! ```
//!
//! Every update is a sum of products of non-negative numbers, as in the GTH elimination of
//! the dense solver, so no cancellation occurs at any separation. The start state is
//! eliminated last; the others in a greedy minimum-degree order (fewest remaining
//! neighbours first, ties by index), which keeps the fill small on lattice networks. Each
//! elimination records the pivot's row and column and the weights they are about to
//! change (a snapshot of the direct weights), which the sampling needs.
//!
//! # Sampling (unfolding)
//! When only the start `s` is left, its path is a number of self-loops, geometric with
//! success weight `r_s` against `L_s`, then the exit. The eliminations are then undone in
//! reverse order. Undoing `k`: each of the `N′_ij` coarse transitions `i → j` counted so
//! far went through `k` with probability `(W_ik W_kj / D_k) / W′_ij`, independently, so
//! the number that did is binomial; the self-loops and the exit of `i` are split alike.
//! The `V_k` entries into `k` found this way each stay a geometric number of self-loops,
//! so `k` makes `NB(V_k, D_k / (D_k + L_k))` self-loops in all, drawn as a Poisson variable
//! of mean `Gamma(V_k, L_k / D_k)` (a subtraction-free form of the negative binomial that
//! works for counts of 10¹⁴). When every state is back, the counts are those of the
//! original chain; the exit state is the one whose exit was counted.
//!
//! The result is a draw from the exact joint law of (escape time, exit state), whatever the
//! separation, at a cost of one binomial draw per stored pair (the factorisation's size)
//! instead of one event per hop.
//!
//! # Limits
//! The factorisation's size (the sum over pivots of `|in| × |out|`) is capped at
//! [`MAX_WORK`]; a basin beyond it is refused ([`PathError::TooLarge`]) and the engine
//! falls back as for any basin too large.

use std::collections::{BTreeMap, BTreeSet};

use rand_distr::{Binomial, Distribution, Gamma, Poisson};

use crate::rng::{Rng, uniform_open01};

/// Largest factorisation (sum over pivots of `|in| × |out|` pairs) accepted.
pub const MAX_WORK: usize = 20_000_000;

/// Largest Poisson mean drawn as such; beyond it (relative spread < 10⁻⁹) the mean is
/// rounded.
const POISSON_LIMIT: f64 = 1e18;

/// Why a basin cannot be factorised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The factorisation would exceed [`MAX_WORK`] pairs.
    #[error("the factorisation of the basin exceeds {MAX_WORK} pairs")]
    TooLarge,
    /// A state's leaving weight is zero or not finite (it cannot reach an exit).
    #[error("state {0} cannot leave (no exit reachable, or rates under- or overflow)")]
    Trapped(usize),
}

/// One elimination: the pivot's row and column and the direct weights they changed.
#[derive(Debug, Clone)]
struct Pivot {
    /// The eliminated state.
    k: usize,
    /// `D_k`: its weight of leaving to remaining states or the exit.
    leave: f64,
    /// `L_k`: its self-loop weight at elimination.
    self_loop: f64,
    /// `r_k`: its exit weight at elimination.
    exit: f64,
    /// `(i, W_ik)` for the remaining states `i ≠ k` that enter `k`.
    ins: Vec<(usize, f64)>,
    /// `(j, W_kj)` for the remaining states `j ≠ k` that `k` enters.
    outs: Vec<(usize, f64)>,
    /// Direct weights `W_ij` before the elimination, `ins × outs`, row-major.
    direct: Vec<f64>,
    /// Direct exit weights `r_i` of the `ins` before the elimination.
    direct_exit: Vec<f64>,
    /// Direct self-loop weights `L_i` of the `ins` before the elimination.
    direct_loop: Vec<f64>,
}

/// A basin factorised for kinetic path sampling, starting in state 0.
#[derive(Debug, Clone)]
pub struct PathSampler {
    /// Total rate `R_i` of each state [s⁻¹].
    total: Vec<f64>,
    /// Eliminations, in order (the start is not among them).
    pivots: Vec<Pivot>,
    /// Exit weight of the start after every other state is eliminated.
    top_exit: f64,
    /// Self-loop weight of the start after every other state is eliminated.
    top_loop: f64,
    /// Fast transitions out of each state: `(to, rate)`, for the survivor simulation.
    rows: Vec<Vec<(usize, f64)>>,
    /// Exit rate of each state [s⁻¹].
    exits: Vec<f64>,
    /// Pairs stored by the factorisation.
    work: usize,
}

/// One sampled path: its escape time and exit state, and how many fast transitions it made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathSample {
    /// Escape time \[s\].
    pub time: f64,
    /// The state whose exit event fires.
    pub exit_state: usize,
    /// Fast transitions made before the exit.
    pub fast_transitions: f64,
}

impl PathSampler {
    /// Factorises the basin of `n` states with fast transitions `(from, to, rate [s⁻¹])`
    /// (repeated pairs add up; self-transitions are ignored) and exit rates `exits`
    /// [s⁻¹], for paths that start in state 0. The input is validated as by the dense
    /// solver (connectivity, an exit reachable from every state).
    ///
    /// # Errors
    /// [`PathError::TooLarge`] beyond [`MAX_WORK`]; [`PathError::Trapped`] when a state
    /// cannot leave (invalid input: call the dense validation first for a precise reason).
    pub fn new(n: usize, fast: &[(usize, usize, f64)], exits: &[f64]) -> Result<Self, PathError> {
        let mut sampler = Self::chain_only(n, fast, exits);
        sampler.factorise(fast, exits)?;
        Ok(sampler)
    }

    /// The basin's chain without the factorisation: enough for
    /// [`Self::simulate_survivor`] (a basin without exits, whose survivors are all that is
    /// needed), not for [`Self::sample`].
    #[must_use]
    pub fn chain_only(n: usize, fast: &[(usize, usize, f64)], exits: &[f64]) -> Self {
        let rows = weighted_rows(n, fast);
        let total: Vec<f64> = rows
            .iter()
            .enumerate()
            .map(|(i, row)| row.values().sum::<f64>() + exits.get(i).copied().unwrap_or(0.0))
            .collect();
        Self {
            total,
            pivots: Vec::new(),
            top_exit: 0.0,
            top_loop: 0.0,
            rows: rows
                .iter()
                .map(|r| r.iter().map(|(&j, &w)| (j, w)).collect())
                .collect(),
            exits: exit_rates(exits, n),
            work: 0,
        }
    }

    /// The factorisation of the module documentation.
    fn factorise(&mut self, fast: &[(usize, usize, f64)], exits: &[f64]) -> Result<(), PathError> {
        let n = self.total.len();
        let mut rows = weighted_rows(n, fast);
        let mut ins: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        for (i, row) in rows.iter().enumerate() {
            for &j in row.keys() {
                ins[j].insert(i);
            }
        }
        let mut exit: Vec<f64> = exits.to_vec();
        exit.resize(n, 0.0);
        let mut loops = vec![0.0; n];
        let degree = |rows: &[BTreeMap<usize, f64>], ins: &[BTreeSet<usize>], i: usize| {
            rows[i].len()
                + ins[i]
                    .iter()
                    .filter(|&&j| !rows[i].contains_key(&j))
                    .count()
        };
        let mut queue: BTreeSet<(usize, usize)> =
            (1..n).map(|i| (degree(&rows, &ins, i), i)).collect();
        let mut current_degree: Vec<usize> = (0..n).map(|i| degree(&rows, &ins, i)).collect();
        let mut pivots = Vec::with_capacity(n.saturating_sub(1));
        let mut work = 0usize;
        while let Some((_, k)) = queue.pop_first() {
            let row_k = std::mem::take(&mut rows[k]);
            let outs: Vec<(usize, f64)> = row_k.iter().map(|(&j, &w)| (j, w)).collect();
            let in_k = std::mem::take(&mut ins[k]);
            let pivot_ins: Vec<(usize, f64)> = in_k
                .iter()
                .map(|&i| (i, rows[i].get(&k).copied().unwrap_or(0.0)))
                .collect();
            let leave = outs.iter().map(|&(_, w)| w).sum::<f64>() + exit[k];
            if !(leave.is_finite() && leave > 0.0) {
                return Err(PathError::Trapped(k));
            }
            work += pivot_ins.len() * outs.len().max(1);
            if work > MAX_WORK {
                return Err(PathError::TooLarge);
            }
            let mut direct = Vec::with_capacity(pivot_ins.len() * outs.len());
            let mut direct_exit = Vec::with_capacity(pivot_ins.len());
            let mut direct_loop = Vec::with_capacity(pivot_ins.len());
            let mut touched: BTreeSet<usize> = BTreeSet::new();
            for &(i, w_ik) in &pivot_ins {
                for &(j, _) in &outs {
                    direct.push(if j == i {
                        0.0
                    } else {
                        rows[i].get(&j).copied().unwrap_or(0.0)
                    });
                }
                direct_exit.push(exit[i]);
                direct_loop.push(loops[i]);
                rows[i].remove(&k);
                let f = w_ik / leave;
                for &(j, w_kj) in &outs {
                    if j == i {
                        loops[i] += f * w_kj;
                    } else {
                        *rows[i].entry(j).or_insert(0.0) += f * w_kj;
                        ins[j].insert(i);
                    }
                }
                exit[i] += f * exit[k];
                touched.insert(i);
            }
            for &(j, _) in &outs {
                ins[j].remove(&k);
                touched.insert(j);
            }
            for i in touched {
                if i != 0 {
                    let d = degree(&rows, &ins, i);
                    if d != current_degree[i] {
                        queue.remove(&(current_degree[i], i));
                        queue.insert((d, i));
                        current_degree[i] = d;
                    }
                }
            }
            pivots.push(Pivot {
                k,
                leave,
                self_loop: loops[k],
                exit: exit[k],
                ins: pivot_ins,
                outs,
                direct,
                direct_exit,
                direct_loop,
            });
        }
        if n == 0 || !(exit[0].is_finite() && exit[0] > 0.0) {
            return Err(PathError::Trapped(0));
        }
        self.top_exit = exit[0];
        self.top_loop = loops[0];
        self.pivots = pivots;
        self.work = work;
        Ok(())
    }

    /// The number of states.
    #[must_use]
    pub fn n_states(&self) -> usize {
        self.total.len()
    }

    /// Pairs stored by the factorisation (the cost of one draw, in binomial draws).
    #[must_use]
    pub fn work(&self) -> usize {
        self.work
    }

    /// Draws one path from state 0 to the exit: its escape time, exit state and number
    /// of fast transitions, from their exact joint law. Only for a sampler made by
    /// [`Self::new`].
    #[must_use]
    pub fn sample(&self, rng: &mut Rng) -> PathSample {
        self.sample_with_visits(rng).0
    }

    /// As [`Self::sample`], and the number of times the path left each state (its visits,
    /// the final exit included).
    #[must_use]
    // counts below 2^53 convert exactly; larger ones are rounded, as a Poisson draw is.
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    pub fn sample_with_visits(&self, rng: &mut Rng) -> (PathSample, Vec<u64>) {
        let n = self.total.len();
        // counts of coarse transitions: to other states, self-loops, exit.
        let mut trans: Vec<BTreeMap<usize, u64>> = vec![BTreeMap::new(); n];
        let mut loops = vec![0u64; n];
        let mut exit = vec![0u64; n];
        exit[0] = 1;
        loops[0] = negative_binomial(1, self.top_loop, self.top_exit, rng);
        let mut to_k: Vec<u64> = Vec::new();
        let mut from_k: Vec<u64> = Vec::new();
        for p in self.pivots.iter().rev() {
            let k = p.k;
            to_k.clear();
            to_k.resize(p.ins.len(), 0);
            from_k.clear();
            from_k.resize(p.outs.len(), 0);
            let mut exit_k = 0u64;
            for (a, &(i, w_ik)) in p.ins.iter().enumerate() {
                let f = w_ik / p.leave;
                for (b, &(j, w_kj)) in p.outs.iter().enumerate() {
                    if j == i {
                        // the self-loop i → k → i.
                        let count = loops[i];
                        if count > 0 {
                            let via = binomial(count, f * w_kj, p.direct_loop[a], rng);
                            loops[i] -= via;
                            to_k[a] += via;
                            from_k[b] += via;
                        }
                        continue;
                    }
                    let Some(count) = trans[i].get_mut(&j) else {
                        continue;
                    };
                    let via = binomial(*count, f * w_kj, p.direct[a * p.outs.len() + b], rng);
                    *count -= via;
                    if *count == 0 {
                        trans[i].remove(&j);
                    }
                    to_k[a] += via;
                    from_k[b] += via;
                }
                if exit[i] > 0 {
                    let via = binomial(exit[i], f * p.exit, p.direct_exit[a], rng);
                    exit[i] -= via;
                    to_k[a] += via;
                    exit_k += via;
                }
            }
            let entries: u64 = to_k.iter().sum();
            for (a, &(i, _)) in p.ins.iter().enumerate() {
                if to_k[a] > 0 {
                    *trans[i].entry(k).or_insert(0) += to_k[a];
                }
            }
            for (b, &(j, _)) in p.outs.iter().enumerate() {
                if from_k[b] > 0 {
                    *trans[k].entry(j).or_insert(0) += from_k[b];
                }
            }
            exit[k] += exit_k;
            loops[k] = negative_binomial(entries, p.self_loop, p.leave, rng);
        }
        let mut time = 0.0;
        let mut fast = 0.0;
        let mut exit_state = 0;
        let mut all_visits = vec![0u64; n];
        for i in 0..n {
            let moves: u64 = trans[i].values().sum();
            let visits = moves + exit[i] + loops[i];
            all_visits[i] = visits;
            fast += moves as f64;
            if exit[i] > 0 {
                exit_state = i;
            }
            if visits > 0 {
                time += gamma(visits as f64, 1.0 / self.total[i], rng);
            }
        }
        (
            PathSample {
                time,
                exit_state,
                fast_transitions: fast,
            },
            all_visits,
        )
    }

    /// Total rate `R_i` of every state [s⁻¹].
    #[must_use]
    pub fn total_rates(&self) -> &[f64] {
        &self.total
    }

    /// Draws the state at time `t` \[s\] of a system that started in state 0 and has not
    /// left by `t`, by simulating the basin's own chain hop by hop and starting again
    /// whenever it leaves (rejection: exact). Returns the state and the hops simulated, or
    /// `None` when more than `budget` hops would be needed (nothing is then decided).
    pub fn simulate_survivor(&self, t: f64, budget: u64, rng: &mut Rng) -> Option<(usize, u64)> {
        let mut hops = 0u64;
        loop {
            let mut state = 0;
            let mut clock = 0.0;
            loop {
                let rate = self.total[state];
                if rate <= 0.0 {
                    return Some((state, hops));
                }
                clock += -uniform_open01(rng).ln() / rate;
                if clock >= t {
                    return Some((state, hops));
                }
                hops += 1;
                if hops > budget {
                    return None;
                }
                let mut target = (1.0 - uniform_open01(rng)) * rate;
                if target <= self.exits[state] {
                    break; // left the basin: start again.
                }
                target -= self.exits[state];
                let row = &self.rows[state];
                let mut next = row.last().map_or(state, |&(j, _)| j);
                for &(j, w) in row {
                    if target <= w {
                        next = j;
                        break;
                    }
                    target -= w;
                }
                state = next;
            }
        }
    }

    /// The total rate [s⁻¹] of the start state, the largest of which bounds the hops per
    /// unit time of [`Self::simulate_survivor`].
    #[must_use]
    pub fn max_total_rate(&self) -> f64 {
        self.total.iter().copied().fold(0.0, f64::max)
    }
}

/// The fast transitions as one weighted row per state: repeated pairs add up; self,
/// out-of-range and non-positive transitions are dropped.
fn weighted_rows(n: usize, fast: &[(usize, usize, f64)]) -> Vec<BTreeMap<usize, f64>> {
    let mut rows: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new(); n];
    for &(from, to, rate) in fast {
        if from != to && from < n && to < n && rate > 0.0 {
            *rows[from].entry(to).or_insert(0.0) += rate;
        }
    }
    rows
}

/// `exits` padded with zeros to `n` entries.
fn exit_rates(exits: &[f64], n: usize) -> Vec<f64> {
    let mut out = exits.to_vec();
    out.resize(n, 0.0);
    out
}

/// The number of `count` trials that succeed, each with probability `via / (via + direct)`.
// u64 counts are what the binomial draws.
fn binomial(count: u64, via: f64, direct: f64, rng: &mut Rng) -> u64 {
    if count == 0 || via <= 0.0 {
        return 0;
    }
    if direct <= 0.0 {
        return count;
    }
    let p = via / (via + direct);
    if p >= 1.0 {
        return count;
    }
    if count == 1 {
        return u64::from(uniform_open01(rng) <= p);
    }
    Binomial::new(count, p).map_or(count, |d| d.sample(rng))
}

/// Failures before `successes` successes, each trial failing with weight `fail` against
/// `succeed`: a Poisson variable whose mean is `Gamma(successes, fail / succeed)`.
// a Poisson draw is a whole number; counts up to 2^64 are representable.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn negative_binomial(successes: u64, fail: f64, succeed: f64, rng: &mut Rng) -> u64 {
    if successes == 0 || fail <= 0.0 {
        return 0;
    }
    let mean = gamma(successes as f64, fail / succeed, rng);
    if mean.is_nan() || mean <= 0.0 {
        return 0;
    }
    if mean > POISSON_LIMIT {
        // beyond the Poisson sampler's range the relative spread is below 10⁻⁹.
        return mean.round() as u64;
    }
    Poisson::new(mean).map_or(0, |d| {
        let x: f64 = d.sample(rng);
        x as u64
    })
}

/// A Gamma(`shape`, `scale`) draw.
fn gamma(shape: f64, scale: f64, rng: &mut Rng) -> f64 {
    Gamma::new(shape, scale).map_or(0.0, |d| d.sample(rng))
}

#[cfg(test)]
#[path = "kps_tests.rs"]
mod tests;
