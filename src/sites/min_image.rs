//! The minimum-image convention of a simulation box, shared by the observables
//! (`analysis`), the cluster moves (`events::cluster_move`) and the lattice move vectors
//! (`model::vectors`).

use nalgebra::{Matrix3, Vector3};

use super::SimulationBox;

/// The minimum-image convention of a box: a displacement is shifted by whole edge vectors
/// along the periodic axes so that its fractional coordinates lie in [−½, ½).
#[derive(Debug, Clone)]
pub struct MinImage {
    /// Edge vectors as columns [Å].
    edges: Matrix3<f64>,
    /// Their inverse (fractional coordinates of a displacement).
    inverse: Matrix3<f64>,
    periodic: [bool; 3],
}

impl MinImage {
    /// The convention of `b`. A box whose edges are singular (only possible along open axes)
    /// gets no shifting.
    #[must_use]
    pub fn new(b: &SimulationBox) -> Self {
        let edges = Matrix3::from_fn(|i, j| b.edges[j][i]);
        match edges.try_inverse() {
            Some(inverse) => Self {
                edges,
                inverse,
                periodic: b.periodic,
            },
            None => Self {
                edges,
                inverse: Matrix3::zeros(),
                periodic: [false; 3],
            },
        }
    }

    /// True when no axis is periodic (displacements are returned unchanged).
    #[must_use]
    pub fn is_open(&self) -> bool {
        !self.periodic.iter().any(|&p| p)
    }

    /// Fractional coordinates of `p` (relative to the origin of the edges' frame, not of
    /// the box; only differences and wrapping matter to the callers).
    #[must_use]
    pub fn fractional(&self, p: [f64; 3]) -> [f64; 3] {
        let f = self.inverse * Vector3::from(p);
        [f[0], f[1], f[2]]
    }

    /// Edge vector `a` (0 = a, 1 = b, 2 = c) [Å].
    #[must_use]
    pub fn edge(&self, a: usize) -> [f64; 3] {
        [self.edges[(0, a)], self.edges[(1, a)], self.edges[(2, a)]]
    }

    /// Whether axis `a` is periodic.
    #[must_use]
    pub fn periodic(&self, a: usize) -> bool {
        self.periodic[a]
    }

    /// Distance between the opposite faces of the box along each axis [Å]
    /// (volume / area of the face), infinite for a singular box.
    #[must_use]
    pub fn widths(&self) -> [f64; 3] {
        let e = |j: usize| Vector3::new(self.edges[(0, j)], self.edges[(1, j)], self.edges[(2, j)]);
        let volume = self.edges.determinant().abs();
        let mut w = [f64::INFINITY; 3];
        for (a, width) in w.iter_mut().enumerate() {
            let area = e((a + 1) % 3).cross(&e((a + 2) % 3)).norm();
            if volume > 0.0 && area > 0.0 {
                *width = volume / area;
            }
        }
        w
    }

    /// An upper bound of any distance between two sites' positions inside the box, and of
    /// any minimum-image distance [Å]: the sum of the edge lengths.
    #[must_use]
    pub fn span(&self) -> f64 {
        (0..3)
            .map(|j| {
                (0..3)
                    .map(|i| self.edges[(i, j)].powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .sum()
    }

    /// The minimum image of the displacement `d` [Å].
    #[must_use]
    pub fn apply(&self, d: [f64; 3]) -> [f64; 3] {
        if self.is_open() {
            return d;
        }
        // shift by whole edge vectors along the periodic axes only.
        let f = self.inverse * Vector3::from(d);
        let mut out = d;
        for a in 0..3 {
            if self.periodic[a] {
                let n = f[a].round();
                for (i, x) in out.iter_mut().enumerate() {
                    *x -= n * self.edges[(i, a)];
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::SimulationBox;

    #[test]
    fn min_image_wraps_periodic_axes_only() {
        let b = SimulationBox {
            origin: [0.0; 3],
            edges: [[10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]],
            periodic: [true, true, false],
        };
        let m = MinImage::new(&b);
        let d = m.apply([9.0, -6.0, 9.0]);
        assert!((d[0] + 1.0).abs() < 1e-12, "{d:?}");
        assert!((d[1] - 4.0).abs() < 1e-12, "{d:?}");
        assert!((d[2] - 9.0).abs() < 1e-12, "{d:?}");
    }
}
