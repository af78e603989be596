//! The probe cache of cluster moves (`events/cluster_move.rs`, `Probes`) only orders the
//! work: whatever atom it names for a slot, every slot of every cluster is classified as
//! with an empty cache (the same move possible or not, the same rule and barrier, bit for
//! bit). Checked exhaustively on random configurations: each slot of each small cluster
//! with each of its atoms as the probe.
//!
//! The second test checks the destination search itself where the site numbering is no
//! help (an open block of fcc with shuffled site indices, so that a member's neighbour at
//! the owner's index offset is rarely the one at the move's vector): which slides are
//! possible, against a count made from the positions alone.
//!
//! Broken on purpose once each (2026-12-07), and each failed: the first test with the
//! probe's destination test taking only a vacant site as open (a destination held by an
//! atom of the cluster, which moves away too, counted as blocked); the second with the
//! destination search giving up at a neighbour at the index offset that is not at the
//! vector, instead of going on to the later neighbours.

mod common;

use std::sync::Arc;

use common::{fcc_periodic, potential};
use nanokmc::engine::Simulation;
use nanokmc::events::LayoutEntry;
use nanokmc::events::cluster_move::{ClusterScratch, classify_one, component};
use nanokmc::model::Action;
use nanokmc::program::Program;
use nanokmc::rng;
use nanokmc::sites::{SiteId, SiteSet};
use nanokmc::state::SpeciesId;
use rand::Rng;

/// Au and an inert species B on a periodic fcc lattice; clusters of 2–12 Au slide by a
/// nearest-neighbour vector; B blocks destinations (so that many slides are refused at
/// some atom).
const MODEL: &str = r#"
[model]
name = "probes"
[[species]]
name = "Au"
[[species]]
name = "B"
[[site_kinds]]
name = "fcc"
allowed = ["Au", "B"]
[[shells]]
name = "nn"
pairs = [{ kinds = ["fcc", "fcc"], max = "0.8 A" }]
[energy]
bonds = [
  { shell = "nn", species = ["Au", "Au"], value = "-0.3 eV" },
  { shell = "nn", species = ["Au", "B"], value = "-0.1 eV" },
]
[[events]]
name = "slide"
type = "cluster_move"
species = "Au"
shell = "nn"
min_size = 2
max_size = 12
prefactor = "1e13 /s"
migration_energy = "0.3 eV"
size_energy = "0.05 eV"
"#;

/// The slide rule of `model` and its layout entry (12 slots).
fn slide(model: &nanokmc::model::Model) -> (nanokmc::model::ClusterMove, LayoutEntry) {
    let rule = model.find_rule("slide").unwrap();
    let Action::ClusterMove(spec) = model.rules[rule].action else {
        panic!("slide is a cluster move");
    };
    let entry = LayoutEntry {
        rule: rule as u32,
        offset: 0,
        slots: 12,
        mover_owned: false,
    };
    (spec, entry)
}

/// The classification of slot `local` of the cluster moves owned by `owner`, as its rule
/// and the bits of its barrier.
fn classify(
    sim: &Simulation,
    owner: SiteId,
    entry: LayoutEntry,
    local: u32,
    scratch: &mut ClusterScratch,
) -> Option<(u32, u64)> {
    classify_one(
        sim.model(),
        sim.energy(),
        sim.graph(),
        sim.occupancy(),
        owner,
        entry,
        local,
        scratch,
    )
    .map(|c| (c.rule, c.barrier.to_bits()))
}

/// A random configuration on `g` (15 % Au, 10 % B) and, for each cluster of 2–12 atoms,
/// its owner (lowest site) and its atoms.
fn random_clusters(
    g: &Arc<nanokmc::sites::SiteGraph>,
    model: &Arc<nanokmc::model::Model>,
    spec: &nanokmc::model::ClusterMove,
    r: &mut impl Rng,
) -> (Simulation, Vec<(SiteId, Vec<SiteId>)>) {
    let species: Vec<SpeciesId> = (0..g.len())
        .map(|_| match r.random_range(0..20) {
            0..=2 => SpeciesId(1),
            3..=4 => SpeciesId(2),
            _ => SpeciesId::VACANCY,
        })
        .collect();
    let sim = Simulation::new(
        g.clone(),
        model.clone(),
        species,
        Program::constant(600.0, 0.0).unwrap(),
        rng::stream(1, 0),
    )
    .unwrap();
    let occ = sim.occupancy();
    let mut members = Vec::new();
    let mut seen = SiteSet::default();
    let mut clusters = Vec::new();
    for owner in 0..g.len() as u32 {
        let owner = SiteId(owner);
        if occ.get(owner) == SpeciesId(1)
            && component(g, occ, spec, owner, 13, &mut members, &mut seen)
            && members.len() >= 2
            && members.iter().all(|&m| m >= owner)
        {
            clusters.push((owner, members.clone()));
        }
    }
    (sim, clusters)
}

#[test]
fn any_probe_leaves_every_cluster_slot_unchanged() {
    let pot = potential(MODEL);
    let g = fcc_periodic(4, false);
    let model = Arc::new(pot.model);
    let (spec, entry) = slide(&model);
    let mut r = rng::stream(20_261_207, 0);
    let mut checked = 0usize;
    let mut possible = 0usize;
    for _ in 0..20 {
        let (sim, clusters) = random_clusters(&g, &model, &spec, &mut r);
        for (owner, atoms) in clusters {
            for local in 0..entry.slots {
                let reference = classify(&sim, owner, entry, local, &mut ClusterScratch::default());
                possible += usize::from(reference.is_some());
                for &probe in &atoms {
                    let mut scratch = ClusterScratch::default();
                    scratch.set_probe(owner, local, probe);
                    let got = classify(&sim, owner, entry, local, &mut scratch);
                    assert_eq!(
                        got, reference,
                        "owner {owner:?}, slot {local}, probe {probe:?}"
                    );
                    checked += 1;
                }
            }
        }
    }
    eprintln!("{checked} probes checked, {possible} possible slides");
    // the configurations hold both possible and refused slides, and many probes.
    assert!(checked > 2000, "{checked} probes checked");
    assert!(possible > 50, "{possible} possible slides");
}

/// An open block of `l`×`l`×`l` conventional fcc cells (lattice constant 1) with its sites
/// numbered in a shuffled order, nearest neighbours found from the positions.
fn shuffled_open_fcc(l: i64, seed: u64) -> Arc<nanokmc::sites::SiteGraph> {
    let mut points = Vec::new();
    for x in 0..2 * l {
        for y in 0..2 * l {
            for z in 0..2 * l {
                if (x + y + z) % 2 == 0 {
                    points.push([x as f64 * 0.5, y as f64 * 0.5, z as f64 * 0.5]);
                }
            }
        }
    }
    let mut r = rng::stream(seed, 0);
    for i in (1..points.len()).rev() {
        let j = r.random_range(0..=i);
        points.swap(i, j);
    }
    let lists: Vec<Vec<Vec<u32>>> = points
        .iter()
        .map(|p| {
            let near: Vec<u32> = (0..points.len() as u32)
                .filter(|&j| {
                    let q = points[j as usize];
                    let d2: f64 = (0..3).map(|a| (q[a] - p[a]).powi(2)).sum();
                    d2 > 1e-6 && d2 < 0.64
                })
                .collect();
            vec![near]
        })
        .collect();
    common::graph(
        points,
        vec![0; lists.len()],
        &["fcc"],
        &["nn"],
        &lists,
        [false; 3],
        [2.0 * l as f64; 3],
    )
}

#[test]
fn slides_in_a_shuffled_open_block_match_a_count_from_positions() {
    let pot = potential(MODEL);
    let g = shuffled_open_fcc(4, 99);
    let model = Arc::new(pot.model);
    let (spec, entry) = slide(&model);
    let key = |p: [f64; 3]| [0, 1, 2].map(|a| (p[a] * 2.0).round() as i64);
    let at: std::collections::HashMap<[i64; 3], SiteId> = (0..g.len() as u32)
        .map(|i| (key(g.position(SiteId(i))), SiteId(i)))
        .collect();
    let mut r = rng::stream(20_261_208, 0);
    let (mut possible, mut refused, mut offset_misses) = (0usize, 0usize, 0usize);
    for _ in 0..20 {
        let (sim, clusters) = random_clusters(&g, &model, &spec, &mut r);
        let occ = sim.occupancy();
        let mut scratch = ClusterScratch::default();
        for (owner, members) in clusters {
            let owner_neighbours: Vec<SiteId> = g.neighbors(owner, spec.shell).collect();
            for local in 0..entry.slots {
                // from the positions: every atom has a site at the vector, vacant or of the
                // cluster, and no destination touches other gold.
                let expected = owner_neighbours.get(local as usize).is_some_and(|&t| {
                    let (po, pt) = (g.position(owner), g.position(t));
                    let d = [0, 1, 2].map(|a| pt[a] - po[a]);
                    let dest: Option<Vec<SiteId>> = members
                        .iter()
                        .map(|&m| {
                            let pm = g.position(m);
                            at.get(&key([0, 1, 2].map(|a| pm[a] + d[a]))).copied()
                        })
                        .collect();
                    dest.is_some_and(|dest| {
                        dest.iter()
                            .all(|&u| occ.get(u).is_vacancy() || members.contains(&u))
                            && dest.iter().all(|&u| {
                                g.neighbors(u, spec.shell)
                                    .all(|w| occ.get(w) != SpeciesId(1) || members.contains(&w))
                            })
                    })
                });
                if let Some(&t) = owner_neighbours.get(local as usize) {
                    let offset = i64::from(t.0) - i64::from(owner.0);
                    offset_misses += members
                        .iter()
                        .filter(|&&m| {
                            let k = i64::from(m.0) + offset;
                            k < 0
                                || k >= g.len() as i64
                                || !g.neighbors(m, spec.shell).any(|w| i64::from(w.0) == k)
                        })
                        .count();
                }
                let got = classify(&sim, owner, entry, local, &mut scratch);
                assert_eq!(got.is_some(), expected, "owner {owner:?}, slot {local}");
                if expected {
                    possible += 1;
                } else {
                    refused += 1;
                }
            }
        }
    }
    eprintln!("{possible} possible, {refused} refused, {offset_misses} index-offset misses");
    assert!(possible > 50 && refused > 500 && offset_misses > 1000);
}
