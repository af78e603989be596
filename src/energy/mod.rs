//! Energetics: the energy change of an event.
//!
//! An [`EnergyModel`] answers one question in the hot loop: by how much does the energy
//! change if these sites change species ([`EnergyModel::delta_energy`])? It is a pure
//! function: no trial flips of the configuration (unlike SPPARKS `site_propensity`), so it
//! can be called for any candidate event without side effects.
//!
//! The built-in model is [`BondCounting`]: on-site energies per (site kind, species), pair
//! energies per shell and species pair, and coordination-dependent energies `E(n)` per
//! species (the SPPARKS "nonlinear" form used for Au). See `potentials/README.md` for the
//! file format.
//!
//! # Adding a model
//! Implement [`EnergyModel`] in a new file (`delta_energy` must equal the difference of
//! [`EnergyModel::total_energy`] before and after, which the property tests check), give it
//! an `interaction_range`, add a key in the potential file reader and tests.

mod bond_counting;
mod change_index;
mod coordination;

pub use bond_counting::BondCounting;

use crate::sites::{ShellId, SiteGraph, SiteId};
use crate::state::{Occupancy, SiteChange, SpeciesId};

/// A swap of two species between neighbouring sites (a hop when `target` is the vacancy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swap {
    /// Site of the moving species before the event.
    pub mover_site: SiteId,
    /// Site of the species it exchanges with (the vacancy for a hop).
    pub target_site: SiteId,
    /// The moving species.
    pub mover: SpeciesId,
    /// The species on the target site.
    pub target: SpeciesId,
    /// The shell in which the two sites are neighbours.
    pub shell: ShellId,
}

/// The swaps owned by one site: `owner` holds `mover` (when `owner_is_mover`) or `target`,
/// and exchanges it with partners that are its neighbours in `shell`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapFamily {
    /// The site that owns the swaps.
    pub owner: SiteId,
    /// True when the owner holds the moving species, false when it holds the target one.
    pub owner_is_mover: bool,
    /// The moving species.
    pub mover: SpeciesId,
    /// The species it exchanges with.
    pub target: SpeciesId,
    /// The shell in which owner and partners are neighbours.
    pub shell: ShellId,
}

impl SwapFamily {
    /// The swap of this family with `partner`.
    #[inline]
    #[must_use]
    pub fn with(self, partner: SiteId) -> Swap {
        let (mover_site, target_site) = if self.owner_is_mover {
            (self.owner, partner)
        } else {
            (partner, self.owner)
        };
        Swap {
            mover_site,
            target_site,
            mover: self.mover,
            target: self.target,
            shell: self.shell,
        }
    }
}

/// An energy model. See the module documentation.
pub trait EnergyModel {
    /// Energy change [eV] if `changes` were applied to `occupancy` (in order). The changes
    /// must be consistent (each `from` is the species on its site before it) and touch
    /// distinct sites.
    fn delta_energy(&self, graph: &SiteGraph, occupancy: &Occupancy, changes: &[SiteChange])
    -> f64;

    /// Energy change [eV] of swapping `mover` (on `mover_site`) and `target` (on
    /// `target_site`), two sites that are neighbours in `shell`. The same as
    /// [`Self::delta_energy`] of the two changes; models may override it with a faster form.
    fn delta_energy_swap(&self, graph: &SiteGraph, occupancy: &Occupancy, swap: Swap) -> f64 {
        let changes = [
            SiteChange {
                site: swap.mover_site,
                from: swap.mover,
                to: swap.target,
            },
            SiteChange {
                site: swap.target_site,
                from: swap.target,
                to: swap.mover,
            },
        ];
        self.delta_energy(graph, occupancy, &changes)
    }

    /// Energy changes [eV] of the swaps of `family` with each of `partners` (neighbours of
    /// the owner in the family's shell), into `out` (same length). The same as
    /// [`Self::delta_energy_swap`] of each swap up to rounding; models may override it to
    /// compute the owner's side once. The result for one partner must not depend on the
    /// other partners (the engine classifies slots one at a time in audits).
    fn delta_energy_swaps(
        &self,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        family: SwapFamily,
        partners: &[SiteId],
        out: &mut [f64],
    ) {
        for (o, &p) in out.iter_mut().zip(partners) {
            *o = self.delta_energy_swap(graph, occupancy, family.with(p));
        }
    }

    /// Energy attributed to one site [eV]: its on-site energy, half of its bonds and its
    /// coordination energy. Summed over all sites this is the total energy. Computed from
    /// the neighbour lists directly, not from cached counts, so that it checks them.
    fn site_energy(
        &self,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        site: crate::sites::SiteId,
    ) -> f64;

    /// Total energy [eV] of the configuration.
    fn total_energy(&self, graph: &SiteGraph, occupancy: &Occupancy) -> f64 {
        (0..graph.len())
            .map(|s| {
                #[allow(clippy::cast_possible_truncation)]
                self.site_energy(graph, occupancy, crate::sites::SiteId(s as u32))
            })
            .sum()
    }
}
