//! Lattice move vectors of cluster moves (`vectors`, `vector_phase` of a `cluster_move`
//! rule): rigid translations by listed vectors of a phase's lattice, turned with the
//! orientation of each domain of that lattice, instead of the vectors of a neighbour shell.
//!
//! Why: a cluster on a facet of another crystal (Au on a `CdSe` rod) keeps every contact with
//! the facet only when it moves by a vector of the *coincidence* lattice of the two
//! crystals, which may be several neighbour distances long (the rod's c = 7.01 Å along a
//! `CdSe` rod) and must lie in the facet plane. A neighbour shell that long would enter
//! every event's refresh (it runs over all shells); a table of the listed vectors does not.
//!
//! # Resolution
//! The vectors are written in the cell of `vector_phase` (fractions of a, b, c, or four
//! Miller–Bravais indices). A model holding such a rule is tied to a geometry by
//! [`Model::resolve_move_vectors`] (called by `Scenario::build_system`): every domain whose
//! cell has the metric of the phase's cell (the same lengths and angles: the same lattice,
//! in any orientation) gets the vectors turned with its cell, and every site of such a
//! domain gets, per vector, the site at exactly that displacement (to 10⁻³ Å, minimum
//! image in a periodic box), or none. Sites of other domains get none: clusters they own
//! do not move by this rule. Until it is resolved, a rule with vectors moves nothing.

use kiddo::SquaredEuclidean;
use kiddo::immutable::float::kdtree::ImmutableKdTree;

use super::{Action, Model};
use crate::error::{Error, Result};
use crate::sites::{MinImage, SiteGraph, SiteId};

/// Largest distance [Å] between a site and the displaced position for the site to count as
/// the destination.
const POSITION_TOLERANCE: f64 = 1e-3;

/// Largest relative difference of two cell metrics (Gram matrices) of the same lattice.
const METRIC_TOLERANCE: f64 = 1e-6;

/// No destination.
pub const NO_SITE: u32 = u32::MAX;

/// The move vectors of one cluster rule, as the rule stores them ([`super::ClusterMove`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VectorSet {
    /// Index into [`Model::move_vectors`].
    pub index: u16,
    /// Number of vectors (the rule's slots per owner).
    pub count: u16,
}

/// Lattice vectors of a cluster rule and, once resolved, their destinations per site.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveVectors {
    /// The phase whose cell the vectors are written in.
    pub phase: String,
    /// That phase's cell, rows a, b, c in the crystal frame [Å].
    pub cell: [[f64; 3]; 3],
    /// The vectors in cell coordinates (fractions of a, b, c); closed under negation.
    pub uvw: Vec<[f64; 3]>,
    /// Per domain, the vectors in the box frame [Å]; empty for a domain of another
    /// lattice (filled by [`Model::resolve_move_vectors`]).
    pub per_domain: Vec<Vec<[f64; 3]>>,
    /// Destination of site `s` by vector `k` at `s · count + k`, or [`NO_SITE`].
    pub targets: Vec<u32>,
}

impl MoveVectors {
    /// The site at vector `k` from `site`, once resolved.
    #[inline]
    #[must_use]
    pub fn target(&self, site: SiteId, k: usize) -> Option<SiteId> {
        let n = self.uvw.len();
        self.targets
            .get(site.index() * n + k)
            .copied()
            .filter(|&t| t != NO_SITE)
            .map(SiteId)
    }

    /// Index of the vector opposite to vector `k` (the list is closed under negation).
    #[must_use]
    pub fn opposite(&self, k: usize) -> Option<usize> {
        let v = self.uvw.get(k)?;
        self.uvw
            .iter()
            .position(|w| (0..3).all(|i| (w[i] + v[i]).abs() < 1e-9))
    }
}

/// The Gram matrix (metric) of a cell given as rows.
fn gram(cell: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut g = [[0.0; 3]; 3];
    for (i, row) in g.iter_mut().enumerate() {
        for (j, x) in row.iter_mut().enumerate() {
            *x = (0..3).map(|k| cell[i][k] * cell[j][k]).sum();
        }
    }
    g
}

/// Whether two cells (rows) have the same metric (lengths and angles).
fn same_metric(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> bool {
    let (ga, gb) = (gram(a), gram(b));
    let scale = (0..3).map(|i| ga[i][i]).fold(0.0_f64, f64::max);
    scale.is_finite()
        && scale > 0.0
        && (0..3).all(|i| (0..3).all(|j| (ga[i][j] - gb[i][j]).abs() <= METRIC_TOLERANCE * scale))
}

/// Position lookup over the sites of a graph (minimum image in a periodic box).
struct Finder {
    tree: ImmutableKdTree<f64, u32, 3, 32>,
    image: MinImage,
    origin: [f64; 3],
}

impl Finder {
    fn new(graph: &SiteGraph) -> Self {
        let b = graph.simulation_box();
        Self {
            tree: ImmutableKdTree::new_from_slice(graph.positions()),
            image: MinImage::new(b),
            origin: b.origin,
        }
    }

    /// The site at `p` (to [`POSITION_TOLERANCE`]), trying the periodic images of `p`.
    fn find(&self, p: [f64; 3]) -> Option<u32> {
        let tol2 = POSITION_TOLERANCE * POSITION_TOLERANCE;
        let hit = |q: &[f64; 3]| {
            let n = self.tree.nearest_one::<SquaredEuclidean>(q);
            (n.distance <= tol2).then_some(n.item)
        };
        if let Some(s) = hit(&p) {
            return Some(s);
        }
        if self.image.is_open() {
            return None;
        }
        let f = self.image.fractional([
            p[0] - self.origin[0],
            p[1] - self.origin[1],
            p[2] - self.origin[2],
        ]);
        let mut q = p;
        for a in (0..3).filter(|&a| self.image.periodic(a)) {
            let n = f[a].floor();
            let e = self.image.edge(a);
            for (x, e) in q.iter_mut().zip(e) {
                *x -= n * e;
            }
        }
        if let Some(s) = hit(&q) {
            return Some(s);
        }
        // a point on a face may be stored at the opposite face.
        for a in (0..3).filter(|&a| self.image.periodic(a)) {
            let e = self.image.edge(a);
            for sign in [-1.0, 1.0] {
                let mut r = q;
                for (x, e) in r.iter_mut().zip(e) {
                    *x += sign * e;
                }
                if let Some(s) = hit(&r) {
                    return Some(s);
                }
            }
        }
        None
    }
}

impl Model {
    /// Ties the lattice move vectors of the cluster rules to `graph`, whose domains have
    /// the cells `cells` (rows a, b, c in the box frame, one per domain in the graph's
    /// domain order; `NaN` for a domain without a lattice): see the module documentation.
    ///
    /// # Errors
    /// When `cells` does not have one cell per domain of the graph.
    pub fn resolve_move_vectors(
        &mut self,
        graph: &SiteGraph,
        cells: &[[[f64; 3]; 3]],
    ) -> Result<()> {
        if self.move_vectors.is_empty() {
            return Ok(());
        }
        let domains = graph.domain_names().len();
        if cells.len() != domains {
            return Err(Error::build(
                "cluster move vectors",
                format!("{} domain cells given for {domains} domains", cells.len()),
            ));
        }
        let finder = Finder::new(graph);
        for set in &mut self.move_vectors {
            set.per_domain = cells
                .iter()
                .map(|cell| {
                    if same_metric(cell, &set.cell) {
                        set.uvw
                            .iter()
                            .map(|u| {
                                let mut v = [0.0; 3];
                                for (i, x) in v.iter_mut().enumerate() {
                                    *x = u[0] * cell[0][i] + u[1] * cell[1][i] + u[2] * cell[2][i];
                                }
                                v
                            })
                            .collect()
                    } else {
                        Vec::new()
                    }
                })
                .collect();
            let n = set.uvw.len();
            set.targets = vec![NO_SITE; graph.len() * n];
            for s in 0..graph.len() {
                #[allow(clippy::cast_possible_truncation)]
                let site = SiteId(s as u32);
                let vs = &set.per_domain[graph.domain(site).index()];
                if vs.is_empty() {
                    continue;
                }
                let p = graph.position(site);
                for (k, v) in vs.iter().enumerate() {
                    if let Some(t) = finder.find([p[0] + v[0], p[1] + v[1], p[2] + v[2]]) {
                        set.targets[s * n + k] = t;
                    }
                }
            }
        }
        Ok(())
    }

    /// The move vectors of cluster rule `rule`, if it has any.
    #[must_use]
    pub fn rule_vectors(&self, rule: usize) -> Option<&MoveVectors> {
        match self.rules.get(rule)?.action {
            Action::ClusterMove(c) => c
                .vectors
                .and_then(|v| self.move_vectors.get(usize::from(v.index))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_ignores_rotation_and_tells_lattices_apart() {
        let hex = [[2.866, 0.0, 0.0], [-1.433, 2.482, 0.0], [0.0, 0.0, 7.01]];
        let r = crate::lattice::orientation::axis_angle([1.0, 2.0, 3.0], 0.7).unwrap();
        let turned = hex.map(|v| crate::lattice::orientation::rotate(r, v));
        assert!(same_metric(&hex, &turned));
        let cubic = [[4.078, 0.0, 0.0], [0.0, 4.078, 0.0], [0.0, 0.0, 4.078]];
        assert!(!same_metric(&hex, &cubic));
        assert!(!same_metric(&[[f64::NAN; 3]; 3], &hex));
    }

    #[test]
    fn opposite_vector() {
        let m = MoveVectors {
            phase: "x".into(),
            cell: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            uvw: vec![
                [0.0, 0.0, 1.0],
                [1.0, 0.0, 0.0],
                [0.0, 0.0, -1.0],
                [-1.0, 0.0, 0.0],
            ],
            per_domain: Vec::new(),
            targets: Vec::new(),
        };
        assert_eq!(m.opposite(0), Some(2));
        assert_eq!(m.opposite(3), Some(1));
        assert_eq!(m.target(SiteId(0), 0), None);
    }
}
