//! Atoms that cross from one domain into another: the cumulative transfer counters
//! `transfers[(from_domain × D + to_domain) × S + species]` behind the trajectory's
//! `/observables/transfers` (docs/output.md).
//!
//! An event's site changes are read as moves: for each species other than the vacancy, the
//! sites that lose it are paired in order with the sites that gain it, and every pair whose
//! two sites lie in different domains counts one atom from the first domain into the
//! second. For a hop or an exchange (two sites) the pairing is the move itself. For a
//! cluster move the count per domain is exact (atoms that left a domain and atoms that
//! entered it); which source domain is paired with which destination is a convention when
//! more than two domains take part. A change in place, a removal into the vacuum or an
//! arrival from a reservoir pairs nothing (the last two are counted by `evaporated` and
//! `deposited`). A basin integrated out by the acceleration counts the events of the path
//! from its first state to the state it leaves from, i.e. the net transfer across it, not
//! the back-and-forth inside it.

use super::Simulation;
use crate::energy::EnergyModel;
use crate::sites::SiteId;
use crate::state::{SiteChange, SpeciesId};

impl<E: EnergyModel> Simulation<E> {
    /// Cumulative atoms moved between domains, indexed
    /// `(from_domain * n_domains + to_domain) * n_species + species` (zero on the diagonal).
    #[must_use]
    pub fn transfers(&self) -> &[u64] {
        &self.transfers
    }

    /// Counts the moves between domains of one event's site changes (module docs).
    pub(super) fn record_transfers(&mut self, changes: &[SiteChange]) {
        if self.graph.domain_names().len() < 2 {
            return;
        }
        let n_species = self.model.species.len();
        if let [a, b] = changes {
            // a hop or an exchange: what `a` lost went to `b` and the reverse.
            if a.from == b.to && a.to == b.from {
                self.count_move(a.site, b.site, a.from);
                self.count_move(b.site, a.site, b.from);
            }
            return;
        }
        // several sites: pair the losers and gainers of each species in order.
        for s in 1..n_species {
            #[allow(clippy::cast_possible_truncation)]
            let species = SpeciesId(s as u8);
            let mut gainers = changes
                .iter()
                .filter(|c| c.to == species && c.from != species);
            for lost in changes
                .iter()
                .filter(|c| c.from == species && c.to != species)
            {
                let Some(gained) = gainers.next() else { break };
                self.count_move(lost.site, gained.site, species);
            }
        }
    }

    fn count_move(&mut self, from: SiteId, to: SiteId, species: SpeciesId) {
        if species == SpeciesId::VACANCY {
            return;
        }
        let (df, dt) = (
            self.graph.domain(from).index(),
            self.graph.domain(to).index(),
        );
        if df != dt {
            let n_domains = self.graph.domain_names().len();
            let n_species = self.model.species.len();
            self.transfers[(df * n_domains + dt) * n_species + species.index()] += 1;
        }
    }
}
