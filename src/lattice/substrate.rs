//! Substrate layers: a 2-D layer of sites under the particles (e.g. an amorphous carbon
//! support film), its own domain in the [`crate::lattice::Assembly`].
//!
//! Layouts are regular (square or triangular) or amorphous. The amorphous layout is random
//! sequential addition ("dart throwing", a Poisson-disk-like process) with a seeded
//! `Xoshiro256PlusPlus`, so a given seed always gives the same layer. Along periodic axes,
//! regular layouts must tile the extent and distances are minimum-image.
//!
//! # Extending
//! Add a variant to [`SubstrateLayout`] and its arm in [`SubstrateSpec::sites`].

use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::{Error, Result};
use crate::sites::KindId;

/// Regular 2-D lattices of a substrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanarLattice {
    /// Square lattice.
    Square,
    /// Triangular (hexagonal close-packed) lattice, rows along x.
    Triangular,
}

/// How substrate sites are laid out in their plane.
#[derive(Debug, Clone, PartialEq)]
pub enum SubstrateLayout {
    /// A regular lattice of nearest-neighbour distance `spacing` [Å].
    Regular {
        /// Nearest-neighbour distance [Å].
        spacing: f64,
        /// Square or triangular.
        lattice: PlanarLattice,
    },
    /// Random sequential addition (dart throwing) of `area / mean_spacing²` points, no two
    /// closer than `min_distance` [Å], with a seeded `Xoshiro256PlusPlus` (deterministic).
    Amorphous {
        /// Mean spacing: one site per `mean_spacing²` of area [Å].
        mean_spacing: f64,
        /// Smallest allowed distance between two sites [Å].
        min_distance: f64,
        /// Random seed.
        seed: u64,
    },
}

/// A 2-D layer of substrate sites at height `z`, its own domain (e.g. amorphous carbon).
/// It covers `x ∈ [−extent[0]/2, extent[0]/2)`, likewise y. Particles sit above it; the
/// caller chooses particle offsets so that the particle–substrate distances match the
/// cutoff of the shell that should bind them.
#[derive(Debug, Clone, PartialEq)]
pub struct SubstrateSpec {
    /// Domain name.
    pub name: String,
    /// Site kind of all substrate sites.
    pub kind: KindId,
    /// Height of the layer [Å].
    pub z: f64,
    /// Size along x and y [Å].
    pub extent: [f64; 2],
    /// The in-plane arrangement.
    pub layout: SubstrateLayout,
}

fn positive(context: &str, name: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::build(
            context,
            format!("{name} must be positive and finite, got {value}"),
        ))
    }
}

/// Uniform random number in [0, 1) from the top 53 bits.
fn unit_random(rng: &mut Xoshiro256PlusPlus) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let u = (rng.next_u64() >> 11) as f64;
    u * (1.0 / 9_007_199_254_740_992.0)
}

/// Number of points of a regular row of spacing `step` filling `length`. With periodic
/// axes the row must tile the length exactly.
fn row_count(context: &str, length: f64, step: f64, periodic: bool) -> Result<usize> {
    let ratio = length / step;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = if periodic {
        ratio.round() as usize
    } else {
        (ratio + 1e-9).floor() as usize
    };
    #[allow(clippy::cast_precision_loss)]
    if n == 0 || (periodic && (n as f64 * step - length).abs() > 1e-6 * length) {
        return Err(Error::build(
            context,
            format!(
                "extent {length} is not a positive multiple of the row spacing {step} along a periodic axis"
            ),
        ));
    }
    Ok(n)
}

impl SubstrateSpec {
    /// The in-plane positions `(x, y)` [Å] of the sites, in a deterministic order.
    ///
    /// # Errors
    /// If a parameter is invalid, a regular lattice does not tile a periodic extent, or the
    /// amorphous layer cannot reach its density (lower `min_distance`).
    pub fn sites(&self, periodic: [bool; 2]) -> Result<Vec<[f64; 2]>> {
        let context = format!("substrate `{}`", self.name);
        positive(&context, "extent[0]", self.extent[0])?;
        positive(&context, "extent[1]", self.extent[1])?;
        if !self.z.is_finite() {
            return Err(Error::build(&context, "z must be finite"));
        }
        let [ex, ey] = self.extent;
        match self.layout {
            SubstrateLayout::Regular { spacing, lattice } => {
                positive(&context, "spacing", spacing)?;
                let row = match lattice {
                    PlanarLattice::Square => spacing,
                    PlanarLattice::Triangular => spacing * 0.5 * 3f64.sqrt(),
                };
                let nx = row_count(&context, ex, spacing, periodic[0])?;
                let ny = row_count(&context, ey, row, periodic[1])?;
                if lattice == PlanarLattice::Triangular && periodic[1] && ny % 2 == 1 {
                    return Err(Error::build(
                        &context,
                        "a periodic triangular layer needs an even number of rows",
                    ));
                }
                let mut out = Vec::with_capacity(nx * ny);
                for j in 0..ny {
                    // Rows of a triangular lattice alternate between offsets 1/4 and 3/4 of
                    // the spacing, so that every site stays inside [-extent/2, extent/2).
                    let shift = match lattice {
                        PlanarLattice::Square => 0.5,
                        PlanarLattice::Triangular if j % 2 == 1 => 0.75,
                        PlanarLattice::Triangular => 0.25,
                    };
                    for i in 0..nx {
                        #[allow(clippy::cast_precision_loss)]
                        let (x, y) = (
                            (i as f64 + shift - 0.5 * nx as f64) * spacing,
                            (j as f64 + 0.5 - 0.5 * ny as f64) * row,
                        );
                        out.push([x, y]);
                    }
                }
                Ok(out)
            }
            SubstrateLayout::Amorphous {
                mean_spacing,
                min_distance,
                seed,
            } => {
                positive(&context, "mean_spacing", mean_spacing)?;
                if !(min_distance.is_finite() && min_distance >= 0.0 && min_distance < mean_spacing)
                {
                    return Err(Error::build(
                        &context,
                        "min_distance must be in [0, mean_spacing)",
                    ));
                }
                amorphous_layer(
                    &context,
                    [ex, ey],
                    mean_spacing,
                    min_distance,
                    seed,
                    periodic,
                )
            }
        }
    }
}

/// Dart throwing on a uniform grid of cells at least `min_distance` wide.
fn amorphous_layer(
    context: &str,
    extent: [f64; 2],
    mean_spacing: f64,
    min_distance: f64,
    seed: u64,
    periodic: [bool; 2],
) -> Result<Vec<[f64; 2]>> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let target = (extent[0] * extent[1] / (mean_spacing * mean_spacing)).round() as usize;
    let cell_size = min_distance.max(1e-3 * mean_spacing);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let cells = [
        ((extent[0] / cell_size).floor() as usize).clamp(1, 1 << 14),
        ((extent[1] / cell_size).floor() as usize).clamp(1, 1 << 14),
    ];
    #[allow(clippy::cast_precision_loss)]
    let width = [extent[0] / cells[0] as f64, extent[1] / cells[1] as f64];
    let mut grid: Vec<Vec<u32>> = vec![Vec::new(); cells[0] * cells[1]];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut points: Vec<[f64; 2]> = Vec::with_capacity(target);
    let max_attempts = 1000 + 200 * target;
    let d2 = min_distance * min_distance;
    let mut attempts = 0;
    while points.len() < target && attempts < max_attempts {
        attempts += 1;
        let p = [
            (unit_random(&mut rng) - 0.5) * extent[0],
            (unit_random(&mut rng) - 0.5) * extent[1],
        ];
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_possible_wrap
        )]
        let c = [
            (((p[0] + 0.5 * extent[0]) / width[0]) as usize).min(cells[0] - 1) as i64,
            (((p[1] + 0.5 * extent[1]) / width[1]) as usize).min(cells[1] - 1) as i64,
        ];
        let mut free = true;
        'search: for dx in -1..=1_i64 {
            for dy in -1..=1_i64 {
                let mut q = [c[0] + dx, c[1] + dy];
                let mut skip = false;
                for a in 0..2 {
                    #[allow(clippy::cast_possible_wrap)]
                    let n = cells[a] as i64;
                    if q[a] < 0 || q[a] >= n {
                        if periodic[a] {
                            q[a] = q[a].rem_euclid(n);
                        } else {
                            skip = true;
                        }
                    }
                }
                if skip {
                    continue;
                }
                #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
                let index = q[0] as usize * cells[1] + q[1] as usize;
                for &other in &grid[index] {
                    let o = points[other as usize];
                    let mut d = [p[0] - o[0], p[1] - o[1]];
                    for a in 0..2 {
                        if periodic[a] {
                            d[a] -= extent[a] * (d[a] / extent[a]).round();
                        }
                    }
                    if d[0] * d[0] + d[1] * d[1] < d2 {
                        free = false;
                        break 'search;
                    }
                }
            }
        }
        if free {
            #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
            grid[c[0] as usize * cells[1] + c[1] as usize]
                .push(u32::try_from(points.len()).unwrap_or(u32::MAX));
            points.push(p);
        }
    }
    if points.len() < target {
        return Err(Error::build(
            context,
            format!(
                "placed only {} of {target} amorphous sites: min_distance is too large for mean_spacing",
                points.len()
            ),
        ));
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amorphous_substrate_same_seed_is_deterministic() {
        let spec = |seed| SubstrateSpec {
            name: "carbon".into(),
            kind: KindId(0),
            z: 0.0,
            extent: [40.0, 30.0],
            layout: SubstrateLayout::Amorphous {
                mean_spacing: 2.5,
                min_distance: 1.6,
                seed,
            },
        };
        let a = spec(7).sites([true, true]).unwrap();
        let b = spec(7).sites([true, true]).unwrap();
        let c = spec(8).sites([true, true]).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 192);
        for (i, p) in a.iter().enumerate() {
            for q in &a[..i] {
                let mut d = [p[0] - q[0], p[1] - q[1]];
                d[0] -= 40.0 * (d[0] / 40.0).round();
                d[1] -= 30.0 * (d[1] / 30.0).round();
                assert!(d[0].hypot(d[1]) >= 1.6);
            }
        }
        let dense = SubstrateSpec {
            layout: SubstrateLayout::Amorphous {
                mean_spacing: 1.0,
                min_distance: 0.99,
                seed: 1,
            },
            ..spec(1)
        };
        assert!(dense.sites([false, false]).is_err());
    }
}
