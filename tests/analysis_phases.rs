//! The `phases` observable (`nanokmc::analysis::phases`) against hand-built configurations
//! whose labels are known: a 4³ simple cubic block (spacing 1 Å) cut into eight 2 Å cells,
//! its lower half pure A, its upper half one cell column pure B and one mixed A/B;
//! fractions per domain, the whole-region label, cells below `min_atoms`, and the
//! precedence of phases. Deterministic: exact comparisons.

use std::collections::HashMap;

use nanokmc::analysis::phases::{PhaseRule, Phases, Rule};
use nanokmc::analysis::{Analyzer, Entry, Frame, Measurement, Observable, Region, Value};
use nanokmc::sites::{
    DomainId, GraphNames, KindId, SimulationBox, SiteGraph, SiteGraphBuilder, SiteId,
};
use nanokmc::state::SpeciesId;

const A: SpeciesId = SpeciesId(1);
const B: SpeciesId = SpeciesId(2);
const VAC: SpeciesId = SpeciesId(0);
const N: usize = 4;

/// Sites at integer points of [0, 4)³, domain `p/low` below z = 2 and `p/high` above;
/// no neighbour shells (the observable does not use them).
fn block() -> SiteGraph {
    let mut positions = Vec::new();
    let mut kinds = Vec::new();
    let mut domains = Vec::new();
    for z in 0..N {
        for y in 0..N {
            for x in 0..N {
                #[allow(clippy::cast_precision_loss)]
                positions.push([x as f64, y as f64, z as f64]);
                kinds.push(KindId(0));
                domains.push(DomainId(u16::from(z >= N / 2)));
            }
        }
    }
    let names = GraphNames {
        shells: vec![],
        kinds: vec!["site".into()],
        domains: vec!["p/low".into(), "p/high".into()],
    };
    let b = SimulationBox {
        origin: [0.0; 3],
        edges: [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]],
        periodic: [false; 3],
    };
    let mut builder = SiteGraphBuilder::new(positions, kinds, domains, names, b).unwrap();
    for s in 0..N * N * N {
        #[allow(clippy::cast_possible_truncation)]
        builder.set_neighbors(SiteId(s as u32), &[]).unwrap();
    }
    builder.finish().unwrap()
}

/// Lower half A; upper half: B where x < 2, A and B alternating (4 + 4 per cell) where x ≥ 2.
fn species() -> Vec<SpeciesId> {
    let mut s = Vec::new();
    for z in 0..N {
        for y in 0..N {
            for x in 0..N {
                s.push(if z < 2 {
                    A
                } else if x < 2 {
                    B
                } else if (x + y + z) % 2 == 0 {
                    A
                } else {
                    B
                });
            }
        }
    }
    s
}

fn rule(species: SpeciesId, per: Option<SpeciesId>, min: Option<f64>, max: Option<f64>) -> Rule {
    Rule {
        species: vec![species],
        per: per.into_iter().collect(),
        min,
        max,
    }
}

/// A-rich (A ≥ 75 % of the atoms), B-rich (B ≥ 75 %), AB (A/B in [0.9, 1.1]), in this order.
fn phases(min_atoms: u64) -> Phases {
    Phases {
        region: Region::default(),
        domains: vec![
            (DomainId(0), "p|low".into()),
            (DomainId(1), "p|high".into()),
        ],
        phases: vec![
            PhaseRule {
                name: "A_rich".into(),
                rules: vec![rule(A, None, Some(0.75), None)],
            },
            PhaseRule {
                name: "B_rich".into(),
                rules: vec![rule(B, None, Some(0.75), None)],
            },
            PhaseRule {
                name: "AB".into(),
                rules: vec![rule(A, Some(B), Some(0.9), Some(1.1))],
            },
        ],
        cell: 2.0,
        min_atoms,
    }
}

fn measure(p: Phases, species: &[SpeciesId]) -> HashMap<String, f64> {
    let graph = block();
    let mut analyzer = Analyzer::new(vec![Entry {
        name: "ph".into(),
        observable: Observable::Phases(p),
    }]);
    analyzer
        .measure(&Frame::new(&graph, species, 0.0))
        .into_iter()
        .map(|Measurement { name, value, .. }| match value {
            Value::Scalar(v) => (name, v),
            Value::Distribution { .. } => panic!("{name} is not a scalar"),
        })
        .collect()
}

/// Eight 2 Å cells of 8 atoms: 4 A-rich (the lower domain), 2 B-rich and 2 AB (upper).
#[test]
fn phases_cells_are_labelled_and_counted_per_domain() {
    let m = measure(phases(1), &species());
    assert_eq!(m["ph:cells"], 8.0);
    assert_eq!(m["ph:unlabelled"], 0.0);
    assert_eq!(m["ph:A_rich"], 0.5);
    assert_eq!(m["ph:B_rich"], 0.25);
    assert_eq!(m["ph:AB"], 0.25);
    assert_eq!(m["ph:other"], 0.0);
    assert_eq!(m["ph:p|low:A_rich"], 1.0);
    assert_eq!(m["ph:p|low:B_rich"], 0.0);
    assert_eq!(m["ph:p|high:B_rich"], 0.5);
    assert_eq!(m["ph:p|high:AB"], 0.5);
    assert_eq!(m["ph:p|high:A_rich"], 0.0);
    // The whole block: 40 A, 24 B → A is 62.5 % and A/B = 1.67: none of the phases.
    assert_eq!(m["ph:region:other"], 1.0);
    assert_eq!(m["ph:region:A_rich"], 0.0);
    assert_eq!(m["ph:region:AB"], 0.0);
}

/// A B-rich cell emptied down to 3 atoms is not labelled with `min_atoms = 4`, and its
/// atoms count as unlabelled; with `min_atoms = 3` it is still B-rich.
#[test]
fn phases_cells_below_min_atoms_are_unlabelled() {
    let mut s = species();
    // The B cell at x, y < 2, z ≥ 2: keep (0,0,2), (1,0,2), (0,1,2).
    for (x, y, z) in [(1, 1, 2), (0, 0, 3), (1, 0, 3), (0, 1, 3), (1, 1, 3)] {
        s[x + N * y + N * N * z] = VAC;
    }
    let m = measure(phases(4), &s);
    assert_eq!(m["ph:cells"], 7.0);
    assert_eq!(m["ph:unlabelled"], 3.0 / 59.0);
    assert_eq!(m["ph:B_rich"], 8.0 / 59.0);
    let m = measure(phases(3), &s);
    assert_eq!(m["ph:cells"], 8.0);
    assert_eq!(m["ph:B_rich"], 11.0 / 59.0);
}

/// The first matching phase wins: with AB listed first, a 50/50 cell is AB even if a
/// later phase would also accept it; a ratio with a zero denominator never holds.
#[test]
fn phases_precedence_and_undefined_ratios() {
    let mut p = phases(1);
    p.phases.insert(
        0,
        PhaseRule {
            name: "half".into(),
            rules: vec![rule(A, None, Some(0.5), Some(0.5))],
        },
    );
    let m = measure(p, &species());
    assert_eq!(m["ph:half"], 0.25);
    assert_eq!(m["ph:AB"], 0.0);
    // Pure A cells: A/B has no B, so an `AB` rule (A per B) cannot hold there even with
    // an unbounded maximum.
    let mut p = phases(1);
    p.phases = vec![PhaseRule {
        name: "AB".into(),
        rules: vec![rule(A, Some(B), Some(0.0), None)],
    }];
    let m = measure(p, &species());
    assert_eq!(m["ph:AB"], 0.5); // the 2 B-rich cells (A/B = 0) and 2 mixed cells
    assert_eq!(m["ph:other"], 0.5); // the 4 pure-A cells: undefined ratio
}
