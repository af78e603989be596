//! Every observable of `nanokmc::analysis` against a hand-built configuration whose answer
//! is known: composition of a half-filled cube, a hollow sphere with a known void, a known
//! radial profile, two clusters that merge between two frames and one that disappears, a
//! tagged atom hopping across a periodic boundary (tracer MSD), the gyration tensor of a
//! box of atoms, the facet areas of a cube and of an octahedron, an order parameter after a
//! swap, and the net rate of a flux.
//!
//! The lattices are simple cubic with spacing 1 Å and a 6-neighbour shell `nn`, built by
//! hand with `SiteGraphBuilder` (open boxes lack the neighbours beyond their faces).
//! Everything is deterministic: exact comparisons except where the quantity is a
//! lattice approximation of a continuum one (shell thickness, stated tolerance).

use std::collections::HashMap;

use nanokmc::analysis::{
    Analyzer, Center, Entry, Frame, Measurement, Observable, Region, RegionShape, Value,
    clusters::{Attachment, Clusters, default_size_edges},
    composition::Composition,
    facets::{Facets, Family},
    fluxes::Fluxes,
    shape::Shape,
    voids::Voids,
};
use nanokmc::model::SpeciesSet;
use nanokmc::sites::{
    DomainId, GraphNames, KindId, ShellId, SimulationBox, SiteGraph, SiteGraphBuilder, SiteId,
};
use nanokmc::state::SpeciesId;

const A: SpeciesId = SpeciesId(1);
const B: SpeciesId = SpeciesId(2);
const VAC: SpeciesId = SpeciesId(0);

/// An `n`³ simple cubic lattice (site `x + n y + n² z` at `(x, y, z)` Å), kind 0 on even
/// and kind 1 on odd `x + y + z`, domain 0 for `z < n/2` and 1 above.
fn cubic(n: usize, periodic: bool) -> SiteGraph {
    cubic_with(n, periodic, |x, y, z| ((x + y + z) % 2) as u16)
}

/// The same lattice with kind 0 on the planes of even `z` and kind 1 on those of odd `z`: a
/// layered crystal whose odd planes are interstitial sites.
fn layered(n: usize) -> SiteGraph {
    cubic_with(n, false, |_, _, z| (z % 2) as u16)
}

fn cubic_with(n: usize, periodic: bool, kind: impl Fn(usize, usize, usize) -> u16) -> SiteGraph {
    let index = |x: usize, y: usize, z: usize| x + n * y + n * n * z;
    let mut positions = Vec::new();
    let mut kinds = Vec::new();
    let mut domains = Vec::new();
    for z in 0..n {
        for y in 0..n {
            for x in 0..n {
                #[allow(clippy::cast_precision_loss)]
                positions.push([x as f64, y as f64, z as f64]);
                kinds.push(KindId(kind(x, y, z)));
                domains.push(DomainId(u16::from(z >= n / 2)));
            }
        }
    }
    let names = GraphNames {
        shells: vec!["nn".into()],
        kinds: vec!["even".into(), "odd".into()],
        domains: vec!["p/low".into(), "p/high".into()],
    };
    #[allow(clippy::cast_precision_loss)]
    let l = n as f64;
    let b = SimulationBox {
        origin: [0.0; 3],
        edges: [[l, 0.0, 0.0], [0.0, l, 0.0], [0.0, 0.0, l]],
        periodic: [periodic; 3],
    };
    let mut builder = SiteGraphBuilder::new(positions, kinds, domains, names, b).unwrap();
    for z in 0..n {
        for y in 0..n {
            for x in 0..n {
                let mut list = Vec::new();
                for (dx, dy, dz) in [
                    (1, 0, 0),
                    (-1, 0, 0),
                    (0, 1, 0),
                    (0, -1, 0),
                    (0, 0, 1),
                    (0, 0, -1),
                ] {
                    let c = [x as i64 + dx, y as i64 + dy, z as i64 + dz];
                    let m = n as i64;
                    if !periodic && c.iter().any(|&v| v < 0 || v >= m) {
                        continue;
                    }
                    let w = c.map(|v| v.rem_euclid(m) as usize);
                    list.push(SiteId(index(w[0], w[1], w[2]) as u32));
                }
                builder
                    .set_neighbors(SiteId(index(x, y, z) as u32), &[list])
                    .unwrap();
            }
        }
    }
    builder.finish().unwrap()
}

fn values(
    analyzer: &mut Analyzer,
    graph: &SiteGraph,
    species: &[SpeciesId],
    t: f64,
) -> HashMap<String, Value> {
    analyzer
        .measure(&Frame::new(graph, species, t))
        .into_iter()
        .map(|Measurement { name, value, .. }| (name, value))
        .collect()
}

fn scalar(m: &HashMap<String, Value>, name: &str) -> f64 {
    match m.get(name) {
        Some(Value::Scalar(v)) => *v,
        other => panic!(
            "{name}: {other:?} (have {:?})",
            m.keys().collect::<Vec<_>>()
        ),
    }
}

fn entry(name: &str, observable: Observable) -> Entry {
    Entry {
        name: name.into(),
        observable,
    }
}

/// Composition of a cube whose lower half is A and upper half B, with 10 Cu-like B atoms
/// placed on odd sites of the lower half: counts per domain, kind occupancy and `per`.
#[test]
fn composition_half_filled_cube_counts_exactly() {
    let n = 10;
    let g = cubic(n, false);
    let mut species: Vec<SpeciesId> = g
        .positions()
        .iter()
        .map(|p| if p[2] < 5.0 { A } else { B })
        .collect();
    let odd_low: Vec<usize> = (0..g.len())
        .filter(|&s| g.kinds()[s] == KindId(1) && g.positions()[s][2] < 5.0)
        .take(10)
        .collect();
    for &s in &odd_low {
        species[s] = B;
    }
    let names = vec![(A, "A".to_string()), (B, "B".to_string())];
    let mut an = Analyzer::new(vec![
        entry(
            "low",
            Observable::Composition(Composition {
                region: Region {
                    domains: Some(vec![DomainId(0)]),
                    ..Region::default()
                },
                species: names.clone(),
                per: None,
            }),
        ),
        entry(
            "holes",
            Observable::Composition(Composition {
                region: Region {
                    domains: Some(vec![DomainId(0)]),
                    kinds: Some(vec![KindId(1)]),
                    shape: None,
                },
                species: vec![(B, "B".to_string())],
                per: Some((A, "A".to_string())),
            }),
        ),
        entry(
            "slab",
            Observable::Composition(Composition {
                region: Region {
                    shape: Some(RegionShape::Slab {
                        normal: [0.0, 0.0, 1.0],
                        from: 4.5,
                        to: 5.5,
                    }),
                    ..Region::default()
                },
                species: names,
                per: None,
            }),
        ),
    ]);
    let m = values(&mut an, &g, &species, 0.0);
    assert_eq!(scalar(&m, "low:sites"), 500.0);
    assert_eq!(scalar(&m, "low:A"), 490.0);
    assert_eq!(scalar(&m, "low:B"), 10.0);
    assert_eq!(scalar(&m, "low:fraction:B"), 10.0 / 500.0);
    assert_eq!(scalar(&m, "holes:sites"), 250.0);
    assert_eq!(scalar(&m, "holes:occupancy:B"), 10.0 / 250.0);
    // per A counted in the lower domain over both kinds: 490 A atoms.
    assert_eq!(scalar(&m, "holes:per_A:B"), 10.0 / 490.0);
    assert_eq!(scalar(&m, "slab:sites"), 100.0);
    assert_eq!(scalar(&m, "slab:B"), 100.0);
}

/// Positions of the sites within `r` of `c` (strictly).
fn within(g: &SiteGraph, c: [f64; 3], r: f64) -> Vec<usize> {
    (0..g.len())
        .filter(|&s| {
            let p = g.positions()[s];
            (0..3).map(|a| (p[a] - c[a]).powi(2)).sum::<f64>() < r * r
        })
        .collect()
}

fn voids_entry(min_size: u64) -> Entry {
    entry(
        "v",
        Observable::Voids(Voids {
            shell: ShellId(0),
            region: Region::default(),
            min_size,
            bin_width: 1.0,
            r_max: Some(12.0),
        }),
    )
}

/// A hollow sphere (outer radius 7, cavity radius 3.5, centred on a site) in vacuum, plus
/// one isolated vacancy in its wall: the cavity and the vacancy are voids, the vacuum is
/// not; the void fraction is the cavity's share of the filled sphere; the shell thickness
/// is 3.5 Å within the lattice discretisation (tolerance 0.3 Å).
#[test]
fn voids_hollow_sphere_has_known_cavity_and_thickness() {
    let g = cubic(20, false);
    let c = [10.0, 10.0, 10.0];
    let mut species = vec![VAC; g.len()];
    let sphere = within(&g, c, 7.0);
    let cavity = within(&g, c, 3.5);
    for &s in &sphere {
        species[s] = A;
    }
    for &s in &cavity {
        species[s] = VAC;
    }
    // one vacancy in the wall, at distance 5 along x.
    let wall = 10 + 20 * 10 + 400 * 15;
    species[wall] = VAC;
    let mut an = Analyzer::new(vec![voids_entry(1)]);
    let m = values(&mut an, &g, &species, 0.0);
    assert_eq!(scalar(&m, "v:void_count"), 2.0);
    assert_eq!(scalar(&m, "v:void_sites"), (cavity.len() + 1) as f64);
    assert_eq!(scalar(&m, "v:largest_void"), cavity.len() as f64);
    assert_eq!(
        scalar(&m, "v:void_fraction"),
        (cavity.len() + 1) as f64 / sphere.len() as f64
    );
    let t = scalar(&m, "v:shell_thickness");
    assert!((t - 3.5).abs() < 0.3, "thickness {t}");
    assert!((scalar(&m, "v:outer_radius") - 7.0).abs() < 0.3);
    assert_eq!(scalar(&m, "v:order"), 1.0);
    // min_size 2 drops the single vacancy.
    let mut an = Analyzer::new(vec![voids_entry(2)]);
    let m = values(&mut an, &g, &species, 0.0);
    assert_eq!(scalar(&m, "v:void_count"), 1.0);
}

/// A layered sphere (radius 6, kind 0 on even planes filled with A, kind 1 on odd planes
/// left empty as interstitial holes) with one vacancy at its centre. Without `kinds` the
/// vacancy is joined to the empty interstitial planes, which reach the vacuum: no void.
/// With `kinds = [0]` it is one void of one site, and the atoms and the void fraction count
/// kind-0 sites only. Judging the border with the kinds filter (neighbours of kind 1 taken
/// as outside) would lose the void again.
#[test]
fn voids_with_kinds_ignore_empty_interstitial_sites() {
    let g = layered(16);
    let c = [8.0, 8.0, 8.0];
    let mut species = vec![VAC; g.len()];
    let lattice: Vec<usize> = within(&g, c, 6.0)
        .into_iter()
        .filter(|&s| g.kind(SiteId(s as u32)) == KindId(0))
        .collect();
    for &s in &lattice {
        species[s] = A;
    }
    let centre = 8 + 16 * 8 + 256 * 8;
    assert!(lattice.contains(&centre));
    species[centre] = VAC;
    let with_kinds = |kinds: Option<Vec<KindId>>| {
        entry(
            "v",
            Observable::Voids(Voids {
                shell: ShellId(0),
                region: Region {
                    kinds,
                    ..Region::default()
                },
                min_size: 1,
                bin_width: 1.0,
                r_max: Some(12.0),
            }),
        )
    };
    let mut an = Analyzer::new(vec![with_kinds(None)]);
    let m = values(&mut an, &g, &species, 0.0);
    assert_eq!(scalar(&m, "v:void_count"), 0.0);
    let mut an = Analyzer::new(vec![with_kinds(Some(vec![KindId(0)]))]);
    let m = values(&mut an, &g, &species, 0.0);
    assert_eq!(scalar(&m, "v:void_count"), 1.0);
    assert_eq!(scalar(&m, "v:void_sites"), 1.0);
    assert_eq!(scalar(&m, "v:void_fraction"), 1.0 / lattice.len() as f64);
}

/// The radial density of a full sphere of radius 6 about its centroid: 1 in every bin
/// inside 5 Å, 0 in every bin beyond 7 Å; the order falls to (N − 2)/N after swapping an
/// A and a B atom.
#[test]
fn voids_radial_profile_and_order_of_a_full_sphere() {
    let g = cubic(20, false);
    let c = [10.0, 10.0, 10.0];
    let mut species = vec![VAC; g.len()];
    let sphere = within(&g, c, 6.0);
    for &s in &sphere {
        species[s] = if g.positions()[s][0] < 10.0 { A } else { B };
    }
    let mut an = Analyzer::new(vec![voids_entry(1)]);
    let m = values(&mut an, &g, &species, 0.0);
    let Some(Value::Distribution {
        values: profile,
        edges,
        ..
    }) = m.get("v:radial_density")
    else {
        panic!("no profile")
    };
    assert_eq!(edges.len(), profile.len() + 1);
    assert_eq!(profile.len(), 12);
    for (i, v) in profile.iter().enumerate() {
        if edges[i + 1] <= 5.0 {
            assert_eq!(*v, 1.0, "bin {i}");
        }
        if edges[i] >= 7.0 {
            assert_eq!(*v, 0.0, "bin {i}");
        }
    }
    assert_eq!(scalar(&m, "v:void_count"), 0.0);
    let a = sphere.iter().copied().find(|&s| species[s] == A).unwrap();
    let b = sphere.iter().copied().find(|&s| species[s] == B).unwrap();
    species.swap(a, b);
    let m = values(&mut an, &g, &species, 1.0);
    let n = sphere.len() as f64;
    assert_eq!(scalar(&m, "v:order"), (n - 2.0) / n);
}

fn clusters_entry(max_jump: Option<f64>) -> Entry {
    entry(
        "c",
        Observable::Clusters(Clusters {
            species: SpeciesSet::single(A),
            shells: vec![ShellId(0)],
            region: Region::default(),
            min_size: 1,
            max_jump,
            size_edges: default_size_edges(),
            attached_to: None,
        }),
    )
}

fn site(n: usize, x: usize, y: usize, z: usize) -> usize {
    x + n * y + n * n * z
}

/// Two 2×2×2 clusters separated by a gap merge when a bridge fills it (one coalescence,
/// the merged cluster continues), then the merged cluster is removed (one disappearance).
#[test]
fn clusters_two_blocks_merge_then_disappear() {
    let n = 12;
    let g = cubic(n, true);
    let mut species = vec![VAC; g.len()];
    let block = |species: &mut Vec<SpeciesId>, x0: usize| {
        for x in x0..x0 + 2 {
            for y in 2..4 {
                for z in 2..4 {
                    species[site(n, x, y, z)] = A;
                }
            }
        }
    };
    block(&mut species, 2);
    block(&mut species, 5);
    let mut an = Analyzer::new(vec![clusters_entry(None)]);
    let m = values(&mut an, &g, &species, 0.0);
    assert_eq!(scalar(&m, "c:count"), 2.0);
    assert_eq!(scalar(&m, "c:mean_size"), 8.0);
    // a 2×2×2 block: R_g² = 3 × 0.25 Å².
    assert!((scalar(&m, "c:mean_radius_of_gyration") - 0.75f64.sqrt()).abs() < 1e-12);
    let Some(Value::Distribution { values: h, .. }) = m.get("c:size_histogram") else {
        panic!()
    };
    assert_eq!(h[3], 2.0, "two clusters in [8, 16)");
    // the bridge: x = 4 at (y, z) = (2, 2).
    species[site(n, 4, 2, 2)] = A;
    let m = values(&mut an, &g, &species, 1.0);
    assert_eq!(scalar(&m, "c:count"), 1.0);
    assert_eq!(scalar(&m, "c:max_size"), 17.0);
    assert_eq!(scalar(&m, "c:coalescences"), 1.0);
    assert_eq!(scalar(&m, "c:disappearances"), 0.0);
    assert_eq!(scalar(&m, "c:tracked"), 1.0);
    for s in species.iter_mut() {
        *s = VAC;
    }
    let m = values(&mut an, &g, &species, 2.0);
    assert_eq!(scalar(&m, "c:count"), 0.0);
    assert_eq!(scalar(&m, "c:disappearances"), 1.0);
    assert!(
        scalar(&m, "c:msd").is_nan(),
        "no cluster of frame 0 is left"
    );
}

/// A row of six atoms (x = 0…5 Å) on two kinds, left (x < 3) and right (x ≥ 3), linked
/// along shell `a` within each kind and along shell `b` only across the middle pair
/// (x = 2, 3), as a rod's layer and the carbon's are linked by a shell of their own; and a
/// seventh site (x = −1) linked to x = 0 along shell `c`: the support a cluster touches.
fn two_shell_row() -> SiteGraph {
    let positions: Vec<[f64; 3]> = (-1..6).map(|x| [f64::from(x), 0.0, 0.0]).collect();
    let kinds: Vec<KindId> = (-1..6).map(|x| KindId(u16::from(x >= 3))).collect();
    let names = GraphNames {
        shells: vec!["a".into(), "b".into(), "c".into()],
        kinds: vec!["left".into(), "right".into()],
        domains: vec!["p/row".into()],
    };
    let b = SimulationBox {
        origin: [-1.0, 0.0, 0.0],
        edges: [[7.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        periodic: [false; 3],
    };
    let mut builder =
        SiteGraphBuilder::new(positions, kinds, vec![DomainId(0); 7], names, b).unwrap();
    // site i is at x = i − 1; the support is site 0
    for i in 0..7u32 {
        let x = i64::from(i) - 1;
        let same = |y: i64| y >= 0 && (x < 3) == (y < 3);
        let a: Vec<SiteId> = if x < 0 {
            vec![]
        } else {
            [x - 1, x + 1]
                .into_iter()
                .filter(|&y| (0..6).contains(&y) && same(y))
                .map(|y| SiteId(u32::try_from(y + 1).unwrap()))
                .collect()
        };
        let b: Vec<SiteId> = match x {
            2 => vec![SiteId(4)],
            3 => vec![SiteId(3)],
            _ => vec![],
        };
        let c: Vec<SiteId> = match x {
            -1 => vec![SiteId(1)],
            0 => vec![SiteId(0)],
            _ => vec![],
        };
        builder.set_neighbors(SiteId(i), &[a, b, c]).unwrap();
    }
    builder.finish().unwrap()
}

/// `shells` joins clusters along any of its relations, and `attached_to` splits the atoms
/// into those of clusters in contact with the support (a B atom along shell `c`) and the
/// rest: along `a` alone the row is two clusters (3 attached, 3 free); along `a` and `b`
/// one attached cluster of 6; with the atom at x = 2 removed, the three right atoms are a
/// free cluster again; with the support removed, nothing is attached.
#[test]
fn clusters_join_along_several_shells_and_split_attached_from_free() {
    let g = two_shell_row();
    let entry_with = |name: &str, shells: Vec<ShellId>| {
        entry(
            name,
            Observable::Clusters(Clusters {
                species: SpeciesSet::single(A),
                shells,
                region: Region::default(),
                min_size: 1,
                max_jump: None,
                size_edges: default_size_edges(),
                attached_to: Some(Attachment {
                    shell: ShellId(2),
                    species: SpeciesSet::single(B),
                }),
            }),
        )
    };
    let mut an = Analyzer::new(vec![
        entry_with("one", vec![ShellId(0)]),
        entry_with("both", vec![ShellId(0), ShellId(1)]),
    ]);
    let mut species = vec![A; 7];
    species[0] = B;
    let m = values(&mut an, &g, &species, 0.0);
    assert_eq!(scalar(&m, "one:count"), 2.0);
    assert_eq!(scalar(&m, "one:attached_atoms"), 3.0);
    assert_eq!(scalar(&m, "one:free_atoms"), 3.0);
    assert_eq!(scalar(&m, "one:free_count"), 1.0);
    assert_eq!(scalar(&m, "both:count"), 1.0);
    assert_eq!(scalar(&m, "both:attached_atoms"), 6.0);
    assert_eq!(scalar(&m, "both:free_atoms"), 0.0);
    assert_eq!(scalar(&m, "both:free_count"), 0.0);
    species[3] = VAC; // the atom at x = 2
    let m = values(&mut an, &g, &species, 1.0);
    assert_eq!(scalar(&m, "both:count"), 2.0);
    assert_eq!(scalar(&m, "both:attached_atoms"), 2.0);
    assert_eq!(scalar(&m, "both:free_atoms"), 3.0);
    assert_eq!(scalar(&m, "both:free_count"), 1.0);
    species[0] = VAC; // the support
    let m = values(&mut an, &g, &species, 2.0);
    assert_eq!(scalar(&m, "both:attached_atoms"), 0.0);
    assert_eq!(scalar(&m, "both:free_atoms"), 5.0);
}

/// A single atom hops +x across the periodic boundary (x = 9 → 0 → 1 in a 10 Å box): its
/// centre is unwrapped, so the MSD is (2 Å)² = 4 Å², not (8 Å)²; with `max_jump` below the
/// hop it is lost instead (one disappearance, one appearance).
#[test]
fn clusters_tagged_atom_msd_unwraps_periodic_hops() {
    let n = 10;
    let g = cubic(n, true);
    let place = |x: usize| {
        let mut s = vec![VAC; g.len()];
        s[site(n, x, 5, 5)] = A;
        s
    };
    let mut an = Analyzer::new(vec![clusters_entry(None)]);
    values(&mut an, &g, &place(9), 0.0);
    let m = values(&mut an, &g, &place(0), 1.0);
    assert!((scalar(&m, "c:msd") - 1.0).abs() < 1e-12);
    let m = values(&mut an, &g, &place(1), 2.0);
    assert!((scalar(&m, "c:msd") - 4.0).abs() < 1e-12);
    assert_eq!(scalar(&m, "c:disappearances"), 0.0);
    let mut an = Analyzer::new(vec![clusters_entry(Some(0.5))]);
    values(&mut an, &g, &place(9), 0.0);
    let m = values(&mut an, &g, &place(0), 1.0);
    assert_eq!(scalar(&m, "c:disappearances"), 1.0);
    assert_eq!(scalar(&m, "c:appearances"), 1.0);
    assert_eq!(scalar(&m, "c:tracked"), 0.0);
}

/// The gyration tensor of an 8 × 4 × 4 box of atoms: variances (n² − 1)/12 per axis, so
/// R_g² = (63 + 15 + 15)/12 Å² and the aspect ratio is √(63/15); surface atoms are those
/// with a vacant neighbour (8·4·4 − 6·2·2 interior ones).
#[test]
fn shape_box_of_atoms_has_exact_gyration_tensor() {
    let n = 12;
    let g = cubic(n, false);
    let mut species = vec![VAC; g.len()];
    for x in 2..10 {
        for y in 4..8 {
            for z in 4..8 {
                species[site(n, x, y, z)] = A;
            }
        }
    }
    let mut an = Analyzer::new(vec![entry(
        "s",
        Observable::Shape(Shape {
            species: None,
            region: Region::default(),
            shell: Some(ShellId(0)),
        }),
    )]);
    let m = values(&mut an, &g, &species, 0.0);
    assert!((scalar(&m, "s:radius_of_gyration") - (93.0f64 / 12.0).sqrt()).abs() < 1e-12);
    assert!((scalar(&m, "s:aspect_ratio") - (63.0f64 / 15.0).sqrt()).abs() < 1e-12);
    assert_eq!(scalar(&m, "s:surface_atoms"), (128 - 6 * 2 * 2) as f64);
}

/// The net rate into the upper domain: 7 atoms of B more after 2 ms is 3500 atoms/s; the
/// first frame has no rate.
#[test]
fn fluxes_net_rate_between_frames() {
    let g = cubic(6, false);
    let mut species = vec![VAC; g.len()];
    let mut an = Analyzer::new(vec![entry(
        "f",
        Observable::Fluxes(Fluxes {
            domains: vec![(DomainId(1), "p|high".into())],
            species: vec![(B, "B".into())],
        }),
    )]);
    let m = values(&mut an, &g, &species, 1e-3);
    assert!(scalar(&m, "f:p|high:B:rate").is_nan());
    let high: Vec<usize> = (0..g.len())
        .filter(|&s| g.domains()[s] == DomainId(1))
        .take(7)
        .collect();
    for s in high {
        species[s] = B;
    }
    let m = values(&mut an, &g, &species, 3e-3);
    assert_eq!(scalar(&m, "f:p|high:B"), 7.0);
    assert!((scalar(&m, "f:p|high:B:rate") - 3500.0).abs() < 1e-9);
}

/// A spherical region about the atoms' centroid counts exactly the sites within it.
#[test]
fn composition_shell_about_atom_centroid() {
    let g = cubic(20, false);
    let c = [10.0, 10.0, 10.0];
    let mut species = vec![VAC; g.len()];
    for s in within(&g, c, 6.0) {
        species[s] = A;
    }
    let mut an = Analyzer::new(vec![entry(
        "core",
        Observable::Composition(Composition {
            region: Region {
                shape: Some(RegionShape::Shell {
                    center: Center::Atoms,
                    inner: 2.0,
                    outer: 4.0,
                }),
                ..Region::default()
            },
            species: vec![(A, "A".into())],
            per: None,
        }),
    )]);
    let m = values(&mut an, &g, &species, 0.0);
    let expected = within(&g, c, 4.0).len() - within(&g, c, 2.0).len();
    assert_eq!(scalar(&m, "core:sites"), expected as f64);
    assert_eq!(scalar(&m, "core:A"), expected as f64);
}

fn facets_entry(families: &[&str], max_angle_deg: f64) -> Entry {
    let cell = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    entry(
        "f",
        Observable::Facets(Facets {
            species: None,
            region: Region::default(),
            shell: ShellId(0),
            families: families
                .iter()
                .map(|t| Family::parse(t, &cell).unwrap())
                .collect(),
            max_angle: max_angle_deg.to_radians(),
        }),
    )
}

/// An `m`³ cube of atoms (`m` = 7, spacing 1 Å) in a vacant lattice: each face has
/// (m − 2)² atoms whose only vacant neighbour is along the face normal, and their hull is
/// a square of side m − 3; edge atoms (normal at 45°) and corners (54.7°) belong to no
/// {100} facet at 15°, corners are {111} but a single atom has no area.
#[test]
fn facets_cube_has_six_square_100_facets() {
    let (n, m) = (11, 7);
    let g = cubic(n, false);
    let mut species = vec![VAC; g.len()];
    for x in 2..2 + m {
        for y in 2..2 + m {
            for z in 2..2 + m {
                species[site(n, x, y, z)] = A;
            }
        }
    }
    let mut an = Analyzer::new(vec![facets_entry(&["{100}", "{111}"], 15.0)]);
    let v = values(&mut an, &g, &species, 0.0);
    let side = (m - 3) as f64;
    assert_eq!(
        scalar(&v, "f:surface_atoms"),
        (m * m * m - 5 * 5 * 5) as f64
    );
    assert_eq!(scalar(&v, "f:atoms:{100}"), (6 * (m - 2) * (m - 2)) as f64);
    assert!((scalar(&v, "f:area:{100}") - 6.0 * side * side).abs() < 1e-9);
    assert_eq!(scalar(&v, "f:patches:{100}"), 6.0);
    assert_eq!(scalar(&v, "f:atoms:{111}"), 8.0);
    assert_eq!(scalar(&v, "f:area:{111}"), 0.0);
    assert_eq!(scalar(&v, "f:unassigned_atoms"), (12 * (m - 2)) as f64);
    // One plane only: the +z face.
    let mut one = Analyzer::new(vec![facets_entry(&["(001)"], 15.0)]);
    let v = values(&mut one, &g, &species, 0.0);
    assert!((scalar(&v, "f:area:(001)") - side * side).abs() < 1e-9);
}

/// The octahedron |x| + |y| + |z| ≤ R about the centre of the lattice: the atoms with
/// x + y + z = R and every coordinate ≥ 1 (relative to the centre) have vacant neighbours
/// along +x, +y, +z only, so their normal is exactly [111]; the face is the triangle with
/// corners (R − 2, 1, 1) and permutations, side (R − 3)√2, area (√3/2)(R − 3)².
#[test]
fn facets_octahedron_has_eight_triangular_111_facets() {
    let (n, r) = (17i64, 7i64);
    let g = cubic(n as usize, false);
    let mut species = vec![VAC; g.len()];
    let c = n / 2;
    let mut face_atoms = 0;
    for x in 0..n {
        for y in 0..n {
            for z in 0..n {
                let (dx, dy, dz) = (x - c, y - c, z - c);
                let l1 = dx.abs() + dy.abs() + dz.abs();
                if l1 <= r {
                    species[site(n as usize, x as usize, y as usize, z as usize)] = A;
                    if l1 == r && dx != 0 && dy != 0 && dz != 0 {
                        face_atoms += 1;
                    }
                }
            }
        }
    }
    let mut an = Analyzer::new(vec![facets_entry(&["{111}", "{100}"], 15.0)]);
    let v = values(&mut an, &g, &species, 0.0);
    let expected = 8.0 * 3f64.sqrt() / 2.0 * ((r - 3) * (r - 3)) as f64;
    assert_eq!(scalar(&v, "f:atoms:{111}"), f64::from(face_atoms));
    assert!((scalar(&v, "f:area:{111}") - expected).abs() < 1e-9);
    assert_eq!(scalar(&v, "f:patches:{111}"), 8.0);
    // The six vertices have normals along ±x, ±y, ±z: single atoms, no area.
    assert_eq!(scalar(&v, "f:atoms:{100}"), 6.0);
    assert_eq!(scalar(&v, "f:area:{100}"), 0.0);
}

/// A slab of atoms z = 0, 1, 2 filling a periodic box: the bottom plane's vacant
/// neighbours sit across the boundary at z = n − 1, so its normal is −z only under the
/// minimum image (without it, +z); each plane is one patch.
#[test]
fn facets_periodic_slab_normals_follow_the_minimum_image() {
    let n = 8;
    let g = cubic(n, true);
    let mut species = vec![VAC; g.len()];
    for x in 0..n {
        for y in 0..n {
            for z in 0..3 {
                species[site(n, x, y, z)] = A;
            }
        }
    }
    let mut an = Analyzer::new(vec![facets_entry(&["(001)", "(00-1)"], 15.0)]);
    let v = values(&mut an, &g, &species, 0.0);
    assert_eq!(scalar(&v, "f:surface_atoms"), (2 * n * n) as f64);
    assert_eq!(scalar(&v, "f:atoms:(001)"), (n * n) as f64);
    assert_eq!(scalar(&v, "f:atoms:(00-1)"), (n * n) as f64);
    assert_eq!(scalar(&v, "f:unassigned_atoms"), 0.0);
    assert_eq!(scalar(&v, "f:patches:(001)"), 1.0);
    assert_eq!(scalar(&v, "f:patches:(00-1)"), 1.0);
}
