//! `type = "shape"`: the size and shape of the atoms of a region from their gyration tensor
//! `S = ⟨(r − c)(r − c)ᵀ⟩` (every atom of weight 1, `c` their centroid, positions as stored,
//! so the region should hold one particle in an open box): the radius of gyration
//! `R_g = √(λ₁ + λ₂ + λ₃)`, the principal radii `√λ₁ ≥ √λ₂ ≥ √λ₃`, the aspect ratio
//! `√(λ₁/λ₃)` (1 for a sphere, the length-to-width ratio for a rod up to a form factor) and,
//! with a `shell`, the number of surface atoms (atoms with a vacant neighbour in it).

use nalgebra::Matrix3;

use super::region::Region;
use super::{Frame, Measurement, mean};
use crate::model::SpeciesSet;
use crate::sites::{ShellId, SiteId};

/// A shape entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// Atoms considered (`None`: every species).
    pub species: Option<SpeciesSet>,
    /// Where.
    pub region: Region,
    /// Shell defining surface atoms (`None`: not counted).
    pub shell: Option<ShellId>,
}

impl Shape {
    /// Appends `atoms`, `radius_of_gyration`, `principal_radius_1..3`, `aspect_ratio` and,
    /// with a shell, `surface_atoms` and `surface_fraction`.
    // two passes over the sites and one report, in order; nothing worth a function of its own.
    #[allow(clippy::too_many_lines, clippy::needless_range_loop)]
    pub fn measure(&self, frame: &Frame, name: &str, out: &mut Vec<Measurement>) {
        let graph = frame.graph;
        let positions = graph.positions();
        let region = self.region.resolve(|| frame.atom_centroid());
        let everywhere = self.region.is_everything();
        let selected = |i: usize| {
            let s = frame.species[i];
            #[allow(clippy::cast_possible_truncation)]
            let in_region = everywhere || region.contains(graph, SiteId(i as u32));
            !s.is_vacancy() && self.species.is_none_or(|set| set.contains(s)) && in_region
        };
        let mut n = 0u64;
        let mut sum = [0.0; 3];
        let mut surface = 0u64;
        for i in 0..frame.species.len() {
            if !selected(i) {
                continue;
            }
            n += 1;
            for a in 0..3 {
                sum[a] += positions[i][a];
            }
            #[allow(clippy::cast_possible_truncation)]
            if let Some(shell) = self.shell
                && graph
                    .neighbors(SiteId(i as u32), shell)
                    .any(|m| frame.species[m.index()].is_vacancy())
            {
                surface += 1;
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let c = sum.map(|x| x / n.max(1) as f64);
        let mut s = Matrix3::<f64>::zeros();
        for i in 0..frame.species.len() {
            if !selected(i) {
                continue;
            }
            let d = [
                positions[i][0] - c[0],
                positions[i][1] - c[1],
                positions[i][2] - c[2],
            ];
            for a in 0..3 {
                for b in 0..3 {
                    s[(a, b)] += d[a] * d[b];
                }
            }
        }
        #[allow(clippy::cast_precision_loss)]
        if n > 0 {
            s /= n as f64;
        }
        let mut lambda: Vec<f64> = s
            .symmetric_eigenvalues()
            .iter()
            .map(|l| l.max(0.0))
            .collect();
        lambda.sort_by(|a, b| b.total_cmp(a));
        let empty = n == 0;
        let or_nan = |x: f64| if empty { f64::NAN } else { x };
        #[allow(clippy::cast_precision_loss)]
        out.push(Measurement::scalar(name, "atoms", "atoms", n as f64));
        out.push(Measurement::scalar(
            name,
            "radius_of_gyration",
            "angstrom",
            or_nan(lambda.iter().sum::<f64>().sqrt()),
        ));
        for (k, l) in lambda.iter().enumerate() {
            out.push(Measurement::scalar(
                name,
                &format!("principal_radius_{}", k + 1),
                "angstrom",
                or_nan(l.sqrt()),
            ));
        }
        let aspect = if lambda[2] > 0.0 {
            (lambda[0] / lambda[2]).sqrt()
        } else {
            f64::INFINITY
        };
        out.push(Measurement::scalar(
            name,
            "aspect_ratio",
            "1",
            or_nan(aspect),
        ));
        if self.shell.is_some() {
            #[allow(clippy::cast_precision_loss)]
            {
                out.push(Measurement::scalar(
                    name,
                    "surface_atoms",
                    "atoms",
                    surface as f64,
                ));
                out.push(Measurement::scalar(
                    name,
                    "surface_fraction",
                    "1",
                    mean(surface as f64, n),
                ));
            }
        }
    }
}
