//! The beam windows of `[[program.beam]]`: flux, beam energy, spot and heating (see
//! `docs/beam.md`). Each window gives a constant flux φ and energy E₀ on `[start, end)`;
//! the temperature rise ΔT of the window (Egerton's estimate from the potential's
//! `[beam.heating]`, or a typed override) is added to the stage program, so the engine runs
//! `T_eff(t) = T_stage(t) + ΔT(t)` exactly like any other program.

use super::compile::Compiler;
use super::file;
use crate::beam::report::WindowSummary;
use crate::beam::{BeamSpot, heating};
use crate::error::Result;
use crate::input::QuantityText;
use crate::model::RateLaw;
use crate::program::{BeamWindow, Program, Schedule, beam_windows};
use crate::units::Dimension;

impl Compiler<'_> {
    /// The program of `stage` (the stage temperature) and the beam windows of `pf`, and a
    /// summary of each window for `nanokmc check`.
    ///
    /// # Errors
    /// Bad or missing window keys, at their file position.
    #[allow(clippy::too_many_lines)]
    pub(super) fn beam_program(
        &self,
        pf: &file::ProgramFile,
        stage: &Schedule,
        at: std::ops::Range<usize>,
    ) -> Result<(Program, Vec<WindowSummary>)> {
        let computed = self
            .potential
            .model
            .rules
            .iter()
            .any(|r| matches!(r.law, RateLaw::BeamProcess { .. }));
        let heating_material = self.potential.beam.as_ref().and_then(|b| b.heating);
        let mut flux_windows = Vec::new();
        let mut energy_windows = Vec::new();
        let mut rise_windows = Vec::new();
        let mut summaries = Vec::new();
        for (i, bf) in pf.beam.iter().enumerate() {
            let key = format!("program.beam[{i}]");
            let start = self.window_time(&bf.start, &format!("{key}.start"))?;
            let end = self.window_time(&bf.end, &format!("{key}.end"))?;
            if end <= start {
                return Err(self.err(
                    bf.end.span(),
                    &format!("{key}.end"),
                    "must be after `start`",
                ));
            }
            let flux = self.quantity(&bf.flux, Dimension::Flux, &format!("{key}.flux"))?;
            let energy = match &bf.energy {
                Some(q) => {
                    let e = self.quantity(q, Dimension::Energy, &format!("{key}.energy"))? * 1e-3;
                    if !(e > 0.0 && e.is_finite()) {
                        return Err(self.err(
                            q.span(),
                            &format!("{key}.energy"),
                            "must be a beam energy > 0, e.g. \"200 keV\"",
                        ));
                    }
                    e
                }
                None => 0.0,
            };
            if computed && flux > 0.0 && energy <= 0.0 {
                return Err(self.err(
                    bf.flux.span(),
                    &format!("{key}.energy"),
                    "the potential computes beam cross-sections from the beam energy: give `energy`, e.g. \"200 keV\"",
                ));
            }
            let spot = match &bf.spot {
                Some(q) => Some(self.positive_length(q, &format!("{key}.spot"))?),
                None => None,
            };
            let sink = match &bf.sink_distance {
                Some(q) => Some(self.positive_length(q, &format!("{key}.sink_distance"))?),
                None => None,
            };
            let rise = match &bf.heating {
                Some(q) => match q.get_ref() {
                    QuantityText::Text(t) if t.trim() == "off" => 0.0,
                    QuantityText::Text(t) if t.trim().ends_with('K') => {
                        let v =
                            self.quantity(q, Dimension::Temperature, &format!("{key}.heating"))?;
                        if v.is_finite() && v < 1e4 {
                            v
                        } else {
                            return Err(self.err(
                                q.span(),
                                &format!("{key}.heating"),
                                "a temperature rise below 10⁴ K",
                            ));
                        }
                    }
                    _ => {
                        return Err(self.err(
                            q.span(),
                            &format!("{key}.heating"),
                            "`heating` is \"off\" or a temperature rise in K, e.g. \"15 K\" (it overrides the computed ΔT)",
                        ));
                    }
                },
                None => {
                    match (heating_material, spot, sink) {
                        (Some(material), Some(diameter), Some(sink_distance)) => {
                            if sink_distance <= diameter / 2.0 {
                                return Err(self.err(
                                bf.sink_distance.as_ref().map_or(bf.start.span(), toml::Spanned::span),
                                &format!("{key}.sink_distance"),
                                "the heat sink must lie outside the beam (sink_distance > spot/2)",
                            ));
                            }
                            if energy <= 0.0 && flux > 0.0 {
                                return Err(self.err(
                                    bf.flux.span(),
                                    &format!("{key}.energy"),
                                    "beam heating needs the beam `energy`",
                                ));
                            }
                            material.temperature_rise(
                                flux,
                                energy,
                                BeamSpot {
                                    diameter,
                                    sink_distance,
                                },
                            )
                        }
                        (Some(_), _, _) if flux > 0.0 => {
                            return Err(self.err(
                            bf.flux.span(),
                            &key,
                            "the potential has `[beam.heating]`: give `spot` (beam diameter) and `sink_distance` (to the heat sink, e.g. a grid bar), or `heating = \"off\"` or a ΔT such as \"5 K\"",
                        ));
                        }
                        (None, Some(_), _) | (None, _, Some(_)) => {
                            let q = bf
                                .spot
                                .as_ref()
                                .or(bf.sink_distance.as_ref())
                                .map_or(bf.start.span(), toml::Spanned::span);
                            return Err(self.err(
                            q,
                            &key,
                            "`spot` and `sink_distance` are for the beam heating estimate, but the potential has no `[beam.heating]` (give `heating` = a ΔT instead)",
                        ));
                        }
                        _ => 0.0,
                    }
                }
            };
            flux_windows.push(BeamWindow { start, end, flux });
            energy_windows.push(BeamWindow {
                start,
                end,
                flux: energy,
            });
            rise_windows.push(BeamWindow {
                start,
                end,
                flux: rise,
            });
            summaries.push(WindowSummary {
                start,
                end,
                energy,
                flux,
                temperature_rise: rise,
            });
        }
        let wrap = |e: crate::Error| self.err(at.clone(), "program.beam", e.to_string());
        let flux = beam_windows(&flux_windows).map_err(wrap)?;
        let energy = beam_windows(&energy_windows).map_err(wrap)?;
        let rise = beam_windows(&rise_windows).map_err(wrap)?;
        let temperature = heating::add_schedules(stage, &rise).map_err(wrap)?;
        let program = Program::new(temperature, flux)
            .and_then(|p| p.with_beam_energy(energy))
            .map_err(|e| self.err(at.clone(), "program", e.to_string()))?;
        summaries.sort_by(|a, b| a.start.total_cmp(&b.start));
        Ok((program, summaries))
    }

    fn window_time(&self, q: &crate::input::Quantity, key: &str) -> Result<f64> {
        let t = self.quantity(q, Dimension::Time, key)?;
        if t >= 0.0 && t.is_finite() {
            Ok(t)
        } else {
            Err(self.err(q.span(), key, "must be a time ≥ 0"))
        }
    }
}

impl super::Scenario {
    /// The beam table of `nanokmc check`: per beam rule (species and site kind) and beam
    /// window, `E_max`, σ and the rate per atom; empty when the model has no beam rules.
    #[must_use]
    pub fn beam_report(&self) -> String {
        use crate::beam::report::{RuleLaw, RuleSummary, table};
        let model = &self.potential.model;
        let rules: Vec<RuleSummary> = model
            .rules
            .iter()
            .filter_map(|r| {
                let law = match r.law {
                    RateLaw::Beam { cross_section } => RuleLaw::Typed(cross_section),
                    RateLaw::BeamProcess { process } => RuleLaw::Computed(process),
                    RateLaw::Thermal { .. } => return None,
                };
                let (species, kind) = acting_site(r.action);
                let species_name = model.species.get(species).name.clone();
                let mass = model.species.get(species).mass;
                let kind = kind.map_or_else(
                    || "any".to_string(),
                    |k| model.kinds[k.index()].name.clone(),
                );
                Some(RuleSummary {
                    name: r.name.clone(),
                    species: species_name,
                    kind,
                    law,
                    mass,
                })
            })
            .collect();
        table(&self.beam_windows, &rules)
    }
}

/// The species an action acts on and the site kind it starts from.
fn acting_site(
    action: crate::model::Action,
) -> (crate::state::SpeciesId, Option<crate::sites::KindId>) {
    use crate::model::Action;
    match action {
        Action::Swap { mover, .. } => (mover.species, mover.kind),
        Action::Remove { site } | Action::Change { site, .. } => (site.species, site.kind),
        Action::Add { species, kind } => (species, kind),
        Action::RemovePair { first, .. } | Action::AddPair { first, .. } => {
            (first.species, first.kind)
        }
        Action::ClusterMove(c) => (c.species, None),
    }
}
