//! Potential files: the good corpus compiles with the right values, every file of the bad
//! corpus is rejected with the file, line, key and message it announces, and nothing panics.
//!
//! Corpus: `tests/data/potentials/{good,bad}/*.toml` (plus the shipped `potentials/*.toml`,
//! which must compile). Each bad file starts with header comments (lumol-input style):
//!
//! ```text
//! #^ <substring of the expected message>
//! #^key <the key the message names, as in "key `…`">
//! #^line <N>                        (optional: the line the message points at)
//! #^known-gap <what the library does instead>   (optional, see below)
//! ```
//!
//! A file with `#^known-gap` documents input that the library does not yet reject, or rejects
//! without its location or key. The corpus test only checks that it does not panic; the full
//! expectation is checked by an `#[ignore]`d test per file (`cargo test --test
//! potential_files -- --ignored` lists the gaps).

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

use approx::assert_relative_eq;
use common::corpus::{check_error, expectation, panic_text, toml_files};
use nanokmc::model::{Action, BarrierRule, RateLaw};
use nanokmc::potential::{self, Potential};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bad_dir() -> PathBuf {
    root().join("tests/data/potentials/bad")
}

/// Reads `path` with `potential::read` inside `catch_unwind`.
fn read_no_panic(path: &Path) -> Result<nanokmc::Result<Potential>, String> {
    catch_unwind(AssertUnwindSafe(|| potential::read(path))).map_err(|p| panic_text(p.as_ref()))
}

/// Checks one bad file against its header; `Err` describes the mismatch.
fn check_bad(path: &Path) -> Result<(), String> {
    let expected = expectation(path);
    let name = path.display();
    let result = read_no_panic(path).map_err(|p| format!("{name}: panicked: {p}"))?;
    match result {
        Ok(_) => Err(format!(
            "{name}: accepted, expected `{:?}`",
            expected.message
        )),
        Err(e) => check_error(path, &expected, &e),
    }
}

/// Every bad file without a known gap is rejected with path, line, key and message; files
/// with a known gap are read without panicking.
#[test]
fn potential_bad_files_are_rejected_with_location_key_and_message() {
    let files = toml_files(&bad_dir());
    assert!(files.len() >= 25, "only {} bad files", files.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in &files {
        if expectation(path).known_gap.is_some() {
            if let Err(p) = read_no_panic(path) {
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

/// Every `#^known-gap` file has its own ignored test below (keeps the list honest).
#[test]
fn potential_known_gaps_each_have_an_ignored_test() {
    let source = include_str!("potential_files.rs");
    for path in toml_files(&bad_dir()) {
        if expectation(&path).known_gap.is_some() {
            let stem = path.file_stem().unwrap().to_str().unwrap();
            assert!(
                source.contains(&format!("known_gap(\"{stem}\")")),
                "no ignored test for known gap {stem}"
            );
        }
    }
}

/// Body of the `#[ignore]`d test that documents a known gap (a bad file marked
/// `#^known-gap`): `known_gap("stem")`.
// unused while no bad file is marked as a known gap; kept for the next one.
#[allow(dead_code)]
fn known_gap(stem: &str) {
    let path = bad_dir().join(format!("{stem}.toml"));
    assert!(expectation(&path).known_gap.is_some());
    if let Err(f) = check_bad(&path) {
        panic!("{f}");
    }
}

/// A file that does not exist: an I/O error naming the path, no panic.
#[test]
fn potential_missing_file_error_names_the_path() {
    let path = root().join("tests/data/potentials/does_not_exist.toml");
    let error = read_no_panic(&path)
        .expect("no panic")
        .expect_err("a missing file is an error");
    let text = error.to_string();
    assert!(matches!(error, nanokmc::Error::Io { .. }), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
}

/// Text that is empty (not even comments) is rejected like a file without `[model]`.
#[test]
fn potential_empty_text_is_rejected_without_panic() {
    let source = nanokmc::input::Source::from_text("empty.toml", "");
    let error = catch_unwind(|| potential::compile(&source))
        .expect("no panic")
        .expect_err("empty text is an error");
    let text = error.to_string();
    assert!(text.starts_with("empty.toml"), "{text}");
    assert!(text.contains("missing field `model`"), "{text}");
}

/// The shipped potentials and the good corpus compile.
#[test]
fn potential_good_files_compile() {
    let mut files = toml_files(&root().join("potentials"));
    assert!(files.len() >= 2, "shipped potentials: {files:?}");
    files.extend(toml_files(&root().join("tests/data/potentials/good")));
    for path in files {
        let result = read_no_panic(&path).unwrap_or_else(|p| panic!("{}: {p}", path.display()));
        let potential = result.unwrap_or_else(|e| panic!("{e}"));
        assert!(!potential.model.rules.is_empty(), "{}", path.display());
        assert!(!potential.phases.is_empty(), "{}", path.display());
        for phase in &potential.phases {
            let crystal = phase
                .crystal()
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            phase
                .basis_kinds(&crystal)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

fn good(name: &str) -> Potential {
    let path = root().join("tests/data/potentials/good").join(name);
    potential::read(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn thermal(p: &Potential, rule: &str) -> (f64, f64, BarrierRule, f64) {
    let i = p
        .model
        .find_rule(rule)
        .unwrap_or_else(|| panic!("rule {rule}"));
    match p.model.rules[i].law {
        RateLaw::Thermal {
            prefactor,
            migration_energy,
            barrier_rule,
            reference_energy,
        } => (prefactor, migration_energy, barrier_rule, reference_energy),
        RateLaw::Beam { .. } | RateLaw::BeamProcess { .. } => panic!("{rule} is a beam rule"),
    }
}

fn cross_section(p: &Potential, rule: &str) -> f64 {
    let i = p
        .model
        .find_rule(rule)
        .unwrap_or_else(|| panic!("rule {rule}"));
    match p.model.rules[i].law {
        RateLaw::Beam { cross_section } => cross_section,
        RateLaw::Thermal { .. } | RateLaw::BeamProcess { .. } => {
            panic!("{rule} is thermal or computed")
        }
    }
}

/// Units are converted to internal units (eV, s⁻¹, Å, Å²) at 1e-12 relative.
#[test]
fn potential_feature_file_converts_units() {
    let p = good("cdse_cu_exchange.toml");
    let (nu, em, rule, reference) = thermal(&p, "cu_hop");
    assert_relative_eq!(nu, 1e12, max_relative = 1e-12); // "1 THz"
    assert_relative_eq!(em, 0.65, max_relative = 1e-12); // "650 meV"
    assert_eq!(rule, BarrierRule::KangWeinberg);
    assert_eq!(reference, 0.0);
    let (nu, em, rule, _) = thermal(&p, "cation_exchange");
    assert_relative_eq!(nu, 1e12, max_relative = 1e-12); // "1e12 Hz"
    assert_relative_eq!(em, 1.1, max_relative = 1e-12);
    assert_eq!(rule, BarrierRule::Uphill);
    let (_, _, rule, reference) = thermal(&p, "cd_evaporation");
    assert_eq!(rule, BarrierRule::Fixed);
    assert_relative_eq!(reference, 0.3, max_relative = 1e-12);
    let (_, _, _, reference) = thermal(&p, "cu_deposition");
    assert_relative_eq!(reference, -0.1, max_relative = 1e-12);
    assert_relative_eq!(cross_section(&p, "se_sputter"), 1e-6, max_relative = 1e-12); // "100 barn"
    assert_relative_eq!(
        cross_section(&p, "cu_knock_on"),
        2.5e-8,
        max_relative = 1e-12
    ); // "2.5 b"

    let wz = p.phase("CdSe_wz").unwrap();
    assert_eq!(wz.structure, "wurtzite");
    assert_relative_eq!(wz.parameter("a").unwrap(), 4.30, max_relative = 1e-12);
    assert_relative_eq!(wz.parameter("c").unwrap(), 7.01, max_relative = 1e-12); // "0.701 nm"
    assert_relative_eq!(wz.parameter("u").unwrap(), 0.375, max_relative = 1e-12);
    assert_eq!(p.phases.len(), 3);
    assert!(p.phase("Cu_fcc").unwrap().fill.is_empty());

    let m = &p.model;
    let cu = m.species.find("Cu").unwrap();
    let se = m.species.find("Se").unwrap();
    assert_relative_eq!(m.species.get(cu).mass, 63.546, max_relative = 1e-12);
    assert_eq!(
        m.species.get(se).element,
        "Se",
        "element defaults to the name"
    );
    let cation = m.find_kind("cation").unwrap();
    assert_relative_eq!(
        m.energy.onsite[cation.index()][cu.index()],
        -0.25,
        max_relative = 1e-12
    );
    let cc = m.find_shell("cc").unwrap();
    let (_, bonds) = m.energy.bonds.iter().find(|(s, _)| *s == cc).unwrap();
    assert_relative_eq!(bonds[cu.index()][cu.index()], -0.020, max_relative = 1e-12); // "-20 meV"
    assert_eq!(m.energy.coordination[0].table.len(), 13);
    assert_relative_eq!(
        m.energy.coordination[0].table[12],
        -1.2,
        max_relative = 1e-12
    );
    assert_relative_eq!(m.shells[cc.index()].pairs[0].min, 3.5, max_relative = 1e-12);

    let hop = &m.rules[m.find_rule("cu_hop").unwrap()];
    assert_eq!(hop.saddle.len(), 1);
    assert_relative_eq!(hop.saddle[0].shift, 0.05, max_relative = 1e-12);
    assert_eq!(hop.conditions[0].min, 1);
    assert_eq!(hop.conditions[0].max, u16::MAX, "no max means unbounded");
    assert!(matches!(hop.action, Action::Swap { .. }));
    let remove = &m.rules[m.find_rule("cd_evaporation").unwrap()];
    assert!(matches!(remove.action, Action::Remove { .. }));
    assert_eq!((remove.conditions[0].min, remove.conditions[0].max), (0, 2));
    let add = &m.rules[m.find_rule("cu_deposition").unwrap()];
    assert!(matches!(add.action, Action::Add { .. }));

    // a reversible hop between different kinds gets its reverse; `reversible = false` not.
    let reverse = m.find_rule("cu_hop~reverse").expect("reverse of cu_hop");
    assert_eq!(m.rules[reverse].reverse_of, m.find_rule("cu_hop"));
    assert!(m.find_rule("cu_one_way~reverse").is_none());
    assert_eq!(m.rules.len(), 8, "7 events and the reverse of cu_hop");
}

/// Less common unit spellings in the minimal file: `s^-1`, `kJ/mol`; a phase without fill.
#[test]
fn potential_minimal_file_converts_units() {
    let p = good("minimal_thermal.toml");
    let (nu, em, rule, _) = thermal(&p, "hop");
    assert_relative_eq!(nu, 5e12, max_relative = 1e-12);
    // 1 eV = 96.485 332 kJ/mol (CODATA): "96.485 kJ/mol" is 0.999 996 6 eV.
    assert_relative_eq!(em, 1.0, max_relative = 1e-5);
    assert_eq!(rule, BarrierRule::KangWeinberg, "the default barrier rule");
    assert_eq!(
        p.model.rules.len(),
        1,
        "same-kind hops have no generated reverse"
    );
    assert!(p.phase("empty_bcc").unwrap().fill.is_empty());
}

/// The shipped linear benchmark potential: bond 1 eV between A and vacancy, ν = 1 /s.
#[test]
fn potential_bench_diffusion_values() {
    let p = potential::read(&root().join("potentials/bench_diffusion.toml")).unwrap();
    let (nu, em, rule, _) = thermal(&p, "hop");
    assert_eq!((nu, em, rule), (1.0, 0.0, BarrierRule::Uphill));
    let a = p.model.species.find("A").unwrap();
    let vac = p.model.species.find("Vac").unwrap();
    assert_eq!(p.model.energy.bonds[0].1[a.index()][vac.index()], 1.0);
    assert_relative_eq!(p.model.shells[0].pairs[0].max, 0.8, max_relative = 1e-12);
}

fn check_potential(path: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nanokmc"))
        .arg("check-potential")
        .arg(path)
        .output()
        .expect("runs nanokmc")
}

/// `nanokmc check-potential` exits 2 with `error: <path>:<line>:` for every bad file with a
/// located error, 2 for a missing file, and 0 for the shipped benchmark potential.
#[test]
fn cli_check_potential_exit_codes_and_messages() {
    for path in toml_files(&bad_dir()) {
        let expected = expectation(&path);
        if expected.known_gap.is_some() {
            continue;
        }
        let out = check_potential(&path);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
        assert!(stderr.starts_with("error: "), "{stderr}");
        let location = match expected.line {
            Some(line) => format!("{}:{line}:", path.display()),
            None => path.display().to_string(),
        };
        assert!(
            stderr.contains(&location),
            "expected `{location}` in {stderr}"
        );
        assert!(
            stderr.contains(expected.message.as_deref().unwrap()),
            "{stderr}"
        );
    }
    let missing = root().join("tests/data/potentials/does_not_exist.toml");
    let out = check_potential(&missing);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");

    let out = check_potential(&root().join("potentials/bench_diffusion.toml"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("bench_diffusion_linear"), "{stdout}");
}

/// A multi-species cluster move: the lead species, the motif set (lead + listed species),
/// the connect and move shells and the size bounds are read as written.
#[test]
fn cluster_move_motif_is_read() {
    let p = good("cluster_move_motif.toml");
    let i = p.model.find_rule("zncl4_unit_move").expect("rule");
    let Action::ClusterMove(c) = p.model.rules[i].action else {
        panic!("not a cluster move: {:?}", p.model.rules[i].action);
    };
    let zn = p.model.species.find("Zn").expect("Zn");
    let cl = p.model.species.find("Cl").expect("Cl");
    let cs = p.model.species.find("Cs").expect("Cs");
    assert_eq!(c.species, zn);
    assert!(c.motif.contains(zn) && c.motif.contains(cl) && !c.motif.contains(cs));
    assert_eq!(c.motif.iter().count(), 2);
    assert_eq!(p.model.shells[c.connect.index()].name, "zx");
    assert_eq!(p.model.shells[c.shell.index()].name, "zz");
    assert_eq!((c.min_size, c.max_size), (5, 5));
}
