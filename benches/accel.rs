//! Criterion benchmark of acceleration: wall time to advance the simulated clock of the
//! CdSe-like exchange model (`benches/data/accel_sep1e4.toml`: Cu and Cd interstitial hops
//! 10⁴ times faster than the kick-out exchange, a 7,845-site rod at 350 °C) by a fixed
//! [`SPAN`], with rate scaling (default settings) and without. The ratio of the two times is
//! the speed-up in simulated time per wall second (`BENCHMARKS.md`, "Acceleration"). Each
//! simulation is built and warmed up outside the timing (the accelerated one through
//! enough detection windows for its factors to settle).

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use nanokmc::engine::Simulation;
use nanokmc::rng;
use nanokmc::scenario;

/// Simulated time advanced per timed iteration [s].
const SPAN: f64 = 1e-7;

fn simulation(accelerated: bool) -> Simulation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/accel_sep1e4.toml");
    let scenario = scenario::read(&path).expect("benchmark scenario reads");
    let system = scenario.build_system(0).expect("benchmark system builds");
    let mut sim = Simulation::new(
        system.graph,
        system.model,
        system.species,
        scenario.program.clone(),
        rng::stream(scenario.seed, 1),
    )
    .expect("simulation builds");
    if accelerated {
        let plan = scenario
            .acceleration
            .as_ref()
            .expect("the scenario accelerates");
        sim.enable_acceleration(plan.settings, plan.channels.as_deref())
            .expect("acceleration turns on");
        // ten detection windows: the factors are decided.
        sim.run_events(10 * plan.settings.window, f64::INFINITY)
            .expect("warm-up runs");
    } else {
        sim.run_events(200_000, f64::INFINITY)
            .expect("warm-up runs");
    }
    sim
}

fn acceleration(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulated_span_1e-7s");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    for (name, accelerated) in [("plain", false), ("scaling", true)] {
        let mut sim = simulation(accelerated);
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                let start = Instant::now();
                for _ in 0..iterations {
                    let until = sim.time() + SPAN;
                    sim.run_until(until).expect("events run");
                }
                start.elapsed()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, acceleration);
criterion_main!(benches);
