//! Cluster moves by listed lattice vectors (`vectors`, `vector_phase`;
//! `src/model/vectors.rs`): a cluster moves only by the listed vectors, turned with the
//! cell of its domain; its diffusion follows the rate law along those vectors; hops and
//! vector moves together leave no audit drift (the refresh reaches a destination several
//! hops away); a model whose vectors are not resolved against a geometry moves nothing.

mod common;

use std::sync::Arc;

use common::{SEEDS, fcc_periodic, mean_sem, min_image, potential};
use nanokmc::engine::Simulation;
use nanokmc::model::Model;
use nanokmc::program::Program;
use nanokmc::rng;
use nanokmc::sites::{SiteGraph, SiteId};
use nanokmc::state::SpeciesId;

/// Boltzmann constant [eV/K] (CODATA 2018), as in `nanokmc::constants`.
const KB: f64 = 8.617_333_262e-5;

/// Au on a periodic fcc lattice (a = 1 Å, phase `cube`): a cluster move by the lattice
/// vectors `vectors` of `cube` (`E_m = 0.3 eV`, no size term), Au–Au −0.3 eV, and `extra`
/// (further events).
fn model_text(vectors: &str, extra: &str) -> String {
    format!(
        r#"
[model]
name = "vectors"
[[species]]
name = "Au"
[[phases]]
name = "cube"
structure = "fcc"
a = "1 A"
roles = {{ site = "fcc" }}
[[site_kinds]]
name = "fcc"
allowed = ["Au"]
[[shells]]
name = "nn"
pairs = [{{ kinds = ["fcc", "fcc"], max = "0.8 A" }}]
[energy]
bonds = [{{ shell = "nn", species = ["Au", "Au"], value = "-0.3 eV" }}]
[[events]]
name = "glide"
type = "cluster_move"
species = "Au"
shell = "nn"
vectors = {vectors}
vector_phase = "cube"
max_size = 8
prefactor = "1e13 /s"
migration_energy = "0.3 eV"
{extra}
"#
    )
}

/// The cubic cell of `cube` (rows), turned by `angle` about z.
fn turned_cube(angle: f64) -> [[f64; 3]; 3] {
    let (s, c) = angle.sin_cos();
    [[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]]
}

/// The model of `text` resolved against `g` (one domain, cell `cell`).
fn resolved(text: &str, g: &SiteGraph, cell: [[f64; 3]; 3]) -> Arc<Model> {
    let mut model = potential(text).model;
    model.resolve_move_vectors(g, &[cell]).unwrap();
    Arc::new(model)
}

/// Au on the sites at `points` [Å].
fn with_au(g: &SiteGraph, points: &[[f64; 3]]) -> Vec<SpeciesId> {
    let mut s = vec![SpeciesId(0); g.len()];
    for p in points {
        let i = (0..g.len())
            .find(|&i| {
                let q = g.position(SiteId(i as u32));
                (0..3).all(|a| (q[a] - p[a]).abs() < 1e-9)
            })
            .expect("a site at the position");
        s[i] = SpeciesId(1);
    }
    s
}

/// Positions of the Au atoms of `sim`, in site order.
fn atoms(sim: &Simulation) -> Vec<[f64; 3]> {
    let g = sim.graph();
    sim.occupancy()
        .species()
        .enumerate()
        .filter(|(_, s)| s.0 == 1)
        .map(|(i, _)| g.position(SiteId(i as u32)))
        .collect()
}

/// The centre of `points`, unwrapped around the first (cubic box of edge `edge`).
fn centre(points: &[[f64; 3]], edge: f64) -> [f64; 3] {
    let first = points[0];
    let mut c = [0.0; 3];
    for p in points {
        let d = min_image(first, *p, edge);
        for a in 0..3 {
            c[a] += first[a] + d[a];
        }
    }
    c.map(|x| x / points.len() as f64)
}

/// A dimer with the vectors ±[100] of a cell turned by 90° about z moves only along the
/// lab y axis, by exactly ±1 Å per move (the turned [100]); N = 300 moves. Turned by 0°,
/// the same model moves it only along x. Tolerance 1e-9 Å.
#[test]
fn moves_follow_the_listed_vectors_turned_with_the_domain() {
    let g = fcc_periodic(4, false);
    let text = model_text("[[1, 0, 0], [-1, 0, 0]]", "");
    for (angle, axis) in [(std::f64::consts::FRAC_PI_2, 1usize), (0.0, 0)] {
        let model = resolved(&text, &g, turned_cube(angle));
        let mut sim = Simulation::new(
            g.clone(),
            model,
            with_au(&g, &[[1.0, 1.0, 1.0], [1.5, 1.5, 1.0]]),
            Program::constant(600.0, 0.0).unwrap(),
            rng::stream(SEEDS[0], 1),
        )
        .unwrap();
        let mut at = centre(&atoms(&sim), 4.0);
        for _ in 0..300 {
            sim.run_events(1, f64::INFINITY).unwrap();
            let now = centre(&atoms(&sim), 4.0);
            let d = min_image(at, now, 4.0);
            for (a, x) in d.iter().enumerate() {
                let want = if a == axis { 1.0 } else { 0.0 };
                assert!(
                    (x.abs() - want).abs() < 1e-9,
                    "angle {angle}: displacement {d:?} is not ±1 Å along axis {axis}"
                );
            }
            at = now;
        }
        assert_eq!(sim.rule_counts()[0], 300);
    }
}

/// A compact trimer (a triangle in the xy plane) gliding by ±[100] and ±[010] at 600 K has
/// `⟨Δx²⟩ = ⟨Δy²⟩ = 2 k t` (two vectors of 1 Å per axis at rate `k = ν e^(−0.3 eV/k_BT)`
/// each, ΔE = 0) and `Δz = 0`. N = 300 replicas, t = 60 expected moves per axis pair.
/// Tolerance: each mean within 4 SEM of 2 k t (SEM ≈ 8 %); z exactly 0.
#[test]
fn glide_diffusion_follows_the_rate_of_the_vectors() {
    let g = fcc_periodic(4, false);
    let text = model_text("[[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]]", "");
    let model = resolved(&text, &g, turned_cube(0.0));
    let temperature = 600.0;
    let k = 1e13 * (-0.3 / (KB * temperature)).exp();
    let t_end = 60.0 / (4.0 * k);
    let start = [[1.0, 1.0, 1.0], [1.5, 1.5, 1.0], [1.5, 1.0, 1.5]];
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for r in 0..300 {
        let mut sim = Simulation::new(
            g.clone(),
            model.clone(),
            with_au(&g, &start),
            Program::constant(temperature, 0.0).unwrap(),
            rng::stream(SEEDS[1], r),
        )
        .unwrap();
        let mut at = centre(&atoms(&sim), 4.0);
        let mut total = [0.0; 3];
        while sim.time() < t_end {
            sim.step(t_end).unwrap();
            let now = centre(&atoms(&sim), 4.0);
            let d = min_image(at, now, 4.0);
            for a in 0..3 {
                total[a] += d[a];
            }
            at = now;
        }
        assert!(total[2].abs() < 1e-9, "moved along z: {total:?}");
        xs.push(total[0] * total[0]);
        ys.push(total[1] * total[1]);
    }
    let want = 2.0 * k * t_end;
    for (name, v) in [("x", &xs), ("y", &ys)] {
        let (mean, sem) = mean_sem(v);
        eprintln!("<d{name}^2> = {mean:.3} ± {sem:.3} Å², expected {want:.3}");
        assert!(
            (mean - want).abs() < 4.0 * sem,
            "<d{name}^2> = {mean} ± {sem}, expected {want}"
        );
    }
}

/// Hops and glides by ±[200] and ±[020] (2 Å, four nearest-neighbour hops: beyond the
/// two-hop reach of the fixed refresh) among Au at 8 % filling in a periodic 4×4×4-cell
/// box at 700 K: clusters form, split and glide. N = 10⁵ events audited every 10⁴
/// (tolerance: zero drift); both rules fire more than 1000 times.
#[test]
fn vector_glides_and_hops_leave_no_audit_drift() {
    let hop = r#"
[[events]]
name = "hop"
type = "hop"
species = "Au"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.4 eV"
"#;
    let text = model_text("[[2, 0, 0], [-2, 0, 0], [0, 2, 0], [0, -2, 0]]", hop)
        .replace("-0.3 eV\" }]", "-0.03 eV\" }]")
        .replace(
            "migration_energy = \"0.3 eV\"",
            "migration_energy = \"0.2 eV\"",
        );
    let g = fcc_periodic(4, false);
    let model = resolved(&text, &g, turned_cube(0.0));
    let mut r = rng::stream(SEEDS[2], 9);
    let species: Vec<SpeciesId> = (0..g.len())
        .map(|_| SpeciesId(u8::from(rng::uniform_open01(&mut r) < 0.08)))
        .collect();
    let mut sim =
        Simulation::new(g, model, species, Program::constant(700.0, 0.0).unwrap(), r).unwrap();
    assert!(sim.audit().is_clean());
    for _ in 0..10 {
        sim.run_events(10_000, f64::INFINITY).unwrap();
        let report = sim.audit();
        assert!(
            report.is_clean(),
            "drift after {} events: {report:?}",
            sim.executed()
        );
    }
    for (rule, n) in sim.model().rules.iter().zip(sim.rule_counts()) {
        eprintln!("{}: {n}", rule.name);
        assert!(*n > 1000, "rule {} fired only {n} times", rule.name);
    }
}

/// Without [`Model::resolve_move_vectors`] (no geometry known) a rule with vectors has no
/// possible move; a domain of another lattice (a cell of 2 Å) gets none either.
#[test]
fn unresolved_or_other_lattice_moves_nothing() {
    let g = fcc_periodic(4, false);
    let text = model_text("[[1, 0, 0], [-1, 0, 0]]", "");
    let dimer = [[1.0, 1.0, 1.0], [1.5, 1.5, 1.0]];
    let other = [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]];
    for model in [Arc::new(potential(&text).model), resolved(&text, &g, other)] {
        let mut sim = Simulation::new(
            g.clone(),
            model,
            with_au(&g, &dimer),
            Program::constant(600.0, 0.0).unwrap(),
            rng::stream(SEEDS[0], 2),
        )
        .unwrap();
        sim.run_events(10, f64::INFINITY).unwrap();
        assert_eq!(sim.executed(), 0);
    }
}
