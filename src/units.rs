//! Quantities with units at the input boundary.
//!
//! Every number with a dimension that a user writes (scenario and potential files, CLI
//! flags) is a string such as `"0.65 eV"` or `"1e13 /s"`. [`parse_quantity`] converts it to
//! the internal unit of its [`Dimension`], and nothing past the input boundary ever sees
//! another unit. [`format_quantity`] writes a value in internal units back as a string
//! that [`parse_quantity`] reads to the same `f64`.
//!
//! | dimension | internal unit | accepted units |
//! |---|---|---|
//! | [`Dimension::Energy`] | eV | `eV`, `meV`, `keV`, `kJ/mol`, `kcal/mol` |
//! | [`Dimension::Temperature`] | K | `K`, `C`, `°C`, `degC`, or any energy unit (`k_B` T) |
//! | [`Dimension::Time`] | s | `s`, `ms`, `us`, `µs`, `ns`, `ps`, `fs`, `min`, `h` |
//! | [`Dimension::Length`] | Å | `A`, `Å`, `nm`, `pm` |
//! | [`Dimension::Rate`] | s⁻¹ | `Hz`, `kHz`, `MHz`, `GHz`, `THz`, and `/t`, `1/t`, `t^-1`, `t⁻¹` for any time unit `t` |
//! | [`Dimension::CrossSection`] | Å² | `barn`, `b`, `A^2`, `Å^2`, `A²`, `Å²`, `nm^2`, `nm²` |
//! | [`Dimension::Flux`] | e Å⁻² s⁻¹ | `e/A^2/s`, `e/Å^2/s`, `e/nm^2/s` (also with `²`), `A/cm^2`, `A/cm²` |
//! | [`Dimension::Mass`] | u | `u`, `amu`, `Da` |
//! | [`Dimension::Dimensionless`] | 1 | a bare number |
//!
//! Units are case-sensitive (`meV` is not `MeV`). Both the micro sign `µ` (U+00B5) and the
//! Greek letter `μ` (U+03BC) are accepted, and both `Å` (U+00C5) and the ångström sign
//! (U+212B).
//!
//! A temperature may be written as an energy, `"0.025 eV"`, meaning T = E / `k_B`. This is
//! used by reduced-unit benchmark models (for example an Ising model with J/(`k_B` T) = 1.3),
//! where temperatures and bond energies are given in the same energy unit.
//!
//! Current densities `A/cm^2` are converted to electron fluxes with
//! 1 A cm⁻² = 624.15 e Å⁻² s⁻¹ ([`crate::constants::FLUX_PER_AMPERE_PER_SQUARE_CENTIMETRE`]).
//!
//! # Extending
//! Add a row to the unit table of the dimension in `unit_conversion` (and to the table
//! above and to the test `every_unit_parses_to_its_internal_value`).

use std::fmt;

use crate::constants::{
    BOLTZMANN_EV_PER_K, EV_PER_KCAL_PER_MOL, EV_PER_KJ_PER_MOL,
    FLUX_PER_AMPERE_PER_SQUARE_CENTIMETRE, SECONDS_PER_HOUR, SECONDS_PER_MINUTE,
    SQUARE_ANGSTROM_PER_BARN, SQUARE_ANGSTROM_PER_SQUARE_NANOMETRE, ZERO_CELSIUS_K,
};
use crate::error::{Error, Result};

/// The physical dimension of a quantity, which fixes its internal unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// Energy [eV].
    Energy,
    /// Absolute temperature [K], never below 0 K.
    Temperature,
    /// Time [s].
    Time,
    /// Length [Å].
    Length,
    /// Rate or frequency [s⁻¹], never negative.
    Rate,
    /// Cross-section [Å²], never negative.
    CrossSection,
    /// Electron flux (dose rate) [e Å⁻² s⁻¹], never negative.
    Flux,
    /// Atomic mass [u], never negative.
    Mass,
    /// A pure number [1].
    Dimensionless,
}

impl Dimension {
    /// All dimensions, in declaration order.
    pub const ALL: [Dimension; 9] = [
        Dimension::Energy,
        Dimension::Temperature,
        Dimension::Time,
        Dimension::Length,
        Dimension::Rate,
        Dimension::CrossSection,
        Dimension::Flux,
        Dimension::Mass,
        Dimension::Dimensionless,
    ];

    /// The symbol of the internal unit, as written by [`format_quantity`] (empty for
    /// [`Dimension::Dimensionless`]).
    #[must_use]
    pub fn internal_unit(self) -> &'static str {
        match self {
            Dimension::Energy => "eV",
            Dimension::Temperature => "K",
            Dimension::Time => "s",
            Dimension::Length => "Å",
            Dimension::Rate => "/s",
            Dimension::CrossSection => "Å^2",
            Dimension::Flux => "e/Å^2/s",
            Dimension::Mass => "u",
            Dimension::Dimensionless => "",
        }
    }

    /// A lowercase phrase with an example, used in error messages, e.g.
    /// `an energy such as "0.65 eV"`.
    #[must_use]
    pub fn expectation(self) -> &'static str {
        match self {
            Dimension::Energy => "an energy such as \"0.65 eV\"",
            Dimension::Temperature => "a temperature such as \"300 K\" or \"25 °C\"",
            Dimension::Time => "a time such as \"10 s\" or \"5 ms\"",
            Dimension::Length => "a length such as \"2.5 Å\" or \"0.4 nm\"",
            Dimension::Rate => "a rate such as \"1e13 /s\" or \"5 THz\"",
            Dimension::CrossSection => "a cross-section such as \"20 barn\"",
            Dimension::Flux => "an electron flux such as \"500 e/Å^2/s\" or \"1 A/cm^2\"",
            Dimension::Mass => "a mass such as \"63.546 u\"",
            Dimension::Dimensionless => "a bare number such as \"0.5\"",
        }
    }

    /// Accepted unit spellings, for error messages.
    fn accepted_units(self) -> &'static str {
        match self {
            Dimension::Energy => "eV, meV, keV, kJ/mol, kcal/mol",
            Dimension::Temperature => "K, C, °C, degC, or an energy unit for k_B·T",
            Dimension::Time => "s, ms, us, µs, ns, ps, fs, min, h",
            Dimension::Length => "A, Å, nm, pm, um",
            Dimension::Rate => "/s, 1/s, s^-1, Hz, kHz, MHz, GHz, THz",
            Dimension::CrossSection => "barn, b, A^2, Å^2, nm^2",
            Dimension::Flux => "e/A^2/s, e/Å^2/s, e/nm^2/s, A/cm^2",
            Dimension::Mass => "u, amu, Da",
            Dimension::Dimensionless => "none",
        }
    }

    /// True for the dimensions whose values are never negative.
    fn is_non_negative(self) -> bool {
        matches!(
            self,
            Dimension::Temperature
                | Dimension::Rate
                | Dimension::CrossSection
                | Dimension::Flux
                | Dimension::Mass
        )
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Dimension::Energy => "energy",
            Dimension::Temperature => "temperature",
            Dimension::Time => "time",
            Dimension::Length => "length",
            Dimension::Rate => "rate",
            Dimension::CrossSection => "cross-section",
            Dimension::Flux => "electron flux",
            Dimension::Mass => "mass",
            Dimension::Dimensionless => "dimensionless number",
        };
        f.write_str(name)
    }
}

/// How a unit maps to the internal unit: `internal = scale * value + offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Conversion {
    scale: f64,
    offset: f64,
}

impl Conversion {
    const fn scale(scale: f64) -> Self {
        Conversion { scale, offset: 0.0 }
    }

    fn apply(self, value: f64) -> f64 {
        if self.offset == 0.0 {
            value * self.scale
        } else {
            value * self.scale + self.offset
        }
    }
}

/// Normalises alternative code points (micro sign, ångström sign) to one spelling.
fn normalise_unit(unit: &str) -> String {
    unit.chars()
        .map(|c| match c {
            '\u{03BC}' => '\u{00B5}', // Greek mu -> micro sign
            '\u{212B}' => '\u{00C5}', // angstrom sign -> latin capital A with ring
            other => other,
        })
        .collect()
}

/// Energy units [eV per unit].
fn energy_unit(unit: &str) -> Option<f64> {
    Some(match unit {
        "eV" => 1.0,
        "meV" => 1e-3,
        "keV" => 1e3,
        "kJ/mol" => EV_PER_KJ_PER_MOL,
        "kcal/mol" => EV_PER_KCAL_PER_MOL,
        _ => return None,
    })
}

/// Time units [s per unit].
fn time_unit(unit: &str) -> Option<f64> {
    Some(match unit {
        "s" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "ns" => 1e-9,
        "ps" => 1e-12,
        "fs" => 1e-15,
        "min" => SECONDS_PER_MINUTE,
        "h" => SECONDS_PER_HOUR,
        _ => return None,
    })
}

/// Area units [Å² per unit] used inside cross-sections and fluxes.
fn area_unit(unit: &str) -> Option<f64> {
    Some(match unit {
        "A^2" | "Å^2" | "A²" | "Å²" => 1.0,
        "nm^2" | "nm²" => SQUARE_ANGSTROM_PER_SQUARE_NANOMETRE,
        _ => return None,
    })
}

/// Rate units [s⁻¹ per unit]: frequencies and reciprocal time units.
fn rate_unit(unit: &str) -> Option<f64> {
    let frequency = match unit {
        "Hz" => Some(1.0),
        "kHz" => Some(1e3),
        "MHz" => Some(1e6),
        "GHz" => Some(1e9),
        "THz" => Some(1e12),
        _ => None,
    };
    if frequency.is_some() {
        return frequency;
    }
    let time = if let Some(rest) = unit.strip_prefix("1/") {
        rest
    } else if let Some(rest) = unit.strip_prefix('/') {
        rest.trim_start()
    } else if let Some(rest) = unit.strip_suffix("^-1") {
        rest
    } else {
        unit.strip_suffix("⁻¹")?
    };
    time_unit(time).map(|seconds| 1.0 / seconds)
}

/// Flux units [e Å⁻² s⁻¹ per unit].
fn flux_unit(unit: &str) -> Option<f64> {
    if matches!(unit, "A/cm^2" | "A/cm²") {
        return Some(FLUX_PER_AMPERE_PER_SQUARE_CENTIMETRE);
    }
    let area = unit.strip_prefix("e/")?.strip_suffix("/s")?;
    area_unit(area).map(|square_angstrom| 1.0 / square_angstrom)
}

/// The conversion of `unit` (already normalised) for `dimension`, if it is one of its units.
fn unit_conversion(dimension: Dimension, unit: &str) -> Option<Conversion> {
    match dimension {
        Dimension::Energy => energy_unit(unit).map(Conversion::scale),
        Dimension::Temperature => match unit {
            "K" => Some(Conversion::scale(1.0)),
            "C" | "°C" | "degC" => Some(Conversion {
                scale: 1.0,
                offset: ZERO_CELSIUS_K,
            }),
            _ => energy_unit(unit).map(|ev| Conversion::scale(ev / BOLTZMANN_EV_PER_K)),
        },
        Dimension::Time => time_unit(unit).map(Conversion::scale),
        Dimension::Length => match unit {
            "A" | "Å" => Some(Conversion::scale(1.0)),
            "nm" => Some(Conversion::scale(10.0)),
            "pm" => Some(Conversion::scale(1e-2)),
            // beam spots and heat-sink distances (docs/beam.md).
            "um" | "µm" | "μm" => Some(Conversion::scale(1e4)),
            _ => None,
        },
        Dimension::Rate => rate_unit(unit).map(Conversion::scale),
        Dimension::CrossSection => match unit {
            "barn" | "b" => Some(Conversion::scale(SQUARE_ANGSTROM_PER_BARN)),
            _ => area_unit(unit).map(Conversion::scale),
        },
        Dimension::Flux => flux_unit(unit).map(Conversion::scale),
        Dimension::Mass => match unit {
            "u" | "amu" | "Da" => Some(Conversion::scale(1.0)),
            _ => None,
        },
        Dimension::Dimensionless => None,
    }
}

/// Splits `text` into the leading decimal number and the rest.
///
/// The grammar is `[+-]? digits [. digits]? ([eE] [+-]? digits)?` with at least one digit in
/// the mantissa; an exponent is only taken when digits follow, so `"2eV"` splits into `2`
/// and `eV`.
fn split_number(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let mut end = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        end += 1;
    }
    let mut mantissa_digits = 0;
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
        mantissa_digits += 1;
    }
    if end < bytes.len() && bytes[end] == b'.' {
        end += 1;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
            mantissa_digits += 1;
        }
    }
    if mantissa_digits == 0 {
        return None;
    }
    if end < bytes.len() && matches!(bytes[end], b'e' | b'E') {
        let mut exponent_end = end + 1;
        if exponent_end < bytes.len() && matches!(bytes[exponent_end], b'+' | b'-') {
            exponent_end += 1;
        }
        let digits_start = exponent_end;
        while exponent_end < bytes.len() && bytes[exponent_end].is_ascii_digit() {
            exponent_end += 1;
        }
        if exponent_end > digits_start {
            end = exponent_end;
        }
    }
    // `end` only ever advanced over ASCII bytes, so it is a char boundary.
    Some(text.split_at(end))
}

fn units_error(text: &str, message: impl Into<String>) -> Error {
    Error::Units {
        text: text.to_owned(),
        message: message.into(),
    }
}

/// Parses a quantity such as `"0.65 eV"` and returns its value in the internal unit of
/// `dimension` (eV, K, s, Å, s⁻¹, Å², e Å⁻² s⁻¹, u or 1).
///
/// The text is a decimal number (optionally in scientific notation, `1e13`, `2.5E-3`),
/// optional white space and a unit from the table in the [module documentation](self).
/// Leading and trailing white space is ignored. [`Dimension::Dimensionless`] takes a bare
/// number and no unit.
///
/// A temperature may be given as an energy E, meaning T = E / `k_B` (reduced-unit benchmark
/// models): `"4 eV"` is 4 / `k_B` ≈ 46 418 K.
///
/// # Errors
/// [`Error::Units`] when
/// - there is no number, or the number is not finite (`1e999`);
/// - the unit is missing for a dimensional quantity (the message names an example);
/// - the unit is unknown, or belongs to another dimension (the message says which);
/// - a unit is given for a dimensionless quantity;
/// - a temperature is below 0 K, or a rate, cross-section, flux or mass is negative.
///
/// # Example
/// ```
/// use nanokmc::units::{parse_quantity, Dimension};
/// assert_eq!(parse_quantity("650 meV", Dimension::Energy).unwrap(), 0.65);
/// assert_eq!(parse_quantity("25 °C", Dimension::Temperature).unwrap(), 298.15);
/// assert_eq!(parse_quantity("1e13 /s", Dimension::Rate).unwrap(), 1e13);
/// assert!(parse_quantity("0.65", Dimension::Energy).is_err());
/// ```
pub fn parse_quantity(text: &str, dimension: Dimension) -> Result<f64> {
    let trimmed = text.trim();
    let Some((number_text, rest)) = split_number(trimmed) else {
        return Err(units_error(
            text,
            format!("expected a number, {}", dimension.expectation()),
        ));
    };
    let number: f64 = number_text.parse().map_err(|_| {
        units_error(
            text,
            format!(
                "`{number_text}` is not a number, expected {}",
                dimension.expectation()
            ),
        )
    })?;
    if !number.is_finite() {
        return Err(units_error(
            text,
            format!("`{number_text}` is not a finite number"),
        ));
    }
    let unit = normalise_unit(rest.trim_start());

    // stage 1: a bare number is only valid for dimensionless quantities.
    if unit.is_empty() {
        if dimension == Dimension::Dimensionless {
            return Ok(number);
        }
        return Err(units_error(
            text,
            format!(
                "missing unit, expected {} (units: {})",
                dimension.expectation(),
                dimension.accepted_units()
            ),
        ));
    }
    if dimension == Dimension::Dimensionless {
        return Err(units_error(
            text,
            format!(
                "unexpected unit `{unit}`, expected {}",
                dimension.expectation()
            ),
        ));
    }

    // stage 2: find the unit; if it belongs to another dimension say which, since that
    // is the more likely mistake than a typo.
    let Some(conversion) = unit_conversion(dimension, &unit) else {
        let other = Dimension::ALL
            .iter()
            .find(|other| unit_conversion(**other, &unit).is_some());
        let message = match other {
            Some(other) => format!(
                "`{unit}` is a unit of {other}, expected {}",
                dimension.expectation()
            ),
            None => format!(
                "unknown unit `{unit}`, expected {} (units: {})",
                dimension.expectation(),
                dimension.accepted_units()
            ),
        };
        return Err(units_error(text, message));
    };

    // stage 3: convert and check the sign of quantities that cannot be negative.
    let value = conversion.apply(number);
    if !value.is_finite() {
        return Err(units_error(
            text,
            format!("the value overflows in {}", dimension.internal_unit()),
        ));
    }
    if dimension.is_non_negative() && value < 0.0 {
        let message = if dimension == Dimension::Temperature {
            format!("temperature {value} K is below absolute zero")
        } else {
            format!("a {dimension} cannot be negative")
        };
        return Err(units_error(text, message));
    }
    Ok(value)
}

/// Writes `value` [internal unit of `dimension`] as a string with its internal unit, e.g.
/// `"0.65 eV"`, `"1e13 /s"`, `"300 K"`, for reports and output metadata.
///
/// The number is written with the shortest representation that reads back to the same
/// `f64` (plain for magnitudes in [10⁻³, 10⁶), scientific otherwise), so
/// `parse_quantity(&format_quantity(v, d), d) == Ok(v)` exactly for every finite `v` that
/// `parse_quantity` accepts.
///
/// # Example
/// ```
/// use nanokmc::units::{format_quantity, Dimension};
/// assert_eq!(format_quantity(0.65, Dimension::Energy), "0.65 eV");
/// assert_eq!(format_quantity(1e13, Dimension::Rate), "1e13 /s");
/// assert_eq!(format_quantity(0.5, Dimension::Dimensionless), "0.5");
/// ```
#[must_use]
pub fn format_quantity(value: f64, dimension: Dimension) -> String {
    let magnitude = value.abs();
    let number = if value == 0.0 || (1e-3..1e6).contains(&magnitude) || !value.is_finite() {
        format!("{value}")
    } else {
        format!("{value:e}")
    };
    let unit = dimension.internal_unit();
    if unit.is_empty() {
        number
    } else {
        format!("{number} {unit}")
    }
}

#[cfg(test)]
// exact float comparisons in these tests check values that are exactly representable
// (breakpoints, jumps, small sums); inexact values are compared with approx.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    fn parse_ok(text: &str, dimension: Dimension) -> f64 {
        match parse_quantity(text, dimension) {
            Ok(value) => value,
            Err(error) => panic!("`{text}` as {dimension}: {error}"),
        }
    }

    fn parse_message(text: &str, dimension: Dimension) -> String {
        match parse_quantity(text, dimension) {
            Ok(value) => panic!("`{text}` as {dimension} parsed to {value}"),
            Err(Error::Units { text: got, message }) => {
                assert_eq!(got, text);
                message
            }
            Err(other) => panic!("wrong error variant: {other}"),
        }
    }

    #[test]
    fn every_unit_parses_to_its_internal_value() {
        use Dimension::{CrossSection, Energy, Flux, Length, Mass, Rate, Temperature, Time};
        let kb = BOLTZMANN_EV_PER_K;
        let cases: &[(&str, Dimension, f64)] = &[
            ("2 eV", Energy, 2.0),
            ("2 meV", Energy, 2e-3),
            ("2 keV", Energy, 2e3),
            ("2 kJ/mol", Energy, 2.0 * EV_PER_KJ_PER_MOL),
            ("2 kcal/mol", Energy, 2.0 * EV_PER_KCAL_PER_MOL),
            ("300 K", Temperature, 300.0),
            ("25 C", Temperature, 298.15),
            ("25 °C", Temperature, 298.15),
            ("25 degC", Temperature, 298.15),
            ("4 eV", Temperature, 4.0 / kb),
            ("25 meV", Temperature, 25e-3 / kb),
            ("1 kJ/mol", Temperature, EV_PER_KJ_PER_MOL / kb),
            ("1 kcal/mol", Temperature, EV_PER_KCAL_PER_MOL / kb),
            ("3 s", Time, 3.0),
            ("3 ms", Time, 3e-3),
            ("3 us", Time, 3e-6),
            ("3 µs", Time, 3e-6),
            ("3 μs", Time, 3e-6),
            ("3 ns", Time, 3e-9),
            ("3 ps", Time, 3e-12),
            ("3 fs", Time, 3e-15),
            ("3 min", Time, 180.0),
            ("3 h", Time, 10_800.0),
            ("2.5 A", Length, 2.5),
            ("2.5 Å", Length, 2.5),
            ("2.5 \u{212B}", Length, 2.5),
            ("2.5 nm", Length, 25.0),
            ("250 pm", Length, 2.5),
            ("5 /s", Rate, 5.0),
            ("5 1/s", Rate, 5.0),
            ("5 s^-1", Rate, 5.0),
            ("5 s⁻¹", Rate, 5.0),
            ("5 /ps", Rate, 5e12),
            ("5 Hz", Rate, 5.0),
            ("5 kHz", Rate, 5e3),
            ("5 MHz", Rate, 5e6),
            ("5 GHz", Rate, 5e9),
            ("5 THz", Rate, 5e12),
            ("20 barn", CrossSection, 20e-8),
            ("20 b", CrossSection, 20e-8),
            ("20 A^2", CrossSection, 20.0),
            ("20 Å^2", CrossSection, 20.0),
            ("20 Å²", CrossSection, 20.0),
            ("0.2 nm^2", CrossSection, 20.0),
            ("500 e/A^2/s", Flux, 500.0),
            ("500 e/Å^2/s", Flux, 500.0),
            ("500 e/Å²/s", Flux, 500.0),
            ("500 e/nm^2/s", Flux, 5.0),
            ("1 A/cm^2", Flux, FLUX_PER_AMPERE_PER_SQUARE_CENTIMETRE),
            ("1 A/cm²", Flux, FLUX_PER_AMPERE_PER_SQUARE_CENTIMETRE),
            ("63.546 u", Mass, 63.546),
            ("63.546 amu", Mass, 63.546),
            ("63.546 Da", Mass, 63.546),
        ];
        for &(text, dimension, expected) in cases {
            assert_relative_eq!(parse_ok(text, dimension), expected, max_relative = 1e-14);
        }
    }

    #[test]
    fn parse_quantity_dimensionless_accepts_bare_number() {
        assert_eq!(parse_ok("0.5", Dimension::Dimensionless), 0.5);
        assert_eq!(parse_ok(" -3 ", Dimension::Dimensionless), -3.0);
        assert_eq!(parse_ok("1e3", Dimension::Dimensionless), 1e3);
    }

    #[test]
    fn parse_quantity_number_forms_are_accepted() {
        assert_eq!(parse_ok("1e13 /s", Dimension::Rate), 1e13);
        assert_eq!(parse_ok("1e13/s", Dimension::Rate), 1e13);
        assert_eq!(parse_ok("2.5E-3 eV", Dimension::Energy), 2.5e-3);
        assert_eq!(parse_ok("2.5e+3 eV", Dimension::Energy), 2.5e3);
        assert_eq!(parse_ok("2eV", Dimension::Energy), 2.0);
        assert_eq!(parse_ok(".5 eV", Dimension::Energy), 0.5);
        assert_eq!(parse_ok("5. eV", Dimension::Energy), 5.0);
        assert_eq!(parse_ok("+1 eV", Dimension::Energy), 1.0);
        assert_eq!(parse_ok("-0.3 eV", Dimension::Energy), -0.3);
        assert_eq!(parse_ok("  0.65   eV  ", Dimension::Energy), 0.65);
        assert_eq!(parse_ok("1e13 1/s", Dimension::Rate), 1e13);
    }

    #[test]
    fn parse_quantity_missing_unit_names_an_example() {
        let message = parse_message("0.65", Dimension::Energy);
        assert!(
            message.contains("expected an energy such as \"0.65 eV\""),
            "{message}"
        );
        assert!(message.contains("missing unit"), "{message}");
        for dimension in Dimension::ALL {
            if dimension != Dimension::Dimensionless {
                let message = parse_message("1", dimension);
                assert!(message.contains(dimension.expectation()), "{message}");
            }
        }
    }

    #[test]
    fn parse_quantity_unknown_unit_is_rejected() {
        let message = parse_message("1 furlong", Dimension::Length);
        assert!(message.contains("unknown unit `furlong`"), "{message}");
        assert!(message.contains("nm"), "{message}");
        let message = parse_message("1 MeV", Dimension::Energy);
        assert!(message.contains("unknown unit `MeV`"), "{message}");
        let message = parse_message("1 mev", Dimension::Energy);
        assert!(message.contains("unknown unit"), "{message}");
    }

    #[test]
    fn parse_quantity_wrong_dimension_says_which() {
        let message = parse_message("5 ms", Dimension::Energy);
        assert!(message.contains("`ms` is a unit of time"), "{message}");
        assert!(message.contains("expected an energy"), "{message}");
        let message = parse_message("300 K", Dimension::Time);
        assert!(message.contains("unit of temperature"), "{message}");
        let message = parse_message("2 nm", Dimension::CrossSection);
        assert!(message.contains("unit of length"), "{message}");
    }

    #[test]
    fn parse_quantity_unit_on_dimensionless_is_rejected() {
        let message = parse_message("0.5 eV", Dimension::Dimensionless);
        assert!(message.contains("unexpected unit `eV`"), "{message}");
    }

    #[test]
    fn parse_quantity_non_numbers_are_rejected() {
        for text in [
            "", "  ", "eV", "abc eV", "inf K", "NaN eV", "- eV", ". eV", "e5 eV",
        ] {
            let message = parse_message(text, Dimension::Energy);
            assert!(message.contains("expected a number"), "{text}: {message}");
        }
    }

    #[test]
    fn parse_quantity_non_finite_is_rejected() {
        let message = parse_message("1e999 eV", Dimension::Energy);
        assert!(message.contains("not a finite number"), "{message}");
        let message = parse_message("1e307 h", Dimension::Time);
        assert!(message.contains("overflows"), "{message}");
    }

    #[test]
    fn parse_quantity_negative_temperature_is_rejected() {
        let message = parse_message("-1 K", Dimension::Temperature);
        assert!(message.contains("below absolute zero"), "{message}");
        let message = parse_message("-300 °C", Dimension::Temperature);
        assert!(message.contains("below absolute zero"), "{message}");
        let message = parse_message("-1 meV", Dimension::Temperature);
        assert!(message.contains("below absolute zero"), "{message}");
        assert_eq!(parse_ok("0 K", Dimension::Temperature), 0.0);
        assert_eq!(parse_ok("-273.15 C", Dimension::Temperature), 0.0);
    }

    #[test]
    fn parse_quantity_negative_non_negative_dimensions_are_rejected() {
        for (text, dimension) in [
            ("-1 /s", Dimension::Rate),
            ("-1 barn", Dimension::CrossSection),
            ("-1 e/Å^2/s", Dimension::Flux),
            ("-1 u", Dimension::Mass),
        ] {
            let message = parse_message(text, dimension);
            assert!(message.contains("cannot be negative"), "{message}");
        }
        assert_eq!(parse_ok("-1 s", Dimension::Time), -1.0);
        assert_eq!(parse_ok("-1 Å", Dimension::Length), -1.0);
    }

    #[test]
    fn parse_quantity_errors_are_input_errors() {
        let Err(error) = parse_quantity("1", Dimension::Energy) else {
            panic!("expected an error");
        };
        assert!(error.is_input_error());
        assert!(error.to_string().starts_with("invalid quantity `1`"));
    }

    #[test]
    fn format_quantity_writes_internal_units() {
        assert_eq!(format_quantity(0.65, Dimension::Energy), "0.65 eV");
        assert_eq!(format_quantity(300.0, Dimension::Temperature), "300 K");
        assert_eq!(format_quantity(1e-12, Dimension::Time), "1e-12 s");
        assert_eq!(format_quantity(2.5, Dimension::Length), "2.5 Å");
        assert_eq!(format_quantity(1e13, Dimension::Rate), "1e13 /s");
        assert_eq!(format_quantity(2e-7, Dimension::CrossSection), "2e-7 Å^2");
        assert_eq!(format_quantity(500.0, Dimension::Flux), "500 e/Å^2/s");
        assert_eq!(format_quantity(63.546, Dimension::Mass), "63.546 u");
        assert_eq!(format_quantity(0.0, Dimension::Dimensionless), "0");
    }

    #[test]
    fn format_then_parse_round_trips_examples() {
        for dimension in Dimension::ALL {
            for value in [
                0.0,
                1.0,
                0.1,
                1e-3,
                999_999.9,
                1e6,
                1e13,
                1e-300,
                123.456e-20,
            ] {
                let text = format_quantity(value, dimension);
                assert_eq!(
                    parse_ok(&text, dimension).to_bits(),
                    value.to_bits(),
                    "{text}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips_any_value(
            value in prop::num::f64::POSITIVE | prop::num::f64::NEGATIVE | prop::num::f64::ZERO,
            index in 0usize..9,
        ) {
            let dimension = Dimension::ALL[index];
            prop_assume!(!(dimension.is_non_negative() && value < 0.0));
            let text = format_quantity(value, dimension);
            let parsed = parse_quantity(&text, dimension);
            prop_assert!(parsed.is_ok(), "{text}");
            if let Ok(parsed) = parsed {
                prop_assert_eq!(parsed.to_bits(), value.to_bits(), "{}", text);
            }
        }

        #[test]
        fn parse_quantity_never_panics(text in "\\PC{0,16}", index in 0usize..9) {
            let _ = parse_quantity(&text, Dimension::ALL[index]);
        }

        #[test]
        fn parse_quantity_converted_units_round_trip(value in 1e-6f64..1e6) {
            let text = format!("{value} nm");
            prop_assert!((parse_quantity(&text, Dimension::Length).unwrap_or(f64::NAN) - 10.0 * value).abs()
                <= 1e-12 * 10.0 * value);
            let celsius = format!("{value} °C");
            let kelvin = parse_quantity(&celsius, Dimension::Temperature).unwrap_or(f64::NAN);
            prop_assert!((kelvin - (value + 273.15)).abs() <= 1e-9 * (value + 273.15));
        }
    }
}
