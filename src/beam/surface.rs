//! The planar-escape form of surface sputtering (physics.md §2.2, after Egerton).
//!
//! An atom leaving a surface must overcome a planar surface barrier: only the momentum
//! component along the surface normal counts, which replaces the threshold `E_d` by
//! `E_min = √(E_d E_max)`, i.e. `x_p = E_max/E_min = √(E_max/E_d)`. The cross-section is
//! then the bulk form (McKinley–Feshbach or Rutherford) evaluated at `x_p`.

/// How a displaced atom must escape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Bulk displacement: the threshold is `E_d` itself, `x = E_max/E_d`.
    Bulk,
    /// Sputtering through a planar surface barrier: `x_p = √(E_max/E_d)`.
    Planar,
}

impl Escape {
    /// The ratio x that enters the cross-section for `max_transfer` = E_max and
    /// `threshold` = E_d (both [eV], threshold > 0).
    #[must_use]
    pub fn ratio(self, max_transfer: f64, threshold: f64) -> f64 {
        let x = max_transfer / threshold;
        match self {
            Escape::Bulk => x,
            Escape::Planar => x.sqrt(),
        }
    }

    /// The name used in potential files (`bulk`, `planar`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Escape::Bulk => "bulk",
            Escape::Planar => "planar",
        }
    }
}
