//! Shapes of nanocrystal domains: which points of a lattice belong to a particle.
//!
//! A [`Shape`] is a region in its own frame: centred at the origin, with its axis (rod
//! axis, platelet normal, slab normal) along z. Domains ([`crate::lattice::assembly`])
//! place a shape at a centre in the lab frame and fill it with the lattice points of a
//! crystal. Lengths are in Å. Boundaries are inclusive, with a tolerance of
//! [`BOUNDARY_TOLERANCE`], so that lattice points lying exactly on a facet are kept.
//!
//! Shapes are `serde::Deserialize` with an internal `type` tag in snake case, so a scenario
//! can write `shape = { type = "hex_rod", radius = 20.0, length = 80.0, tip = "rounded" }`.
//!
//! # Extending
//! Add a variant, then its arm in [`Shape::validate`], [`Shape::contains_inflated`] and
//! [`Shape::bounding_box`], and a containment test.

use serde::Deserialize;

use crate::error::{Error, Result};

/// Points within this distance [Å] outside a boundary count as inside.
pub const BOUNDARY_TOLERANCE: f64 = 1e-9;

/// End caps of a [`Shape::HexRod`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tip {
    /// Flat (0001) end faces.
    #[default]
    Flat,
    /// Rounded ends: the prism intersected with a sphere of radius `radius` centred
    /// `radius` inside each end, so that the total length is still `length`.
    Rounded,
}

/// A half-space `normal · p ≤ distance`, with `distance` [Å] measured along the unit
/// normal. The normal need not have unit length: containment divides by its norm, and
/// [`Plane::normalized`] returns the unit-normal form.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plane {
    /// Outward normal (any length, not zero).
    pub normal: [f64; 3],
    /// Distance of the plane from the origin along the unit normal [Å].
    pub distance: f64,
}

impl Plane {
    /// The same half-space with a unit normal.
    ///
    /// # Errors
    /// If the normal is zero or a number is not finite.
    pub fn normalized(self) -> Result<Self> {
        let n = norm(self.normal);
        if !(n.is_finite() && n > 0.0 && self.distance.is_finite()) {
            return Err(Error::build(
                "polyhedron",
                format!(
                    "plane {:?}, {} is invalid: the normal must be non-zero and finite",
                    self.normal, self.distance
                ),
            ));
        }
        Ok(Self {
            normal: [self.normal[0] / n, self.normal[1] / n, self.normal[2] / n],
            distance: self.distance,
        })
    }
}

/// Point groups used to expand plane families into the planes of a [`Shape::Polyhedron`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointGroup {
    /// m-3m (48 operations): all permutations and sign changes of (x, y, z). Family
    /// normals are Miller indices of a cubic crystal, which equal Cartesian directions.
    Cubic,
    /// 6/mmm (24 operations) about z: rotations by 60°, the mirror y → −y and z → −z.
    /// Family normals are Cartesian directions.
    Hexagonal,
}

/// A region of space in its own frame (centre at the origin, axis along z) [Å].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Shape {
    /// Ball `|p| ≤ radius` [Å].
    Sphere {
        /// Radius [Å].
        radius: f64,
    },
    /// Axis-aligned box centred at the origin, `|p_i| ≤ size_i / 2` [Å].
    Box {
        /// Edge lengths along x, y, z [Å].
        size: [f64; 3],
    },
    /// Infinite slab `|z| ≤ thickness / 2` [Å]; unbounded in x and y, so it must be
    /// intersected with a bounded shape before lattice points can be enumerated.
    Slab {
        /// Thickness along z [Å].
        thickness: f64,
    },
    /// Hexagonal prism with axis z. `radius` is the centre-to-vertex distance [Å]; the six
    /// flat side faces have normals at 0°, 60°, …, 300° from +x (faces normal to ±x, vertices
    /// on ±y). For a wurtzite crystal with `a` along x these are the {11-20} facets; rotate
    /// the crystal by 30° about z to get {10-10} side facets. `length` is the total length
    /// along z [Å].
    HexRod {
        /// Centre-to-vertex distance of the hexagon [Å].
        radius: f64,
        /// Total length along z, tips included [Å].
        length: f64,
        /// End caps.
        #[serde(default)]
        tip: Tip,
    },
    /// Hexagonal disk (same cross-section and orientation as [`Shape::HexRod`]).
    Platelet {
        /// Centre-to-vertex distance of the hexagon [Å].
        radius: f64,
        /// Thickness along z [Å].
        thickness: f64,
    },
    /// Intersection of half-spaces `n · p ≤ d` (unit normals after validation).
    Polyhedron {
        /// The bounding planes.
        planes: Vec<Plane>,
    },
    /// Intersection of several shapes (all in the same frame).
    Intersection {
        /// The shapes to intersect.
        parts: Vec<Shape>,
    },
    /// `shape` rotated by `rotation` (rows of the matrix, shape frame → this frame, about
    /// the origin): `p` is inside when `rotationᵀ p` is inside `shape`. Built by
    /// [`crate::lattice::orientation`] (a rod lying on the substrate is a rotated
    /// [`Shape::HexRod`]).
    Rotated {
        /// Rotation (orthonormal, determinant +1), rows.
        rotation: [[f64; 3]; 3],
        /// The unrotated shape.
        shape: Box<Shape>,
    },
}

fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn positive_length(shape: &str, name: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::build(
            format!("shape `{shape}`"),
            format!("{name} must be positive and finite, got {value}"),
        ))
    }
}

/// Unit normals of the six side faces of the hexagonal shapes (only three are needed,
/// the others are their opposites).
const HEX_NORMALS: [[f64; 2]; 3] = [
    [1.0, 0.0],
    [0.5, 0.866_025_403_784_438_6],
    [-0.5, 0.866_025_403_784_438_6],
];

fn inside_hexagon(p: [f64; 3], radius: f64, margin: f64) -> bool {
    let apothem = radius * 0.5 * 3f64.sqrt() + margin + BOUNDARY_TOLERANCE;
    HEX_NORMALS
        .iter()
        .all(|n| (n[0] * p[0] + n[1] * p[1]).abs() <= apothem)
}

impl Shape {
    /// Checks that all lengths are positive and finite and plane normals are non-zero.
    ///
    /// # Errors
    /// On the first invalid parameter, naming it.
    pub fn validate(&self) -> Result<()> {
        match self {
            Shape::Sphere { radius } => positive_length("sphere", "radius", *radius),
            Shape::Box { size } => {
                for (axis, s) in ["size[0]", "size[1]", "size[2]"].iter().zip(size) {
                    positive_length("box", axis, *s)?;
                }
                Ok(())
            }
            Shape::Slab { thickness } => positive_length("slab", "thickness", *thickness),
            Shape::HexRod { radius, length, .. } => {
                positive_length("hex_rod", "radius", *radius)?;
                positive_length("hex_rod", "length", *length)
            }
            Shape::Platelet { radius, thickness } => {
                positive_length("platelet", "radius", *radius)?;
                positive_length("platelet", "thickness", *thickness)
            }
            Shape::Polyhedron { planes } => {
                if planes.is_empty() {
                    return Err(Error::build(
                        "shape `polyhedron`",
                        "needs at least one plane",
                    ));
                }
                for p in planes {
                    p.normalized()?;
                }
                Ok(())
            }
            Shape::Intersection { parts } => {
                if parts.is_empty() {
                    return Err(Error::build(
                        "shape `intersection`",
                        "needs at least one part",
                    ));
                }
                parts.iter().try_for_each(Shape::validate)
            }
            Shape::Rotated { rotation, shape } => {
                super::orientation::check_rotation("shape `rotated`", *rotation)?;
                shape.validate()
            }
        }
    }

    /// True when `p` [Å] (in the shape's frame) is inside the shape.
    pub fn contains(&self, p: [f64; 3]) -> bool {
        self.contains_inflated(p, 0.0)
    }

    /// True when `p` [Å] is inside the shape with every bounding surface moved outwards by
    /// `margin` [Å] (faces and spheres are offset; edges and corners are not rounded, so
    /// this is slightly larger than the set of points within `margin` of the shape).
    pub fn contains_inflated(&self, p: [f64; 3], margin: f64) -> bool {
        let tol = BOUNDARY_TOLERANCE;
        match self {
            Shape::Sphere { radius } => norm(p) <= radius + margin + tol,
            Shape::Box { size } => (0..3).all(|i| p[i].abs() <= 0.5 * size[i] + margin + tol),
            Shape::Slab { thickness } => p[2].abs() <= 0.5 * thickness + margin + tol,
            Shape::HexRod {
                radius,
                length,
                tip,
            } => {
                let half = 0.5 * length;
                if p[2].abs() > half + margin + tol || !inside_hexagon(p, *radius, margin) {
                    return false;
                }
                match tip {
                    Tip::Flat => true,
                    Tip::Rounded => {
                        // Above the cap centre, the point must also be in the cap sphere.
                        let cap_center = (half - radius).max(0.0);
                        let dz = p[2].abs() - cap_center;
                        dz <= 0.0 || norm([p[0], p[1], dz]) <= radius + margin + tol
                    }
                }
            }
            Shape::Platelet { radius, thickness } => {
                p[2].abs() <= 0.5 * thickness + margin + tol && inside_hexagon(p, *radius, margin)
            }
            Shape::Polyhedron { planes } => planes.iter().all(|plane| {
                let n = norm(plane.normal);
                dot(plane.normal, p) <= (plane.distance + margin + tol) * n
            }),
            Shape::Intersection { parts } => parts.iter().all(|s| s.contains_inflated(p, margin)),
            Shape::Rotated { rotation, shape } => {
                // Rotations preserve distances, so the inflation commutes with them.
                let r = rotation;
                let back = [
                    r[0][0] * p[0] + r[1][0] * p[1] + r[2][0] * p[2],
                    r[0][1] * p[0] + r[1][1] * p[1] + r[2][1] * p[2],
                    r[0][2] * p[0] + r[1][2] * p[1] + r[2][2] * p[2],
                ];
                shape.contains_inflated(back, margin)
            }
        }
    }

    /// Axis-aligned bounding box `(min, max)` [Å] in the shape's frame. Unbounded directions
    /// are `±∞` (slab in x and y; polyhedra that are not closed get bounds only from their
    /// axis-aligned planes).
    pub fn bounding_box(&self) -> ([f64; 3], [f64; 3]) {
        let inf = f64::INFINITY;
        match self {
            Shape::Sphere { radius } => ([-radius; 3], [*radius; 3]),
            Shape::Box { size } => (
                [-0.5 * size[0], -0.5 * size[1], -0.5 * size[2]],
                [0.5 * size[0], 0.5 * size[1], 0.5 * size[2]],
            ),
            Shape::Slab { thickness } => {
                ([-inf, -inf, -0.5 * thickness], [inf, inf, 0.5 * thickness])
            }
            Shape::HexRod { radius, length, .. } => {
                let x = radius * 0.5 * 3f64.sqrt();
                ([-x, -radius, -0.5 * length], [x, *radius, 0.5 * length])
            }
            Shape::Platelet { radius, thickness } => {
                let x = radius * 0.5 * 3f64.sqrt();
                (
                    [-x, -radius, -0.5 * thickness],
                    [x, *radius, 0.5 * thickness],
                )
            }
            Shape::Polyhedron { planes } => polyhedron_bounds(planes),
            Shape::Intersection { parts } => {
                let mut lo = [-inf; 3];
                let mut hi = [inf; 3];
                for part in parts {
                    let (l, h) = part.bounding_box();
                    for k in 0..3 {
                        lo[k] = lo[k].max(l[k]);
                        hi[k] = hi[k].min(h[k]);
                    }
                }
                (lo, hi)
            }
            Shape::Rotated { rotation, shape } => {
                let (l, h) = shape.bounding_box();
                if l.iter().chain(&h).any(|x| !x.is_finite()) {
                    return ([-inf; 3], [inf; 3]);
                }
                // The box of the eight rotated corners contains the rotated shape.
                let mut lo = [inf; 3];
                let mut hi = [-inf; 3];
                for corner in 0..8 {
                    let c = [
                        if corner & 1 == 0 { l[0] } else { h[0] },
                        if corner & 2 == 0 { l[1] } else { h[1] },
                        if corner & 4 == 0 { l[2] } else { h[2] },
                    ];
                    for k in 0..3 {
                        let x = dot(rotation[k], c);
                        lo[k] = lo[k].min(x);
                        hi[k] = hi[k].max(x);
                    }
                }
                (lo, hi)
            }
        }
    }

    /// A polyhedron from plane *families*: each `(normal, distance)` [Å] is expanded with the
    /// operations of `group` (duplicates merged). For example, a cube-octahedral Wulff shape
    /// of a cubic crystal is `[([1,1,1], d111), ([1,0,0], d100)]` with
    /// [`PointGroup::Cubic`], giving 8 + 6 planes.
    ///
    /// # Errors
    /// If a normal is zero or a number is not finite.
    pub fn polyhedron_from_families(
        families: &[([f64; 3], f64)],
        group: PointGroup,
    ) -> Result<Shape> {
        let mut planes: Vec<Plane> = Vec::new();
        for &(normal, distance) in families {
            let unit = Plane { normal, distance }.normalized()?;
            for image in point_group_images(unit.normal, group) {
                let duplicate = planes
                    .iter()
                    .any(|p| (0..3).all(|k| (p.normal[k] - image[k]).abs() < 1e-9));
                if !duplicate {
                    planes.push(Plane {
                        normal: image,
                        distance,
                    });
                }
            }
        }
        let shape = Shape::Polyhedron { planes };
        shape.validate()?;
        Ok(shape)
    }
}

/// Images of a vector under the operations of a point group.
pub(crate) fn point_group_images(v: [f64; 3], group: PointGroup) -> Vec<[f64; 3]> {
    let mut out = Vec::new();
    match group {
        PointGroup::Cubic => {
            const PERMUTATIONS: [[usize; 3]; 6] = [
                [0, 1, 2],
                [0, 2, 1],
                [1, 0, 2],
                [1, 2, 0],
                [2, 0, 1],
                [2, 1, 0],
            ];
            for perm in PERMUTATIONS {
                for signs in 0..8 {
                    let mut w = [0.0; 3];
                    for k in 0..3 {
                        let sign = if signs & (1 << k) == 0 { 1.0 } else { -1.0 };
                        w[k] = sign * v[perm[k]];
                    }
                    out.push(w);
                }
            }
        }
        PointGroup::Hexagonal => {
            for mirror in [1.0, -1.0] {
                for flip in [1.0, -1.0] {
                    for step in 0..6 {
                        let angle = f64::from(step) * std::f64::consts::FRAC_PI_3;
                        let (s, c) = angle.sin_cos();
                        let (x, y) = (v[0], mirror * v[1]);
                        out.push([c * x - s * y, s * x + c * y, flip * v[2]]);
                    }
                }
            }
        }
    }
    out
}

/// Bounding box of a polyhedron: the box of its vertices when it is closed, else the bounds
/// given by its axis-aligned planes.
fn polyhedron_bounds(planes: &[Plane]) -> ([f64; 3], [f64; 3]) {
    let unit: Vec<Plane> = planes.iter().filter_map(|p| p.normalized().ok()).collect();
    let inf = f64::INFINITY;
    let mut lo = [-inf; 3];
    let mut hi = [inf; 3];
    if is_closed(&unit) {
        let mut vlo = [inf; 3];
        let mut vhi = [-inf; 3];
        let n = unit.len();
        for i in 0..n {
            for j in i + 1..n {
                for k in j + 1..n {
                    let Some(v) = vertex(&unit[i], &unit[j], &unit[k]) else {
                        continue;
                    };
                    if unit.iter().all(|p| dot(p.normal, v) <= p.distance + 1e-7) {
                        for a in 0..3 {
                            vlo[a] = vlo[a].min(v[a]);
                            vhi[a] = vhi[a].max(v[a]);
                        }
                    }
                }
            }
        }
        if vlo[0] <= vhi[0] {
            return (vlo, vhi);
        }
    }
    for p in &unit {
        for a in 0..3 {
            let others = (0..3)
                .filter(|&b| b != a)
                .all(|b| p.normal[b].abs() < 1e-12);
            if others && p.normal[a] > 0.0 {
                hi[a] = hi[a].min(p.distance / p.normal[a]);
            } else if others && p.normal[a] < 0.0 {
                lo[a] = lo[a].max(p.distance / p.normal[a]);
            }
        }
    }
    (lo, hi)
}

/// Intersection point of three planes, if they are independent.
fn vertex(a: &Plane, b: &Plane, c: &Plane) -> Option<[f64; 3]> {
    let bc = cross(b.normal, c.normal);
    let det = dot(a.normal, bc);
    if det.abs() < 1e-12 {
        return None;
    }
    let ca = cross(c.normal, a.normal);
    let ab = cross(a.normal, b.normal);
    Some([
        (a.distance * bc[0] + b.distance * ca[0] + c.distance * ab[0]) / det,
        (a.distance * bc[1] + b.distance * ca[1] + c.distance * ab[1]) / det,
        (a.distance * bc[2] + b.distance * ca[2] + c.distance * ab[2]) / det,
    ])
}

/// True when the half-spaces (unit normals) have no common recession direction, i.e. their
/// intersection is bounded (or empty). With normals spanning 3-D space the recession cone
/// `{r : n·r ≤ 0 for all n}` is pointed, so it is trivial exactly when none of its possible
/// extreme rays `±(n_i × n_j)` satisfies all constraints.
fn is_closed(planes: &[Plane]) -> bool {
    let n = planes.len();
    let mut spans = false;
    for i in 0..n {
        for j in i + 1..n {
            let r = cross(planes[i].normal, planes[j].normal);
            if norm(r) < 1e-12 {
                continue;
            }
            if planes.iter().any(|p| dot(p.normal, r).abs() > 1e-9) {
                spans = true;
            }
            for sign in [1.0, -1.0] {
                let ray = [sign * r[0], sign * r[1], sign * r[2]];
                if planes.iter().all(|p| dot(p.normal, ray) <= 1e-12) {
                    return false;
                }
            }
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn shape_invalid_lengths_are_rejected() {
        assert!(Shape::Sphere { radius: -1.0 }.validate().is_err());
        assert!(
            Shape::Box {
                size: [1.0, f64::NAN, 1.0]
            }
            .validate()
            .is_err()
        );
        assert!(
            Shape::Polyhedron {
                planes: vec![Plane {
                    normal: [0.0; 3],
                    distance: 1.0
                }]
            }
            .validate()
            .is_err()
        );
        assert!(
            Shape::HexRod {
                radius: 5.0,
                length: 20.0,
                tip: Tip::Rounded
            }
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn hex_rod_containment_is_hexagonally_symmetric() {
        let rod = Shape::HexRod {
            radius: 10.0,
            length: 40.0,
            tip: Tip::Flat,
        };
        // Vertices on ±y at distance 10, faces normal to ±x at the apothem 8.66.
        assert!(rod.contains([0.0, 9.99, 0.0]));
        assert!(!rod.contains([9.0, 0.0, 0.0]));
        assert!(rod.contains([8.6, 0.0, 19.9]));
        assert!(!rod.contains([0.0, 0.0, 20.1]));
        // Rotating a point by 60° about z and mirroring keeps containment.
        for i in 0..200 {
            let t = f64::from(i) * 0.037;
            let p = [9.5 * (3.0 * t).cos(), 9.5 * (5.0 * t).sin(), 10.0 * t.sin()];
            let (s, c) = std::f64::consts::FRAC_PI_3.sin_cos();
            let q = [c * p[0] - s * p[1], s * p[0] + c * p[1], p[2]];
            assert_eq!(rod.contains(p), rod.contains(q));
            assert_eq!(rod.contains(p), rod.contains([-p[0], p[1], -p[2]]));
        }
    }

    #[test]
    fn hex_rod_rounded_tip_is_inside_flat_one() {
        let flat = Shape::HexRod {
            radius: 10.0,
            length: 40.0,
            tip: Tip::Flat,
        };
        let round = Shape::HexRod {
            radius: 10.0,
            length: 40.0,
            tip: Tip::Rounded,
        };
        assert!(round.contains([0.0, 0.0, 19.9]));
        assert!(!round.contains([8.0, 0.0, 19.0]));
        assert!(flat.contains([8.0, 0.0, 19.0]));
        assert!(round.contains([8.0, 0.0, 5.0]));
    }

    #[test]
    fn polyhedron_cube_octahedron_has_14_planes_and_bounds() {
        let s = Shape::polyhedron_from_families(
            &[([1.0, 1.0, 1.0], 10.0), ([1.0, 0.0, 0.0], 8.0)],
            PointGroup::Cubic,
        )
        .unwrap();
        let Shape::Polyhedron { planes } = &s else {
            panic!("polyhedron expected")
        };
        assert_eq!(planes.len(), 14);
        let (lo, hi) = s.bounding_box();
        assert_relative_eq!(hi[0], 8.0, epsilon = 1e-9);
        assert_relative_eq!(lo[2], -8.0, epsilon = 1e-9);
        assert!(s.contains([7.9, 0.0, 0.0]));
        assert!(!s.contains([6.0, 6.0, 6.0]));
        let hex = Shape::polyhedron_from_families(
            &[([1.0, 0.0, 0.0], 5.0), ([0.0, 0.0, 1.0], 3.0)],
            PointGroup::Hexagonal,
        )
        .unwrap();
        let Shape::Polyhedron { planes } = &hex else {
            panic!("polyhedron expected")
        };
        assert_eq!(planes.len(), 8);
    }

    #[test]
    fn polyhedron_open_uses_axis_planes_for_bounds() {
        let s = Shape::Polyhedron {
            planes: vec![
                Plane {
                    normal: [0.0, 0.0, 2.0],
                    distance: 3.0,
                },
                Plane {
                    normal: [0.0, 0.0, -1.0],
                    distance: 1.0,
                },
            ],
        };
        let (lo, hi) = s.bounding_box();
        assert_relative_eq!(hi[2], 3.0);
        assert_relative_eq!(lo[2], -1.0);
        assert!(lo[0].is_infinite());
    }

    #[test]
    fn box_slab_platelet_containment_and_bounds() {
        let b = Shape::Box {
            size: [2.0, 4.0, 6.0],
        };
        assert!(b.contains([1.0, -2.0, 3.0]));
        assert!(!b.contains([1.01, 0.0, 0.0]));
        assert!(b.contains_inflated([1.4, 0.0, 0.0], 0.5));
        let slab = Shape::Slab { thickness: 4.0 };
        assert!(slab.contains([1e6, -1e6, 2.0]));
        assert!(!slab.contains([0.0, 0.0, 2.1]));
        assert!(slab.bounding_box().0[0].is_infinite());
        let disk = Shape::Platelet {
            radius: 10.0,
            thickness: 2.0,
        };
        assert!(disk.contains([0.0, 9.9, 0.9]));
        assert!(!disk.contains([0.0, 9.9, 1.1]));
        let cut = Shape::Intersection {
            parts: vec![slab, Shape::Sphere { radius: 5.0 }],
        };
        let (lo, hi) = cut.bounding_box();
        assert_eq!((lo, hi), ([-5.0, -5.0, -2.0], [5.0, 5.0, 2.0]));
        assert!(cut.contains([4.0, 0.0, 1.0]) && !cut.contains([0.0, 0.0, 3.0]));
    }

    #[test]
    fn shape_deserializes_from_tagged_table() {
        #[derive(Deserialize)]
        struct Wrapper {
            shape: Shape,
        }
        let w: Wrapper = toml::from_str(
            "shape = { type = \"hex_rod\", radius = 20.0, length = 80.0, tip = \"rounded\" }",
        )
        .unwrap();
        assert_eq!(
            w.shape,
            Shape::HexRod {
                radius: 20.0,
                length: 80.0,
                tip: Tip::Rounded
            }
        );
        assert!(
            toml::from_str::<Wrapper>("shape = { type = \"sphere\", radius = 2.0, colour = 1 }")
                .is_err()
        );
    }
}
