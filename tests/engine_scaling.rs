//! Rate scaling of rules (`Simulation::set_rule_scaling`), the mechanism of acceleration
//! for fast, quasi-equilibrated events: scaling a hop and its reverse by the same factor
//! leaves the equilibrium occupancy unchanged (Boltzmann ratio within 4 SEM, 100 blocks of
//! 2,000 events) while the mean residence time grows by exactly 1/factor (within 4 SEM);
//! the factors survive a checkpoint; invalid factors are refused.

mod common;

use std::sync::Arc;

use common::{SEEDS, TWO_SITE, mean_sem, potential, rich_simulation, two_site_graph};
use nanokmc::constants::BOLTZMANN_EV_PER_K;
use nanokmc::engine::Simulation;
use nanokmc::program::Program;
use nanokmc::rng;
use nanokmc::sites::SiteId;
use nanokmc::state::SpeciesId;

const T: f64 = 500.0;

fn two_site(factor: f64) -> Simulation {
    let pot = potential(TWO_SITE);
    let mut sim = Simulation::new(
        two_site_graph(),
        Arc::new(pot.model),
        vec![SpeciesId(1), SpeciesId(0)],
        Program::constant(T, 0.0).unwrap(),
        rng::stream(SEEDS[0], 0),
    )
    .unwrap();
    // the hop a → b and its generated reverse, scaled alike.
    sim.set_rule_scaling(0, factor).unwrap();
    sim.set_rule_scaling(1, factor).unwrap();
    sim
}

/// Per block: (time in b / time in a, mean residence time in a).
fn measure(sim: &mut Simulation) -> (Vec<f64>, Vec<f64>) {
    let mut ratios = Vec::new();
    let mut residences = Vec::new();
    for _ in 0..100 {
        let (mut time_a, mut time_b, mut visits_a) = (0.0, 0.0, 0u32);
        for _ in 0..2_000 {
            let at_a = sim.occupancy().get(SiteId(0)) == SpeciesId(1);
            let before = sim.time();
            sim.step(f64::INFINITY).unwrap();
            let dt = sim.time() - before;
            if at_a {
                time_a += dt;
                visits_a += 1;
            } else {
                time_b += dt;
            }
        }
        ratios.push(time_b / time_a);
        residences.push(time_a / f64::from(visits_a));
    }
    (ratios, residences)
}

#[test]
fn scaling_keeps_equilibrium_and_stretches_time_by_the_factor() {
    let kt = BOLTZMANN_EV_PER_K * T;
    let exact_ratio = (-0.1 / kt).exp();
    // Kang–Weinberg: the uphill hop a → b has E_a = 0.5 + 0.1/2 eV.
    let k_ab = 1e13 * (-(0.5 + 0.05) / kt).exp();
    for factor in [1.0, 1e-2, 1e-6] {
        let mut sim = two_site(factor);
        let (ratios, residences) = measure(&mut sim);
        let (mean, sem) = mean_sem(&ratios);
        assert!(
            (mean - exact_ratio).abs() < 4.0 * sem + 1e-3 * exact_ratio,
            "factor {factor}: occupancy ratio {mean} ± {sem} vs {exact_ratio}"
        );
        let (tau, tau_sem) = mean_sem(&residences);
        let exact_tau = 1.0 / (factor * k_ab);
        assert!(
            (tau - exact_tau).abs() < 4.0 * tau_sem,
            "factor {factor}: residence {tau} ± {tau_sem} vs {exact_tau}"
        );
        assert!(sim.audit().is_clean());
    }
}

#[test]
fn scaling_survives_a_checkpoint_and_continues_bit_for_bit() {
    let mut sim = rich_simulation(SEEDS[1]);
    sim.run_events(500, f64::INFINITY).unwrap();
    sim.set_rule_scaling(0, 0.25).unwrap();
    sim.run_events(500, f64::INFINITY).unwrap();
    let state = sim.save_state();
    assert_eq!(state.scale[0], 0.25);
    let mut resumed = Simulation::restore(
        Arc::new(sim.graph().clone()),
        Arc::new(sim.model().clone()),
        sim.program().clone(),
        state,
    )
    .unwrap();
    assert_eq!(resumed.rule_scaling(), sim.rule_scaling());
    sim.run_events(2_000, f64::INFINITY).unwrap();
    resumed.run_events(2_000, f64::INFINITY).unwrap();
    assert_eq!(sim.save_state(), resumed.save_state());
}

#[test]
fn scaling_factor_outside_zero_one_or_unknown_rule_is_refused() {
    let mut sim = two_site(1.0);
    for bad in [0.0, -1.0, 1.5, f64::NAN, f64::INFINITY] {
        assert!(sim.set_rule_scaling(0, bad).is_err(), "{bad}");
    }
    assert!(sim.set_rule_scaling(7, 0.5).is_err());
    assert_eq!(sim.rule_scaling(), &[1.0, 1.0]);
}
