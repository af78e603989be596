//! Relativistic kinematics of a beam electron hitting a nucleus (physics.md §2.1).
//!
//! `γ = 1 + E₀/m_ec²`, `β² = 1 − 1/γ²`, and the largest energy a beam electron of kinetic
//! energy E₀ can give a nucleus of mass M (head-on collision):
//!
//! `T_max = 2 M c² E₀ (E₀ + 2 m_ec²) / ((m_e c² + M c²)² + 2 M c² E₀)`
//!
//! which for M ≫ m_e is Egerton's `E_max [eV] = E₀(E₀ + 1022)/(465.7 A)` with E₀ in keV
//! [Egerton 2011, `sigdis.m`]. The exact form is used here; the two differ by < 0.1 % for
//! A ≥ 12. The threshold beam energy of a displacement energy `E_d` inverts it.
//!
//! # References
//! - [Egerton 2011] R. F. Egerton, *Electron Energy-Loss Spectroscopy in the Electron
//!   Microscope*, 3rd edn (Springer, 2011), program `sigdis.m`.

use crate::constants::{ATOMIC_MASS_ENERGY_KEV, ELECTRON_REST_ENERGY_KEV};

/// Lorentz factor γ of an electron of kinetic energy `energy_kev` [keV].
#[must_use]
pub fn gamma(energy_kev: f64) -> f64 {
    1.0 + energy_kev / ELECTRON_REST_ENERGY_KEV
}

/// β² = (v/c)² of an electron of kinetic energy `energy_kev` [keV].
#[must_use]
pub fn beta_squared(energy_kev: f64) -> f64 {
    let g = gamma(energy_kev);
    1.0 - 1.0 / (g * g)
}

/// Largest energy transfer [eV] from an electron of `energy_kev` [keV] to a nucleus of
/// mass `mass_u` [u] (relativistic head-on collision, exact two-body form).
#[must_use]
pub fn max_transfer_ev(energy_kev: f64, mass_u: f64) -> f64 {
    let m = ELECTRON_REST_ENERGY_KEV;
    // the atomic mass (electrons included) stands for the recoiling mass: the electrons
    // are 0.03 % of it and move with the nucleus in a knock-on.
    let big_m = mass_u * ATOMIC_MASS_ENERGY_KEV;
    let e = energy_kev;
    let t_kev = 2.0 * big_m * e * (e + 2.0 * m) / ((m + big_m).powi(2) + 2.0 * big_m * e);
    t_kev * 1e3
}

/// Smallest beam energy [keV] that can give a nucleus of `mass_u` [u] the energy
/// `threshold_ev` [eV]: `E₀,min = m_ec² [√(1 + M E_d/(2 (m_ec²)²)) − 1]` (the M ≫ m_e
/// inverse of [`max_transfer_ev`]; Egerton's `511 [√(1 + A E_d/561) − 1]`).
#[must_use]
pub fn threshold_energy_kev(threshold_ev: f64, mass_u: f64) -> f64 {
    let m = ELECTRON_REST_ENERGY_KEV;
    let big_m = mass_u * ATOMIC_MASS_ENERGY_KEV;
    let e_d_kev = threshold_ev * 1e-3;
    m * ((1.0 + big_m * e_d_kev / (2.0 * m * m)).sqrt() - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// β² at 80, 200, 300 kV against physics.md §2.1 (4 digits given): within 2e-4 absolute.
    #[test]
    fn kinematics_beta_squared_matches_physics_table() {
        for (e0, expected) in [(80.0, 0.2524), (200.0, 0.4835), (300.0, 0.6030)] {
            let b2 = beta_squared(e0);
            assert!((b2 - expected).abs() < 2e-4, "{e0} kV: {b2} vs {expected}");
        }
    }

    /// Threshold energy inverts E_max to 0.2 % (the M ≫ m_e approximation of the inverse).
    #[test]
    fn kinematics_threshold_energy_inverts_max_transfer() {
        for (e_d, mass) in [(8.0, 35.45), (5.0, 79.904), (3.0, 132.905)] {
            let e0 = threshold_energy_kev(e_d, mass);
            let back = max_transfer_ev(e0, mass);
            assert!(
                (back - e_d).abs() / e_d < 2e-3,
                "{e_d} eV, {mass} u: {back}"
            );
        }
    }
}
