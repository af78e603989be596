//! Unit tests of the basin solver: GTH against LU, weighted draws, the single-state
//! exponential, the quasi-stationary vector and the method names.

use super::*;
use nalgebra::DMatrix;

/// A small basin with varied rates (not reversible) for the elimination tests.
fn general_basin() -> (usize, Vec<f64>, Vec<f64>) {
    let n = 4;
    let fast = [
        (0, 1, 3.0),
        (1, 0, 0.5),
        (1, 2, 2.0),
        (2, 3, 7.0),
        (3, 0, 1.5),
        (2, 0, 0.25),
    ];
    let exits = vec![0.0, 0.1, 0.0, 0.3];
    let mut dense = vec![0.0; n * n];
    for (i, j, w) in fast {
        dense[i * n + j] += w;
    }
    (n, dense, exits)
}

/// GTH solves agree with nalgebra's LU on a well-conditioned basin to 1e-13 relative.
#[test]
fn gth_solve_matches_lu() {
    let (n, rates, exits) = general_basin();
    let gth = Gth::factor(n, &rates, &exits).unwrap();
    let mut a = DMatrix::<f64>::zeros(n, n);
    for i in 0..n {
        let mut d = exits[i];
        for j in 0..n {
            if j != i {
                a[(i, j)] = -rates[i * n + j];
                d += rates[i * n + j];
            }
        }
        a[(i, i)] = d;
    }
    let lu = a.clone().lu();
    for b in [vec![1.0, 1.0, 1.0, 1.0], vec![0.0, 2.0, 0.5, 0.0]] {
        let x = gth.solve(&b);
        let reference = lu.solve(&nalgebra::DVector::from_vec(b.clone())).unwrap();
        for i in 0..n {
            assert!(
                (x[i] - reference[i]).abs() <= 1e-13 * reference[i].abs(),
                "{x:?} vs {reference}"
            );
        }
    }
}

#[test]
fn draw_weighted_edges() {
    assert_eq!(draw_weighted(&[0.0, 0.0], 0.5), None);
    assert_eq!(draw_weighted(&[0.0, 2.0, 0.0], 1.0), Some(1));
    assert_eq!(draw_weighted(&[0.0, 2.0, 0.0], 1e-16), Some(1));
    assert_eq!(draw_weighted(&[1.0, 0.0, 3.0], 0.25), Some(0));
    assert_eq!(draw_weighted(&[1.0, 0.0, 3.0], 0.250_000_1), Some(2));
    assert_eq!(draw_weighted(&[f64::INFINITY, 1.0], 0.5), None);
}

/// A single state: S(t) = e^{−r t}, so the inversion must return −ln(u)/r to 1e-14.
#[test]
fn single_state_inverts_exponential() {
    let basin = BasinSolution::new(1, &[], &[2.5]).unwrap();
    assert!(basin.is_exact());
    let sp = basin.spectral.as_ref().unwrap();
    let coefficients = sp.survival_coefficients(0);
    for u in [1.0, 0.999_999, 0.5, 1e-3, 1.1e-16] {
        let t = sp.invert_survival(&coefficients, u, f64::INFINITY, 0.4);
        let expected = -u.ln() / 2.5;
        assert!(
            (t - expected).abs() <= 1e-14 * expected.max(1e-300),
            "u {u}: {t} vs {expected}"
        );
    }
}

/// The power iteration finds the left Perron vector of N for the non-reversible basin:
/// νᵀ N = ρ ν to 1e-12 relative per entry.
#[test]
fn quasi_stationary_is_left_perron_vector() {
    let fast = [
        (0, 1, 3.0),
        (1, 0, 0.5),
        (1, 2, 2.0),
        (2, 3, 7.0),
        (3, 0, 1.5),
        (2, 0, 0.25),
    ];
    let basin = BasinSolution::new(4, &fast, &[0.0, 0.1, 0.0, 0.3]).unwrap();
    assert_eq!(
        basin.method(),
        Method::MeanRate(MeanRateReason::NotReversible)
    );
    let nu = basin.quasi_stationary();
    let rho = 1.0 / basin.slowest_rate();
    for j in 0..4 {
        let product: f64 = (0..4).map(|i| nu[i] * basin.occupation_times(i)[j]).sum();
        assert!((product - rho * nu[j]).abs() <= 1e-12 * rho * nu[j]);
    }
}

#[test]
fn method_display_names_the_reason() {
    assert!(Method::Exact.to_string().starts_with("exact"));
    let text = Method::MeanRate(MeanRateReason::NotReversible).to_string();
    assert!(text.contains("not reversible"), "{text}");
}
