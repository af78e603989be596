//! How many candidate sites an assembly will enumerate, known from its geometry alone, so
//! that a system too large for the machine is refused before it is built (a 1.6 × 10⁹-site
//! sphere would otherwise grow until the allocator fails).
//!
//! The estimate is an upper bound of what the builder holds at once: for a domain, the
//! lattice points of its shape's bounding box inflated by the margin (the builder keeps
//! the points inside the inflated shape, all of them in that box); for the substrate, one site per spacing² (regular) or per mean spacing²
//! (amorphous) of its extent; for an adsorption layer, the lattice points of the particle's
//! box inflated by the layer's thickness (and of the substrate slab it covers).

use super::assembly::Assembly;
use super::crystal::Crystal;
use super::domain::DomainSpec;
use super::substrate::SubstrateLayout;

/// Lattice points of `crystal` per Å³.
fn density(crystal: &Crystal) -> f64 {
    let volume = crystal.volume().abs();
    if volume > 0.0 {
        #[allow(clippy::cast_precision_loss)]
        let n = crystal.basis.len() as f64;
        n / volume
    } else {
        f64::INFINITY
    }
}

/// Volume of the box `[lo − pad, hi + pad]` [Å³] (infinite when the box is unbounded).
fn inflated_volume(lo: [f64; 3], hi: [f64; 3], pad: f64) -> f64 {
    (0..3)
        .map(|k| (hi[k] - lo[k] + 2.0 * pad).max(0.0))
        .product()
}

impl DomainSpec {
    /// Candidate sites the builder enumerates for this domain (an upper bound; infinite for
    /// an unbounded shape, which the builder refuses anyway).
    #[must_use]
    pub fn estimated_candidates(&self) -> f64 {
        // the builder keeps only lattice points inside the shape inflated by the margin,
        // all of which lie in the inflated bounding box, whatever the crystal's rotation.
        let (lo, hi) = self.shape.bounding_box();
        inflated_volume(lo, hi, self.margin) * density(&self.crystal)
    }
}

impl Assembly {
    /// Candidate sites the builder enumerates for the whole assembly (see the module
    /// documentation).
    #[must_use]
    pub fn estimated_candidates(&self) -> f64 {
        let mut total: f64 = self
            .particles
            .iter()
            .flat_map(|(p, _)| p.domains.iter())
            .map(DomainSpec::estimated_candidates)
            .sum();
        let substrate_area = self
            .substrate
            .as_ref()
            .map_or(0.0, |s| s.extent[0].max(0.0) * s.extent[1].max(0.0));
        if let Some(s) = &self.substrate {
            let spacing = match s.layout {
                SubstrateLayout::Regular { spacing, .. } => spacing,
                SubstrateLayout::Amorphous { mean_spacing, .. } => mean_spacing,
            };
            total += substrate_area / (spacing * spacing);
        }
        for layer in &self.adlayers {
            let Some((particle, _)) = self.particles.get(layer.particle) else {
                continue;
            };
            let mut lo = [f64::INFINITY; 3];
            let mut hi = [f64::NEG_INFINITY; 3];
            for d in &particle.domains {
                let (a, b) = d.shape.bounding_box();
                for k in 0..3 {
                    lo[k] = lo[k].min(a[k] + d.center[k]);
                    hi[k] = hi[k].max(b[k] + d.center[k]);
                }
            }
            let mut volume = inflated_volume(lo, hi, layer.thickness);
            if layer.on_substrate {
                volume += substrate_area * layer.substrate_thickness.unwrap_or(layer.thickness);
            }
            total += volume * density(&layer.crystal);
        }
        total
    }
}
