//! Shot noise of a finite electron dose.
//!
//! A HAADF detector counts electrons. With a dose `D` [e/Å²] and pixels of `p` [Å], each
//! probe position receives `N = D p²` electrons. The noise model takes the rendered
//! intensity `I`, normalised by a reference intensity `I_ref` (the brightest pixel of the
//! first rendered frame, so all frames of one command share one scale), as the fraction of
//! those electrons that reach the detector: the count of a pixel is Poisson distributed
//! with mean `λ = D p² · I / I_ref` (pixels brighter than `I_ref` are not clipped here).
//! So `--dose` is the dose *counted at the brightest column*; the real incident dose is
//! larger by the inverse HAADF collection fraction, which depends on the detector angles
//! and is not modelled. The relative noise of a pixel is `1/√λ`.
//!
//! Each frame draws from its own stream `rng::stream(seed, frame index)`, so a frame's noise
//! does not depend on which other frames are rendered, nor on the thread count.
//!
//! EDS maps count X-rays, far fewer than the electrons of a HAADF pixel: with `--eds-counts
//! N` the brightest pixel of each species' map (in the first rendered frame) collects N
//! X-rays on average and every pixel a Poisson count in proportion ([`xray_noise`]), each
//! (frame, species) from its own stream.

use rand_distr::{Distribution, Poisson};

use super::projection::Image;
use crate::rng;

/// Replaces every pixel of `image` (intensity in units of `reference`) by a Poisson count
/// of mean `dose · pixel² · I / reference` [electrons]; returns the counts.
///
/// `dose` [e/Å²] and `pixel` [Å] must be positive and `reference` > 0.
#[must_use]
pub fn shot_noise(
    image: &Image,
    reference: f64,
    dose: f64,
    pixel: f64,
    seed: u64,
    frame: u64,
) -> Image {
    poisson_counts(
        image,
        reference,
        dose * pixel * pixel,
        &mut rng::stream(seed, frame),
    )
}

/// Seed offset of the EDS streams, so that they never repeat the HAADF noise of a frame.
const EDS_SEED: u64 = 0x4544_535f_6d61_7073;

/// The X-ray counts of one EDS map: every pixel of `map` (atoms of the species projected
/// and blurred, in units of `reference`, the map's brightest pixel of the first rendered
/// frame) replaced by a Poisson count of mean `counts · I / reference`, so that the
/// brightest pixel collects `counts` X-rays on average. Each (frame, species) pair draws
/// from its own stream of `seed`.
///
/// `counts` must be positive and `reference` > 0.
#[must_use]
pub fn xray_noise(
    map: &Image,
    reference: f64,
    counts: f64,
    seed: u64,
    frame: u64,
    species: u8,
) -> Image {
    let stream = frame * 256 + u64::from(species);
    poisson_counts(
        map,
        reference,
        counts,
        &mut rng::stream(seed ^ EDS_SEED, stream),
    )
}

/// `image` with each pixel replaced by a Poisson count of mean `scale · I / reference`.
fn poisson_counts(image: &Image, reference: f64, scale: f64, generator: &mut rng::Rng) -> Image {
    let values = image
        .values
        .iter()
        .map(|&v| {
            let lambda = scale * v.max(0.0) / reference;
            match Poisson::new(lambda) {
                Ok(poisson) => poisson.sample(generator),
                // λ = 0 (vacuum, or no atom of the species): nothing counted.
                Err(_) => 0.0,
            }
        })
        .collect();
    Image {
        width: image.width,
        height: image.height,
        values,
    }
}
