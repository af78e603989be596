//! The spectral representation of a reversible basin: detailed balance, the symmetric
//! eigen-decomposition with its slow modes refined from GTH, the check against GTH, and the
//! inversion of the survival function (see the parent module's documentation).

use nalgebra::{DMatrix, SymmetricEigen};

use super::{BasinOptions, MeanRateReason, ROOT_MAX_ITERATIONS};

/// The spectral representation of a reversible basin (see the module documentation).
#[derive(Debug, Clone)]
pub(super) struct Spectral {
    /// Decay rates `κ_k > 0` [s⁻¹], ascending.
    pub(super) kappa: Vec<f64>,
    /// Orthonormal eigenvectors, row-major: `vectors[i * n + k] = V_ik`.
    pub(super) vectors: Vec<f64>,
    /// `√π_i`, with `Σ π = 1`.
    pub(super) sqrt_pi: Vec<f64>,
    /// `Σ_i V_ik √π_i` for each mode `k`.
    pub(super) weights: Vec<f64>,
}

/// The outcome of the detailed-balance check.
pub(super) enum Stationary {
    /// Reversible, with `π` (sum 1, all entries positive and finite).
    Reversible(Vec<f64>),
    /// Some transition is one-way or detailed balance fails.
    NotReversible,
    /// Detailed balance may hold but `π` under- or overflows.
    Unrepresentable,
}

/// `π` along a breadth-first spanning tree from state 0, then detailed balance on every pair.
pub(super) fn reversible_stationary(n: usize, rates: &[f64], tolerance: f64) -> Stationary {
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
pub(super) struct SpectralInput<'a> {
    pub(super) n: usize,
    pub(super) rates: &'a [f64],
    pub(super) exits: &'a [f64],
    pub(super) pi: &'a [f64],
    pub(super) occupation: &'a [f64],
    pub(super) escape_times: &'a [f64],
    pub(super) exit_totals: &'a [f64],
}

/// A computed spectral representation with its check.
pub(super) struct SpectralAttempt {
    pub(super) spectral: Spectral,
    pub(super) discrepancy: f64,
    pub(super) mode_separation: Option<f64>,
}

/// Eigen-decomposition of the symmetrised `A`, optional refinement of slow decay rates, and
/// the check against GTH.
#[allow(clippy::cast_precision_loss)] // n is small; n as f64 is exact.
pub(super) fn spectral_attempt(
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
pub(super) fn discrepancy(
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
pub(super) fn slow_vector(spectral: &Spectral) -> Vec<f64> {
    let n = spectral.kappa.len();
    (0..n)
        .map(|i| spectral.vectors[i * n].abs() * spectral.sqrt_pi[i])
        .collect()
}

impl Spectral {
    /// `a_k = V_sk w_k / √π_s`, so that `S(t) = Σ_k a_k e^{−κ_k t}`.
    pub(super) fn survival_coefficients(&self, s: usize) -> Vec<f64> {
        let n = self.kappa.len();
        (0..n)
            .map(|k| self.vectors[s * n + k] * self.weights[k] / self.sqrt_pi[s])
            .collect()
    }

    /// `(S(t), f(t))` for the coefficients of [`Spectral::survival_coefficients`].
    pub(super) fn survival_density(&self, coefficients: &[f64], t: f64) -> (f64, f64) {
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
    pub(super) fn state_weights(&self, s: usize, t: f64) -> Vec<f64> {
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
    pub(super) fn invert_survival(
        &self,
        coefficients: &[f64],
        u: f64,
        upper: f64,
        tau: f64,
    ) -> f64 {
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
pub(super) fn bisect(lo: f64, hi: f64) -> f64 {
    if lo > 0.0 && hi > 4.0 * lo {
        (lo * hi).sqrt()
    } else {
        0.5 * (lo + hi)
    }
}
