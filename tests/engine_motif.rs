//! Multi-species cluster moves (`cluster_move` with `motif`, e.g. a ZnX₄ tetrahedron moving
//! as one unit): Boltzmann occupation in a closed box (detailed balance of motif moves with
//! single-atom hops of both species), no audit drift while motifs form, move and break up,
//! species carried with their atoms, and lead-less clusters that never move.

mod common;

use std::sync::Arc;

use common::{fcc_periodic, mean_sem, potential};
use nanokmc::engine::Simulation;
use nanokmc::program::Program;
use nanokmc::rng;
use nanokmc::sites::{ShellId, SiteId};
use nanokmc::state::SpeciesId;

/// Seeds of this file (chosen before any run).
const SEEDS: [u64; 3] = [20_261_207, 17, 4_242];

/// Boltzmann constant [eV/K] (CODATA 2018), as in `nanokmc::constants`.
const KB: f64 = 8.617_333_262e-5;

/// A (lead) and B (motif) atoms and an immobile P on a periodic fcc lattice (lattice
/// constant 1 Å): A and B hop; an A–B cluster of `min..=max` atoms slides as a unit.
fn motif_model(min: u32, max: u32, bonds: &str) -> String {
    format!(
        r#"
[model]
name = "motif"
[[species]]
name = "A"
[[species]]
name = "B"
[[species]]
name = "P"
[[site_kinds]]
name = "fcc"
allowed = ["A", "B", "P"]
[[shells]]
name = "nn"
pairs = [{{ kinds = ["fcc", "fcc"], max = "0.8 A" }}]
[energy]
bonds = [{bonds}]
[[events]]
name = "hop_a"
type = "hop"
species = "A"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.45 eV"
[[events]]
name = "hop_b"
type = "hop"
species = "B"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.40 eV"
[[events]]
name = "slide"
type = "cluster_move"
species = "A"
motif = ["B"]
shell = "nn"
min_size = {min}
max_size = {max}
prefactor = "1e13 /s"
migration_energy = "0.25 eV"
size_energy = "0.02 eV"
"#
    )
}

/// A closed box (periodic fcc, 2×2×2 cells, 32 sites) with one immobile P atom, one A and
/// one B: A and B hop, and an A–B pair slides as a unit (E_m = 0.25 eV + 0.02 eV ln 2).
/// A–B −0.1 eV, A–P −0.15 eV, B–P −0.05 eV, 500 K. The time-weighted occupation of the
/// eight classes (A–B bonded or not) × (A–P bonded or not) × (B–P bonded or not) must be
/// Boltzmann over the 31·30 ordered placements. N = 3·10⁵ events in 30 batches;
/// tolerance per class: 4 batch SEM + 0.003 absolute. (Broken on purpose by dropping ΔE
/// from the motif move's barrier, it fails.)
#[test]
fn motif_moves_keep_boltzmann_occupation_in_a_closed_box() {
    let text = motif_model(
        2,
        2,
        r#"{ shell = "nn", species = ["A", "B"], value = "-0.1 eV" },
  { shell = "nn", species = ["A", "P"], value = "-0.15 eV" },
  { shell = "nn", species = ["B", "P"], value = "-0.05 eV" }"#,
    );
    let temperature = 500.0;
    let beta = 1.0 / (KB * temperature);
    let pot = potential(&text);
    let g = fcc_periodic(2, false);
    let n = g.len();
    let adjacent = |a: usize, b: usize| {
        g.neighbors(SiteId(a as u32), ShellId(0))
            .any(|k| k.index() == b)
    };
    let p_site = 0usize;
    let class_of = |a: usize, b: usize| -> usize {
        usize::from(adjacent(a, b)) * 4
            + usize::from(adjacent(a, p_site)) * 2
            + usize::from(adjacent(b, p_site))
    };
    let energy =
        |c: usize| -0.1 * (c / 4) as f64 - 0.15 * ((c / 2) % 2) as f64 - 0.05 * (c % 2) as f64;
    let mut weight = [0.0f64; 8];
    for a in 1..n {
        for b in 1..n {
            if a != b {
                let c = class_of(a, b);
                weight[c] += (-beta * energy(c)).exp();
            }
        }
    }
    let z: f64 = weight.iter().sum();
    let expected: Vec<f64> = weight.iter().map(|w| w / z).collect();

    let mut species = vec![SpeciesId(0); n];
    species[p_site] = SpeciesId(3);
    species[5] = SpeciesId(1);
    species[20] = SpeciesId(2);
    let mut sim = Simulation::new(
        g.clone(),
        Arc::new(pot.model),
        species,
        Program::constant(temperature, 0.0).unwrap(),
        rng::stream(SEEDS[0], 0),
    )
    .unwrap();
    sim.run_events(10_000, f64::INFINITY).unwrap();
    let find = |sim: &Simulation, s: u8| -> usize {
        sim.occupancy()
            .species()
            .position(|x| x.0 == s)
            .expect("the atom is there")
    };
    let batches = 30;
    let per_batch = 10_000;
    let mut fractions = vec![[0.0f64; 8]; batches];
    for batch in fractions.iter_mut() {
        let start = sim.time();
        let mut state = (find(&sim, 1), find(&sim, 2));
        for _ in 0..per_batch {
            let before = sim.time();
            sim.step(f64::INFINITY).unwrap();
            batch[class_of(state.0, state.1)] += sim.time() - before;
            state = (find(&sim, 1), find(&sim, 2));
        }
        let span = sim.time() - start;
        for x in batch.iter_mut() {
            *x /= span;
        }
    }
    let slides = sim.rule_counts()[sim.model().find_rule("slide").unwrap()];
    eprintln!("slides {slides}");
    assert!(slides > 30_000, "the A–B pair must slide often: {slides}");
    for c in 0..8 {
        let xs: Vec<f64> = fractions.iter().map(|f| f[c]).collect();
        let (mean, sem) = mean_sem(&xs);
        eprintln!(
            "class {c}: {mean:.5} ± {sem:.5}, Boltzmann {:.5}",
            expected[c]
        );
        assert!(
            (mean - expected[c]).abs() < 4.0 * sem + 0.003,
            "class {c}: {mean} ± {sem}, Boltzmann {}",
            expected[c]
        );
    }
}

/// A and B at 5 % each on a 4×4×4-cell periodic fcc box (512 sites), with A–B −0.05 eV and
/// B–B −0.02 eV at 700 K: A–B clusters of 2..=6 atoms slide, and form and break up through
/// the hops. N = 10⁵ events audited every 10⁴ (tolerance: zero drift); every rule fires
/// more than 1000 times; the numbers of A and of B never change (a motif move carries each
/// atom's species). (Broken on purpose by writing the lead species on every destination,
/// the counts test fails.)
#[test]
fn motif_moves_leave_no_audit_drift_and_carry_species() {
    let text = motif_model(
        2,
        6,
        r#"{ shell = "nn", species = ["A", "B"], value = "-0.05 eV" },
  { shell = "nn", species = ["B", "B"], value = "-0.02 eV" }"#,
    );
    let pot = potential(&text);
    let g = fcc_periodic(4, false);
    let mut r = rng::stream(SEEDS[1], 9);
    let species: Vec<SpeciesId> = (0..g.len())
        .map(|_| {
            let u = rng::uniform_open01(&mut r);
            SpeciesId(if u < 0.05 {
                1
            } else if u < 0.10 {
                2
            } else {
                0
            })
        })
        .collect();
    let count = |sim: &Simulation, s: u8| sim.occupancy().species().filter(|x| x.0 == s).count();
    let mut sim = Simulation::new(
        g,
        Arc::new(pot.model),
        species,
        Program::constant(700.0, 0.0).unwrap(),
        r,
    )
    .unwrap();
    assert!(sim.audit().is_clean());
    let (a0, b0) = (count(&sim, 1), count(&sim, 2));
    for _ in 0..10 {
        sim.run_events(10_000, f64::INFINITY).unwrap();
        let report = sim.audit();
        assert!(
            report.is_clean(),
            "drift after {} events: {report:?}",
            sim.executed()
        );
        assert_eq!((count(&sim, 1), count(&sim, 2)), (a0, b0));
    }
    for (rule, n) in sim.model().rules.iter().zip(sim.rule_counts()) {
        eprintln!("{}: {n}", rule.name);
        assert!(*n > 1000, "rule {} fired only {n} times", rule.name);
    }
}

/// A B–B dimer (no lead atom) never moves by the motif rule, while an A–B dimer in the
/// same box does: N = 2000 events each, hops switched off by a 5 eV barrier.
#[test]
fn clusters_without_the_lead_species_do_not_move() {
    let text = motif_model(
        2,
        2,
        r#"{ shell = "nn", species = ["B", "B"], value = "-0.1 eV" }"#,
    )
    .replace("\"0.45 eV\"", "\"5 eV\"")
    .replace("\"0.40 eV\"", "\"5 eV\"");
    let pot = Arc::new(potential(&text).model);
    let g = fcc_periodic(3, false);
    let first = g.neighbors(SiteId(0), ShellId(0)).next().unwrap().index();
    for (lead, expect_moves) in [(2u8, false), (1u8, true)] {
        let mut species = vec![SpeciesId(0); g.len()];
        species[0] = SpeciesId(lead);
        species[first] = SpeciesId(2);
        let mut sim = Simulation::new(
            g.clone(),
            pot.clone(),
            species,
            Program::constant(600.0, 0.0).unwrap(),
            rng::stream(SEEDS[2], 1),
        )
        .unwrap();
        sim.run_events(2000, 1e-3).unwrap();
        let slides = sim.rule_counts()[sim.model().find_rule("slide").unwrap()];
        assert_eq!(slides > 0, expect_moves, "lead {lead}: {slides} slides");
        assert!(sim.audit().is_clean());
    }
}

/// The shipped `potentials/cs2zncl4.toml` with only its `ZnCl4` unit move (species, phase,
/// kinds, shells and energies as shipped), and a scenario of a periodic 2×3×2-cell block
/// of its Pnma crystal, written into `dir`.
fn zncl4_units_only(dir: &std::path::Path) -> nanokmc::scenario::Scenario {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = std::fs::read_to_string(root.join("potentials/cs2zncl4.toml")).expect("shipped");
    let head = shipped
        .split("# ---- beam: data")
        .next()
        .expect("the file has a beam section");
    let start = shipped
        .find("[[events]]\nname = \"zncl4_unit_move\"")
        .expect("the shipped file has the unit move");
    let block = shipped[start..]
        .split("\n\n")
        .next()
        .expect("the event block");
    std::fs::write(dir.join("potential.toml"), format!("{head}\n{block}\n")).expect("write");
    let scenario = r#"
[scenario]
name = "zncl4_units"
potential = "potential.toml"
seed = 1

[geometry.block]
phase = "Cs2ZnCl4"
cells = [2, 3, 2]

[program]
temperature = "700 K"

[stop]
time = "1 s"
"#;
    let path = dir.join("scenario.toml");
    std::fs::write(&path, scenario).expect("write");
    nanokmc::scenario::read(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// A whole `ZnCl4` unit of the shipped Cs2ZnCl4 model walks into an empty unit slot: in a
/// periodic 2×3×2-cell block with one unit (Zn and its 4 Cl) removed and only the unit
/// move enabled, the empty slot has exactly two complete neighbours along ±b, each move
/// has ΔE = 0 (the crystal with the slot moved by b is the same crystal), so the moves
/// are a Poisson process of rate 2ν exp(−1.0 eV / k_B T) at 700 K. N = 20 000 moves; the
/// elapsed time must be N / (2k) within 4/√N (4 σ of the Gamma law); counts of Zn and Cl
/// never change, every move carries the empty slot by ±b, and the audit stays clean.
/// (Broken on purpose by collecting clusters along the lead species only, no unit moves
/// at all and the test fails.)
#[test]
fn zncl4_units_of_the_shipped_model_walk_into_an_empty_slot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = zncl4_units_only(dir.path());
    let system = s.build_system(0).expect("system");
    let model = Arc::clone(&system.model);
    let zn = model.species.find("Zn").expect("Zn");
    let cl = model.species.find("Cl").expect("Cl");
    let g = system.graph.clone();
    let zx = ShellId(
        model
            .shells
            .iter()
            .position(|sh| sh.name == "zx")
            .expect("zx") as u8,
    );
    let mut species = system.species.clone();
    let first_zn = species.iter().position(|&x| x == zn).expect("a Zn");
    let unit: Vec<usize> = std::iter::once(first_zn)
        .chain(g.neighbors(SiteId(first_zn as u32), zx).map(|k| k.index()))
        .collect();
    assert_eq!(unit.len(), 5, "Zn and its 4 Cl");
    for &u in &unit {
        species[u] = SpeciesId::VACANCY;
    }
    let count = |sp: &[SpeciesId], x: SpeciesId| sp.iter().filter(|&&y| y == x).count();
    let (zn0, cl0) = (count(&species, zn), count(&species, cl));
    let temperature = 700.0;
    let mut sim = Simulation::new(
        g.clone(),
        Arc::clone(&model),
        species,
        Program::constant(temperature, 0.0).unwrap(),
        rng::stream(SEEDS[0], 3),
    )
    .unwrap();
    let empty_zn = |sim: &Simulation| -> Vec<usize> {
        (0..g.len())
            .filter(|&i| {
                g.kind(SiteId(i as u32)) == g.kind(SiteId(first_zn as u32))
                    && sim.occupancy().get(SiteId(i as u32)).is_vacancy()
            })
            .collect()
    };
    let b = 3.0 * 7.40; // the box edge along b [Å]
    let n = 20_000u64;
    let mut slot = first_zn;
    for i in 0..n {
        sim.step(f64::INFINITY).unwrap();
        let empty = empty_zn(&sim);
        assert_eq!(empty.len(), 1, "one empty Zn site after move {i}");
        let (p, q) = (
            g.position(SiteId(slot as u32)),
            g.position(SiteId(empty[0] as u32)),
        );
        let dy = (q[1] - p[1]).rem_euclid(b);
        let along_b = (dy - 7.40).abs() < 1e-6 || (dy - 2.0 * 7.40).abs() < 1e-6;
        assert!(
            along_b && (q[0] - p[0]).abs() < 1e-6 && (q[2] - p[2]).abs() < 1e-6,
            "move {i}: slot {p:?} → {q:?} is not ±b"
        );
        slot = empty[0];
        if i % 5_000 == 0 {
            assert!(sim.audit().is_clean(), "drift after {i} moves");
        }
    }
    let occ: Vec<SpeciesId> = sim.occupancy().species().collect();
    assert_eq!((count(&occ, zn), count(&occ, cl)), (zn0, cl0));
    assert_eq!(sim.rule_counts().iter().sum::<u64>(), n);
    let k = 1e13 * (-1.0 / (KB * temperature)).exp();
    let expected = n as f64 / (2.0 * k);
    let rel = (sim.time() - expected) / expected;
    eprintln!("t = {} s, expected {expected} s ({rel:+.4})", sim.time());
    assert!(
        rel.abs() < 4.0 / (n as f64).sqrt(),
        "elapsed {} s against {expected} s",
        sim.time()
    );
}
