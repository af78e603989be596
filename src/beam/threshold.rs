//! The displacement threshold E_d as a distribution (physics.md §2.2, notes for use).
//!
//! Near threshold the cross-section rises steeply with E_max/E_d, and thermal vibration and
//! the spread of recoil directions smear the step [Meyer 2012; Chirita 2021]. With a
//! relative spread s > 0, E_d is Gaussian with mean `E_d` and standard deviation `s E_d`,
//! truncated at E_d > 0 and renormalised, and the cross-section is its average over that
//! distribution. The average is a fixed composite Simpson rule over ±6 standard deviations
//! ([`QUADRATURE_INTERVALS`] intervals), so it is a deterministic function of its inputs.
//! With s = 0 it is the sharp threshold.
//!
//! # References
//! - [Meyer 2012] J. C. Meyer et al., Phys. Rev. Lett. 108, 196102 (2012), arXiv:1203.2372.
//! - [Chirita 2021] A. Chirita Mihaila et al., arXiv:2111.14498 (2021).

/// Number of Simpson intervals of the threshold average (even).
pub const QUADRATURE_INTERVALS: usize = 240;

/// Half-width of the averaged range in standard deviations.
const HALF_WIDTH: f64 = 6.0;

/// A displacement threshold: mean [eV] and relative Gaussian spread [1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// Mean displacement energy `E_d` [eV], > 0.
    pub mean: f64,
    /// Standard deviation as a fraction of the mean [1], ≥ 0 (physics.md: 0.10–0.20).
    pub spread: f64,
}

impl Threshold {
    /// The average of `sigma(E_d)` over this threshold's distribution; `sigma` is called
    /// with thresholds > 0 [eV] only.
    #[must_use]
    pub fn average(&self, sigma: impl Fn(f64) -> f64) -> f64 {
        if self.spread <= 0.0 {
            return sigma(self.mean);
        }
        let sd = self.spread * self.mean;
        let lo = (self.mean - HALF_WIDTH * sd).max(self.mean * 1e-6);
        let hi = self.mean + HALF_WIDTH * sd;
        let n = QUADRATURE_INTERVALS;
        #[allow(clippy::cast_precision_loss)]
        let h = (hi - lo) / n as f64;
        let (mut weighted, mut norm) = (0.0, 0.0);
        for i in 0..=n {
            #[allow(clippy::cast_precision_loss)]
            let e = lo + h * i as f64;
            let w = if i == 0 || i == n {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            let z = (e - self.mean) / sd;
            let density = w * (-0.5 * z * z).exp();
            weighted += density * sigma(e);
            norm += density;
        }
        if norm > 0.0 { weighted / norm } else { 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A linear σ(E_d) is averaged to its value at the mean (symmetric window, 1e-9).
    #[test]
    fn threshold_average_of_linear_is_value_at_mean() {
        let t = Threshold {
            mean: 8.0,
            spread: 0.15,
        };
        let avg = t.average(|e| 3.0 * e + 1.0);
        assert!((avg - 25.0).abs() < 1e-9, "{avg}");
    }

    /// Variance of the distribution: the average of (E − mean)² is (s·mean)² to 1e-6.
    #[test]
    fn threshold_average_reproduces_variance() {
        let t = Threshold {
            mean: 10.0,
            spread: 0.1,
        };
        let var = t.average(|e| (e - 10.0).powi(2));
        assert!((var - 1.0).abs() < 1e-6, "{var}");
    }

    /// A step below the mean: σ = 1 for E_d < mean, 0 above: average 1/2 (to 3e-2: the Simpson weights at the jump).
    #[test]
    fn threshold_smooths_a_step() {
        let t = Threshold {
            mean: 5.0,
            spread: 0.2,
        };
        let avg = t.average(|e| if e < 5.0 { 1.0 } else { 0.0 });
        assert!((avg - 0.5).abs() < 3e-2, "{avg}");
        let sharp = Threshold { spread: 0.0, ..t };
        assert!((sharp.average(|e| e) - 5.0).abs() < 1e-15);
    }
}
