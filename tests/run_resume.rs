//! Checkpoints that survive a cluster's walltime: a run interrupted at random moments,
//! by SIGTERM (checkpoint written on the way out, exit code 3) or by SIGKILL (resumed from
//! the last periodic checkpoint, or restarted when none was written yet), and resumed until
//! it completes, produces exactly the trajectory of an uninterrupted run: every frame's
//! species, step, time and observables, bit for bit. The kill moments come from a seeded
//! generator (no clock seeds); what varies from machine to machine is only where in the
//! run they land, which is the point of the test.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const SCENARIO: &str = "tests/data/run/resume.toml";
/// The same with acceleration on (rate scaling of fast hops) under a temperature ramp: the
/// detector's windows, decisions and factors are part of the state.
const ACCELERATED: &str = "tests/data/run/resume_accelerated.toml";

fn nanokmc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nanokmc"))
}

/// Everything per frame that must match: species, steps, times, observables.
#[derive(Debug, PartialEq)]
struct Frames {
    species: Vec<u8>,
    steps: Vec<u64>,
    times: Vec<u64>,
    events_by_rule: Vec<u64>,
    counts: Vec<u64>,
    energy: Vec<u64>,
    temperature: Vec<u64>,
    /// `accel_saved_events` when acceleration is on (empty otherwise).
    saved_events: Vec<u64>,
}

fn read_frames(path: &Path) -> Frames {
    let file = hdf5::File::open(path).unwrap();
    let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<u64>>();
    let raw_u64 = |name: &str| file.dataset(name).unwrap().read_raw::<u64>().unwrap();
    let raw_f64 = |name: &str| bits(file.dataset(name).unwrap().read_raw::<f64>().unwrap());
    Frames {
        species: file
            .dataset("particles/trajectory/species/value")
            .unwrap()
            .read_raw::<u8>()
            .unwrap(),
        steps: raw_u64("particles/trajectory/species/step"),
        times: raw_f64("particles/trajectory/species/time"),
        events_by_rule: raw_u64("observables/events_by_rule/value"),
        counts: raw_u64("observables/species_counts/value"),
        energy: raw_f64("observables/energy/value"),
        temperature: raw_f64("observables/temperature/value"),
        saved_events: file
            .dataset("observables/accel_saved_events/value")
            .map(|d| bits(d.read_raw::<f64>().unwrap()))
            .unwrap_or_default(),
    }
}

/// Runs the scenario without interruption; returns the wall time it took, by which the
/// kill moments are scaled (so that they land inside the run on any machine).
fn run_to_completion(scenario: &str, out: &Path) -> Duration {
    let start = std::time::Instant::now();
    let status = nanokmc()
        .args(["run", scenario, "--progress", "quiet", "--out"])
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success(), "uninterrupted run failed: {status:?}");
    start.elapsed()
}

fn checkpoint_of(out: &Path) -> PathBuf {
    let mut p = out.as_os_str().to_owned();
    p.push(".ckpt");
    PathBuf::from(p)
}

/// Starts a run (fresh, or resumed from `out`'s checkpoint when it exists), sends `signal`
/// after `delay`, and returns the exit status.
fn interrupted_segment(
    scenario: &str,
    out: &Path,
    signal: &str,
    delay: Duration,
    extra: &[&str],
) -> ExitStatus {
    signalled_segment(scenario, out, &[signal], delay, extra)
}

/// Starts a run (fresh, or resumed from `out`'s checkpoint when it exists), sends each of
/// `signals` after `delay`, 5 ms apart, and returns the exit status.
fn signalled_segment(
    scenario: &str,
    out: &Path,
    signals: &[&str],
    delay: Duration,
    extra: &[&str],
) -> ExitStatus {
    let checkpoint = checkpoint_of(out);
    let mut command = nanokmc();
    command.args(["run", "--progress", "quiet"]);
    if checkpoint.exists() {
        command.arg("--resume").arg(&checkpoint);
    } else {
        command
            .arg(scenario)
            .arg("--overwrite")
            .arg("--out")
            .arg(out);
    }
    command.args(extra);
    let mut child = command.spawn().unwrap();
    std::thread::sleep(delay);
    for (i, signal) in signals.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = Command::new("kill")
            .args([*signal, &child.id().to_string()])
            .status();
    }
    child.wait().unwrap()
}

/// Interrupts with `signal` at seeded random moments (fractions of the uninterrupted run's
/// wall time `full`) until the run completes.
fn interrupted_run(
    scenario: &str,
    out: &Path,
    signal: &str,
    seed: u64,
    full: Duration,
    extra: &[&str],
) -> usize {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    for interruptions in 0..40 {
        let delay = full.mul_f64(rng.random_range(0.1..0.6));
        let status = interrupted_segment(scenario, out, signal, delay, extra);
        if status.success() {
            return interruptions;
        }
        if signal == "-TERM" {
            // a SIGTERM either hit before the handler was installed (killed by the signal)
            // or was handled: checkpoint written, exit code 3.
            assert!(
                status.code().is_none() || status.code() == Some(3),
                "unexpected exit after SIGTERM: {status:?}"
            );
        }
    }
    panic!("the run did not complete after 40 segments");
}

fn sigterm_resume_is_bit_identical(scenario: &str) {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference.h5md");
    let full = run_to_completion(scenario, &reference);
    let expected = read_frames(&reference);
    assert!(
        expected.steps.len() >= 40,
        "{} frames",
        expected.steps.len()
    );

    let out = dir.path().join("term.h5md");
    // the kill moments are fractions of the reference run's wall time; when the machine
    // was busier during the reference run than now, the first segment can finish before its
    // SIGTERM: then try again with moments half as late.
    let mut interruptions = 0;
    let mut scale = 1.0;
    for _ in 0..4 {
        interruptions = interrupted_run(scenario, &out, "-TERM", 1, full.mul_f64(scale), &[]);
        if interruptions > 0 {
            break;
        }
        scale /= 2.0;
    }
    assert!(interruptions > 0, "no SIGTERM landed inside the run");
    assert!(
        !checkpoint_of(&out).exists(),
        "a completed run removes its checkpoint"
    );
    assert_eq!(read_frames(&out), expected);
}

#[test]
fn resume_after_sigterm_is_bit_identical() {
    sigterm_resume_is_bit_identical(SCENARIO);
}

#[test]
fn accelerated_resume_after_sigterm_is_bit_identical() {
    sigterm_resume_is_bit_identical(ACCELERATED);
    // the scenario really scales: its reference run saves events.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("check.h5md");
    run_to_completion(ACCELERATED, &out);
    let saved = read_frames(&out).saved_events;
    assert!(f64::from_bits(*saved.last().unwrap()) > 0.0);
}

#[test]
fn resume_with_basin_escapes_after_sigterm_is_bit_identical() {
    const BASIN: &str = "tests/data/run/resume_basin.toml";
    sigterm_resume_is_bit_identical(BASIN);
    // the scenario really solves basins.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("check.h5md");
    run_to_completion(BASIN, &out);
    let file = hdf5::File::open(&out).unwrap();
    let summary: hdf5::types::VarLenUnicode = file
        .group("parameters/summary")
        .unwrap()
        .attr("acceleration")
        .unwrap()
        .read_scalar()
        .unwrap();
    let solved: u64 = summary
        .as_str()
        .split("basins solved exactly: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(solved > 10, "{}", summary.as_str());
}

#[test]
fn resume_after_sigkill_from_periodic_checkpoints_is_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference.h5md");
    let full = run_to_completion(SCENARIO, &reference);
    let expected = read_frames(&reference);

    let out = dir.path().join("kill.h5md");
    let every = format!("{} s", full.as_secs_f64() / 8.0);
    let interruptions = interrupted_run(
        SCENARIO,
        &out,
        "-KILL",
        2,
        full,
        &["--checkpoint-every", &every],
    );
    assert!(interruptions > 0, "no SIGKILL landed inside the run");
    assert_eq!(read_frames(&out), expected);
}

#[test]
fn resume_from_a_damaged_checkpoint_is_refused_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("damaged.h5md");
    let full = run_to_completion(SCENARIO, &dir.path().join("reference.h5md"));
    let status = interrupted_segment(SCENARIO, &out, "-TERM", full / 3, &[]);
    assert_eq!(status.code(), Some(3), "{status:?}");
    let checkpoint = checkpoint_of(&out);
    let mut bytes = std::fs::read(&checkpoint).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&checkpoint, &bytes).unwrap();
    let output = nanokmc()
        .args(["run", "--progress", "quiet", "--resume"])
        .arg(&checkpoint)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("checksum"), "{stderr}");

    // a file that is not a checkpoint at all
    let foreign = dir.path().join("foreign.ckpt");
    std::fs::write(&foreign, "not a checkpoint").unwrap();
    let output = nanokmc()
        .args(["run", "--resume"])
        .arg(&foreign)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a nanokmc checkpoint"));
}

/// Runs `SCENARIO` into `out` with a walltime of a third of the uninterrupted run's wall
/// time `full` (plus `extra` options) and checks that the walltime stopped it (exit code 3).
fn stop_at_walltime(out: &Path, full: Duration, extra: &[&str]) {
    let walltime = format!("{} s", full.as_secs_f64() / 3.0);
    let status = nanokmc()
        .args([
            "run",
            SCENARIO,
            "--progress",
            "quiet",
            "--walltime",
            &walltime,
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3), "the walltime stops the run early");
}

#[test]
fn resume_after_walltime_stop_is_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference.h5md");
    let full = run_to_completion(SCENARIO, &reference);
    let out = dir.path().join("walltime.h5md");
    stop_at_walltime(&out, full, &[]);
    let status = nanokmc()
        .args(["run", "--progress", "quiet", "--resume"])
        .arg(checkpoint_of(&out))
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(read_frames(&out), read_frames(&reference));
}

/// Replicas are independent of how they are scheduled: two threads or one, all replicas
/// or one of them alone (`--replica`, for job arrays) give the same files; different
/// replicas differ.
#[test]
fn replicas_do_not_depend_on_threads_or_selection() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = "tests/data/run/replicas.toml";
    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let status = nanokmc()
            .args(["run", scenario, "--progress", "quiet", "--out"])
            .arg(&out)
            .args(extra)
            .status()
            .unwrap();
        assert!(status.success());
        out
    };
    let replica = |out: &Path, k: u32| {
        read_frames(&out.with_file_name(format!(
            "{}.r{k}.h5md",
            out.file_stem().unwrap().to_string_lossy()
        )))
    };
    let two = run("two.h5md", &["--threads", "2"]);
    let one = run("one.h5md", &["--threads", "1"]);
    let alone = run("alone.h5md", &["--replica", "1"]);
    for k in 0..3 {
        assert_eq!(replica(&two, k), replica(&one, k), "replica {k}");
    }
    assert_eq!(replica(&alone, 1), replica(&one, 1));
    assert!(!alone.with_file_name("alone.r0.h5md").exists());
    assert_ne!(replica(&one, 0).species, replica(&one, 1).species);
}

/// A run directory moved (or staged to another file system) after a walltime stop resumes
/// in its new place: the checkpoint finds its trajectory beside itself, not at the absolute
/// path it was written with, and the result is that of an uninterrupted run.
#[test]
fn resume_in_a_moved_directory_is_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference.h5md");
    let full = run_to_completion(SCENARIO, &reference);
    let first = dir.path().join("first");
    std::fs::create_dir(&first).unwrap();
    let out = first.join("moved.h5md");
    stop_at_walltime(&out, full, &[]);
    let second = dir.path().join("second");
    std::fs::rename(&first, &second).unwrap();
    let moved = second.join("moved.h5md");
    let status = nanokmc()
        .args(["run", "--progress", "quiet", "--resume"])
        .arg(checkpoint_of(&moved))
        .status()
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!first.exists(), "the old place was written to");
    assert_eq!(read_frames(&moved), read_frames(&reference));
}

/// Resuming several checkpoints, one of them damaged: every checkpoint is checked before
/// any replica runs, so the command fails at once (exit code 2) and the good replica's
/// trajectory and checkpoint are as they were.
#[test]
fn resume_checks_every_checkpoint_before_running_any() {
    let dir = tempfile::tempdir().unwrap();
    let full = run_to_completion(SCENARIO, &dir.path().join("reference.h5md"));
    let out = dir.path().join("pair.h5md");
    stop_at_walltime(&out, full, &["--replicas", "2", "--threads", "2"]);
    let good = dir.path().join("pair.r0.h5md");
    let bad = dir.path().join("pair.r1.h5md");
    let mut bytes = std::fs::read(checkpoint_of(&bad)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(checkpoint_of(&bad), &bytes).unwrap();
    let before = std::fs::read(&good).unwrap();
    let output = nanokmc()
        .args(["run", "--progress", "quiet", "--resume"])
        .arg(checkpoint_of(&good))
        .arg(checkpoint_of(&bad))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(checkpoint_of(&good).exists());
    assert_eq!(
        std::fs::read(&good).unwrap(),
        before,
        "the good replica ran"
    );
}

/// Every extra scalar observable carries its unit: the energy in eV (MDAnalysis and h5py
/// users read it from the `unit` attribute, as H5MD asks).
#[test]
fn energy_observable_has_its_unit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("units.h5md");
    run_to_completion(SCENARIO, &out);
    let file = hdf5::File::open(&out).unwrap();
    let unit: hdf5::types::VarLenUnicode = file
        .dataset("observables/energy/value")
        .unwrap()
        .attr("unit")
        .unwrap()
        .read_scalar()
        .unwrap();
    assert_eq!(unit.as_str(), "eV");
}

/// One SIGTERM delivered twice within a second is one signal: the run, fresh and resumed,
/// writes its checkpoint and exits with code 3 (before session 11 the second copy ended it
/// with code 130 in the middle of the checkpoint, leaving `.ckpt.tmp`), and the pieces
/// resume to the uninterrupted trajectory bit for bit. This end-to-end check passed on the
/// old code too: the old failure needs the second copy to arrive while the checkpoint is
/// still being written (seen with `timeout -s TERM 3 nanokmc run --resume` on the sandwich,
/// exit 130 and a `.ckpt.tmp` left), which this small scenario's checkpoint is too quick
/// for. The deterministic guard is `commands::signal_tests` (binary crate).
#[test]
fn a_signal_delivered_twice_is_one_signal() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference.h5md");
    let full = run_to_completion(SCENARIO, &reference);
    let out = dir.path().join("twice.h5md");
    let mut handled = 0;
    for fraction in [0.3, 0.3, 0.3] {
        // twice, 5 ms apart: as `timeout` and some job managers deliver one signal, to the
        // process and to its process group.
        let status = signalled_segment(
            SCENARIO,
            &out,
            &["-TERM", "-TERM"],
            full.mul_f64(fraction),
            &[],
        );
        if status.success() {
            break;
        }
        assert_eq!(
            status.code(),
            Some(3),
            "after a doubled SIGTERM: {status:?}"
        );
        handled += 1;
        let mut tmp = checkpoint_of(&out).into_os_string();
        tmp.push(".tmp");
        assert!(
            !Path::new(&tmp).exists(),
            "a half-written checkpoint was left"
        );
    }
    assert!(
        handled >= 2,
        "the doubled SIGTERM must land in a fresh and a resumed segment"
    );
    while checkpoint_of(&out).exists() {
        let status = nanokmc()
            .args(["run", "--progress", "quiet", "--resume"])
            .arg(checkpoint_of(&out))
            .status()
            .unwrap();
        assert!(status.success());
    }
    assert_eq!(read_frames(&out), read_frames(&reference));
}
