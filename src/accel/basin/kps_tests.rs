//! Tests of kinetic path sampling: against the dense solver on basins both can solve
//! (escape-time law by Kolmogorov–Smirnov, exit-state law by χ², mean number of fast
//! transitions), at a separation of 10¹⁰, and against a plain hop-by-hop simulation on a
//! 400-state basin (beyond the dense solver).
//!
//! Seeds are fixed. Criteria: KS statistic below 1.95/√N (α = 0.001, one sample) or
//! 1.95·√(2/N) (two samples); the χ² of the exit states below the 0.999 quantile of its
//! degrees of freedom (Wilson–Hilferty); means within 4 SEM.

use super::*;
use crate::accel::basin::BasinSolution;
use crate::rng;

/// A reversible basin of 6 states (Boltzmann weights, random-looking rates) with exits on
/// three states; fast rates about 10³ times the exits.
fn six_states() -> (usize, Vec<(usize, usize, f64)>, Vec<f64>) {
    let energy = [0.0, 0.3, -0.2, 0.5, 0.1, -0.4];
    let links = [
        (0, 1, 2.0),
        (1, 2, 1.0),
        (2, 3, 3.0),
        (3, 4, 0.5),
        (4, 5, 2.5),
        (5, 0, 1.5),
        (1, 4, 0.7),
        (0, 3, 0.9),
    ];
    let mut fast = Vec::new();
    for &(i, j, k) in &links {
        // detailed balance: w_ij / w_ji = exp(−(E_j − E_i)).
        let de: f64 = energy[j] - energy[i];
        fast.push((i, j, 1e3 * k * (-de / 2.0).exp()));
        fast.push((j, i, 1e3 * k * (de / 2.0).exp()));
    }
    let exits = vec![0.0, 1.0, 0.0, 0.4, 2.0, 0.0];
    (6, fast, exits)
}

/// A 20 × 20 grid walker with exits on three sites: 400 states.
fn grid(side: usize) -> (usize, Vec<(usize, usize, f64)>, Vec<f64>) {
    let n = side * side;
    let mut fast = Vec::new();
    for y in 0..side {
        for x in 0..side {
            let i = y * side + x;
            // a tilted landscape: hops down-hill (towards x = 0) are faster.
            if x + 1 < side {
                fast.push((i, i + 1, 0.8));
                fast.push((i + 1, i, 1.25));
            }
            if y + 1 < side {
                fast.push((i, i + side, 1.0));
                fast.push((i + side, i, 1.0));
            }
        }
    }
    let mut exits = vec![0.0; n];
    exits[side * (side / 2)] = 0.02;
    exits[side - 1] = 0.05;
    exits[n - 1] = 0.01;
    (n, fast, exits)
}

fn ks_one(mut x: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    x.sort_by(f64::total_cmp);
    #[allow(clippy::cast_precision_loss)]
    let n = x.len() as f64;
    x.iter()
        .enumerate()
        .map(|(i, &t)| {
            let f = cdf(t);
            #[allow(clippy::cast_precision_loss)]
            let (lo, hi) = (i as f64 / n, (i + 1) as f64 / n);
            (f - lo).abs().max((hi - f).abs())
        })
        .fold(0.0, f64::max)
}

fn ks_two(mut a: Vec<f64>, mut b: Vec<f64>) -> f64 {
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    #[allow(clippy::cast_precision_loss)]
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            i += 1;
        } else {
            j += 1;
        }
        #[allow(clippy::cast_precision_loss)]
        let gap = (i as f64 / na - j as f64 / nb).abs();
        d = d.max(gap);
    }
    d
}

/// χ² of observed counts against probabilities, over the cells with p > 0; and the 0.999
/// quantile of χ² with that many cells minus one degrees of freedom (Wilson–Hilferty).
fn chi_square(counts: &[f64], p: &[f64]) -> (f64, f64) {
    let n: f64 = counts.iter().sum();
    let mut chi = 0.0;
    let mut cells = 0.0;
    for (&c, &q) in counts.iter().zip(p) {
        if q > 0.0 {
            chi += (c - n * q).powi(2) / (n * q);
            cells += 1.0;
        } else {
            assert!(c == 0.0, "an exit from a state without exit");
        }
    }
    let k: f64 = cells - 1.0;
    let z = 3.09; // 0.999 normal quantile
    let quantile = k * (1.0 - 2.0 / (9.0 * k) + z * (2.0 / (9.0 * k)).sqrt()).powi(3);
    (chi, quantile)
}

fn mean_sem(x: &[f64]) -> (f64, f64) {
    #[allow(clippy::cast_precision_loss)]
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Escape time (KS), exit state (χ²) and mean number of fast transitions (4 SEM) against
/// the dense solver's exact law, N = 20,000 paths, on the 6-state basin.
#[test]
fn paths_match_the_dense_solver() {
    let (n, fast, exits) = six_states();
    let dense = BasinSolution::new(n, &fast, &exits).unwrap();
    assert!(dense.is_exact());
    let paths = PathSampler::new(n, &fast, &exits).unwrap();
    let mut rng = rng::stream(7, 0);
    let samples: Vec<PathSample> = (0..20_000).map(|_| paths.sample(&mut rng)).collect();
    let d = ks_one(samples.iter().map(|s| s.time).collect(), |t| {
        1.0 - dense.survival(0, t)
    });
    let critical = 1.95 / (20_000f64).sqrt();
    assert!(d < critical, "KS {d} ≥ {critical}");
    let mut counts = vec![0.0; n];
    for s in &samples {
        counts[s.exit_state] += 1.0;
    }
    let (chi, quantile) = chi_square(&counts, &dense.exit_distribution(0));
    assert!(chi < quantile, "χ² {chi} ≥ {quantile}");
    // mean fast transitions: Σ_i N_0i · (fast out-rate of i).
    let mut out = vec![0.0; n];
    for &(i, _, w) in &fast {
        out[i] += w;
    }
    let expected: f64 = dense
        .occupation_times(0)
        .iter()
        .zip(&out)
        .map(|(t, k)| t * k)
        .sum();
    let (mean, sem) = mean_sem(
        &samples
            .iter()
            .map(|s| s.fast_transitions)
            .collect::<Vec<_>>(),
    );
    assert!(
        (mean - expected).abs() < 4.0 * sem,
        "fast transitions {mean} ± {sem}, expected {expected}"
    );
    // the exit state given the time: the exits of paths shorter than the median against
    // the dense joint law P(exit = i, T ≤ t) = ∫₀ᵗ p_i(u) r_i du (trapezoids).
    let mut times: Vec<f64> = samples.iter().map(|s| s.time).collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let steps = 4000;
    let mut joint = vec![0.0; n];
    #[allow(clippy::cast_precision_loss)]
    let h = median / f64::from(steps);
    for k in 0..=steps {
        let weight = if k == 0 || k == steps { 0.5 } else { 1.0 };
        let p = dense.state_distribution(0, h * f64::from(k));
        for i in 0..n {
            joint[i] += weight * h * p[i] * exits[i];
        }
    }
    let total: f64 = joint.iter().sum();
    let early: Vec<f64> = joint.iter().map(|j| j / total).collect();
    let mut early_counts = vec![0.0; n];
    for s in samples.iter().filter(|s| s.time <= median) {
        early_counts[s.exit_state] += 1.0;
    }
    let (chi, quantile) = chi_square(&early_counts, &early);
    assert!(chi < quantile, "early exits: χ² {chi} ≥ {quantile}");
}

/// A three-state chain at a separation of 10¹⁰ (10¹⁰ hops per escape): the mean escape
/// time within 4 SEM of GTH over 4,000 paths, and the exit from the only exit state.
#[test]
fn paths_are_exact_at_large_separation() {
    let fast = [(0, 1, 1e10), (1, 0, 2e10), (1, 2, 1e10), (2, 1, 0.5e10)];
    let exits = [0.0, 0.0, 1.0];
    let dense = BasinSolution::new(3, &fast, &exits).unwrap();
    let paths = PathSampler::new(3, &fast, &exits).unwrap();
    let mut rng = rng::stream(8, 0);
    let samples: Vec<PathSample> = (0..4_000).map(|_| paths.sample(&mut rng)).collect();
    assert!(samples.iter().all(|s| s.exit_state == 2));
    let (mean, sem) = mean_sem(&samples.iter().map(|s| s.time).collect::<Vec<_>>());
    let exact = dense.mean_escape_time(0);
    assert!(
        (mean - exact).abs() < 4.0 * sem,
        "mean {mean} ± {sem}, exact {exact}"
    );
    let d = ks_one(samples.iter().map(|s| s.time).collect(), |t| {
        1.0 - dense.survival(0, t)
    });
    assert!(d < 1.95 / 4_000f64.sqrt(), "KS {d}");
}

/// A 400-state basin (beyond the dense solver): 3,000 paths against 3,000 plain hop-by-hop
/// simulations of the same chain, escape time by two-sample KS (α = 0.001) and exit state
/// by a two-sample χ² (0.999 quantile); the survivor simulation ends in a basin state.
#[test]
fn paths_match_plain_simulation_beyond_the_dense_limit() {
    let (n, fast, exits) = grid(20);
    assert!(n > crate::accel::basin::DENSE_LIMIT);
    let paths = PathSampler::new(n, &fast, &exits).unwrap();
    let chain = PathSampler::chain_only(n, &fast, &exits);
    let replicas = 3_000u32;
    let mut rng = rng::stream(9, 0);
    let sampled: Vec<PathSample> = (0..replicas).map(|_| paths.sample(&mut rng)).collect();
    // plain simulation: hop by hop until an exit fires.
    let mut plain = Vec::new();
    let mut rng = rng::stream(9, 1);
    for _ in 0..replicas {
        let mut state = 0;
        let mut clock = 0.0;
        loop {
            let rate = chain.total[state];
            clock += -uniform_open01(&mut rng).ln() / rate;
            let mut target = (1.0 - uniform_open01(&mut rng)) * rate;
            if target <= chain.exits[state] {
                break;
            }
            target -= chain.exits[state];
            let row = &chain.rows[state];
            let mut next = row[row.len() - 1].0;
            for &(j, w) in row {
                if target <= w {
                    next = j;
                    break;
                }
                target -= w;
            }
            state = next;
        }
        plain.push((clock, state));
    }
    let d = ks_two(
        sampled.iter().map(|s| s.time).collect(),
        plain.iter().map(|p| p.0).collect(),
    );
    let critical = 1.95 * (2.0 / f64::from(replicas)).sqrt();
    assert!(d < critical, "KS {d} ≥ {critical}");
    // two-sample χ² over the three exit states.
    let exit_states: Vec<usize> = (0..n).filter(|&i| exits[i] > 0.0).collect();
    let mut chi = 0.0;
    for &e in &exit_states {
        #[allow(clippy::cast_precision_loss)]
        let a = sampled.iter().filter(|s| s.exit_state == e).count() as f64;
        #[allow(clippy::cast_precision_loss)]
        let b = plain.iter().filter(|p| p.1 == e).count() as f64;
        if a + b > 0.0 {
            chi += (a - b).powi(2) / (a + b);
        }
    }
    assert!(
        chi < 13.8,
        "two-sample χ² {chi} (2 degrees of freedom, 0.999: 13.8)"
    );
    let (state, _) = chain.simulate_survivor(10.0, 1_000_000, &mut rng).unwrap();
    assert!(state < n);
}

/// A basin without any exit cannot be factorised; its chain still simulates.
#[test]
fn closed_basin_is_refused() {
    let fast = [(0, 1, 1.0), (1, 0, 1.0)];
    assert!(matches!(
        PathSampler::new(2, &fast, &[0.0, 0.0]),
        Err(PathError::Trapped(_))
    ));
    let chain = PathSampler::chain_only(2, &fast, &[0.0, 0.0]);
    let mut rng = rng::stream(1, 0);
    assert!(chain.simulate_survivor(3.0, 1000, &mut rng).is_some());
}

/// A 300-state ring with a trap (binding 2.3 `k_B T`) whose exit is 10⁴ times slower than a
/// hop, started opposite the trap (the engine test's basin): N = 20,000 paths against the
/// dense solver (which has no size limit of its own), escape time by KS (α = 0.001) and
/// the mean within 4 SEM.
#[test]
fn paths_match_the_dense_solver_on_a_long_ring() {
    let n = 300;
    let trap = 10.0f64; // Boltzmann weight of the trap
    let mut fast = Vec::new();
    for i in 0..n {
        let j = (i + 1) % n;
        // hops into the trap are faster by √trap, out of it slower by √trap.
        let (into_j, into_i) = match (i, j) {
            (0, _) => (1.0 / trap.sqrt(), trap.sqrt()),
            (_, 0) => (trap.sqrt(), 1.0 / trap.sqrt()),
            _ => (1.0, 1.0),
        };
        fast.push((i, j, into_j));
        fast.push((j, i, into_i));
    }
    // start opposite the trap: relabel so that the start is state 0.
    let shift = |s: usize| (s + n / 2) % n;
    let fast: Vec<(usize, usize, f64)> = fast
        .iter()
        .map(|&(i, j, w)| (shift(i), shift(j), w))
        .collect();
    let mut exits = vec![0.0; n];
    exits[shift(0)] = 1e-4 / trap.sqrt();
    let dense = BasinSolution::new(n, &fast, &exits).unwrap();
    assert!(dense.is_exact());
    let paths = PathSampler::new(n, &fast, &exits).unwrap();
    let mut rng = rng::stream(10, 0);
    let times: Vec<f64> = (0..20_000).map(|_| paths.sample(&mut rng).time).collect();
    let (mean, sem) = mean_sem(&times);
    let exact = dense.mean_escape_time(0);
    assert!(
        (mean - exact).abs() < 4.0 * sem,
        "mean {mean} ± {sem}, exact {exact}"
    );
    let d = ks_one(times, |t| 1.0 - dense.survival(0, t));
    let critical = 1.95 / (20_000f64).sqrt();
    assert!(d < critical, "KS {d} ≥ {critical}");
}
