//! Species changes, molecule events and site filters in the engine: bookkeeping without
//! drift, the X₂ loss rate of a flat surface against its analytic value, and the kind and
//! domain filters telling empty sites apart.

mod common;

use std::sync::Arc;

use common::{SEEDS, fcc_periodic, graph, potential};
use nanokmc::engine::Simulation;
use nanokmc::model::Action;
use nanokmc::program::Program;
use nanokmc::rng;
use nanokmc::sites::SiteGraph;
use nanokmc::state::SpeciesId;

/// Boltzmann constant [eV/K] (CODATA 2018), as in `nanokmc::constants`.
const KB: f64 = 8.617_333_262e-5;

/// A model with every new event type and filter: hops, X₂ loss and uptake, a thermal
/// reduction Zn → Zn0 and a beam re-oxidation Zn0 → Zn, conditions and saddle terms
/// filtered by kind and domain.
const COLLECTIVE: &str = r#"
[model]
name = "collective"
[[species]]
name = "X"
[[species]]
name = "Zn"
[[species]]
name = "Zn0"
[[site_kinds]]
name = "fcc"
allowed = ["X", "Zn", "Zn0"]
[[shells]]
name = "nn"
pairs = [{ kinds = ["fcc", "fcc"], max = "0.8 A" }]
[energy]
bonds = [
  { shell = "nn", species = ["X", "X"], value = "-0.1 eV" },
  { shell = "nn", species = ["Zn", "X"], value = "-0.15 eV" },
  { shell = "nn", species = ["Zn0", "Zn0"], value = "-0.05 eV" },
]
[[events]]
name = "hop"
type = "hop"
species = "X"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.5 eV"
[[events]]
name = "X2_loss"
type = "remove_pair"
species = "X"
with = "X"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.4 eV"
barrier_rule = "fixed"
[[events.conditions]]
shell = "nn"
species = ["Vac"]
kind = "fcc"
min = 2
[[events.saddle]]
shell = "nn"
species = "Zn"
domain = "all"
shift = "-0.02 eV"
[[events]]
name = "X2_uptake"
type = "add_pair"
species = "X"
with = "X"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.4 eV"
reference_energy = "0.2 eV"
[[events]]
name = "ZnX_loss"
type = "remove_pair"
species = "Zn"
with = "X"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "1.0 eV"
barrier_rule = "fixed"
[[events]]
name = "reduce"
type = "change"
species = "Zn"
into = "Zn0"
prefactor = "1e13 /s"
migration_energy = "0.45 eV"
reference_energy = "0.1 eV"
[[events.conditions]]
shell = "nn"
species = ["X"]
domain = ["all"]
max = 6
[[events]]
name = "oxidise"
type = "beam_change"
species = "Zn0"
into = "Zn"
cross_section = "1e13 barn"
"#;

fn collective_simulation(seed: u64) -> Simulation {
    let pot = potential(COLLECTIVE);
    let g = fcc_periodic(4, false);
    let mut r = rng::stream(seed, 3);
    let species: Vec<SpeciesId> = (0..g.len())
        .map(|_| {
            let u = rng::uniform_open01(&mut r);
            SpeciesId(if u < 0.3 {
                0
            } else if u < 0.7 {
                1
            } else if u < 0.9 {
                2
            } else {
                3
            })
        })
        .collect();
    Simulation::new(
        g,
        Arc::new(pot.model),
        species,
        Program::constant(700.0, 1e4).unwrap(),
        r,
    )
    .unwrap()
}

/// Runs `blocks` × `per_block` events of the model with every new event type and filter,
/// auditing after each block: no event slot and no neighbour count may differ from a
/// recomputation (tolerance: zero), every rule must fire, and the removal and addition
/// counters must match the molecule events.
fn audit_collective(blocks: usize, per_block: u64) {
    let mut sim = collective_simulation(SEEDS[0]);
    assert!(sim.audit().is_clean());
    for _ in 0..blocks {
        sim.run_events(per_block, f64::INFINITY).unwrap();
        let report = sim.audit();
        assert!(
            report.is_clean(),
            "drift after {} events: {report:?}",
            sim.executed()
        );
    }
    for (rule, n) in sim.model().rules.iter().zip(sim.rule_counts()) {
        assert!(*n > 0, "rule {} never fired", rule.name);
    }
    // every X₂ loss removed two X, every ZnX loss one Zn and one X.
    let counts = sim.rule_counts();
    let removed = sim.removed();
    let x = 1;
    let zn = 2;
    assert_eq!(removed[x], 2 * counts[1] + counts[3]);
    assert_eq!(removed[zn], counts[3]);
    assert_eq!(sim.added()[x], 2 * counts[2]);
}

/// N = 2·10⁵ events, audited every 2·10⁴ (see [`audit_collective`]).
#[test]
fn engine_collective_audit_has_no_drift() {
    audit_collective(10, 20_000);
}

/// N = 10⁶ events, audited every 10⁵ (see [`audit_collective`]); about 5 minutes in a release
/// build on the shared machine, so run on demand: `cargo test --release --test engine_collective -- --ignored`.
#[test]
#[ignore = "10⁶ events: run with --release -- --ignored"]
fn engine_collective_audit_has_no_drift_over_a_million_events() {
    audit_collective(10, 100_000);
}

/// The same seed gives the same trajectory, and the molecule events change two sites.
#[test]
fn engine_collective_is_deterministic() {
    let mut a = collective_simulation(SEEDS[1]);
    let mut b = collective_simulation(SEEDS[1]);
    a.run_events(20_000, f64::INFINITY).unwrap();
    b.run_events(20_000, f64::INFINITY).unwrap();
    assert_eq!(a.time().to_bits(), b.time().to_bits());
    let sa: Vec<SpeciesId> = a.occupancy().species().collect();
    let sb: Vec<SpeciesId> = b.occupancy().species().collect();
    assert_eq!(sa, sb);
}

/// A slab of `l`×`l`×`h` simple-cubic sites (spacing 1 Å, periodic in x and y): the `filled`
/// lower layers are of kind `anion` (index 0), the rest of kind `gap` (index 1).
fn slab(l: usize, h: usize, filled: usize) -> Arc<SiteGraph> {
    let id = |x: usize, y: usize, z: usize| (z * l * l + y * l + x) as u32;
    let mut positions = Vec::new();
    let mut kinds = Vec::new();
    let mut lists = Vec::new();
    for z in 0..h {
        for y in 0..l {
            for x in 0..l {
                positions.push([x as f64, y as f64, z as f64]);
                kinds.push(u16::from(z >= filled));
                let mut n = vec![
                    id((x + 1) % l, y, z),
                    id((x + l - 1) % l, y, z),
                    id(x, (y + 1) % l, z),
                    id(x, (y + l - 1) % l, z),
                ];
                if z > 0 {
                    n.push(id(x, y, z - 1));
                }
                if z + 1 < h {
                    n.push(id(x, y, z + 1));
                }
                lists.push(vec![n]);
            }
        }
    }
    graph(
        positions,
        kinds,
        &["anion", "gap"],
        &["nn"],
        &lists,
        [true, true, false],
        [l as f64, l as f64, h as f64 + 1.0],
    )
}

/// X₂ loss from a flat (001) surface: X–X bond ε = −0.3 eV, reference energy −0.3 eV (the
/// molecule's own bond), `uphill` barrier, only pairs with two empty `gap` neighbours
/// (`kind_filter`) may leave.
fn x2_potential(kind_filter: &str) -> String {
    format!(
        r#"
[model]
name = "x2"
[[species]]
name = "X"
[[site_kinds]]
name = "anion"
allowed = ["X"]
[[site_kinds]]
name = "gap"
allowed = ["X"]
[[shells]]
name = "nn"
pairs = [{{ kinds = ["anion", "anion"], max = "1.1 A" }}, {{ kinds = ["anion", "gap"], max = "1.1 A" }}, {{ kinds = ["gap", "gap"], max = "1.1 A" }}]
[energy]
bonds = [{{ shell = "nn", species = ["X", "X"], value = "-0.3 eV" }}]
[[events]]
name = "X2_loss"
type = "remove_pair"
species = "X"
with = "X"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.5 eV"
reference_energy = "-0.3 eV"
barrier_rule = "uphill"
[[events.conditions]]
shell = "nn"
species = ["Vac"]
kind = "{kind_filter}"
min = 2
"#
    )
}

fn x2_simulation(kind_filter: &str, seed: u64, l: usize) -> Simulation {
    let pot = potential(&x2_potential(kind_filter));
    let g = slab(l, 6, 3);
    let species = (0..g.len())
        .map(|s| SpeciesId(u8::from(g.kind(nanokmc::sites::SiteId(s as u32)).0 == 0)))
        .collect();
    Simulation::new(
        g,
        Arc::new(pot.model),
        species,
        Program::constant(1000.0, 0.0).unwrap(),
        rng::stream(seed, 11),
    )
    .unwrap()
}

/// The X₂ loss rate of a flat surface against its analytic value. Each top-layer X has 5
/// bonds (4 in the layer, 1 below); removing an in-layer pair breaks 9, so ΔE = 9·0.3 −
/// 0.3 = 2.4 eV and k = ν exp(−(0.5 + 2.4)/k_B T). An L×L periodic surface has 2L² such
/// pairs (each X of the layer has two in-layer neighbours "ahead"); vertical pairs see one
/// empty `gap` site, not two, and do not qualify. The total rate must equal 2L²k to 1e-12
/// relative; the mean time to the first loss over M = 400 replicas (seeded) must equal
/// 1/(2L²k) within 4 standard errors (SEM = mean/√M for an exponential).
#[test]
fn engine_x2_loss_rate_of_a_flat_surface_matches_the_analytic_rate() {
    let l = 4;
    let k = 1e13 * (-(0.5 + 9.0 * 0.3 - 0.3) / (KB * 1000.0)).exp();
    let expected = 2.0 * (l * l) as f64 * k;
    let sim = x2_simulation("gap", SEEDS[0], l);
    let total = sim.total_rate();
    assert!(
        ((total - expected) / expected).abs() < 1e-12,
        "total rate {total} vs analytic {expected}"
    );
    let m = 400;
    let mut sum = 0.0;
    for i in 0..m {
        let mut s = x2_simulation("gap", SEEDS[2] + i, l);
        s.run_events(1, f64::INFINITY).unwrap();
        assert_eq!(s.rule_counts()[0], 1);
        // two X left, from two neighbouring top-layer sites.
        let e = s.last_event().unwrap();
        assert_eq!(e.changes().len(), 2);
        sum += s.time();
    }
    let mean = sum / m as f64;
    let sem = mean / (m as f64).sqrt();
    assert!(
        (mean - 1.0 / expected).abs() < 4.0 * sem,
        "mean first-loss time {mean} vs 1/R = {} (SEM {sem})",
        1.0 / expected
    );
}

/// The kind filter tells the empty sites outside the crystal (`gap`) from vacancies inside
/// it (`anion`): counting only empty `anion` neighbours, no pair of a perfect slab may leave.
#[test]
fn engine_kind_filter_separates_vacancies_from_empty_space() {
    let sim = x2_simulation("anion", SEEDS[0], 4);
    assert_eq!(sim.total_rate(), 0.0);
    assert_eq!(sim.event_count(), 0);
}

/// A domain filter naming a domain the system does not have is refused when the
/// simulation is built, with the rule, the term and the known domains in the message.
#[test]
fn engine_unknown_domain_filter_is_refused() {
    let text = COLLECTIVE.replace("domain = \"all\"", "domain = \"rod\"");
    let pot = potential(&text);
    let g = fcc_periodic(2, false);
    let species = vec![SpeciesId(1); g.len()];
    let err = Simulation::new(
        g,
        Arc::new(pot.model),
        species,
        Program::constant(700.0, 0.0).unwrap(),
        rng::stream(1, 0),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("unknown domain `rod`") && err.contains("X2_loss"),
        "{err}"
    );
    assert!(matches!(
        potential(COLLECTIVE).model.rules[1].action,
        Action::RemovePair { .. }
    ));
}

/// A run of the model with every new event type, saved after 3,000 events and restored
/// (the restored model has its domain filters resolved again), continues bit for bit over
/// 5,000 more events, and its restored table audits clean.
#[test]
fn engine_collective_checkpoint_continues_bit_for_bit() {
    let mut sim = collective_simulation(SEEDS[0]);
    sim.run_events(3_000, f64::INFINITY).unwrap();
    let state = sim.save_state();
    assert!(sim.time().is_finite() && sim.executed() == 3_000);
    let mut resumed = Simulation::restore(
        Arc::new(sim.graph().clone()),
        Arc::new(potential(COLLECTIVE).model),
        sim.program().clone(),
        state.clone(),
    )
    .unwrap();
    assert!(resumed.audit().is_clean());
    assert_eq!(resumed.save_state(), state);
    sim.run_events(5_000, f64::INFINITY).unwrap();
    resumed.run_events(5_000, f64::INFINITY).unwrap();
    assert_eq!(sim.time().to_bits(), resumed.time().to_bits());
    assert_eq!(sim.save_state(), resumed.save_state());
}
