//! Checkpoints of the engine state: a run saved at any event and restored continues bit
//! for bit as the uninterrupted run (times, events, occupancy, counters), including inside a
//! temperature ramp window and with beam windows; a state that does not fit is refused.

mod common;

use std::sync::Arc;

use common::{SEEDS, rich_simulation};
use nanokmc::engine::{EngineState, Simulation};

/// Event trace of `n` steps: (time bits, rule and first changed site of the last event).
fn trace(sim: &mut Simulation, n: usize) -> Vec<(u64, Option<(u32, u32)>)> {
    (0..n)
        .map(|_| {
            sim.step(f64::INFINITY).unwrap();
            (
                sim.time().to_bits(),
                sim.last_event().map(|e| (e.rule, e.changes()[0].site.0)),
            )
        })
        .collect()
}

fn restore(sim: &Simulation, state: EngineState) -> Simulation {
    Simulation::restore(
        Arc::new(sim.graph().clone()),
        Arc::new(sim.model().clone()),
        sim.program().clone(),
        state,
    )
    .unwrap()
}

#[test]
fn checkpoint_restored_run_continues_bit_for_bit() {
    for (i, &stop) in [0usize, 1, 777, 5_000].iter().enumerate() {
        let mut sim = rich_simulation(SEEDS[i % SEEDS.len()]);
        trace(&mut sim, stop);
        let state = sim.save_state();
        let mut resumed = restore(&sim, state.clone());
        assert_eq!(resumed.save_state(), state, "round trip at event {stop}");
        let a = trace(&mut sim, 5_000);
        let b = trace(&mut resumed, 5_000);
        assert_eq!(a, b, "continuation after {stop} steps");
        assert_eq!(sim.save_state(), resumed.save_state());
        assert!(resumed.audit().is_clean());
    }
}

#[test]
fn checkpoint_state_survives_a_binary_round_trip() {
    let mut sim = rich_simulation(SEEDS[0]);
    trace(&mut sim, 1_000);
    let state = sim.save_state();
    let bytes = postcard::to_stdvec(&state).unwrap();
    let back: EngineState = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back, state);
}

#[test]
fn checkpoint_state_of_another_configuration_is_refused() {
    let mut sim = rich_simulation(SEEDS[0]);
    trace(&mut sim, 100);
    let state = sim.save_state();

    let mut flipped = state.clone();
    let site = flipped.species.iter().position(|&s| s == 1).unwrap();
    flipped.species[site] = 2;
    let err = Simulation::restore(
        Arc::new(sim.graph().clone()),
        Arc::new(sim.model().clone()),
        sim.program().clone(),
        flipped,
    )
    .unwrap_err();
    assert!(err.to_string().contains("disagree"), "{err}");

    let mut short = state.clone();
    short.species.pop();
    assert!(
        Simulation::restore(
            Arc::new(sim.graph().clone()),
            Arc::new(sim.model().clone()),
            sim.program().clone(),
            short,
        )
        .is_err()
    );

    let mut twice = state;
    let member = twice
        .classes
        .iter()
        .find(|c| !c.members.is_empty())
        .unwrap()
        .members[0];
    twice.classes[0].members.push(member);
    assert!(
        Simulation::restore(
            Arc::new(sim.graph().clone()),
            Arc::new(sim.model().clone()),
            sim.program().clone(),
            twice,
        )
        .is_err()
    );
}
