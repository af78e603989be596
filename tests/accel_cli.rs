//! Acceleration from the command line: `nanokmc check` lists the scalable channels and the
//! settings, and `nanokmc run` reports what acceleration did in its summary, in every
//! frame (`/observables/accel_factor:<channel>@<domain>`, `accel_saved_events`) and in the
//! change log `/parameters/logs/acceleration_changes`, which `nanokmc info` lists. Two
//! domains make per-region labels (domain names contain `/`, which HDF5 names cannot).

use std::path::Path;
use std::process::Command;

fn nanokmc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nanokmc"))
}

/// A CdSe rod of two domains (two segments of the same phase) with acceleration on.
fn two_domain_scenario(dir: &Path) -> std::path::PathBuf {
    let potential = Path::new(env!("CARGO_MANIFEST_DIR")).join("potentials/cu_exchange_demo.toml");
    let text = format!(
        r#"[scenario]
name = "two_domains"
potential = "{}"
seed = 5

[[geometry.particles]]
name = "rod"
cross_section = {{ type = "hex_rod", radius = "18 A", length = "60 A" }}
margin = "1 A"
segments = [
  {{ name = "lower", phase = "CdSe", thickness = "21.03 A" }},
  {{ name = "upper", phase = "CdSe", thickness = "21.03 A" }},
]

[program]
temperature = "350 C"

[stop]
time = "20 s"

[output]
every = "2 s"

[acceleration]
method = "scaling"
"#,
        potential.display()
    );
    let path = dir.join("two_domains.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_lists_the_scalable_channels_and_the_settings() {
    let out = nanokmc()
        .args(["check", "scenarios/cu_exchange_accelerated.toml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "acceleration: rate scaling, separation ≥ 100",
        "scalable by acceleration",
        "cu_hop (its own reverse)",
        "cd_hop (its own reverse)",
        "kick_out ⇄ kick_out~reverse",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from:\n{text}"
        );
    }
}

#[test]
fn a_run_reports_factors_per_frame_and_the_change_log() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = two_domain_scenario(dir.path());
    let out = dir.path().join("run.h5md");
    let run = nanokmc()
        .arg("run")
        .arg(&scenario)
        .args(["--progress", "quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let summary = String::from_utf8(run.stdout).unwrap();
    assert!(run.status.success(), "{summary}");
    assert!(summary.contains("acceleration: "), "{summary}");
    assert!(summary.contains("detection windows"), "{summary}");

    let file = hdf5::File::open(&out).unwrap();
    let frames = file
        .dataset("particles/trajectory/species/step")
        .unwrap()
        .size();
    let observables: Vec<String> = file.group("observables").unwrap().member_names().unwrap();
    let factors: Vec<&String> = observables
        .iter()
        .filter(|n| n.starts_with("accel_factor:"))
        .collect();
    // three channels (cu_hop, cd_hop, kick_out) in two domains.
    assert_eq!(factors.len(), 6, "{observables:?}");
    assert!(
        factors.iter().all(|n| n.contains('@') && !n.contains('/')),
        "{factors:?}"
    );
    let mut scaled = false;
    for name in &factors {
        let values = file
            .dataset(&format!("observables/{name}/value"))
            .unwrap()
            .read_raw::<f64>()
            .unwrap();
        assert_eq!(values.len(), frames);
        assert!(values.iter().all(|&f| f > 0.0 && f <= 1.0));
        scaled |= values.iter().any(|&f| f < 1.0);
    }
    assert!(scaled, "some factor must have dropped below 1");
    let saved = file
        .dataset("observables/accel_saved_events/value")
        .unwrap()
        .read_raw::<f64>()
        .unwrap();
    assert!(saved.windows(2).all(|w| w[1] >= w[0]) && *saved.last().unwrap() > 0.0);
    let log = file
        .dataset("parameters/logs/acceleration_changes")
        .unwrap()
        .read_raw::<hdf5::types::VarLenUnicode>()
        .unwrap();
    assert!(log.len() >= 2, "a header and at least one change");
    assert!(log[0].as_str().starts_with("time [s]"));
    assert!(log[1..].iter().all(|l| l.as_str().split('\t').count() == 4));
    drop(file);

    let info = nanokmc().arg("info").arg(&out).output().unwrap();
    let info = String::from_utf8(info.stdout).unwrap();
    assert!(
        info.contains(&format!(
            "/parameters/logs/acceleration_changes: {} lines",
            log.len()
        )),
        "{info}"
    );
}
