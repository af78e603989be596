//! The image formation of `nanokmc render` against exact expectations: a single atomic
//! column (its Zⁿ sum, the Gaussian profile of the stated FWHM, the total kept by the blur),
//! a known fcc slab (uniform intensity proportional to thickness), and the statistics of the
//! shot noise at a dose.

use nanokmc::output::FrameSelection;
use nanokmc::render::view::{ImageGrid, ZoneAxis, project_positions};
use nanokmc::render::{atomic_numbers, blur, haadf_image, noise, projection};

/// A 101 × 101 grid of 0.1 Å pixels; pixel (50, 50) is centred at u = v = 5.05 Å.
fn grid() -> ImageGrid {
    ImageGrid {
        u_min: 0.0,
        v_max: 10.1,
        pixel: 0.1,
        width: 101,
        height: 101,
    }
}

/// A column of 5 Cu atoms (Z = 29) along z at a pixel centre: before the blur the pixel
/// holds 5 · 29^1.7 and nothing else is lit; after a 1.0 Å FWHM blur the total is the same
/// (relative 1e-12), the profile is exp(−x²/2σ²) with σ = FWHM/2.3548 out to 4σ (absolute
/// 1e-9 of the peak), it is half the peak at x = FWHM/2, and the peak is
/// 5 · 29^1.7 · p²/(2πσ²) within 2e-4 (the kernel is cut at 4σ and renormalised, which
/// raises it by the 6.3e-5 of a Gaussian beyond ±4σ, per axis).
#[test]
fn haadf_single_column_has_z_power_sum_and_gaussian_profile() {
    let g = grid();
    let exponent = 1.7;
    let z = atomic_numbers(
        &["Vac".into(), "Cu".into()],
        &["X".into(), "Cu".into()],
        &[],
    )
    .unwrap();
    assert_eq!(z, vec![0, 29]);
    let weights = [0.0, 29f64.powf(exponent)];
    let positions: Vec<[f64; 3]> = (0..5).map(|k| [5.05, 5.05, 2.0 * f64::from(k)]).collect();
    let axis = ZoneAxis::parse("z").unwrap();
    let points = project_positions(&positions, &axis);
    let species = vec![1u8; 5];
    let column = 5.0 * weights[1];

    let sharp = projection::project(&g, &points, |s| weights[usize::from(species[s])]);
    assert!((sharp.at(50, 50) - column).abs() <= 1e-12 * column);
    assert!((sharp.total() - column).abs() <= 1e-12 * column);

    let fwhm = 1.0;
    let image = haadf_image(&g, &points, &species, &weights, fwhm);
    assert!(
        (image.total() - column).abs() <= 1e-12 * column,
        "blur must keep the total: {} vs {column}",
        image.total()
    );
    let sigma = fwhm / (2.0 * (2.0 * std::f64::consts::LN_2).sqrt());
    let peak = image.at(50, 50);
    // The kernel reaches 4σ = 17 pixels.
    for i in 33..=67 {
        let x = (f64::from(i) - 50.0) * g.pixel;
        let expected = (-x * x / (2.0 * sigma * sigma)).exp();
        let row = image.at(i as usize, 50) / peak;
        let col = image.at(50, i as usize) / peak;
        assert!(
            (row - expected).abs() <= 1e-9,
            "x = {x}: {row} vs {expected}"
        );
        assert!(
            (col - expected).abs() <= 1e-9,
            "y = {x}: {col} vs {expected}"
        );
    }
    // Half maximum at ± FWHM/2 = 5 pixels.
    assert!((image.at(55, 50) / peak - 0.5).abs() <= 1e-9);
    assert!((image.at(45, 50) / peak - 0.5).abs() <= 1e-9);
    let analytic = column * g.pixel * g.pixel / (2.0 * std::f64::consts::PI * sigma * sigma);
    assert!(
        (peak - analytic).abs() <= 2e-4 * analytic,
        "{peak} vs {analytic}"
    );
}

/// The mean pixel value over whole unit cells of an fcc slab (a = 4.08 Å, Cd, n = 1.7),
/// viewed along [001], far from its edges, is 4 L Zⁿ p²/a² for L cells of thickness:
/// proportional to the thickness (relative 1e-9), and uniform between cells.
#[test]
fn haadf_of_fcc_slab_is_uniform_and_proportional_to_thickness() {
    let a = 4.08;
    let pixel = a / 20.0;
    let weight = 48f64.powf(1.7);
    let basis = [
        [0.0, 0.0, 0.0],
        [0.5, 0.5, 0.0],
        [0.5, 0.0, 0.5],
        [0.0, 0.5, 0.5],
    ];
    let mean_over = |layers: usize, (ci, cj): (usize, usize)| -> f64 {
        let mut positions = Vec::new();
        for i in 0..10 {
            for j in 0..10 {
                for k in 0..layers {
                    for b in basis {
                        positions.push([
                            (i as f64 + b[0]) * a,
                            (j as f64 + b[1]) * a,
                            (k as f64 + b[2]) * a,
                        ]);
                    }
                }
            }
        }
        // Pixel edges on cell edges: u from −2a to 12a, v from 12a down to −2a.
        let g = ImageGrid {
            u_min: -2.0 * a,
            v_max: 12.0 * a,
            pixel,
            width: 280,
            height: 280,
        };
        let points = project_positions(&positions, &ZoneAxis::parse("z").unwrap());
        let species = vec![1u8; positions.len()];
        let image = haadf_image(&g, &points, &species, &[0.0, weight], 1.0);
        // Two by two cells starting at cell (ci, cj), in pixels.
        let (i0, j0) = (20 * (ci + 2), 20 * (10 - cj));
        let mut sum = 0.0;
        for j in j0..j0 + 40 {
            for i in i0..i0 + 40 {
                sum += image.at(i, j);
            }
        }
        sum / 1600.0
    };
    for layers in [2, 4] {
        let expected = 4.0 * layers as f64 * weight * pixel * pixel / (a * a);
        for cells in [(3, 3), (5, 4), (4, 6)] {
            let mean = mean_over(layers, cells);
            assert!(
                (mean - expected).abs() <= 1e-9 * expected,
                "L = {layers}, cells {cells:?}: {mean} vs {expected}"
            );
        }
    }
}

/// Counts that are non-negative integers with the mean and variance of a Poisson law of
/// mean `lambda`: mean within 4 √(λ/N), sample variance within 4 √((λ + 2λ²)/N).
fn assert_poisson(values: &[f64], lambda: f64) {
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    let variance = values.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (count - 1.0);
    assert!(values.iter().all(|c| c.fract() == 0.0 && *c >= 0.0));
    assert!(
        (mean - lambda).abs() <= 4.0 * (lambda / count).sqrt(),
        "mean {mean} vs {lambda}"
    );
    assert!(
        (variance - lambda).abs() <= 4.0 * ((lambda + 2.0 * lambda * lambda) / count).sqrt(),
        "variance {variance} vs {lambda}"
    );
}

/// Shot noise on a uniform image at λ = 10 electrons per pixel (dose 500 e/Å², 0.2 Å
/// pixels, intensity half the reference), N = 40 000 pixels, seed 7: the mean is within
/// 4 SEM = 4 √(λ/N) of λ and the sample variance within 4 √((λ + 2λ²)/N) of λ (Poisson);
/// false-failure rate ≈ 1e-4. The same seed and frame give the same counts; another frame
/// gives others.
#[test]
fn shot_noise_is_poisson_at_the_dose() {
    let n = 200;
    let image = projection::Image {
        width: n,
        height: n,
        values: vec![0.5; n * n],
    };
    let lambda = 500.0 * 0.2 * 0.2 * 0.5;
    let counts = noise::shot_noise(&image, 1.0, 500.0, 0.2, 7, 3);
    assert_poisson(&counts.values, lambda);
    assert_eq!(counts, noise::shot_noise(&image, 1.0, 500.0, 0.2, 7, 3));
    assert_ne!(counts, noise::shot_noise(&image, 1.0, 500.0, 0.2, 7, 4));
}

/// X-ray noise of an EDS map at 5 counts at the reference: a uniform map at the reference
/// intensity, N = 40 000 pixels, seed 7: mean within 4 √(λ/N) of λ = 5, variance within
/// 4 √((λ + 2λ²)/N) of λ. Each (frame, species) has its own stream, none the HAADF one.
#[test]
fn xray_noise_of_eds_maps_is_poisson_per_species() {
    let n = 200;
    let map = projection::Image {
        width: n,
        height: n,
        values: vec![2.0; n * n],
    };
    let lambda = 5.0;
    let counts = noise::xray_noise(&map, 2.0, lambda, 7, 0, 1);
    assert_poisson(&counts.values, lambda);
    assert_eq!(counts, noise::xray_noise(&map, 2.0, lambda, 7, 0, 1));
    assert_ne!(counts, noise::xray_noise(&map, 2.0, lambda, 7, 0, 2));
    assert_ne!(counts, noise::xray_noise(&map, 2.0, lambda, 7, 1, 1));
    // the HAADF stream of frame 0 at the same mean is another draw.
    let haadf = noise::shot_noise(&map, 2.0, lambda, 1.0, 7, 0);
    assert_ne!(counts, haadf);
}

#[test]
fn blur_of_zero_width_is_identity() {
    let g = grid();
    let points = [[3.33, 7.77]];
    let sharp = projection::project(&g, &points, |_| 1.0);
    assert_eq!(blur::blur(&sharp, 0.0, g.pixel), sharp);
}

#[test]
fn frame_selection_forms() {
    let p = std::path::Path::new("t.h5");
    let resolve = |t: &str| FrameSelection::parse(t).unwrap().resolve(20, p).unwrap();
    assert_eq!(resolve("all").len(), 20);
    assert_eq!(resolve("last"), vec![19]);
    assert_eq!(resolve("-1"), vec![19]);
    assert_eq!(resolve("0,5,10"), vec![0, 5, 10]);
    assert_eq!(resolve("0:100:10"), vec![0, 10]);
    assert_eq!(resolve("::5"), vec![0, 5, 10, 15]);
    for bad in ["x", "1:2:0", "5:2", "1,,2"] {
        let e = FrameSelection::parse(bad).unwrap_err().to_string();
        assert!(e.contains("key `frames`"), "{e}");
    }
    let e = FrameSelection::parse("25")
        .unwrap()
        .resolve(20, p)
        .unwrap_err();
    assert!(e.to_string().contains("frame 25 does not exist"), "{e}");
}

/// A pseudo-element needs `--z`; an override by species name or element is taken.
#[test]
fn atomic_numbers_of_pseudo_elements_need_overrides() {
    let names: Vec<String> = ["Vac", "A", "B"].iter().map(|s| s.to_string()).collect();
    let elements: Vec<String> = ["X", "A", "Cd"].iter().map(|s| s.to_string()).collect();
    let e = atomic_numbers(&names, &elements, &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("species `A`") && e.contains("--z A=Z"), "{e}");
    let z = atomic_numbers(&names, &elements, &[("A".into(), 29)]).unwrap();
    assert_eq!(z, vec![0, 29, 48]);
    let e = atomic_numbers(&names, &elements, &[("C".into(), 6)]).unwrap_err();
    assert!(e.to_string().contains("`C` is neither"), "{e}");
}
