//! The Rutherford (small-angle, no spin term) knock-on cross-section (physics.md §2.2).
//!
//! `σ_R = σ₀ Z² (1 − β²)/β⁴ (x − 1)` for `x = E_max/E_d > 1`, 0 otherwise. Egerton's
//! `sigdis.m` uses it above Z = 28, where the McKinley–Feshbach series is no longer valid
//! and tabulated Mott/Rutherford ratios would be needed [Egerton 2011]. It is an upper
//! bound of the McKinley–Feshbach value for light atoms (the β² ln x term is negative).

use super::mckinley_feshbach::prefactor;

/// Rutherford displacement cross-section [Å²] for atomic number `z`, `beta_squared` = β²
/// and `x = E_max/E_d` (0 for x ≤ 1).
#[must_use]
pub fn cross_section(z: f64, beta_squared: f64, x: f64) -> f64 {
    if x <= 1.0 {
        return 0.0;
    }
    prefactor(z, beta_squared) * (x - 1.0)
}
