//! Shared helpers of the integration tests: small hand-built graphs (independent of the
//! lattice builders) and models from potential text.
#![allow(dead_code)]

pub mod corpus;

use std::sync::Arc;

use nanokmc::engine::Simulation;
use nanokmc::input::Source;
use nanokmc::potential::{self, Potential};
use nanokmc::program::{Program, Schedule};
use nanokmc::rng;
use nanokmc::sites::{
    DomainId, GraphNames, KindId, SimulationBox, SiteGraph, SiteGraphBuilder, SiteId,
};
use nanokmc::state::SpeciesId;

/// Fixed seeds of the statistical tests.
pub const SEEDS: [u64; 3] = [20_261_122, 7, 1_234_567];

/// The site of `g` at `p` (to 1e-9 Å); panics when there is none.
pub fn site_at(g: &SiteGraph, p: [f64; 3]) -> u32 {
    (0..g.len())
        .find(|&i| {
            let q = g.position(SiteId(i as u32));
            (0..3).all(|a| (q[a] - p[a]).abs() < 1e-9)
        })
        .expect("a site at the position") as u32
}

/// Compiles potential text (named `test.toml` in messages).
pub fn potential(text: &str) -> Potential {
    potential::compile(&Source::from_text("test.toml", text)).expect("test potential compiles")
}

/// A graph from explicit sites and one neighbour list per site per shell.
pub fn graph(
    positions: Vec<[f64; 3]>,
    kinds: Vec<u16>,
    kind_names: &[&str],
    shell_names: &[&str],
    lists: &[Vec<Vec<u32>>],
    periodic: [bool; 3],
    edges: [f64; 3],
) -> Arc<SiteGraph> {
    let n = positions.len();
    let names = GraphNames {
        shells: shell_names.iter().map(|s| s.to_string()).collect(),
        kinds: kind_names.iter().map(|s| s.to_string()).collect(),
        domains: vec!["all".into()],
    };
    let simulation_box = SimulationBox {
        origin: [0.0; 3],
        edges: [
            [edges[0], 0.0, 0.0],
            [0.0, edges[1], 0.0],
            [0.0, 0.0, edges[2]],
        ],
        periodic,
    };
    let mut b = SiteGraphBuilder::new(
        positions,
        kinds.into_iter().map(KindId).collect(),
        vec![DomainId(0); n],
        names,
        simulation_box,
    )
    .unwrap();
    for (s, shells) in lists.iter().enumerate() {
        let shells: Vec<Vec<SiteId>> = shells
            .iter()
            .map(|l| l.iter().map(|&i| SiteId(i)).collect())
            .collect();
        b.set_neighbors(SiteId(s as u32), &shells).unwrap();
    }
    Arc::new(b.finish().unwrap())
}

/// A periodic fcc crystal of `l`×`l`×`l` conventional cells (lattice constant 1, all
/// sites kind 0 named `fcc`), with the nearest-neighbour shell `nn` (12 neighbours) and,
/// if `second`, the second-neighbour shell `nnn` (6 neighbours). Built by hand on the
/// doubled integer grid, independently of `nanokmc::lattice`.
pub fn fcc_periodic(l: usize, second: bool) -> Arc<SiteGraph> {
    let m = 2 * l as i64; // points (x, y, z) on 0..2l with x + y + z even
    let mut index = std::collections::HashMap::new();
    let mut points = Vec::new();
    for x in 0..m {
        for y in 0..m {
            for z in 0..m {
                if (x + y + z) % 2 == 0 {
                    index.insert((x, y, z), points.len() as u32);
                    points.push((x, y, z));
                }
            }
        }
    }
    let mut nn_vectors = Vec::new();
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        for sa in [-1, 1] {
            for sb in [-1, 1] {
                let mut v = [0i64; 3];
                v[a] = sa;
                v[b] = sb;
                nn_vectors.push(v);
            }
        }
    }
    let nnn_vectors: Vec<[i64; 3]> = (0..3)
        .flat_map(|a| {
            [-2i64, 2].map(move |s| {
                let mut v = [0; 3];
                v[a] = s;
                v
            })
        })
        .collect();
    let wrap = |c: i64| c.rem_euclid(m);
    let lists: Vec<Vec<Vec<u32>>> = points
        .iter()
        .map(|&(x, y, z)| {
            let find = |vs: &[[i64; 3]]| -> Vec<u32> {
                vs.iter()
                    .map(|v| index[&(wrap(x + v[0]), wrap(y + v[1]), wrap(z + v[2]))])
                    .collect()
            };
            if second {
                vec![find(&nn_vectors), find(&nnn_vectors)]
            } else {
                vec![find(&nn_vectors)]
            }
        })
        .collect();
    let positions = points
        .iter()
        .map(|&(x, y, z)| [x as f64 * 0.5, y as f64 * 0.5, z as f64 * 0.5])
        .collect();
    let shells: &[&str] = if second { &["nn", "nnn"] } else { &["nn"] };
    graph(
        positions,
        vec![0; points.len()],
        &["fcc"],
        shells,
        &lists,
        [true; 3],
        [l as f64; 3],
    )
}

/// Minimum-image displacement from `a` to `b` in a cubic periodic box of edge `edge`.
pub fn min_image(a: [f64; 3], b: [f64; 3], edge: f64) -> [f64; 3] {
    let mut d = [0.0; 3];
    for i in 0..3 {
        let mut x = b[i] - a[i];
        x -= edge * (x / edge).round();
        d[i] = x;
    }
    d
}

/// Mean and standard error of the mean.
pub fn mean_sem(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// A model that uses every feature: pair and coordination energies in two shells, saddle
/// terms, conditions, hops, exchanges, removal, addition and beam events.
pub const RICH: &str = r#"
[model]
name = "rich"
[[species]]
name = "A"
[[species]]
name = "B"
[[site_kinds]]
name = "fcc"
allowed = ["A", "B"]
[[shells]]
name = "nn"
pairs = [{ kinds = ["fcc", "fcc"], max = "0.8 A" }]
[[shells]]
name = "nnn"
pairs = [{ kinds = ["fcc", "fcc"], min = "0.9 A", max = "1.1 A" }]
[energy]
bonds = [
  { shell = "nn", species = ["A", "A"], value = "-0.25 eV" },
  { shell = "nn", species = ["A", "B"], value = "-0.2 eV" },
  { shell = "nn", species = ["B", "B"], value = "-0.1 eV" },
  { shell = "nnn", species = ["A", "B"], value = "-0.02 eV" },
]
coordination = [
  { species = "B", shell = "nn", counted = ["A", "B"], table = ["0.2 eV", "0.1 eV", "0 eV", "-0.05 eV", "-0.1 eV", "-0.12 eV", "-0.14 eV", "-0.15 eV", "-0.16 eV", "-0.17 eV", "-0.18 eV", "-0.19 eV", "-0.2 eV"] },
]
[[events]]
name = "hop_A"
type = "hop"
species = "A"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.45 eV"
saddle = [{ shell = "nn", species = "B", shift = "0.05 eV" }]
[[events]]
name = "hop_B"
type = "hop"
species = "B"
shell = "nn"
prefactor = "1e12 /s"
migration_energy = "0.5 eV"
barrier_rule = "uphill"
conditions = [{ shell = "nn", species = ["Vac"], min = 1 }]
[[events]]
name = "swap_AB"
type = "exchange"
species = "A"
with = "B"
shell = "nnn"
prefactor = "1e13 /s"
migration_energy = "0.7 eV"
[[events]]
name = "evaporate_B"
type = "remove"
species = "B"
prefactor = "1e13 /s"
migration_energy = "0.5 eV"
barrier_rule = "uphill"
reference_energy = "-1.2 eV"
conditions = [{ shell = "nn", species = ["Vac"], min = 2 }]
[[events]]
name = "deposit_A"
type = "add"
species = "A"
prefactor = "1e8 /s"
migration_energy = "0.3 eV"
barrier_rule = "fixed"
conditions = [{ shell = "nn", species = ["A", "B"], min = 3 }]
[[events]]
name = "knock_B"
type = "beam_displace"
species = "B"
shell = "nnn"
cross_section = "1e9 barn"
"#;

/// The rich model on 4×4×4 fcc cells (second shell included) with 30 % vacancies, 55 % A,
/// 15 % B, under a temperature ramp and beam windows.
pub fn rich_simulation(seed: u64) -> Simulation {
    let pot = potential(RICH);
    let g = fcc_periodic(4, true);
    let mut r = rng::stream(seed, 7);
    let species: Vec<SpeciesId> = (0..g.len())
        .map(|_| {
            let u = rng::uniform_open01(&mut r);
            SpeciesId(if u < 0.3 {
                0
            } else if u < 0.85 {
                1
            } else {
                2
            })
        })
        .collect();
    let program = Program::new(
        Schedule::from_points(vec![(0.0, 450.0), (1e-3, 700.0), (1.0, 700.0)]).unwrap(),
        Schedule::from_points(vec![
            (0.0, 1e4),
            (1e-5, 1e4),
            (1e-5, 0.0),
            (2e-4, 0.0),
            (2e-4, 1e4),
            (5e-4, 1e4),
            (5e-4, 0.0),
        ])
        .unwrap(),
    )
    .unwrap();
    Simulation::new(g, Arc::new(pot.model), species, program, r).unwrap()
}

/// Two sites of kinds `a` and `b`, one species X, a hop a → b (ν = 10¹³ s⁻¹, E_m = 0.5 eV,
/// Kang–Weinberg) with its generated reverse, X on `b` 0.1 eV above X on `a`.
pub const TWO_SITE: &str = r#"
[model]
name = "two-site"
[[species]]
name = "X"
[[site_kinds]]
name = "a"
allowed = ["X"]
[[site_kinds]]
name = "b"
allowed = ["X"]
[[shells]]
name = "nn"
pairs = [{ kinds = ["a", "b"], max = "1.5 A" }]
[energy]
onsite = [{ species = "X", kind = "b", value = "0.1 eV" }]
[[events]]
name = "hop"
type = "hop"
species = "X"
from = "a"
to = "b"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "0.5 eV"
"#;

/// The graph of [`TWO_SITE`]: site 0 of kind `a`, site 1 of kind `b`, neighbours in `nn`.
pub fn two_site_graph() -> Arc<SiteGraph> {
    graph(
        vec![[0.0; 3], [1.0, 0.0, 0.0]],
        vec![0, 1],
        &["a", "b"],
        &["nn"],
        &[vec![vec![1]], vec![vec![0]]],
        [false; 3],
        [2.0, 1.0, 1.0],
    )
}

/// Hop migration energy of [`three_state_potential`] [eV].
pub const THREE_STATE_E_HOP: f64 = 0.5;
/// On-site energy of X on kind `b` in [`three_state_potential`] [eV].
pub const THREE_STATE_ONSITE_B: f64 = 0.1;

/// The three-state model of the acceleration tests: one atom X on kinds `a` (state A) and
/// `b` (state B, on-site [`THREE_STATE_ONSITE_B`]) hops between them (`hop`, E_m
/// [`THREE_STATE_E_HOP`], ν = 10¹³ s⁻¹, Kang–Weinberg, with its generated reverse) and
/// leaves from `b` into the vacuum (`escape`, state C) with the fixed barrier
/// `escape_barrier` [eV] and prefactor `escape_prefactor` [s⁻¹]. With `spectator`, a
/// species Y on an isolated kind `s` can leave with the same barrier and a prefactor of
/// 10⁻³ s⁻¹ (a slow class that exists whether or not X is on `b`).
pub fn three_state_potential(
    escape_prefactor: f64,
    escape_barrier: f64,
    spectator: bool,
) -> String {
    let (species_y, kind_s, event_y) = if spectator {
        (
            "[[species]]\nname = \"Y\"\n",
            "[[site_kinds]]\nname = \"s\"\nallowed = [\"Y\"]\n",
            format!(
                "[[events]]\nname = \"spectator\"\ntype = \"remove\"\nspecies = \"Y\"\nfrom = \"s\"\nprefactor = \"1e-3 /s\"\nmigration_energy = \"{escape_barrier} eV\"\nbarrier_rule = \"fixed\"\n"
            ),
        )
    } else {
        ("", "", String::new())
    };
    format!(
        r#"
[model]
name = "three-state"
[[species]]
name = "X"
{species_y}[[site_kinds]]
name = "a"
allowed = ["X"]
[[site_kinds]]
name = "b"
allowed = ["X"]
{kind_s}[[shells]]
name = "nn"
pairs = [{{ kinds = ["a", "b"], max = "1.5 A" }}]
[energy]
onsite = [{{ species = "X", kind = "b", value = "{THREE_STATE_ONSITE_B} eV" }}]
[[events]]
name = "hop"
type = "hop"
species = "X"
from = "a"
to = "b"
shell = "nn"
prefactor = "1e13 /s"
migration_energy = "{THREE_STATE_E_HOP} eV"
[[events]]
name = "escape"
type = "remove"
species = "X"
from = "b"
prefactor = "{escape_prefactor:e} /s"
migration_energy = "{escape_barrier} eV"
barrier_rule = "fixed"
{event_y}"#
    )
}
