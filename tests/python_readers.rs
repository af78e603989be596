//! The trajectory opened by the Python tools users have: h5py (required), MDAnalysis and
//! ASE (checked when they install), plus the XDMF sidecar parsed by `ElementTree`.
//!
//! A virtual environment is created once under `target/pyenv/venv` with `python3 -m venv`
//! and `pip install h5py` (then `MDAnalysis ase`, allowed to fail); later runs reuse it.
//! The test fails with a clear message when `python3` or h5py cannot be had: on the CI the
//! network and `PyPI` are available. Set `NANOKMC_PYTHON` to use another interpreter.

mod output_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use nanokmc::output::{ExportFormat, FrameSelection, RunStatus, export};
use output_common::{frames, header, write_trajectory};

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{cmd:?} failed ({}):\n{text}", out.status))
    }
}

/// The interpreter of the cached virtual environment, created on first use; the tests of
/// this file run in parallel threads, so creation happens once, behind a `OnceLock`.
fn venv_python() -> PathBuf {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(create_venv).clone()
}

fn create_venv() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyenv");
    let venv = root.join("venv");
    let python = venv.join("bin/python");
    let has =
        |module: &str| run(Command::new(&python).args(["-c", &format!("import {module}")])).is_ok();
    if python.exists() && has("h5py") {
        return python;
    }
    let base = std::env::var("NANOKMC_PYTHON").unwrap_or_else(|_| "python3".into());
    std::fs::create_dir_all(&root).expect("create target/pyenv");
    if !python.exists() {
        run(Command::new(&base).args(["-m", "venv"]).arg(&venv)).unwrap_or_else(|e| {
            panic!(
                "python readers test: cannot create a virtual environment with `{base} -m venv` \
                 (install python3 and python3-venv: scripts/install-deps.sh):\n{e}"
            )
        });
    }
    let pip = |packages: &[&str]| {
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(packages))
    };
    pip(&["h5py"]).unwrap_or_else(|e| {
        panic!(
            "python readers test: `pip install h5py` failed (network or PyPI unavailable?):\n{e}"
        )
    });
    if let Err(e) = pip(&["MDAnalysis", "ase"]) {
        eprintln!("python readers test: MDAnalysis/ASE not installed, they will be skipped:\n{e}");
    }
    python
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_list<T: std::fmt::Display>(values: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = values.into_iter().map(|v| v.to_string()).collect();
    format!("[{}]", items.join(", "))
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

#[test]
fn python_readers_open_trajectory_and_exports() {
    let _guard = serial();
    let python = venv_python();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.h5");
    let h = header(3);
    let fr = frames(&h, 99, 4, 0.1);
    write_trajectory(&path, &h, &fr)
        .finish(RunStatus::Complete, &[("wall_time".into(), "1 s".into())])
        .unwrap();
    let xyz = export(&path, ExportFormat::Xyz, &FrameSelection::All, None).unwrap();
    let xdmf = export(&path, ExportFormat::Xdmf, &FrameSelection::All, None).unwrap();

    let expect = format!(
        "{{\"n_sites\": {}, \"frames\": {}, \"steps\": {}, \"times\": {}, \"temperatures\": {}, \
         \"atoms\": {}, \"box_lengths\": {}, \"first_position\": {}, \"scenario\": {}, \"seed\": {}}}",
        h.site_count(),
        fr.len(),
        json_list(fr.iter().map(|f| f.step)),
        json_list(fr.iter().map(|f| format!("{:e}", f.time))),
        json_list(
            fr.iter()
                .map(|f| format!("{:e}", f.observables.temperature))
        ),
        json_list(
            fr.iter()
                .map(|f| f.species.iter().filter(|&&s| s != 0).count())
        ),
        json_list(
            h.box_edges
                .iter()
                .map(|e| format!("{:e}", e[0] + e[1] + e[2]))
        ),
        json_list(h.positions[0].iter().map(|x| format!("{x:e}"))),
        json_string(&h.scenario_text),
        h.seed,
    );
    let expect_path = dir.path().join("expect.json");
    std::fs::write(&expect_path, expect).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/python_check.py");
    let output = run(Command::new(&python)
        .arg(&script)
        .arg(&path)
        .arg(&expect_path)
        .arg(&xyz[0])
        .arg(&xdmf[0]))
    .unwrap_or_else(|e| panic!("python readers disagree with the file:\n{e}"));
    println!("{output}");
    assert!(output.contains("h5py: ok"), "{output}");
}

/// The output of a real `nanokmc run` (not a synthetic writer): h5py reads the frames,
/// species and observables, and MDAnalysis (when installed) opens the `.h5md` file by its
/// name alone with every site as an atom and one timestep per frame.
#[test]
fn python_readers_open_the_output_of_nanokmc_run() {
    let _guard = serial();
    let python = venv_python();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("replicas.h5md");
    let status = Command::new(env!("CARGO_BIN_EXE_nanokmc"))
        .args([
            "run",
            "tests/data/run/replicas.toml",
            "--replicas",
            "1",
            "--progress",
            "quiet",
            "--out",
        ])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let info = nanokmc::output::info(&path).unwrap();
    let script = r#"
import sys, h5py
path, n, frames = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with h5py.File(path, "r") as f:
    species = f["particles/trajectory/species/value"]
    assert species.shape == (frames, n), species.shape
    assert f["observables/species_counts/value"].shape[0] == frames
    assert f["observables/energy/value"].shape == (frames,)
    assert f["h5md"].attrs["version"].tolist() == [1, 1]
print("h5py: ok")
try:
    import MDAnalysis as mda
except ImportError:
    print("MDAnalysis: not installed, skipped")
else:
    u = mda.Universe(path)
    assert len(u.atoms) == n, len(u.atoms)
    assert len(u.trajectory) == frames, len(u.trajectory)
    print("MDAnalysis: ok")
"#;
    let output = run(Command::new(&python)
        .args(["-c", script])
        .arg(&path)
        .arg(info.n_sites.to_string())
        .arg(info.frames.to_string()))
    .unwrap_or_else(|e| panic!("python readers disagree with the run's output:\n{e}"));
    println!("{output}");
    assert!(output.contains("h5py: ok"), "{output}");
}
