//! Cluster moves into contact (`merge_min_gain` on a `cluster_move`): which moves exist and
//! at what barrier, against a count made here from the positions alone; a dimer merging
//! with an immobile cluster; no audit drift among hops, slides and merges; bit-identical
//! restore with merges on.
//!
//! Each exact test was broken on purpose once (2026-12-07) and failed: with the gain not
//! checked (`(delta_e <= -gain)` replaced by `true`) the event counts at 0.5 eV came out 12
//! instead of 10; with the merge barrier lowered by the contact energy (the rule's law
//! applied to merges) the barrier of the two-bond merges came out 0.0347 eV (E_m − 0.3 eV)
//! instead of 0.3347 eV.

mod common;

use std::sync::Arc;

use common::{SEEDS, fcc_periodic, min_image, potential, site_at};
use nanokmc::engine::Simulation;
use nanokmc::program::Program;
use nanokmc::rng;
use nanokmc::sites::SiteId;
use nanokmc::state::SpeciesId;

/// Au on a periodic fcc lattice (lattice constant 1 Å, nearest neighbours 0.707 Å): Au–Au
/// bond −0.3 eV; a slide of clusters of 2 atoms (`E_m(2) = 0.3 eV + 0.05 eV · ln 2`,
/// Kang–Weinberg), with `merge` the extra keys of the rule (`merge_min_gain`); with `hop`,
/// single-atom hops as well.
fn model(merge: &str, hop: bool, max_size: u32) -> String {
    let hop = if hop {
        r#"
[[events]]
name = "hop"
type = "hop"
species = "Au"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.4 eV"
"#
    } else {
        ""
    };
    format!(
        r#"
[model]
name = "merges"
[[species]]
name = "Au"
[[site_kinds]]
name = "fcc"
allowed = ["Au"]
[[shells]]
name = "nn"
pairs = [{{ kinds = ["fcc", "fcc"], max = "0.8 A" }}]
[energy]
bonds = [{{ shell = "nn", species = ["Au", "Au"], value = "-0.3 eV" }}]
[[events]]
name = "slide"
type = "cluster_move"
species = "Au"
shell = "nn"
max_size = {max_size}
prefactor = "1e13 /s"
migration_energy = "0.3 eV"
size_energy = "0.05 eV"
barrier_rule = "kang_weinberg"
{merge}
{hop}"#
    )
}

/// An immobile tetrahedron of Au (4 atoms > `max_size` 2) and a dimer two nearest-neighbour
/// steps from it.
const WALL: [[f64; 3]; 4] = [
    [2.0, 2.0, 2.0],
    [2.5, 2.5, 2.0],
    [2.5, 2.0, 2.5],
    [2.0, 2.5, 2.5],
];
const DIMER: [[f64; 3]; 2] = [[1.0, 2.0, 2.0], [0.5, 1.5, 2.0]];

/// The 12 nearest-neighbour vectors of fcc (length 1/√2 Å).
fn nn_vectors() -> Vec<[f64; 3]> {
    let mut v = Vec::new();
    for a in [-0.5, 0.0, 0.5] {
        for b in [-0.5, 0.0, 0.5] {
            for c in [-0.5, 0.0, 0.5] {
                if (a * a + b * b + c * c - 0.5f64).abs() < 1e-9 {
                    v.push([a, b, c]);
                }
            }
        }
    }
    v
}

/// Per move vector of the dimer, the number of Au–Au bonds its atoms make with the wall
/// after the move (`None`: a destination is a wall site), counted from positions.
fn contacts_per_move() -> Vec<Option<usize>> {
    let edge = 4.0;
    let close = |a: [f64; 3], b: [f64; 3]| {
        let d = min_image(a, b, edge);
        (d.iter().map(|x| x * x).sum::<f64>() - 0.5).abs() < 1e-9
    };
    let same = |a: [f64; 3], b: [f64; 3]| {
        min_image(a, b, edge)
            .iter()
            .map(|x| x * x)
            .sum::<f64>()
            .sqrt()
            < 1e-9
    };
    nn_vectors()
        .into_iter()
        .map(|v| {
            let dest: Vec<[f64; 3]> = DIMER
                .iter()
                .map(|p| [p[0] + v[0], p[1] + v[1], p[2] + v[2]])
                .collect();
            if dest.iter().any(|&q| WALL.iter().any(|&w| same(q, w))) {
                return None;
            }
            Some(
                dest.iter()
                    .map(|&q| WALL.iter().filter(|&&w| close(q, w)).count())
                    .sum(),
            )
        })
        .collect()
}

/// The wall and the dimer on a 4×4×4-cell box, at 600 K.
fn wall_and_dimer(merge: &str, hop: bool, seed: u64) -> Simulation {
    let pot = potential(&model(merge, hop, 2));
    let g = fcc_periodic(4, false);
    let mut species = vec![SpeciesId(0); g.len()];
    for p in WALL.iter().chain(DIMER.iter()) {
        species[site_at(&g, *p) as usize] = SpeciesId(1);
    }
    Simulation::new(
        g,
        Arc::new(pot.model),
        species,
        Program::constant(600.0, 0.0).unwrap(),
        rng::stream(seed, 0),
    )
    .unwrap()
}

/// The slide events of `sim` now, as (barrier [eV], count).
fn slide_events(sim: &Simulation) -> Vec<(f64, usize)> {
    let slide = sim.model().find_rule("slide").unwrap() as u32;
    sim.class_summary()
        .into_iter()
        .filter(|&(rule, _, _)| rule == slide)
        .map(|(_, barrier, n)| (barrier, n))
        .collect()
}

/// Which moves of the dimer exist: without `merge_min_gain` only those that stay apart from
/// the wall; with it, also those into contact that gain at least the threshold (one bond =
/// 0.3 eV, two = 0.6 eV), and every one at `E_m(2)`, the barrier of the size law, not
/// lowered by the contact energy (Kang–Weinberg would give `E_m + ΔE/2`). Exact counts.
#[test]
fn merges_exist_only_above_the_gain_and_at_the_size_law_barrier() {
    let contacts = contacts_per_move();
    let alone = contacts.iter().filter(|c| **c == Some(0)).count();
    let one_bond = contacts.iter().filter(|c| **c == Some(1)).count();
    let more = contacts
        .iter()
        .filter(|c| matches!(c, Some(n) if *n >= 2))
        .count();
    eprintln!("moves: {alone} alone, {one_bond} with one bond, {more} with two or more");
    assert!(
        alone > 0 && one_bond > 0 && more > 0,
        "the geometry must test all three cases"
    );
    let e_m = 0.3 + 0.05 * 2f64.ln();
    for (merge, expected) in [
        ("", alone),
        ("merge_min_gain = \"0.5 eV\"", alone + more),
        ("merge_min_gain = \"0.2 eV\"", alone + one_bond + more),
        ("merge_min_gain = \"5 eV\"", alone),
    ] {
        let sim = wall_and_dimer(merge, false, SEEDS[0]);
        let events = slide_events(&sim);
        eprintln!("{merge:?}: {events:?}");
        let total: usize = events.iter().map(|e| e.1).sum();
        assert_eq!(total, expected, "{merge:?}: slide events {events:?}");
        for (barrier, _) in events {
            assert!(
                (barrier - e_m).abs() < 1e-12,
                "{merge:?}: barrier {barrier}, expected E_m(2) = {e_m}"
            );
        }
        assert!(sim.audit().is_clean());
    }
}

/// With merges on, the dimer reaches the wall and joins it (one component of 6 atoms, no
/// small cluster left, no event left: the model has no hops); without, it never does in the
/// same number of events (N = 5000, the first test of engine_cluster.rs covers the rest).
#[test]
fn a_dimer_merges_with_an_immobile_cluster_and_stays() {
    let mut sim = wall_and_dimer("merge_min_gain = \"0.5 eV\"", false, SEEDS[1]);
    sim.run_events(5000, f64::INFINITY).unwrap();
    assert!(sim.executed() < 5000, "the dimer never merged");
    assert_eq!(sim.small_cluster_counts(), vec![(0, 0)]);
    assert_eq!(sim.event_count(), 0);
    assert!(sim.audit().is_clean());

    let mut sim = wall_and_dimer("", false, SEEDS[1]);
    sim.run_events(5000, f64::INFINITY).unwrap();
    assert_eq!(sim.executed(), 5000);
    assert_eq!(sim.small_cluster_counts(), vec![(0, 1)]);
}

/// Au atoms at 8 % filling of a 4×4×4-cell box that hop and slide (clusters of up to 8
/// atoms, Au–Au −0.03 eV) with merges at ≥ `gain`, 700 K.
fn merging_mixture(gain: &str, seed: u64) -> Simulation {
    let text = model(&format!("merge_min_gain = \"{gain}\""), true, 8)
        .replace("-0.3 eV", "-0.03 eV")
        .replace(
            "migration_energy = \"0.3 eV\"",
            "migration_energy = \"0.2 eV\"",
        );
    let pot = potential(&text);
    let g = fcc_periodic(4, false);
    let mut r = rng::stream(seed, 9);
    let species: Vec<SpeciesId> = (0..g.len())
        .map(|_| SpeciesId(u8::from(rng::uniform_open01(&mut r) < 0.08)))
        .collect();
    Simulation::new(
        g,
        Arc::new(pot.model),
        species,
        Program::constant(700.0, 0.0).unwrap(),
        r,
    )
    .unwrap()
}

/// The number of connected components of the Au atoms of `sim` (nearest neighbours).
fn components(sim: &Simulation) -> usize {
    let g = sim.graph();
    let au: Vec<bool> = sim.occupancy().species().map(|s| s.0 == 1).collect();
    let mut seen = vec![false; au.len()];
    let mut n = 0;
    for start in 0..au.len() {
        if !au[start] || seen[start] {
            continue;
        }
        n += 1;
        seen[start] = true;
        let mut stack = vec![start];
        while let Some(s) = stack.pop() {
            for k in g.neighbors(SiteId(s as u32), nanokmc::sites::ShellId(0)) {
                if au[k.index()] && !seen[k.index()] {
                    seen[k.index()] = true;
                    stack.push(k.index());
                }
            }
        }
    }
    n
}

/// Merges change which clusters exist beyond the moved one, so the cluster refresh must see
/// them: the mixture of [`merging_mixture`] with a gain of 0.025 eV (every contact of one
/// bond or more merges) and 0.1 eV (four bonds or more). N = 10⁵ events audited every 10⁴
/// (tolerance: zero drift), then 10⁴ events stepped one by one, counting the slides that
/// joined two components (merges; at least one must occur, or the test checks nothing).
#[test]
fn merges_leave_no_audit_drift() {
    for (gain, seed) in [("0.025 eV", SEEDS[0]), ("0.1 eV", SEEDS[2])] {
        let mut sim = merging_mixture(gain, seed);
        assert!(sim.audit().is_clean());
        let atoms = sim.occupancy().species().filter(|s| s.0 == 1).count();
        for _ in 0..10 {
            sim.run_events(10_000, f64::INFINITY).unwrap();
            let report = sim.audit();
            assert!(
                report.is_clean(),
                "gain {gain}: drift after {} events: {report:?}",
                sim.executed()
            );
        }
        assert_eq!(
            sim.occupancy().species().filter(|s| s.0 == 1).count(),
            atoms
        );
        for (rule, n) in sim.model().rules.iter().zip(sim.rule_counts()) {
            eprintln!("gain {gain}: {}: {n}", rule.name);
            assert!(*n > 1000, "rule {} fired only {n} times", rule.name);
        }
        let slide = sim.model().find_rule("slide").unwrap() as u32;
        let mut merges = 0;
        let mut before = components(&sim);
        for _ in 0..10_000 {
            sim.step(f64::INFINITY).unwrap();
            let now = components(&sim);
            if sim.last_event().is_some_and(|e| e.rule == slide) && now < before {
                merges += 1;
            }
            before = now;
        }
        eprintln!("gain {gain}: {merges} merges in 10^4 events");
        assert!(merges > 0, "gain {gain}: no merge happened");
        assert!(sim.audit().is_clean());
    }
}

/// A state saved mid-run and restored continues bit for bit with merges on (time and every
/// site after 2·10⁴ more events).
#[test]
fn merges_restore_bit_identical() {
    let mut a = merging_mixture("0.025 eV", SEEDS[1]);
    a.run_events(20_000, f64::INFINITY).unwrap();
    let state = a.save_state();
    let graph = Arc::new(a.graph().clone());
    let model = Arc::new(a.model().clone());
    let program = a.program().clone();
    let mut b = Simulation::restore(graph, model, program, state).unwrap();
    a.run_events(20_000, f64::INFINITY).unwrap();
    b.run_events(20_000, f64::INFINITY).unwrap();
    assert_eq!(a.time().to_bits(), b.time().to_bits());
    let sa: Vec<SpeciesId> = a.occupancy().species().collect();
    let sb: Vec<SpeciesId> = b.occupancy().species().collect();
    assert_eq!(sa, sb);
}
