//! Criterion benchmark of the engine: events per second on the SPPARKS `diffusion linear
//! hop` benchmark (periodic fcc, 12 neighbours, k_B·T = 4 eV) at L = 14 and L = 29 cells.
//!
//! Cases: f = 0.01 with the linear (bond) energy, f = 0.01 with the nonlinear
//! (coordination-table) energy, and f = 0.5 linear. Each simulation is built once, outside
//! the timing, warmed up, and then timed in batches of [`BATCH`] events; criterion reports
//! the throughput in events per second ("elem/s"). The run is kept short (10 samples, 2 s
//! of measurement per case); `nanokmc bench` is the long-form benchmark with 10⁶ sites.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nanokmc::bench::{BenchConfig, BenchStop, build};
use nanokmc::constants::BOLTZMANN_EV_PER_K;

/// Events per timed batch.
const BATCH: u64 = 10_000;

fn config(potential: &str, cells: usize, vacancy_fraction: f64) -> BenchConfig {
    BenchConfig {
        potential: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(potential),
        cells,
        vacancy_fraction,
        temperature: 4.0 / BOLTZMANN_EV_PER_K,
        stop: BenchStop::Events(BATCH),
        seed: 20_261_122,
        warmup_events: BATCH,
        ramp: 0.0,
    }
}

fn engine(c: &mut Criterion) {
    let cases = [
        ("linear_f0.01", "potentials/bench_diffusion.toml", 0.01),
        (
            "nonlinear_f0.01",
            "potentials/bench_diffusion_nonlinear.toml",
            0.01,
        ),
        ("linear_f0.5", "potentials/bench_diffusion.toml", 0.5),
    ];
    let mut group = c.benchmark_group("events");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(BATCH));
    for (name, potential, f) in cases {
        for cells in [14, 29] {
            let cfg = config(potential, cells, f);
            let (mut simulation, info) = build(&cfg).expect("benchmark builds");
            simulation
                .run_events(cfg.warmup_events, f64::INFINITY)
                .expect("warm-up runs");
            group.bench_with_input(
                BenchmarkId::new(name, format!("L{cells}_{}sites", info.sites)),
                &cells,
                |b, _| {
                    b.iter_custom(|iterations| {
                        let start = Instant::now();
                        for _ in 0..iterations {
                            simulation
                                .run_events(BATCH, f64::INFINITY)
                                .expect("events run");
                        }
                        black_box(simulation.executed());
                        start.elapsed()
                    });
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
