//! Rates of event classes.
//!
//! A thermal class fires at `k = ν exp(−E_a / k_B T)` [Arrhenius; physics.md §4]; a beam
//! class at `k = σ φ` (cross-section [Å²] × electron flux [e Å⁻² s⁻¹]), independent of
//! temperature; σ is a typed number or computed from the beam energy E₀ ([`crate::beam`]). Barriers come from [`crate::model::BarrierRule`]. The engine checks every
//! rate for finite and ≥ 0 in release builds too ([`checked_rate`]).

use crate::constants::BOLTZMANN_EV_PER_K;
use crate::model::RateLaw;

/// Rate [s⁻¹] of one event with `barrier` [eV] under `law` at `temperature` [K], electron
/// `flux` [e Å⁻² s⁻¹] and beam energy `beam_energy` [keV].
#[inline]
#[must_use]
pub fn rate(law: &RateLaw, barrier: f64, temperature: f64, flux: f64, beam_energy: f64) -> f64 {
    match *law {
        RateLaw::Thermal { prefactor, .. } => {
            prefactor * (-barrier / (BOLTZMANN_EV_PER_K * temperature)).exp()
        }
        RateLaw::Beam { cross_section } => cross_section * flux,
        RateLaw::BeamProcess { process } => {
            if flux == 0.0 {
                0.0
            } else {
                process.cross_section(beam_energy) * flux
            }
        }
    }
}

/// [`rate`], checked: `Err` with a message when the result is not finite or negative.
///
/// # Errors
/// When the rate is NaN, infinite or negative (for example a negative temperature).
pub fn checked_rate(
    law: &RateLaw,
    barrier: f64,
    temperature: f64,
    flux: f64,
    beam_energy: f64,
) -> Result<f64, String> {
    let k = rate(law, barrier, temperature, flux, beam_energy);
    if k.is_finite() && k >= 0.0 {
        Ok(k)
    } else {
        Err(format!(
            "rate {k} is not finite and non-negative (barrier {barrier} eV, T = {temperature} K, flux = {flux} e/Å²/s)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BarrierRule;

    /// Detailed balance `k_f / k_b = exp(−ΔE / k_B T)` to 1e-12 relative for every rule that
    /// claims it, over a grid of migration energies and energy changes.
    #[test]
    fn rates_detailed_balance_holds_for_every_barrier_rule() {
        for rule in [BarrierRule::KangWeinberg, BarrierRule::Uphill] {
            let law = RateLaw::Thermal {
                prefactor: 1e13,
                migration_energy: 0.0,
                barrier_rule: rule,
                reference_energy: 0.0,
            };
            for e_m in [0.0, 0.1, 0.5, 1.3] {
                for delta_e in [-3.0, -1.0, -0.21, 0.0, 0.05, 0.4, 2.9] {
                    for t in [300.0, 623.15, 1200.0] {
                        let kf = rate(&law, rule.barrier(e_m, delta_e), t, 0.0, 0.0);
                        let kb = rate(&law, rule.barrier(e_m, -delta_e), t, 0.0, 0.0);
                        let expected = (-delta_e / (BOLTZMANN_EV_PER_K * t)).exp();
                        let ratio = kf / kb;
                        assert!(
                            ((ratio - expected) / expected).abs() < 1e-12,
                            "{rule:?} e_m={e_m} dE={delta_e} T={t}: {ratio} vs {expected}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn rates_kang_weinberg_clamps_to_physical_range() {
        let r = BarrierRule::KangWeinberg;
        assert!((r.barrier(0.5, 0.2) - 0.6).abs() < 1e-15);
        assert!((r.barrier(0.5, 1.5) - 1.5).abs() < 1e-15);
        // the clamp returns exactly zero, so exact equality is the property.
        #[allow(clippy::float_cmp)]
        {
            assert_eq!(r.barrier(0.5, -1.5), 0.0);
        }
        assert!((BarrierRule::Uphill.barrier(0.5, -0.3) - 0.5).abs() < 1e-15);
        assert!((BarrierRule::Fixed.barrier(0.5, 9.0) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn rates_beam_is_cross_section_times_flux() {
        let law = RateLaw::Beam {
            cross_section: 2.5e-6,
        };
        assert!((rate(&law, 0.0, 300.0, 1000.0, 200.0) - 2.5e-3).abs() < 1e-18);
        assert!((rate(&law, 0.0, 900.0, 1000.0, 300.0) - 2.5e-3).abs() < 1e-18);
        assert!(checked_rate(&law, 0.0, 300.0, f64::NAN, 200.0).is_err());
    }
}
