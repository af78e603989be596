//! The electron beam as physics: cross-sections and heating from the microscope's settings
//! (physics.md §2).
//!
//! A beam event's rate is `k = σ(E₀) φ(t)`. Here σ is computed from the beam energy E₀
//! [keV] of the current beam window and from data in the potential file (`[beam]`):
//! - [`kinematics`]: γ, β², the largest energy transfer `E_max` to a nucleus of mass A;
//! - [`mckinley_feshbach`] and [`rutherford`]: bulk knock-on cross-sections from Z and
//!   `x = E_max/E_d`;
//! - [`surface`]: the planar-escape form of surface sputtering, `x_p = √(E_max/E_d)`;
//! - [`threshold`]: E_d as a Gaussian distribution near threshold;
//! - [`radiolysis`]: `σ_rad = S(E₀)/(n_X W_d)` with the Bethe stopping power;
//! - [`heating`]: Egerton's ΔT of a beam window, added to the stage program;
//! - [`report`]: the table `nanokmc check` prints per species and site kind and window.
//!
//! A [`BeamProcess`] is `Copy` and lives in [`crate::model::RateLaw::BeamProcess`]; the
//! engine evaluates it when a rate class is (re)computed, i.e. at window boundaries, not
//! per event. Adding a process is one new file here, one variant of [`BeamProcess`] and one
//! name in the potential reader (`src/potential/beam.rs`).

// the docs of this module write physics notation (E_d, E_max, m_ec², r_e) and author names
// (McKinley, Feshbach) as prose, as physics.md does; backticks would hide the formulas.
#![allow(clippy::doc_markdown)]

pub mod heating;
pub mod kinematics;
pub mod mckinley_feshbach;
pub mod radiolysis;
pub mod report;
pub mod rutherford;
pub mod surface;
pub mod threshold;

pub use heating::{BeamSpot, HeatingMaterial};
pub use radiolysis::Radiolysis;
pub use surface::Escape;
pub use threshold::Threshold;

/// Which closed form a knock-on cross-section uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formula {
    /// McKinley–Feshbach (light atoms, Z ≤ 28).
    McKinleyFeshbach,
    /// Rutherford (Egerton's choice above Z = 28).
    Rutherford,
}

impl Formula {
    /// Egerton's rule: McKinley–Feshbach up to Z = 28, Rutherford above.
    #[must_use]
    pub fn for_atomic_number(z: f64) -> Self {
        if z > 28.0 {
            Formula::Rutherford
        } else {
            Formula::McKinleyFeshbach
        }
    }

    /// Name used in potential files and reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Formula::McKinleyFeshbach => "mckinley_feshbach",
            Formula::Rutherford => "rutherford",
        }
    }
}

/// Elastic displacement of one atom by a beam electron.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnockOn {
    /// Atomic number Z of the target.
    pub atomic_number: f64,
    /// Mass of the target atom [u].
    pub mass: f64,
    /// Displacement threshold E_d [eV] and its spread.
    pub threshold: Threshold,
    /// Closed form of the cross-section.
    pub formula: Formula,
    /// Bulk displacement or planar surface escape.
    pub escape: Escape,
}

impl KnockOn {
    /// Largest energy transfer [eV] at `energy_kev` [keV].
    #[must_use]
    pub fn max_transfer(&self, energy_kev: f64) -> f64 {
        kinematics::max_transfer_ev(energy_kev, self.mass)
    }

    /// Cross-section [Å²] at `energy_kev` [keV] for a sharp threshold `threshold` [eV].
    #[must_use]
    pub fn sharp_cross_section(&self, energy_kev: f64, threshold: f64) -> f64 {
        let b2 = kinematics::beta_squared(energy_kev);
        let x = self.escape.ratio(self.max_transfer(energy_kev), threshold);
        match self.formula {
            Formula::McKinleyFeshbach => {
                mckinley_feshbach::cross_section(self.atomic_number, b2, x)
            }
            Formula::Rutherford => rutherford::cross_section(self.atomic_number, b2, x),
        }
    }

    /// Cross-section [Å²] at `energy_kev` [keV], averaged over the threshold distribution.
    #[must_use]
    pub fn cross_section(&self, energy_kev: f64) -> f64 {
        if energy_kev <= 0.0 {
            return 0.0;
        }
        self.threshold
            .average(|e_d| self.sharp_cross_section(energy_kev, e_d))
    }
}

/// A beam process whose cross-section is computed from the beam energy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BeamProcess {
    /// Elastic knock-on (bulk) or sputtering (planar escape).
    KnockOn(KnockOn),
    /// Ionisation damage of a sublattice.
    Radiolysis(Radiolysis),
}

impl BeamProcess {
    /// Cross-section per atom [Å²] at beam energy `energy_kev` [keV] (0 when the beam has
    /// no energy, E₀ ≤ 0).
    #[must_use]
    pub fn cross_section(&self, energy_kev: f64) -> f64 {
        if energy_kev.is_nan() || energy_kev <= 0.0 {
            return 0.0;
        }
        match self {
            BeamProcess::KnockOn(k) => k.cross_section(energy_kev),
            BeamProcess::Radiolysis(r) => r.cross_section(energy_kev),
        }
    }

    /// Short description for reports: `knock-on (bulk, mckinley_feshbach, E_d = 8 eV ± 15 %)`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            BeamProcess::KnockOn(k) => format!(
                "knock-on ({}, {}, Z = {}, A = {} u, E_d = {} eV ± {} %)",
                k.escape.name(),
                k.formula.name(),
                k.atomic_number,
                k.mass,
                k.threshold.mean,
                k.threshold.spread * 100.0
            ),
            BeamProcess::Radiolysis(r) => format!(
                "radiolysis (W_d = {} eV, n_X = {} /Å³)",
                r.energy_per_defect, r.number_density
            ),
        }
    }
}

/// The beam data of a potential file (`[beam]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BeamData {
    /// Knock-on targets per species and (optionally) site kind.
    pub targets: Vec<Target>,
    /// Radiolysis of the damaged sublattice, if given.
    pub radiolysis: Option<Radiolysis>,
    /// Material data of the heating estimate, if given.
    pub heating: Option<HeatingMaterial>,
}

/// A knock-on target: the species, the site kind it applies to (`None`: any kind) and the
/// bulk knock-on data (the escape form is chosen by each event).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Species name.
    pub species: String,
    /// Site kind name, or `None` for every kind without an entry of its own.
    pub kind: Option<String>,
    /// Knock-on data (escape [`Escape::Bulk`]; a sputtering event switches it).
    pub knock_on: KnockOn,
}

impl BeamData {
    /// The target entry for `species` on site kind `kind` (`None`: the rule has no `from`):
    /// the entry of that kind, else the entry without a kind.
    #[must_use]
    pub fn target(&self, species: &str, kind: Option<&str>) -> Option<&Target> {
        let exact = kind.and_then(|k| {
            self.targets
                .iter()
                .find(|t| t.species == species && t.kind.as_deref() == Some(k))
        });
        exact.or_else(|| {
            self.targets
                .iter()
                .find(|t| t.species == species && t.kind.is_none())
        })
    }
}

#[cfg(test)]
mod tests;
