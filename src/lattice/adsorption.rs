//! Adsorption layers: vacant sites on the facets of a particle (and on the substrate),
//! generated from the surface geometry, each with a site kind chosen by the facet it sits
//! on.
//!
//! # How the sites are made
//! An [`AdlayerSpec`] is an overlayer lattice (a crystal, e.g. fcc Au, in a stated
//! rotation and origin) restricted to a shell around one particle:
//! 1. its lattice points are enumerated over the particle's bounding box grown by
//!    `thickness` (and, with `on_substrate`, over the substrate's extent up to
//!    `substrate_thickness`, by default `thickness`, above its plane);
//! 2. a point is kept when it lies outside every domain shape of every particle, within
//!    `thickness` of a site inside its particle (or, with `on_substrate`, within
//!    `substrate_thickness` of a substrate site), not below `substrate.z + min_separation`, and not closer than
//!    `min_separation` to any site already placed (particle, margin, substrate, earlier
//!    layers). Measuring the thickness from the sites, not from the shape's faces, keeps
//!    edges and corners from collecting sites far from any atom;
//! 3. its **surface normal** is the unit vector from the centroid of the atoms (inside
//!    sites of the particles and substrate sites) within `normal_radius` of it to the
//!    point; its **nearest atom** gives its underlying domain;
//! 4. its kind is the kind of the first [`FacetRule`] whose normal family contains a
//!    direction within `tolerance` of the surface normal (and whose domain filter, if any,
//!    matches the underlying domain); else the layer's default kind for its basis role.
//!
//! A point with no atom within `normal_radius` is dropped, except over the substrate when
//! the layer has a `substrate_thickness` (a band higher than `thickness` over the
//! substrate, where particles can rest on the layer's lattice): such a point takes the
//! normal +z and the substrate's domain. Layers are emitted after the
//! substrate, one domain per layer named `particle/layer`, all sites vacant, so a model
//! without layers builds exactly the sites it built before. Several layers (`thickness`
//! of a few interlayer spacings, or several specs) give a cluster room to grow.
//!
//! # Extending
//! Another way of choosing kinds (e.g. by coordination) is another field of
//! [`FacetRule`] checked in [`classify`].

use kiddo::SquaredEuclidean;
use kiddo::immutable::float::kdtree::ImmutableKdTree;

use super::assembly::{ParticleSpec, SiteList, SubstrateSpec};
use super::crystal::Crystal;
use super::domain::DomainSpec;
use super::shape::Shape;
use crate::error::{Error, Result};
use crate::sites::{DomainId, KindId};

/// A facet family and the site kind of the adsorption sites on it.
#[derive(Debug, Clone, PartialEq)]
pub struct FacetRule {
    /// Unit normals of the family, lab frame (already expanded by symmetry and rotated
    /// with the particle); empty: any normal (a rule by domain only, e.g. the substrate).
    pub normals: Vec<[f64; 3]>,
    /// Largest angle between a site's surface normal and a family normal [rad].
    pub tolerance: f64,
    /// Names of the domains (`particle/domain`, or the substrate's name) whose surface the
    /// rule applies to; empty: any.
    pub domains: Vec<String>,
    /// Site kind of the matching sites.
    pub kind: KindId,
}

/// One adsorption layer around a particle.
#[derive(Debug, Clone, PartialEq)]
pub struct AdlayerSpec {
    /// Layer name (the domain is `particle/name`).
    pub name: String,
    /// Index of the particle in [`super::Assembly::particles`].
    pub particle: usize,
    /// The overlayer lattice.
    pub crystal: Crystal,
    /// Default site kind per basis site (sites matching no facet rule).
    pub kinds: Vec<KindId>,
    /// Rotation crystal → lab (rows).
    pub rotation: [[f64; 3]; 3],
    /// Crystal origin relative to the particle offset [Å].
    pub lattice_origin: [f64; 3],
    /// Largest distance from a layer site to the nearest site inside the particle (or of
    /// the substrate) [Å]: ≈ 2.5 Å for one layer of adatoms, ≈ 5 Å for two.
    pub thickness: f64,
    /// Also cover the substrate's extent up to `thickness` (or `substrate_thickness`) above
    /// its plane.
    pub on_substrate: bool,
    /// With `on_substrate`: cover the substrate up to this height instead of `thickness`
    /// (a site is kept within this distance of a substrate site) [Å]. A site of this band
    /// with no atom within `normal_radius` is kept with the normal +z and the substrate's
    /// domain (room for particles on the substrate, on the layer's lattice). `None`:
    /// `thickness`, and such sites are dropped.
    pub substrate_thickness: Option<f64>,
    /// Radius of the neighbourhood whose atoms define a site's surface normal [Å].
    pub normal_radius: f64,
    /// Facet rules, first match wins.
    pub facets: Vec<FacetRule>,
}

/// Sites of a layer before they are appended to the list.
struct LayerSites {
    positions: Vec<[f64; 3]>,
    kinds: Vec<KindId>,
    roles: Vec<u16>,
}

fn shape_contains(d: &DomainSpec, offset: [f64; 3], p: [f64; 3], margin: f64) -> bool {
    d.shape.contains_inflated(
        [
            p[0] - offset[0] - d.center[0],
            p[1] - offset[1] - d.center[1],
            p[2] - offset[2] - d.center[2],
        ],
        margin,
    )
}

/// The first rule matching `normal` on `domain`, or `None`.
fn classify<'a>(rules: &'a [FacetRule], normal: [f64; 3], domain: &str) -> Option<&'a FacetRule> {
    rules.iter().find(|r| {
        (r.domains.is_empty()
            || r.domains
                .iter()
                .any(|d| d == domain || domain.starts_with(&format!("{d}/"))))
            && (r.normals.is_empty()
                || r.normals.iter().any(|n| {
                    let c = n[0] * normal[0] + n[1] * normal[1] + n[2] * normal[2];
                    c >= r.tolerance.cos() - 1e-12
                }))
    })
}

/// Appends the sites of `layers` to `list` (see the module documentation).
///
/// # Errors
/// On invalid parameters, a particle index out of range, `on_substrate` without a
/// substrate, a layer with no site, or more than 65535 domains.
#[allow(clippy::too_many_lines)]
pub fn add_layers(
    list: &mut SiteList,
    particles: &[(ParticleSpec, [f64; 3])],
    substrate: Option<&SubstrateSpec>,
    min_separation: f64,
    layers: &[AdlayerSpec],
) -> Result<()> {
    for layer in layers {
        let context = format!("adsorption layer `{}`", layer.name);
        let Some((particle, offset)) = particles.get(layer.particle) else {
            return Err(Error::build(&context, "particle index out of range"));
        };
        if !(layer.thickness.is_finite() && layer.thickness > 0.0) {
            return Err(Error::build(
                &context,
                "thickness must be positive and finite",
            ));
        }
        if !(layer.normal_radius.is_finite() && layer.normal_radius > 0.0) {
            return Err(Error::build(
                &context,
                "normal_radius must be positive and finite",
            ));
        }
        if layer.on_substrate && substrate.is_none() {
            return Err(Error::build(&context, "`on_substrate` needs a substrate"));
        }
        if let Some(h) = layer.substrate_thickness
            && !(layer.on_substrate && h.is_finite() && h > 0.0)
        {
            return Err(Error::build(
                &context,
                "substrate_thickness must be positive and finite, with `on_substrate`",
            ));
        }
        let band = layer.substrate_thickness.unwrap_or(layer.thickness);
        if layer.kinds.len() != layer.crystal.basis.len() {
            return Err(Error::build(&context, "one kind per basis site is needed"));
        }

        // Region: the particle's box grown by the thickness, plus the substrate band.
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for d in &particle.domains {
            let (l, h) = d.shape.bounding_box();
            for k in 0..3 {
                lo[k] = lo[k].min(offset[k] + d.center[k] + l[k] - layer.thickness);
                hi[k] = hi[k].max(offset[k] + d.center[k] + h[k] + layer.thickness);
            }
        }
        if let (true, Some(s)) = (layer.on_substrate, substrate) {
            lo[0] = lo[0].min(-0.5 * s.extent[0]);
            hi[0] = hi[0].max(0.5 * s.extent[0]);
            lo[1] = lo[1].min(-0.5 * s.extent[1]);
            hi[1] = hi[1].max(0.5 * s.extent[1]);
            lo[2] = lo[2].min(s.z);
            hi[2] = hi[2].max(s.z + band);
        }
        if lo.iter().chain(&hi).any(|x| !x.is_finite()) {
            return Err(Error::build(&context, "the particle is unbounded"));
        }
        let center = [
            0.5 * (lo[0] + hi[0]),
            0.5 * (lo[1] + hi[1]),
            0.5 * (lo[2] + hi[2]),
        ];
        let mut cover = DomainSpec::new(
            layer.name.clone(),
            layer.crystal.clone(),
            layer.kinds.clone(),
            Shape::Box {
                size: [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]],
            },
        );
        cover.center = center;
        cover.rotation = layer.rotation;
        cover.lattice_origin = [
            offset[0] + layer.lattice_origin[0] - center[0],
            offset[1] + layer.lattice_origin[1] - center[1],
            offset[2] + layer.lattice_origin[2] - center[2],
        ];
        cover.validate(&context)?;
        let candidates = cover.candidates([0.0; 3], &context)?;

        // Trees: every site placed so far, and the atoms (inside sites) with their domains.
        let all: ImmutableKdTree<f64, u32, 3, 32> =
            ImmutableKdTree::new_from_slice(&list.positions);
        let atom_index: Vec<usize> = (0..list.len()).filter(|&i| list.inside[i]).collect();
        let atom_positions: Vec<[f64; 3]> = atom_index.iter().map(|&i| list.positions[i]).collect();
        if atom_positions.is_empty() {
            return Err(Error::build(&context, "there are no atoms to adsorb on"));
        }
        let atoms: ImmutableKdTree<f64, u32, 3, 32> =
            ImmutableKdTree::new_from_slice(&atom_positions);
        let floor = substrate.map(|s| s.z + min_separation);
        // Domain indices of this particle and of the substrate in the list.
        let first: usize = particles[..layer.particle]
            .iter()
            .map(|(q, _)| q.domains.len())
            .sum();
        let particle_domains = first..first + particle.domains.len();
        let substrate_domain = substrate.map(|_| {
            particles
                .iter()
                .map(|(q, _)| q.domains.len())
                .sum::<usize>()
        });
        let r2 = min_separation * min_separation;
        let n2 = layer.normal_radius * layer.normal_radius;

        let mut out = LayerSites {
            positions: Vec::new(),
            kinds: Vec::new(),
            roles: Vec::new(),
        };
        for c in &candidates {
            let p = c.position;
            if floor.is_some_and(|f| p[2] < f)
                || particles
                    .iter()
                    .any(|(q, o)| q.domains.iter().any(|d| shape_contains(d, *o, p, 0.0)))
            {
                continue;
            }
            // Within `thickness` of a site inside this particle (or within the band's height
            // of the substrate).
            let t2 = layer.thickness * layer.thickness;
            let b2 = band * band;
            let (mut by_particle, mut on_band) = (false, false);
            for n in atoms.within_unsorted::<SquaredEuclidean>(&p, t2.max(b2)) {
                let d = list.domains[atom_index[n.item as usize]].index();
                by_particle |= particle_domains.contains(&d) && n.distance <= t2;
                on_band |= layer.on_substrate && Some(d) == substrate_domain && n.distance <= b2;
            }
            let supported = by_particle || on_band;
            if !supported {
                continue;
            }
            if min_separation > 0.0 && !all.within_unsorted::<SquaredEuclidean>(&p, r2).is_empty() {
                continue;
            }
            // Surface normal from the centroid of the nearby atoms; domain of the nearest.
            let near = atoms.within_unsorted::<SquaredEuclidean>(&p, n2);
            if near.is_empty() {
                // High over the substrate: normal +z, the substrate's domain.
                if let (true, Some(_), Some(d)) =
                    (on_band, layer.substrate_thickness, substrate_domain)
                {
                    let domain = &list.domain_names[d];
                    let kind = classify(&layer.facets, [0.0, 0.0, 1.0], domain)
                        .map_or(layer.kinds[usize::from(c.role)], |r| r.kind);
                    out.positions.push(p);
                    out.kinds.push(kind);
                    out.roles.push(c.role);
                }
                continue;
            }
            let mut centroid = [0.0; 3];
            let mut nearest = (f64::INFINITY, usize::MAX);
            for n in &near {
                let i = n.item as usize;
                for k in 0..3 {
                    centroid[k] += atom_positions[i][k];
                }
                // Ties broken by index, for a result independent of the tree's order.
                if (n.distance, i) < nearest {
                    nearest = (n.distance, i);
                }
            }
            #[allow(clippy::cast_precision_loss)]
            let count = near.len() as f64;
            let v = [
                p[0] - centroid[0] / count,
                p[1] - centroid[1] / count,
                p[2] - centroid[2] / count,
            ];
            let length = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            let normal = if length > 1e-9 {
                [v[0] / length, v[1] / length, v[2] / length]
            } else {
                [0.0; 3]
            };
            let domain = &list.domain_names[list.domains[atom_index[nearest.1]].index()];
            let kind = classify(&layer.facets, normal, domain)
                .map_or(layer.kinds[usize::from(c.role)], |r| r.kind);
            out.positions.push(p);
            out.kinds.push(kind);
            out.roles.push(c.role);
        }
        if out.positions.is_empty() {
            return Err(Error::build(
                &context,
                "has no sites: thicken it or move its lattice origin",
            ));
        }
        let id = u16::try_from(list.domain_names.len())
            .ok()
            .filter(|&i| i < u16::MAX)
            .ok_or_else(|| Error::build(&context, "more than 65535 domains"))?;
        list.domain_names
            .push(format!("{}/{}", particle.name, layer.name));
        let n = out.positions.len();
        list.positions.extend(out.positions);
        list.kinds.extend(out.kinds);
        list.roles.extend(out.roles);
        list.domains.extend(std::iter::repeat_n(DomainId(id), n));
        list.inside.extend(std::iter::repeat_n(false, n));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_first_rule_within_tolerance_and_domain() {
        let side = FacetRule {
            normals: vec![[1.0, 0.0, 0.0]],
            tolerance: 0.2,
            domains: vec![],
            kind: KindId(1),
        };
        let tip = FacetRule {
            normals: vec![[0.0, 0.0, 1.0]],
            tolerance: 0.2,
            domains: vec!["rod".into()],
            kind: KindId(2),
        };
        let rules = [side, tip];
        assert_eq!(
            classify(&rules, [1.0, 0.0, 0.0], "x/y").map(|r| r.kind),
            Some(KindId(1))
        );
        assert_eq!(
            classify(&rules, [0.0, 0.0, 1.0], "rod/core").map(|r| r.kind),
            Some(KindId(2))
        );
        assert!(classify(&rules, [0.0, 0.0, 1.0], "other/core").is_none());
        assert!(classify(&rules, [0.7, 0.0, 0.7], "rod/core").is_none());
    }
}
