//! Escape from a small basin of fast states: mean escape times, exit probabilities and
//! exact sampling of the joint law of (escape time, exit state).
//!
//! # The problem
//! A *basin* is a handful of configurations ("states") `0..n` linked by fast, reversible
//! events with rates `w_ij` [s⁻¹] (`i ≠ j`), plus, for every state, the total rate `r_i`
//! [s⁻¹] of the slow *exit* events that leave the basin. Inside the basin the system hops
//! back and forth `w / r` times (up to 10¹⁴ in practice) before it leaves. With
//! `out_i = Σ_j w_ij` the process restricted to the basin has the sub-generator
//!
//! ```text
//! Q = W − diag(out + r),        A = −Q   (an M-matrix with row sums A·1 = r ≥ 0).
//! ```
//!
//! Starting in state `s`, the row `N_s· = e_sᵀ A⁻¹` holds the expected *occupation times*
//! (time spent in each state before leaving), so the mean escape time is
//! `τ_s = Σ_i N_si = (A⁻¹ 1)_s` and the exit happens from state `i` with probability
//! `q_i = N_si r_i` (these sum to one because `A 1 = r`). This is the absorbing Markov chain
//! of Novotny's MCAMC and the mean-rate method of Puchala, Falk and Garikipati.
//!
//! # Mean times and exit probabilities: GTH elimination
//! Plain Gaussian elimination of `A` computes each new diagonal entry as a difference,
//! `d_i − w_ik w_ki / d_k`, which cancels catastrophically when `r ≪ w`: the information
//! about `r` sits 14 digits below the rates that are subtracted. The elimination here
//! follows Grassmann, Taksar and Heyman (GTH): `A` is stored by its *off-diagonal rates and
//! the exit column*, never by its diagonal. Eliminating state `k` (a state reduction:
//! the chain watched only on the remaining states) updates, for remaining `i ≠ j`,
//!
//! ```text
//! d_k   = Σ_{j>k} w_kj + r_k                       (pivot: a sum, not a difference)
//! w_ij += w_ik · w_kj / d_k,    r_i += w_ik · r_k / d_k,
//! ```
//!
//! and drops the `i → k → i` return, which only renews the diagonal. Every stored quantity is
//! a sum of products of non-negative numbers; the factors `L` (entries `w_ik / d_k`) and
//! `U` (pivots `d_k`, entries `w_kj`) of `A = L U` have a sign pattern that makes the two
//! triangular solves of `A x = b` and `Aᵀ x = b` with `b ≥ 0` subtraction-free as well.
//! Hence `τ`, `N` and `q` are computed to a small multiple of the unit round-off
//! *entrywise relative* to each entry, whatever the ratio of fast to exit rates (the
//! entrywise analysis of O'Cinneide for GTH and of Alfa, Xue and Ye for diagonally dominant
//! M-matrices given by their off-diagonal entries and row sums). The cost is `O(n³)` for the
//! factorisation and for the full `N` (n ≤ a few hundred).
//!
//! # Exact sampling: spectral representation
//! When the fast part satisfies detailed balance `π_i w_ij = π_j w_ji` (checked: `π` is
//! built along a breadth-first spanning tree, `π_j = π_i w_ij / w_ji`, and every pair is
//! then checked to [`BasinOptions::reversibility_tolerance`] relative), `Q` is symmetrised by
//! `D^{1/2} Q D^{−1/2}`, `D = diag(π)`, whose off-diagonal entries are simply
//! `√(w_ij w_ji)`. With the eigen-decomposition `−D^{1/2} Q D^{−1/2} = V diag(κ) Vᵀ`
//! (`κ_k > 0` the decay rates), starting in `s`,
//!
//! ```text
//! p_i(t) = √(π_i/π_s) Σ_k V_sk V_ik e^{−κ_k t}          (still in the basin, in state i)
//! S(t)   = Σ_i p_i(t) = Σ_k a_k e^{−κ_k t},  a_k = V_sk (Σ_i V_ik √π_i) / √π_s
//! f(t)   = −S′(t) = Σ_i p_i(t) r_i                       (escape-time density)
//! ```
//!
//! and, given escape at time `t`, the exit state is `i` with probability `p_i(t) r_i / f(t)`.
//! [`BasinSolution::sample`] draws `u` and solves `S(T) = u` for `T` (bracketing, then
//! Newton on `ln S` safeguarded by bisection). If a horizon `h` is given and `u < S(h)`, the
//! system is still in the basin at `h`, and the state there is drawn from `p(h) / S(h)`.
//!
//! ## Slow modes and the check against GTH
//! A symmetric eigensolver is backward stable: eigenvalues carry an *absolute* error of
//! about `ε ‖A‖`, i.e. `ε × fast rate`. The slowest decay rate `κ₀ ≈ exit rate` is then
//! lost when the separation approaches `1/ε`. By default
//! ([`BasinOptions::refine_slow_modes`]) each decay rate is also computed as the inverse of
//! the Rayleigh quotient `v_kᵀ M v_k` of the symmetrised *inverse* `M_ij = √(N_ij N_ji)`
//! (accurate from GTH), whose absolute error is `ε / κ₀`; the estimate with the smaller
//! error bound is kept (the inverse one exactly when `κ_k² < ‖A‖ / ‖M‖`). The Rayleigh
//! quotient is second-order in the eigenvector error, and the eigenvectors of well-separated
//! slow modes are accurate, so this recovers `κ₀` to near machine precision even at a
//! separation of 10¹⁴.
//!
//! Whatever the route, the spectral representation is only *used* if it reproduces the GTH
//! results: for every start `s` the spectral occupation times
//! `√(π_i/π_s) Σ_k V_sk V_ik / κ_k` must match `N_s·` in total variation relative to `τ_s`,
//! and the exit distributions must match in total variation, both within
//! [`BasinOptions::spectral_tolerance`] (default 10⁻⁸). A bound on the error of `p(t)`
//! amplified by the change of basis, `n ε Σ_i √(π_i / π_min)`, must also be below that
//! tolerance. Otherwise, and for non-reversible basins, the sampler falls back to the
//! mean-rate approximation below; [`BasinSolution::method`] says which law is used and why.
//!
//! # Fallback: the mean-rate approximation
//! The escape time is exponential with mean `τ_s` (from GTH), the exit state is drawn from
//! `q = exit_distribution(s)` independently of the time, and a system that survives the
//! horizon is found in the *quasi-stationary distribution* `ν` (the left Perron vector of
//! `N = A⁻¹`: the distribution that is preserved, up to its decay, by the sub-generator).
//! `ν` is computed by power iteration `xᵀ ← xᵀ N / ‖xᵀ N‖₁` with the GTH inverse (entrywise
//! accurate, all terms positive); the iteration converges at the ratio `κ₀/κ₁` of the two
//! slowest decay rates, i.e. in two or three steps when the separation is large. For a
//! reversible basin with large separation `ν → π` restricted to the basin, with corrections of
//! order `r/w`; unlike `π`, `ν` also accounts for the depletion of states near exits, and it
//! exists for non-reversible basins. The approximation replaces the law of the start-to-QSD
//! relaxation; its error is of order `κ₀/κ₁` (relaxation time over escape time, reported by
//! [`BasinSolution::mode_separation`] when a spectrum is available), which is tiny precisely
//! in the regime where the eigen-decomposition alone cannot resolve `κ₀`.
//!
//! # Randomness
//! [`BasinSolution::sample`] consumes exactly two [`uniform_open01`] draws in every mode and
//! branch (time, then state), so trajectories stay reproducible and aligned whichever law is
//! used.
//!
//! # References
//! - W. K. Grassmann, M. I. Taksar, D. P. Heyman, Oper. Res. 33, 1107 (1985) (GTH
//!   elimination).
//! - C. A. O'Cinneide, Numer. Math. 65, 109 (1993) (entrywise accuracy of GTH).
//! - A. S. Alfa, J. Xue, Q. Ye, Math. Comp. 71, 217 (2002) (accurate computations with
//!   diagonally dominant M-matrices).
//! - M. A. Novotny, Phys. Rev. Lett. 74, 1 (1995) (Monte Carlo with absorbing Markov chains).
//! - B. Puchala, M. L. Falk, K. Garikipati, J. Chem. Phys. 132, 134104 (2010) (mean-rate
//!   method for kinetic Monte Carlo basins).

mod gth;
pub mod kps;
pub mod law;
mod spectral;

use std::fmt;

pub use kps::{PathError, PathSample, PathSampler};
pub use law::{BasinLaw, LawCache, LawDraw, LawError};

use crate::rng::{Rng, uniform_open01};
use gth::{Gth, power_iteration, validate};
use spectral::{
    Spectral, SpectralInput, Stationary, reversible_stationary, slow_vector, spectral_attempt,
};

/// Largest basin solved by the dense solver ([`BasinSolution`]); larger basins are solved
/// by kinetic path sampling ([`PathSampler`]).
pub const DENSE_LIMIT: usize = 256;

/// Default relative tolerance of the detailed-balance check, [`BasinOptions::reversibility_tolerance`].
pub const DEFAULT_REVERSIBILITY_TOLERANCE: f64 = 1e-9;

/// Default tolerance of the spectral-versus-GTH check, [`BasinOptions::spectral_tolerance`].
pub const DEFAULT_SPECTRAL_TOLERANCE: f64 = 1e-8;

/// Maximum number of power iterations for the quasi-stationary distribution.
const QSD_MAX_ITERATIONS: usize = 1000;

/// Convergence of the power iteration: change of the normalised vector in the 1-norm.
const QSD_TOLERANCE: f64 = 1e-14;

/// Maximum number of iterations of the survival inversion (Newton or bisection steps).
const ROOT_MAX_ITERATIONS: usize = 300;

/// Invalid basin input. Messages are lowercase and say what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BasinError {
    /// No states.
    #[error("a basin needs at least one state")]
    Empty,
    /// The number of exit rates differs from the number of states.
    #[error("expected {expected} exit rates (one per state), got {got}")]
    ExitCount {
        /// The number of states.
        expected: usize,
        /// The number of exit rates given.
        got: usize,
    },
    /// A fast transition names a state outside `0..n`.
    #[error("fast transition {from} -> {to} names a state outside 0..{n}")]
    StateOutOfRange {
        /// Source state.
        from: usize,
        /// Target state.
        to: usize,
        /// The number of states.
        n: usize,
    },
    /// A fast rate is NaN, infinite or negative.
    #[error("fast rate {from} -> {to} must be finite and >= 0, got {rate}")]
    InvalidFastRate {
        /// Source state.
        from: usize,
        /// Target state.
        to: usize,
        /// The rate given [s⁻¹].
        rate: f64,
    },
    /// An exit rate is NaN, infinite or negative.
    #[error("exit rate of state {state} must be finite and >= 0, got {rate}")]
    InvalidExitRate {
        /// The state.
        state: usize,
        /// The rate given [s⁻¹].
        rate: f64,
    },
    /// The total rate out of a state (fast plus exit) is not finite.
    #[error("the total rate out of state {state} overflows")]
    RateOverflow {
        /// The state.
        state: usize,
    },
    /// Every exit rate is zero: the system never leaves.
    #[error("no exit: every exit rate is zero, so the system never leaves the basin")]
    NoExit,
    /// Some state is not linked to state 0 by fast transitions (in either direction).
    #[error(
        "the basin is not connected: state {state} is not linked to state 0 by fast transitions"
    )]
    Disconnected {
        /// The first state not linked to state 0.
        state: usize,
    },
    /// Some state cannot reach a state with an exit, so its escape time is infinite.
    #[error(
        "state {state} cannot reach any state with a non-zero exit rate through fast transitions"
    )]
    Trapped {
        /// The first such state.
        state: usize,
    },
    /// The elimination met a zero or non-finite pivot (rates that under- or overflow).
    #[error(
        "the elimination met a zero or non-finite pivot at state {state} (rates under- or overflow)"
    )]
    Singular {
        /// The state being eliminated.
        state: usize,
    },
}

/// Options of [`BasinSolution::with_options`]; [`Default`] gives the values used by
/// [`BasinSolution::new`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BasinOptions {
    /// Relative tolerance of detailed balance: the basin counts as reversible when
    /// `|π_i w_ij − π_j w_ji| ≤ tol · max(π_i w_ij, π_j w_ji)` for every pair (default 1e-9).
    pub reversibility_tolerance: f64,
    /// Largest accepted disagreement between the spectral and the GTH occupation times and
    /// exit distributions (total variation), and largest accepted error bound of the change
    /// of basis (default 1e-8). Above it the sampler uses the mean-rate approximation.
    pub spectral_tolerance: f64,
    /// Re-derive slow decay rates from the GTH inverse (default `true`; see the module
    /// documentation). Without it, the slowest decay rate is lost at separations above about
    /// 10⁸ and such basins fall back to the mean-rate approximation.
    pub refine_slow_modes: bool,
    /// Always use the mean-rate approximation (default `false`).
    pub force_mean_rate: bool,
}

impl Default for BasinOptions {
    fn default() -> Self {
        Self {
            reversibility_tolerance: DEFAULT_REVERSIBILITY_TOLERANCE,
            spectral_tolerance: DEFAULT_SPECTRAL_TOLERANCE,
            refine_slow_modes: true,
            force_mean_rate: false,
        }
    }
}

/// The law [`BasinSolution::sample`] draws from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// The exact joint law of (escape time, exit state) from the spectral representation,
    /// validated against GTH.
    Exact,
    /// The mean-rate approximation, for the given reason.
    MeanRate(MeanRateReason),
}

/// Why [`Method::MeanRate`] is used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MeanRateReason {
    /// [`BasinOptions::force_mean_rate`] was set.
    Requested,
    /// The fast transitions do not satisfy detailed balance (or some are one-way).
    NotReversible,
    /// The stationary weights are so uneven that the change of basis `D^{±1/2}` would amplify
    /// round-off beyond the tolerance; `error_bound` is `n ε Σ_i √(π_i/π_min)` (infinite
    /// when `π` itself under- or overflows).
    IllConditioned {
        /// The bound that exceeded [`BasinOptions::spectral_tolerance`].
        error_bound: f64,
    },
    /// The symmetric eigensolver did not converge.
    EigenFailed,
    /// The spectral representation disagrees with GTH by `discrepancy` (total variation of
    /// occupation times relative to `τ_s`, or of the exit distribution; infinite when a decay
    /// rate came out non-positive).
    SpectralMismatch {
        /// The largest disagreement over starting states.
        discrepancy: f64,
    },
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::Exact => write!(f, "exact (spectral, checked against GTH)"),
            Method::MeanRate(reason) => write!(f, "mean-rate approximation ({reason})"),
        }
    }
}

impl fmt::Display for MeanRateReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeanRateReason::Requested => write!(f, "requested"),
            MeanRateReason::NotReversible => write!(f, "fast transitions not reversible"),
            MeanRateReason::IllConditioned { error_bound } => {
                write!(
                    f,
                    "stationary weights too uneven, error bound {error_bound:.3e}"
                )
            }
            MeanRateReason::EigenFailed => write!(f, "eigensolver did not converge"),
            MeanRateReason::SpectralMismatch { discrepancy } => write!(
                f,
                "spectral solution disagrees with GTH by {discrepancy:.3e}"
            ),
        }
    }
}

/// The result of [`BasinSolution::sample`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BasinOutcome {
    /// The system leaves the basin after `time` \[s\] (≤ the horizon) through an exit event
    /// of `state`.
    Escape {
        /// Time from the start to the exit \[s\].
        time: f64,
        /// The state the exit event fires from.
        state: usize,
    },
    /// The system is still in the basin at the horizon, in `state`.
    Survived {
        /// The state at the horizon.
        state: usize,
    },
}

/// The solved basin: GTH mean escape times, occupation times and exit distributions, the
/// quasi-stationary distribution, and the law used by [`BasinSolution::sample`].
///
/// # Example
/// ```
/// use nanokmc::accel::basin::BasinSolution;
/// use nanokmc::rng::stream;
/// // A ⇄ B at 10¹² s⁻¹, exit from B at 10⁻² s⁻¹.
/// let basin = BasinSolution::new(2, &[(0, 1, 1e12), (1, 0, 1e12)], &[0.0, 1e-2]).unwrap();
/// let tau = basin.mean_escape_time(0);
/// assert!((tau - 200.0).abs() < 1e-10 * 200.0);
/// assert_eq!(basin.exit_distribution(0), vec![0.0, 1.0]);
/// let mut rng = stream(1, 0);
/// let _outcome = basin.sample(0, f64::INFINITY, &mut rng);
/// ```
#[derive(Debug, Clone)]
pub struct BasinSolution {
    n: usize,
    exits: Vec<f64>,
    escape_times: Vec<f64>,
    /// `N = A⁻¹`, row-major.
    occupation: Vec<f64>,
    /// `Σ_i N_si r_i` (one up to round-off), the normaliser of the exit distribution.
    exit_totals: Vec<f64>,
    stationary: Option<Vec<f64>>,
    quasi_stationary: Vec<f64>,
    slowest_rate: f64,
    spectral: Option<Spectral>,
    method: Method,
    discrepancy: Option<f64>,
    mode_separation: Option<f64>,
}

impl BasinSolution {
    /// Solves the basin with the default [`BasinOptions`].
    ///
    /// `fast` lists fast transitions `(from, to, rate)` [s⁻¹]; repeated pairs are summed and
    /// self-transitions `(i, i, _)` are validated but ignored (they do not change the state).
    /// `exits[i]` is the total exit rate of state `i` [s⁻¹].
    ///
    /// # Errors
    /// See [`BasinSolution::with_options`].
    pub fn new(n: usize, fast: &[(usize, usize, f64)], exits: &[f64]) -> Result<Self, BasinError> {
        Self::with_options(n, fast, exits, &BasinOptions::default())
    }

    /// Solves the basin: validates the input, runs the GTH elimination, and decides which
    /// law [`BasinSolution::sample`] uses (see the module documentation).
    ///
    /// # Errors
    /// - [`BasinError::Empty`] for `n == 0`, [`BasinError::ExitCount`] when
    ///   `exits.len() != n`, [`BasinError::StateOutOfRange`] for a transition outside `0..n`;
    /// - [`BasinError::InvalidFastRate`], [`BasinError::InvalidExitRate`] for NaN, infinite
    ///   or negative rates, [`BasinError::RateOverflow`] when a state's total rate overflows;
    /// - [`BasinError::NoExit`] when every exit rate is zero;
    /// - [`BasinError::Disconnected`] when the fast transitions (in either direction) do not
    ///   link all states, [`BasinError::Trapped`] when some state cannot reach an exit;
    /// - [`BasinError::Singular`] when rates so extreme that a pivot under- or overflows.
    pub fn with_options(
        n: usize,
        fast: &[(usize, usize, f64)],
        exits: &[f64],
        options: &BasinOptions,
    ) -> Result<Self, BasinError> {
        let rates = validate(n, fast, exits)?;
        let gth = Gth::factor(n, &rates, exits)?;
        let escape_times = gth.solve(&vec![1.0; n]);
        let mut occupation = vec![0.0; n * n];
        let mut unit = vec![0.0; n];
        for j in 0..n {
            unit.fill(0.0);
            unit[j] = 1.0;
            let column = gth.solve(&unit);
            for (i, value) in column.into_iter().enumerate() {
                occupation[i * n + j] = value;
            }
        }
        let exit_totals: Vec<f64> = (0..n)
            .map(|s| {
                (0..n)
                    .map(|i| occupation[s * n + i] * exits[i])
                    .sum::<f64>()
            })
            .collect();

        let stationary = reversible_stationary(n, &rates, options.reversibility_tolerance);
        let mut discrepancy = None;
        let mut mode_separation = None;
        let mut spectral = None;
        let mut qsd_start = None;
        let method = if options.force_mean_rate {
            Method::MeanRate(MeanRateReason::Requested)
        } else {
            match &stationary {
                Stationary::NotReversible => Method::MeanRate(MeanRateReason::NotReversible),
                Stationary::Unrepresentable => Method::MeanRate(MeanRateReason::IllConditioned {
                    error_bound: f64::INFINITY,
                }),
                Stationary::Reversible(pi) => {
                    let input = SpectralInput {
                        n,
                        rates: &rates,
                        exits,
                        pi,
                        occupation: &occupation,
                        escape_times: &escape_times,
                        exit_totals: &exit_totals,
                    };
                    match spectral_attempt(&input, options) {
                        Ok(attempt) => {
                            mode_separation = attempt.mode_separation;
                            discrepancy = Some(attempt.discrepancy);
                            qsd_start = Some(slow_vector(&attempt.spectral));
                            if attempt.discrepancy <= options.spectral_tolerance {
                                spectral = Some(attempt.spectral);
                                Method::Exact
                            } else {
                                Method::MeanRate(MeanRateReason::SpectralMismatch {
                                    discrepancy: attempt.discrepancy,
                                })
                            }
                        }
                        Err(reason) => Method::MeanRate(reason),
                    }
                }
            }
        };

        let start = qsd_start.unwrap_or_else(|| match &stationary {
            Stationary::Reversible(pi) => pi.clone(),
            _ => vec![1.0; n],
        });
        let (quasi_stationary, perron_root) = power_iteration(n, &occupation, start);
        Ok(Self {
            n,
            exits: exits.to_vec(),
            escape_times,
            occupation,
            exit_totals,
            stationary: match stationary {
                Stationary::Reversible(pi) => Some(pi),
                _ => None,
            },
            quasi_stationary,
            slowest_rate: 1.0 / perron_root,
            spectral,
            method,
            discrepancy,
            mode_separation,
        })
    }

    /// The number of states.
    pub fn n_states(&self) -> usize {
        self.n
    }

    /// The exit rates `r_i` [s⁻¹] as given.
    pub fn exit_rates(&self) -> &[f64] {
        &self.exits
    }

    /// The mean escape time `τ_s` \[s\] starting in state `s` (GTH; entrywise accurate).
    ///
    /// # Panics
    /// If `s` is not a state.
    pub fn mean_escape_time(&self, s: usize) -> f64 {
        self.check_state(s);
        self.escape_times[s]
    }

    /// The mean escape times of all starting states \[s\].
    pub fn mean_escape_times(&self) -> &[f64] {
        &self.escape_times
    }

    /// Expected time \[s\] spent in each state before leaving, starting in `s` (the row `N_s·`
    /// of `A⁻¹`; GTH). Sums to [`BasinSolution::mean_escape_time`] up to round-off.
    ///
    /// # Panics
    /// If `s` is not a state.
    pub fn occupation_times(&self, s: usize) -> &[f64] {
        self.check_state(s);
        &self.occupation[s * self.n..(s + 1) * self.n]
    }

    /// Probability that the system, started in `s`, leaves through an exit of state `i`:
    /// `N_si r_i`, normalised by its (round-off) sum. States without exit get exactly 0.
    ///
    /// # Panics
    /// If `s` is not a state.
    pub fn exit_distribution(&self, s: usize) -> Vec<f64> {
        let row = self.occupation_times(s);
        let total = self.exit_totals[s];
        row.iter()
            .zip(&self.exits)
            .map(|(&time, &rate)| time * rate / total)
            .collect()
    }

    /// The stationary distribution `π` of the fast transitions (sum 1), when they satisfy
    /// detailed balance (and `π` is representable); `None` otherwise.
    pub fn stationary(&self) -> Option<&[f64]> {
        self.stationary.as_deref()
    }

    /// The quasi-stationary distribution `ν` (sum 1): the left Perron vector of `A⁻¹`, the
    /// limit of the state distribution conditioned on survival. The power iteration stops
    /// at a 1-norm change of 10⁻¹⁴ or after 1000 iterations (slowly converging only when the
    /// two slowest decay rates are close, where the mean-rate approximation is poor anyway).
    pub fn quasi_stationary(&self) -> &[f64] {
        &self.quasi_stationary
    }

    /// The decay rate `κ₀` [s⁻¹] of the quasi-stationary distribution: the inverse of the
    /// Perron root of `A⁻¹` from the same power iteration.
    pub fn slowest_rate(&self) -> f64 {
        self.slowest_rate
    }

    /// The law used by [`BasinSolution::sample`].
    pub fn method(&self) -> Method {
        self.method
    }

    /// True when [`BasinSolution::sample`] draws from the exact law.
    pub fn is_exact(&self) -> bool {
        matches!(self.method, Method::Exact)
    }

    /// The largest disagreement between the spectral representation and GTH (see
    /// [`MeanRateReason::SpectralMismatch`]), when a spectrum was computed.
    pub fn spectral_discrepancy(&self) -> Option<f64> {
        self.discrepancy
    }

    /// `κ₀ / κ₁`, the ratio of the two slowest decay rates, when a spectrum was computed and
    /// `n ≥ 2`: the relaxation time inside the basin over the escape time, the order of the
    /// error of the mean-rate approximation.
    pub fn mode_separation(&self) -> Option<f64> {
        self.mode_separation
    }

    /// The survival probability `S(t)` (still in the basin at time `t` \[s\], starting in `s`)
    /// of the law used by [`BasinSolution::sample`]: spectral when exact, `exp(−t/τ_s)` in
    /// the mean-rate approximation. Clamped to [0, 1].
    ///
    /// # Panics
    /// If `s` is not a state or `t` is negative or NaN.
    pub fn survival(&self, s: usize, t: f64) -> f64 {
        self.check_state(s);
        assert!(t >= 0.0, "survival: the time must be >= 0, got {t}");
        if let Some(sp) = &self.spectral {
            let coefficients = sp.survival_coefficients(s);
            sp.survival_density(&coefficients, t).0.clamp(0.0, 1.0)
        } else {
            (-t / self.escape_times[s]).exp()
        }
    }

    /// The escape-time density `f(t) = −S′(t)` [s⁻¹] of the law used by
    /// [`BasinSolution::sample`]. Clamped to ≥ 0.
    ///
    /// # Panics
    /// If `s` is not a state or `t` is negative or NaN.
    pub fn escape_density(&self, s: usize, t: f64) -> f64 {
        self.check_state(s);
        assert!(t >= 0.0, "escape_density: the time must be >= 0, got {t}");
        if let Some(sp) = &self.spectral {
            let coefficients = sp.survival_coefficients(s);
            sp.survival_density(&coefficients, t).1.max(0.0)
        } else {
            let tau = self.escape_times[s];
            (-t / tau).exp() / tau
        }
    }

    /// The sub-probability `p_i(t)` of being in state `i` at time `t` \[s\] without having
    /// left, starting in `s`, as used by [`BasinSolution::sample`]: spectral when exact
    /// (clamped to ≥ 0); `S(t) ν` in the mean-rate approximation, whose survivors are drawn
    /// from the quasi-stationary distribution `ν` whatever `s` and `t`.
    ///
    /// # Panics
    /// If `s` is not a state or `t` is negative or NaN.
    pub fn state_distribution(&self, s: usize, t: f64) -> Vec<f64> {
        self.check_state(s);
        assert!(
            t >= 0.0,
            "state_distribution: the time must be >= 0, got {t}"
        );
        if let Some(sp) = &self.spectral {
            sp.state_weights(s, t)
        } else {
            let survival = (-t / self.escape_times[s]).exp();
            self.quasi_stationary
                .iter()
                .map(|&v| v * survival)
                .collect()
        }
    }

    /// Draws the state at time `t` \[s\] of a system that entered the basin in state `s`
    /// and has not left by `t`: from `p(t) / S(t)` with the law of
    /// [`BasinSolution::method`] (the quasi-stationary distribution in the mean-rate
    /// approximation). Consumes exactly one [`uniform_open01`] draw.
    ///
    /// # Panics
    /// If `s` is not a state or `t` is negative or NaN.
    pub fn sample_survivor(&self, s: usize, t: f64, rng: &mut Rng) -> usize {
        let u = uniform_open01(rng);
        if t == 0.0 {
            return s;
        }
        draw_weighted(&self.state_distribution(s, t), u)
            .or_else(|| draw_weighted(&self.quasi_stationary, u))
            .unwrap_or(s)
    }

    /// Draws what happens to a system that enters the basin in state `s` and sees constant
    /// rates for a duration `horizon` \[s\] (`f64::INFINITY` for no limit).
    ///
    /// Returns [`BasinOutcome::Escape`] with the escape time `≤ horizon` and the state whose
    /// exit event fires, or [`BasinOutcome::Survived`] with the state at `horizon`, drawn
    /// from the law of [`BasinSolution::method`]. A zero horizon gives `Survived { state: s }`.
    /// Consumes exactly two [`uniform_open01`] draws.
    ///
    /// # Panics
    /// If `s` is not a state or `horizon` is negative or NaN.
    pub fn sample(&self, s: usize, horizon: f64, rng: &mut Rng) -> BasinOutcome {
        self.check_state(s);
        assert!(
            horizon >= 0.0,
            "sample: the horizon must be >= 0 (or infinite), got {horizon}"
        );
        let u_time = uniform_open01(rng);
        let u_state = uniform_open01(rng);
        if horizon == 0.0 {
            return BasinOutcome::Survived { state: s };
        }
        match &self.spectral {
            Some(sp) => self.sample_exact(sp, s, horizon, u_time, u_state),
            None => self.sample_mean_rate(s, horizon, u_time, u_state),
        }
    }

    fn sample_exact(
        &self,
        sp: &Spectral,
        s: usize,
        horizon: f64,
        u_time: f64,
        u_state: f64,
    ) -> BasinOutcome {
        let coefficients = sp.survival_coefficients(s);
        if horizon.is_finite() {
            let (survival, _) = sp.survival_density(&coefficients, horizon);
            if u_time < survival {
                let weights = sp.state_weights(s, horizon);
                let state = draw_weighted(&weights, u_state)
                    .or_else(|| draw_weighted(&self.quasi_stationary, u_state))
                    .unwrap_or(s);
                return BasinOutcome::Survived { state };
            }
        }
        let time = sp.invert_survival(&coefficients, u_time, horizon, self.escape_times[s]);
        let weights: Vec<f64> = sp
            .state_weights(s, time)
            .iter()
            .zip(&self.exits)
            .map(|(&p, &r)| p * r)
            .collect();
        let state = draw_weighted(&weights, u_state)
            .or_else(|| draw_weighted(&self.exit_distribution(s), u_state))
            .unwrap_or(s);
        BasinOutcome::Escape { time, state }
    }

    fn sample_mean_rate(&self, s: usize, horizon: f64, u_time: f64, u_state: f64) -> BasinOutcome {
        let time = -self.escape_times[s] * u_time.ln();
        if time > horizon {
            let state = draw_weighted(&self.quasi_stationary, u_state).unwrap_or(s);
            BasinOutcome::Survived { state }
        } else {
            let state = draw_weighted(&self.exit_distribution(s), u_state).unwrap_or(s);
            BasinOutcome::Escape { time, state }
        }
    }

    fn check_state(&self, s: usize) {
        assert!(
            s < self.n,
            "basin state {s} is out of range (the basin has {} states)",
            self.n
        );
    }
}

/// Index `i` with probability `w_i / Σ w` for non-negative weights, from `u` in (0, 1]:
/// the first index whose cumulative weight reaches `u Σ w`. Zero weights are never chosen;
/// `None` when no weight is positive or the sum is not finite.
fn draw_weighted(weights: &[f64], u: f64) -> Option<usize> {
    let total: f64 = weights.iter().filter(|&&w| w > 0.0).sum();
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    let target = u * total;
    let mut cumulative = 0.0;
    let mut last = None;
    for (i, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            cumulative += w;
            last = Some(i);
            if target <= cumulative {
                return Some(i);
            }
        }
    }
    last
}

#[cfg(test)]
mod tests;
