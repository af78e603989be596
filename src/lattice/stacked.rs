//! Stacked particles: slices of different crystals along z with epitaxial interfaces
//! (e.g. CdSe / Cu₃P / CdSe), turned into the domains of one [`ParticleSpec`].

use super::assembly::{IDENTITY, ParticleSpec};
use super::crystal::Crystal;
use super::domain::DomainSpec;
use super::shape::{Plane, Shape};
use crate::error::{Error, Result};
use crate::sites::KindId;

/// One slice of a [`stacked_particle`].
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Domain name.
    pub name: String,
    /// The crystal of the slice.
    pub crystal: Crystal,
    /// One site kind per basis site.
    pub kinds: Vec<KindId>,
    /// Thickness along z [Å].
    pub thickness: f64,
    /// Rotation crystal → lab (use the identity for a hexagonal crystal with c along z).
    pub rotation: [[f64; 3]; 3],
}

impl Segment {
    /// An unrotated segment.
    pub fn new(
        name: impl Into<String>,
        crystal: Crystal,
        kinds: Vec<KindId>,
        thickness: f64,
    ) -> Self {
        Self {
            name: name.into(),
            crystal,
            kinds,
            thickness,
            rotation: IDENTITY,
        }
    }
}

/// Stacks `segments` along z with epitaxial interfaces, e.g. CdSe / Cu₃P / CdSe along
/// [0001]. The stack is centred at z = 0 and spans `±(Σ thickness)/2`. Segment `i` covers
/// `[z_i, z_i + thickness_i]`; its shape is `cross_section` (given in the particle frame,
/// whose z extent should cover the whole stack, e.g. a [`Shape::HexRod`] of the total
/// length, so rounded tips round the end segments) intersected with that z range, and its
/// lattice origin lies on its lower interface plane `(0, 0, z_i)`. Every segment gets the
/// vacant `margin` [Å]; margin sites falling into a neighbouring segment are dropped when
/// the assembly is built.
///
/// # Errors
/// If there is no segment, a thickness is not positive and finite, or the cross-section is
/// invalid.
pub fn stacked_particle(
    name: &str,
    cross_section: &Shape,
    segments: Vec<Segment>,
    margin: f64,
) -> Result<ParticleSpec> {
    let context = format!("stacked particle `{name}`");
    cross_section.validate()?;
    if segments.is_empty() {
        return Err(Error::build(&context, "needs at least one segment"));
    }
    if let Some(s) = segments
        .iter()
        .find(|s| !(s.thickness.is_finite() && s.thickness > 0.0))
    {
        return Err(Error::build(
            &context,
            format!("segment `{}` thickness must be positive and finite", s.name),
        ));
    }
    let total: f64 = segments.iter().map(|s| s.thickness).sum();
    let mut z = -0.5 * total;
    let mut domains = Vec::with_capacity(segments.len());
    for s in segments {
        let range = Shape::Polyhedron {
            planes: vec![
                Plane {
                    normal: [0.0, 0.0, 1.0],
                    distance: z + s.thickness,
                },
                Plane {
                    normal: [0.0, 0.0, -1.0],
                    distance: -z,
                },
            ],
        };
        domains.push(DomainSpec {
            name: s.name,
            crystal: s.crystal,
            kinds: s.kinds,
            shape: Shape::Intersection {
                parts: vec![cross_section.clone(), range],
            },
            center: [0.0; 3],
            rotation: s.rotation,
            lattice_origin: [0.0, 0.0, z],
            margin,
        });
        z += s.thickness;
    }
    Ok(ParticleSpec {
        name: name.to_string(),
        domains,
    })
}
