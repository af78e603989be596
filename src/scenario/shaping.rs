//! Scenario keys that shape a particle beyond its domains: crystal rotations given by an
//! orientation relationship or by a plane and direction along lab vectors, the rotation of
//! a whole particle (`orientation`), adsorption layers (`adlayers`) and stoichiometric
//! trimming (`stoichiometric`, `geometry.stoichiometry_tolerance`).
//!
//! The geometry itself lives in [`crate::lattice::orientation`],
//! [`crate::lattice::adsorption`] and [`crate::lattice::stoichiometry`]; this file turns
//! the keys into those values with errors naming file, line, column and key.

use std::ops::Range;

use super::compile::Compiler;
use super::file::{self, Particle};
use crate::error::Result;
use crate::input::Spanned;
use crate::lattice::adsorption::{AdlayerSpec, FacetRule};
use crate::lattice::orientation::{self, multiply, rotate};
use crate::lattice::shape::{PointGroup, point_group_images};
use crate::lattice::{Crystal, ParticleSpec};

/// A placed crystal an orientation relationship may refer to: name, crystal, rotation.
pub(super) type Placed<'a> = (&'a str, &'a Crystal, [[f64; 3]; 3]);

/// Default radius of the neighbourhood defining an adsorption site's surface normal [Å].
const DEFAULT_NORMAL_RADIUS: f64 = 6.0;

/// Default angular tolerance of a facet rule [deg].
const DEFAULT_FACET_TOLERANCE: f64 = 20.0;

impl Compiler<'_> {
    /// The rotation (crystal → lab) of `crystal` from `r`: a matrix or axis–angle (as
    /// [`Compiler::rotation`]), a plane and direction along lab vectors, or an orientation
    /// relationship with one of the `earlier` crystals of the same particle.
    pub(super) fn crystal_rotation(
        &self,
        r: Option<&file::Rotation>,
        crystal: &Crystal,
        earlier: &[Placed<'_>],
        at: &Range<usize>,
        key: &str,
    ) -> Result<[[f64; 3]; 3]> {
        match r {
            Some(file::Rotation::Align {
                plane,
                normal,
                direction,
                along,
            }) => orientation::align(crystal, plane, direction, *normal, *along)
                .map_err(|e| self.err(at.clone(), key, e.to_string())),
            Some(file::Rotation::Relation {
                relative_to,
                plane,
                direction,
                parallel_plane,
                parallel_direction,
            }) => {
                let Some((_, other, other_rotation)) =
                    earlier.iter().find(|(n, _, _)| *n == relative_to)
                else {
                    let names: Vec<&str> = earlier.iter().map(|(n, _, _)| *n).collect();
                    return Err(self.err(
                        at.clone(),
                        &format!("{key}.relative_to"),
                        format!(
                            "no earlier domain `{relative_to}` in this particle (earlier: {})",
                            if names.is_empty() {
                                "none".to_string()
                            } else {
                                super::compile::listing(names.into_iter())
                            }
                        ),
                    ));
                };
                orientation::relationship(
                    crystal,
                    plane,
                    direction,
                    other,
                    *other_rotation,
                    parallel_plane,
                    parallel_direction,
                )
                .map_err(|e| self.err(at.clone(), key, e.to_string()))
            }
            other => self.rotation(other, at, key),
        }
    }

    /// Applies `orientation`, compiles `adlayers` (appended to `layers`) and reads
    /// `stoichiometric` of particle `pf` (index `index`), whose domains are in `spec`.
    /// Returns whether the particle is to be trimmed to its ideal stoichiometry.
    pub(super) fn particle_extras(
        &self,
        pf: &Particle,
        index: usize,
        at: &Range<usize>,
        spec: &mut ParticleSpec,
        substrate: Option<&str>,
        layers: &mut Vec<AdlayerSpec>,
    ) -> Result<bool> {
        let key = format!("geometry.particles[{index}]");
        let mut own: Vec<AdlayerSpec> = Vec::new();
        for (j, lf) in pf.adlayers.iter().enumerate() {
            own.push(self.adlayer(
                lf,
                index,
                spec,
                substrate,
                at,
                &format!("{key}.adlayers[{j}]"),
            )?);
        }
        if let Some(r) = &pf.orientation {
            if matches!(
                r,
                file::Rotation::Align { .. } | file::Rotation::Relation { .. }
            ) {
                return Err(self.err(
                    at.clone(),
                    &format!("{key}.orientation"),
                    "a particle's orientation is a matrix or { axis, angle }: planes and directions belong to a crystal's `rotation`",
                ));
            }
            let r = self.rotation(Some(r), at, &format!("{key}.orientation"))?;
            orientation::orient_particle(spec, r)
                .map_err(|e| self.err(at.clone(), &format!("{key}.orientation"), e.to_string()))?;
            for layer in &mut own {
                layer.rotation = multiply(r, layer.rotation);
                layer.lattice_origin = rotate(r, layer.lattice_origin);
                for rule in &mut layer.facets {
                    for n in &mut rule.normals {
                        *n = rotate(r, *n);
                    }
                }
            }
        }
        layers.extend(own);
        Ok(pf.stoichiometric.as_ref().is_some_and(|s| *s.get_ref()))
    }

    #[allow(clippy::too_many_lines)] // one check per key of the layer and its facets
    fn adlayer(
        &self,
        lf: &file::AdlayerFile,
        index: usize,
        spec: &ParticleSpec,
        substrate: Option<&str>,
        at: &Range<usize>,
        key: &str,
    ) -> Result<AdlayerSpec> {
        let name = lf.name.get_ref().clone();
        if name.is_empty() || name.contains('/') || spec.domains.iter().any(|d| d.name == name) {
            return Err(self.err(
                lf.name.span(),
                &format!("{key}.name"),
                "must be non-empty, without `/`, and differ from the particle's domain names",
            ));
        }
        let phase = self.phase(&lf.phase, &format!("{key}.phase"))?;
        let (crystal, kinds, _) =
            self.phase_domain(phase, lf.phase.span(), &format!("{key}.phase"))?;
        let thickness = self.positive_length(&lf.thickness, &format!("{key}.thickness"))?;
        let earlier: Vec<Placed<'_>> = spec
            .domains
            .iter()
            .map(|d| (d.name.as_str(), &d.crystal, d.rotation))
            .collect();
        let rotation = self.crystal_rotation(
            lf.rotation.as_ref(),
            &crystal,
            &earlier,
            at,
            &format!("{key}.rotation"),
        )?;
        let lattice_origin = match &lf.lattice_origin {
            Some(o) => self.vector(o, &format!("{key}.lattice_origin"))?,
            None => [0.0; 3],
        };
        let normal_radius = match &lf.normal_radius {
            Some(q) => self.positive_length(q, &format!("{key}.normal_radius"))?,
            None => DEFAULT_NORMAL_RADIUS,
        };
        let mut facets = Vec::new();
        for (k, ff) in lf.facets.iter().enumerate() {
            let fkey = format!("{key}.facets[{k}]");
            let normals = match &ff.normal {
                None => Vec::new(),
                Some(normal) => {
                    let n = *normal.get_ref();
                    let length = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                    if !(length.is_finite() && length > 0.0) {
                        return Err(self.err(
                            normal.span(),
                            &format!("{fkey}.normal"),
                            "must be a non-zero vector",
                        ));
                    }
                    let unit = [n[0] / length, n[1] / length, n[2] / length];
                    match ff.symmetry.as_ref().map(|s| s.get_ref().as_str()) {
                        None | Some("none") => vec![unit],
                        Some("cubic") => dedup(point_group_images(unit, PointGroup::Cubic)),
                        Some("hexagonal") => dedup(point_group_images(unit, PointGroup::Hexagonal)),
                        Some(other) => {
                            let span = ff.symmetry.as_ref().map_or(at.clone(), Spanned::span);
                            return Err(self.err(
                                span,
                                &format!("{fkey}.symmetry"),
                                format!("unknown symmetry `{other}` (expected `none`, `cubic` or `hexagonal`)"),
                            ));
                        }
                    }
                }
            };
            if normals.is_empty() && ff.domain.is_none() {
                return Err(self.err(
                    ff.kind.span(),
                    &format!("{fkey}.normal"),
                    "a facet rule needs a `normal`, a `domain`, or both",
                ));
            }
            if normals.is_empty() && (ff.symmetry.is_some() || ff.tolerance.is_some()) {
                return Err(self.err(
                    ff.kind.span(),
                    &format!("{fkey}.normal"),
                    "`symmetry` and `tolerance` apply to a `normal`, which is missing",
                ));
            }
            let tolerance = match &ff.tolerance {
                None => DEFAULT_FACET_TOLERANCE.to_radians(),
                Some(t) => {
                    let v = self.angle(t.get_ref(), &t.span(), &format!("{fkey}.tolerance"))?;
                    if !(v > 0.0 && v <= std::f64::consts::PI) {
                        return Err(self.err(
                            t.span(),
                            &format!("{fkey}.tolerance"),
                            "must lie in (0, 180] deg",
                        ));
                    }
                    v
                }
            };
            let domains = match &ff.domain {
                None => Vec::new(),
                Some(d) => {
                    let wanted = d.get_ref();
                    if !spec.domains.iter().any(|x| x.name == *wanted)
                        && substrate != Some(wanted.as_str())
                    {
                        let names: Vec<&str> =
                            spec.domains.iter().map(|x| x.name.as_str()).collect();
                        return Err(self.err(
                            d.span(),
                            &format!("{fkey}.domain"),
                            format!(
                                "no domain `{wanted}` in this particle (domains: {}; or the substrate's name)",
                                super::compile::listing(names.into_iter())
                            ),
                        ));
                    }
                    if substrate == Some(wanted.as_str()) {
                        vec![wanted.clone()]
                    } else {
                        vec![format!("{}/{wanted}", spec.name)]
                    }
                }
            };
            let kind = self.kind(&ff.kind, &format!("{fkey}.kind"))?;
            facets.push(FacetRule {
                normals,
                tolerance,
                domains,
                kind,
            });
        }
        let on_substrate = lf.on_substrate.as_ref().is_some_and(|b| *b.get_ref());
        let substrate_thickness = match &lf.substrate_thickness {
            None => None,
            Some(q) => {
                let h = self.positive_length(q, &format!("{key}.substrate_thickness"))?;
                if !on_substrate {
                    return Err(self.err(
                        q.span(),
                        &format!("{key}.substrate_thickness"),
                        "applies to a layer with `on_substrate = true`",
                    ));
                }
                Some(h)
            }
        };
        Ok(AdlayerSpec {
            name,
            particle: index,
            crystal,
            kinds,
            rotation,
            lattice_origin,
            thickness,
            on_substrate,
            substrate_thickness,
            normal_radius,
            facets,
        })
    }
}

/// Removes duplicate unit vectors (to 1e-9).
fn dedup(v: Vec<[f64; 3]>) -> Vec<[f64; 3]> {
    let mut out: Vec<[f64; 3]> = Vec::new();
    for n in v {
        if !out
            .iter()
            .any(|m| (0..3).all(|k| (m[k] - n[k]).abs() < 1e-9))
        {
            out.push(n);
        }
    }
    out
}
