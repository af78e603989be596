//! The audit: every event slot and every cached neighbour count recomputed from scratch and
//! compared with the incrementally maintained state (`Simulation::audit`, and audit mode,
//! which runs it every `audit_every` events). A correct engine never reports a mismatch.

use super::table::{EventTable, NO_BLOCK};
use super::{Simulation, group_of};
use crate::energy::EnergyModel;
use crate::events::EventCatalog;
use crate::sites::SiteId;
use crate::solver::classes::{ClassId, ClassKey};
use crate::state::Occupancy;

/// Result of [`Simulation::audit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuditReport {
    /// Event slots checked.
    pub slots_checked: u64,
    /// Slots whose stored class differs from a recomputation from scratch.
    pub mismatches: u64,
    /// Sites whose cached neighbour counts differ from a recount.
    pub count_mismatches: u64,
}

impl AuditReport {
    /// True when nothing drifted.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.mismatches == 0 && self.count_mismatches == 0
    }
}

impl<E: EnergyModel> Simulation<E> {
    /// Recomputes every event and neighbour count from scratch and compares with the
    /// incrementally maintained state. A correct engine reports no mismatch, ever.
    #[must_use]
    pub fn audit(&self) -> AuditReport {
        let mut report = AuditReport::default();
        let fresh = Occupancy::new(
            &self.graph,
            &self.occupancy.species().collect::<Vec<_>>(),
            self.model.species.len(),
            self.occupancy.counted_shells().to_vec(),
        );
        if let Ok(fresh) = fresh {
            for s in 0..self.graph.len() {
                #[allow(clippy::cast_possible_truncation)]
                let site = SiteId(s as u32);
                for &shell in self.occupancy.counted_shells() {
                    if fresh.counts(site, shell) != self.occupancy.counts(site, shell) {
                        report.count_mismatches += 1;
                    }
                }
            }
        } else {
            report.count_mismatches += 1;
        }
        for s in 0..self.graph.len() {
            #[allow(clippy::cast_possible_truncation)]
            let site = SiteId(s as u32);
            let layout_id = self
                .catalog
                .layout_id(self.graph.kind(site), self.occupancy.get(site));
            let block = self.table.block(site.0);
            if layout_id == EventCatalog::NONE {
                if block != NO_BLOCK {
                    report.mismatches += 1;
                }
                continue;
            }
            if block != NO_BLOCK && self.table.block_layout(block) != layout_id {
                report.mismatches += 1;
                continue;
            }
            for entry in &self.catalog.layout(layout_id).entries {
                for local in 0..entry.slots {
                    report.slots_checked += 1;
                    let slot = entry.offset + local;
                    let expected = EventCatalog::classify(
                        &self.model,
                        &self.energy,
                        &self.graph,
                        &self.occupancy,
                        site,
                        *entry,
                        local,
                    )
                    .map(|c| ClassKey {
                        group: group_of(
                            &self.graph,
                            &self.model,
                            self.regions.as_deref(),
                            site,
                            *entry,
                            slot,
                            c.rule,
                        ),
                        barrier_bits: c.barrier.to_bits(),
                    });
                    let stored = if block == NO_BLOCK {
                        None
                    } else {
                        let r = self.table.record(block, slot);
                        if r.class == ClassId::NONE {
                            None
                        } else {
                            let members = self.table.classes.members(r.class);
                            let at = members.get(r.position as usize);
                            if at != Some(&EventTable::member(block, slot)) {
                                report.mismatches += 1;
                            }
                            Some(self.table.classes.key(r.class))
                        }
                    };
                    if expected != stored {
                        report.mismatches += 1;
                    }
                }
            }
        }
        report
    }
}
