//! The escape law of one basin, whatever its size: the dense solution ([`BasinSolution`])
//! up to [`DENSE_LIMIT`] states, kinetic path sampling ([`PathSampler`]) beyond; and a cache
//! of solved basins keyed by the basin's whole chain.
//!
//! # Which solver
//! Both draw the escape time and exit state from their exact joint law (the dense solver
//! falls back to the mean-rate law when its spectral check fails; kinetic path sampling
//! never does). The dense solver costs `O(n³)` once per basin and then gives occupation
//! times and survivor laws at any time; kinetic path sampling costs the factorisation once
//! and one binomial draw per stored pair per path, and draws a survivor (the state at a
//! given time of a path that has not left yet) by simulating the chain hop by hop with
//! rejection, which is exact but costs about as many hops as the plain kMC of that interval
//! ([`SURVIVOR_BUDGET`] bounds it).
//!
//! # The cache (exact)
//! The law of a basin depends on nothing but its chain: the number of states, the fast
//! transitions with their rates and the exit rate of every state, in the order the
//! enumeration found them. The enumeration is breadth-first from the current configuration
//! over fast events taken in the event table's order, so two equal local environments
//! give bit-equal chains. [`LawCache`] keys a solved law by the chain's exact bits (no
//! tolerance, no hashing collisions: the whole key is compared), so a hit returns the
//! very law a fresh solve would build; the draws, and so the trajectory, are the same with
//! or without the cache. It is not part of the engine state (checkpoints) for that reason.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::kps::{PathError, PathSampler};
use super::{BasinError, BasinOutcome, BasinSolution, DENSE_LIMIT};
use crate::rng::Rng;

/// Most hops simulated to draw one survivor of a path-sampled basin; beyond it the step is
/// abandoned before anything changed (exact: the draws made so far are discarded, and the
/// process continues from the same configuration by ordinary steps).
pub const SURVIVOR_BUDGET: u64 = 20_000_000;

/// Solved basins kept by [`LawCache`].
pub const CACHE_ENTRIES: usize = 32;

/// Why a basin has no law.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LawError {
    /// The dense solver refused it.
    #[error(transparent)]
    Dense(#[from] BasinError),
    /// Kinetic path sampling refused it.
    #[error(transparent)]
    Paths(#[from] PathError),
}

/// The escape law of a basin that starts in state 0.
#[derive(Debug, Clone)]
pub enum BasinLaw {
    /// Solved densely (at most [`DENSE_LIMIT`] states).
    Dense(BasinSolution),
    /// Factorised for kinetic path sampling (more than [`DENSE_LIMIT`] states).
    Paths(PathSampler),
}

/// One draw of a basin's escape, with the fast transitions integrated out.
#[derive(Debug, Clone, PartialEq)]
pub struct LawDraw {
    /// The escape, or the state at the horizon.
    pub outcome: BasinOutcome,
    /// Fast transitions integrated out: the number the sampled path made (paths) or its
    /// mean (dense).
    pub fast_transitions: f64,
    /// Time spent in each state \[s\]: the mean occupation times (dense), or the sampled
    /// visits over the state's total rate (paths); empty for a path-sampled survivor.
    pub occupation: Vec<f64>,
}

impl BasinLaw {
    /// Solves the basin of `n` states, fast transitions `(from, to, rate [s⁻¹])` and exit
    /// rates `exits` [s⁻¹]: densely up to [`DENSE_LIMIT`] states, by path factorisation
    /// beyond.
    ///
    /// # Errors
    /// The solver's reason when the basin cannot be solved (no exit reachable, too large).
    pub fn solve(n: usize, fast: &[(usize, usize, f64)], exits: &[f64]) -> Result<Self, LawError> {
        if n <= DENSE_LIMIT {
            Ok(Self::Dense(BasinSolution::new(n, fast, exits)?))
        } else {
            Ok(Self::Paths(PathSampler::new(n, fast, exits)?))
        }
    }

    /// Number of states.
    #[must_use]
    pub fn n_states(&self) -> usize {
        match self {
            Self::Dense(s) => s.n_states(),
            Self::Paths(p) => p.n_states(),
        }
    }

    /// Whether draws follow the exact joint law (always for paths; for the dense solver,
    /// unless it fell back to the mean-rate law).
    #[must_use]
    pub fn is_exact(&self) -> bool {
        match self {
            Self::Dense(s) => s.is_exact(),
            Self::Paths(_) => true,
        }
    }

    /// Whether the law came from kinetic path sampling.
    #[must_use]
    pub fn is_paths(&self) -> bool {
        matches!(self, Self::Paths(_))
    }

    /// Draws the escape from state 0 within `horizon` \[s\]: when and from which state it
    /// leaves, or, when it has not left by the horizon, the state there. `fast_out[i]` is
    /// the total fast rate out of state `i` [s⁻¹] (for the dense mean of the integrated
    /// transitions). `None` when a path-sampled survivor would need more than
    /// [`SURVIVOR_BUDGET`] hops (nothing is decided; see there).
    pub fn draw(&self, horizon: f64, fast_out: &[f64], rng: &mut Rng) -> Option<LawDraw> {
        match self {
            Self::Dense(s) => {
                let outcome = s.sample(0, horizon, rng);
                let occupation = s.occupation_times(0).to_vec();
                let fast_transitions = occupation.iter().zip(fast_out).map(|(t, k)| t * k).sum();
                Some(LawDraw {
                    outcome,
                    fast_transitions,
                    occupation,
                })
            }
            Self::Paths(p) => {
                let (path, visits) = p.sample_with_visits(rng);
                if path.time <= horizon {
                    #[allow(clippy::cast_precision_loss)]
                    let occupation = visits
                        .iter()
                        .zip(p.total_rates())
                        .map(|(&v, &r)| if v == 0 { 0.0 } else { v as f64 / r })
                        .collect();
                    return Some(LawDraw {
                        outcome: BasinOutcome::Escape {
                            time: path.time,
                            state: path.exit_state,
                        },
                        fast_transitions: path.fast_transitions,
                        occupation,
                    });
                }
                // the path outlives the horizon: the state there, given survival.
                let (state, hops) = p.simulate_survivor(horizon, SURVIVOR_BUDGET, rng)?;
                #[allow(clippy::cast_precision_loss)]
                Some(LawDraw {
                    outcome: BasinOutcome::Survived { state },
                    fast_transitions: hops as f64,
                    occupation: Vec::new(),
                })
            }
        }
    }
}

/// Solved basins keyed by their exact chain (see the module documentation). Not part of
/// the engine state: a hit and a fresh solve give the same law, so it compares equal to
/// every other cache and is empty after a restore.
#[derive(Debug, Clone, Default)]
pub struct LawCache {
    /// Law per chain key.
    laws: HashMap<Vec<u64>, Arc<BasinLaw>>,
    /// Keys in insertion order (the oldest is dropped first).
    order: VecDeque<Vec<u64>>,
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that solved the basin.
    pub misses: u64,
}

impl PartialEq for LawCache {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl LawCache {
    /// The law of the basin `(n, fast, exits)`, from the cache or solved (and kept).
    ///
    /// # Errors
    /// As [`BasinLaw::solve`] (refusals are not cached).
    pub fn law(
        &mut self,
        n: usize,
        fast: &[(usize, usize, f64)],
        exits: &[f64],
    ) -> Result<Arc<BasinLaw>, LawError> {
        let key = chain_key(n, fast, exits);
        if let Some(law) = self.laws.get(&key) {
            self.hits += 1;
            return Ok(Arc::clone(law));
        }
        self.misses += 1;
        let law = Arc::new(BasinLaw::solve(n, fast, exits)?);
        if self.order.len() >= CACHE_ENTRIES
            && let Some(old) = self.order.pop_front()
        {
            self.laws.remove(&old);
        }
        self.order.push_back(key.clone());
        self.laws.insert(key, Arc::clone(&law));
        Ok(law)
    }

    /// Solved basins held now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.laws.len()
    }

    /// Whether no basin is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.laws.is_empty()
    }
}

/// The exact bits of a chain: `n`, every fast transition (from, to, rate bits) in order,
/// every exit rate's bits.
fn chain_key(n: usize, fast: &[(usize, usize, f64)], exits: &[f64]) -> Vec<u64> {
    let mut key = Vec::with_capacity(2 + 3 * fast.len() + exits.len());
    key.push(n as u64);
    key.push(fast.len() as u64);
    for &(i, j, r) in fast {
        key.push(i as u64);
        key.push(j as u64);
        key.push(r.to_bits());
    }
    key.extend(exits.iter().map(|e| e.to_bits()));
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;

    /// A ring of `n` states with one exit: dense up to the limit, paths beyond; the cache
    /// returns the same law for the same chain and solves a changed one again.
    fn ring(n: usize, exit: f64) -> (Vec<(usize, usize, f64)>, Vec<f64>) {
        let mut fast = Vec::new();
        for i in 0..n {
            fast.push((i, (i + 1) % n, 1.0));
            fast.push(((i + 1) % n, i, 1.0));
        }
        let mut exits = vec![0.0; n];
        exits[n / 2] = exit;
        (fast, exits)
    }

    #[test]
    fn solver_follows_the_size_and_the_cache_is_exact() {
        let (fast, exits) = ring(10, 0.01);
        assert!(!BasinLaw::solve(10, &fast, &exits).unwrap().is_paths());
        let (fast, exits) = ring(300, 0.01);
        let mut cache = LawCache::default();
        let a = cache.law(300, &fast, &exits).unwrap();
        assert!(a.is_paths() && a.is_exact());
        let b = cache.law(300, &fast, &exits).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!((cache.hits, cache.misses), (1, 1));
        let (fast, exits2) = ring(300, 0.02);
        let c = cache.law(300, &fast, &exits2).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(cache.misses, 2);
        // a cached law draws exactly what a fresh one draws.
        let fresh = BasinLaw::solve(300, &fast, &exits).unwrap();
        let out = vec![2.0; 300];
        let mut r1 = rng::stream(3, 0);
        let mut r2 = rng::stream(3, 0);
        for _ in 0..20 {
            assert_eq!(a.draw(1e9, &out, &mut r1), fresh.draw(1e9, &out, &mut r2));
        }
    }

    /// A short horizon: the path-sampled survivor is a basin state and the draw says so.
    #[test]
    fn short_horizon_gives_a_survivor() {
        let (fast, exits) = ring(300, 1e-6);
        let law = BasinLaw::solve(300, &fast, &exits).unwrap();
        let mut r = rng::stream(4, 0);
        let d = law.draw(10.0, &[2.0; 300], &mut r).unwrap();
        assert!(matches!(d.outcome, BasinOutcome::Survived { state } if state < 300));
    }
}
