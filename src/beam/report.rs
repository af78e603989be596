//! The beam table `nanokmc check` prints: for every beam rule (its species and site kind)
//! and every beam window, E_max, the cross-section and the rate per atom.

use std::fmt::Write as _;

use super::{BeamProcess, kinematics};
use crate::constants::SQUARE_ANGSTROM_PER_BARN;

/// One beam window as the report sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowSummary {
    /// Start and end [s].
    pub start: f64,
    /// End [s].
    pub end: f64,
    /// Beam energy E₀ [keV] (0: not given).
    pub energy: f64,
    /// Flux [e Å⁻² s⁻¹].
    pub flux: f64,
    /// Temperature rise added to the stage program [K].
    pub temperature_rise: f64,
}

/// One beam rule as the report sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSummary {
    /// Rule name.
    pub name: String,
    /// Species the rule acts on.
    pub species: String,
    /// Site kind it starts from (`any` when the rule has no `from`).
    pub kind: String,
    /// Typed cross-section [Å²], or the computed process.
    pub law: RuleLaw,
    /// Atomic mass of the species [u] (for E_max), 0 if unknown.
    pub mass: f64,
}

/// How a beam rule's cross-section is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RuleLaw {
    /// A typed number [Å²], the same at every beam energy.
    Typed(f64),
    /// Computed from the beam energy.
    Computed(BeamProcess),
}

/// The report as text: one block per window, one line per rule.
#[must_use]
pub fn table(windows: &[WindowSummary], rules: &[RuleSummary]) -> String {
    let mut out = String::new();
    if rules.is_empty() {
        return out;
    }
    let _ = writeln!(out, "beam (per atom; σ in barn, k = σ φ in s⁻¹):");
    for r in rules {
        let how = match r.law {
            RuleLaw::Typed(s) => format!("typed σ = {:.4e} b", s / SQUARE_ANGSTROM_PER_BARN),
            RuleLaw::Computed(p) => p.describe(),
        };
        let _ = writeln!(out, "  {} [{} on {}]: {how}", r.name, r.species, r.kind);
    }
    if windows.is_empty() {
        let _ = writeln!(out, "  no beam windows: every beam rate is 0");
        return out;
    }
    for w in windows {
        let _ = writeln!(
            out,
            "  window [{} s, {} s): E₀ = {} keV, φ = {} e/Å²/s, ΔT = {:.3} K",
            w.start, w.end, w.energy, w.flux, w.temperature_rise
        );
        let _ = writeln!(
            out,
            "    {:<24} {:>8} {:>10} {:>12} {:>12}",
            "rule", "species", "E_max eV", "σ b", "k s⁻¹"
        );
        for r in rules {
            let sigma = match r.law {
                RuleLaw::Typed(s) => s,
                RuleLaw::Computed(p) => p.cross_section(w.energy),
            };
            let e_max = if r.mass > 0.0 && w.energy > 0.0 {
                format!("{:.2}", kinematics::max_transfer_ev(w.energy, r.mass))
            } else {
                "-".to_string()
            };
            let _ = writeln!(
                out,
                "    {:<24} {:>8} {:>10} {:>12.4e} {:>12.4e}",
                r.name,
                format!("{}@{}", r.species, r.kind),
                e_max,
                sigma / SQUARE_ANGSTROM_PER_BARN,
                sigma * w.flux
            );
        }
    }
    out
}
