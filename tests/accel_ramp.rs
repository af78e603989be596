//! Acceleration under a temperature ramp against the exact first-passage distribution.
//!
//! The three-state model of `tests/accel_three_state.rs` with a slow event whose barrier
//! is higher than the fast one's, so that heating shrinks the separation: one atom X hops
//! between site `a` (state A) and site `b` (state B, on-site energy 0.1 eV; hop ν =
//! 10¹³ s⁻¹, E_m = 0.5 eV, Kang–Weinberg: barriers 0.55 and 0.45 eV) and leaves from `b`
//! into the vacuum (state C) with a fixed barrier of 1.1 eV (ν = 10¹³ s⁻¹). T rises
//! linearly from 350 K to 550 K over 100 s. The first detection window (2·10⁴ events)
//! ends at ~0.09 s, near 350 K, where the hops are ~10⁹ times faster than the escape and
//! get the factor 2⁻²⁵; the escape happens during the ramp (median ~40 s, ~430 K), when
//! the hop/escape ratio has shrunk by up to exp(0.65 eV/k_B (1/350 K − 1/T)) ≈ 70: the
//! engine must relax the factors at each ramp window.
//!
//! Exact answer: the master equation of (p_A, p_B) with k(T(t)), integrated with the exact
//! propagator of the 2×2 generator at the midpoint temperature of steps of 1 ms (the rates
//! change by < 0.03 % per step; the result agrees with the quasi-static survival
//! exp(−∫λ₀ dt) to 2·10⁻¹⁰). The unaccelerated engine agrees with it (checked with a
//! hop barrier of 0.85 eV, which makes unaccelerated replicas affordable: −1.1 SEM, KS
//! D = 0.021 over 1,500 replicas; the escape time depends on the hop barrier by less than
//! 10⁻⁴ there).
//!
//! Criteria: mean escape time over 1,500 replicas (default acceleration settings) within
//! 4 SEM (SEM ≈ 0.5 %) of the exact mean, one-sample Kolmogorov–Smirnov statistic below
//! 1.95/√n = 0.050 (α = 0.001), and in ≥ 99 % of the replicas a hop factor above the
//! decided one in force at some step (the engine relaxed it during the ramp), by at least
//! a factor 4 at its largest.
//!
//! - `..._with_the_slow_class_always_present`: a spectator atom Y on a third, isolated
//!   site can leave with the same 1.1 eV barrier and a negligible prefactor (10⁻³ s⁻¹,
//!   i.e. ~10⁻¹⁶ s⁻¹ at 550 K), so that a class with the slow barrier is always present.
//!   Measured: 40.54 ± 0.21 s against the exact 40.93 s (−1.8 SEM), KS D = 0.026, every
//!   replica relaxed (median largest relaxation ×64), ~6 s alone.
//! - `escape_under_a_ramp_matches_the_master_equation_with_defaults`: the plain model
//!   (the spectator site empty). Measured: 41.00 ± 0.20 s (+0.4 SEM), KS D = 0.012,
//!   every replica relaxed (median ×66). This test found that the engine relaxed the
//!   factors only over the classes present at the window's start (see its comment).

mod common;

use std::sync::Arc;

use common::{
    SEEDS, THREE_STATE_E_HOP, THREE_STATE_ONSITE_B, graph, mean_sem, potential,
    three_state_potential,
};
use nanokmc::accel::AccelSettings;
use nanokmc::constants::BOLTZMANN_EV_PER_K;
use nanokmc::engine::Simulation;
use nanokmc::model::Model;
use nanokmc::program::{Program, Schedule};
use nanokmc::rng;
use nanokmc::sites::SiteGraph;
use nanokmc::state::SpeciesId;

const T0: f64 = 350.0;
const T1: f64 = 550.0;
/// Duration of the ramp [s].
const RAMP: f64 = 100.0;
const E_HOP: f64 = THREE_STATE_E_HOP;
const ONSITE_B: f64 = THREE_STATE_ONSITE_B;
const E_ESCAPE: f64 = 1.1;
const REPLICAS: u64 = 1_500;

/// Site 0 of kind `a`, site 1 of kind `b` (neighbours), site 2 of kind `s` (isolated).
fn three_sites() -> Arc<SiteGraph> {
    graph(
        vec![[0.0; 3], [1.0, 0.0, 0.0], [5.0, 0.0, 0.0]],
        vec![0, 1, 2],
        &["a", "b", "s"],
        &["nn"],
        &[vec![vec![1]], vec![vec![0]], vec![vec![]]],
        [false; 3],
        [6.0, 1.0, 1.0],
    )
}

fn temperature(t: f64) -> f64 {
    T0 + (T1 - T0) * (t / RAMP).min(1.0)
}

fn program() -> Program {
    Program::new(
        Schedule::from_points(vec![(0.0, T0), (RAMP, T1)]).unwrap(),
        Schedule::constant(0.0),
    )
    .unwrap()
}

/// (k_ab, k_ba, k_bC) at temperature `t`.
fn rates(t: f64) -> (f64, f64, f64) {
    let kt = BOLTZMANN_EV_PER_K * t;
    let k = |e: f64| 1e13 * (-e / kt).exp();
    (
        k(E_HOP + ONSITE_B / 2.0),
        k(E_HOP - ONSITE_B / 2.0),
        k(E_ESCAPE),
    )
}

/// Survival S(t) of the non-homogeneous chain at the sorted times `ts`: the master
/// equation d/dt (p_A, p_B) = M(t) (p_A, p_B), M = [[−a, b], [a, −(b + c)]], advanced
/// with exp(M dt) at the midpoint temperature of each step of at most `h`.
fn survival_at(ts: &[f64], h: f64) -> Vec<f64> {
    let advance = |p: [f64; 2], dt: f64, midpoint: f64| -> [f64; 2] {
        let (a, b, c) = rates(temperature(midpoint));
        let half_trace = -(a + b + c) / 2.0;
        let disc = (half_trace * half_trace - a * c).sqrt();
        let (l1, l2) = (half_trace + disc, half_trace - disc);
        let (e1, e2) = ((l1 * dt).exp(), (l2 * dt).exp());
        let m = [[-a, b], [a, -(b + c)]];
        // Sylvester: exp(M dt) = (e^{l1 dt} (M − l2) − e^{l2 dt} (M − l1)) / (l1 − l2).
        let mut q = [0.0; 2];
        for (i, qi) in q.iter_mut().enumerate() {
            for (j, pj) in p.iter().enumerate() {
                let id = if i == j { 1.0 } else { 0.0 };
                *qi += (e1 * (m[i][j] - l2 * id) - e2 * (m[i][j] - l1 * id)) / (l1 - l2) * pj;
            }
        }
        q
    };
    let mut p = [1.0f64, 0.0];
    let mut t = 0.0;
    ts.iter()
        .map(|&target| {
            while t < target {
                let dt = h.min(target - t);
                p = advance(p, dt, t + dt / 2.0);
                t += dt;
            }
            p[0] + p[1]
        })
        .collect()
}

/// Exact mean escape time: ∫ S dt (trapezoid on a 10 ms grid up to 200 s, where S is
/// below 10⁻³⁰⁰).
fn exact_mean() -> f64 {
    let h = 0.01;
    let grid: Vec<f64> = (1..=20_000).map(|i| f64::from(i) * h).collect();
    let s = survival_at(&grid, 1e-3);
    h * (0.5 + s.iter().sum::<f64>() - 0.5 * s[s.len() - 1])
}

fn rule(model: &Model, name: &str) -> usize {
    model.rules.iter().position(|r| r.name == name).unwrap()
}

/// One replica's escape time, whether a hop factor above the decided one was in force at
/// some step, and the largest ratio (factor in force / decided factor).
fn escape(model: &Arc<Model>, g: &Arc<SiteGraph>, spectator: bool, r: u64) -> (f64, f64) {
    let hop = rule(model, "hop");
    let species = vec![
        SpeciesId(1),
        SpeciesId::VACANCY,
        if spectator {
            SpeciesId(2)
        } else {
            SpeciesId::VACANCY
        },
    ];
    let mut sim = Simulation::new(
        g.clone(),
        model.clone(),
        species,
        program(),
        rng::stream(SEEDS[1], r),
    )
    .unwrap();
    sim.enable_acceleration(AccelSettings::default(), None)
        .unwrap();
    let mut relaxed = 1.0f64;
    // removed[species]: one domain.
    while sim.removed()[1] == 0 {
        let decided = sim.acceleration().unwrap().decided[0];
        let factor = sim.group_scaling()[hop];
        if decided < 1.0 {
            relaxed = relaxed.max(factor / decided);
        }
        sim.step(f64::INFINITY).unwrap();
    }
    (sim.time(), relaxed)
}

fn check_escape_under_ramp(spectator: bool) {
    let model = Arc::new(potential(&three_state_potential(1e13, E_ESCAPE, true)).model);
    let g = three_sites();
    let started = std::time::Instant::now();
    let mut times = Vec::new();
    let mut relaxations = Vec::new();
    for r in 0..REPLICAS {
        let (t, relaxed) = escape(&model, &g, spectator, r);
        times.push(t);
        relaxations.push(relaxed);
    }
    let elapsed = started.elapsed();
    let (mean, sem) = mean_sem(&times);
    let exact = exact_mean();
    times.sort_by(f64::total_cmp);
    let survival = survival_at(&times, 1e-3);
    let n = times.len() as f64;
    let d = survival
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let f = 1.0 - s;
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max);
    let critical = 1.95 / n.sqrt();
    let relaxed = relaxations.iter().filter(|&&x| x > 1.0).count();
    relaxations.sort_by(f64::total_cmp);
    eprintln!(
        "spectator {spectator}: mean escape time {mean:.4} ± {sem:.4} s, exact {exact:.4} ({:+.2} SEM), median {:.2} s (T = {:.0} K); KS D = {d:.4} (critical {critical:.4}); {relaxed}/{REPLICAS} replicas ran with relaxed factors (median largest relaxation ×{:.1}); {elapsed:.2?}",
        (mean - exact) / sem,
        times[times.len() / 2],
        temperature(times[times.len() / 2]),
        relaxations[relaxations.len() / 2],
    );
    assert!(
        (mean - exact).abs() < 4.0 * sem,
        "mean escape time {mean} ± {sem}, exact {exact}"
    );
    assert!(d < critical, "KS D = {d} ≥ {critical}");
    assert!(
        relaxed as f64 >= 0.99 * REPLICAS as f64,
        "only {relaxed} replicas ran with relaxed factors"
    );
    assert!(
        relaxations[relaxations.len() / 2] >= 4.0,
        "the factors hardly followed T"
    );
}

#[test]
fn escape_under_a_ramp_matches_the_master_equation_with_the_slow_class_always_present() {
    check_escape_under_ramp(true);
}

/// Found a bug, now fixed: at each new ramp window `Simulation::accel_follow_program`
/// relaxed the factors by `accel::separation_loss` over the classes that had members at
/// that moment. While X sits on `a` (~90 % of the time) the escape class is empty, so no
/// slow class is present, the loss is 1 and the hops run for that whole window with the
/// factor decided at ~350 K (2⁻²⁵); if X then reaches `b`, it escapes with a separation
/// shrunk by up to ~70. Measured (seed SEEDS[1], streams 0..1499): mean escape time
/// 48.57 ± 0.22 s against the exact 40.93 s (+35 SEM), KS D = 0.381 > 0.050; relaxed
/// factors were in force only in the windows that opened with X on `b` (at some step in
/// 1,009 of the 1,500 replicas, against all of them with the spectator). With
/// a class of the slow barrier always present (the test above) the same run was exact.
/// The loss is now computed over all classes, empty ones included.
#[test]
fn escape_under_a_ramp_matches_the_master_equation_with_defaults() {
    check_escape_under_ramp(false);
}
