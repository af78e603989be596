//! `nanokmc sweep` and `nanokmc merge`: the sweep-file corpus (`tests/data/sweep/{good,bad}`,
//! bad files with `#^` headers as in `tests/common/corpus.rs`, nothing written on error),
//! bit-identical files with one and two threads, reruns that skip complete runs, sweeps
//! killed with SIGTERM and SIGKILL and continued, and the merged statistics recomputed by
//! hand from the trajectories.
//!
//! The sweeps use `tests/data/sweep/block.toml` (864 sites, the SPPARKS model, 60 s of
//! simulated time: about a second of computing per run) with the scenario's seed, fixed
//! before any result was seen. Comparisons are exact (bits), not statistical.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::corpus::{check_error, expectation, toml_files};
use nanokmc::output::TrajectoryReader;
use nanokmc::sweep::{self, MergeOptions, SweepOptions, manifest};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sweep")
        .join(name)
}

fn nanokmc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nanokmc"))
}

/// An observable's columns: (name, values as bits).
type Columns = Vec<(String, Vec<u64>)>;

/// Everything a trajectory holds that must match: per frame the time (bits), the species
/// of every site, and every `/observables` column (bits).
#[derive(Debug, PartialEq)]
struct Content {
    times: Vec<u64>,
    species: Vec<Vec<u8>>,
    observables: Vec<(String, Columns)>,
}

fn content(path: &Path) -> Content {
    let r = TrajectoryReader::open(path).unwrap();
    let times = r.times().unwrap().into_iter().map(f64::to_bits).collect();
    let species = (0..r.frames()).map(|f| r.species(f).unwrap()).collect();
    let mut names = r.observable_names().unwrap();
    names.sort();
    let observables = names
        .into_iter()
        .map(|n| {
            let s = r.observable(&n).unwrap();
            let columns = s
                .columns
                .into_iter()
                .map(|(c, v)| (c, v.into_iter().map(f64::to_bits).collect()))
                .collect();
            (n, columns)
        })
        .collect();
    Content {
        times,
        species,
        observables,
    }
}

/// The trajectories of a sweep folder (from its manifest), in run order.
fn trajectories(dir: &Path) -> Vec<PathBuf> {
    let m = manifest::read(dir).unwrap();
    m.runs
        .iter()
        .map(|r| manifest::trajectory(dir, r))
        .collect()
}

fn assert_same_runs(a: &Path, b: &Path) {
    let (ta, tb) = (trajectories(a), trajectories(b));
    assert_eq!(ta.len(), tb.len());
    for (x, y) in ta.iter().zip(&tb) {
        assert_eq!(
            content(x),
            content(y),
            "{} differs from {}",
            x.display(),
            y.display()
        );
    }
}

fn run_sweep(file: &Path, out: &Path, threads: usize) -> sweep::SweepReport {
    let plan = sweep::plan(sweep::read(file).unwrap(), Some(out)).unwrap();
    sweep::execute(
        &plan,
        &SweepOptions {
            threads: Some(threads),
            ..SweepOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn sweep_bad_files_are_rejected_at_file_line_and_key_with_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    let files = toml_files(&data("bad"));
    assert!(files.len() >= 15, "{} bad files", files.len());
    for f in files {
        let expected = expectation(&f);
        let out = tmp.path().join(f.file_stem().unwrap());
        let result = sweep::read(&f).and_then(|s| sweep::plan(s, Some(&out)));
        match result {
            Ok(_) => problems.push(format!("{}: accepted", f.display())),
            Err(e) => {
                if let Err(p) = check_error(&f, &expected, &e) {
                    problems.push(p);
                }
            }
        }
        if out.exists() {
            problems.push(format!("{}: wrote {}", f.display(), out.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // the binary: exit code 2, the message on stderr, no folder.
    let out = tmp.path().join("cli");
    let o = nanokmc()
        .arg("sweep")
        .arg(data("bad/bad_value.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("key `sweep.axis[0].values`"));
    assert!(!out.exists());
}

#[test]
fn sweep_good_files_expand_into_points_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = sweep::plan(
        sweep::read(&data("good/potential_axis.toml")).unwrap(),
        Some(&tmp.path().join("g")),
    )
    .unwrap();
    // 2 temperatures × 3 barriers, common seeds.
    assert_eq!(grid.points.len(), 6);
    assert!(grid.points.iter().all(|p| p.seed == 5));
    assert_eq!(grid.describe(5), "kT = 4 eV, Em = 0.2 eV");
    let hop = grid.points[5]
        .scenario
        .potential
        .model
        .rules
        .iter()
        .position(|r| r.name == "hop")
        .unwrap();
    assert!(grid.points[5].scenario.potential.text.contains("0.2 eV"));
    assert!(hop < grid.points[5].scenario.potential.model.rules.len());
    let zip = sweep::plan(
        sweep::read(&data("good/zip_sizes.toml")).unwrap(),
        Some(&tmp.path().join("z")),
    )
    .unwrap();
    assert_eq!(zip.points.len(), 3);
    assert_eq!(zip.describe(2), "L = 8, t = 30 s");
    assert_eq!(zip.points[2].scenario.stop.time, Some(30.0));
    // independent seeds: the scenario's seed plus the point's index.
    let t = sweep::plan(
        sweep::read(&data("temperature.toml")).unwrap(),
        Some(&tmp.path().join("t")),
    )
    .unwrap();
    let seeds: Vec<u64> = t.points.iter().map(|p| p.seed).collect();
    assert_eq!(seeds, [1811, 1812, 1813]);
    assert_eq!(t.runs.len(), 6);
    assert_eq!(t.runs[3].id, "p001/r1");
    assert!(!tmp.path().join("t").exists(), "planning writes nothing");
    // the shipped example: the demo at three temperatures.
    let demo = sweep::plan(
        sweep::read(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("scenarios/sweeps/demo_temperature.toml"),
        )
        .unwrap(),
        Some(&tmp.path().join("d")),
    )
    .unwrap();
    assert_eq!(demo.runs.len(), 12);
    assert_eq!(demo.describe(2), "T = 750 K");
}

/// The same sweep with 1 and 2 threads gives the same trajectories, bit for bit; a rerun
/// skips every run and changes no file; merge gives per point the mean and SEM of the
/// replicas' final values, as recomputed here from the trajectories.
#[test]
fn sweep_is_identical_across_threads_and_merges_the_replicas() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let file = data("temperature.toml");
    let a = run_sweep(&file, &one, 1);
    let b = run_sweep(&file, &two, 2);
    assert!(a.all_complete() && b.all_complete());
    assert_eq!(b.threads, 2);
    assert_same_runs(&one, &two);
    // the seeds differ between points, so their runs differ.
    let t = trajectories(&one);
    assert_ne!(content(&t[0]), content(&t[2]));
    assert_ne!(content(&t[0]), content(&t[1]));

    // a rerun skips everything.
    let modified = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    let before: Vec<_> = t.iter().map(|p| modified(p)).collect();
    let again = run_sweep(&file, &one, 2);
    assert!(again.outcomes.iter().all(|o| o.skipped));
    let after: Vec<_> = t.iter().map(|p| modified(p)).collect();
    assert_eq!(before, after);
    let m = manifest::read(&one).unwrap();
    assert!(
        m.runs
            .iter()
            .all(|r| r.status == manifest::Status::Complete)
    );
    assert_eq!(m.runs[5].seed, 1813);
    assert_eq!(m.runs[5].values["kT"].as_str(), Some("5 eV"));

    // merge, and the energy of point 1 by hand.
    let merged = sweep::merge(&one, &MergeOptions::default()).unwrap();
    assert_eq!(merged.files.len(), 3);
    assert!(merged.plots.iter().any(|p| p.ends_with("energy.png")));
    let finals: Vec<f64> = [&t[2], &t[3]]
        .iter()
        .map(|p| {
            let r = TrajectoryReader::open(p).unwrap();
            *r.observable("energy").unwrap().columns[0].1.last().unwrap()
        })
        .collect();
    let mean = (finals[0] + finals[1]) / 2.0;
    let sem = (finals[0] - finals[1]).abs() / 2.0;
    let f = hdf5::File::open(one.join("merged/p001.h5")).unwrap();
    let fm: Vec<f64> = f
        .dataset("observables/energy/final_mean")
        .unwrap()
        .read_raw()
        .unwrap();
    let fs: Vec<f64> = f
        .dataset("observables/energy/final_sem")
        .unwrap()
        .read_raw()
        .unwrap();
    let fv: Vec<f64> = f
        .dataset("observables/energy/final_values")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(fv, finals);
    assert!((fm[0] - mean).abs() <= 1e-12 * mean.abs());
    assert!((fs[0] - sem).abs() <= 1e-12 * sem.abs().max(1.0));
    let time: Vec<f64> = f.dataset("time").unwrap().read_raw().unwrap();
    assert_eq!(time.len(), 13, "frames every 5 s over 60 s");
    let csv = std::fs::read_to_string(&merged.csv).unwrap();
    assert!(csv.starts_with("point,kT,observable,column,unit,n,mean,sem\n"));
    assert!(csv.contains("p001,4 eV,energy,energy,eV,2,"));
}

/// A sweep stopped by SIGTERM exits with 3 and leaves checkpoints; one killed with SIGKILL
/// leaves whatever it had; either way rerunning the command finishes the sweep with the
/// same files as an uninterrupted sweep.
#[test]
fn sweep_killed_or_stopped_and_rerun_gives_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let file = data("temperature.toml");
    let reference = tmp.path().join("reference");
    let started = std::time::Instant::now();
    run_sweep(&file, &reference, 2);
    let full = started.elapsed();
    for (signal, name) in [(libc::SIGTERM, "term"), (libc::SIGKILL, "kill")] {
        let out = tmp.path().join(name);
        let mut child = nanokmc()
            .arg("sweep")
            .arg(&file)
            .args(["--threads", "1", "--quiet", "--out"])
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // about a third of the way in (the child has one thread, the reference had two).
        std::thread::sleep(full.mul_f64(0.6).max(Duration::from_millis(300)));
        let pid = i32::try_from(child.id()).unwrap();
        // SAFETY: signalling our own child.
        unsafe {
            libc::kill(pid, signal);
        }
        let status = child.wait().unwrap();
        if signal == libc::SIGTERM {
            assert!(
                matches!(status.code(), Some(3 | 0)),
                "after SIGTERM: {status:?}"
            );
        }
        let rerun = nanokmc()
            .arg("sweep")
            .arg(&file)
            .args(["--threads", "2", "--quiet", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(
            rerun.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&rerun.stderr)
        );
        assert_same_runs(&reference, &out);
    }
}

/// `--task K --runs-per-task B` runs block K only; a task outside the sweep is bad input.
#[test]
fn sweep_tasks_run_their_block_only() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    let file = data("temperature.toml");
    let o = nanokmc()
        .arg("sweep")
        .arg(&file)
        .args(["--task", "1", "--runs-per-task", "4", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let m = manifest::read(&out).unwrap();
    let done: Vec<&str> = m
        .runs
        .iter()
        .filter(|r| r.status == manifest::Status::Complete)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(done, ["p002/r0", "p002/r1"]);
    // merging a sweep with runs missing is refused, unless --partial.
    let o = nanokmc().arg("merge").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("4 of 6 runs are not complete"));
    let o = nanokmc()
        .arg("merge")
        .arg(&out)
        .arg("--partial")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.join("merged/p002.h5").exists() && !out.join("merged/p000.h5").exists());
    let o = nanokmc()
        .arg("sweep")
        .arg(&file)
        .args(["--task", "2", "--runs-per-task", "4", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
