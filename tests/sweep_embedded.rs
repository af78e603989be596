//! A scenario file that carries its own `[sweep]` block (`tests/data/sweep/good/embedded.toml`):
//! `nanokmc sweep` on it gives bit for bit the runs of the equivalent sweep file
//! (`tests/data/sweep/temperature.toml`, runs 0–3: same values, seeds and replicas), the
//! points' scenarios are written without the block, `nanokmc run` on it runs the values
//! written in the scenario (its base point) once and says so, `nanokmc check` checks every
//! point, and a bad block stops `run`, `check` and `sweep` with exit code 2 and nothing
//! written. The bad block files themselves are in the sweep corpus
//! (`tests/data/sweep/bad/embedded_*.toml`, read by `tests/sweep_runs.rs`).
//!
//! The runs use the 864-site block of the SPPARKS model (about a second each in the test
//! profile) with the scenario's seed 1811, fixed before any result was seen; comparisons
//! are exact (bits), not statistical.

use std::path::{Path, PathBuf};
use std::process::Command;

use nanokmc::output::TrajectoryReader;
use nanokmc::sweep::{self, SweepOptions, manifest};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sweep")
        .join(name)
}

fn nanokmc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nanokmc"))
}

/// Frame times, species per frame and the energy column, all as bits.
fn content(path: &Path) -> (Vec<u64>, Vec<Vec<u8>>, Vec<u64>) {
    let r = TrajectoryReader::open(path).unwrap();
    let times = r.times().unwrap().into_iter().map(f64::to_bits).collect();
    let species = (0..r.frames()).map(|f| r.species(f).unwrap()).collect();
    let energy = r.observable("energy").unwrap().columns[0]
        .1
        .iter()
        .map(|v| v.to_bits())
        .collect();
    (times, species, energy)
}

fn trajectories(dir: &Path) -> Vec<PathBuf> {
    let m = manifest::read(dir).unwrap();
    m.runs
        .iter()
        .map(|r| manifest::trajectory(dir, r))
        .collect()
}

#[test]
fn embedded_sweep_gives_the_runs_of_the_equivalent_sweep_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = data("good/embedded.toml");
    // the plan: 2 points × 2 replicas, the scenario's seed + p, no [sweep] in the points.
    let plan = sweep::plan(sweep::read(&file).unwrap(), Some(&tmp.path().join("p"))).unwrap();
    assert!(plan.spec.embedded);
    assert_eq!(plan.spec.name, "embedded");
    assert_eq!(plan.spec.scenario, file);
    assert_eq!(plan.runs.len(), 4);
    assert_eq!(
        plan.points.iter().map(|p| p.seed).collect::<Vec<_>>(),
        [1811, 1812]
    );
    for p in &plan.points {
        let text = p.scenario.source.text();
        assert!(!text.contains("[sweep"), "point {}: {text}", p.id);
    }
    assert!(!tmp.path().join("p").exists(), "planning writes nothing");

    // the command line on the scenario file.
    let out = tmp.path().join("embedded");
    let o = nanokmc()
        .arg("sweep")
        .arg(&file)
        .args(["--threads", "2", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // the same runs from the sweep file that names block.toml.
    let reference = tmp.path().join("file");
    let plan = sweep::plan(
        sweep::read(&data("temperature.toml")).unwrap(),
        Some(&reference),
    )
    .unwrap();
    let report = sweep::execute(
        &plan,
        &SweepOptions {
            threads: Some(2),
            runs: Some(0..4),
            ..SweepOptions::default()
        },
    )
    .unwrap();
    assert!(report.all_complete());
    let (a, b) = (trajectories(&out), trajectories(&reference));
    assert_eq!(a.len(), 4);
    for (x, y) in a.iter().zip(&b[..4]) {
        assert_eq!(
            content(x),
            content(y),
            "{} against {}",
            x.display(),
            y.display()
        );
    }
    assert_ne!(content(&a[0]), content(&a[2]), "the points differ");
    let m = manifest::read(&out).unwrap();
    assert_eq!(m.runs[3].values["kT"].as_str(), Some("4 eV"));
}

#[test]
fn run_and_check_on_a_scenario_with_a_sweep_run_its_base_point_and_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let file = data("good/embedded.toml");
    let traj = tmp.path().join("base.h5md");
    let o = nanokmc()
        .arg("run")
        .arg(&file)
        .args(["--threads", "1", "--progress", "quiet", "--out"])
        .arg(&traj)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("has a [sweep] block (2 point(s) × 2 replica(s) over kT)")
            && stderr.contains("runs the scenario with the values written in it")
            && stderr.contains("nanokmc sweep"),
        "{stderr}"
    );
    // one run (the scenario has no `replicas`), complete, to the scenario's 60 s.
    let info = nanokmc::output::info(&traj).unwrap();
    assert!(info.is_complete());
    assert_eq!(info.replicas, 1);
    assert_eq!(info.seed, 1811);
    assert!((info.last.unwrap().1 - 60.0).abs() < 1e-9);
    assert!(!tmp.path().join("base.r1.h5md").exists());

    let o = nanokmc()
        .arg("check")
        .arg(&file)
        .arg("--no-build")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("sweep ([sweep] block): 2 point(s) × 2 replica(s) = 4 run(s)")
            && stdout.contains("p001  seed 1812  kT = 4 eV"),
        "{stdout}"
    );
}

#[test]
fn a_bad_sweep_block_stops_run_check_and_sweep_with_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = data("bad/embedded_misspelt_key.toml");
    let traj = tmp.path().join("x.h5md");
    for args in [
        vec![
            "run".to_string(),
            "--out".into(),
            traj.display().to_string(),
        ],
        vec!["check".to_string()],
        vec![
            "sweep".to_string(),
            "--out".into(),
            tmp.path().join("s").display().to_string(),
        ],
    ] {
        let o = nanokmc()
            .arg(&args[0])
            .arg(&bad)
            .args(&args[1..])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{}: {stderr}", args[0]);
        assert!(
            stderr.contains("embedded_misspelt_key.toml:21:") && stderr.contains("sweep.replica"),
            "{}: {stderr}",
            args[0]
        );
    }
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    // a scenario without a block is not a sweep.
    let o = nanokmc()
        .arg("sweep")
        .arg(data("block.toml"))
        .arg("--out")
        .arg(tmp.path().join("t"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("without a [sweep] block"));
    assert!(!tmp.path().join("t").exists());
}

/// The README's sweep: the sandwich's program shifted by −20, 0, +20 °C (three zipped
/// axes), 4 replicas per point; every point's scenario compiles.
#[test]
fn shipped_sandwich_sweep_plans_three_shifted_programs() {
    let tmp = tempfile::tempdir().unwrap();
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/sweeps/sandwich_temperatures.toml");
    let plan = sweep::plan(sweep::read(&file).unwrap(), Some(&tmp.path().join("s"))).unwrap();
    assert_eq!((plan.points.len(), plan.runs.len()), (3, 12));
    assert_eq!(
        plan.describe(2),
        "T_step1 = 320 C, T_step2 = 370 C, T_step3 = 420 C"
    );
    // the temperature in the middle of each 10-min hold, point p000: 280, 330, 380 °C.
    let holds: Vec<f64> = [300.0, 900.0, 1500.0]
        .iter()
        .map(|&t| plan.points[0].scenario.program.environment(t).temperature - 273.15)
        .collect();
    for (got, want) in holds.iter().zip([280.0, 330.0, 380.0]) {
        assert!((got - want).abs() < 1e-9, "{holds:?}");
    }
}
