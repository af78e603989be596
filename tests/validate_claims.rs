//! `nanokmc validate`: claim files (the good and bad corpus under `tests/data/validation/`,
//! bad files with `#^` headers as in `tests/common/corpus.rs`), a claim that must pass, one
//! that must fail (a wrong range), one that is skipped (an observable the trajectory does
//! not have), errors of overrides at the claim's line, and the binary's exit codes.
//!
//! The statistical claims use fixed seeds (the scenario's seed 7) chosen before the
//! results were seen: `pass/evaporation.toml` measures 16 replicas of a 400-site surface
//! (about 100 evaporations in all) against k₈ within 8 % + 3 SEM; `fail/wrong_range.toml`
//! the same against [3e8, 6e8] /s, 1.6 times too high, which is 5 SEM away.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::corpus::{check_error, expectation, toml_files};
use nanokmc::validate::{self, Status, ValidateOptions, claim, report};

/// One test of this file at a time. Tests that run claims in this process open trajectories
/// with HDF5, and tests that spawn the binary fork: a child forked between HDF5's open and
/// the close-on-exec flag set right after it (`output/descriptor.rs`) inherits the file's
/// lock, and the next open of that trajectory fails with "unable to lock file" (seen once in
/// a full `cargo test`, 2026-12-07). Serialising the file's tests closes the window; they
/// take a few seconds in all.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn data(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/validation")
        .join(dir)
}

fn options(work: &Path) -> ValidateOptions {
    ValidateOptions {
        quick: false,
        only: Vec::new(),
        work: work.to_path_buf(),
        threads: Some(2),
        verbose: false,
    }
}

#[test]
fn validate_bad_claims_are_rejected_at_file_line_and_key() {
    let _serial = serial();
    let mut problems = Vec::new();
    let files = toml_files(&data("bad"));
    assert!(files.len() >= 15);
    for f in files {
        let expected = expectation(&f);
        match claim::read(&f) {
            Ok(_) => problems.push(format!("{}: accepted", f.display())),
            Err(e) => {
                if let Err(p) = check_error(&f, &expected, &e) {
                    problems.push(p);
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn validate_good_claims_compile() {
    let _serial = serial();
    for f in toml_files(&data("good")) {
        let c = claim::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(!c.variants.is_empty());
    }
    let full = claim::read(&data("good/full.toml")).unwrap();
    assert_eq!(full.variants.len(), 2);
    assert_eq!(full.quick_replicas, 1);
    assert_eq!(full.seed, Some(3));
    assert!(full.fitted);
    // overrides are kept in the order written.
    let paths: Vec<&str> = full.overrides.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(paths, ["stop.time", "program.steps[0].duration"]);
}

/// `scale` and `offset` act as y → scale·y − offset on the series: the held temperature
/// 1160.45 K gives 2 × 1160.45 − 1000 = 1320.9 exactly, in every replica.
#[test]
fn validate_scale_and_offset_are_applied_to_the_series() {
    let _serial = serial();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("claims");
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = data("scenario/slab.toml");
    let text = format!(
        "[claim]\nname = \"offset\"\nscenario = {scenario:?}\nreplicas = 2\nfitted = false\n\
         source = \"the program holds 1160.45 K\"\n\n[overrides]\n\"stop.time\" = \"5 ps\"\n\n\
         [measure]\nobservable = \"temperature\"\nquantity = \"value\"\nscale = 2.0\n\
         offset = 1000.0\n\n[expect]\ntype = \"matches\"\nvalue = 1320.9\n\
         relative_tolerance = 1e-12\nunit = \"K\"\nreported = \"1320.9 K\"\n"
    );
    std::fs::write(dir.join("offset.toml"), text).unwrap();
    let v = validate::run(&dir, &options(work.path())).unwrap();
    assert_eq!(v.outcomes.len(), 1);
    let o = &v.outcomes[0];
    assert_eq!(o.status, Status::Pass, "{}", o.detail);
    assert_eq!(o.values.len(), 2);
    for x in &o.values {
        assert!((x - 1320.9).abs() < 1e-9, "{x}");
    }
    assert!(
        o.measured.contains("× 2e0") && o.measured.contains("− 1e3"),
        "{}",
        o.measured
    );
}

/// `observable = "transfers"` with `domain` (source) and `into` (destination): the A atoms
/// that crossed from the left cube into the right one in `tests/data/run/interdiffusion.toml`
/// (tens in 1 ns), and an unknown `into` names the claim's key and the domains that exist.
#[test]
fn validate_transfers_between_two_domains() {
    let _serial = serial();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("claims");
    std::fs::create_dir_all(&dir).unwrap();
    let scenario =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/run/interdiffusion.toml");
    let claim = |into: &str| {
        format!(
            "[claim]\nname = \"transfers\"\nscenario = {scenario:?}\nreplicas = 1\nfitted = false\n\
             source = \"test\"\n\n[measure]\nobservable = \"transfers\"\ndomain = \"pair/left\"\n\
             into = \"{into}\"\nspecies = \"A\"\nquantity = \"value\"\n\n[expect]\n\
             type = \"at_least\"\nvalue = 20\nunit = \"atoms\"\nreported = \"A crosses\"\n"
        )
    };
    std::fs::write(dir.join("transfers.toml"), claim("pair/right")).unwrap();
    let v = validate::run(&dir, &options(work.path())).unwrap();
    let o = &v.outcomes[0];
    assert_eq!(o.status, Status::Pass, "{}", o.detail);
    assert!(o.measured.contains("into pair/right"), "{}", o.measured);
    std::fs::write(dir.join("transfers.toml"), claim("pair/middle")).unwrap();
    let e = validate::run(&dir, &options(work.path()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("measure.into") && e.contains("pair/right"),
        "{e}"
    );
}

/// `at = "end_of_step K"`: the held temperature at the end of the slab's one step, and a
/// step the program does not have is an input error at the claim's measure, found before
/// any claim of the folder runs.
#[test]
fn validate_end_of_step_takes_the_last_frame_of_the_step() {
    let _serial = serial();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("claims");
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = data("scenario/slab.toml");
    let claim = |k: usize| {
        format!(
            "[claim]\nname = \"step\"\nscenario = {scenario:?}\nreplicas = 1\nfitted = false\n\
             source = \"s\"\n\n[overrides]\n\"stop.time\" = \"150 ps\"\n\n[measure]\n\
             observable = \"temperature\"\nquantity = \"value\"\nat = \"end_of_step {k}\"\n\n\
             [expect]\ntype = \"matches\"\nvalue = 1160.45\nrelative_tolerance = 1e-12\n\
             unit = \"K\"\nreported = \"the hold\"\n"
        )
    };
    std::fs::write(dir.join("step.toml"), claim(1)).unwrap();
    let v = validate::run(&dir, &options(work.path())).unwrap();
    assert_eq!(
        v.outcomes[0].status,
        Status::Pass,
        "{}",
        v.outcomes[0].detail
    );
    assert!(
        v.outcomes[0].measured.contains("end of program step 1"),
        "{}",
        v.outcomes[0].measured
    );
    // a good claim read first does not run when a later one is wrong.
    std::fs::write(
        dir.join("aaa.toml"),
        claim(1).replace("name = \"step\"", "name = \"early\""),
    )
    .unwrap();
    std::fs::write(dir.join("step.toml"), claim(2)).unwrap();
    let early = work.path().join("again");
    let e = validate::run(&dir, &options(&early))
        .unwrap_err()
        .to_string();
    assert!(e.contains("measure.at") && e.contains("1 step(s)"), "{e}");
    assert!(!early.join("early").exists(), "the good claim ran");
}

/// 2 claims that must pass (see the module doc for N and tolerance), with their report.
#[test]
fn validate_passing_claims_pass_and_are_reported() {
    let _serial = serial();
    let work = tempfile::tempdir().unwrap();
    let v = validate::run(&data("pass"), &options(work.path())).unwrap();
    assert_eq!(v.outcomes.len(), 2);
    for o in &v.outcomes {
        assert_eq!(o.status, Status::Pass, "{}: {}", o.claim, o.detail);
    }
    let evaporation = &v.outcomes[0];
    assert_eq!(evaporation.values.len(), 16);
    assert_eq!(evaporation.trajectories.len(), 16);
    // fitted claims are reported apart from predictions.
    let report_path = work.path().join("out/report.md");
    report::write(&v, &report_path).unwrap();
    let md = std::fs::read_to_string(&report_path).unwrap();
    let predictions = md.find("## Predictions").unwrap();
    let fitted = md.find("## Fitted claims").unwrap();
    let evaporation_row = md.find("| [evaporation]").unwrap();
    let temperature_row = md.find("| [temperature]").unwrap();
    assert!(predictions < evaporation_row && evaporation_row < fitted);
    assert!(fitted < temperature_row);
    let csv = std::fs::read_to_string(work.path().join("out/report_data/evaporation.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("time_s,replica_0,"));
    assert!(header.ends_with("replica_15,mean,sem"));
    // frames every 5 ps up to 100 ps (and the final frame), plus the header.
    assert!(csv.lines().count() >= 22);
    assert!(csv.lines().last().unwrap().starts_with("1e-10,"));
}

/// The same measurement as `pass/evaporation.toml` against a range 1.6 times too high.
#[test]
fn validate_claim_with_a_wrong_range_fails() {
    let _serial = serial();
    let work = tempfile::tempdir().unwrap();
    let v = validate::run(&data("fail"), &options(work.path())).unwrap();
    assert_eq!(v.outcomes.len(), 1);
    assert_eq!(
        v.outcomes[0].status,
        Status::Fail,
        "{}",
        v.outcomes[0].detail
    );
    assert!(!v.all_pass());
}

#[test]
fn validate_missing_observable_skips_the_claim() {
    let _serial = serial();
    let work = tempfile::tempdir().unwrap();
    let v = validate::run(&data("skip"), &options(work.path())).unwrap();
    assert_eq!(v.outcomes[0].status, Status::Skipped);
    assert!(
        v.outcomes[0]
            .detail
            .contains("has no /observables/au:mean_size")
    );
    assert!(!v.all_pass());
}

#[test]
fn validate_replicas_do_not_depend_on_the_thread_count() {
    let _serial = serial();
    let run = |threads| {
        let work = tempfile::tempdir().unwrap();
        let mut o = options(work.path());
        o.threads = Some(threads);
        o.only = vec!["evaporation".into()];
        validate::run(&data("pass"), &o).unwrap().outcomes[0]
            .values
            .clone()
    };
    assert_eq!(run(1), run(2));
}

/// `--only` selects by name, by a prefix ending in `*`, and by several of them; a selector
/// that selects nothing is an input error, even beside one that does.
#[test]
fn validate_only_takes_names_prefixes_and_lists() {
    let _serial = serial();
    let work = tempfile::tempdir().unwrap();
    let selected = |only: &[&str]| {
        let mut o = options(work.path());
        o.only = only.iter().map(ToString::to_string).collect();
        validate::run(&data("pass"), &o).map(|v| {
            v.outcomes
                .iter()
                .map(|c| c.claim.clone())
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(selected(&["temperature"]).unwrap(), ["temperature"]);
    assert_eq!(selected(&["temp*"]).unwrap(), ["temperature"]);
    let both = selected(&["evaporation", "temperature"]).unwrap();
    assert_eq!(both.len(), 2, "{both:?}");
    assert_eq!(selected(&["*"]).unwrap().len(), 2);
    let e = selected(&["temperature", "evap"]).unwrap_err().to_string();
    assert!(e.contains("no claim named `evap`"), "{e}");
    // on the command line: a comma-separated list.
    let w = work.path().to_str().unwrap();
    let r = work.path().join("r.md");
    let out = nanokmc(&[
        "validate",
        data("pass").to_str().unwrap(),
        "--work",
        w,
        "--report",
        r.to_str().unwrap(),
        "--only",
        "temperature,nothing*",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no claim name starts with `nothing`"));
    assert!(!r.exists());
}

/// Writes a claim into a temporary folder that uses the test slab with `overrides`.
fn claim_with_overrides(dir: &Path, overrides: &str) -> PathBuf {
    let scenario = data("scenario/slab.toml");
    let text = format!(
        "[claim]\nname = \"o\"\nscenario = \"{}\"\nreplicas = 1\nfitted = false\nsource = \"s\"\n\n[overrides]\n{overrides}\n\n[measure]\nobservable = \"temperature\"\nquantity = \"value\"\n\n[expect]\ntype = \"at_least\"\nvalue = 0.0\nreported = \"x\"\n",
        scenario.display()
    );
    let path = dir.join("o.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn validate_override_errors_name_the_claim_line_and_key() {
    let _serial = serial();
    let work = tempfile::tempdir().unwrap();
    let claims = tempfile::tempdir().unwrap();
    // a path that does not exist in the scenario.
    claim_with_overrides(
        claims.path(),
        "\"stop.tiem\" = \"1 ps\"\n\"geometry.blok.cells\" = [1, 1, 1]",
    );
    let e = validate::run(claims.path(), &options(work.path())).unwrap_err();
    let text = e.to_string();
    assert!(e.is_input_error(), "{text}");
    assert!(
        text.contains("o.toml:10:1: key `overrides.\"geometry.blok.cells\"`"),
        "{text}"
    );
    assert!(text.contains("has no key `blok`"), "{text}");
    // a value the scenario reader rejects.
    claim_with_overrides(claims.path(), "\"stop.time\" = \"-1 ps\"");
    let e = validate::run(claims.path(), &options(work.path())).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("o.toml:9:1: key `overrides`"), "{text}");
    assert!(
        text.contains("invalid with the claim's overrides"),
        "{text}"
    );
    assert!(text.contains("stop.time"), "{text}");
    // a valid override changes the run: 2 frames at 0 and 5 ps.
    claim_with_overrides(claims.path(), "\"stop.time\" = \"5 ps\"");
    let v = validate::run(claims.path(), &options(work.path())).unwrap();
    assert_eq!(v.outcomes[0].series[0].time, [0.0, 5e-12]);
}

fn nanokmc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nanokmc"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn validate_binary_exit_codes() {
    let _serial = serial();
    let work = tempfile::tempdir().unwrap();
    let w = work.path().to_str().unwrap();
    let report = work.path().join("r.md");
    let r = report.to_str().unwrap();
    let pass = data("pass");
    let out = nanokmc(&[
        "validate",
        pass.to_str().unwrap(),
        "--work",
        w,
        "--report",
        r,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.is_file());
    let fail = data("fail");
    let out = nanokmc(&[
        "validate",
        fail.to_str().unwrap(),
        "--work",
        w,
        "--report",
        r,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let skip = data("skip");
    let out = nanokmc(&[
        "validate",
        skip.to_str().unwrap(),
        "--work",
        w,
        "--report",
        r,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = nanokmc(&[
        "validate",
        skip.to_str().unwrap(),
        "--work",
        w,
        "--report",
        r,
        "--allow-skipped",
    ]);
    assert_eq!(out.status.code(), Some(0));
    // bad claims: exit code 2, nothing written.
    std::fs::remove_file(&report).unwrap();
    let bad = data("bad");
    let out = nanokmc(&[
        "validate",
        bad.to_str().unwrap(),
        "--work",
        w,
        "--report",
        r,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("key `"),
        "{stderr}"
    );
    assert!(!report.exists());
    let out = nanokmc(&[
        "validate",
        pass.to_str().unwrap(),
        "--work",
        w,
        "--only",
        "evaporatoin",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `evaporation`?"));
}

/// Two variants (the two ends of a hold, say) run separately, each with its own row.
#[test]
fn validate_variants_run_separately_and_all_must_pass() {
    let _serial = serial();
    let claims = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let text = format!(
        "[claim]\nname = \"v\"\nscenario = \"{}\"\nreplicas = 1\nfitted = false\nsource = \"s\"\n\n[[variants]]\nname = \"short\"\noverrides = {{ \"stop.time\" = \"5 ps\" }}\n\n[[variants]]\nname = \"long\"\noverrides = {{ \"stop.time\" = \"10 ps\" }}\n\n[measure]\nobservable = \"temperature\"\nquantity = \"value\"\nat = \"6 ps\"\n\n[expect]\ntype = \"at_least\"\nvalue = 0.0\nreported = \"x\"\n",
        data("scenario/slab.toml").display()
    );
    std::fs::write(claims.path().join("v.toml"), text).unwrap();
    let v = validate::run(claims.path(), &options(work.path())).unwrap();
    let names: Vec<&str> = v.outcomes.iter().map(|o| o.variant.as_str()).collect();
    assert_eq!(names, ["short", "long"]);
    // the short run ends before 6 ps: it cannot be measured and fails; the long one passes.
    assert_eq!(v.outcomes[0].status, Status::Fail);
    assert!(
        v.outcomes[0].detail.contains("ends at"),
        "{}",
        v.outcomes[0].detail
    );
    assert_eq!(v.outcomes[1].status, Status::Pass);
    assert!(!v.all_pass());
    assert!(work.path().join("v/short/run.h5md").is_file());
    assert!(work.path().join("v/long/run.h5md").is_file());
}
