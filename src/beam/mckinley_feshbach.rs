//! The McKinley–Feshbach knock-on cross-section (physics.md §2.2).
//!
//! With `x = E_max/E_d` and `α = Z/137` (Z times the fine-structure constant):
//!
//! `σ_d = σ₀ Z² (1 − β²)/β⁴ { (x − 1) − β² ln x + π α β [2(√x − 1) − ln x] }` for x > 1,
//! 0 otherwise, with `σ₀ = π r_e² = 4π a₀² E_R²/(m_ec²)²` = 0.2494 b
//! [McKinley & Feshbach 1948; Banhart 1999, eq. 5; checked against Egerton's `sigdis.m`].
//! Valid for light atoms; above Z ≈ 28 use [`super::rutherford`] (Egerton's choice) or
//! this form with a ±50 % error bar (physics.md §2.2).
//!
//! # References
//! - [McKinley & Feshbach 1948] W. A. McKinley, H. Feshbach, Phys. Rev. 74, 1759 (1948).
//! - [Banhart 1999] F. Banhart, Rep. Prog. Phys. 62, 1181 (1999).

use crate::constants::{BOHR_RADIUS_A, FINE_STRUCTURE};

/// σ₀ = π r_e² = π (α² a₀)² [Å²] (0.2495 b), the unit of the knock-on cross-sections.
#[must_use]
pub fn sigma_zero() -> f64 {
    let r_e = FINE_STRUCTURE * FINE_STRUCTURE * BOHR_RADIUS_A;
    std::f64::consts::PI * r_e * r_e
}

/// `σ₀ Z² (1 − β²)/β⁴` [Å²], the common prefactor of the Rutherford and McKinley–Feshbach
/// forms, for atomic number `z` and electron speed `beta_squared` = β².
#[must_use]
pub fn prefactor(z: f64, beta_squared: f64) -> f64 {
    sigma_zero() * z * z * (1.0 - beta_squared) / (beta_squared * beta_squared)
}

/// McKinley–Feshbach displacement cross-section [Å²] of a nucleus of atomic number `z` for
/// an electron with `beta_squared` = β² and the ratio `x = E_max/E_d` (0 for x ≤ 1).
#[must_use]
pub fn cross_section(z: f64, beta_squared: f64, x: f64) -> f64 {
    if x <= 1.0 {
        return 0.0;
    }
    let beta = beta_squared.sqrt();
    let alpha = z * FINE_STRUCTURE;
    let ln_x = x.ln();
    let bracket = (x - 1.0) - beta_squared * ln_x
        + std::f64::consts::PI * alpha * beta * (2.0 * (x.sqrt() - 1.0) - ln_x);
    (prefactor(z, beta_squared) * bracket).max(0.0)
}
