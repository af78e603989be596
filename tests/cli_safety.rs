//! What the binary does with paths a user got wrong: missing or unreadable inputs, outputs
//! in missing directories, and `--overwrite` aimed at the wrong file. Each is refused with
//! exit code 2, a message naming the path, and nothing written or replaced. Also: a
//! standard output closed by its reader (`| head`) is not a crash.

use std::path::Path;
use std::process::{Command, Output};

const SCENARIO: &str = "tests/data/scenarios/good/minimal.toml";

fn nanokmc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanokmc"))
        .args(args)
        .output()
        .expect("runs nanokmc")
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn assert_refused(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(expected),
        "expected `{expected}` in {stderr}"
    );
}

/// Missing files and directories given as files are input errors (exit code 2), for the
/// scenario and for a trajectory.
#[test]
fn cli_missing_inputs_exit_with_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    assert_refused(&nanokmc(&["run", path(&missing)]), "nope.toml");
    assert_refused(&nanokmc(&["check", path(dir.path())]), "directory");
    assert_refused(
        &nanokmc(&["info", path(&dir.path().join("x.h5md"))]),
        "x.h5md",
    );
}

/// `--out` in a directory that does not exist: refused before anything runs.
#[test]
fn cli_run_output_in_missing_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("missing/run.h5md");
    let result = nanokmc(&["run", SCENARIO, "--progress", "quiet", "--out", path(&out)]);
    assert_refused(&result, "does not exist");
    assert!(!dir.path().join("missing").exists());
}

/// `--overwrite` replaces an earlier trajectory but never the scenario itself given as
/// `--out` by mistake, nor any other file that is not HDF5.
#[test]
fn cli_overwrite_never_replaces_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("scenario.toml");
    let text = std::fs::read_to_string(SCENARIO).unwrap().replace(
        "../potentials/",
        &format!(
            "{}/tests/data/scenarios/potentials/",
            env!("CARGO_MANIFEST_DIR")
        ),
    );
    std::fs::write(&copy, &text).unwrap();
    let result = nanokmc(&[
        "run",
        path(&copy),
        "--progress",
        "quiet",
        "--overwrite",
        "--out",
        path(&copy),
    ]);
    assert_refused(&result, "is the input file");
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), text);
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "field notes").unwrap();
    let result = nanokmc(&[
        "run",
        path(&copy),
        "--progress",
        "quiet",
        "--overwrite",
        "--out",
        path(&notes),
    ]);
    assert_refused(&result, "not an HDF5 file");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "field notes");

    let out = dir.path().join("t.h5md");
    let first = nanokmc(&[
        "run",
        path(&copy),
        "--progress",
        "quiet",
        "--out",
        path(&out),
    ]);
    assert!(first.status.success(), "{first:?}");
    let again = nanokmc(&[
        "run",
        path(&copy),
        "--progress",
        "quiet",
        "--overwrite",
        "--out",
        path(&out),
    ]);
    assert!(again.status.success(), "{again:?}");
}

/// `export` refuses an existing output without `--overwrite`, replaces it with it, and
/// never writes over its own input or another HDF5 file.
#[test]
fn cli_export_overwrite_rules() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.h5md");
    let run = nanokmc(&["run", SCENARIO, "--progress", "quiet", "--out", path(&out)]);
    assert!(run.status.success(), "{run:?}");
    let xyz = dir.path().join("t.xyz");
    let first = nanokmc(&["export", path(&out), "--format", "xyz"]);
    assert!(first.status.success(), "{first:?}");
    assert!(xyz.exists());
    assert_refused(
        &nanokmc(&["export", path(&out), "--format", "xyz"]),
        "file exists",
    );
    let again = nanokmc(&["export", path(&out), "--format", "xyz", "--overwrite"]);
    assert!(again.status.success(), "{again:?}");
    // `-1` (the last frame) is a value, not a flag
    let last = nanokmc(&[
        "export",
        path(&out),
        "--format",
        "xyz",
        "--frames",
        "-1",
        "--overwrite",
    ]);
    assert!(last.status.success(), "{last:?}");
    let before = std::fs::read(&out).unwrap();
    let onto_input = nanokmc(&[
        "export",
        path(&out),
        "--format",
        "xyz",
        "--overwrite",
        "--out",
        path(&out),
    ]);
    assert_refused(&onto_input, "is the input file");
    assert_eq!(std::fs::read(&out).unwrap(), before);
}

/// `--max-output` refuses a run whose trajectory would be larger, before writing anything,
/// with the estimate in the message.
#[test]
fn cli_run_refuses_output_beyond_max_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.h5md");
    let result = nanokmc(&[
        "run",
        SCENARIO,
        "--progress",
        "quiet",
        "--max-output",
        "1 kB",
        "--out",
        path(&out),
    ]);
    assert_refused(&result, "the trajectory would be about");
    assert!(!out.exists());
    assert_refused(
        &nanokmc(&["run", SCENARIO, "--max-output", "lots", "--out", path(&out)]),
        "--max-output",
    );
}

/// A system far too large for the machine is refused from its geometry alone, before
/// anything is built: `check` and `run` exit 2 at once with the estimate (a 1 µm sphere of
/// fcc is about 2 × 10¹⁰ lattice points). `--max-memory` sets the limit explicitly.
#[test]
fn cli_refuses_a_system_larger_than_memory_before_building() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.toml");
    let text = std::fs::read_to_string(SCENARIO)
        .unwrap()
        .replace(
            "../potentials/",
            &format!(
                "{}/tests/data/scenarios/potentials/",
                env!("CARGO_MANIFEST_DIR")
            ),
        )
        .replace("radius = \"6 A\"", "radius = \"10000 A\"");
    assert!(text.contains("10000 A"), "{text}");
    std::fs::write(&huge, text).unwrap();
    let start = std::time::Instant::now();
    let check = nanokmc(&["check", path(&huge)]);
    assert_refused(&check, "sites, about");
    assert!(
        start.elapsed().as_secs_f64() < 30.0,
        "the refusal must come before the build"
    );
    let out = dir.path().join("huge.h5md");
    assert_refused(
        &nanokmc(&[
            "run",
            path(&huge),
            "--progress",
            "quiet",
            "--out",
            path(&out),
        ]),
        "sites, about",
    );
    assert!(!out.exists());
    // a small system under an explicit, smaller limit.
    assert_refused(
        &nanokmc(&["check", SCENARIO, "--max-memory", "1 kB"]),
        "--max-memory",
    );
    let fits = nanokmc(&["check", SCENARIO, "--max-memory", "1 GB"]);
    assert!(fits.status.success(), "{fits:?}");
}

/// A standard output whose reader has gone (`nanokmc check X | head -0`): the report is
/// dropped and the command exits 0. The pipe's read end is closed before the child
/// starts, so every write fails with EPIPE (before the fix: a panic, exit 101).
#[test]
fn cli_closed_standard_output_is_not_a_crash() {
    for args in [
        &["check", SCENARIO][..],
        &["check-potential", "potentials/demo_sublimation.toml"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(env!("CARGO_BIN_EXE_nanokmc"))
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("runs nanokmc");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
