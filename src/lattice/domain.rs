//! One crystalline domain of a particle: a crystal (rotated and shifted) cut by a shape,
//! with the vacant margin sites around it, enumerated as candidates for the assembly.

use super::assembly::{IDENTITY, check_kinds};
use super::crystal::{Crystal, mat_vec};
use super::shape::Shape;
use crate::error::{Error, Result};
use crate::sites::KindId;

/// One crystalline domain: the lattice points of `crystal` inside `shape`, plus vacant
/// lattice points within `margin` outside it.
///
/// Placement (lab frame, relative to the particle offset): the shape is centred at
/// `center` with its axis along lab z (shapes are not rotated); the crystal is rotated by
/// `rotation` (crystal → lab) and its origin is at `center + lattice_origin`.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainSpec {
    /// Domain name (the site list uses `particle/domain`).
    pub name: String,
    /// The crystal filling the domain.
    pub crystal: Crystal,
    /// One site kind per basis site of `crystal`.
    pub kinds: Vec<KindId>,
    /// The region occupied by the domain, in its own frame.
    pub shape: Shape,
    /// Position of the shape's centre [Å].
    pub center: [f64; 3],
    /// Rotation crystal → lab (orthonormal, determinant +1), rows of the matrix.
    pub rotation: [[f64; 3]; 3],
    /// Position of the crystal origin relative to `center` [Å].
    pub lattice_origin: [f64; 3],
    /// Thickness of the layer of vacant lattice sites kept outside the shape [Å].
    pub margin: f64,
}

impl DomainSpec {
    /// A domain centred at the origin, unrotated, with the lattice origin at the centre and
    /// no margin.
    pub fn new(
        name: impl Into<String>,
        crystal: Crystal,
        kinds: Vec<KindId>,
        shape: Shape,
    ) -> Self {
        Self {
            name: name.into(),
            crystal,
            kinds,
            shape,
            center: [0.0; 3],
            rotation: IDENTITY,
            lattice_origin: [0.0; 3],
            margin: 0.0,
        }
    }

    pub(crate) fn validate(&self, context: &str) -> Result<()> {
        check_kinds(context, &self.crystal, &self.kinds)?;
        self.shape.validate()?;
        if !(self.margin.is_finite() && self.margin >= 0.0) {
            return Err(Error::build(context, "margin must be finite and >= 0"));
        }
        if self
            .center
            .iter()
            .chain(&self.lattice_origin)
            .any(|x| !x.is_finite())
        {
            return Err(Error::build(
                context,
                "center and lattice_origin must be finite",
            ));
        }
        let r = self.rotation;
        for i in 0..3 {
            for j in 0..3 {
                let d: f64 = (0..3).map(|k| r[i][k] * r[j][k]).sum();
                let expected = if i == j { 1.0 } else { 0.0 };
                if d.is_nan() || (d - expected).abs() >= 1e-6 {
                    return Err(Error::build(context, "rotation must be orthonormal"));
                }
            }
        }
        if super::crystal::determinant(r) < 0.0 {
            return Err(Error::build(context, "rotation must have determinant +1"));
        }
        Ok(())
    }

    /// Enumerates candidate sites `(position, basis index, inside)` for a particle at
    /// `offset`, covering the shape's bounding box inflated by the margin.
    pub(crate) fn candidates(&self, offset: [f64; 3], context: &str) -> Result<Vec<Candidate>> {
        let (lo, hi) = self.shape.bounding_box();
        if lo.iter().chain(&hi).any(|x| !x.is_finite()) {
            return Err(Error::build(
                context,
                "the shape is unbounded: intersect it with a bounded shape",
            ));
        }
        if (0..3).any(|k| lo[k] > hi[k]) {
            return Err(Error::build(context, "the shape is empty"));
        }
        // Corners of the inflated box, relative to the lattice origin, in fractional
        // coordinates of the crystal (rotated back to the crystal frame).
        let m = self.margin;
        let mut fmin = [f64::INFINITY; 3];
        let mut fmax = [f64::NEG_INFINITY; 3];
        for corner in 0..8 {
            let c = [
                if corner & 1 == 0 {
                    lo[0] - m
                } else {
                    hi[0] + m
                },
                if corner & 2 == 0 {
                    lo[1] - m
                } else {
                    hi[1] + m
                },
                if corner & 4 == 0 {
                    lo[2] - m
                } else {
                    hi[2] + m
                },
            ];
            let rel = [
                c[0] - self.lattice_origin[0],
                c[1] - self.lattice_origin[1],
                c[2] - self.lattice_origin[2],
            ];
            // Lab → crystal is the transpose of the rotation.
            let crystal_frame = [
                (0..3).map(|k| self.rotation[k][0] * rel[k]).sum(),
                (0..3).map(|k| self.rotation[k][1] * rel[k]).sum(),
                (0..3).map(|k| self.rotation[k][2] * rel[k]).sum(),
            ];
            let f = self.crystal.fractional(crystal_frame);
            for k in 0..3 {
                fmin[k] = fmin[k].min(f[k]);
                fmax[k] = fmax[k].max(f[k]);
            }
        }
        #[allow(clippy::cast_possible_truncation)]
        let range: Vec<(i64, i64)> = (0..3)
            .map(|k| (fmin[k].floor() as i64 - 1, fmax[k].ceil() as i64 + 1))
            .collect();
        #[allow(clippy::cast_precision_loss)]
        let cells: f64 = range.iter().map(|(a, b)| (b - a + 1) as f64).product();
        #[allow(clippy::cast_precision_loss)]
        if cells * self.crystal.basis.len() as f64 > 4.0e9 {
            return Err(Error::build(
                context,
                "the domain would have more than 4e9 lattice points",
            ));
        }
        let origin = [
            offset[0] + self.center[0] + self.lattice_origin[0],
            offset[1] + self.center[1] + self.lattice_origin[1],
            offset[2] + self.center[2] + self.lattice_origin[2],
        ];
        let mut out = Vec::new();
        for i in range[0].0..=range[0].1 {
            for j in range[1].0..=range[1].1 {
                for k in range[2].0..=range[2].1 {
                    #[allow(clippy::cast_precision_loss)]
                    let cell = [i as f64, j as f64, k as f64];
                    for (b, site) in self.crystal.basis.iter().enumerate() {
                        let local = self.crystal.cartesian([
                            cell[0] + site.frac[0],
                            cell[1] + site.frac[1],
                            cell[2] + site.frac[2],
                        ]);
                        let lab = mat_vec(self.rotation, local);
                        let in_shape = [
                            lab[0] + self.lattice_origin[0],
                            lab[1] + self.lattice_origin[1],
                            lab[2] + self.lattice_origin[2],
                        ];
                        let inside = self.shape.contains(in_shape);
                        if inside || (m > 0.0 && self.shape.contains_inflated(in_shape, m)) {
                            out.push(Candidate {
                                position: [
                                    origin[0] + lab[0],
                                    origin[1] + lab[1],
                                    origin[2] + lab[2],
                                ],
                                role: u16::try_from(b).unwrap_or(u16::MAX),
                                inside,
                            });
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

/// A lattice point of a domain, before the assembly accepts or drops it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    /// Position [Å].
    pub(crate) position: [f64; 3],
    /// Basis index.
    pub(crate) role: u16,
    /// Inside the shape (else a margin site).
    pub(crate) inside: bool,
}
