//! Acceleration against an exact answer: three states A ⇄ B (fast), B → C (slow).
//!
//! One atom X on two sites: site 0 of kind `a` (state A), site 1 of kind `b` (state B); it
//! hops between them (a rule and its generated reverse, Kang–Weinberg, on-site energy
//! 0.1 eV on `b`), and leaves from `b` into the vacuum (state C) with a fixed barrier. The
//! mean time to C from A is exactly `T_A = ((k_ba + k_bC)/k_ab + 1)/k_bC`. With the default
//! acceleration settings the measured mean over 1,500 seeded replicas must agree with it
//! within 4 standard errors (SEM ≈ 2.6 %) at separations `k_ab/k_bC` of 10², 10⁴ and 10⁸,
//! and at 10⁸ the runs must have used scaling (the unaccelerated run would need ~10⁹
//! events per replica). With `method = basin` (the exact escape from the basin {A, B})
//! the same holds up to a separation of 10¹², and every replica past its first detection
//! window escapes through a solved basin.

mod common;

use std::sync::Arc;

use common::{
    SEEDS, THREE_STATE_E_HOP, THREE_STATE_ONSITE_B, mean_sem, potential, three_state_potential,
    two_site_graph,
};
use nanokmc::accel::{AccelSettings, Method};
use nanokmc::constants::BOLTZMANN_EV_PER_K;
use nanokmc::engine::Simulation;
use nanokmc::program::Program;
use nanokmc::rng;
use nanokmc::state::SpeciesId;

const T: f64 = 500.0;
const E_HOP: f64 = THREE_STATE_E_HOP;
const ONSITE_B: f64 = THREE_STATE_ONSITE_B;

/// (k_ab, k_ba, k_bC) for an escape prefactor.
fn rates(escape_prefactor: f64) -> (f64, f64, f64) {
    let kt = BOLTZMANN_EV_PER_K * T;
    let k_ab = 1e13 * (-(E_HOP + ONSITE_B / 2.0) / kt).exp();
    let k_ba = 1e13 * (-(E_HOP - ONSITE_B / 2.0) / kt).exp();
    let k_bc = escape_prefactor * (-(E_HOP + ONSITE_B / 2.0) / kt).exp();
    (k_ab, k_ba, k_bc)
}

/// Time to C of each replica, and how many of them were accelerated (a factor below 1, or
/// a solved basin).
fn times_to_c(separation: f64, replicas: u64, settings: AccelSettings) -> (Vec<f64>, u64) {
    let pot = potential(&three_state_potential(
        1e13 / separation,
        E_HOP + ONSITE_B / 2.0,
        false,
    ));
    let model = Arc::new(pot.model);
    let graph = two_site_graph();
    let mut times = Vec::new();
    let mut scaled = 0;
    for r in 0..replicas {
        let mut sim = Simulation::new(
            graph.clone(),
            model.clone(),
            vec![SpeciesId(1), SpeciesId(0)],
            Program::constant(T, 0.0).unwrap(),
            rng::stream(SEEDS[1], r),
        )
        .unwrap();
        sim.enable_acceleration(settings, None).unwrap();
        while sim.removed().iter().sum::<u64>() == 0 {
            sim.step(f64::INFINITY).unwrap();
        }
        let acc = sim.acceleration().unwrap();
        if !acc.changes.is_empty() || acc.basin.solved > 0 {
            scaled += 1;
        }
        times.push(sim.time());
    }
    (times, scaled)
}

#[test]
fn mean_time_to_c_is_exact_at_every_separation() {
    for separation in [1e2, 1e4, 1e8] {
        let (k_ab, k_ba, k_bc) = rates(1e13 / separation);
        let exact = ((k_ba + k_bc) / k_ab + 1.0) / k_bc;
        let (times, scaled) = times_to_c(separation, 1_500, AccelSettings::default());
        let (mean, sem) = mean_sem(&times);
        assert!(
            (mean - exact).abs() < 4.0 * sem,
            "separation {separation:e}: mean time to C {mean:e} ± {sem:e}, exact {exact:e}"
        );
        if separation >= 1e8 {
            assert_eq!(scaled, 1_500, "every replica must have been accelerated");
        }
        eprintln!(
            "separation {separation:e}: {mean:e} ± {sem:e} s (exact {exact:e}), {scaled} replicas scaled"
        );
    }
}

#[test]
fn basin_escape_is_exact_at_every_separation() {
    let settings = AccelSettings {
        method: Method::Basin,
        ..AccelSettings::default()
    };
    for separation in [1e2, 1e4, 1e8, 1e12] {
        let (k_ab, k_ba, k_bc) = rates(1e13 / separation);
        let exact = ((k_ba + k_bc) / k_ab + 1.0) / k_bc;
        let (times, accelerated) = times_to_c(separation, 1_500, settings);
        let (mean, sem) = mean_sem(&times);
        assert!(
            (mean - exact).abs() < 4.0 * sem,
            "separation {separation:e}: mean time to C {mean:e} ± {sem:e}, exact {exact:e}"
        );
        if separation >= 1e8 {
            assert_eq!(accelerated, 1_500, "every replica must have used a basin");
        }
        eprintln!(
            "basin, separation {separation:e}: {mean:e} ± {sem:e} s (exact {exact:e}), {accelerated} replicas accelerated"
        );
    }
}
