//! ParaView opens the XDMF sidecar through its default reader (the Xdmf3 readers of
//! ParaView 5.11, Debian's `paraview`) and sees every site of every frame, with the
//! `species`, `kind` and `domain` arrays (`scripts/paraview_check.py`, run with `pvpython`).
//!
//! `pvpython` comes from Debian's `python3-paraview`, which `.ci/run` installs. Where it is
//! missing the test says so and passes, except under `CI` (set by `.ci/run`), where a missing
//! `pvpython` is a failure.

use std::path::Path;
use std::process::Command;

fn pvpython() -> Option<&'static str> {
    Command::new("pvpython")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "pvpython")
}

#[test]
fn paraview_default_reader_loads_every_site_and_frame() {
    let Some(pvpython) = pvpython() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "pvpython not found under CI: .ci/run installs python3-paraview"
        );
        eprintln!(
            "paraview_reader: skipped (pvpython not installed: apt-get install python3-paraview)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let trajectory = dir.path().join("sphere.h5md");
    let nanokmc = env!("CARGO_BIN_EXE_nanokmc");
    let run = Command::new(nanokmc)
        .args([
            "run",
            "tests/data/scenarios/good/sphere_square_substrate.toml",
        ])
        .args(["--progress", "quiet", "--out"])
        .arg(&trajectory)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let export = Command::new(nanokmc)
        .arg("export")
        .arg(&trajectory)
        .args(["--format", "xdmf"])
        .output()
        .unwrap();
    assert!(export.status.success(), "{export:?}");
    let file = hdf5::File::open(&trajectory).unwrap();
    let shape = file
        .dataset("particles/trajectory/species/value")
        .unwrap()
        .shape();
    let (frames, sites) = (shape[0], shape[1]);
    assert!(
        frames >= 2,
        "a temporal collection needs two frames at least"
    );
    let xdmf = dir.path().join("sphere.xdmf");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/paraview_check.py");
    let check = Command::new(pvpython)
        .arg(&script)
        .arg(&xdmf)
        .arg(sites.to_string())
        .arg(frames.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        check.status.success(),
        "pvpython check failed:\n{stdout}\n{stderr}"
    );
    assert!(
        !stderr.contains("Skipping unrecognized array type"),
        "{stderr}"
    );
    eprintln!("{stdout}");
}
