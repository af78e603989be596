//! The probe: a Gaussian blur of the projected image.
//!
//! The probe's intensity profile is taken as a 2-D Gaussian of full width at half maximum
//! `FWHM` (σ = FWHM / (2 √(2 ln 2)) ≈ FWHM / 2.3548). The blur is separable: one 1-D pass
//! along rows, one along columns, with the kernel sampled at pixel centres out to 4 σ and
//! normalised to sum 1, so the blur conserves the total intensity of anything at least
//! 4 σ from the border (the image grid's margin). Pixels beyond the border count as zero
//! (vacuum).

use super::projection::Image;

/// σ of the Gaussian of full width at half maximum `fwhm` [same unit].
#[must_use]
pub fn sigma_of_fwhm(fwhm: f64) -> f64 {
    fwhm / (2.0 * (2.0 * std::f64::consts::LN_2).sqrt())
}

/// How far the blur reaches [Å] for a probe of FWHM `fwhm` [Å]: 4 σ.
#[must_use]
pub fn reach(fwhm: f64) -> f64 {
    4.0 * sigma_of_fwhm(fwhm)
}

/// The normalised 1-D kernel for σ = `sigma_pixels` [pixels], centre at index `radius`.
#[must_use]
pub fn kernel(sigma_pixels: f64) -> Vec<f64> {
    if sigma_pixels <= 0.0 {
        return vec![1.0];
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let radius = (4.0 * sigma_pixels).ceil() as usize;
    #[allow(clippy::cast_precision_loss)]
    let mut k: Vec<f64> = (0..=2 * radius)
        .map(|i| {
            let x = i as f64 - radius as f64;
            (-0.5 * (x / sigma_pixels).powi(2)).exp()
        })
        .collect();
    let sum: f64 = k.iter().sum();
    for v in &mut k {
        *v /= sum;
    }
    k
}

/// Blurs `image` with the Gaussian probe of FWHM `fwhm` [Å] on pixels of `pixel` [Å].
#[must_use]
pub fn blur(image: &Image, fwhm: f64, pixel: f64) -> Image {
    let k = kernel(sigma_of_fwhm(fwhm) / pixel);
    if k.len() == 1 {
        return image.clone();
    }
    let radius = k.len() / 2;
    let (w, h) = (image.width, image.height);
    // Rows, then columns; each output pixel gathers its neighbours within the kernel.
    let mut rows = Image::zeros(w, h);
    for j in 0..h {
        let line = &image.values[j * w..(j + 1) * w];
        let out = &mut rows.values[j * w..(j + 1) * w];
        for (i, o) in out.iter_mut().enumerate() {
            let lo = i.saturating_sub(radius);
            let hi = (i + radius).min(w - 1);
            *o = (lo..=hi).map(|s| line[s] * k[s + radius - i]).sum();
        }
    }
    let mut out = Image::zeros(w, h);
    for j in 0..h {
        let lo = j.saturating_sub(radius);
        let hi = (j + radius).min(h - 1);
        for s in lo..=hi {
            let weight = k[s + radius - j];
            let source = &rows.values[s * w..(s + 1) * w];
            let target = &mut out.values[j * w..(j + 1) * w];
            for (t, v) in target.iter_mut().zip(source) {
                *t += weight * v;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_is_normalised_and_symmetric() {
        for sigma in [0.3, 1.0, 2.7] {
            let k = kernel(sigma);
            assert!((k.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            let n = k.len();
            for i in 0..n {
                assert!((k[i] - k[n - 1 - i]).abs() < 1e-15);
            }
        }
        assert_eq!(kernel(0.0), vec![1.0]);
    }
}
