//! Collective cluster moves (`type = "cluster_move"`) in the engine: the diffusion
//! coefficient of a dimer and a trimer against the analytic rate law, Boltzmann occupation
//! in a closed box (detailed balance of cluster moves together with single-atom hops),
//! `max_size` and `min_size` respected, no audit drift, bit-identical checkpoints.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{SEEDS, fcc_periodic, mean_sem, min_image, potential, site_at};
use nanokmc::engine::Simulation;
use nanokmc::program::Program;
use nanokmc::rng;
use nanokmc::sites::{SiteGraph, SiteId};
use nanokmc::state::SpeciesId;

/// Boltzmann constant [eV/K] (CODATA 2018), as in `nanokmc::constants`.
const KB: f64 = 8.617_333_262e-5;

/// Au clusters on a periodic fcc lattice (lattice constant 1 Å): cluster moves only, with
/// `E_m(n) = 0.3 eV + 0.05 eV · ln n` (`size_power = 0`), `max_size` as given.
fn cluster_only(max_size: u32, size_energy: &str) -> String {
    format!(
        r#"
[model]
name = "clusters"
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
size_energy = "{size_energy}"
size_power = 0.0
"#
    )
}

/// The species of `g` with Au (species 1) on `sites`.
fn with_au(g: &SiteGraph, sites: &[u32]) -> Vec<SpeciesId> {
    let mut s = vec![SpeciesId(0); g.len()];
    for &i in sites {
        s[i as usize] = SpeciesId(1);
    }
    s
}

/// The centre of the Au atoms of `sim`, unwrapped around the first one (edge `edge`).
fn centre(sim: &Simulation, edge: f64) -> [f64; 3] {
    let g = sim.graph();
    let atoms: Vec<[f64; 3]> = sim
        .occupancy()
        .species()
        .enumerate()
        .filter(|(_, s)| s.0 == 1)
        .map(|(i, _)| g.position(SiteId(i as u32)))
        .collect();
    let first = atoms[0];
    let mut c = [0.0; 3];
    for p in &atoms {
        let d = min_image(first, *p, edge);
        for a in 0..3 {
            c[a] += first[a] + d[a];
        }
    }
    c.map(|x| x / atoms.len() as f64)
}

/// The squared displacement of the centre of the Au cluster after `t_end` seconds, over
/// `replicas` replicas (centre followed event by event, unwrapped by minimum image).
fn squared_displacements(
    text: &str,
    sites: &[[f64; 3]],
    temperature: f64,
    t_end: f64,
    replicas: u64,
    seed: u64,
) -> Vec<f64> {
    let pot = potential(text);
    let model = Arc::new(pot.model);
    let g = fcc_periodic(4, false);
    let edge = 4.0;
    let au: Vec<u32> = sites.iter().map(|&p| site_at(&g, p)).collect();
    (0..replicas)
        .map(|r| {
            let mut sim = Simulation::new(
                g.clone(),
                model.clone(),
                with_au(&g, &au),
                Program::constant(temperature, 0.0).unwrap(),
                rng::stream(seed, r),
            )
            .unwrap();
            let mut at = centre(&sim, edge);
            let mut total = [0.0; 3];
            while sim.time() < t_end {
                sim.step(t_end).unwrap();
                let now = centre(&sim, edge);
                let d = min_image(at, now, edge);
                for a in 0..3 {
                    total[a] += d[a];
                }
                at = now;
            }
            total.iter().map(|x| x * x).sum()
        })
        .collect()
}

/// The rate of one move of an `n`-atom cluster: `ν exp(−(E₀ + E₁ ln n)/k_B T)` [s⁻¹].
fn move_rate(n: f64, e1: f64, temperature: f64) -> f64 {
    1e13 * (-(0.3 + e1 * n.ln()) / (KB * temperature)).exp()
}

/// A dimer and a compact trimer (a triangle of nearest neighbours) diffuse with
/// `D = z k(n) d² / 6` (z = 12 vectors of length d = 1/√2 Å, no move blocked, ΔE = 0), i.e.
/// `⟨R²(t)⟩ = 6 D t = 12 k(n) d² t`, with `k(n)` the size law at 600 K (`E₁ = 0.05 eV`,
/// so `D₃/D₂ = (3/2)^(−E₁/k_BT) = 0.676`). N = 400 replicas per size, each run to
/// about 150 expected moves. Tolerance: the mean within 4 SEM of the analytic value
/// (SEM ≈ 5 %), and the SEM below 8 % of it.
#[test]
fn dimer_and_trimer_diffuse_at_the_size_law_rate() {
    let temperature = 600.0;
    let e1 = 0.05;
    let text = cluster_only(10, "0.05 eV");
    for (n, sites) in [
        (2.0, vec![[0.0, 0.0, 0.0], [0.5, 0.5, 0.0]]),
        (3.0, vec![[0.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5]]),
    ] {
        let k = move_rate(n, e1, temperature);
        let t_end = 150.0 / (12.0 * k);
        let r2 = squared_displacements(&text, &sites, temperature, t_end, 400, SEEDS[0]);
        let (mean, sem) = mean_sem(&r2);
        let expected = 12.0 * k * 0.5 * t_end;
        eprintln!("n = {n}: <R²> = {mean:.4} ± {sem:.4} Å², expected {expected:.4}");
        assert!(sem < 0.08 * expected, "too few samples: SEM {sem}");
        assert!(
            (mean - expected).abs() < 4.0 * sem,
            "n = {n}: <R²> = {mean} ± {sem}, expected {expected} (D = {} Å²/s)",
            expected / (6.0 * t_end)
        );
    }
}

/// A trimer with `max_size = 2` never moves (a dimer in the same model does), and a single
/// atom never moves by a cluster move (`min_size` is 2). N = 2000 events of the dimer model.
#[test]
fn clusters_above_max_size_and_monomers_do_not_move() {
    let pot = potential(&cluster_only(2, "0.05 eV"));
    let model = Arc::new(pot.model);
    let g = fcc_periodic(4, false);
    let trimer = [[0.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5]].map(|p| site_at(&g, p));
    let dimer = [[2.0, 2.0, 2.0], [2.5, 2.5, 2.0]].map(|p| site_at(&g, p));
    let monomer = site_at(&g, [1.0, 3.0, 1.0]);
    let mut sites = trimer.to_vec();
    sites.extend(dimer);
    sites.push(monomer);
    let mut sim = Simulation::new(
        g.clone(),
        model,
        with_au(&g, &sites),
        Program::constant(600.0, 0.0).unwrap(),
        rng::stream(SEEDS[1], 0),
    )
    .unwrap();
    sim.run_events(2000, f64::INFINITY).unwrap();
    assert_eq!(sim.executed(), 2000);
    for s in trimer {
        assert_eq!(sim.occupancy().get(SiteId(s)).0, 1, "the trimer moved");
    }
    // the dimer moved and never merged with the monomer or the trimer: 6 atoms, one
    // dimer still tracked as a small cluster.
    let au: usize = sim.occupancy().species().filter(|s| s.0 == 1).count();
    assert_eq!(au, 6);
    assert_eq!(sim.small_cluster_counts(), vec![(0, 1)]);
    assert!(sim.audit().is_clean());
}

/// A closed box (periodic fcc, 2×2×2 cells, 32 sites) with one immobile P atom and two Au
/// atoms that hop (E_m = 0.45 eV) and slide as a dimer (E_m = 0.25 eV + 0.02 eV ln 2):
/// Au–Au −0.1 eV, Au–P −0.15 eV, 500 K. The time-weighted occupation of the six classes
/// (Au–Au bonded or not) × (0, 1, 2 Au–P bonds) must be Boltzmann over the 465
/// configurations. N = 3·10⁵ events in 30 batches; tolerance per class: 4 batch SEM +
/// 0.003 absolute.
#[test]
fn cluster_moves_keep_boltzmann_occupation_in_a_closed_box() {
    let text = r#"
[model]
name = "closed"
[[species]]
name = "Au"
[[species]]
name = "P"
[[site_kinds]]
name = "fcc"
allowed = ["Au", "P"]
[[shells]]
name = "nn"
pairs = [{ kinds = ["fcc", "fcc"], max = "0.8 A" }]
[energy]
bonds = [
  { shell = "nn", species = ["Au", "Au"], value = "-0.1 eV" },
  { shell = "nn", species = ["Au", "P"], value = "-0.15 eV" },
]
[[events]]
name = "hop"
type = "hop"
species = "Au"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.45 eV"
[[events]]
name = "slide"
type = "cluster_move"
species = "Au"
shell = "nn"
max_size = 2
prefactor = "1e13 /s"
migration_energy = "0.25 eV"
size_energy = "0.02 eV"
"#;
    let temperature = 500.0;
    let beta = 1.0 / (KB * temperature);
    let pot = potential(text);
    let g = fcc_periodic(2, false);
    let n = g.len();
    let adjacent = |a: usize, b: usize| {
        g.neighbors(SiteId(a as u32), nanokmc::sites::ShellId(0))
            .any(|k| k.index() == b)
    };
    let p_site = 0usize;
    let class_of = |a: usize, b: usize| -> usize {
        let bonded = usize::from(adjacent(a, b));
        let to_p = usize::from(adjacent(a, p_site)) + usize::from(adjacent(b, p_site));
        bonded * 3 + to_p
    };
    let energy = |c: usize| -0.1 * (c / 3) as f64 - 0.15 * (c % 3) as f64;
    let mut weight = [0.0f64; 6];
    for a in 1..n {
        for b in a + 1..n {
            let c = class_of(a, b);
            weight[c] += (-beta * energy(c)).exp();
        }
    }
    let z: f64 = weight.iter().sum();
    let expected: Vec<f64> = weight.iter().map(|w| w / z).collect();

    let mut species = vec![SpeciesId(0); n];
    species[p_site] = SpeciesId(2);
    species[5] = SpeciesId(1);
    species[20] = SpeciesId(1);
    let mut sim = Simulation::new(
        g.clone(),
        Arc::new(pot.model),
        species,
        Program::constant(temperature, 0.0).unwrap(),
        rng::stream(SEEDS[2], 0),
    )
    .unwrap();
    sim.run_events(10_000, f64::INFINITY).unwrap();
    let batches = 30;
    let per_batch = 10_000;
    let mut fractions = vec![[0.0f64; 6]; batches];
    let au_sites = |sim: &Simulation| -> (usize, usize) {
        let v: Vec<usize> = sim
            .occupancy()
            .species()
            .enumerate()
            .filter(|(_, s)| s.0 == 1)
            .map(|(i, _)| i)
            .collect();
        (v[0], v[1])
    };
    for batch in fractions.iter_mut() {
        let start = sim.time();
        let mut state = au_sites(&sim);
        for _ in 0..per_batch {
            let before = sim.time();
            sim.step(f64::INFINITY).unwrap();
            batch[class_of(state.0, state.1)] += sim.time() - before;
            state = au_sites(&sim);
        }
        let span = sim.time() - start;
        for x in batch.iter_mut() {
            *x /= span;
        }
    }
    let slides = sim.rule_counts()[sim.model().find_rule("slide").unwrap()];
    let hops = sim.rule_counts()[sim.model().find_rule("hop").unwrap()];
    eprintln!("slides {slides}, hops {hops}");
    assert!(slides > 50_000, "the dimer must slide often: {slides}");
    for c in 0..6 {
        let xs: Vec<f64> = fractions.iter().map(|f| f[c]).collect();
        let (mean, sem) = mean_sem(&xs);
        eprintln!(
            "class {c}: {mean:.5} ± {sem:.5}, Boltzmann {:.5}",
            expected[c]
        );
        assert!(
            (mean - expected[c]).abs() < 4.0 * sem + 0.003,
            "class {c} (bonded {}, Au–P bonds {}): {mean} ± {sem}, Boltzmann {}",
            c / 3,
            c % 3,
            expected[c]
        );
    }
}

/// Au clusters of up to 8 atoms among hopping atoms with a coordination energy (refresh
/// range 2, so cluster moves read 3 hops), in a 4×4×4-cell periodic box at 8 % filling (below the fcc site-percolation threshold 0.198):
/// clusters merge, split and move. N = 10⁵ events audited every 10⁴ (tolerance: zero
/// drift); both rules fire; the centre of mass of all atoms is conserved modulo moves.
fn audited_mixture(seed: u64, coordination: bool) -> Simulation {
    let mut text = String::from(
        r#"
[model]
name = "mixture"
[[species]]
name = "Au"
[[site_kinds]]
name = "fcc"
allowed = ["Au"]
[[shells]]
name = "nn"
pairs = [{ kinds = ["fcc", "fcc"], max = "0.8 A" }]
[energy]
bonds = [{ shell = "nn", species = ["Au", "Au"], value = "-0.03 eV" }]
# coordination = [{ species = "Au", shell = "nn", counted = ["Au"], table = ["0 eV", "0 eV", "-0.01 eV", "-0.02 eV", "-0.03 eV", "-0.03 eV", "-0.03 eV", "-0.03 eV", "-0.03 eV", "-0.03 eV", "-0.03 eV", "-0.03 eV", "-0.03 eV"] }]
[[events]]
name = "hop"
type = "hop"
species = "Au"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.4 eV"
[[events]]
name = "slide"
type = "cluster_move"
species = "Au"
shell = "nn"
min_size = 2
max_size = 8
prefactor = "1e13 /s"
migration_energy = "0.2 eV"
size_energy = "0.02 eV"
size_power = 0.5
"#,
    );
    if coordination {
        text = text.replace("# coordination", "coordination");
    }
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

/// See [`audited_mixture`] (with the coordination term).
#[test]
fn cluster_moves_leave_no_audit_drift() {
    audit_mixture(true);
}

/// See [`audited_mixture`], with pair energies only (refresh range 1, so cluster moves read
/// 2 hops: the smallest reach, where a refresh one hop short shows).
#[test]
fn cluster_moves_leave_no_audit_drift_with_pair_energies() {
    audit_mixture(false);
}

/// Runs the audited mixture for 10⁵ events (see [`audited_mixture`]).
fn audit_mixture(coordination: bool) {
    let mut sim = audited_mixture(SEEDS[0], coordination);
    assert!(sim.audit().is_clean());
    let atoms = sim.occupancy().species().filter(|s| s.0 == 1).count();
    for _ in 0..10 {
        sim.run_events(10_000, f64::INFINITY).unwrap();
        let report = sim.audit();
        assert!(
            report.is_clean(),
            "drift after {} events: {report:?}",
            sim.executed()
        );
    }
    assert_eq!(
        sim.occupancy().species().filter(|s| s.0 == 1).count(),
        atoms
    );
    for (rule, n) in sim.model().rules.iter().zip(sim.rule_counts()) {
        eprintln!("{}: {n}", rule.name);
        assert!(*n > 1000, "rule {} fired only {n} times", rule.name);
    }
}

/// N = 10⁶ events audited every 10⁵ (see [`audited_mixture`]); run on demand:
/// `cargo test --release --test engine_cluster -- --ignored`.
#[test]
#[ignore = "10⁶ events: run with --release -- --ignored"]
fn cluster_moves_leave_no_audit_drift_over_a_million_events() {
    let mut sim = audited_mixture(SEEDS[1], true);
    for _ in 0..10 {
        sim.run_events(100_000, f64::INFINITY).unwrap();
        let report = sim.audit();
        assert!(
            report.is_clean(),
            "drift after {} events: {report:?}",
            sim.executed()
        );
    }
}

/// A state saved mid-run and restored continues bit for bit like the uninterrupted run
/// (time and every site after 2·10⁴ more events), with cluster moves on.
#[test]
fn cluster_moves_restore_bit_identical() {
    let mut a = audited_mixture(SEEDS[2], true);
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
    let counts: HashMap<usize, u64> = a.rule_counts().iter().copied().enumerate().collect();
    assert!(counts[&1] > 0);
}

/// The species of every frame and the species counts of a trajectory, as read from the
/// file (H5MD datasets).
fn frames(path: &std::path::Path) -> (Vec<u8>, Vec<u64>, Vec<u64>) {
    let file = hdf5::File::open(path).unwrap();
    let species = file
        .dataset("particles/trajectory/species/value")
        .unwrap()
        .read_raw::<u8>()
        .unwrap();
    let times = file
        .dataset("particles/trajectory/species/time")
        .unwrap()
        .read_raw::<f64>()
        .unwrap()
        .into_iter()
        .map(f64::to_bits)
        .collect();
    let counts = file
        .dataset("observables/species_counts/value")
        .unwrap()
        .read_raw::<u64>()
        .unwrap();
    (species, times, counts)
}

/// `nanokmc run` of a scenario with cluster moves (tests/data/scenarios/good/cluster_fcc.toml,
/// 3 replicas of 2·10⁴ events) gives bit-identical trajectories with one thread and with
/// three; the species counts written per frame equal a recount of the frame's species
/// (cluster moves are counted like every other event); clusters did slide.
#[test]
fn cluster_runs_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = "tests/data/scenarios/good/cluster_fcc.toml";
    let run = |name: &str, threads: &str| {
        let out = dir.path().join(name);
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_nanokmc"))
            .args([
                "run",
                scenario,
                "--progress",
                "quiet",
                "--threads",
                threads,
                "--out",
            ])
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success());
        out
    };
    let one = run("one.h5md", "1");
    let three = run("three.h5md", "3");
    for k in 0..3 {
        let a = frames(&dir.path().join(format!("one.r{k}.h5md")));
        let b = frames(&dir.path().join(format!("three.r{k}.h5md")));
        assert_eq!(a, b, "replica {k}");
        // counts per frame (one domain, species Vac and Au) against the frame's species.
        let n_sites = 864;
        let n_frames = a.0.len() / n_sites;
        assert!(n_frames >= 5);
        for f in 0..n_frames {
            let au = a.0[f * n_sites..(f + 1) * n_sites]
                .iter()
                .filter(|&&s| s == 1)
                .count() as u64;
            assert_eq!(a.2[f * 2 + 1], au, "frame {f} of replica {k}");
        }
    }
    let _ = (one, three);
    let file = hdf5::File::open(dir.path().join("one.r0.h5md")).unwrap();
    let by_rule = file
        .dataset("observables/events_by_rule/value")
        .unwrap()
        .read_raw::<u64>()
        .unwrap();
    let last = &by_rule[by_rule.len() - 2..];
    assert!(last[1] > 100, "clusters must slide: {last:?}");
}

/// Cost per event against cluster size (BENCHMARKS.md, "Cluster moves"): one compact Au
/// cluster of `n` atoms (the `n` sites nearest a point) in a periodic fcc box of 12³ cells
/// (6912 sites), Au–Au −0.3 eV, hops (E_m 0.5 eV) and cluster moves (E_m 0.45 eV) at 700 K; once with
/// `max_size = n` (the cluster slides) and once with `max_size = n − 1` (it is too large:
/// every refresh stops its flood fill after n atoms), and once without the cluster rule.
/// Prints wall time per event. Not a test of correctness; run on demand:
/// `cargo test --profile test --test engine_cluster cost -- --ignored --nocapture`.
#[test]
#[ignore = "timing: run on demand with --ignored --nocapture"]
fn cluster_move_cost_per_event() {
    let g = fcc_periodic(12, false);
    let centre = [6.0, 6.0, 6.0];
    let mut order: Vec<(f64, u32)> = (0..g.len())
        .map(|i| {
            let p = g.position(SiteId(i as u32));
            let d = min_image(centre, p, 12.0);
            (d.iter().map(|x| x * x).sum::<f64>(), i as u32)
        })
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let base = |rule: &str| {
        format!(
            r#"
[model]
name = "cost"
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
name = "hop"
type = "hop"
species = "Au"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.5 eV"
{rule}
"#
        )
    };
    let rule = |max: usize| {
        format!(
            r#"[[events]]
name = "slide"
type = "cluster_move"
species = "Au"
shell = "nn"
max_size = {max}
prefactor = "1e13 /s"
migration_energy = "0.45 eV"
size_energy = "0.01 eV""#
        )
    };
    eprintln!("| n | rule | events | slides | µs/event |");
    eprintln!("|---|---|---|---|---|");
    for n in cost_sizes() {
        let sites: Vec<u32> = order[..n].iter().map(|&(_, i)| i).collect();
        for (label, text) in [
            ("none", base("")),
            ("max_size = n", base(&rule(n))),
            ("max_size = n − 1", base(&rule(n.max(3) - 1))),
        ] {
            let pot = potential(&text);
            let mut sim = Simulation::new(
                g.clone(),
                Arc::new(pot.model),
                with_au(&g, &sites),
                Program::constant(700.0, 0.0).unwrap(),
                rng::stream(SEEDS[0], 0),
            )
            .unwrap();
            sim.run_events(2_000, f64::INFINITY).unwrap();
            let events = if n <= 32 { 20_000u64 } else { 2_000 };
            let start = std::time::Instant::now();
            sim.run_events(events, f64::INFINITY).unwrap();
            let us = start.elapsed().as_secs_f64() * 1e6 / events as f64;
            let slides = sim
                .model()
                .find_rule("slide")
                .map_or(0, |r| sim.rule_counts()[r]);
            eprintln!("| {n} | {label} | {events} | {slides} | {us:.2} |");
        }
    }
}

/// The cluster sizes of [`cluster_move_cost_per_event`]: `NANOKMC_COST_SIZES` (comma
/// separated) or 2, 8, 32, 128, 512.
fn cost_sizes() -> Vec<usize> {
    std::env::var("NANOKMC_COST_SIZES").map_or_else(
        |_| vec![2, 8, 32, 128, 512],
        |v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
    )
}
