//! The speed benchmark: SPPARKS `app_style diffusion linear hop` on a periodic fcc crystal.
//!
//! This module is a client of the engine, not part of the kMC step: it builds a periodic
//! block of `L × L × L` conventional fcc cells (4 sites per cell, 12 nearest neighbours)
//! from a potential file, makes each site vacant with probability `f` (else it holds the
//! species the phase fills it with), and times [`Simulation`] on it. The reference is the
//! SPPARKS benchmark (`potentials/bench_diffusion.toml` documents the mapping of its
//! unitless model onto eV, K and s): at `L = 29`, `f = 0.01`, `k_B T = 4 eV`, SPPARKS
//! measures 11.31 hops per vacancy per unit time.
//!
//! [`build`] sets a benchmark up, [`run`] builds, warms up and times it, returning a
//! [`BenchReport`]. The `nanokmc bench` command and `benches/engine.rs` are thin wrappers.
//!
//! # Random streams
//! Vacancies are placed with `rng::stream(seed, 0)`; the simulation draws from
//! `rng::stream(seed, 1)`, so the same seed gives the same configuration and trajectory.
//!
//! # Example
//! ```no_run
//! use nanokmc::bench::{run, BenchConfig, BenchStop};
//! let config = BenchConfig {
//!     potential: "potentials/bench_diffusion.toml".into(),
//!     cells: 14,
//!     vacancy_fraction: 0.01,
//!     temperature: 4.0 / nanokmc::constants::BOLTZMANN_EV_PER_K,
//!     stop: BenchStop::Events(100_000),
//!     seed: 1,
//!     warmup_events: 10_000,
//!     ramp: 0.0,
//! };
//! let report = run(&config)?;
//! println!("{} events/s", report.events_per_second);
//! # Ok::<(), nanokmc::Error>(())
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::engine::Simulation;
use crate::error::{Error, Result};
use crate::lattice::assembly::periodic_crystal;
use crate::potential::{self, Phase, Potential};
use crate::program::{Program, Schedule};
use crate::rng;
use crate::state::SpeciesId;

/// When the timed part of a benchmark stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BenchStop {
    /// After this much simulated time [s], counted from the end of the warm-up.
    Time(f64),
    /// After this many executed events (not counting the warm-up).
    Events(u64),
}

/// Everything that defines one benchmark run (one lattice size).
#[derive(Debug, Clone, PartialEq)]
pub struct BenchConfig {
    /// The potential file (its single phase, or the phase named `fcc`, is used).
    pub potential: PathBuf,
    /// Number `L` of conventional cells along each axis (the crystal has `L³ × basis` sites).
    pub cells: usize,
    /// Probability `f` that a site is vacant, in `[0, 1]`.
    pub vacancy_fraction: f64,
    /// Temperature [K], constant.
    pub temperature: f64,
    /// When the timed run stops.
    pub stop: BenchStop,
    /// Seed of the vacancy placement and of the simulation's random stream.
    pub seed: u64,
    /// Events executed before the timer starts (warms caches and the class table up).
    pub warmup_events: u64,
    /// Temperature ramp, as the relative change of T per simulated second (0 for a hold):
    /// T(t) = T₀ (1 + ramp · t). Measures the cost of exact stepping under a ramp.
    pub ramp: f64,
}

/// What [`build`] produced, besides the simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildInfo {
    /// Name of the model in the potential file.
    pub model_name: String,
    /// Name of the phase used.
    pub phase_name: String,
    /// Number of sites.
    pub sites: usize,
    /// Number of vacant sites.
    pub vacancies: usize,
    /// Wall-clock time of the build (reading the file, graph, events) [s].
    pub build_seconds: f64,
}

/// The measured result of one benchmark run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// What was built.
    pub info: BuildInfo,
    /// Events executed in the timed run (warm-up excluded).
    pub events: u64,
    /// Simulated time covered by the timed run [s].
    pub simulated_time: f64,
    /// Wall-clock time of the timed run [s] (building and warm-up excluded).
    pub wall_seconds: f64,
    /// `events / wall_seconds` [s⁻¹ of wall time].
    pub events_per_second: f64,
    /// Hops per vacancy per unit of simulated time, `events / (vacancies × simulated_time)`
    /// [s⁻¹] (NaN when there is no vacancy or no simulated time elapsed).
    pub hops_per_vacancy_per_time: f64,
    /// Bytes per site accounted by the engine ([`Simulation::memory_bytes`] / sites), at
    /// the end of the run.
    pub engine_bytes_per_site: f64,
    /// Peak resident set size of the whole process per site [bytes], read from `VmHWM` in
    /// `/proc/self/status`. Linux only: `None` elsewhere or if it cannot be read. It counts
    /// everything the process ever held, including the build and anything run before in
    /// the same process, so run one size per process for a clean figure.
    pub peak_rss_bytes_per_site: Option<f64>,
}

/// The phase a benchmark uses: the single phase of `potential`, or the one named `fcc`.
fn bench_phase(potential: &Potential, path: &std::path::Path) -> Result<Phase> {
    if let [only] = potential.phases.as_slice() {
        return Ok(only.clone());
    }
    potential.phase("fcc").cloned().ok_or_else(|| {
        let names: Vec<&str> = potential.phases.iter().map(|p| p.name.as_str()).collect();
        Error::build(
            format!("benchmark potential {}", path.display()),
            format!(
                "expected a single phase or one named `fcc`, found {} phases ({})",
                names.len(),
                names.join(", ")
            ),
        )
    })
}

/// Checks the numbers of `config` (the file is checked by [`prepare`]).
///
/// # Errors
/// [`Error::Build`] for 0 cells, `f` outside `[0, 1]`, a temperature that is not finite
/// and > 0, or a run time that is not finite and > 0.
pub fn validate(config: &BenchConfig) -> Result<()> {
    let context = "benchmark";
    if config.cells == 0 {
        return Err(Error::build(
            context,
            "the number of cells must be at least 1",
        ));
    }
    if !(0.0..=1.0).contains(&config.vacancy_fraction) {
        return Err(Error::build(
            context,
            format!(
                "the vacancy fraction must lie in [0, 1], got {}",
                config.vacancy_fraction
            ),
        ));
    }
    if !(config.temperature.is_finite() && config.temperature > 0.0) {
        return Err(Error::build(
            context,
            format!(
                "the temperature must be finite and > 0 K, got {}",
                config.temperature
            ),
        ));
    }
    if let BenchStop::Time(t) = config.stop
        && !(t.is_finite() && t > 0.0)
    {
        return Err(Error::build(
            context,
            format!("the run time must be finite and > 0 s, got {t}"),
        ));
    }
    Ok(())
}

/// Validates `config`, reads its potential file and picks the phase: everything [`build`]
/// checks before building the crystal (cheap, for checking input up front).
///
/// # Errors
/// As [`validate`]; [`Error::Io`] or [`Error::Input`] if the potential file cannot be read
/// or is invalid; [`Error::Build`] if it has neither a single phase nor one named `fcc`.
pub fn prepare(config: &BenchConfig) -> Result<(Potential, Phase)> {
    validate(config)?;
    let potential = potential::read(&config.potential)?;
    let phase = bench_phase(&potential, &config.potential)?;
    Ok((potential, phase))
}

/// Builds the benchmark simulation of `config`: reads the potential, builds the periodic
/// crystal and its site graph, places vacancies with probability `f` per site from
/// `rng::stream(seed, 0)` (other sites get the species the phase fills them with) and
/// creates the simulation under a constant program at `config.temperature` with no beam.
///
/// # Errors
/// [`Error::Io`] or [`Error::Input`] if the potential file cannot be read or is invalid;
/// [`Error::Build`] if the configuration is out of range (0 cells, `f` outside `[0, 1]`,
/// temperature ≤ 0, run time ≤ 0), the potential has no usable phase, or the crystal or
/// the simulation cannot be built from it.
pub fn build(config: &BenchConfig) -> Result<(Simulation, BuildInfo)> {
    let start = Instant::now();
    let (potential, phase) = prepare(config)?;
    let crystal = phase.crystal()?;
    let kinds = phase.basis_kinds(&crystal)?;
    let fill = phase.basis_fill(&crystal);
    let l = config.cells;
    let sites = periodic_crystal(&crystal, [l, l, l], &kinds, "bulk")?;

    // Vacancies: one uniform draw per site, in site order, so the configuration depends on
    // the seed only.
    let mut placement = rng::stream(config.seed, 0);
    let species: Vec<SpeciesId> = sites
        .roles
        .iter()
        .map(|&role| {
            if rng::uniform_open01(&mut placement) <= config.vacancy_fraction {
                SpeciesId::VACANCY
            } else {
                fill[usize::from(role)]
            }
        })
        .collect();
    let vacancies = species.iter().filter(|s| s.is_vacancy()).count();

    let graph = Arc::new(potential.build_graph(sites)?);
    let n_sites = graph.len();
    let program = if config.ramp == 0.0 {
        Program::constant(config.temperature, 0.0)?
    } else {
        // linear for 10^9 s, far beyond any benchmark run.
        let span = 1e9;
        let end = config.temperature * (1.0 + config.ramp * span);
        Program::new(
            Schedule::from_points(vec![(0.0, config.temperature), (span, end)])?,
            Schedule::constant(0.0),
        )?
    };
    let model_name = potential.model.name.clone();
    let model = Arc::new(potential.model);
    let simulation = Simulation::new(graph, model, species, program, rng::stream(config.seed, 1))?;
    let info = BuildInfo {
        model_name,
        phase_name: phase.name,
        sites: n_sites,
        vacancies,
        build_seconds: start.elapsed().as_secs_f64(),
    };
    Ok((simulation, info))
}

/// Builds the benchmark of `config`, executes `warmup_events` untimed events, then times
/// the run until `config.stop` with [`Instant`], and reports speed, hop rate and memory.
///
/// # Errors
/// As [`build`]; and a run-time [`Error::Model`] if a rate becomes invalid during the run.
pub fn run(config: &BenchConfig) -> Result<BenchReport> {
    let (mut simulation, info) = build(config)?;
    simulation.run_events(config.warmup_events, f64::INFINITY)?;
    let events_before = simulation.executed();
    let time_before = simulation.time();

    let start = Instant::now();
    match config.stop {
        BenchStop::Time(t) => simulation.run_until(time_before + t)?,
        BenchStop::Events(n) => simulation.run_events(n, f64::INFINITY)?,
    }
    let wall_seconds = start.elapsed().as_secs_f64();

    let events = simulation.executed() - events_before;
    let simulated_time = simulation.time() - time_before;
    #[allow(clippy::cast_precision_loss)]
    let (events_f, vacancies_f, sites_f) =
        (events as f64, info.vacancies as f64, info.sites as f64);
    #[allow(clippy::cast_precision_loss)]
    let engine_bytes = simulation.memory_bytes() as f64;
    let hops_per_vacancy_per_time = if info.vacancies > 0 && simulated_time > 0.0 {
        events_f / (vacancies_f * simulated_time)
    } else {
        f64::NAN
    };
    Ok(BenchReport {
        events,
        simulated_time,
        wall_seconds,
        events_per_second: events_f / wall_seconds.max(f64::MIN_POSITIVE),
        hops_per_vacancy_per_time,
        engine_bytes_per_site: engine_bytes / sites_f.max(1.0),
        #[allow(clippy::cast_precision_loss)]
        peak_rss_bytes_per_site: peak_rss_bytes().map(|b| b as f64 / sites_f.max(1.0)),
        info,
    })
}

/// Peak resident set size of this process [bytes]: `VmHWM` from `/proc/self/status`.
///
/// Linux only; `None` on other systems or if the file cannot be read or parsed.
#[must_use]
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

/// The `VmHWM:` line of a `/proc/<pid>/status` text, in bytes.
fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let mut fields = line["VmHWM:".len()..].split_whitespace();
    let value: u64 = fields.next()?.parse().ok()?;
    let scale = match fields.next() {
        Some("kB") | None => 1024,
        Some("mB" | "MB") => 1024 * 1024,
        Some(_) => return None,
    };
    value.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(cells: usize, f: f64, stop: BenchStop) -> BenchConfig {
        BenchConfig {
            potential: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("potentials/bench_diffusion.toml"),
            cells,
            vacancy_fraction: f,
            temperature: 4.0 / crate::constants::BOLTZMANN_EV_PER_K,
            stop,
            seed: 7,
            warmup_events: 100,
            ramp: 0.0,
        }
    }

    #[test]
    fn parse_vm_hwm_reads_kilobytes() {
        let text = "Name:\tx\nVmPeak:\t  2000 kB\nVmHWM:\t    1234 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_vm_hwm(text), Some(1234 * 1024));
        assert_eq!(parse_vm_hwm("VmRSS: 1 kB\n"), None);
    }

    #[test]
    fn build_small_crystal_has_four_sites_per_cell_and_about_f_vacancies() {
        let (simulation, info) = build(&config(4, 0.25, BenchStop::Events(10))).unwrap();
        assert_eq!(info.sites, 4 * 4 * 4 * 4);
        assert_eq!(simulation.graph().len(), 256);
        assert!(
            info.vacancies > 30 && info.vacancies < 100,
            "{}",
            info.vacancies
        );
        assert!(simulation.audit().is_clean());
    }

    #[test]
    fn run_events_counts_exactly_and_reports_positive_rates() {
        let report = run(&config(4, 0.05, BenchStop::Events(1000))).unwrap();
        assert_eq!(report.events, 1000);
        assert!(report.simulated_time > 0.0);
        assert!(report.hops_per_vacancy_per_time > 0.0);
        assert!(report.engine_bytes_per_site > 0.0);
    }

    #[test]
    fn build_rejects_out_of_range_inputs_as_input_errors() {
        for bad in [
            config(0, 0.01, BenchStop::Events(1)),
            config(4, 1.5, BenchStop::Events(1)),
            config(4, 0.01, BenchStop::Time(-1.0)),
        ] {
            let error = build(&bad).err().unwrap();
            assert!(error.is_input_error(), "{error}");
        }
    }
}
