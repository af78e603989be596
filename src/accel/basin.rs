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

use std::fmt;

use nalgebra::{DMatrix, SymmetricEigen};

use crate::rng::{Rng, uniform_open01};

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

/// The spectral representation of a reversible basin (see the module documentation).
#[derive(Debug, Clone)]
struct Spectral {
    /// Decay rates `κ_k > 0` [s⁻¹], ascending.
    kappa: Vec<f64>,
    /// Orthonormal eigenvectors, row-major: `vectors[i * n + k] = V_ik`.
    vectors: Vec<f64>,
    /// `√π_i`, with `Σ π = 1`.
    sqrt_pi: Vec<f64>,
    /// `Σ_i V_ik √π_i` for each mode `k`.
    weights: Vec<f64>,
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

/// Validates the input and returns the dense off-diagonal rate matrix (row-major, zero
/// diagonal, repeated pairs summed).
fn validate(n: usize, fast: &[(usize, usize, f64)], exits: &[f64]) -> Result<Vec<f64>, BasinError> {
    if n == 0 {
        return Err(BasinError::Empty);
    }
    if exits.len() != n {
        return Err(BasinError::ExitCount {
            expected: n,
            got: exits.len(),
        });
    }
    for (state, &rate) in exits.iter().enumerate() {
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(BasinError::InvalidExitRate { state, rate });
        }
    }
    let mut rates = vec![0.0; n * n];
    for &(from, to, rate) in fast {
        if from >= n || to >= n {
            return Err(BasinError::StateOutOfRange { from, to, n });
        }
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(BasinError::InvalidFastRate { from, to, rate });
        }
        if from != to {
            rates[from * n + to] += rate;
        }
    }
    for state in 0..n {
        let total: f64 = rates[state * n..(state + 1) * n].iter().sum::<f64>() + exits[state];
        if !total.is_finite() {
            return Err(BasinError::RateOverflow { state });
        }
    }
    if exits.iter().all(|&r| r <= 0.0) {
        return Err(BasinError::NoExit);
    }
    // weak connectivity: breadth-first search from state 0 over links in either direction.
    let linked = |i: usize, j: usize| rates[i * n + j] > 0.0 || rates[j * n + i] > 0.0;
    let mut seen = vec![false; n];
    seen[0] = true;
    let mut queue = vec![0];
    while let Some(i) = queue.pop() {
        for (j, seen_j) in seen.iter_mut().enumerate() {
            if !*seen_j && linked(i, j) {
                *seen_j = true;
                queue.push(j);
            }
        }
    }
    if let Some(state) = seen.iter().position(|&s| !s) {
        return Err(BasinError::Disconnected { state });
    }
    // every state must reach an exit: backward search from the exit states.
    let mut reaches: Vec<bool> = exits.iter().map(|&r| r > 0.0).collect();
    let mut queue: Vec<usize> = (0..n).filter(|&i| reaches[i]).collect();
    while let Some(j) = queue.pop() {
        for i in 0..n {
            if !reaches[i] && rates[i * n + j] > 0.0 {
                reaches[i] = true;
                queue.push(i);
            }
        }
    }
    if let Some(state) = reaches.iter().position(|&r| !r) {
        return Err(BasinError::Trapped { state });
    }
    Ok(rates)
}

/// GTH factors of `A = −Q = L U`, stored by non-negative numbers only: `lu[i * n + k]` for
/// `k < i` is `w_ik / d_k` (minus the entry of `L`), for `j > i` it is the reduced rate
/// `w_ij` (minus the entry of `U`), and `pivots[k] = d_k` is the diagonal of `U`.
#[derive(Debug, Clone)]
struct Gth {
    n: usize,
    lu: Vec<f64>,
    pivots: Vec<f64>,
}

impl Gth {
    /// The elimination of the module documentation, in the natural order of the states.
    fn factor(n: usize, rates: &[f64], exits: &[f64]) -> Result<Self, BasinError> {
        let mut lu = rates.to_vec();
        let mut exit = exits.to_vec();
        let mut pivots = vec![0.0; n];
        for k in 0..n {
            let pivot: f64 = lu[k * n + k + 1..(k + 1) * n].iter().sum::<f64>() + exit[k];
            if !(pivot.is_finite() && pivot > 0.0) {
                return Err(BasinError::Singular { state: k });
            }
            pivots[k] = pivot;
            let exit_k = exit[k];
            for i in k + 1..n {
                let w_ik = lu[i * n + k];
                if w_ik == 0.0 {
                    continue;
                }
                let factor = w_ik / pivot;
                lu[i * n + k] = factor;
                for j in k + 1..n {
                    if j != i {
                        let w_kj = lu[k * n + j];
                        lu[i * n + j] += factor * w_kj;
                    }
                }
                exit[i] += factor * exit_k;
            }
        }
        Ok(Self { n, lu, pivots })
    }

    /// `A⁻¹ b` for `b ≥ 0`, without subtractions.
    fn solve(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut x = b.to_vec();
        // L y = b: y_i = b_i + Σ_{k<i} (w_ik / d_k) y_k.
        for i in 0..n {
            let row = &self.lu[i * n..i * n + i];
            x[i] += row.iter().zip(&x[..i]).map(|(l, y)| l * y).sum::<f64>();
        }
        // U x = y: x_i = (y_i + Σ_{j>i} w_ij x_j) / d_i.
        for i in (0..n).rev() {
            let row = &self.lu[i * n + i + 1..(i + 1) * n];
            let sum: f64 = row.iter().zip(&x[i + 1..]).map(|(u, x)| u * x).sum();
            x[i] = (x[i] + sum) / self.pivots[i];
        }
        x
    }
}

/// The outcome of the detailed-balance check.
enum Stationary {
    /// Reversible, with `π` (sum 1, all entries positive and finite).
    Reversible(Vec<f64>),
    /// Some transition is one-way or detailed balance fails.
    NotReversible,
    /// Detailed balance may hold but `π` under- or overflows.
    Unrepresentable,
}

/// `π` along a breadth-first spanning tree from state 0, then detailed balance on every pair.
fn reversible_stationary(n: usize, rates: &[f64], tolerance: f64) -> Stationary {
    for i in 0..n {
        for j in i + 1..n {
            if (rates[i * n + j] > 0.0) != (rates[j * n + i] > 0.0) {
                return Stationary::NotReversible;
            }
        }
    }
    let mut pi = vec![0.0; n];
    let mut seen = vec![false; n];
    pi[0] = 1.0;
    seen[0] = true;
    let mut queue = std::collections::VecDeque::from([0]);
    while let Some(i) = queue.pop_front() {
        for j in 0..n {
            let w_ij = rates[i * n + j];
            if !seen[j] && w_ij > 0.0 {
                pi[j] = pi[i] * (w_ij / rates[j * n + i]);
                seen[j] = true;
                queue.push_back(j);
            }
        }
    }
    let total: f64 = pi.iter().sum();
    if !(total.is_finite() && pi.iter().all(|&p| p > 0.0 && p.is_finite())) {
        // the ratios along the tree left the range of f64: detailed balance cannot be
        // checked reliably either, so report the weights as unusable.
        return Stationary::Unrepresentable;
    }
    for p in &mut pi {
        *p /= total;
    }
    for i in 0..n {
        for j in i + 1..n {
            let w_ij = rates[i * n + j];
            if w_ij > 0.0 {
                let forward = pi[i] * w_ij;
                let backward = pi[j] * rates[j * n + i];
                // a NaN tolerance counts as a failure.
                let balanced = (forward - backward).abs() <= tolerance * forward.max(backward);
                if !balanced {
                    return Stationary::NotReversible;
                }
            }
        }
    }
    if pi.iter().any(|&p| p <= 0.0) {
        return Stationary::Unrepresentable;
    }
    Stationary::Reversible(pi)
}

/// What [`spectral_attempt`] needs from the GTH solution.
struct SpectralInput<'a> {
    n: usize,
    rates: &'a [f64],
    exits: &'a [f64],
    pi: &'a [f64],
    occupation: &'a [f64],
    escape_times: &'a [f64],
    exit_totals: &'a [f64],
}

/// A computed spectral representation with its check.
struct SpectralAttempt {
    spectral: Spectral,
    discrepancy: f64,
    mode_separation: Option<f64>,
}

/// Eigen-decomposition of the symmetrised `A`, optional refinement of slow decay rates, and
/// the check against GTH.
#[allow(clippy::cast_precision_loss)] // n is small; n as f64 is exact.
fn spectral_attempt(
    input: &SpectralInput<'_>,
    options: &BasinOptions,
) -> Result<SpectralAttempt, MeanRateReason> {
    let SpectralInput {
        n,
        rates,
        exits,
        pi,
        occupation,
        escape_times,
        exit_totals,
    } = *input;
    let sqrt_pi: Vec<f64> = pi.iter().map(|p| p.sqrt()).collect();
    let pi_min = pi.iter().copied().fold(f64::INFINITY, f64::min);
    let error_bound =
        n as f64 * f64::EPSILON * pi.iter().map(|&p| (p / pi_min).sqrt()).sum::<f64>();
    let well_conditioned = error_bound <= options.spectral_tolerance;
    if !well_conditioned {
        return Err(MeanRateReason::IllConditioned { error_bound });
    }

    // A_sym = −D^{1/2} Q D^{−1/2}: diagonal out_i + r_i, off-diagonal −√(w_ij w_ji).
    let mut symmetric = DMatrix::<f64>::zeros(n, n);
    let mut gershgorin: f64 = 0.0;
    for i in 0..n {
        let mut diagonal = exits[i];
        let mut off = 0.0;
        for j in 0..n {
            if j != i {
                let w_ij = rates[i * n + j];
                diagonal += w_ij;
                if w_ij > 0.0 {
                    let s_ij = w_ij.sqrt() * rates[j * n + i].sqrt();
                    symmetric[(i, j)] = -s_ij;
                    off += s_ij;
                }
            }
        }
        symmetric[(i, i)] = diagonal;
        gershgorin = gershgorin.max(diagonal + off);
    }
    let eigen = SymmetricEigen::try_new(symmetric, f64::EPSILON, 100 * n + 100)
        .ok_or(MeanRateReason::EigenFailed)?;
    let mut kappa: Vec<f64> = eigen.eigenvalues.iter().copied().collect();
    let v = &eigen.eigenvectors;

    if options.refine_slow_modes {
        // M = D^{1/2} N D^{−1/2}, symmetric for a reversible basin: M_ij = √(N_ij N_ji).
        let mut inverse = DMatrix::<f64>::zeros(n, n);
        for i in 0..n {
            for j in 0..n {
                inverse[(i, j)] = occupation[i * n + j].sqrt() * occupation[j * n + i].sqrt();
            }
        }
        let quotients: Vec<f64> = (0..n)
            .map(|k| {
                let column = v.column(k);
                column.dot(&(&inverse * column))
            })
            .collect();
        let inverse_norm = quotients.iter().copied().fold(0.0, f64::max);
        for (rate, &quotient) in kappa.iter_mut().zip(&quotients) {
            // error of κ from A: ε ‖A‖; from M: ε ‖M‖ κ². Keep the smaller.
            if quotient > 0.0 && !(*rate > 0.0 && *rate * *rate * inverse_norm >= gershgorin) {
                *rate = 1.0 / quotient;
            }
        }
    }
    if !kappa.iter().all(|&k| k.is_finite() && k > 0.0) {
        return Err(MeanRateReason::SpectralMismatch {
            discrepancy: f64::INFINITY,
        });
    }

    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| kappa[a].total_cmp(&kappa[b]));
    let kappa: Vec<f64> = order.iter().map(|&k| kappa[k]).collect();
    let mut vectors = vec![0.0; n * n];
    for i in 0..n {
        for (new, &old) in order.iter().enumerate() {
            vectors[i * n + new] = v[(i, old)];
        }
    }
    let weights: Vec<f64> = (0..n)
        .map(|k| (0..n).map(|i| vectors[i * n + k] * sqrt_pi[i]).sum())
        .collect();
    let spectral = Spectral {
        kappa,
        vectors,
        sqrt_pi,
        weights,
    };

    let discrepancy = discrepancy(&spectral, exits, occupation, escape_times, exit_totals);
    let mode_separation = (n >= 2).then(|| spectral.kappa[0] / spectral.kappa[1]);
    Ok(SpectralAttempt {
        spectral,
        discrepancy,
        mode_separation,
    })
}

/// The check against GTH: for every start `s`, the total variation between the spectral
/// occupation times `√(π_i/π_s) Σ_k V_sk V_ik / κ_k` and `N_s·` relative to `τ_s`, and
/// between the exit distributions; the largest over `s` (infinite if NaN appears).
fn discrepancy(
    spectral: &Spectral,
    exits: &[f64],
    occupation: &[f64],
    escape_times: &[f64],
    exit_totals: &[f64],
) -> f64 {
    let n = spectral.kappa.len();
    let mut discrepancy: f64 = 0.0;
    let mut scaled = vec![0.0; n];
    for s in 0..n {
        for (k, value) in scaled.iter_mut().enumerate() {
            *value = spectral.vectors[s * n + k] / spectral.kappa[k];
        }
        let mut occupation_error = 0.0;
        let mut exit_error = 0.0;
        for (i, &exit) in exits.iter().enumerate() {
            let row = &spectral.vectors[i * n..(i + 1) * n];
            let sum: f64 = scaled.iter().zip(row).map(|(a, b)| a * b).sum();
            let spectral_time = spectral.sqrt_pi[i] / spectral.sqrt_pi[s] * sum;
            let error = (spectral_time - occupation[s * n + i]).abs();
            occupation_error += error;
            exit_error += error * exit;
        }
        let worst = (occupation_error / escape_times[s]).max(exit_error / exit_totals[s]);
        discrepancy = if worst.is_nan() {
            f64::INFINITY
        } else {
            discrepancy.max(worst)
        };
    }
    discrepancy
}

/// The slowest mode as a distribution over states, `|V_i0| √π_i`: the quasi-stationary
/// distribution as far as the eigenvector is accurate, used to start the power iteration.
fn slow_vector(spectral: &Spectral) -> Vec<f64> {
    let n = spectral.kappa.len();
    (0..n)
        .map(|i| spectral.vectors[i * n].abs() * spectral.sqrt_pi[i])
        .collect()
}

/// Left power iteration `xᵀ ← xᵀ N / ‖xᵀ N‖₁` from `start`; returns the normalised vector
/// and the Perron root estimate `‖xᵀ N‖₁` (with `‖x‖₁ = 1`).
fn power_iteration(n: usize, occupation: &[f64], start: Vec<f64>) -> (Vec<f64>, f64) {
    let mut x = start;
    let total: f64 = x.iter().sum();
    if total > 0.0 && total.is_finite() {
        for v in &mut x {
            *v /= total;
        }
    } else {
        #[allow(clippy::cast_precision_loss)]
        x.fill(1.0 / n as f64);
    }
    let mut root = 0.0;
    let mut next = vec![0.0; n];
    for _ in 0..QSD_MAX_ITERATIONS {
        next.fill(0.0);
        for (i, &xi) in x.iter().enumerate() {
            if xi > 0.0 {
                let row = &occupation[i * n..(i + 1) * n];
                for (y, &value) in next.iter_mut().zip(row) {
                    *y += xi * value;
                }
            }
        }
        root = next.iter().sum();
        let mut change = 0.0;
        for (y, xi) in next.iter_mut().zip(&x) {
            *y /= root;
            change += (*y - xi).abs();
        }
        std::mem::swap(&mut x, &mut next);
        if change <= QSD_TOLERANCE {
            break;
        }
    }
    (x, root)
}

impl Spectral {
    /// `a_k = V_sk w_k / √π_s`, so that `S(t) = Σ_k a_k e^{−κ_k t}`.
    fn survival_coefficients(&self, s: usize) -> Vec<f64> {
        let n = self.kappa.len();
        (0..n)
            .map(|k| self.vectors[s * n + k] * self.weights[k] / self.sqrt_pi[s])
            .collect()
    }

    /// `(S(t), f(t))` for the coefficients of [`Spectral::survival_coefficients`].
    fn survival_density(&self, coefficients: &[f64], t: f64) -> (f64, f64) {
        let mut survival = 0.0;
        let mut density = 0.0;
        for (&a, &kappa) in coefficients.iter().zip(&self.kappa) {
            let term = a * (-kappa * t).exp();
            survival += term;
            density += term * kappa;
        }
        (survival, density)
    }

    /// `p_i(t)` for all `i`, starting in `s`, clamped to ≥ 0.
    fn state_weights(&self, s: usize, t: f64) -> Vec<f64> {
        let n = self.kappa.len();
        let decayed: Vec<f64> = (0..n)
            .map(|k| self.vectors[s * n + k] * (-self.kappa[k] * t).exp())
            .collect();
        (0..n)
            .map(|i| {
                let row = &self.vectors[i * n..(i + 1) * n];
                let sum: f64 = row.iter().zip(&decayed).map(|(v, d)| v * d).sum();
                (self.sqrt_pi[i] / self.sqrt_pi[s] * sum).max(0.0)
            })
            .collect()
    }

    /// The time `T ≤ upper` with `S(T) = u`, given `u ≥ S(upper)` (`upper` may be infinite;
    /// `tau` is the mean escape time, the scale of the first bracket).
    ///
    /// Works on `g(t) = ln S(t) − ln u`, decreasing from `g(0) = 0 ≥ ln u`: a bracket
    /// `[lo, hi]` with `g(lo) > 0 ≥ g(hi)`, Newton steps `t + g S / f` that stay inside it,
    /// and bisection (geometric when the bracket spans more than a factor 4) when a step
    /// leaves the bracket or the bracket stops halving.
    fn invert_survival(&self, coefficients: &[f64], u: f64, upper: f64, tau: f64) -> f64 {
        let target = u.ln();
        let evaluate = |t: f64| -> (f64, f64, f64) {
            let (survival, density) = self.survival_density(coefficients, t);
            let log = if survival > 0.0 {
                survival.ln()
            } else {
                f64::NEG_INFINITY
            };
            (log - target, survival, density)
        };
        if evaluate(0.0).0 <= 0.0 {
            return 0.0;
        }
        let mut lo = 0.0;
        let mut hi;
        if upper.is_finite() {
            hi = upper;
            if evaluate(hi).0 > 0.0 {
                // round-off at the boundary of the survival branch.
                return upper;
            }
        } else {
            hi = if tau > 0.0 && tau.is_finite() {
                tau
            } else {
                1.0
            };
            let mut doublings = 0;
            while evaluate(hi).0 > 0.0 {
                lo = hi;
                hi *= 2.0;
                doublings += 1;
                if doublings > 2100 || !hi.is_finite() {
                    return lo;
                }
            }
        }
        // first guess: the slowest mode alone, S ≈ a₀ e^{−κ₀ t}.
        let mut t = if coefficients[0] > 0.0 {
            (coefficients[0].ln() - target) / self.kappa[0]
        } else {
            f64::NAN
        };
        if !(t > lo && t < hi) {
            t = bisect(lo, hi);
        }
        let mut width_two_steps_ago = f64::INFINITY;
        let mut width_one_step_ago = hi - lo;
        for _ in 0..ROOT_MAX_ITERATIONS {
            let (g, survival, density) = evaluate(t);
            if g > 0.0 {
                lo = t;
            } else if g < 0.0 {
                hi = t;
            } else {
                return t;
            }
            let width = hi - lo;
            let mut next = t + g * survival / density;
            if !(next > lo && next < hi) || width > 0.5 * width_two_steps_ago {
                next = bisect(lo, hi);
            }
            width_two_steps_ago = width_one_step_ago;
            width_one_step_ago = width;
            if (next - t).abs() <= 2.0 * f64::EPSILON * next || width <= 2.0 * f64::EPSILON * hi {
                return next;
            }
            t = next;
        }
        t
    }
}

/// The midpoint of `[lo, hi]`, geometric when `lo > 0` and the bracket spans more than a
/// factor 4 (so that brackets over many decades shrink in few steps).
fn bisect(lo: f64, hi: f64) -> f64 {
    if lo > 0.0 && hi > 4.0 * lo {
        (lo * hi).sqrt()
    } else {
        0.5 * (lo + hi)
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
mod tests {
    use super::*;

    /// A small basin with varied rates (not reversible) for the elimination tests.
    fn general_basin() -> (usize, Vec<f64>, Vec<f64>) {
        let n = 4;
        let fast = [
            (0, 1, 3.0),
            (1, 0, 0.5),
            (1, 2, 2.0),
            (2, 3, 7.0),
            (3, 0, 1.5),
            (2, 0, 0.25),
        ];
        let exits = vec![0.0, 0.1, 0.0, 0.3];
        let mut dense = vec![0.0; n * n];
        for (i, j, w) in fast {
            dense[i * n + j] += w;
        }
        (n, dense, exits)
    }

    /// GTH solves agree with nalgebra's LU on a well-conditioned basin to 1e-13 relative.
    #[test]
    fn gth_solve_matches_lu() {
        let (n, rates, exits) = general_basin();
        let gth = Gth::factor(n, &rates, &exits).unwrap();
        let mut a = DMatrix::<f64>::zeros(n, n);
        for i in 0..n {
            let mut d = exits[i];
            for j in 0..n {
                if j != i {
                    a[(i, j)] = -rates[i * n + j];
                    d += rates[i * n + j];
                }
            }
            a[(i, i)] = d;
        }
        let lu = a.clone().lu();
        for b in [vec![1.0, 1.0, 1.0, 1.0], vec![0.0, 2.0, 0.5, 0.0]] {
            let x = gth.solve(&b);
            let reference = lu.solve(&nalgebra::DVector::from_vec(b.clone())).unwrap();
            for i in 0..n {
                assert!(
                    (x[i] - reference[i]).abs() <= 1e-13 * reference[i].abs(),
                    "{x:?} vs {reference}"
                );
            }
        }
    }

    #[test]
    fn draw_weighted_edges() {
        assert_eq!(draw_weighted(&[0.0, 0.0], 0.5), None);
        assert_eq!(draw_weighted(&[0.0, 2.0, 0.0], 1.0), Some(1));
        assert_eq!(draw_weighted(&[0.0, 2.0, 0.0], 1e-16), Some(1));
        assert_eq!(draw_weighted(&[1.0, 0.0, 3.0], 0.25), Some(0));
        assert_eq!(draw_weighted(&[1.0, 0.0, 3.0], 0.250_000_1), Some(2));
        assert_eq!(draw_weighted(&[f64::INFINITY, 1.0], 0.5), None);
    }

    /// A single state: S(t) = e^{−r t}, so the inversion must return −ln(u)/r to 1e-14.
    #[test]
    fn single_state_inverts_exponential() {
        let basin = BasinSolution::new(1, &[], &[2.5]).unwrap();
        assert!(basin.is_exact());
        let sp = basin.spectral.as_ref().unwrap();
        let coefficients = sp.survival_coefficients(0);
        for u in [1.0, 0.999_999, 0.5, 1e-3, 1.1e-16] {
            let t = sp.invert_survival(&coefficients, u, f64::INFINITY, 0.4);
            let expected = -u.ln() / 2.5;
            assert!(
                (t - expected).abs() <= 1e-14 * expected.max(1e-300),
                "u {u}: {t} vs {expected}"
            );
        }
    }

    /// The power iteration finds the left Perron vector of N for the non-reversible basin:
    /// νᵀ N = ρ ν to 1e-12 relative per entry.
    #[test]
    fn quasi_stationary_is_left_perron_vector() {
        let fast = [
            (0, 1, 3.0),
            (1, 0, 0.5),
            (1, 2, 2.0),
            (2, 3, 7.0),
            (3, 0, 1.5),
            (2, 0, 0.25),
        ];
        let basin = BasinSolution::new(4, &fast, &[0.0, 0.1, 0.0, 0.3]).unwrap();
        assert_eq!(
            basin.method(),
            Method::MeanRate(MeanRateReason::NotReversible)
        );
        let nu = basin.quasi_stationary();
        let rho = 1.0 / basin.slowest_rate();
        for j in 0..4 {
            let product: f64 = (0..4).map(|i| nu[i] * basin.occupation_times(i)[j]).sum();
            assert!((product - rho * nu[j]).abs() <= 1e-12 * rho * nu[j]);
        }
    }

    #[test]
    fn method_display_names_the_reason() {
        assert!(Method::Exact.to_string().starts_with("exact"));
        let text = Method::MeanRate(MeanRateReason::NotReversible).to_string();
        assert!(text.contains("not reversible"), "{text}");
    }
}
