//! End to end on a mission-like system: a wurtzite CdSe nanorod with its interstitial T−
//! and O sites, built from a potential file's phase (lattice constants from the file),
//! neighbour shells across four site kinds, Cu interstitial hops, Cu ⇄ Cd kick-out
//! exchange with its generated reverse, Cd interstitial hops and Cd evaporation into the
//! vacuum sink, under a temperature ramp. The audit finds no drift, removed atoms are
//! counted, the composition is conserved (atoms present + removed), and a rerun with the
//! same seed is identical.

use std::sync::Arc;

use nanokmc::engine::Simulation;
use nanokmc::input::Source;
use nanokmc::lattice::{Assembly, DomainSpec, ParticleSpec, Shape, Tip};
use nanokmc::program::{Program, Schedule};
use nanokmc::rng;
use nanokmc::state::SpeciesId;

const CDSE: &str = r#"
[model]
name = "cdse_cu_test"
source = "test model; barriers in the ranges of physics.md §3.4, not fitted"

[[species]]
name = "Cd"
[[species]]
name = "Se"
[[species]]
name = "Cu"

[[phases]]
name = "CdSe"
structure = "wurtzite"
a = "4.299 A"
c = "7.01 A"
u = 0.375
roles = { cation = "cd_site", anion = "se_site", tet_empty = "t_minus", oct = "oct" }
fill = { cation = "Cd", anion = "Se" }

[[site_kinds]]
name = "cd_site"
allowed = ["Cd", "Cu"]
[[site_kinds]]
name = "se_site"
allowed = ["Se"]
[[site_kinds]]
name = "t_minus"
allowed = ["Cu", "Cd"]
[[site_kinds]]
name = "oct"
allowed = ["Cu", "Cd"]

# cation–anion bonds 2.63 Å; interstitial network T−–O and cation–O at 2.63 Å, O–O along c
# at 3.51 Å (computed from the wurtzite geometry).
[[shells]]
name = "bond"
pairs = [{ kinds = ["cd_site", "se_site"], max = "2.9 A" }]
[[shells]]
name = "int"
pairs = [
  { kinds = ["t_minus", "oct"], max = "2.9 A" },
  { kinds = ["cd_site", "oct"], max = "2.9 A" },
  { kinds = ["oct", "oct"], min = "3.3 A", max = "3.7 A" },
]

[energy]
onsite = [
  { species = "Cu", kind = "t_minus", value = "0.4 eV" },
  { species = "Cu", kind = "oct", value = "0.5 eV" },
  { species = "Cd", kind = "t_minus", value = "0.1 eV" },
  { species = "Cd", kind = "oct", value = "0.0 eV" },
]
bonds = [
  { shell = "bond", species = ["Cd", "Se"], value = "-0.9 eV" },
  { shell = "bond", species = ["Cu", "Se"], value = "-0.9 eV" },
]

[[events]]
name = "cu_t_o"
type = "hop"
species = "Cu"
from = "t_minus"
to = "oct"
shell = "int"
prefactor = "1e13 /s"
migration_energy = "0.6 eV"

[[events]]
name = "cu_o_o"
type = "hop"
species = "Cu"
from = "oct"
to = "oct"
shell = "int"
prefactor = "1e13 /s"
migration_energy = "0.6 eV"

[[events]]
name = "kick_out"
type = "exchange"
species = "Cu"
with = "Cd"
from = "oct"
to = "cd_site"
shell = "int"
prefactor = "1e13 /s"
migration_energy = "1.0 eV"

[[events]]
name = "cd_t_o"
type = "hop"
species = "Cd"
from = "t_minus"
to = "oct"
shell = "int"
prefactor = "1e13 /s"
migration_energy = "0.7 eV"

[[events]]
name = "cd_leaves"
type = "remove"
species = "Cd"
from = "oct"
prefactor = "1e13 /s"
migration_energy = "1.1 eV"
barrier_rule = "fixed"
conditions = [{ shell = "int", species = ["Cu", "Cd"], max = 5 }]
"#;

fn simulation(seed: u64) -> Simulation {
    let pot = nanokmc::potential::compile(&Source::from_text("cdse.toml", CDSE)).unwrap();
    let phase = pot.phase("CdSe").unwrap();
    let crystal = phase.crystal().unwrap();
    let kinds = phase.basis_kinds(&crystal).unwrap();
    let fill = phase.basis_fill(&crystal);
    let rod = Shape::HexRod {
        radius: 15.0,
        length: 30.0,
        tip: Tip::Flat,
    };
    let domain = DomainSpec::new("rod", crystal, kinds, rod);
    let particle = ParticleSpec {
        name: "rod".into(),
        domains: vec![domain],
    };
    let assembly = Assembly {
        particles: vec![(particle, [0.0; 3])],
        substrate: None,
        box_padding: 5.0,
        periodic: [false; 3],
        min_separation: 1.0,
        adlayers: Vec::new(),
    };
    let sites = assembly.build().unwrap();
    let roles = sites.roles.clone();
    let graph = Arc::new(pot.build_graph(sites).unwrap());
    // the ideal crystal, plus Cu on about 30 % of the octahedral sites.
    let mut r = rng::stream(seed, 3);
    let cu = pot.model.species.find("Cu").unwrap();
    let oct = pot.model.find_kind("oct").unwrap();
    let species: Vec<SpeciesId> = (0..graph.len())
        .map(|s| {
            let kind = graph.kinds()[s];
            if kind == oct && rng::uniform_open01(&mut r) < 0.3 {
                cu
            } else {
                fill[roles[s] as usize]
            }
        })
        .collect();
    let program = Program::new(
        Schedule::from_points(vec![(0.0, 600.0), (1e-4, 700.0)]).unwrap(),
        Schedule::constant(0.0),
    )
    .unwrap();
    Simulation::new(
        graph,
        Arc::new(pot.model),
        species,
        program,
        rng::stream(seed, 0),
    )
    .unwrap()
}

#[test]
fn system_cdse_rod_runs_with_exchange_and_evaporation_without_drift() {
    let mut sim = simulation(11);
    let g = sim.graph();
    assert!(g.len() > 500, "rod has {} sites", g.len());
    let initial = sim.occupancy().totals();
    assert!(initial[3] > 0, "some Cu interstitials");
    assert!(sim.audit().is_clean());
    sim.set_audit_every(2_000);
    sim.run_events(20_000, f64::INFINITY).unwrap();
    assert_eq!(sim.executed(), 20_000, "events remain possible throughout");
    assert!(sim.audit().is_clean());
    let model = sim.model();
    let count = |name: &str| sim.rule_counts()[model.find_rule(name).unwrap()];
    assert!(count("cu_t_o") + count("cu_t_o~reverse") + count("cu_o_o") > 0);
    assert!(count("kick_out") > 0, "the kick-out exchange fired");
    // the kick-out has a generated reverse (Cu on a cation site back to an octahedral
    // site, Cd returning), audited with the rest whenever it is possible.
    assert!(model.find_rule("kick_out~reverse").is_some());
    // composition: atoms on sites plus atoms removed are conserved per species.
    let now = sim.occupancy().totals();
    let n_species = model.species.len();
    for z in 1..n_species {
        let removed: u64 = sim.removed().iter().skip(z).step_by(n_species).sum();
        assert_eq!(now[z] + removed, initial[z], "species {z}");
    }
}

#[test]
fn system_cdse_same_seed_same_trajectory() {
    let run = |seed| {
        let mut sim = simulation(seed);
        sim.run_events(5_000, f64::INFINITY).unwrap();
        (
            sim.time().to_bits(),
            sim.occupancy().species().collect::<Vec<_>>(),
            sim.rule_counts().to_vec(),
        )
    };
    assert_eq!(run(5), run(5));
}
