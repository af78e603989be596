//! Crystals written in the potential file: `structure = "custom"` phases.
//!
//! A custom phase gives its cell either as lengths and angles (`a`, `b`, `c` [Å], `alpha`,
//! `beta`, `gamma` [deg or rad]) or as three cell vectors (`vectors`, rows `a`, `b`, `c`,
//! each component a length with its unit), and its basis as `sites`, each a role name and
//! fractional coordinates (numbers or exact fractions written as `"1/3"`). An optional list
//! of symmetry `operations` (International Tables notation, e.g. `"-x+1/2,y+1/2,z"`) expands
//! the listed sites into full orbits, exactly as the built-in builders do
//! ([`crate::lattice::crystal::expand_wyckoff`]); without it the sites are the whole basis.
//!
//! Interstitial (hole) sublattices are ordinary roles: list them like the atom roles and
//! give them their own site kind in `roles` (and no `fill`, so they start vacant).
//!
//! Cell from lengths and angles (the crystallographic convention of the International
//! Tables, `a` along x, `b` in the x–y plane):
//! `a = (a, 0, 0)`, `b = (b cos γ, b sin γ, 0)`,
//! `c = (c cos β, c (cos α − cos β cos γ)/sin γ, c √(1 − cos²β − ((cos α − cos β cos γ)/sin γ)²))`.
//!
//! This file only parses and checks; [`crate::lattice::Crystal::general`] builds.

use serde::Deserialize;

use super::FilePhase;
use crate::error::Result;
use crate::input::{Quantity, Source, Spanned};
use crate::lattice::crystal::expand_wyckoff;
use crate::lattice::{BasisSite, Crystal};
use crate::units::Dimension;

/// One fractional coordinate as written: a number or an exact fraction `"1/3"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum FracText {
    /// A plain number.
    Number(f64),
    /// A fraction such as `"1/3"` or `"-1/4"`, or a number written as text.
    Text(String),
}

/// One site of a custom basis as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileBasisSite {
    pub role: Spanned<String>,
    pub frac: Spanned<[FracText; 3]>,
}

/// True when the phase uses any key that only a custom structure takes.
pub(super) fn custom_key(p: &FilePhase) -> Option<&'static str> {
    if p.vectors.is_some() {
        Some("vectors")
    } else if !p.sites.is_empty() {
        Some("sites")
    } else if p.operations.is_some() {
        Some("operations")
    } else if p.alpha.is_some() {
        Some("alpha")
    } else if p.beta.is_some() {
        Some("beta")
    } else if p.gamma.is_some() {
        Some("gamma")
    } else {
        None
    }
}

/// An angle as written (`"90 deg"`, `"90°"`, `"1.5708 rad"`) [rad].
fn angle(src: &Source, text: &Spanned<String>, key: &str) -> Result<f64> {
    let bad = || {
        src.error(
            text.span(),
            key,
            format!(
                "`{}`: expected an angle such as \"90 deg\" or \"1.5708 rad\"",
                text.get_ref()
            ),
        )
    };
    let t = text.get_ref().trim();
    let (number, factor) = if let Some(n) = t.strip_suffix("deg").or_else(|| t.strip_suffix('°')) {
        (n, std::f64::consts::PI / 180.0)
    } else if let Some(n) = t.strip_suffix("rad") {
        (n, 1.0)
    } else {
        return Err(bad());
    };
    let v: f64 = number.trim().parse().map_err(|_| bad())?;
    let v = v * factor;
    if v.is_finite() && v > 0.0 && v < std::f64::consts::PI {
        Ok(v)
    } else {
        Err(src.error(
            text.span(),
            key,
            format!(
                "`{}`: a cell angle must lie strictly between 0 and 180 deg",
                text.get_ref()
            ),
        ))
    }
}

fn fraction(x: &FracText) -> Option<f64> {
    let v = match x {
        FracText::Number(v) => *v,
        FracText::Text(t) => match t.trim().split_once('/') {
            Some((n, d)) => {
                let n: f64 = n.trim().parse().ok()?;
                let d: f64 = d.trim().parse().ok()?;
                if d == 0.0 {
                    return None;
                }
                n / d
            }
            None => t.trim().parse().ok()?,
        },
    };
    v.is_finite().then_some(v)
}

/// The cell (rows `a`, `b`, `c` [Å]) from lengths [Å] and angles [rad].
#[must_use]
pub fn cell_from_parameters(lengths: [f64; 3], angles: [f64; 3]) -> Option<[[f64; 3]; 3]> {
    let [a, b, c] = lengths;
    let [alpha, beta, gamma] = angles;
    let (sin_g, cos_g) = gamma.sin_cos();
    let cos_a = alpha.cos();
    let cos_b = beta.cos();
    let cy = (cos_a - cos_b * cos_g) / sin_g;
    let cz2 = 1.0 - cos_b * cos_b - cy * cy;
    if cz2.is_nan() || cz2 <= 1e-12 {
        return None;
    }
    Some([
        [a, 0.0, 0.0],
        [b * cos_g, b * sin_g, 0.0],
        [c * cos_b, c * cy, c * cz2.sqrt()],
    ])
}

/// Builds the crystal of a `structure = "custom"` phase `p` (key `key`, e.g. `phases[2]`).
///
/// # Errors
/// [`crate::Error::Input`] at the offending key: both `vectors` and lengths given, neither
/// given, a missing `a`, an angle without unit or out of (0, 180) deg, no `sites`, a
/// fractional coordinate that is not a number or fraction, an operation that cannot be
/// parsed, a degenerate or left-handed cell, or two sites that coincide.
#[allow(clippy::too_many_lines)] // one check per key, in file order
pub(super) fn crystal(src: &Source, p: &FilePhase, key: &str) -> Result<Crystal> {
    let name = p.name.get_ref();
    if let Some(u) = &p.u {
        return Err(src.error(
            u.span(),
            format!("{key}.u"),
            "structure `custom` does not take parameter `u` (write the coordinates in `sites`)",
        ));
    }
    let lengths_given = p.a.is_some()
        || p.b.is_some()
        || p.c.is_some()
        || p.alpha.is_some()
        || p.beta.is_some()
        || p.gamma.is_some();
    let cell = if let Some(v) = &p.vectors {
        if lengths_given {
            return Err(src.error(
                p.structure.span(),
                format!("{key}.vectors"),
                "give either `vectors` or the lengths `a`, `b`, `c` and angles `alpha`, `beta`, `gamma`, not both",
            ));
        }
        let mut cell = [[0.0; 3]; 3];
        for (i, row) in v.iter().enumerate() {
            for (j, q) in row.iter().enumerate() {
                cell[i][j] =
                    src.quantity(q, Dimension::Length, &format!("{key}.vectors[{i}][{j}]"))?;
            }
        }
        cell
    } else {
        let Some(a) = &p.a else {
            return Err(src.error(
                p.structure.span(),
                format!("{key}.a"),
                "structure `custom` needs `vectors` or at least the length `a` (b and c default to a, the angles to 90 deg)",
            ));
        };
        let length = |q: &Quantity, n: &str| -> Result<f64> {
            let v = src.quantity(q, Dimension::Length, &format!("{key}.{n}"))?;
            if v > 0.0 {
                Ok(v)
            } else {
                Err(src.error(q.span(), format!("{key}.{n}"), "must be a positive length"))
            }
        };
        let a = length(a, "a")?;
        let b = p.b.as_ref().map_or(Ok(a), |q| length(q, "b"))?;
        let c = p.c.as_ref().map_or(Ok(a), |q| length(q, "c"))?;
        let right = std::f64::consts::FRAC_PI_2;
        let ang = |t: &Option<Spanned<String>>, n: &str| {
            t.as_ref()
                .map_or(Ok(right), |t| angle(src, t, &format!("{key}.{n}")))
        };
        let angles = [
            ang(&p.alpha, "alpha")?,
            ang(&p.beta, "beta")?,
            ang(&p.gamma, "gamma")?,
        ];
        cell_from_parameters([a, b, c], angles).ok_or_else(|| {
            src.error(
                p.structure.span(),
                format!("{key}.alpha"),
                "the angles alpha, beta, gamma do not make a cell (no positive volume)",
            )
        })?
    };
    if p.sites.is_empty() {
        return Err(src.error(
            p.structure.span(),
            format!("{key}.sites"),
            "structure `custom` needs `sites`: a list of { role = \"…\", frac = [x, y, z] }",
        ));
    }
    let mut representatives: Vec<(String, [f64; 3])> = Vec::with_capacity(p.sites.len());
    for (i, s) in p.sites.iter().enumerate() {
        let skey = format!("{key}.sites[{i}]");
        if s.role.get_ref().trim().is_empty() {
            return Err(src.error(s.role.span(), format!("{skey}.role"), "must not be empty"));
        }
        let mut frac = [0.0; 3];
        for (k, x) in s.frac.get_ref().iter().enumerate() {
            frac[k] = fraction(x).ok_or_else(|| {
                src.error(
                    s.frac.span(),
                    format!("{skey}.frac"),
                    "expected three finite numbers or fractions such as \"1/3\"",
                )
            })?;
        }
        representatives.push((s.role.get_ref().clone(), frac));
    }
    let basis = match &p.operations {
        None => representatives
            .into_iter()
            .map(|(role, frac)| BasisSite { role, frac })
            .collect(),
        Some(ops) => {
            let reps: Vec<(&str, [f64; 3])> = representatives
                .iter()
                .map(|(r, f)| (r.as_str(), *f))
                .collect();
            let ops_ref: Vec<&str> = ops.get_ref().iter().map(String::as_str).collect();
            expand_wyckoff(&reps, &ops_ref)
                .map_err(|e| src.error(ops.span(), format!("{key}.operations"), e.to_string()))?
        }
    };
    Crystal::general(name.clone(), cell, basis)
        .map_err(|e| src.error(p.structure.span(), format!("{key}.sites"), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn cell_from_parameters_hexagonal_matches_builder_cell() {
        let deg = std::f64::consts::PI / 180.0;
        let cell =
            cell_from_parameters([4.3, 4.3, 7.0], [90.0 * deg, 90.0 * deg, 120.0 * deg]).unwrap();
        assert_relative_eq!(cell[1][0], -2.15, epsilon = 1e-12);
        assert_relative_eq!(cell[1][1], 4.3 * 0.75f64.sqrt(), epsilon = 1e-12);
        assert_relative_eq!(cell[2][2], 7.0, epsilon = 1e-12);
        assert!(cell_from_parameters([1.0; 3], [10.0 * deg, 10.0 * deg, 170.0 * deg]).is_none());
    }

    #[test]
    fn fraction_reads_numbers_and_fractions() {
        assert_eq!(fraction(&FracText::Text("1/3".into())), Some(1.0 / 3.0));
        assert_eq!(fraction(&FracText::Text("-1/4".into())), Some(-0.25));
        assert_eq!(fraction(&FracText::Number(0.5)), Some(0.5));
        assert_eq!(fraction(&FracText::Text("1/0".into())), None);
        assert_eq!(fraction(&FracText::Text("half".into())), None);
    }
}
