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
    let mut generator = rng::stream(seed, frame);
    let electrons = dose * pixel * pixel;
    let values = image
        .values
        .iter()
        .map(|&v| {
            let lambda = electrons * v.max(0.0) / reference;
            match Poisson::new(lambda) {
                Ok(poisson) => poisson.sample(&mut generator),
                // λ = 0 (vacuum): no electron scattered to the detector.
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
