//! Physical limits and external references of whole simulations.
//!
//! - The SPPARKS diffusion benchmark (`app_style diffusion`, linear and nonlinear energy,
//!   hop events): hops per vacancy per unit time at L = 29, f = 0.01, k_B T = 4 eV.
//! - Determinism: the same seed gives a bit-identical trajectory whatever the number of
//!   threads that built the site graph.

mod common;

use std::path::PathBuf;

use common::mean_sem;

use nanokmc::bench::{self, BenchConfig, BenchStop};
use nanokmc::constants::BOLTZMANN_EV_PER_K;
use nanokmc::sites::{ShellId, SiteId};

/// Hops per vacancy per unit time measured with SPPARKS at L = 29, f = 0.01, T = 4.
const SPPARKS_HOPS_PER_VACANCY: f64 = 11.31;

/// Seed of the reference runs (vacancy placement and trajectory).
const SEED: u64 = 20_261_122;

fn config(potential: &str, cells: usize, events: u64, seed: u64) -> BenchConfig {
    BenchConfig {
        potential: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(potential),
        cells,
        vacancy_fraction: 0.01,
        temperature: 4.0 / BOLTZMANN_EV_PER_K,
        stop: BenchStop::Events(events),
        seed,
        warmup_events: 0,
        ramp: 0.0,
    }
}

/// Hops per vacancy per unit time of `potential` at the SPPARKS benchmark point, over
/// `blocks` consecutive blocks of `per_block` events: (overall rate, rate of each block).
fn hop_rate(potential: &str, blocks: usize, per_block: u64, seed: u64) -> (f64, Vec<f64>) {
    let events = blocks as u64 * per_block;
    let (mut simulation, info) = bench::build(&config(potential, 29, events, seed)).unwrap();
    assert_eq!(info.sites, 4 * 29 * 29 * 29);
    let vacancies = info.vacancies as f64;
    let mut block_rates = Vec::with_capacity(blocks);
    for _ in 0..blocks {
        let t0 = simulation.time();
        simulation.run_events(per_block, f64::INFINITY).unwrap();
        block_rates.push(per_block as f64 / (vacancies * (simulation.time() - t0)));
    }
    assert_eq!(simulation.executed(), events);
    (events as f64 / (vacancies * simulation.time()), block_rates)
}

/// Runs `blocks × per_block` events with seed [`SEED`] and asserts that the rate lies within
/// 1 % of SPPARKS and that its standard error from the blocks is below 0.3 %, so that the
/// 1 % tolerance tests the model and not the noise.
fn check_against_spparks(potential: &str, blocks: usize, per_block: u64) {
    let (rate, block_rates) = hop_rate(potential, blocks, per_block, SEED);
    let (mean, sem) = mean_sem(&block_rates);
    assert!(
        sem / mean < 0.003,
        "block standard error {sem} of {mean} is not well below 1 %"
    );
    let relative = (rate - SPPARKS_HOPS_PER_VACANCY).abs() / SPPARKS_HOPS_PER_VACANCY;
    assert!(
        relative <= 0.01,
        "{rate} ± {sem} hops per vacancy per unit time vs SPPARKS \
         {SPPARKS_HOPS_PER_VACANCY} ({:.2} % off, tolerance 1 %)",
        100.0 * relative
    );
}

/// SPPARKS reference, linear energy (`potentials/bench_diffusion.toml`): L = 29 (97 556
/// sites, ≈ 976 vacancies), f = 0.01, k_B T = 4 eV, seed 20 261 122, 10⁶ events (10 blocks
/// of 10⁵) from the random start (no warm-up): within 1 % of 11.31 (SPPARKS).
///
/// Statistics (measured when the test was written, `bench_four_seeds_hop_rate_within_one_percent_of_spparks`): this seed
/// gives 11.327 with a block SEM of 0.009 (0.08 %). Over the seeds 20 261 122, 7, 1 234 567
/// and 42 the rate is 11.327, 11.283, 11.268, 11.326: mean 11.301, standard deviation
/// 0.030 (0.27 %, dominated by the vacancy configuration, which changes with the seed);
/// the largest deviation from 11.31 is 0.37 %. The 1 % tolerance is ≈ 3.7 seed-to-seed
/// standard deviations. About 2 s in the test profile.
#[test]
fn bench_linear_hop_rate_matches_spparks_within_one_percent() {
    check_against_spparks("potentials/bench_diffusion.toml", 10, 100_000);
}

/// SPPARKS reference, nonlinear energy (`potentials/bench_diffusion_nonlinear.toml`,
/// E(n) = 12 − n, the same physics through the coordination-table path): same point,
/// seed 20 261 122, 3·10⁵ events (10 blocks of 3·10⁴): within 1 % of 11.31.
///
/// Statistics (as above): this seed gives 11.325 with a block SEM of 0.022 (0.19 %). Over
/// the seeds 20 261 122, 7, 1 234 567 and 42: 11.325, 11.258, 11.265, 11.294, mean 11.285,
/// standard deviation 0.031 (0.27 %); largest deviation from 11.31 is 0.46 %. About 3.5 s
/// in the test profile.
#[test]
fn bench_nonlinear_hop_rate_matches_spparks_within_one_percent() {
    check_against_spparks("potentials/bench_diffusion_nonlinear.toml", 10, 30_000);
}

/// The fcc benchmark graph built in rayon pools of 1 and 2 threads (L = 12, 6912 sites, so
/// the neighbour search runs in 7 parallel blocks; f = 0.01), then 10⁵ events with the same
/// seed: identical neighbour lists, bit-identical simulated time and identical occupancy.
#[test]
fn bench_graph_thread_count_gives_bit_identical_trajectory() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (mut simulation, info) = pool
            .install(|| bench::build(&config("potentials/bench_diffusion.toml", 12, 0, 7)))
            .unwrap();
        assert!(info.vacancies > 0);
        let graph = simulation.graph();
        let shell = ShellId(0);
        let neighbors: Vec<SiteId> = (0..graph.len())
            .flat_map(|s| graph.neighbors(SiteId(s as u32), shell))
            .collect();
        assert_eq!(neighbors.len(), 12 * graph.len());
        simulation.run_events(100_000, f64::INFINITY).unwrap();
        assert_eq!(simulation.executed(), 100_000);
        (
            neighbors,
            simulation.time().to_bits(),
            simulation.occupancy().species().collect::<Vec<_>>(),
        )
    };
    let (neighbors_1, time_1, occupancy_1) = run(1);
    let (neighbors_2, time_2, occupancy_2) = run(2);
    assert!(
        neighbors_1 == neighbors_2,
        "neighbour lists differ between 1 and 2 threads"
    );
    assert_eq!(
        time_1, time_2,
        "simulated time differs between 1 and 2 threads"
    );
    assert!(
        occupancy_1 == occupancy_2,
        "occupancy differs between 1 and 2 threads"
    );
}

/// The statistics quoted in the SPPARKS tests: rate, block SEM and spread over four seeds for
/// both models (prints them; run with `-- --ignored --nocapture`, ≈ 25 s). Also asserts
/// that every seed agrees with SPPARKS within 1 %.
#[test]
#[ignore = "long: four seeds per model, ≈ 25 s"]
fn bench_four_seeds_hop_rate_within_one_percent_of_spparks() {
    for (pot, blocks, per_block) in [
        ("potentials/bench_diffusion.toml", 10, 100_000),
        ("potentials/bench_diffusion_nonlinear.toml", 10, 30_000),
    ] {
        for seed in [SEED, 7, 1_234_567, 42] {
            let start = std::time::Instant::now();
            let (rate, b) = hop_rate(pot, blocks, per_block, seed);
            let (mean, sem) = mean_sem(&b);
            println!(
                "{pot} seed {seed}: rate {rate:.4} block mean {mean:.4} sem {sem:.4} ({:.3} %) blocks {:?} [{:.1} s]",
                100.0 * sem / mean,
                b.iter()
                    .map(|x| (x * 1000.0).round() / 1000.0)
                    .collect::<Vec<_>>(),
                start.elapsed().as_secs_f64()
            );
            assert!(
                (rate / SPPARKS_HOPS_PER_VACANCY - 1.0).abs() <= 0.01,
                "{rate}"
            );
        }
    }
}
