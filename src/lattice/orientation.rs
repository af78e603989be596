//! Orientation: rotations of crystals and shapes, from an axis and an angle or from an
//! orientation relationship (a lattice plane and a direction in it, each parallel to a
//! stated lab vector or to a plane and direction of another crystal).
//!
//! # Conventions
//! - A rotation is a 3 × 3 orthonormal matrix with determinant +1, stored as rows, mapping
//!   a vector of the rotated object's own frame to the lab frame: `v_lab = R · v_own`.
//! - Plane `(h k l)` of a crystal: its normal `h a* + k b* + l c*` (reciprocal vectors).
//!   Four Miller–Bravais indices `(h k i l)` are accepted when `i = −(h + k)`.
//! - Direction `[u v w]`: the vector `u a + v b + w c`. Four indices `[U V T W]` are
//!   accepted when `T = −(U + V)` and mean `[U − T, V − T, W]`.
//! - An orientation relationship `(p₁)[d₁] ‖ (p₂)[d₂]` makes the normal of `p₂` parallel to
//!   that of `p₁` and the direction `d₂` parallel to `d₁`; each direction must lie in its
//!   plane (to 0.1°).
//!
//! [`orient_particle`] rotates a whole particle (every domain's shape, centre, lattice
//! origin and crystal) about the particle's centre: a rod lying on the substrate is a rod
//! built along z and then oriented with its axis along x.

use super::assembly::ParticleSpec;
use super::crystal::{Crystal, determinant};
use super::shape::Shape;
use crate::error::{Error, Result};

/// The identity rotation.
pub const IDENTITY: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

/// Largest |cos| between a direction and its plane's normal for the direction to count as
/// lying in the plane (0.1°).
const IN_PLANE_TOLERANCE: f64 = 1.75e-3;

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

fn unit(context: &str, what: &str, v: [f64; 3]) -> Result<[f64; 3]> {
    let n = norm(v);
    if n.is_finite() && n > 1e-12 {
        Ok([v[0] / n, v[1] / n, v[2] / n])
    } else {
        Err(Error::build(
            context,
            format!("{what} must be a non-zero finite vector"),
        ))
    }
}

/// Matrix product `a · b` (rows).
#[must_use]
pub fn multiply(a: [[f64; 3]; 3], b: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, x) in row.iter_mut().enumerate() {
            *x = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    out
}

/// `R · v`.
#[must_use]
pub fn rotate(r: [[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    [dot(r[0], v), dot(r[1], v), dot(r[2], v)]
}

/// Checks that `r` is orthonormal (to 1e-6) with determinant +1.
///
/// # Errors
/// [`Error::Build`] naming `context` otherwise.
pub fn check_rotation(context: &str, r: [[f64; 3]; 3]) -> Result<()> {
    for i in 0..3 {
        for j in 0..3 {
            let d: f64 = (0..3).map(|k| r[i][k] * r[j][k]).sum();
            let expected = if i == j { 1.0 } else { 0.0 };
            if d.is_nan() || (d - expected).abs() >= 1e-6 {
                return Err(Error::build(context, "rotation must be orthonormal"));
            }
        }
    }
    if determinant(r) < 0.0 {
        return Err(Error::build(context, "rotation must have determinant +1"));
    }
    Ok(())
}

/// Rotation by `angle` [rad] about `axis` (right-handed, Rodrigues' formula).
///
/// # Errors
/// If the axis is zero or not finite, or the angle is not finite.
pub fn axis_angle(axis: [f64; 3], angle: f64) -> Result<[[f64; 3]; 3]> {
    let [x, y, z] = unit("rotation", "axis", axis)?;
    if !angle.is_finite() {
        return Err(Error::build("rotation", "angle must be finite"));
    }
    let (s, c) = angle.sin_cos();
    let t = 1.0 - c;
    Ok([
        [t * x * x + c, t * x * y - s * z, t * x * z + s * y],
        [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
        [t * x * z - s * y, t * y * z + s * x, t * z * z + c],
    ])
}

/// Three Miller indices from three or four (Miller–Bravais, `i = −(h + k)`).
fn three_plane_indices(context: &str, indices: &[f64]) -> Result<[f64; 3]> {
    match *indices {
        [h, k, l] => Ok([h, k, l]),
        [h, k, i, l] if (i + h + k).abs() < 1e-9 => Ok([h, k, l]),
        [_, _, _, _] => Err(Error::build(
            context,
            "four-index plane (h k i l) needs i = −(h + k)",
        )),
        _ => Err(Error::build(context, "a plane has three or four indices")),
    }
}

/// Three direction indices from three or four (`[U V T W]`, `T = −(U + V)`).
///
/// # Errors
/// Another number of indices, or four with `T ≠ −(U + V)`.
pub fn three_direction_indices(context: &str, indices: &[f64]) -> Result<[f64; 3]> {
    match *indices {
        [u, v, w] => Ok([u, v, w]),
        [u, v, t, w] if (t + u + v).abs() < 1e-9 => Ok([u - t, v - t, w]),
        [_, _, _, _] => Err(Error::build(
            context,
            "four-index direction [U V T W] needs T = −(U + V)",
        )),
        _ => Err(Error::build(
            context,
            "a direction has three or four indices",
        )),
    }
}

/// Unit normal of plane `(hkl)` (three or four indices) of `crystal`, in the crystal frame.
///
/// # Errors
/// On bad indices or the zero plane.
pub fn plane_normal(crystal: &Crystal, indices: &[f64]) -> Result<[f64; 3]> {
    let context = format!("plane {indices:?} of `{}`", crystal.name);
    let [h, k, l] = three_plane_indices(&context, indices)?;
    let [a, b, c] = crystal.cell;
    let v = determinant(crystal.cell);
    let (ra, rb, rc) = (cross(b, c), cross(c, a), cross(a, b));
    let n = [
        (h * ra[0] + k * rb[0] + l * rc[0]) / v,
        (h * ra[1] + k * rb[1] + l * rc[1]) / v,
        (h * ra[2] + k * rb[2] + l * rc[2]) / v,
    ];
    unit(&context, "the plane normal", n)
}

/// Unit vector of direction `[uvw]` (three or four indices) of `crystal`, crystal frame.
///
/// # Errors
/// On bad indices or the zero direction.
pub fn direction(crystal: &Crystal, indices: &[f64]) -> Result<[f64; 3]> {
    let context = format!("direction {indices:?} of `{}`", crystal.name);
    let [u, v, w] = three_direction_indices(&context, indices)?;
    let d = crystal.cartesian([u, v, w]);
    unit(&context, "the direction", d)
}

/// Columns `(n, d⊥, n × d⊥)` as a matrix of rows.
fn frame(context: &str, normal: [f64; 3], along: [f64; 3]) -> Result<[[f64; 3]; 3]> {
    let n = unit(context, "the normal", normal)?;
    let d = unit(context, "the direction", along)?;
    let c = dot(n, d);
    if c.abs() > IN_PLANE_TOLERANCE {
        return Err(Error::build(
            context,
            format!(
                "the direction is not in the plane (angle to the plane {:.2}°)",
                c.abs().asin().to_degrees()
            ),
        ));
    }
    let d = unit(
        context,
        "the direction",
        [d[0] - c * n[0], d[1] - c * n[1], d[2] - c * n[2]],
    )?;
    let t = cross(n, d);
    Ok([[n[0], d[0], t[0]], [n[1], d[1], t[1]], [n[2], d[2], t[2]]])
}

fn transpose(m: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    [
        [m[0][0], m[1][0], m[2][0]],
        [m[0][1], m[1][1], m[2][1]],
        [m[0][2], m[1][2], m[2][2]],
    ]
}

/// The rotation (crystal → lab) that puts the normal of plane `plane` of `crystal` along
/// the lab vector `lab_normal` and its direction `dir` (lying in that plane) along
/// `lab_direction` (perpendicular to `lab_normal`).
///
/// # Errors
/// On bad indices, a direction not in its plane, or lab vectors that are zero or not
/// perpendicular.
pub fn align(
    crystal: &Crystal,
    plane: &[f64],
    dir: &[f64],
    lab_normal: [f64; 3],
    lab_direction: [f64; 3],
) -> Result<[[f64; 3]; 3]> {
    let context = format!("orientation of `{}`", crystal.name);
    let own = frame(
        &context,
        plane_normal(crystal, plane)?,
        direction(crystal, dir)?,
    )?;
    let lab = frame(
        &format!("{context} (lab vectors)"),
        lab_normal,
        lab_direction,
    )?;
    Ok(multiply(lab, transpose(own)))
}

/// The rotation (crystal → lab) of `crystal` that satisfies the orientation relationship
/// `(plane)[dir] ‖ (other_plane)[other_dir]` with `other`, whose rotation is
/// `other_rotation`.
///
/// # Errors
/// As [`align`].
pub fn relationship(
    crystal: &Crystal,
    plane: &[f64],
    dir: &[f64],
    other: &Crystal,
    other_rotation: [[f64; 3]; 3],
    other_plane: &[f64],
    other_dir: &[f64],
) -> Result<[[f64; 3]; 3]> {
    let context = format!("orientation of `{}`", other.name);
    let other_frame = frame(
        &context,
        plane_normal(other, other_plane)?,
        direction(other, other_dir)?,
    )?;
    let lab = multiply(other_rotation, other_frame);
    let lab_normal = [lab[0][0], lab[1][0], lab[2][0]];
    let lab_direction = [lab[0][1], lab[1][1], lab[2][1]];
    align(crystal, plane, dir, lab_normal, lab_direction)
}

/// Rotates a whole particle by `rotation` about its centre (the particle frame's origin):
/// every domain's shape, centre and lattice origin are rotated and its crystal rotation
/// is composed with `rotation`. Sites are then the rotated images of the unrotated ones.
///
/// # Errors
/// If `rotation` is not a proper rotation.
pub fn orient_particle(particle: &mut ParticleSpec, rotation: [[f64; 3]; 3]) -> Result<()> {
    check_rotation(
        &format!("particle `{}` orientation", particle.name),
        rotation,
    )?;
    for d in &mut particle.domains {
        let shape = std::mem::replace(&mut d.shape, Shape::Sphere { radius: 1.0 });
        d.shape = Shape::Rotated {
            rotation,
            shape: Box::new(shape),
        };
        d.center = rotate(rotation, d.center);
        d.lattice_origin = rotate(rotation, d.lattice_origin);
        d.rotation = multiply(rotation, d.rotation);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn plane_and_direction_of_hexagonal_and_cubic_crystals() {
        let w = Crystal::wurtzite(4.3, 7.0, 0.375).unwrap();
        let n = plane_normal(&w, &[0.0, 0.0, 0.0, 1.0]).unwrap();
        assert_relative_eq!(n[2], 1.0, epsilon = 1e-12);
        let d = direction(&w, &[2.0, -1.0, -1.0, 0.0]).unwrap();
        assert_relative_eq!(d[0], 1.0, epsilon = 1e-12);
        assert!(plane_normal(&w, &[1.0, 0.0, 0.0, 0.0]).is_err());
        assert!(direction(&w, &[1.0, 1.0, 1.0, 0.0]).is_err());
        let au = Crystal::fcc(4.08).unwrap();
        let n = plane_normal(&au, &[1.0, 1.0, 1.0]).unwrap();
        assert_relative_eq!(n[0], 1.0 / 3f64.sqrt(), epsilon = 1e-12);
    }

    /// Au(111)[1-10] ‖ CdSe(0001)[2-1-10]: the rotation maps the Au normal and direction
    /// onto the CdSe ones in the lab (to 1e-12), whatever the CdSe rotation.
    #[test]
    fn relationship_maps_plane_and_direction_onto_the_other_crystal() {
        let w = Crystal::wurtzite(4.3, 7.0, 0.375).unwrap();
        let au = Crystal::fcc(4.08).unwrap();
        let tilt = axis_angle([1.0, 2.0, 0.5], 0.7).unwrap();
        let r = relationship(
            &au,
            &[1.0, 1.0, 1.0],
            &[1.0, -1.0, 0.0],
            &w,
            tilt,
            &[0.0, 0.0, 0.0, 1.0],
            &[2.0, -1.0, -1.0, 0.0],
        )
        .unwrap();
        check_rotation("test", r).unwrap();
        let au_n = rotate(r, plane_normal(&au, &[1.0, 1.0, 1.0]).unwrap());
        let cdse_n = rotate(tilt, plane_normal(&w, &[0.0, 0.0, 1.0]).unwrap());
        let au_d = rotate(r, direction(&au, &[1.0, -1.0, 0.0]).unwrap());
        let cdse_d = rotate(tilt, direction(&w, &[1.0, 0.0, 0.0]).unwrap());
        for k in 0..3 {
            assert_relative_eq!(au_n[k], cdse_n[k], epsilon = 1e-12);
            assert_relative_eq!(au_d[k], cdse_d[k], epsilon = 1e-12);
        }
        // A direction outside its plane is rejected.
        assert!(
            relationship(
                &au,
                &[1.0, 1.0, 1.0],
                &[1.0, 0.0, 0.0],
                &w,
                tilt,
                &[0.0, 0.0, 1.0],
                &[1.0, 0.0, 0.0]
            )
            .is_err()
        );
    }

    #[test]
    fn axis_angle_quarter_turn_about_y_maps_z_to_x() {
        let r = axis_angle([0.0, 1.0, 0.0], std::f64::consts::FRAC_PI_2).unwrap();
        let v = rotate(r, [0.0, 0.0, 1.0]);
        assert_relative_eq!(v[0], 1.0, epsilon = 1e-12);
        assert!(axis_angle([0.0; 3], 1.0).is_err());
    }
}
