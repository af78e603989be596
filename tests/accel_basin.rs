//! Escape from a basin of fast states (`accel::basin`): closed forms for two states and the
//! chain A ⇄ B → exit at separations 10²…10¹⁴ (GTH to 1e-12 relative), the spectral law
//! against an independent uniformization of the sub-generator, sampled escape times by a
//! Kolmogorov–Smirnov test and exit states by χ² (20 000 samples, rejection at the 0.1 %
//! level), the survival branch, a brute-force Gillespie simulation of the same chain, the
//! mean-rate fallback, determinism, and invalid input.
//!
//! Statistical thresholds (all at the 0.1 % level, so a correct sampler fails a given test
//! with probability ≤ 10⁻³; the seeds are fixed, so the outcome is deterministic):
//! - one-sample KS: `D √N < 1.9495` (asymptotic Kolmogorov quantile);
//! - two-sample KS: `D √(N M / (N + M)) < 1.9495`;
//! - χ² with `k` degrees of freedom: the 0.999 quantiles in [`CHI2_999`];
//! - proportions and means: |z| < 3.29.

use nanokmc::accel::basin::{
    BasinError, BasinOptions, BasinOutcome, BasinSolution, MeanRateReason, Method,
};
use nanokmc::rng::{self, Rng, uniform_open01};
use proptest::prelude::*;
use rand_core::RngCore;

/// 0.999 quantiles of χ² with 1…7 degrees of freedom (index = degrees of freedom).
const CHI2_999: [f64; 8] = [
    f64::NAN,
    10.828,
    13.816,
    16.266,
    18.467,
    20.515,
    22.458,
    24.322,
];
/// Kolmogorov distribution quantile at 0.999.
const KS_999: f64 = 1.9495;
/// Two-sided normal quantile at 0.999.
const Z_999: f64 = 3.29;
/// Number of samples of the statistical tests.
const SAMPLES: usize = 20_000;

type Fast = Vec<(usize, usize, f64)>;

// ---------------------------------------------------------------------------------------
// Test basins and independent references.

/// Reversible rates between states with energies `e` (units of kT) over barriers `b`:
/// `w_ij = ν exp(−(b − e_i))`, so that `π ∝ exp(−e)`.
fn arrhenius_pair(fast: &mut Fast, i: usize, j: usize, e: &[f64], barrier: f64, nu: f64) {
    fast.push((i, j, nu * (-(barrier - e[i])).exp()));
    fast.push((j, i, nu * (-(barrier - e[j])).exp()));
}

/// A reversible ring of 8 states, fast rates ~1–7 s⁻¹, exits from states 2, 5, 6 of
/// 0.5–1.5 s⁻¹: escape times from state 0 are far from exponential.
fn ring8() -> (usize, Fast, Vec<f64>) {
    let e: [f64; 8] = [0.0, 0.5, 1.2, 0.3, 0.8, 0.1, 1.5, 0.6];
    let mut fast = Vec::new();
    for i in 0..8 {
        let j = (i + 1) % 8;
        #[allow(clippy::cast_precision_loss)]
        let barrier = e[i].max(e[j]) + 0.4 + 0.1 * i as f64;
        arrhenius_pair(&mut fast, i, j, &e, barrier, 10.0);
    }
    let exits = vec![0.0, 0.0, 0.5, 0.0, 0.0, 1.5, 0.8, 0.0];
    (8, fast, exits)
}

/// A reversible line of 6 states, fast rates ~6–12 s⁻¹, exits from states 1 (0.3 s⁻¹) and
/// 5 (1 s⁻¹): a moderately separated basin.
fn line6() -> (usize, Fast, Vec<f64>) {
    let e: [f64; 6] = [0.0, 0.4, 0.1, 0.8, 0.3, 0.5];
    let mut fast = Vec::new();
    for i in 0..5 {
        arrhenius_pair(&mut fast, i, i + 1, &e, e[i].max(e[i + 1]) + 0.5, 20.0);
    }
    (6, fast, vec![0.0, 0.3, 0.0, 0.0, 0.0, 1.0])
}

/// A reversible line of 5 states with fast rates ~10¹² s⁻¹ × Boltzmann factors and exits
/// from states 2 and 4 that are `separation` times slower.
fn separated_line(separation: f64) -> (usize, Fast, Vec<f64>) {
    let e = [0.0, 0.7, 0.2, 1.1, 0.4];
    let mut fast = Vec::new();
    for i in 0..4 {
        arrhenius_pair(&mut fast, i, i + 1, &e, 1.5, 1e12);
    }
    let exit = 1e12 / separation;
    (5, fast, vec![0.0, 0.0, exit, 0.0, 2.0 * exit])
}

/// Dense off-diagonal rates and total out rates `d_i = Σ_j w_ij + r_i`.
fn dense(n: usize, fast: &[(usize, usize, f64)], exits: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut w = vec![0.0; n * n];
    for &(i, j, rate) in fast {
        if i != j {
            w[i * n + j] += rate;
        }
    }
    let d = (0..n)
        .map(|i| w[i * n..(i + 1) * n].iter().sum::<f64>() + exits[i])
        .collect();
    (w, d)
}

/// `p(t) = e_sᵀ exp(Q t)` by uniformization (an independent, subtraction-free reference):
/// `Σ_k Poisson(k; Λt) e_sᵀ Pᵏ` with `P = I + Q/Λ ≥ 0`, summed to `Λt + 12√(Λt) + 60`
/// terms (truncation below 10⁻²⁰ for the sizes used here).
fn uniformization(
    n: usize,
    fast: &[(usize, usize, f64)],
    exits: &[f64],
    s: usize,
    t: f64,
) -> Vec<f64> {
    let (w, d) = dense(n, fast, exits);
    let lambda = d.iter().copied().fold(0.0, f64::max) * 1.05;
    let lt = lambda * t;
    assert!(
        lt < 700.0,
        "uniformization reference limited to Λt < 700, got {lt}"
    );
    let terms = (lt + 12.0 * lt.sqrt() + 60.0).ceil();
    let mut v = vec![0.0; n];
    v[s] = 1.0;
    let mut weight = (-lt).exp();
    let mut result: Vec<f64> = v.iter().map(|x| x * weight).collect();
    let mut k = 1.0;
    while k <= terms {
        let mut next = vec![0.0; n];
        for i in 0..n {
            next[i] += v[i] * (1.0 - d[i] / lambda);
            for j in 0..n {
                next[j] += v[i] * w[i * n + j] / lambda;
            }
        }
        v = next;
        weight *= lt / k;
        for i in 0..n {
            result[i] += weight * v[i];
        }
        k += 1.0;
    }
    result
}

/// One-sample Kolmogorov–Smirnov statistic of `samples` against the CDF `cdf`.
fn ks_statistic(samples: &mut [f64], cdf: impl Fn(f64) -> f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    #[allow(clippy::cast_precision_loss)]
    let n = samples.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &x) in samples.iter().enumerate() {
        let f = cdf(x);
        #[allow(clippy::cast_precision_loss)]
        let i = i as f64;
        d = d.max((i + 1.0) / n - f).max(f - i / n);
    }
    d
}

/// Two-sample Kolmogorov–Smirnov statistic.
fn ks_two_sample(a: &mut [f64], b: &mut [f64]) -> f64 {
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    #[allow(clippy::cast_precision_loss)]
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0.0_f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        #[allow(clippy::cast_precision_loss)]
        let gap = (i as f64 / na - j as f64 / nb).abs();
        d = d.max(gap);
    }
    d
}

/// Pearson χ² of `counts` against `probabilities` (cells with zero probability must be
/// empty and are skipped) and its degrees of freedom.
fn chi_square(counts: &[usize], probabilities: &[f64]) -> (f64, usize) {
    #[allow(clippy::cast_precision_loss)]
    let total = counts.iter().sum::<usize>() as f64;
    let mut chi2 = 0.0;
    let mut cells = 0;
    for (&c, &p) in counts.iter().zip(probabilities) {
        #[allow(clippy::cast_precision_loss)]
        let c = c as f64;
        if p > 0.0 {
            let expected = total * p;
            chi2 += (c - expected).powi(2) / expected;
            cells += 1;
        } else {
            assert!(c == 0.0, "a zero-probability cell was drawn {c} times");
        }
    }
    (chi2, cells - 1)
}

/// Draws `SAMPLES` outcomes from state `s` with horizon `h`; returns the escape times, the
/// counts of exit states and the counts of survival states.
fn draw_many(
    basin: &BasinSolution,
    s: usize,
    h: f64,
    seed: u64,
) -> (Vec<f64>, Vec<usize>, Vec<usize>) {
    let n = basin.n_states();
    let mut rng = rng::stream(seed, 0);
    let mut times = Vec::new();
    let mut exits = vec![0; n];
    let mut survivors = vec![0; n];
    for _ in 0..SAMPLES {
        match basin.sample(s, h, &mut rng) {
            BasinOutcome::Escape { time, state } => {
                assert!(
                    time >= 0.0 && time <= h,
                    "escape time {time} outside [0, {h}]"
                );
                times.push(time);
                exits[state] += 1;
            }
            BasinOutcome::Survived { state } => survivors[state] += 1,
        }
    }
    (times, exits, survivors)
}

fn relative_error(value: f64, reference: f64) -> f64 {
    ((value - reference) / reference).abs()
}

// ---------------------------------------------------------------------------------------
// Closed forms and GTH accuracy.

/// Two states with rates a (0→1), b (1→0) and exits r0, r1: with
/// `det = a r1 + b r0 + r0 r1`, `τ_0 = (a + b + r1)/det`, `τ_1 = (a + b + r0)/det`, and from
/// state 0 the exit is from 0 with probability `r0 (b + r1)/det`, from 1 with `r1 a/det`.
/// GTH values to 1e-13 relative, including a 10¹⁴-separated and a one-way case.
#[test]
fn two_states_match_closed_form() {
    let cases = [
        (1.0, 2.0, 0.5, 0.25),
        (3.0, 0.5, 0.0, 4.0),
        (1e12, 3e11, 1e-2, 4e-3),
        (7e12, 1e13, 0.0, 3e-2),
        (2.0, 0.0, 0.0, 1.0),
        (1e-3, 5e-4, 2e6, 1e6),
    ];
    for (a, b, r0, r1) in cases {
        let fast = [(0, 1, a), (1, 0, b)];
        let basin = BasinSolution::new(2, &fast, &[r0, r1]).unwrap();
        let det = a * r1 + b * r0 + r0 * r1;
        let tau = [(a + b + r1) / det, (a + b + r0) / det];
        for (s, &tau_s) in tau.iter().enumerate() {
            let err = relative_error(basin.mean_escape_time(s), tau_s);
            assert!(err < 1e-13, "case {a},{b},{r0},{r1} τ_{s}: {err:e}");
            let occupation: f64 = basin.occupation_times(s).iter().sum();
            assert!(relative_error(occupation, tau_s) < 1e-13);
        }
        let q = basin.exit_distribution(0);
        let expected = [r0 * (b + r1) / det, r1 * a / det];
        for i in 0..2 {
            if expected[i] == 0.0 {
                assert!(q[i] == 0.0, "{q:?}");
            } else {
                assert!(
                    relative_error(q[i], expected[i]) < 1e-13,
                    "{q:?} vs {expected:?}"
                );
            }
        }
    }
}

/// The chain A ⇄ B → exit (rates k_ab, k_ba, exit k_c from B only):
/// `τ_A = ((k_ba + k_c)/k_ab + 1)/k_c`, `τ_B = (k_ba/k_ab + 1)/k_c`, exit always from B, and
/// slowest decay rate `κ₀ = 2 k_ab k_c / (T + √((k_ab − k_c)² + k_ba² + 2 k_ba (k_ab + k_c)))`
/// with `T = k_ab + k_ba + k_c`. At separations 10², 10⁴, 10⁸, 10¹⁴ and two rate scales:
/// τ to 1e-12 relative, κ₀ to 1e-12 relative, exit distribution exactly [0, 1], and the
/// exact law in use (with slow-mode refinement).
#[test]
fn chain_mean_time_at_separations() {
    for separation in [1e2, 1e4, 1e8, 1e14] {
        for (k_ab, k_ba) in [(1e12, 4e11), (3.0, 7.0)] {
            let k_c = k_ab / separation;
            let basin = BasinSolution::new(2, &[(0, 1, k_ab), (1, 0, k_ba)], &[0.0, k_c]).unwrap();
            let tau_a = ((k_ba + k_c) / k_ab + 1.0) / k_c;
            let tau_b = (k_ba / k_ab + 1.0) / k_c;
            let label = format!("separation {separation:e}, k_ab {k_ab:e}");
            assert!(
                relative_error(basin.mean_escape_time(0), tau_a) < 1e-12,
                "{label}"
            );
            assert!(
                relative_error(basin.mean_escape_time(1), tau_b) < 1e-12,
                "{label}"
            );
            assert_eq!(basin.exit_distribution(0), vec![0.0, 1.0], "{label}");
            let t = k_ab + k_ba + k_c;
            let root = ((k_ab - k_c).powi(2) + k_ba * k_ba + 2.0 * k_ba * (k_ab + k_c)).sqrt();
            let kappa0 = 2.0 * k_ab * k_c / (t + root);
            let err = relative_error(basin.slowest_rate(), kappa0);
            assert!(err < 1e-12, "{label}: κ₀ {err:e}");
            assert!(basin.is_exact(), "{label}: {}", basin.method());
        }
    }
}

/// Without the slow-mode refinement the eigensolver loses κ₀ at a separation of 10¹⁴ and
/// the check against GTH must catch it (discrepancy > 1e-8 → mean-rate); with it, the same
/// basin is exact with a discrepancy below 1e-12.
#[test]
fn lost_slow_mode_is_detected() {
    let (n, fast, exits) = separated_line(1e14);
    let plain = BasinOptions {
        refine_slow_modes: false,
        ..BasinOptions::default()
    };
    let basin = BasinSolution::with_options(n, &fast, &exits, &plain).unwrap();
    match basin.method() {
        Method::MeanRate(MeanRateReason::SpectralMismatch { discrepancy }) => {
            assert!(discrepancy > 1e-8, "{discrepancy}");
        }
        other => panic!("expected a spectral mismatch, got {other}"),
    }
    assert!(!basin.is_exact());
    let refined = BasinSolution::new(n, &fast, &exits).unwrap();
    assert!(refined.is_exact(), "{}", refined.method());
    assert!(refined.spectral_discrepancy().unwrap() < 1e-12);
    // κ₀/κ₁ of order 10⁻¹⁴: the mean-rate approximation is then accurate to that order.
    assert!(refined.mode_separation().unwrap() < 1e-12);
}

/// Birth–death reference: on the line with exit only from the last state, the mean time to
/// step from k to k + 1 obeys `T_k = 1/u_k + (d_k/u_k) T_{k−1}` (all terms positive), and
/// `τ_s = Σ_{k≥s} T_k`. GTH agrees to 1e-12 relative for separations up to 10¹⁶, for every
/// start, and the exit distribution is exactly the last state.
#[test]
fn birth_death_line_matches_recursion() {
    let e = [0.0, 0.9, 0.3, 1.4, 0.2, 0.6];
    let n = e.len();
    for separation in [1e3, 1e9, 1e14, 1e16] {
        let mut fast = Vec::new();
        for i in 0..n - 1 {
            arrhenius_pair(&mut fast, i, i + 1, &e, 2.0, 1e12);
        }
        let exit = 1e12 / separation;
        let mut exits = vec![0.0; n];
        exits[n - 1] = exit;
        let up = |k: usize| {
            if k + 1 < n {
                1e12 * (-(2.0 - e[k])).exp()
            } else {
                exit
            }
        };
        let down = |k: usize| 1e12 * (-(2.0 - e[k])).exp();
        let mut step = vec![0.0; n];
        step[0] = 1.0 / up(0);
        for k in 1..n {
            step[k] = 1.0 / up(k) + down(k) / up(k) * step[k - 1];
        }
        let basin = BasinSolution::new(n, &fast, &exits).unwrap();
        for s in 0..n {
            let tau: f64 = step[s..].iter().sum();
            let err = relative_error(basin.mean_escape_time(s), tau);
            assert!(err < 1e-12, "separation {separation:e}, start {s}: {err:e}");
            let q = basin.exit_distribution(s);
            assert!(q[n - 1] == 1.0 && q[..n - 1].iter().all(|&x| x == 0.0));
        }
    }
}

// ---------------------------------------------------------------------------------------
// The spectral law against uniformization.

/// `state_distribution`, `survival` and `escape_density` of the exact law against the
/// uniformization of the sub-generator at t ∈ {0.05, 0.3, 1, 2.5, 6} τ_s for every start of
/// the ring: p_i(t) to 1e-11 absolute, S(t) to 1e-11 absolute, f(t) = Σ p_i r_i to 1e-10.
#[test]
fn spectral_law_matches_uniformization() {
    let (n, fast, exits) = ring8();
    let basin = BasinSolution::new(n, &fast, &exits).unwrap();
    assert!(basin.is_exact(), "{}", basin.method());
    for s in 0..n {
        let tau = basin.mean_escape_time(s);
        for factor in [0.05, 0.3, 1.0, 2.5, 6.0] {
            let t = factor * tau;
            let reference = uniformization(n, &fast, &exits, s, t);
            let p = basin.state_distribution(s, t);
            for i in 0..n {
                assert!((p[i] - reference[i]).abs() < 1e-11, "s {s} t {t} i {i}");
            }
            let survival: f64 = reference.iter().sum();
            assert!((basin.survival(s, t) - survival).abs() < 1e-11);
            let density: f64 = reference.iter().zip(&exits).map(|(p, r)| p * r).sum();
            assert!((basin.escape_density(s, t) - density).abs() < 1e-10);
        }
        assert!((basin.survival(s, 0.0) - 1.0).abs() < 1e-13);
    }
}

/// At a separation of 10¹⁴ the exact law is (numerically) the mean-rate law: S(t) equals
/// exp(−t/τ_0) to 1e-10 relative at t ∈ {0.1, 1, 5} τ_0, and p(t)/S(t) equals the
/// quasi-stationary distribution to 1e-10 absolute.
#[test]
fn extreme_separation_reduces_to_mean_rate_law() {
    let (n, fast, exits) = separated_line(1e14);
    let basin = BasinSolution::new(n, &fast, &exits).unwrap();
    assert!(basin.is_exact());
    let tau = basin.mean_escape_time(0);
    for factor in [0.1, 1.0, 5.0] {
        let t = factor * tau;
        let survival = basin.survival(0, t);
        assert!(
            relative_error(survival, (-factor).exp()) < 1e-10,
            "t = {factor} τ"
        );
        let p = basin.state_distribution(0, t);
        for (pi, nu) in p.iter().zip(basin.quasi_stationary()) {
            assert!((pi / survival - nu).abs() < 1e-10);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sampling.

/// Escape times of the exact sampler from state 0 of the ring (h = ∞, N = 20 000) against
/// S(t) (validated against uniformization above): KS `D √N < 1.9495`; exit states against
/// `exit_distribution(0)`: χ² (2 degrees of freedom) < 13.816; sample mean within 3.29
/// standard errors of τ_0.
#[test]
fn ring_escape_times_and_states_match_exact_law() {
    let (n, fast, exits) = ring8();
    let basin = BasinSolution::new(n, &fast, &exits).unwrap();
    assert!(basin.is_exact());
    let (mut times, exit_counts, survivors) = draw_many(&basin, 0, f64::INFINITY, 11);
    assert!(survivors.iter().all(|&c| c == 0));
    assert_eq!(times.len(), SAMPLES);
    #[allow(clippy::cast_precision_loss)]
    let n_samples = SAMPLES as f64;
    let mean = times.iter().sum::<f64>() / n_samples;
    let var = times.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n_samples - 1.0);
    let tau = basin.mean_escape_time(0);
    let z = (mean - tau) / (var / n_samples).sqrt();
    assert!(z.abs() < Z_999, "mean {mean} vs τ {tau}: z = {z}");
    let d = ks_statistic(&mut times, |t| 1.0 - basin.survival(0, t));
    assert!(d * n_samples.sqrt() < KS_999, "KS D = {d}");
    // the law is far from exponential: the exponential with mean τ_0 is rejected.
    let d_exponential = ks_statistic(&mut times, |t| 1.0 - (-t / tau).exp());
    assert!(
        d_exponential * n_samples.sqrt() > 5.0 * KS_999,
        "{d_exponential}"
    );
    let (chi2, dof) = chi_square(&exit_counts, &basin.exit_distribution(0));
    eprintln!(
        "ring: z = {z:.3}, KS D√N = {:.3}, exit χ² = {chi2:.3}",
        d * n_samples.sqrt()
    );
    assert_eq!(dof, 2);
    assert!(chi2 < CHI2_999[dof], "χ² = {chi2}, counts {exit_counts:?}");
}

/// The joint law of (escape time, exit state): from state 0 of the ring, the exit states
/// of escapes before and after t_m = 0.5 τ_0 (6 cells) against
/// `r_i ∫₀^{t_m} p_i dt = r_i (N_0i − (p(t_m)ᵀ N)_i)` and `r_i (p(t_m)ᵀ N)_i`, with p(t_m)
/// from uniformization: χ² (5 degrees of freedom) < 20.515 for N = 20 000. Drawing the
/// state independently of the time fails this test.
#[test]
fn ring_exit_state_depends_on_escape_time() {
    let (n, fast, exits) = ring8();
    let basin = BasinSolution::new(n, &fast, &exits).unwrap();
    let t_m = 0.5 * basin.mean_escape_time(0);
    let p_m = uniformization(n, &fast, &exits, 0, t_m);
    let late: Vec<f64> = (0..n)
        .map(|j| {
            (0..n)
                .map(|i| p_m[i] * basin.occupation_times(i)[j])
                .sum::<f64>()
        })
        .collect();
    let mut probabilities = vec![0.0; 2 * n];
    for i in 0..n {
        probabilities[i] = exits[i] * (basin.occupation_times(0)[i] - late[i]);
        probabilities[n + i] = exits[i] * late[i];
    }
    let mut counts = vec![0; 2 * n];
    let mut rng = rng::stream(13, 0);
    for _ in 0..SAMPLES {
        match basin.sample(0, f64::INFINITY, &mut rng) {
            BasinOutcome::Escape { time, state } => {
                counts[if time <= t_m { state } else { n + state }] += 1;
            }
            BasinOutcome::Survived { .. } => panic!("no horizon, no survivors"),
        }
    }
    let (chi2, dof) = chi_square(&counts, &probabilities);
    eprintln!("ring joint: χ² = {chi2:.3} ({dof} dof), {counts:?}");
    assert_eq!(dof, 5);
    assert!(
        chi2 < CHI2_999[dof],
        "χ² = {chi2}, {counts:?} vs {probabilities:?}"
    );
}

/// The survival branch at a horizon h = 0.7 τ_0 (S(h) ≈ 0.5) on the ring, N = 20 000: the
/// fraction of survivors against S(h) from uniformization (binomial |z| < 3.29), survival
/// states against p(h)/S(h) from uniformization (χ², 7 degrees of freedom, < 24.322), escape
/// times all ≤ h and distributed as (1 − S(t))/(1 − S(h)) (KS at 0.1 %), exit states of
/// escapes before h against `∫₀ʰ p_i r_i dt / (1 − S(h))` (χ², 2 degrees of freedom).
#[test]
fn survival_branch_matches_conditional_law() {
    let (n, fast, exits) = ring8();
    let basin = BasinSolution::new(n, &fast, &exits).unwrap();
    let h = 0.7 * basin.mean_escape_time(0);
    let reference = uniformization(n, &fast, &exits, 0, h);
    let survival: f64 = reference.iter().sum();
    assert!(survival > 0.3 && survival < 0.7, "{survival}");
    let (mut times, exit_counts, survivors) = draw_many(&basin, 0, h, 12);
    let survived: usize = survivors.iter().sum();
    #[allow(clippy::cast_precision_loss)]
    let (k, n_samples) = (survived as f64, SAMPLES as f64);
    let z = (k - n_samples * survival) / (n_samples * survival * (1.0 - survival)).sqrt();
    assert!(
        z.abs() < Z_999,
        "survivors {survived}, S(h) = {survival}: z = {z}"
    );
    let conditional: Vec<f64> = reference.iter().map(|p| p / survival).collect();
    let (chi2, dof) = chi_square(&survivors, &conditional);
    assert_eq!(dof, 7);
    assert!(
        chi2 < CHI2_999[dof],
        "χ² = {chi2}, {survivors:?} vs {conditional:?}"
    );
    #[allow(clippy::cast_precision_loss)]
    let n_escapes = times.len() as f64;
    let d = ks_statistic(&mut times, |t| {
        (1.0 - basin.survival(0, t)) / (1.0 - survival)
    });
    assert!(d * n_escapes.sqrt() < KS_999, "KS D = {d}");
    // exit probabilities before h by the trapezoidal rule on 2000 uniformization points is
    // too slow; use the exact identity ∫₀ʰ p dt = N_0· − p(h)ᵀ N (occupation after h).
    let occupation: Vec<f64> = basin.occupation_times(0).to_vec();
    let after: Vec<f64> = (0..n)
        .map(|j| {
            (0..n)
                .map(|i| reference[i] * basin.occupation_times(i)[j])
                .sum()
        })
        .collect();
    let early: Vec<f64> = (0..n)
        .map(|i| (occupation[i] - after[i]) * exits[i] / (1.0 - survival))
        .collect();
    let (chi2, dof) = chi_square(&exit_counts, &early);
    assert_eq!(dof, 2);
    assert!(
        chi2 < CHI2_999[dof],
        "χ² = {chi2}, {exit_counts:?} vs {early:?}"
    );
}

/// Brute force: a plain Gillespie simulation of the line (fast hops and exits as ordinary
/// events, 20 000 runs from state 0) against the exact sampler and the GTH/spectral values:
/// two-sample KS of the escape times (`D √(NM/(N+M)) < 1.9495`), one-sample KS of the
/// Gillespie times against S(t), χ² (1 degree of freedom, < 10.828) of the Gillespie exit
/// states against `exit_distribution(0)`, and the Gillespie mean within 3.29 standard errors
/// of τ_0.
#[test]
fn gillespie_brute_force_agrees() {
    let (n, fast, exits) = line6();
    let basin = BasinSolution::new(n, &fast, &exits).unwrap();
    assert!(basin.is_exact());
    let (w, d) = dense(n, &fast, &exits);
    let mut rng = rng::stream(21, 0);
    let mut gillespie_times = Vec::with_capacity(SAMPLES);
    let mut gillespie_exits = vec![0; n];
    for _ in 0..SAMPLES {
        let mut state = 0;
        let mut time = 0.0;
        loop {
            time += rng::exponential(&mut rng, d[state]);
            let target = uniform_open01(&mut rng) * d[state];
            let mut cumulative = exits[state];
            if target <= cumulative {
                gillespie_times.push(time);
                gillespie_exits[state] += 1;
                break;
            }
            let mut next = None;
            for j in 0..n {
                let rate = w[state * n + j];
                if rate > 0.0 {
                    cumulative += rate;
                    next = Some(j);
                    if target <= cumulative {
                        break;
                    }
                }
            }
            state = next.expect("a state with fast transitions");
        }
    }
    let (mut sampled, _, _) = draw_many(&basin, 0, f64::INFINITY, 22);
    #[allow(clippy::cast_precision_loss)]
    let n_samples = SAMPLES as f64;
    let d2 = ks_two_sample(&mut gillespie_times.clone(), &mut sampled);
    assert!(
        d2 * (n_samples / 2.0).sqrt() < KS_999,
        "two-sample KS D = {d2}"
    );
    let d1 = ks_statistic(&mut gillespie_times, |t| 1.0 - basin.survival(0, t));
    assert!(d1 * n_samples.sqrt() < KS_999, "KS D = {d1}");
    let (chi2, dof) = chi_square(&gillespie_exits, &basin.exit_distribution(0));
    assert_eq!(dof, 1);
    assert!(chi2 < CHI2_999[dof], "χ² = {chi2}, {gillespie_exits:?}");
    let mean = gillespie_times.iter().sum::<f64>() / n_samples;
    let var = gillespie_times
        .iter()
        .map(|t| (t - mean).powi(2))
        .sum::<f64>()
        / (n_samples - 1.0);
    let z = (mean - basin.mean_escape_time(0)) / (var / n_samples).sqrt();
    assert!(z.abs() < Z_999, "z = {z}");
}

/// At a separation of 10¹⁴ the exact sampler works (no lost slow mode): escape times from
/// state 0 pass KS against exp(−t/τ_0) at 0.1 %, exits pass χ² (1 degree of freedom), and
/// with the same seed the forced mean-rate sampler gives the same states and times equal to
/// 1e-9 relative for 1000 draws (the two laws coincide up to κ₀/κ₁ ≈ 10⁻¹⁴).
#[test]
fn extreme_separation_sampling() {
    let (n, fast, exits) = separated_line(1e14);
    let basin = BasinSolution::new(n, &fast, &exits).unwrap();
    assert!(basin.is_exact());
    let tau = basin.mean_escape_time(0);
    let (mut times, exit_counts, _) = draw_many(&basin, 0, f64::INFINITY, 31);
    #[allow(clippy::cast_precision_loss)]
    let n_samples = SAMPLES as f64;
    let d = ks_statistic(&mut times, |t| 1.0 - (-t / tau).exp());
    assert!(d * n_samples.sqrt() < KS_999, "KS D = {d}");
    let (chi2, dof) = chi_square(&exit_counts, &basin.exit_distribution(0));
    assert_eq!(dof, 1);
    assert!(chi2 < CHI2_999[dof], "χ² = {chi2}");

    let forced = BasinOptions {
        force_mean_rate: true,
        ..BasinOptions::default()
    };
    let mean_rate = BasinSolution::with_options(n, &fast, &exits, &forced).unwrap();
    assert_eq!(
        mean_rate.method(),
        Method::MeanRate(MeanRateReason::Requested)
    );
    let mut a = rng::stream(32, 0);
    let mut b = rng::stream(32, 0);
    for _ in 0..1000 {
        match (
            basin.sample(0, f64::INFINITY, &mut a),
            mean_rate.sample(0, f64::INFINITY, &mut b),
        ) {
            (
                BasinOutcome::Escape {
                    time: t1,
                    state: s1,
                },
                BasinOutcome::Escape {
                    time: t2,
                    state: s2,
                },
            ) => {
                assert_eq!(s1, s2);
                assert!(relative_error(t1, t2) < 1e-9, "{t1} vs {t2}");
            }
            other => panic!("{other:?}"),
        }
    }
}

/// The mean-rate fallback on a non-reversible basin (a driven 3-cycle): the method says
/// why; escape times pass KS against the exponential with mean τ_0 (0.1 %), exits pass χ²
/// against `exit_distribution(0)` (1 degree of freedom), survivors at h = τ_0 pass χ²
/// against the quasi-stationary distribution (2 degrees of freedom), and the survivor
/// fraction matches e⁻¹ (|z| < 3.29).
#[test]
fn mean_rate_fallback_for_irreversible_basin() {
    let fast = [(0, 1, 5.0), (1, 2, 3.0), (2, 0, 4.0), (1, 0, 0.5)];
    let exits = [0.2, 0.0, 0.6];
    let basin = BasinSolution::new(3, &fast, &exits).unwrap();
    assert_eq!(
        basin.method(),
        Method::MeanRate(MeanRateReason::NotReversible)
    );
    assert!(!basin.is_exact() && basin.stationary().is_none());
    let tau = basin.mean_escape_time(0);
    let (mut times, exit_counts, _) = draw_many(&basin, 0, f64::INFINITY, 41);
    #[allow(clippy::cast_precision_loss)]
    let n_samples = SAMPLES as f64;
    let d = ks_statistic(&mut times, |t| 1.0 - (-t / tau).exp());
    assert!(d * n_samples.sqrt() < KS_999, "KS D = {d}");
    let (chi2, dof) = chi_square(&exit_counts, &basin.exit_distribution(0));
    assert!(chi2 < CHI2_999[dof], "χ² = {chi2}");
    let (_, _, survivors) = draw_many(&basin, 0, tau, 42);
    let (chi2, dof) = chi_square(&survivors, basin.quasi_stationary());
    assert_eq!(dof, 2);
    assert!(chi2 < CHI2_999[dof], "χ² = {chi2}");
    #[allow(clippy::cast_precision_loss)]
    let k = survivors.iter().sum::<usize>() as f64;
    let p = (-1.0_f64).exp();
    let z = (k - n_samples * p) / (n_samples * p * (1.0 - p)).sqrt();
    assert!(z.abs() < Z_999, "z = {z}");
}

/// Very uneven stationary weights make the change of basis `D^{±1/2}` amplify round-off:
/// with `π_1/π_0 = 10²²` the bound `n ε Σ √(π_i/π_min)` exceeds 1e-8 and the basin falls back
/// (`IllConditioned`), with `π_1/π_0 = 10⁶⁰⁰` (not representable) the bound is infinite; in
/// both cases GTH still gives τ to 1e-13 relative (two-state closed form).
#[test]
fn uneven_stationary_weights_fall_back() {
    for (a, b) in [(1e12, 1e-10), (1e300, 1e-300)] {
        let (r0, r1) = (0.0, 1e-3);
        let basin = BasinSolution::new(2, &[(0, 1, a), (1, 0, b)], &[r0, r1]).unwrap();
        match basin.method() {
            Method::MeanRate(MeanRateReason::IllConditioned { error_bound }) => {
                assert!(error_bound > 1e-8, "{error_bound}");
                assert_eq!(error_bound.is_infinite(), a > 1e200);
            }
            other => panic!("expected ill-conditioned, got {other}"),
        }
        let det = a * r1 + b * r0 + r0 * r1;
        assert!(relative_error(basin.mean_escape_time(0), (a + b + r1) / det) < 1e-13);
        assert!(relative_error(basin.mean_escape_time(1), (a + b + r0) / det) < 1e-13);
    }
}

/// Every call consumes exactly two 64-bit draws (exact and mean-rate laws, escape and
/// survival branches, zero horizon), and the same seed gives the same outcomes.
#[test]
fn sampling_is_deterministic_and_uses_two_draws() {
    let (n, fast, exits) = ring8();
    let exact = BasinSolution::new(n, &fast, &exits).unwrap();
    let forced = BasinOptions {
        force_mean_rate: true,
        ..BasinOptions::default()
    };
    let mean_rate = BasinSolution::with_options(n, &fast, &exits, &forced).unwrap();
    for basin in [&exact, &mean_rate] {
        for h in [0.0, 0.3, 2.0, f64::INFINITY] {
            let mut rng: Rng = rng::stream(51, 0);
            let mut again = rng.clone();
            let mut shadow = rng.clone();
            for _ in 0..200 {
                let outcome = basin.sample(3, h, &mut rng);
                assert_eq!(outcome, basin.sample(3, h, &mut again));
                shadow.next_u64();
                shadow.next_u64();
                assert_eq!(rng.next_u64(), shadow.next_u64());
                again.next_u64();
                if h == 0.0 {
                    assert_eq!(outcome, BasinOutcome::Survived { state: 3 });
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Invalid input.

/// Each invalid input gives its error (never a panic): no states, wrong number of exits,
/// a transition outside the basin, negative / NaN / infinite rates, overflow of a total,
/// no exit, a disconnected basin, a state that cannot reach an exit.
#[test]
fn invalid_input_is_rejected() {
    let ok_fast = [(0, 1, 1.0), (1, 0, 1.0)];
    assert_eq!(
        BasinSolution::new(0, &[], &[]).unwrap_err(),
        BasinError::Empty
    );
    assert_eq!(
        BasinSolution::new(2, &ok_fast, &[1.0]).unwrap_err(),
        BasinError::ExitCount {
            expected: 2,
            got: 1
        }
    );
    assert_eq!(
        BasinSolution::new(2, &[(0, 2, 1.0)], &[1.0, 1.0]).unwrap_err(),
        BasinError::StateOutOfRange {
            from: 0,
            to: 2,
            n: 2
        }
    );
    assert!(matches!(
        BasinSolution::new(2, &[(0, 1, -1.0), (1, 0, 1.0)], &[1.0, 0.0]).unwrap_err(),
        BasinError::InvalidFastRate { from: 0, to: 1, .. }
    ));
    assert!(matches!(
        BasinSolution::new(2, &[(0, 1, f64::NAN), (1, 0, 1.0)], &[1.0, 0.0]).unwrap_err(),
        BasinError::InvalidFastRate { from: 0, to: 1, rate } if rate.is_nan()
    ));
    assert!(matches!(
        BasinSolution::new(2, &[(0, 1, f64::INFINITY)], &[1.0, 0.0]).unwrap_err(),
        BasinError::InvalidFastRate { .. }
    ));
    assert!(matches!(
        BasinSolution::new(2, &ok_fast, &[f64::NAN, 1.0]).unwrap_err(),
        BasinError::InvalidExitRate { state: 0, rate } if rate.is_nan()
    ));
    assert_eq!(
        BasinSolution::new(2, &ok_fast, &[1.0, -0.5]).unwrap_err(),
        BasinError::InvalidExitRate {
            state: 1,
            rate: -0.5
        }
    );
    assert_eq!(
        BasinSolution::new(2, &[(0, 1, f64::MAX), (0, 1, f64::MAX)], &[1.0, 1.0]).unwrap_err(),
        BasinError::RateOverflow { state: 0 }
    );
    assert_eq!(
        BasinSolution::new(2, &ok_fast, &[0.0, 0.0]).unwrap_err(),
        BasinError::NoExit
    );
    assert_eq!(
        BasinSolution::new(3, &ok_fast, &[1.0, 0.0, 1.0]).unwrap_err(),
        BasinError::Disconnected { state: 2 }
    );
    // only 1 → 0: the exit is on state 1 and state 0 has no way to get there.
    assert_eq!(
        BasinSolution::new(2, &[(1, 0, 1.0)], &[0.0, 1.0]).unwrap_err(),
        BasinError::Trapped { state: 0 }
    );
    // errors have lowercase messages naming the problem.
    let message = BasinError::Disconnected { state: 2 }.to_string();
    assert!(message.contains("state 2") && message.starts_with("the basin"));
}

/// A self-transition is ignored and repeated pairs are summed: the same τ as the plain
/// basin with the rates added (to 1e-14 relative).
#[test]
fn self_transitions_ignored_and_duplicates_summed() {
    let plain = BasinSolution::new(2, &[(0, 1, 3.0), (1, 0, 2.0)], &[0.0, 1.0]).unwrap();
    let split = BasinSolution::new(
        2,
        &[(0, 0, 5.0), (0, 1, 1.0), (0, 1, 2.0), (1, 0, 2.0)],
        &[0.0, 1.0],
    )
    .unwrap();
    for s in 0..2 {
        assert!(relative_error(split.mean_escape_time(s), plain.mean_escape_time(s)) < 1e-14);
    }
}

// ---------------------------------------------------------------------------------------
// Random basins.

/// A random reversible basin: energies in [0, 3] kT, barriers above both ends, a random
/// spanning path plus extra pairs, exits on a random subset (at least one) scaled by
/// 10^-`decades` relative to the fast rates.
fn random_basin() -> impl Strategy<Value = (usize, Fast, Vec<f64>)> {
    (2usize..9)
        .prop_flat_map(|n| {
            (
                Just(n),
                prop::collection::vec(0.0..3.0f64, n),
                prop::collection::vec(0.1..2.0f64, n * n),
                prop::collection::vec(prop::bool::weighted(0.3), n * n),
                prop::collection::vec(0.0..1.0f64, n),
                0usize..n,
                0.0..15.0f64,
            )
        })
        .prop_map(
            |(n, e, barriers, extra, exit_draws, forced_exit, decades)| {
                let mut fast = Vec::new();
                for i in 0..n {
                    for j in i + 1..n {
                        if j == i + 1 || extra[i * n + j] {
                            let barrier = e[i].max(e[j]) + barriers[i * n + j];
                            arrhenius_pair(&mut fast, i, j, &e, barrier, 1e3);
                        }
                    }
                }
                let scale = 1e3 * 10f64.powf(-decades);
                let exits: Vec<f64> = (0..n)
                    .map(|i| {
                        if i == forced_exit || exit_draws[i] < 0.4 {
                            scale * (0.1 + exit_draws[i])
                        } else {
                            0.0
                        }
                    })
                    .collect();
                (n, fast, exits)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// GTH is entrywise accurate whatever the separation (10⁰…10¹⁵): relabelling the states
    /// (a different elimination order, different rounding) changes τ and the exit
    /// probabilities by less than 1e-11 relative, entry by entry; exit probabilities sum to
    /// 1 within 1e-13; and every such basin is sampled exactly, with a discrepancy below
    /// 1e-8 against GTH.
    #[test]
    fn gth_is_permutation_invariant_and_exact_law_holds(
        (n, fast, exits) in random_basin(),
        seed in 0u64..1000,
    ) {
        let basin = BasinSolution::new(n, &fast, &exits).unwrap();
        prop_assert!(basin.is_exact(), "{}", basin.method());
        // a permutation from the seed.
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = rng::stream(seed, 0);
        for i in (1..n).rev() {
            order.swap(i, rng::uniform_index(&mut rng, i + 1));
        }
        let mut position = vec![0; n];
        for (new, &old) in order.iter().enumerate() {
            position[old] = new;
        }
        let relabelled: Fast = fast.iter().map(|&(i, j, w)| (position[i], position[j], w)).collect();
        let relabelled_exits: Vec<f64> = order.iter().map(|&old| exits[old]).collect();
        let other = BasinSolution::new(n, &relabelled, &relabelled_exits).unwrap();
        for s in 0..n {
            let t = basin.mean_escape_time(s);
            prop_assert!(relative_error(other.mean_escape_time(position[s]), t) < 1e-11);
            let q = basin.exit_distribution(s);
            let q_other = other.exit_distribution(position[s]);
            prop_assert!((q.iter().sum::<f64>() - 1.0).abs() < 1e-13);
            for i in 0..n {
                let a = q[i];
                let b = q_other[position[i]];
                if a == 0.0 {
                    prop_assert!(b == 0.0);
                } else {
                    prop_assert!(relative_error(b, a) < 1e-11, "{} vs {}", a, b);
                }
            }
        }
    }
}
