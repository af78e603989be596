//! `type = "voids"`: vacancies enclosed by the particle, its radial density profile, the
//! thickness of a hollow shell and an order parameter.
//!
//! - A **void** is a connected component (along `shell`) of vacant sites of the region that
//!   does not reach its border: none of its sites lacks a neighbour (the edge of an open box
//!   or of the site set) or has a neighbour outside the region. The vacuum around a
//!   particle reaches the edge of the box and is no void; a Kirkendall cavity is one. With
//!   `kinds` (the lattice sites of a crystal with interstitial sites) only vacant sites of
//!   those kinds are void sites, and a neighbour of another kind is neither part of a void
//!   nor its border: a vacancy is a void even beside its empty interstitial holes.
//! - The **centre** is the centroid of the region's atoms (weight 1 each).
//! - **Shell thickness** `R_out − R_in`, with `R = √(5/3) R_g` the radius of the uniform
//!   sphere of the same radius of gyration about the centre: `R_out` of the atoms and voids
//!   together (the filled particle), `R_in` of the voids alone. It is exact for a
//!   concentric spherical shell and gives the particle's radius when there is no void.
//! - **Order**: the fraction of the region's atoms that sit on a site holding the same
//!   species as in the first frame analysed (the reference phase pattern).

use super::geometry::{MinImage, for_each_component, norm2, sub};
use super::region::Region;
use super::{Frame, Measurement, State, Value, mean};
use crate::sites::{ShellId, SiteId};
use crate::state::SpeciesId;

/// A voids entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Voids {
    /// Neighbour relation connecting vacancies.
    pub shell: ShellId,
    /// The particle's sites (domains and shape; the default is every site).
    pub region: Region,
    /// Smallest void counted [sites].
    pub min_size: u64,
    /// Width of the radial bins [Å].
    pub bin_width: f64,
    /// Outer edge of the last radial bin [Å] (`None`: the largest distance of a site from
    /// the centroid of all sites, fixed at the first frame).
    pub r_max: Option<f64>,
}

/// The species per site of the first frame, the reference of the order parameter.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    species: Vec<SpeciesId>,
    /// Outer edge of the radial bins [Å].
    r_max: f64,
}

impl Voids {
    /// Appends `void_count`, `void_sites`, `largest_void`, `void_fraction`, `outer_radius`,
    /// `inner_radius`, `shell_thickness`, `order` and the `radial_density` profile.
    #[allow(clippy::too_many_lines)]
    pub fn measure(
        &self,
        frame: &Frame,
        name: &str,
        state: &mut State,
        out: &mut Vec<Measurement>,
    ) {
        if !matches!(state, State::Voids(_)) {
            *state = State::Voids(Reference {
                species: frame.species.to_vec(),
                r_max: self
                    .r_max
                    .unwrap_or_else(|| extent(frame.graph.positions())),
            });
        }
        let State::Voids(reference) = state else {
            return;
        };
        let graph = frame.graph;
        let positions = graph.positions();
        let region = self.region.resolve(|| frame.atom_centroid());
        let everywhere = self.region.is_everything();
        #[allow(clippy::cast_possible_truncation)]
        let inside = |i: usize| everywhere || region.contains(graph, SiteId(i as u32));
        // the border of the region is where it ends in space or domains: a neighbour of a
        // kind the entry leaves out (an empty interstitial site) is no way out.
        let place = Region {
            kinds: None,
            ..self.region.clone()
        };
        let place_resolved = place.resolve(|| frame.atom_centroid());
        let anywhere = place.is_everything();
        #[allow(clippy::cast_possible_truncation)]
        let in_place = |i: usize| anywhere || place_resolved.contains(graph, SiteId(i as u32));

        // Stage 1: atoms, their centroid and the order parameter.
        let mut atoms = 0u64;
        let mut ordered = 0u64;
        let mut sum = [0.0; 3];
        for (i, s) in frame.species.iter().enumerate() {
            if s.is_vacancy() || !inside(i) {
                continue;
            }
            atoms += 1;
            if reference.species[i] == *s {
                ordered += 1;
            }
            for a in 0..3 {
                sum[a] += positions[i][a];
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let centre = sum.map(|x| x / atoms.max(1) as f64);

        // Stage 2: enclosed vacancy components.
        let image = MinImage::new(graph.simulation_box());
        let mut count = 0u64;
        let mut void_sites = 0u64;
        let mut largest = 0u64;
        let mut void_r2 = 0.0;
        for_each_component(
            graph,
            &[self.shell],
            |i| frame.species[i].is_vacancy() && inside(i),
            |i| !in_place(i),
            &image,
            |c| {
                let size = c.sites.len() as u64;
                if c.touches_border || size < self.min_size {
                    return;
                }
                count += 1;
                void_sites += size;
                largest = largest.max(size);
                void_r2 += c
                    .sites
                    .iter()
                    .map(|s| norm2(sub(positions[s.index()], centre)))
                    .sum::<f64>();
            },
        );

        // Stage 3: radial profile and radii of gyration about the centre.
        let bins = self.bin_count(reference.r_max);
        let mut site_bins = vec![0u64; bins];
        let mut atom_bins = vec![0u64; bins];
        let mut atom_r2 = 0.0;
        for (i, s) in frame.species.iter().enumerate() {
            if !inside(i) {
                continue;
            }
            let r2 = norm2(sub(positions[i], centre));
            if !s.is_vacancy() {
                atom_r2 += r2;
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let b = (r2.sqrt() / self.bin_width) as usize;
            if b < bins && atoms > 0 {
                site_bins[b] += 1;
                if !s.is_vacancy() {
                    atom_bins[b] += 1;
                }
            }
        }
        let factor = (5.0f64 / 3.0).sqrt();
        let outer = factor * mean(atom_r2 + void_r2, atoms + void_sites).sqrt();
        let inner = if void_sites == 0 {
            0.0
        } else {
            factor * mean(void_r2, void_sites).sqrt()
        };
        #[allow(clippy::cast_precision_loss)]
        let (profile, edges): (Vec<f64>, Vec<f64>) = (
            site_bins
                .iter()
                .zip(&atom_bins)
                .map(|(&s, &a)| mean(a as f64, s))
                .collect(),
            (0..=bins).map(|k| k as f64 * self.bin_width).collect(),
        );
        #[allow(clippy::cast_precision_loss)]
        {
            out.push(Measurement::scalar(name, "void_count", "1", count as f64));
            out.push(Measurement::scalar(
                name,
                "void_sites",
                "sites",
                void_sites as f64,
            ));
            out.push(Measurement::scalar(
                name,
                "largest_void",
                "sites",
                largest as f64,
            ));
            out.push(Measurement::scalar(
                name,
                "void_fraction",
                "1",
                mean(void_sites as f64, atoms + void_sites),
            ));
        }
        out.push(Measurement::scalar(name, "outer_radius", "angstrom", outer));
        out.push(Measurement::scalar(name, "inner_radius", "angstrom", inner));
        out.push(Measurement::scalar(
            name,
            "shell_thickness",
            "angstrom",
            outer - inner,
        ));
        #[allow(clippy::cast_precision_loss)]
        out.push(Measurement::scalar(
            name,
            "order",
            "1",
            mean(ordered as f64, atoms),
        ));
        out.push(Measurement {
            name: format!("{name}:radial_density"),
            unit: "1",
            value: Value::Distribution {
                values: profile,
                edges,
                edges_unit: "angstrom",
            },
        });
    }

    /// Number of radial bins: `⌈r_max / bin_width⌉` (at least 1).
    #[must_use]
    pub fn bin_count(&self, r_max: f64) -> usize {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = (r_max / self.bin_width).ceil() as usize;
        n.max(1)
    }
}

/// The largest distance of a site from the centroid of all sites [Å].
fn extent(positions: &[[f64; 3]]) -> f64 {
    let mut c = [0.0; 3];
    for p in positions {
        for a in 0..3 {
            c[a] += p[a];
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let n = positions.len().max(1) as f64;
    let c = c.map(|x| x / n);
    positions
        .iter()
        .map(|p| norm2(sub(*p, c)))
        .fold(0.0, f64::max)
        .sqrt()
}
