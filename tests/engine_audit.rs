//! Bookkeeping: after a million events of a model that uses every feature (pair and
//! coordination energies in two shells, saddle terms, conditions, hops, exchanges, removal,
//! addition, beam events, a temperature ramp and a beam window), recomputing every event
//! from scratch finds no drift; the same seed gives the same trajectory bit for bit.

mod common;

use std::sync::Arc;

use common::{SEEDS, fcc_periodic, rich_simulation as simulation};
use nanokmc::engine::Simulation;
use nanokmc::program::Program;
use nanokmc::rng;
use nanokmc::state::SpeciesId;

/// The rich model touches ~100 owners per event (coordination terms in two shells reach
/// three hops), so it is audited every 2,000 events over 40,000; the million-event audit
/// uses the benchmark model below.
#[test]
fn engine_audit_rich_model_has_no_drift() {
    let mut sim = simulation(SEEDS[0]);
    assert!(sim.audit().is_clean());
    for _ in 0..20 {
        sim.run_events(2_000, f64::INFINITY).unwrap();
        let report = sim.audit();
        assert!(
            report.is_clean(),
            "drift after {} events: {report:?}",
            sim.executed()
        );
        assert!(report.slots_checked > 0);
    }
    // every rule fired, so every code path was audited.
    for (rule, n) in sim.model().rules.iter().zip(sim.rule_counts()) {
        assert!(*n > 0, "rule {} never fired", rule.name);
    }
    assert!(sim.null_events() > 0, "the ramp used thinning");
}

/// The benchmark model (SPPARKS diffusion, linear) on 8×8×8 fcc cells with 5 % vacancies:
/// audited every 100,000 events over a million.
#[test]
fn engine_audit_finds_no_drift_after_a_million_events() {
    let pot =
        nanokmc::potential::read(std::path::Path::new("potentials/bench_diffusion.toml")).unwrap();
    let g = fcc_periodic(8, false);
    let mut r = rng::stream(SEEDS[2], 0);
    let species = (0..g.len())
        .map(|_| SpeciesId(u8::from(rng::uniform_open01(&mut r) > 0.05)))
        .collect();
    let temperature =
        nanokmc::units::parse_quantity("4 eV", nanokmc::units::Dimension::Temperature).unwrap();
    let mut sim = Simulation::new(
        g,
        Arc::new(pot.model),
        species,
        Program::constant(temperature, 0.0).unwrap(),
        r,
    )
    .unwrap();
    // audit mode: the run fails at the first audit that finds drift.
    sim.set_audit_every(100_000);
    sim.run_events(1_000_000, f64::INFINITY).unwrap();
    assert!(sim.audit().is_clean());
    assert_eq!(sim.executed(), 1_000_000);
}

#[test]
fn engine_same_seed_gives_identical_trajectory() {
    let run = |seed| {
        let mut sim = simulation(seed);
        let mut trace = Vec::new();
        for _ in 0..20_000 {
            sim.step(f64::INFINITY).unwrap();
            trace.push((
                sim.time().to_bits(),
                sim.last_event().map(|e| (e.rule, e.changes()[0].site)),
            ));
        }
        (trace, sim.occupancy().species().collect::<Vec<_>>())
    };
    let (a, occ_a) = run(SEEDS[1]);
    let (b, occ_b) = run(SEEDS[1]);
    assert_eq!(a, b);
    assert_eq!(occ_a, occ_b);
    let (c, _) = run(SEEDS[2]);
    assert_ne!(a, c);
}
