//! Physical constants and unit-conversion factors, in the internal units of the crate.
//!
//! Internal units are eV, K, s, Å, s⁻¹, Å² (cross-sections), e Å⁻² s⁻¹ (electron flux) and
//! u (mass); see the table in the crate documentation. Every constant states its source.
//! Unless noted otherwise the source is the CODATA 2018 recommended values
//! [Tiesinga 2021]; since the 2019 SI redefinition, `e`, `k_B`, `h` and `N_A` are exact, and
//! constants derived from them only by arithmetic are exact up to `f64` rounding.
//!
//! Constants derived by arithmetic are written as expressions of the defining constants, so
//! that the derivation is the documentation.
//!
//! These constants are used at the input boundary ([`crate::units`]) and by the rate and
//! beam models. Add a constant here (with its source) rather than writing a literal in a
//! model.
//!
//! # References
//! - [Tiesinga 2021] E. Tiesinga, P. J. Mohr, D. B. Newell, B. N. Taylor, "CODATA
//!   recommended values of the fundamental physical constants: 2018", Rev. Mod. Phys. 93,
//!   025010 (2021).
//! - [BIPM 2019] The International System of Units (SI), 9th edition (2019), for the
//!   non-SI units accepted for use with the SI (Å, barn, minute, hour).

/// Boltzmann constant `k_B` [eV K⁻¹]. CODATA 2018 (exact in the 2019 SI: 1.380649e-23 J K⁻¹
/// divided by e).
pub const BOLTZMANN_EV_PER_K: f64 = 8.617_333_262e-5;

/// Elementary charge e [C]. CODATA 2018 (exact in the 2019 SI).
pub const ELEMENTARY_CHARGE_C: f64 = 1.602_176_634e-19;

/// Avogadro constant `N_A` [mol⁻¹]. CODATA 2018 (exact in the 2019 SI).
pub const AVOGADRO_PER_MOL: f64 = 6.022_140_76e23;

/// Planck constant h [eV s]. CODATA 2018 (exact in the 2019 SI: 6.62607015e-34 J s
/// divided by e).
pub const PLANCK_EV_S: f64 = 4.135_667_696e-15;

/// Reduced Planck constant ħ = h / 2π [eV s]. CODATA 2018.
pub const REDUCED_PLANCK_EV_S: f64 = 6.582_119_569e-16;

/// Speed of light in vacuum c [m s⁻¹]. CODATA 2018 (exact).
pub const SPEED_OF_LIGHT_M_PER_S: f64 = 299_792_458.0;

/// Electron rest energy `m_e` c² [keV]. CODATA 2018: 0.510 998 950 00(15) `MeV`.
pub const ELECTRON_REST_ENERGY_KEV: f64 = 510.998_95;

/// Electron rest energy `m_e` c² [eV]. CODATA 2018, see [`ELECTRON_REST_ENERGY_KEV`].
pub const ELECTRON_REST_ENERGY_EV: f64 = ELECTRON_REST_ENERGY_KEV * 1e3;

/// Electron mass `m_e` [u]. CODATA 2018: 5.485 799 090 65(16) × 10⁻⁴ u.
pub const ELECTRON_MASS_U: f64 = 5.485_799_090_65e-4;

/// Atomic mass constant energy equivalent `m_u` c² [keV]. CODATA 2018:
/// 931.494 102 42(28) `MeV`. Used for the maximum energy transfer of a beam electron to a
/// nucleus of mass M [u].
pub const ATOMIC_MASS_ENERGY_KEV: f64 = 931_494.102_42;

/// Atomic mass constant `m_u` = 1 u [kg]. CODATA 2018: 1.660 539 066 60(50) × 10⁻²⁷ kg.
pub const ATOMIC_MASS_KG: f64 = 1.660_539_066_60e-27;

/// Bohr radius a₀ [Å]. CODATA 2018: 0.529 177 210 903(80) Å.
pub const BOHR_RADIUS_A: f64 = 0.529_177_210_903;

/// Fine-structure constant α [dimensionless]. CODATA 2018: 7.297 352 5693(11) × 10⁻³.
pub const FINE_STRUCTURE: f64 = 7.297_352_569_3e-3;

/// Energy of one kJ mol⁻¹ per particle [eV]: 10³ / (`N_A` e) = 0.010 364 269 656… eV.
/// Derived from CODATA 2018 exact constants.
pub const EV_PER_KJ_PER_MOL: f64 = 1e3 / (AVOGADRO_PER_MOL * ELEMENTARY_CHARGE_C);

/// Thermochemical calorie [J]: 1 cal = 4.184 J exactly (definition, [BIPM 2019] note on
/// non-SI units).
pub const JOULE_PER_CALORIE: f64 = 4.184;

/// Energy of one kcal mol⁻¹ per particle [eV]: 4.184 × [`EV_PER_KJ_PER_MOL`]
/// = 0.043 364 104 24… eV (thermochemical calorie).
pub const EV_PER_KCAL_PER_MOL: f64 = JOULE_PER_CALORIE * EV_PER_KJ_PER_MOL;

/// One barn [Å²]: 1 b = 10⁻²⁸ m² = 10⁻⁸ Å² (definition, [BIPM 2019]).
pub const SQUARE_ANGSTROM_PER_BARN: f64 = 1e-8;

/// Square ångström per square nanometre [Å² nm⁻²]: 1 nm² = 100 Å² (definition).
pub const SQUARE_ANGSTROM_PER_SQUARE_NANOMETRE: f64 = 100.0;

/// Square ångström per square centimetre [Å² cm⁻²]: 1 cm² = 10¹⁶ Å² (definition).
pub const SQUARE_ANGSTROM_PER_SQUARE_CENTIMETRE: f64 = 1e16;

/// Electron flux of a current density of 1 A cm⁻² [e Å⁻² s⁻¹]:
/// 1 / (e · 10¹⁶ Å² cm⁻²) = 624.150 907 446… e Å⁻² s⁻¹ (physics dossier §2.5).
/// Derived from the CODATA 2018 exact elementary charge.
pub const FLUX_PER_AMPERE_PER_SQUARE_CENTIMETRE: f64 =
    1.0 / (ELEMENTARY_CHARGE_C * SQUARE_ANGSTROM_PER_SQUARE_CENTIMETRE);

/// Celsius to kelvin offset [K]: T[K] = T[°C] + 273.15 (definition of the Celsius scale).
pub const ZERO_CELSIUS_K: f64 = 273.15;

/// Seconds per minute [s] (definition, [BIPM 2019]).
pub const SECONDS_PER_MINUTE: f64 = 60.0;

/// Seconds per hour [s] (definition, [BIPM 2019]).
pub const SECONDS_PER_HOUR: f64 = 3600.0;

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn derived_kj_per_mol_matches_codata_value() {
        // CODATA 2018 lists the molar energy of 1 eV as 96 485.332 12 J/mol (F · 1 V).
        assert_relative_eq!(EV_PER_KJ_PER_MOL, 1e3 / 96_485.332_12, max_relative = 1e-10);
        assert_relative_eq!(EV_PER_KCAL_PER_MOL, 0.043_364_104_24, max_relative = 1e-9);
    }

    #[test]
    fn flux_factor_matches_dossier_value() {
        assert_relative_eq!(
            FLUX_PER_AMPERE_PER_SQUARE_CENTIMETRE,
            624.150_907_446_076,
            max_relative = 1e-12
        );
    }

    #[test]
    fn reduced_planck_is_planck_over_two_pi() {
        assert_relative_eq!(
            REDUCED_PLANCK_EV_S,
            PLANCK_EV_S / (2.0 * std::f64::consts::PI),
            max_relative = 1e-9
        );
    }

    #[test]
    fn electron_rest_energy_matches_mass_in_u() {
        assert_relative_eq!(
            ELECTRON_MASS_U * ATOMIC_MASS_ENERGY_KEV,
            ELECTRON_REST_ENERGY_KEV,
            max_relative = 1e-9
        );
    }
}
