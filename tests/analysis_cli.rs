//! `nanokmc run` with `[[analysis]]` entries and `nanokmc analyze` end to end: the run
//! writes `/observables/<name>:<quantity>/value` with units (2-D for distributions); the
//! analysis of the stored trajectory reproduces them bit for bit (CSV and `--into-h5md`),
//! refuses to overwrite, takes a `--spec` file, and rejects a bad spec with file:line:column
//! and key (exit code 2, nothing written).

use std::path::{Path, PathBuf};
use std::process::Command;

fn nanokmc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nanokmc"))
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/run")
        .join(name)
}

fn run(dir: &Path) -> PathBuf {
    let out = dir.join("a.h5md");
    let status = nanokmc()
        .arg("run")
        .arg(data("analysis.toml"))
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    out
}

fn series(file: &hdf5::File, name: &str) -> (Vec<f64>, Vec<usize>, String) {
    let ds = file.dataset(&format!("observables/{name}/value")).unwrap();
    let unit = ds
        .attr("unit")
        .unwrap()
        .read_scalar::<hdf5::types::VarLenUnicode>()
        .unwrap()
        .as_str()
        .to_string();
    (ds.read_raw().unwrap(), ds.shape(), unit)
}

/// The run writes the contract names with units; the CSV of `analyze` has the same values
/// frame by frame; `--into-h5md` refuses existing names without `--overwrite`.
#[test]
fn analyze_reproduces_the_run_observables() {
    let dir = tempfile::tempdir().unwrap();
    let traj = run(dir.path());
    let file = hdf5::File::open(&traj).unwrap();
    let (count, shape, unit) = series(&file, "vacancies:count");
    assert_eq!(unit, "1");
    let frames = shape[0];
    assert!(frames >= 10, "{frames} frames");
    let (msd, _, unit) = series(&file, "vacancies:msd");
    assert_eq!(unit, "angstrom^2");
    assert_eq!(msd[0], 0.0);
    let (atoms, _, _) = series(&file, "all:A");
    assert!(
        atoms.iter().all(|&v| v == 844.0),
        "atoms are conserved: {atoms:?}"
    );
    let (_, hshape, _) = series(&file, "vacancies:size_histogram");
    assert_eq!(hshape.len(), 2);
    let edges: Vec<f64> = file
        .dataset("observables/vacancies:size_histogram/value")
        .unwrap()
        .attr("bin_edges")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(edges.len(), hshape[1] + 1);
    let (void_count, _, _) = series(&file, "holes:void_count");
    assert_eq!(
        void_count[0], count[0],
        "in a periodic block every vacancy cluster is a void"
    );
    drop(file);

    let csv = dir.path().join("a.csv");
    let status = nanokmc()
        .args(["analyze"])
        .arg(&traj)
        .arg("--out")
        .arg(&csv)
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let column = |name: &str| rows[0].iter().position(|c| *c == name).unwrap();
    let (c_msd, c_count) = (column("vacancies:msd"), column("vacancies:count"));
    assert_eq!(rows.len(), frames + 1);
    for f in 0..frames {
        assert_eq!(
            rows[f + 1][c_msd].parse::<f64>().unwrap().to_bits(),
            msd[f].to_bits()
        );
        assert_eq!(rows[f + 1][c_count].parse::<f64>().unwrap(), count[f]);
    }

    // the run's datasets exist: refused, then replaced.
    let refused = nanokmc()
        .arg("analyze")
        .arg(&traj)
        .arg("--into-h5md")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--overwrite"));
    let status = nanokmc()
        .arg("analyze")
        .arg(&traj)
        .args(["--into-h5md", "--overwrite"])
        .status()
        .unwrap();
    assert!(status.success());
    let file = hdf5::File::open(&traj).unwrap();
    let (again, _, _) = series(&file, "vacancies:msd");
    assert_eq!(
        again.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        msd.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
}

/// `--spec` replaces the stored entries; a bad spec is rejected at its line and key with
/// exit code 2 and no CSV written.
#[test]
fn analyze_spec_file_good_and_bad() {
    let dir = tempfile::tempdir().unwrap();
    let traj = run(dir.path());
    let csv = dir.path().join("s.csv");
    let ok = nanokmc()
        .arg("analyze")
        .arg(&traj)
        .arg("--spec")
        .arg(data("analysis_spec.toml"))
        .arg("--out")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let header = std::fs::read_to_string(&csv).unwrap();
    let header = header.lines().next().unwrap().to_string();
    assert!(
        header.contains("half:A") && header.contains("shape:aspect_ratio"),
        "{header}"
    );
    assert!(!header.contains("vacancies:"), "{header}");

    let bad_csv = dir.path().join("bad.csv");
    let bad = nanokmc()
        .arg("analyze")
        .arg(&traj)
        .arg("--spec")
        .arg(data("analysis_spec_bad.toml"))
        .arg("--out")
        .arg(&bad_csv)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("analysis_spec_bad.toml:4:11") && err.contains("key `analysis[0].species`"),
        "{err}"
    );
    assert!(!bad_csv.exists());
    // a file that is not a trajectory.
    let foreign = nanokmc()
        .arg("analyze")
        .arg(data("analysis.toml"))
        .output()
        .unwrap();
    assert_eq!(foreign.status.code(), Some(2));
}

/// A run stopped by its walltime and resumed writes the same observables, bit for bit, as
/// an uninterrupted one: the resumed run re-measures the frames already written to rebuild
/// the cluster identities and the reference frame (the walltime is a third of the
/// reference run's wall time, so the stop lands inside the run).
#[test]
fn resumed_run_writes_identical_observables() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = data("analysis_resume.toml");
    let reference = dir.path().join("reference.h5md");
    let start = std::time::Instant::now();
    let status = nanokmc()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&reference)
        .status()
        .unwrap();
    assert!(status.success());
    let full = start.elapsed().as_secs_f64();
    let out = dir.path().join("walltime.h5md");
    let status = nanokmc()
        .arg("run")
        .arg(&scenario)
        .args(["--walltime", &format!("{} s", full / 3.0), "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3), "the walltime stops the run early");
    let mut checkpoint = out.as_os_str().to_owned();
    checkpoint.push(".ckpt");
    let status = nanokmc()
        .args(["run", "--resume"])
        .arg(&checkpoint)
        .status()
        .unwrap();
    assert!(status.success());
    let a = hdf5::File::open(&reference).unwrap();
    let b = hdf5::File::open(&out).unwrap();
    for name in [
        "vacancies:msd",
        "vacancies:tracked",
        "vacancies:coalescences",
        "vacancies:disappearances",
        "vacancies:size_histogram",
        "holes:order",
        "holes:radial_density",
    ] {
        let (x, shape, _) = series(&a, name);
        let (y, _, _) = series(&b, name);
        assert!(shape[0] > 10, "{name}: {shape:?}");
        assert_eq!(
            x.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "{name}"
        );
    }
}
