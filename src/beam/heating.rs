//! Beam heating: Egerton's thin-film estimate (physics.md §2.6) and the effective
//! temperature program `T_eff(t) = T_stage(t) + ΔT(t)`.
//!
//! Heat input balanced by radial conduction to a sink at distance R₀ (radiation dropped)
//! [Egerton, Li & Malac 2004, via globalsino page 4685]:
//!
//! `ΔT = P [0.58 + 2 ln(2R₀/d)] / (4π κ t)`, `P = I ΔE t/λ`,
//!
//! with I the beam current, ΔE the mean energy lost per inelastic event, λ the inelastic
//! mean free path, κ the thermal conductivity, t the film thickness and d the beam diameter.
//! The thickness cancels: `ΔT = I ΔE [0.58 + 2 ln(2R₀/d)] / (4π κ λ)`. The current follows
//! from the flux φ [e Å⁻² s⁻¹] over the disc of diameter d: `I = e φ π d²/4`.
//!
//! λ scales with the beam energy as β² (the inverse of the stopping power's 1/β²,
//! physics.md §2.4, to ±10 %): `λ(E₀) = λ_ref β²(E₀)/β²(E_ref)`.
//!
//! Since ΔT is constant within a beam window, `T_eff` is a program like any other (jumps at
//! the window edges, linear pieces of the stage program in between) and the engine samples
//! it exactly ([`crate::program`], "Exactness").
//!
//! # References
//! - [Egerton 2004] R. F. Egerton, P. Li, M. Malac, Micron 35, 399 (2004).

use super::kinematics::beta_squared;
use crate::constants::ELEMENTARY_CHARGE_C;
use crate::error::Result;
use crate::program::Schedule;

/// Material data of the heating estimate (from the potential file).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatingMaterial {
    /// Thermal conductivity κ [W m⁻¹ K⁻¹].
    pub conductivity: f64,
    /// Mean energy lost per inelastic event ΔE [eV].
    pub energy_per_event: f64,
    /// Inelastic mean free path λ [Å] at `reference_energy`.
    pub mean_free_path: f64,
    /// Beam energy at which `mean_free_path` is given [keV].
    pub reference_energy: f64,
}

/// The beam geometry of one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeamSpot {
    /// Beam diameter d [Å].
    pub diameter: f64,
    /// Distance to the heat sink R₀ [Å] (a grid bar), > d/2.
    pub sink_distance: f64,
}

/// Egerton's ΔT [K] for a beam current `current` [A], energy deposited per unit path
/// `loss_per_length` = ΔE/λ [eV m⁻¹], conductivity κ [W m⁻¹ K⁻¹], beam diameter and sink
/// distance [m].
#[must_use]
pub fn egerton_rise(
    current: f64,
    loss_per_length: f64,
    conductivity: f64,
    diameter: f64,
    sink_distance: f64,
) -> f64 {
    let geometry = 0.58 + 2.0 * (2.0 * sink_distance / diameter).ln();
    current * loss_per_length * geometry / (4.0 * std::f64::consts::PI * conductivity)
}

impl HeatingMaterial {
    /// Inelastic mean free path [Å] at `energy_kev` [keV].
    #[must_use]
    pub fn mean_free_path_at(&self, energy_kev: f64) -> f64 {
        self.mean_free_path * beta_squared(energy_kev) / beta_squared(self.reference_energy)
    }

    /// ΔT [K] of a beam of `flux` [e Å⁻² s⁻¹] at `energy_kev` [keV] over `spot`.
    #[must_use]
    pub fn temperature_rise(&self, flux: f64, energy_kev: f64, spot: BeamSpot) -> f64 {
        if flux <= 0.0 {
            return 0.0;
        }
        let area = std::f64::consts::PI * spot.diameter * spot.diameter / 4.0; // Å²
        let current = ELEMENTARY_CHARGE_C * flux * area;
        let lambda_m = self.mean_free_path_at(energy_kev) * 1e-10;
        egerton_rise(
            current,
            self.energy_per_event / lambda_m,
            self.conductivity,
            spot.diameter * 1e-10,
            spot.sink_distance * 1e-10,
        )
    }
}

/// `stage + rise` as one schedule: both are piecewise linear with jumps, so the sum is too,
/// with the union of their breakpoints and a jump wherever either jumps.
///
/// # Errors
/// When the summed points do not form a valid schedule (never for valid inputs).
pub fn add_schedules(stage: &Schedule, rise: &Schedule) -> Result<Schedule> {
    let mut times: Vec<f64> = stage.breakpoints();
    times.extend(rise.breakpoints());
    times.sort_by(f64::total_cmp);
    times.dedup();
    if times.is_empty() {
        return Ok(Schedule::constant(stage.value_at(0.0) + rise.value_at(0.0)));
    }
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(2 * times.len());
    for &t in &times {
        let before = stage.left_limit(t) + rise.left_limit(t);
        let after = stage.value_at(t) + rise.value_at(t);
        // push_point drops the repeat where neither schedule jumps.
        crate::program::push_point(&mut points, t, before);
        crate::program::push_point(&mut points, t, after);
    }
    Schedule::from_points(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// physics.md §2.6 worked table (R₀ = 25 µm), each within 2 %:
    /// wide beam on a-C 0.13 K, focused on a-C 2.6 K, halide-like film 0.7 K, thin poor
    /// conductor 38 K (ΔE_dep = ΔE t/λ given directly there, so ΔE/λ = ΔE_dep/t).
    #[test]
    fn heating_matches_physics_table() {
        let r0 = 25e-6;
        let cases = [
            (1e-9, 6.0 / 20e-9, 1.6, 1e-6, 0.1254),
            (10e-9, 6.0 / 20e-9, 1.6, 10e-9, 2.63),
            (1e-9, 6.0 / 20e-9, 0.3, 1e-6, 0.669),
            (10e-9, 10.0 / 10e-9, 0.3, 50e-9, 38.2),
        ];
        for (current, loss, kappa, d, expected) in cases {
            let dt = egerton_rise(current, loss, kappa, d, r0);
            assert!(
                (dt - expected).abs() / expected < 0.02,
                "{dt} vs {expected}"
            );
        }
    }

    /// The sum of a ramp and a window of +5 K: jumps at the window edges, linear between.
    #[test]
    fn heating_sum_of_schedules_is_exact() {
        let stage = Schedule::from_points(vec![(0.0, 300.0), (10.0, 400.0)]).expect("ramp");
        let rise = Schedule::from_points(vec![(2.0, 0.0), (2.0, 5.0), (4.0, 5.0), (4.0, 0.0)])
            .expect("window");
        let sum = add_schedules(&stage, &rise).expect("sum");
        for t in [0.0, 1.0, 2.0, 3.0, 3.999, 4.0, 7.0, 10.0, 20.0] {
            let expected = stage.value_at(t) + rise.value_at(t);
            assert!((sum.value_at(t) - expected).abs() < 1e-9, "t = {t}");
        }
        assert!((sum.left_limit(4.0) - 345.0).abs() < 1e-9);
    }
}
