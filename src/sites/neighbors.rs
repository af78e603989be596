//! Neighbour search: turns a [`SiteList`] into a [`SiteGraph`] by classifying site pairs
//! into neighbour shells by distance.
//!
//! # Rule
//! Site `t` is a neighbour of site `s` in shell `n` when the kind pair
//! `(kind(s), kind(t))` (in either order) is listed in shell `n` with a distance band
//! `[min, max]` [Å] (both ends inclusive) containing the minimum-image distance `|r_t − r_s|`.
//! The same kind pair may appear in several shells only with disjoint bands (otherwise
//! [`build_graph`] returns an error), so a pair belongs to at most one shell. Choose band
//! edges away from actual lattice distances: distances are compared in floating point.
//!
//! # Algorithm
//! 1. Periodic axes: positions are wrapped into the box, and the box height along each
//!    periodic axis must exceed twice the largest cutoff (else an error). This guarantees
//!    that at most one periodic image of a site lies within the cutoff.
//! 2. A kiddo k-d tree is built over the (wrapped) positions, without ghost copies. A site
//!    closer than the cutoff to a periodic face is additionally queried at its shifted
//!    positions `r + Σ n_i e_i`, `n_i ∈ {0, ±1}` (up to 8 queries at a corner).
//! 3. Sites are processed in chunks of [`CHUNK_SITES`]; within a chunk, blocks are searched
//!    in parallel with rayon, then the lists are fed to [`SiteGraphBuilder::set_neighbors`]
//!    in site order. The result is therefore independent of the thread count, and the
//!    explicit lists of only one chunk exist at a time (the builder interns them into
//!    templates).
//!
//! # Extending
//! Other neighbour criteria (e.g. by basis role or by domain) belong in the pair
//! classification of [`ShellTable`]; the search itself only needs the largest cutoff.

use kiddo::SquaredEuclidean;
use kiddo::immutable::float::kdtree::ImmutableKdTree;
use rayon::prelude::*;

use super::{GraphNames, KindId, SimulationBox, SiteGraph, SiteGraphBuilder, SiteId};
use crate::error::{Error, Result};
use crate::lattice::SiteList;
use crate::lattice::crystal::{determinant, inverse_transpose, mat_vec};

/// Sites per chunk whose explicit neighbour lists are held at once.
pub const CHUNK_SITES: usize = 1 << 16;

/// Sites per parallel work item inside a chunk.
const BLOCK_SITES: usize = 1024;

/// One kind pair of a shell with its distance band [Å]. Symmetric in the two kinds.
#[derive(Debug, Clone, PartialEq)]
pub struct ShellPair {
    /// The two site kinds (order does not matter).
    pub kinds: (KindId, KindId),
    /// Smallest distance [Å], inclusive, ≥ 0.
    pub min: f64,
    /// Largest distance [Å], inclusive, > 0 and ≥ `min`.
    pub max: f64,
}

/// A named neighbour shell: the kind pairs and distance bands it contains.
#[derive(Debug, Clone, PartialEq)]
pub struct ShellSpec {
    /// Shell name (e.g. `"nn1"`).
    pub name: String,
    /// The kind pairs with their distance bands.
    pub pairs: Vec<ShellPair>,
}

/// Distance bands per ordered kind pair: `(shell, min, max)`.
struct ShellTable {
    kind_count: usize,
    bands: Vec<Vec<(u8, f64, f64)>>,
    cutoff: f64,
}

impl ShellTable {
    fn new(shells: &[ShellSpec], kind_count: usize) -> Result<Self> {
        let context = "neighbour shells";
        if shells.len() > 255 {
            return Err(Error::build(context, "more than 255 shells"));
        }
        let mut bands = vec![Vec::new(); kind_count * kind_count];
        let mut cutoff: f64 = 0.0;
        for (n, shell) in shells.iter().enumerate() {
            let shell_id = u8::try_from(n).unwrap_or(u8::MAX);
            for pair in &shell.pairs {
                let (a, b) = (pair.kinds.0.index(), pair.kinds.1.index());
                if a >= kind_count || b >= kind_count {
                    return Err(Error::build(
                        context,
                        format!(
                            "shell `{}` uses kind index {} without a name",
                            shell.name,
                            a.max(b)
                        ),
                    ));
                }
                if !(pair.min.is_finite()
                    && pair.max.is_finite()
                    && pair.min >= 0.0
                    && pair.max > 0.0
                    && pair.min <= pair.max)
                {
                    return Err(Error::build(
                        context,
                        format!(
                            "shell `{}` has an invalid band [{}, {}]: need 0 <= min <= max, max > 0",
                            shell.name, pair.min, pair.max
                        ),
                    ));
                }
                cutoff = cutoff.max(pair.max);
                for index in [a * kind_count + b, b * kind_count + a] {
                    let list: &mut Vec<(u8, f64, f64)> = &mut bands[index];
                    if let Some(&(other, _, _)) = list
                        .iter()
                        .find(|&&(s, lo, hi)| s != shell_id && pair.min <= hi && lo <= pair.max)
                    {
                        return Err(Error::build(
                            context,
                            format!(
                                "kind pair ({a}, {b}) has overlapping bands in shells `{}` and `{}`",
                                shells[usize::from(other)].name,
                                shell.name
                            ),
                        ));
                    }
                    if !list.contains(&(shell_id, pair.min, pair.max)) {
                        list.push((shell_id, pair.min, pair.max));
                    }
                    if a == b {
                        break;
                    }
                }
            }
        }
        Ok(Self {
            kind_count,
            bands,
            cutoff,
        })
    }

    #[inline]
    fn classify(&self, a: KindId, b: KindId, distance: f64) -> Option<u8> {
        self.bands[a.index() * self.kind_count + b.index()]
            .iter()
            .find(|&&(_, lo, hi)| lo <= distance && distance <= hi)
            .map(|&(s, _, _)| s)
    }
}

/// Periodic geometry of the box: wrapping and image shifts.
struct Periodicity {
    origin: [f64; 3],
    edges: [[f64; 3]; 3],
    to_fractional: [[f64; 3]; 3],
    periodic: [bool; 3],
    /// Fractional thickness of the face layer whose sites need shifted queries.
    face: [f64; 3],
}

// Loops run over the three axes and index several per-axis arrays at once.
#[allow(clippy::needless_range_loop)]
impl Periodicity {
    fn new(simulation_box: &SimulationBox, cutoff: f64) -> Result<Option<Self>> {
        if !simulation_box.periodic.iter().any(|&p| p) {
            return Ok(None);
        }
        let context = "neighbour search";
        let edges = simulation_box.edges;
        let volume = determinant(edges).abs();
        if !(volume.is_finite() && volume > 0.0) {
            return Err(Error::build(
                context,
                "a periodic box needs three independent edge vectors",
            ));
        }
        let mut face = [0.0; 3];
        for i in 0..3 {
            if !simulation_box.periodic[i] {
                continue;
            }
            let (j, k) = ((i + 1) % 3, (i + 2) % 3);
            let c = [
                edges[j][1] * edges[k][2] - edges[j][2] * edges[k][1],
                edges[j][2] * edges[k][0] - edges[j][0] * edges[k][2],
                edges[j][0] * edges[k][1] - edges[j][1] * edges[k][0],
            ];
            let height = volume / (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt();
            if height <= 2.0 * cutoff {
                return Err(Error::build(
                    context,
                    format!(
                        "the periodic box height {height:.4} Å along axis {i} must exceed twice the largest cutoff ({cutoff} Å)"
                    ),
                ));
            }
            face[i] = cutoff / height;
        }
        // A negative determinant (left-handed edges) is fine: the inverse handles it.
        Ok(Some(Self {
            origin: simulation_box.origin,
            edges,
            to_fractional: inverse_transpose(edges),
            periodic: simulation_box.periodic,
            face,
        }))
    }

    fn fractional(&self, p: [f64; 3]) -> [f64; 3] {
        mat_vec(
            self.to_fractional,
            [
                p[0] - self.origin[0],
                p[1] - self.origin[1],
                p[2] - self.origin[2],
            ],
        )
    }

    /// Wraps `p` into the box along periodic axes; unchanged if already inside.
    fn wrap(&self, p: &mut [f64; 3]) {
        let s = self.fractional(*p);
        for i in 0..3 {
            if self.periodic[i] && !(0.0..1.0).contains(&s[i]) {
                let shift = -s[i].floor();
                for k in 0..3 {
                    p[k] += shift * self.edges[i][k];
                }
            }
        }
    }

    /// The shifted query positions of `p` (itself first).
    fn queries(&self, p: [f64; 3], out: &mut Vec<[f64; 3]>) {
        out.clear();
        out.push(p);
        let s = self.fractional(p);
        for i in 0..3 {
            if !self.periodic[i] {
                continue;
            }
            let shift = if s[i] < self.face[i] {
                1.0
            } else if s[i] > 1.0 - self.face[i] {
                -1.0
            } else {
                continue;
            };
            for q in 0..out.len() {
                let mut image = out[q];
                for k in 0..3 {
                    image[k] += shift * self.edges[i][k];
                }
                out.push(image);
            }
        }
    }
}

/// Neighbour lists of a block of consecutive sites: `counts[site * shells + shell]`, and the
/// neighbours grouped by site, then shell.
struct BlockLists {
    counts: Vec<u32>,
    neighbors: Vec<u32>,
}

/// Builds the [`SiteGraph`] of `sites` with the neighbour `shells` (see the module
/// documentation for the rule). Positions are wrapped into the box along periodic axes.
/// `kind_names` names the kinds used in `sites` and `shells`. The site list is consumed
/// (its positions move into the graph); keep a copy of `inside` and `roles` before the
/// call if they are needed.
///
/// # Errors
/// If a shell band is invalid or overlaps a band of another shell for the same kind pair,
/// a kind has no name, a periodic box is thinner than twice the largest cutoff, or the
/// [`SiteGraphBuilder`] rejects the sites.
pub fn build_graph(
    sites: SiteList,
    shells: &[ShellSpec],
    kind_names: Vec<String>,
) -> Result<SiteGraph> {
    let table = ShellTable::new(shells, kind_names.len())?;
    let periodicity = Periodicity::new(&sites.simulation_box, table.cutoff)?;
    let SiteList {
        mut positions,
        kinds,
        domains,
        domain_names,
        simulation_box,
        ..
    } = sites;
    if let Some(geometry) = &periodicity {
        for p in &mut positions {
            geometry.wrap(p);
        }
    }
    let names = GraphNames {
        shells: shells.iter().map(|s| s.name.clone()).collect(),
        kinds: kind_names,
        domains: domain_names,
    };
    let mut builder = SiteGraphBuilder::new(positions, kinds, domains, names, simulation_box)?;
    let n = builder.len();
    let n_shells = shells.len();
    let tree: Option<ImmutableKdTree<f64, u32, 3, 32>> =
        (n > 0 && table.cutoff > 0.0).then(|| ImmutableKdTree::new_from_slice(builder.positions()));
    let radius2 = table.cutoff * table.cutoff * (1.0 + 1e-12);

    let search_block =
        |positions: &[[f64; 3]], kinds: &[KindId], start: usize, end: usize| -> BlockLists {
            let mut lists = BlockLists {
                counts: Vec::with_capacity((end - start) * n_shells),
                neighbors: Vec::new(),
            };
            let mut per_shell: Vec<Vec<u32>> = vec![Vec::new(); n_shells];
            let mut queries: Vec<[f64; 3]> = Vec::with_capacity(8);
            for s in start..end {
                per_shell.iter_mut().for_each(Vec::clear);
                if let Some(tree) = &tree {
                    let p = positions[s];
                    if let Some(geometry) = &periodicity {
                        geometry.queries(p, &mut queries);
                    } else {
                        queries.clear();
                        queries.push(p);
                    }
                    for (q_index, q) in queries.iter().enumerate() {
                        for found in tree.within_unsorted::<SquaredEuclidean>(q, radius2) {
                            let t = found.item as usize;
                            if t == s && q_index == 0 {
                                continue;
                            }
                            if let Some(shell) =
                                table.classify(kinds[s], kinds[t], found.distance.sqrt())
                            {
                                per_shell[usize::from(shell)].push(found.item);
                            }
                        }
                    }
                }
                for list in &per_shell {
                    lists
                        .counts
                        .push(u32::try_from(list.len()).unwrap_or(u32::MAX));
                    lists.neighbors.extend_from_slice(list);
                }
            }
            lists
        };

    let mut scratch: Vec<Vec<SiteId>> = vec![Vec::new(); n_shells];
    let mut chunk_start = 0;
    while chunk_start < n {
        let chunk_end = (chunk_start + CHUNK_SITES).min(n);
        let blocks: Vec<(usize, usize)> = (chunk_start..chunk_end)
            .step_by(BLOCK_SITES)
            .map(|b| (b, (b + BLOCK_SITES).min(chunk_end)))
            .collect();
        let (positions, kinds) = (builder.positions(), builder.kinds());
        let results: Vec<BlockLists> = blocks
            .par_iter()
            .map(|&(start, end)| search_block(positions, kinds, start, end))
            .collect();
        for ((start, end), lists) in blocks.into_iter().zip(results) {
            let mut cursor = 0;
            for (local, s) in (start..end).enumerate() {
                for (shell, list) in scratch.iter_mut().enumerate() {
                    let count = lists.counts[local * n_shells + shell] as usize;
                    list.clear();
                    list.extend(
                        lists.neighbors[cursor..cursor + count]
                            .iter()
                            .map(|&t| SiteId(t)),
                    );
                    cursor += count;
                }
                // s < n <= u32::MAX, checked by SiteGraphBuilder::new.
                builder.set_neighbors(SiteId(u32::try_from(s).unwrap_or(u32::MAX)), &scratch)?;
            }
        }
        chunk_start = chunk_end;
    }
    drop(tree);
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lattice::{Crystal, periodic_crystal};
    use crate::sites::{DomainId, ShellId};
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn shell(name: &str, pairs: &[(u16, u16, f64, f64)]) -> ShellSpec {
        ShellSpec {
            name: name.into(),
            pairs: pairs
                .iter()
                .map(|&(a, b, min, max)| ShellPair {
                    kinds: (KindId(a), KindId(b)),
                    min,
                    max,
                })
                .collect(),
        }
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("k{i}")).collect()
    }

    /// Kinds per basis site: the index of the site's role in `roles`.
    fn kinds_by_role(c: &Crystal, roles: &[&str]) -> Vec<KindId> {
        c.basis
            .iter()
            .map(|b| {
                KindId(u16::try_from(roles.iter().position(|r| *r == b.role).unwrap()).unwrap())
            })
            .collect()
    }

    /// For every site of kind `of`, the number of neighbours of kind `with` in `shell`.
    fn counts(g: &SiteGraph, shell: u8, of: u16, with: u16) -> Vec<usize> {
        (0..g.len())
            .filter(|&s| g.kinds()[s] == KindId(of))
            .map(|s| {
                g.neighbors(SiteId(u32::try_from(s).unwrap()), ShellId(shell))
                    .filter(|t| g.kind(*t) == KindId(with))
                    .count()
            })
            .collect()
    }

    fn all_equal(values: &[usize], expected: usize) -> bool {
        !values.is_empty() && values.iter().all(|&v| v == expected)
    }

    #[test]
    fn build_graph_simple_crystals_have_bulk_coordination() {
        let cases = [
            (Crystal::fcc(4.0).unwrap(), [4, 4, 4], 2.5, 3.0, 12),
            (Crystal::bcc(3.2).unwrap(), [4, 4, 4], 2.5, 3.0, 8),
            (Crystal::simple_cubic(3.0).unwrap(), [5, 5, 5], 2.5, 3.5, 6),
            (
                Crystal::hcp(3.0, 3.0 * (8.0f64 / 3.0).sqrt()).unwrap(),
                [4, 4, 3],
                2.8,
                3.2,
                12,
            ),
        ];
        for (crystal, repeats, min, max, z) in cases {
            let kinds = vec![KindId(0); crystal.basis.len()];
            let list = periodic_crystal(&crystal, repeats, &kinds, "bulk").unwrap();
            let g = build_graph(list, &[shell("nn", &[(0, 0, min, max)])], names(1)).unwrap();
            assert!(all_equal(&counts(&g, 0, 0, 0), z), "{}", crystal.name);
        }
    }

    #[test]
    fn build_graph_wurtzite_holes_have_tetrahedral_and_octahedral_coordination() {
        let c = Crystal::wurtzite(4.299, 7.01, 0.375).unwrap();
        let kinds = kinds_by_role(&c, &["anion", "cation", "tet_empty", "oct"]);
        let list = periodic_crystal(&c, [4, 4, 3], &kinds, "cdse").unwrap();
        let shells = [
            shell("bond", &[(1, 0, 2.3, 2.9), (2, 0, 2.3, 2.9)]),
            shell("oct", &[(3, 0, 2.9, 3.3)]),
        ];
        let g = build_graph(list, &shells, names(4)).unwrap();
        assert!(all_equal(&counts(&g, 0, 1, 0), 4), "cation: 4 anions");
        assert!(all_equal(&counts(&g, 0, 0, 1), 4), "anion: 4 cations");
        assert!(all_equal(&counts(&g, 0, 2, 0), 4), "T-: 4 anions");
        assert!(all_equal(&counts(&g, 0, 0, 2), 4), "anion: 4 T-");
        assert!(all_equal(&counts(&g, 1, 3, 0), 6), "O: 6 anions");
        assert!(all_equal(&counts(&g, 1, 0, 3), 6), "anion: 6 O");
        // Bond length 2.63 Å.
        let s = SiteId(2);
        let t = g.neighbor(s, ShellId(0), 0);
        let (p, q) = (g.position(s), g.position(t));
        let d = ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt();
        assert!((d - 2.629).abs() < 0.01 || d > 3.0, "{d}");
    }

    #[test]
    fn build_graph_zinc_blende_and_antifluorite_have_expected_coordination() {
        let c = Crystal::zinc_blende(6.05).unwrap();
        let kinds = kinds_by_role(&c, &["anion", "cation", "tet_empty", "oct"]);
        let list = periodic_crystal(&c, [3, 3, 3], &kinds, "zb").unwrap();
        let shells = [
            shell("bond", &[(1, 0, 2.3, 2.8), (2, 0, 2.3, 2.8)]),
            shell("oct", &[(3, 0, 2.9, 3.2)]),
        ];
        let g = build_graph(list, &shells, names(4)).unwrap();
        assert!(all_equal(&counts(&g, 0, 1, 0), 4));
        assert!(all_equal(&counts(&g, 0, 0, 1), 4));
        assert!(all_equal(&counts(&g, 0, 2, 0), 4));
        assert!(all_equal(&counts(&g, 1, 3, 0), 6));

        let c = Crystal::antifluorite(5.859).unwrap();
        let kinds = kinds_by_role(&c, &["anion", "tet", "oct"]);
        let list = periodic_crystal(&c, [3, 3, 3], &kinds, "cu2se").unwrap();
        let shells = [
            shell("bond", &[(1, 0, 2.2, 2.8)]),
            shell("oct", &[(2, 0, 2.85, 3.1)]),
        ];
        let g = build_graph(list, &shells, names(3)).unwrap();
        assert!(all_equal(&counts(&g, 0, 1, 0), 4), "tet: 4 anions");
        assert!(all_equal(&counts(&g, 0, 0, 1), 8), "anion: 8 tet");
        assert!(all_equal(&counts(&g, 1, 2, 0), 6), "oct: 6 anions");
    }

    #[test]
    fn build_graph_cu3p_and_pnma_have_bonded_neighbours() {
        let c = Crystal::cu3p(6.959, 7.143).unwrap();
        let kinds: Vec<KindId> = c
            .basis
            .iter()
            .map(|b| KindId(u16::from(b.role == "p")))
            .collect();
        let list = periodic_crystal(&c, [2, 2, 2], &kinds, "cu3p").unwrap();
        let g = build_graph(list, &[shell("bond", &[(1, 0, 2.2, 2.6)])], names(2)).unwrap();
        let per_p = counts(&g, 0, 1, 0);
        let mut histogram = std::collections::BTreeMap::new();
        for c in &per_p {
            *histogram.entry(*c).or_insert(0) += 1;
        }
        println!("Cu3P: Cu neighbours per P at 2.2-2.6 Å: {histogram:?}");
        assert!(per_p.iter().all(|&n| n >= 3), "{histogram:?}");

        let c = Crystal::pnma_a2bx4(9.76, 7.41, 12.97).unwrap();
        let kinds: Vec<KindId> = c
            .basis
            .iter()
            .map(|b| {
                KindId(match b.role.as_str() {
                    "a1" | "a2" => 0,
                    "b" => 1,
                    _ => 2,
                })
            })
            .collect();
        let list = periodic_crystal(&c, [1, 1, 1], &kinds, "cs2zncl4").unwrap();
        let g = build_graph(list, &[shell("zn_x", &[(1, 2, 1.5, 2.5)])], names(3)).unwrap();
        assert!(all_equal(&counts(&g, 0, 1, 2), 4), "Zn: 4 X");
    }

    #[test]
    fn build_graph_invalid_shells_are_rejected() {
        let c = Crystal::fcc(4.0).unwrap();
        let list = || periodic_crystal(&c, [3, 3, 3], &[KindId(0); 4], "bulk").unwrap();
        let overlapping = [
            shell("a", &[(0, 0, 2.0, 3.0)]),
            shell("b", &[(0, 0, 2.9, 4.1)]),
        ];
        assert!(build_graph(list(), &overlapping, names(1)).is_err());
        let disjoint = [
            shell("a", &[(0, 0, 2.0, 3.0)]),
            shell("b", &[(0, 0, 3.5, 4.1)]),
        ];
        let g = build_graph(list(), &disjoint, names(1)).unwrap();
        assert_eq!(g.neighbor_count(SiteId(0), ShellId(1)), 6);
        assert!(build_graph(list(), &[shell("a", &[(0, 1, 2.0, 3.0)])], names(1)).is_err());
        assert!(build_graph(list(), &[shell("a", &[(0, 0, 3.0, 2.0)])], names(1)).is_err());
        // The box height 12 Å is not more than twice the 6.5 Å cutoff.
        assert!(build_graph(list(), &[shell("a", &[(0, 0, 2.0, 6.5)])], names(1)).is_err());
    }

    #[test]
    fn periodic_crystal_fcc_templates_are_few() {
        let c = Crystal::fcc(4.0).unwrap();
        let list = periodic_crystal(&c, [14; 3], &[KindId(0); 4], "bulk").unwrap();
        assert_eq!(list.len(), 10_976);
        let g = build_graph(list, &[shell("nn", &[(0, 0, 2.5, 3.0)])], names(1)).unwrap();
        println!("fcc L=14: {} templates", g.template_count());
        // two nearest-neighbour steps reach at most one cell further along each axis, so a
        // template depends on the basis site and on whether the cell is the first, second,
        // last but one, last or any other along each axis.
        assert!(g.template_count() <= 4 * 5 * 5 * 5);
        assert_refined(&g);
        let list = periodic_crystal(&c, [29; 3], &[KindId(0); 4], "bulk").unwrap();
        assert_eq!(list.len(), 97_556);
        let g = build_graph(list, &[shell("nn", &[(0, 0, 2.5, 3.0)])], names(1)).unwrap();
        assert!(all_equal(&counts(&g, 0, 0, 0), 12));
        println!("fcc L=29: {} templates", g.template_count());
    }

    /// Checks the refinement of templates: from two sites with equal templates, every path
    /// of up to [`crate::sites::TEMPLATE_DEPTH`] steps reaches sites with the same
    /// neighbour offsets.
    fn assert_refined(g: &SiteGraph) {
        fn walk(g: &SiteGraph, a: SiteId, b: SiteId, depth: usize) {
            for shell in 0..g.shell_count() {
                #[allow(clippy::cast_possible_truncation)]
                let shell = ShellId(shell as u8);
                let da: Vec<i64> = g
                    .neighbors(a, shell)
                    .map(|k| i64::from(k.0) - i64::from(a.0))
                    .collect();
                let db: Vec<i64> = g
                    .neighbors(b, shell)
                    .map(|k| i64::from(k.0) - i64::from(b.0))
                    .collect();
                assert_eq!(da, db, "sites {} and {}", a.0, b.0);
                if depth > 0 {
                    for (ka, kb) in g.neighbors(a, shell).zip(g.neighbors(b, shell)) {
                        walk(g, ka, kb, depth - 1);
                    }
                }
            }
        }
        let mut first: HashMap<u32, SiteId> = HashMap::new();
        for s in 0..g.len() {
            #[allow(clippy::cast_possible_truncation)]
            let site = SiteId(s as u32);
            let reference = *first.entry(g.template(site)).or_insert(site);
            walk(g, reference, site, crate::sites::TEMPLATE_DEPTH);
        }
    }

    #[test]
    fn build_graph_stacked_particle_builds() {
        use crate::lattice::{Assembly, Segment, Shape, Tip, stacked_particle};
        let cdse = Crystal::wurtzite(4.299, 7.01, 0.375).unwrap();
        let cu3p = Crystal::cu3p(6.959, 7.143).unwrap();
        let cdse_kinds = kinds_by_role(&cdse, &["anion", "cation", "tet_empty", "oct"]);
        let cu3p_kinds: Vec<KindId> = cu3p
            .basis
            .iter()
            .map(|b| KindId(if b.role == "p" { 4 } else { 5 }))
            .collect();
        let particle = stacked_particle(
            "sandwich",
            &Shape::HexRod {
                radius: 12.0,
                length: 45.0,
                tip: Tip::Rounded,
            },
            vec![
                Segment::new("cdse_bottom", cdse.clone(), cdse_kinds.clone(), 15.0),
                Segment::new("cu3p", cu3p, cu3p_kinds, 15.0),
                Segment::new("cdse_top", cdse, cdse_kinds, 15.0),
            ],
            2.5,
        )
        .unwrap();
        let list = Assembly {
            particles: vec![(particle, [0.0; 3])],
            substrate: None,
            box_padding: 5.0,
            periodic: [false; 3],
            min_separation: 1.5,
            adlayers: Vec::new(),
        }
        .build()
        .unwrap();
        let n = list.len();
        let shells = [shell(
            "bond",
            &[
                (1, 0, 2.3, 2.9),
                (2, 0, 2.3, 2.9),
                (5, 4, 2.2, 2.6),
                (5, 0, 2.2, 2.9),
                (1, 4, 2.2, 2.9),
            ],
        )];
        let g = build_graph(list, &shells, names(6)).unwrap();
        assert_eq!(g.len(), n);
        assert_refined(&g);
        assert_eq!(g.domain_names().len(), 3);
        assert!(g.domains().contains(&DomainId(1)));
    }

    /// Brute-force minimum-image search over the 27 images.
    fn brute_force(list: &SiteList, table: &ShellTable) -> Vec<Vec<Vec<u32>>> {
        let n = list.len();
        let e = list.simulation_box.edges;
        let mut out = vec![vec![Vec::new(); 2]; n];
        for (s, row) in out.iter_mut().enumerate() {
            for t in 0..n {
                if s == t {
                    continue;
                }
                let mut best = f64::INFINITY;
                for i in -1..=1_i32 {
                    for j in -1..=1_i32 {
                        for k in -1..=1_i32 {
                            let shift = [i, j, k];
                            if (0..3).any(|a| shift[a] != 0 && !list.simulation_box.periodic[a]) {
                                continue;
                            }
                            let mut d = [0.0; 3];
                            for a in 0..3 {
                                d[a] = list.positions[t][a] - list.positions[s][a]
                                    + f64::from(i) * e[0][a]
                                    + f64::from(j) * e[1][a]
                                    + f64::from(k) * e[2][a];
                            }
                            best = best.min((d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt());
                        }
                    }
                }
                if let Some(shell) = table.classify(list.kinds[s], list.kinds[t], best) {
                    row[usize::from(shell)].push(u32::try_from(t).unwrap());
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn build_graph_random_cloud_matches_brute_force(
            points in prop::collection::vec(((0.0..1.0f64, 0.0..1.0f64, 0.0..1.0f64), 0..3u16), 1..80),
            size in (7.0..14.0f64, 7.0..14.0f64, 7.0..14.0f64),
            tilt in -3.0..3.0f64,
            periodic in (any::<bool>(), any::<bool>(), any::<bool>()),
            split in 1.0..2.5f64,
        ) {
            let edges = [[size.0, 0.0, 0.0], [tilt, size.1, 0.0], [0.0, 0.0, size.2]];
            let positions: Vec<[f64; 3]> = points
                .iter()
                .map(|((x, y, z), _)| [x * edges[0][0] + y * edges[1][0], y * edges[1][1], z * edges[2][2]])
                .collect();
            let kinds: Vec<KindId> = points.iter().map(|(_, k)| KindId(*k)).collect();
            let n = positions.len();
            let list = SiteList {
                positions,
                kinds,
                domains: vec![DomainId(0); n],
                inside: vec![true; n],
                roles: vec![0; n],
                domain_names: vec!["cloud".into()],
                simulation_box: SimulationBox { origin: [0.0; 3], edges, periodic: [periodic.0, periodic.1, periodic.2] },
            };
            let shells = [
                shell("near", &[(0, 0, 0.0, split), (0, 1, 0.5, split), (2, 2, 0.0, 3.0)]),
                shell("far", &[(0, 0, split + 0.01, 3.3), (1, 2, 0.0, 3.3), (1, 1, 0.0, 3.3)]),
            ];
            let table = ShellTable::new(&shells, 3).unwrap();
            let expected = brute_force(&list, &table);
            let g = build_graph(list, &shells, names(3)).unwrap();
            for (s, lists) in expected.iter().enumerate() {
                for (shell, list) in lists.iter().enumerate() {
                    let mut got: Vec<u32> = g
                        .neighbors(SiteId(u32::try_from(s).unwrap()), ShellId(u8::try_from(shell).unwrap()))
                        .map(|t| t.0)
                        .collect();
                    got.sort_unstable();
                    let mut want = list.clone();
                    want.sort_unstable();
                    prop_assert_eq!(got, want, "site {} shell {}", s, shell);
                }
            }
        }
    }

    /// Builds the 10⁶-site periodic fcc graph and reports the time:
    /// `cargo test --release --lib fcc_million -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing run, release mode"]
    // bytes per site for a report: counts far below 2^52, `usize as f64` is exact.
    #[allow(clippy::cast_precision_loss)]
    fn build_graph_fcc_million_sites_timing() {
        let c = Crystal::fcc(4.0).unwrap();
        let start = std::time::Instant::now();
        let list = periodic_crystal(&c, [63; 3], &[KindId(0); 4], "bulk").unwrap();
        let t_list = start.elapsed();
        let n = list.len();
        let g = build_graph(list, &[shell("nn", &[(0, 0, 2.5, 3.0)])], names(1)).unwrap();
        // `elapsed` is monotonic, so this never saturates.
        let t_graph = start.elapsed().saturating_sub(t_list);
        println!(
            "fcc 63^3 cells: {n} sites, list {:.3} s, graph {:.3} s, {} templates, {} graph bytes ({:.1} B/site), threads {}",
            t_list.as_secs_f64(),
            t_graph.as_secs_f64(),
            g.template_count(),
            g.memory_bytes(),
            g.memory_bytes() as f64 / n as f64,
            rayon::current_num_threads()
        );
        assert!(all_equal(&counts(&g, 0, 0, 0), 12));
    }
}
