//! Potential-file reading of the `[beam]` section (the physics of `crate::beam`) and of the
//! computed cross-sections of beam events (`cross_section = "knock_on"`, `"sputtering"`,
//! `"radiolysis"`). The typed form (`cross_section = "100 barn"`) is read in `mod.rs`.
//!
//! ```toml
//! [[beam.targets]]             # knock-on data per species (and optionally site kind)
//! species = "Cl"
//! kind = "x_site"              # optional: this entry applies to this site kind only
//! z = 17                       # atomic number
//! threshold = "8 eV"           # displacement threshold E_d
//! spread = 0.15                # optional: Gaussian spread of E_d, fraction of E_d (default 0)
//! formula = "auto"             # optional: auto | mckinley_feshbach | rutherford
//! source = "..."               # required
//!
//! [beam.radiolysis]            # σ_rad = S(E₀)/(n_X W_d)
//! z_over_a = 0.4397            # mean Z/A of the compound [mol/g]
//! density = "3.354 g/cm^3"
//! mean_excitation = "329 eV"
//! number_density = "0.01708 /A^3"
//! energy_per_defect = "2e4 eV"  # W_d, the fitted parameter
//! source = "..."
//!
//! [beam.heating]               # Egerton ΔT of every beam window
//! conductivity = "0.3 W/m/K"
//! energy_per_event = "20 eV"
//! mean_free_path = "120 nm"
//! reference_energy = "200 keV"
//! source = "..."
//! ```

use serde::Deserialize;

use super::{Compiler, FileEvent};
use crate::beam::{
    BeamData, BeamProcess, Escape, Formula, HeatingMaterial, KnockOn, Radiolysis, Target, Threshold,
};
use crate::error::Result;
use crate::input::{Quantity, QuantityText, Spanned};
use crate::state::SpeciesTable;
use crate::units::Dimension;

/// `[beam]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileBeam {
    #[serde(default)]
    targets: Vec<FileTarget>,
    #[serde(default)]
    radiolysis: Option<Spanned<FileRadiolysis>>,
    #[serde(default)]
    heating: Option<Spanned<FileHeating>>,
}

/// `[[beam.targets]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTarget {
    species: Spanned<String>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    z: Spanned<i64>,
    threshold: Quantity,
    #[serde(default)]
    spread: Option<Spanned<f64>>,
    #[serde(default)]
    formula: Option<Spanned<String>>,
    #[serde(default)]
    source: Option<Spanned<String>>,
}

/// `[beam.radiolysis]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRadiolysis {
    z_over_a: Spanned<f64>,
    density: Spanned<String>,
    mean_excitation: Quantity,
    number_density: Spanned<String>,
    energy_per_defect: Quantity,
    #[serde(default)]
    source: Option<Spanned<String>>,
}

/// `[beam.heating]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileHeating {
    conductivity: Spanned<String>,
    energy_per_event: Quantity,
    mean_free_path: Quantity,
    reference_energy: Quantity,
    #[serde(default)]
    source: Option<Spanned<String>>,
}

/// The names `cross_section` may take instead of a number.
pub(super) const PROCESSES: [&str; 3] = ["knock_on", "sputtering", "radiolysis"];

impl Compiler<'_> {
    /// A number followed by one of `units` (name, factor to the internal unit).
    fn unit_value(&self, v: &Spanned<String>, units: &[(&str, f64)], key: &str) -> Result<f64> {
        let text = v.get_ref().trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')))
            .unwrap_or(text.len());
        let names: Vec<&str> = units.iter().map(|(n, _)| *n).collect();
        let bad = |why: String| self.source.error(v.span(), key, why);
        let number: f64 = text[..split].trim().parse().map_err(|_| {
            bad(format!(
                "invalid quantity `{text}`: expected a number and a unit ({})",
                names.join(", ")
            ))
        })?;
        let unit = text[split..].trim();
        let Some((_, factor)) = units.iter().find(|(n, _)| *n == unit) else {
            return Err(bad(format!(
                "invalid quantity `{text}`: unknown unit `{unit}` (expected {})",
                names.join(", ")
            )));
        };
        let value = number * factor;
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err(bad(format!("invalid quantity `{text}`: must be > 0")))
        }
    }

    fn positive(&self, q: &Quantity, dimension: Dimension, key: &str) -> Result<f64> {
        let v = self.source.quantity(q, dimension, key)?;
        if v > 0.0 {
            Ok(v)
        } else {
            Err(self.source.error(q.span(), key, "must be > 0"))
        }
    }

    fn need_source(
        &self,
        s: Option<&Spanned<String>>,
        at: std::ops::Range<usize>,
        key: &str,
    ) -> Result<()> {
        match s {
            Some(s) if !s.get_ref().trim().is_empty() => Ok(()),
            _ => Err(self.source.error(
                at,
                format!("{key}.source"),
                "beam data need a `source` (where the number comes from, or `fitted: …`)",
            )),
        }
    }

    /// Compiles `[beam]`.
    #[allow(clippy::too_many_lines)]
    pub(super) fn beam(
        &self,
        file: &FileBeam,
        table: &SpeciesTable,
        kind_names: &[String],
    ) -> Result<BeamData> {
        let src = self.source;
        let mut data = BeamData::default();
        for (i, t) in file.targets.iter().enumerate() {
            let key = format!("beam.targets[{i}]");
            let species = self.species(table, &t.species, &format!("{key}.species"))?;
            let mass = table.get(species).mass;
            if mass <= 0.0 {
                return Err(src.error(
                    t.species.span(),
                    format!("{key}.species"),
                    format!(
                        "species `{}` needs a `mass` for knock-on kinematics",
                        t.species.get_ref()
                    ),
                ));
            }
            let kind = match &t.kind {
                Some(k) => {
                    self.find(kind_names, k, &format!("{key}.kind"), "site kind")?;
                    Some(k.get_ref().clone())
                }
                None => None,
            };
            if data
                .targets
                .iter()
                .any(|o: &Target| o.species == *t.species.get_ref() && o.kind == kind)
            {
                return Err(src.error(
                    t.species.span(),
                    key.clone(),
                    "a second entry for the same species and site kind",
                ));
            }
            let z = *t.z.get_ref();
            if !(1..=118).contains(&z) {
                return Err(src.error(
                    t.z.span(),
                    format!("{key}.z"),
                    "atomic number must be 1–118",
                ));
            }
            #[allow(clippy::cast_precision_loss)]
            let z = z as f64;
            let threshold =
                self.positive(&t.threshold, Dimension::Energy, &format!("{key}.threshold"))?;
            let spread = match &t.spread {
                Some(s) => {
                    let v = *s.get_ref();
                    if !(v.is_finite() && (0.0..=0.5).contains(&v)) {
                        return Err(src.error(
                            s.span(),
                            format!("{key}.spread"),
                            "the relative spread of E_d must be in 0–0.5 (physics.md suggests 0.10–0.20)",
                        ));
                    }
                    v
                }
                None => 0.0,
            };
            let formula = match t.formula.as_ref().map(|f| (f, f.get_ref().as_str())) {
                None | Some((_, "auto")) => Formula::for_atomic_number(z),
                Some((_, "mckinley_feshbach")) => Formula::McKinleyFeshbach,
                Some((_, "rutherford")) => Formula::Rutherford,
                Some((f, other)) => {
                    return Err(src.error(
                        f.span(),
                        format!("{key}.formula"),
                        format!(
                            "unknown formula `{other}` (known: auto, mckinley_feshbach, rutherford)"
                        ),
                    ));
                }
            };
            self.need_source(t.source.as_ref(), t.species.span(), &key)?;
            data.targets.push(Target {
                species: t.species.get_ref().clone(),
                kind,
                knock_on: KnockOn {
                    atomic_number: z,
                    mass,
                    threshold: Threshold {
                        mean: threshold,
                        spread,
                    },
                    formula,
                    escape: Escape::Bulk,
                },
            });
        }
        if let Some(r) = &file.radiolysis {
            let key = "beam.radiolysis";
            let span = r.span();
            let r = r.get_ref();
            let z_over_a = *r.z_over_a.get_ref();
            if !(z_over_a.is_finite() && z_over_a > 0.0 && z_over_a <= 1.0) {
                return Err(src.error(
                    r.z_over_a.span(),
                    format!("{key}.z_over_a"),
                    "mean Z/A must be in (0, 1]",
                ));
            }
            let density = self.unit_value(
                &r.density,
                &[
                    ("g/cm^3", 1.0),
                    ("g/cm3", 1.0),
                    ("g cm^-3", 1.0),
                    ("kg/m^3", 1e-3),
                ],
                &format!("{key}.density"),
            )?;
            let number_density = self.unit_value(
                &r.number_density,
                &[
                    ("/A^3", 1.0),
                    ("/Å^3", 1.0),
                    ("/Å³", 1.0),
                    ("/nm^3", 1e-3),
                    ("/nm³", 1e-3),
                ],
                &format!("{key}.number_density"),
            )?;
            self.need_source(r.source.as_ref(), span, key)?;
            data.radiolysis = Some(Radiolysis {
                z_over_a,
                density,
                mean_excitation: self.positive(
                    &r.mean_excitation,
                    Dimension::Energy,
                    &format!("{key}.mean_excitation"),
                )?,
                number_density,
                energy_per_defect: self.positive(
                    &r.energy_per_defect,
                    Dimension::Energy,
                    &format!("{key}.energy_per_defect"),
                )?,
            });
        }
        if let Some(h) = &file.heating {
            let key = "beam.heating";
            let span = h.span();
            let h = h.get_ref();
            let conductivity = self.unit_value(
                &h.conductivity,
                &[("W/m/K", 1.0), ("W/(m K)", 1.0), ("W m^-1 K^-1", 1.0)],
                &format!("{key}.conductivity"),
            )?;
            self.need_source(h.source.as_ref(), span, key)?;
            data.heating = Some(HeatingMaterial {
                conductivity,
                energy_per_event: self.positive(
                    &h.energy_per_event,
                    Dimension::Energy,
                    &format!("{key}.energy_per_event"),
                )?,
                mean_free_path: self.positive(
                    &h.mean_free_path,
                    Dimension::Length,
                    &format!("{key}.mean_free_path"),
                )?,
                reference_energy: self.positive(
                    &h.reference_energy,
                    Dimension::Energy,
                    &format!("{key}.reference_energy"),
                )? * 1e-3,
            });
        }
        Ok(data)
    }

    /// The computed law of a beam event whose `cross_section` names a process, or `None`
    /// when it is a typed quantity.
    ///
    /// # Errors
    /// A process named without the `[beam]` data it needs.
    pub(super) fn beam_process(
        &self,
        key: &str,
        e: &FileEvent,
        q: &Quantity,
        beam: Option<&BeamData>,
    ) -> Result<Option<BeamProcess>> {
        let QuantityText::Text(text) = q.get_ref() else {
            return Ok(None);
        };
        let name = text.trim();
        if !PROCESSES.contains(&name) {
            return Ok(None);
        }
        let src = self.source;
        let key = format!("{key}.cross_section");
        let Some(beam) = beam else {
            return Err(src.error(
                q.span(),
                key,
                format!(
                    "`{name}` is computed from the potential's `[beam]` section, which is missing"
                ),
            ));
        };
        if name == "radiolysis" {
            return match beam.radiolysis {
                Some(r) => Ok(Some(BeamProcess::Radiolysis(r))),
                None => Err(src.error(
                    q.span(),
                    key,
                    "`radiolysis` needs `[beam.radiolysis]` in the potential",
                )),
            };
        }
        let species = e.species.get_ref();
        let kind = e.from.as_ref().map(|k| k.get_ref().as_str());
        let Some(target) = beam.target(species, kind) else {
            return Err(src.error(
                q.span(),
                key,
                format!(
                    "`{name}` needs a `[[beam.targets]]` entry for species `{species}`{}",
                    kind.map(|k| format!(" (site kind `{k}`, or one without `kind`)"))
                        .unwrap_or_default()
                ),
            ));
        };
        let escape = if name == "sputtering" {
            Escape::Planar
        } else {
            Escape::Bulk
        };
        Ok(Some(BeamProcess::KnockOn(KnockOn {
            escape,
            ..target.knock_on
        })))
    }
}
