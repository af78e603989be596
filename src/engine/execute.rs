//! Executing a selected event: decode it, apply its site changes to the occupancy (the one
//! mutation of the configuration), count it (per rule; removed, added and moved-between-domain
//! atoms), and refresh the events of the owners around the changed sites. Cluster moves are
//! planned and applied here too.

use super::{NO_BLOCK, Simulation};
use crate::energy::EnergyModel;
use crate::error::{Error, Result};
use crate::events::DecodedEvent;
use crate::model::Action;
use crate::sites::SiteId;

impl<E: EnergyModel> Simulation<E> {
    /// Applies the event in `slot` of `owner` and refreshes the events around it.
    pub(super) fn execute(&mut self, owner: SiteId, slot: u32) -> Result<u32> {
        let decoded = self
            .catalog
            .decode(&self.model, &self.graph, &self.occupancy, owner, slot);
        if let Action::ClusterMove(_) = self.model.rules[decoded.rule as usize].action {
            return self.execute_cluster(owner, slot, decoded);
        }
        self.apply_changes(decoded.changes());
        self.last_event = Some(decoded);
        self.executed += 1;
        self.rule_counts[decoded.rule as usize] += 1;
        let n_species = self.model.species.len();
        match self.model.rules[decoded.rule as usize].action {
            Action::Remove { .. } | Action::RemovePair { .. } => {
                for c in decoded.changes() {
                    let d = self.graph.domain(c.site).index();
                    self.removed[d * n_species + c.from.index()] += 1;
                }
            }
            Action::Add { .. } | Action::AddPair { .. } => {
                for c in decoded.changes() {
                    let d = self.graph.domain(c.site).index();
                    self.added[d * n_species + c.to.index()] += 1;
                }
            }
            Action::Swap { .. } => self.record_transfers(decoded.changes()),
            Action::Change { .. } | Action::ClusterMove(_) => {}
        }
        let mut changed = [SiteId(0); 2];
        let n = decoded.n_changes;
        for (i, c) in decoded.changes().iter().enumerate() {
            changed[i] = c.site;
        }
        self.collect_owners(&changed[..n]);
        self.touch_owners();
        let owners = std::mem::take(&mut self.owners);
        for &(o, outer) in &owners {
            self.refresh_owner(o, outer)?;
        }
        self.owners = owners;
        if self.clusters.is_some() {
            self.refresh_clusters(decoded.changes())?;
        }
        Ok(decoded.rule)
    }

    /// Applies the cluster move in `slot` of `owner` (decoded without changes as `decoded`)
    /// and refreshes the events around all the sites it changed.
    pub(super) fn execute_cluster(
        &mut self,
        owner: SiteId,
        slot: u32,
        decoded: DecodedEvent,
    ) -> Result<u32> {
        let layout = self
            .catalog
            .layout_id(self.graph.kind(owner), self.occupancy.get(owner));
        let (entry, local) = self.catalog.entry_of(layout, slot);
        let mut scratch = std::mem::take(&mut self.cluster_scratch);
        let planned = crate::events::cluster_move::plan(
            &self.model,
            &self.graph,
            &self.occupancy,
            owner,
            entry,
            local,
            &mut scratch,
        );
        if !planned {
            return Err(Error::Model {
                event: self.model.rules[decoded.rule as usize].name.clone(),
                site: owner.0,
                message: "a selected cluster move is not possible (stale event table)".into(),
            });
        }
        let changes = std::mem::take(&mut scratch.changes);
        self.cluster_scratch = scratch;
        self.apply_changes(&changes);
        self.record_transfers(&changes);
        self.last_event = Some(decoded);
        self.executed += 1;
        self.rule_counts[decoded.rule as usize] += 1;
        let changed: Vec<SiteId> = changes.iter().map(|c| c.site).collect();
        self.cluster_changes = changes;
        self.collect_owners(&changed);
        self.touch_owners();
        let owners = std::mem::take(&mut self.owners);
        for &(o, outer) in &owners {
            self.refresh_owner(o, outer)?;
        }
        self.owners = owners;
        let changes = std::mem::take(&mut self.cluster_changes);
        let refreshed = self.refresh_clusters(&changes);
        self.cluster_changes = changes;
        refreshed?;
        Ok(decoded.rule)
    }

    /// Applies site changes to the occupancy (the only mutation of the configuration) and
    /// records who owns events on the changed sites.
    pub(super) fn apply_changes(&mut self, changes: &[crate::state::SiteChange]) {
        self.occupancy.apply(&self.graph, changes);
        let uniform = self.catalog.uniform_owners();
        for c in changes {
            // the kind is only read when ownership depends on it.
            let owner = match uniform {
                Some(set) => set.contains(c.to),
                None => self.catalog.is_owner(self.graph.kind(c.site), c.to),
            };
            self.owner_bits.set(c.site, owner);
        }
    }

    /// Reads the per-site data that refreshing the collected owners will need (template,
    /// kind, block and block header), in one pass of independent loads, so that the cache
    /// misses of a large system overlap instead of queueing owner after owner. Changes
    /// nothing.
    pub(super) fn touch_owners(&self) {
        let mut acc = 0u32;
        for &(o, _) in &self.owners {
            acc ^= self.graph.template(o) ^ u32::from(self.graph.kind(o).0) ^ self.table.block(o.0);
        }
        for &(o, _) in &self.owners {
            let block = self.table.block(o.0);
            if block != NO_BLOCK {
                acc ^= self.table.block_layout(block);
            }
        }
        std::hint::black_box(acc);
    }
}
