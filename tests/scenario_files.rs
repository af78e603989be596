//! Scenario files: the good corpus and the shipped scenarios compile and build, a few of
//! them run, and every file of the bad corpus is rejected with the file, line, key and
//! message it announces, by the library and by the binary (exit code 2, nothing written).
//!
//! Corpus: `tests/data/scenarios/{good,bad}/*.toml`, with their potentials in
//! `tests/data/scenarios/potentials/`. Each bad file starts with header comments
//! (lumol-input style, as in `tests/data/potentials/bad/`):
//!
//! ```text
//! #^ <substring of the expected message>
//! #^key <the key the message names, as in "key `…`">
//! #^line <N>          (optional: the line the message points at)
//! #^build             (optional: the file compiles; `Scenario::build_system` fails)
//! #^known-gap <what the library does instead>   (optional, see below)
//! ```
//!
//! The header format and the error check are shared with the potential corpus
//! (`tests/common/corpus.rs`); build errors are held to the same file:line and key.
//!
//! A file with `#^known-gap` (good or bad) documents input that the library does not yet
//! handle as it should. The corpus tests only check that it does not panic; the full
//! expectation is checked by an `#[ignore]`d test per file (`cargo test --test
//! scenario_files -- --ignored` lists the gaps).

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

use approx::assert_relative_eq;
use common::corpus::{check_error, expectation, panic_text, toml_files};
use nanokmc::run::{ProgressMode, RunOptions, replica_path};
use nanokmc::scenario::{self, Amount, FrameSchedule, Geometry, Observable, Scenario};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus(kind: &str) -> PathBuf {
    root().join("tests/data/scenarios").join(kind)
}

fn stem(path: &Path) -> &str {
    path.file_stem().unwrap().to_str().unwrap()
}

/// Reads `path` and, if that succeeds, builds replica 0, inside `catch_unwind`. `Err` is a
/// panic; `Ok((read, build))` holds the outcome of each stage (`build` is `None` when the
/// read failed).
type Outcome = (
    nanokmc::Result<Scenario>,
    Option<nanokmc::Result<scenario::System>>,
);

fn read_and_build(path: &Path) -> Result<Outcome, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let read = scenario::read(path);
        let build = read.as_ref().ok().map(|s| s.build_system(0));
        (read, build)
    }))
    .map_err(|p| panic_text(p.as_ref()))
}

fn read_good(name: &str) -> Scenario {
    scenario::read(&corpus("good").join(name)).unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------------------------------
// good files and shipped scenarios

/// Checks that a good file compiles and builds a non-empty system; `Err` says why not.
fn check_good(path: &Path) -> Result<(), String> {
    let name = path.display();
    let (read, build) = read_and_build(path).map_err(|p| format!("{name}: panicked: {p}"))?;
    let scenario = read.map_err(|e| format!("{name}: not compiled: {e}"))?;
    let system = build
        .expect("built after a successful read")
        .map_err(|e| format!("{name}: not built: {e}"))?;
    if system.species.is_empty() || system.species.len() != system.graph.len() {
        return Err(format!("{name}: empty or inconsistent system"));
    }
    if scenario.domain_names().is_empty() {
        return Err(format!("{name}: no domains"));
    }
    Ok(())
}

/// Serialises the tests of this file. HDF5 opens files without close-on-exec, so a child
/// process started by one test (a writer, `nanokmc`, Python) would inherit another test's
/// open file, and with it the file's lock, for its whole life; the next open of that file
/// then fails ("unable to lock file"). One test at a time avoids that.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Every good file compiles (`scenario::read`) and builds (`build_system(0)`); files with
/// a known gap are read without panicking.
#[test]
fn scenario_good_files_compile_and_build() {
    let _guard = serial();
    let files = toml_files(&corpus("good"));
    assert!(files.len() >= 8, "only {} good files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        if expectation(path).known_gap.is_some() {
            if let Err(p) = read_and_build(path) {
                failures.push(format!("{}: panicked: {p}", path.display()));
            }
            continue;
        }
        if let Err(f) = check_good(path) {
            failures.push(f);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every shipped scenario compiles and builds.
#[test]
fn scenario_shipped_files_compile_and_build() {
    let _guard = serial();
    let files = toml_files(&root().join("scenarios"));
    assert!(files.len() >= 2, "shipped scenarios: {files:?}");
    for path in files {
        if let Err(f) = check_good(&path) {
            panic!("{f}");
        }
    }
}

/// `nanokmc check` exits 0 on every shipped scenario and every good file without a known
/// gap, and prints the scenario name and the built system.
#[test]
fn cli_check_accepts_shipped_and_good_scenarios() {
    let _guard = serial();
    let mut files = toml_files(&root().join("scenarios"));
    files.extend(
        toml_files(&corpus("good"))
            .into_iter()
            .filter(|p| expectation(p).known_gap.is_none()),
    );
    for path in files {
        let out = Command::new(env!("CARGO_BIN_EXE_nanokmc"))
            .arg("check")
            .arg(&path)
            .output()
            .expect("runs nanokmc");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {stdout}{stderr}",
            path.display()
        );
        let name = read_and_build(&path).unwrap().0.unwrap().name;
        assert!(stdout.contains(&format!("scenario `{name}`")), "{stdout}");
        assert!(stdout.contains("built: "), "{stdout}");
    }
}

/// Runs `file` with its trajectory in a fresh temporary folder; returns the summary and the
/// folder (kept alive by the caller).
fn run_good(file: &str) -> (nanokmc::run::RunSummary, tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir
        .path()
        .join(format!("{}.h5md", file.trim_end_matches(".toml")));
    let options = RunOptions {
        out: Some(out.clone()),
        progress: ProgressMode::Quiet,
        ..Default::default()
    };
    let summary = nanokmc::run::run(read_good(file), &options).unwrap_or_else(|e| panic!("{e}"));
    (summary, dir, out)
}

/// The periodic block (two replicas, stop after 300 events) runs: each replica executes
/// its 300 events and writes `<out stem>.r<k>.h5md`.
#[test]
fn scenario_block_runs_two_replicas_to_its_event_limit() {
    let _guard = serial();
    let (summary, _dir, out) = run_good("block_fcc.toml");
    assert_eq!(summary.replicas.len(), 2);
    for (k, r) in summary.replicas.iter().enumerate() {
        let k = u32::try_from(k).unwrap();
        assert_eq!(r.replica, k);
        assert_eq!(r.events, 300, "replica {k}");
        assert_eq!(r.output, replica_path(&out, k, 2));
        assert!(r.output.exists(), "{}", r.output.display());
        assert!(
            r.output
                .to_string_lossy()
                .ends_with(&format!("block_fcc.r{k}.h5md")),
            "{}",
            r.output.display()
        );
        // frame 0, every 50 events, and the final state.
        assert!(r.frames >= 7, "{} frames", r.frames);
    }
    assert!(!summary.interrupted());
}

/// A particle on a periodic substrate and a beam-lit rod run a few hundred events each.
#[test]
fn scenario_particle_scenarios_run() {
    let _guard = serial();
    for (file, events) in [
        ("sphere_square_substrate.toml", 400),
        ("hex_rod_beam.toml", 300),
    ] {
        let (summary, _dir, out) = run_good(file);
        assert_eq!(summary.replicas.len(), 1);
        let r = &summary.replicas[0];
        assert!(
            r.events > 0 && r.events <= events,
            "{file}: {} events",
            r.events
        );
        assert_eq!(r.output, out);
        assert!(out.exists(), "{file}: no trajectory");
        assert!(r.frames >= 2, "{file}: {} frames", r.frames);
    }
}

/// Values of the good files in internal units: temperatures in °C, heating rates, stop
/// times, frame schedules and their defaults, geometry defaults.
#[test]
fn scenario_good_files_convert_values() {
    let _guard = serial();
    let s = read_good("block_fcc.toml");
    assert_eq!((s.seed, s.replicas), (7, 2));
    assert!(matches!(
        s.geometry,
        Geometry::Block {
            cells: [6, 6, 6],
            ..
        }
    ));
    let amounts: Vec<Amount> = s.initial.iter().map(|c| c.amount).collect();
    assert_eq!(
        amounts,
        [
            Amount::Fraction(0.02),
            Amount::Count(20),
            Amount::Fraction(0.5),
            Amount::All
        ]
    );
    assert!(s.initial[2].kind.is_some() && s.initial[2].domains.is_some());
    assert!(s.initial[0].from.is_none() && s.initial[1].from.is_some());
    // 350 °C, hold 1 ms, +50 K at 10 K/min (300 s), −100 K in 2 min.
    assert_relative_eq!(
        s.program.environment(0.0).temperature,
        623.15,
        max_relative = 1e-12
    );
    assert_relative_eq!(s.program.end_time(), 420.001, max_relative = 1e-12);
    assert_relative_eq!(
        s.program.environment(300.001).temperature,
        673.15,
        max_relative = 1e-12
    );
    // end_of_program and events: the earlier wins for time.
    assert_eq!(s.stop.events, Some(300));
    assert_relative_eq!(s.stop.time.unwrap(), 420.001, max_relative = 1e-12);
    assert_eq!(s.output.frames, FrameSchedule::EveryEvents(50));
    assert_eq!(s.output.observables, [Observable::Energy]);
    assert_eq!(
        s.default_output(),
        PathBuf::from("block_fcc_trajectory.h5md")
    );

    // defaults: 100 frames over stop.time, `<stem>.h5md`, padding 5 Å, min_separation
    // 0.8 × the shortest site distance (fcc a = 4.08 Å: a/√2), open boundaries.
    let s = read_good("minimal.toml");
    assert_eq!(s.replicas, 1);
    assert!(s.initial.is_empty());
    assert_eq!(s.output.file, None);
    assert_eq!(s.default_output(), PathBuf::from("minimal.h5md"));
    let FrameSchedule::Every(dt) = s.output.frames else {
        panic!("{:?}", s.output.frames)
    };
    assert_relative_eq!(dt, 0.01, max_relative = 1e-12);
    let Geometry::Assembly { assembly, .. } = &s.geometry else {
        panic!("not an assembly")
    };
    assert_relative_eq!(assembly.box_padding, 5.0, max_relative = 1e-12);
    assert_relative_eq!(
        assembly.min_separation,
        0.8 * 4.08 / 2f64.sqrt(),
        max_relative = 1e-9
    );
    assert_eq!(assembly.periodic, [false; 3]);

    // `frames = 10` over 3 ms; explicit padding and min_separation; periodic x, y.
    let s = read_good("sphere_square_substrate.toml");
    let FrameSchedule::Every(dt) = s.output.frames else {
        panic!("{:?}", s.output.frames)
    };
    assert_relative_eq!(dt, 3e-4, max_relative = 1e-12);
    let Geometry::Assembly { assembly, .. } = &s.geometry else {
        panic!("not an assembly")
    };
    assert_relative_eq!(assembly.box_padding, 4.0, max_relative = 1e-12);
    assert_relative_eq!(assembly.min_separation, 2.3, max_relative = 1e-12);
    assert_eq!(assembly.periodic, [true, true, false]);
    assert_eq!(s.domain_names(), ["ball/A_fcc", "support"]);
    assert_relative_eq!(
        s.program.environment(1.5e-3).temperature,
        700.0,
        max_relative = 1e-12
    );
}

/// Values of the good files in internal units: beam fluxes, `k_B·T` temperatures, log-spaced
/// frames, stop conditions and domain names.
#[test]
fn scenario_good_files_convert_beam_stop_and_domains() {
    let _guard = serial();
    // beam windows: 100 e/Å²/s, then 1 A/cm² = 1e-16 C/s/Å² / e = 624.15 e/Å²/s.
    let s = read_good("hex_rod_beam.toml");
    assert_relative_eq!(
        s.program.environment(0.5e-6).beam_flux,
        100.0,
        max_relative = 1e-12
    );
    assert_relative_eq!(
        s.program.environment(1.5e-6).beam_flux,
        0.0,
        epsilon = 1e-12
    );
    assert_relative_eq!(
        s.program.environment(2.5e-6).beam_flux,
        624.150_907,
        max_relative = 1e-6
    );
    assert_eq!(
        s.output.frames,
        FrameSchedule::LogSpaced {
            first: 1e-9,
            per_decade: 3
        }
    );

    // k_B·T = 0.05 eV; `observables = []` adds none; 200 events → a frame every 2 events.
    let s = read_good("polyhedron_and_box.toml");
    assert_relative_eq!(
        s.program.environment(0.0).temperature,
        0.05 / nanokmc::constants::BOLTZMANN_EV_PER_K,
        max_relative = 1e-12
    );
    assert_eq!(s.output.frames, FrameSchedule::EveryEvents(2));
    assert!(s.output.observables.is_empty());

    // stop.when with a domain, a particle name standing for all its domains.
    let s = read_good("platelet_amorphous.toml");
    assert_eq!(s.stop.conditions.len(), 1);
    assert_eq!(s.stop.conditions[0].at_most, 0);
    assert_eq!(s.stop.conditions[0].domains.as_ref().map(Vec::len), Some(1));
    assert_relative_eq!(s.stop.time.unwrap(), 1.0, max_relative = 1e-12);
    let s = read_good("explicit_domains.toml");
    assert_eq!(s.domain_names(), ["hybrid/core", "hybrid/cu"]);
    assert_eq!(s.output.observables, [Observable::Energy], "deduplicated");
    assert_relative_eq!(
        s.program.environment(0.0).temperature,
        298.15,
        max_relative = 1e-12
    );
    let s = read_good("stacked_segments.toml");
    assert_eq!(
        s.domain_names(),
        ["stack/bottom", "stack/middle", "stack/top"]
    );
}

/// Replica r places its initial changes with stream 2r: the same replica builds the same
/// configuration every time, and two replicas differ.
#[test]
fn scenario_initial_changes_depend_on_the_replica_only() {
    let _guard = serial();
    let s = read_good("block_fcc.toml");
    let a = s.build_system(0).unwrap();
    let b = s.build_system(0).unwrap();
    let c = s.build_system(1).unwrap();
    assert_eq!(a.species, b.species);
    assert_ne!(a.species, c.species);
    let vac = s.potential.model.species.find("Vac").unwrap();
    let count = |sys: &scenario::System| sys.species.iter().filter(|&&x| x == vac).count();
    // 2 % of 864 sites, rounded.
    assert_eq!(count(&a), 17);
    assert_eq!(count(&c), 17);
}

// ---------------------------------------------------------------------------------------
// bad files

/// Checks one bad file against its header; `Err` describes the mismatch.
fn check_bad(path: &Path) -> Result<(), String> {
    let expected = expectation(path);
    let name = path.display();
    let message = expected.message.as_deref().unwrap_or("?");
    let (read, build) = read_and_build(path).map_err(|p| format!("{name}: panicked: {p}"))?;
    let error = match (read, build) {
        (Err(e), _) if !expected.build => e,
        (Err(e), _) => return Err(format!("{name}: expected to compile, got: {e}")),
        (Ok(_), _) if !expected.build => {
            return Err(format!("{name}: accepted, expected `{message}`"));
        }
        (Ok(_), Some(Err(e))) => e,
        (Ok(_), _) => return Err(format!("{name}: built, expected `{message}`")),
    };
    check_error(path, &expected, &error)
}

/// Every bad file without a known gap is rejected with path, line, key and message (at
/// compile time, or at build time for `#^build` files); files with a known gap are read
/// without panicking.
#[test]
fn scenario_bad_files_are_rejected_with_location_key_and_message() {
    let _guard = serial();
    let files = toml_files(&corpus("bad"));
    assert!(files.len() >= 30, "only {} bad files", files.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in &files {
        if expectation(path).known_gap.is_some() {
            if let Err(p) = read_and_build(path) {
                failures.push(format!("{}: panicked: {p}", path.display()));
            }
            continue;
        }
        checked += 1;
        if let Err(f) = check_bad(path) {
            failures.push(f);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} bad files failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every file with a known gap has its own ignored test (keeps the list honest).
#[test]
fn scenario_known_gaps_each_have_an_ignored_test() {
    let _guard = serial();
    let source = include_str!("scenario_files.rs");
    for (kind, function) in [("good", "known_good_gap"), ("bad", "known_bad_gap")] {
        for path in toml_files(&corpus(kind)) {
            if expectation(&path).known_gap.is_some() {
                let stem = stem(&path);
                assert!(
                    source.contains(&format!("{function}(\"{stem}\")")),
                    "no ignored test for known gap {kind}/{stem}"
                );
            }
        }
    }
}

/// Body of the `#[ignore]`d test that documents a known gap in a bad file.
// unused while no bad file is marked as a known gap; kept for the next one.
#[allow(dead_code)]
fn known_bad_gap(stem: &str) {
    let path = corpus("bad").join(format!("{stem}.toml"));
    assert!(expectation(&path).known_gap.is_some());
    if let Err(f) = check_bad(&path) {
        panic!("{f}");
    }
}

/// The bad corpus covers the cases the format promises to reject (a guard against losing
/// files).
#[test]
fn scenario_bad_corpus_covers_the_required_cases() {
    let _guard = serial();
    let stems: Vec<String> = toml_files(&corpus("bad"))
        .iter()
        .map(|p| stem(p).to_string())
        .collect();
    for required in [
        "malformed_toml",
        "wrong_type",
        "misspelt_key_temprature",
        "unknown_species_suggestion",
        "unknown_site_kind",
        "unknown_phase",
        "unknown_domain",
        "negative_duration",
        "zero_stop_time",
        "temperature_table_backwards",
        "hold_without_duration",
        "ramp_with_rate_and_duration",
        "heating_rate_bad_time_unit",
        "beam_end_before_start",
        "overlapping_beam_windows",
        "missing_potential_file",
        "species_not_allowed_on_kind",
        "block_with_particles",
        "periodic_z",
        "periodic_x_without_substrate",
        "shape_key_does_not_apply",
        "unknown_shape_type",
        "missing_shape_size",
        "amorphous_without_min_distance",
        "fraction_above_one",
        "fraction_and_count",
        "stop_without_criterion",
        "frames_without_stop_time",
        "two_frame_schedules",
        "unknown_observable",
        "zero_replicas",
        "negative_seed",
        "quantity_without_unit",
        "unknown_unit",
        "initial_more_sites_than_exist",
        "empty_domain",
    ] {
        assert!(
            stems.iter().any(|s| s == required),
            "missing bad file {required}.toml"
        );
    }
}

/// `nanokmc run FILE --out X` on a bad file exits 2 with `error: <path>` (and `:<line>:`
/// when the file names one), the expected message, and writes nothing; `nanokmc check`
/// exits 2 as well.
#[test]
fn cli_run_rejects_bad_files_with_exit_code_2_and_writes_nothing() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    for path in toml_files(&corpus("bad")) {
        let expected = expectation(&path);
        if expected.known_gap.is_some() {
            continue;
        }
        let out = dir.path().join(format!("{}.h5md", stem(&path)));
        let result = Command::new(env!("CARGO_BIN_EXE_nanokmc"))
            .arg("run")
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("runs nanokmc");
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(
            result.status.code(),
            Some(2),
            "{}: {stderr}",
            path.display()
        );
        assert!(stderr.starts_with("error: "), "{stderr}");
        let location = match expected.line {
            Some(line) => format!("{}:{line}:", path.display()),
            _ => path.display().to_string(),
        };
        assert!(
            stderr.contains(&location),
            "expected `{location}` in {stderr}"
        );
        assert!(
            stderr.contains(expected.message.as_deref().unwrap()),
            "{stderr}"
        );
        assert!(!out.exists(), "{}: wrote {}", path.display(), out.display());
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(leftovers.is_empty(), "files written: {leftovers:?}");

    for name in ["misspelt_key_temprature", "initial_more_sites_than_exist"] {
        let path = corpus("bad").join(format!("{name}.toml"));
        let result = Command::new(env!("CARGO_BIN_EXE_nanokmc"))
            .arg("check")
            .arg(&path)
            .output()
            .expect("runs nanokmc");
        assert_eq!(result.status.code(), Some(2), "{}", path.display());
    }
}

/// A scenario file that does not exist: an I/O error naming the path, no panic.
#[test]
fn scenario_missing_file_error_names_the_path() {
    let _guard = serial();
    let path = corpus("does_not_exist.toml");
    let (read, _) = read_and_build(&path).expect("no panic");
    let error = read.expect_err("a missing file is an error");
    let text = error.to_string();
    assert!(matches!(error, nanokmc::Error::Io { .. }), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
}
