//! Bond counting with on-site, pair and coordination-dependent energies.
//!
//! `E = Σ_s onsite(kind_s, σ_s) + Σ_shells Σ_{bonds (s,k)} ε_shell(σ_s, σ_k) + Σ_s E_{σ_s}(n_s)`,
//! where `n_s` is the number of neighbours of `s` in a shell whose species is in a counted
//! set. The energy change of a change of species uses the neighbour counts cached in
//! [`Occupancy`], so a pair term costs O(species) and a coordination term O(neighbours).

use super::{EnergyModel, Swap};
use crate::model::{CoordinationTerm, EnergyParams, SpeciesSet};
use crate::sites::{ShellId, SiteGraph, SiteId};
use crate::state::{Occupancy, SiteChange, SpeciesId};

/// Pair energies of one shell, as a dense species × species matrix.
#[derive(Debug, Clone)]
struct BondShell {
    shell: ShellId,
    n_species: usize,
    /// `epsilon[a * n + b]` [eV].
    epsilon: Vec<f64>,
}

impl BondShell {
    #[inline]
    fn get(&self, a: SpeciesId, b: SpeciesId) -> f64 {
        self.epsilon[a.index() * self.n_species + b.index()]
    }
}

/// Coordination terms grouped by shell and counted set, indexed by species.
#[derive(Debug, Clone)]
struct CoordinationShell {
    shell: ShellId,
    counted: SpeciesSet,
    /// The members of `counted`, as indices.
    counted_list: Vec<usize>,
    /// `tables[species]`, empty when the species has no coordination energy here.
    tables: Vec<Vec<f64>>,
}

impl CoordinationShell {
    #[inline]
    fn energy(&self, species: SpeciesId, n: usize) -> f64 {
        let table = &self.tables[species.index()];
        if table.is_empty() {
            0.0
        } else {
            // Validated at simulation set-up: tables cover every reachable count.
            table[n.min(table.len() - 1)]
        }
    }
}

/// The bond-counting energy model. See the module documentation.
#[derive(Debug, Clone)]
pub struct BondCounting {
    onsite: Vec<Vec<f64>>,
    bonds: Vec<BondShell>,
    coordination: Vec<CoordinationShell>,
}

impl BondCounting {
    /// Builds the model from validated parameters for `n_species` species.
    ///
    /// # Panics
    /// Panics if a coordination term names a species whose index is not below `n_species`;
    /// validated parameters never do.
    #[must_use]
    pub fn new(params: &EnergyParams, n_species: usize) -> Self {
        let bonds = params
            .bonds
            .iter()
            .map(|(shell, m)| BondShell {
                shell: *shell,
                n_species,
                epsilon: m.iter().flatten().copied().collect(),
            })
            .collect();
        let mut coordination: Vec<CoordinationShell> = Vec::new();
        for term in &params.coordination {
            let CoordinationTerm {
                species,
                shell,
                counted,
                table,
            } = term;
            let entry = if let Some(e) = coordination
                .iter_mut()
                .find(|c| c.shell == *shell && c.counted == *counted)
            {
                e
            } else {
                coordination.push(CoordinationShell {
                    shell: *shell,
                    counted: *counted,
                    counted_list: counted.iter().map(SpeciesId::index).collect(),
                    tables: vec![Vec::new(); n_species],
                });
                coordination.last_mut().expect("just pushed")
            };
            entry.tables[species.index()].clone_from(table);
        }
        Self {
            onsite: params.onsite.clone(),
            bonds,
            coordination,
        }
    }

    /// Length of the shortest coordination table for `shell`, if any species has one (the
    /// engine checks that it covers the largest neighbour count).
    #[must_use]
    pub fn shortest_table(&self, shell: ShellId) -> Option<usize> {
        self.coordination
            .iter()
            .filter(|c| c.shell == shell)
            .flat_map(|c| c.tables.iter())
            .filter(|t| !t.is_empty())
            .map(Vec::len)
            .min()
    }

    /// Neighbour count of `site` in the counted set, from the cache.
    #[inline]
    fn coordination_of(occupancy: &Occupancy, c: &CoordinationShell, site: SiteId) -> usize {
        let counts = occupancy.counts(site, c.shell);
        c.counted_list.iter().map(|&z| counts[z] as usize).sum()
    }

    /// Change of the coordination energy of the neighbours of `site`, when the counted
    /// coordination of its neighbours changes by `d`, except for the neighbours of `other`
    /// (which see the opposite change at the same time) and `other` itself.
    #[inline]
    fn neighbour_coordination_change(
        graph: &SiteGraph,
        occupancy: &Occupancy,
        coord: &CoordinationShell,
        (site, other): (SiteId, SiteId),
        d: i32,
    ) -> f64 {
        // neighbour lists are sorted by site index, so the exclusion is a merge walk.
        let own = graph.neighbor_offsets(site, coord.shell);
        let theirs = graph.neighbor_offsets(other, coord.shell);
        let base = i64::from(site.0);
        let other_base = i64::from(other.0);
        let mut j = 0;
        let mut delta = 0.0;
        for &offset in own {
            let k = base + i64::from(offset);
            while j < theirs.len() && other_base + i64::from(theirs[j]) < k {
                j += 1;
            }
            if k == other_base || (j < theirs.len() && other_base + i64::from(theirs[j]) == k) {
                continue;
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let k = SiteId(k as u32);
            let species = occupancy.get(k);
            let table = &coord.tables[species.index()];
            if table.is_empty() {
                continue;
            }
            let n = Self::coordination_of(occupancy, coord, k);
            let n_after = shifted(n, d);
            let last = table.len() - 1;
            delta += table[n_after.min(last)] - table[n.min(last)];
        }
        delta
    }
}

/// A neighbour count `n` changed by `d`. Counts are ≤ 255 (the `u8` cache) and the change
/// never takes them below zero, so the conversions are exact.
#[inline]
#[allow(
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    clippy::cast_possible_truncation
)]
fn shifted(n: usize, d: i32) -> usize {
    (n as i32 + d) as usize
}

/// Position of `site` among the changes, if it is one of them.
#[inline]
fn change_index(changes: &[SiteChange], site: SiteId) -> Option<usize> {
    changes.iter().position(|c| c.site == site)
}

impl EnergyModel for BondCounting {
    fn delta_energy(
        &self,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        changes: &[SiteChange],
    ) -> f64 {
        let mut delta = 0.0;

        // on-site terms: each change swaps one table entry for another.
        for c in changes {
            let row = &self.onsite[graph.kind(c.site).index()];
            delta += row[c.to.index()] - row[c.from.index()];
        }

        // pair terms: apply the changes one after the other; the counts of a later change's
        // site are corrected for earlier changes among its neighbours.
        for bonds in &self.bonds {
            for (i, c) in changes.iter().enumerate() {
                let counts = occupancy.counts(c.site, bonds.shell);
                for (z, &n) in counts.iter().enumerate() {
                    if n == 0 {
                        continue;
                    }
                    #[allow(clippy::cast_possible_truncation)]
                    let z = SpeciesId(z as u8);
                    delta += f64::from(n) * (bonds.get(c.to, z) - bonds.get(c.from, z));
                }
                for earlier in &changes[..i] {
                    if graph.slot_of(c.site, bonds.shell, earlier.site).is_some() {
                        // the earlier site was counted with its old species; it now holds
                        // its new one.
                        delta += bonds.get(c.to, earlier.to)
                            - bonds.get(c.from, earlier.to)
                            - (bonds.get(c.to, earlier.from) - bonds.get(c.from, earlier.from));
                    }
                }
            }
        }

        // coordination terms: the changed sites change their own term; their neighbours
        // change coordination by ±1 when a counted species appears or disappears.
        for coord in &self.coordination {
            let mut touched: [(SiteId, i32); 64] = [(SiteId(0), 0); 64];
            let mut n_touched = 0usize;
            let mut overflow: Vec<(SiteId, i32)> = Vec::new();
            for c in changes {
                let d = i32::from(coord.counted.contains(c.to))
                    - i32::from(coord.counted.contains(c.from));
                if d == 0 {
                    continue;
                }
                for k in graph.neighbors(c.site, coord.shell) {
                    if let Some(e) = touched[..n_touched].iter_mut().find(|e| e.0 == k) {
                        e.1 += d;
                    } else if n_touched < touched.len() {
                        touched[n_touched] = (k, d);
                        n_touched += 1;
                    } else if let Some(e) = overflow.iter_mut().find(|e| e.0 == k) {
                        e.1 += d;
                    } else {
                        overflow.push((k, d));
                    }
                }
            }
            for &(k, d) in touched[..n_touched].iter().chain(overflow.iter()) {
                if d == 0 || change_index(changes, k).is_some() {
                    continue;
                }
                let species = occupancy.get(k);
                let n = Self::coordination_of(occupancy, coord, k);
                delta += coord.energy(species, shifted(n, d)) - coord.energy(species, n);
            }
            for c in changes {
                let n = Self::coordination_of(occupancy, coord, c.site);
                let d = touched[..n_touched]
                    .iter()
                    .chain(overflow.iter())
                    .find(|e| e.0 == c.site)
                    .map_or(0, |e| e.1);
                delta += coord.energy(c.to, shifted(n, d)) - coord.energy(c.from, n);
            }
        }
        delta
    }

    fn delta_energy_swap(&self, graph: &SiteGraph, occupancy: &Occupancy, swap: Swap) -> f64 {
        let Swap {
            mover_site: m,
            target_site: t,
            mover: a,
            target: b,
            shell,
        } = swap;
        let row_t = &self.onsite[graph.kind(t).index()];
        let row_m = &self.onsite[graph.kind(m).index()];
        let mut delta = row_t[a.index()] - row_t[b.index()] + row_m[b.index()] - row_m[a.index()];

        // pair terms: the atom A leaves the bonds of m (except the A–B bond with t, which
        // stays) and takes those of t; B does the opposite:
        // ΔE = Σ_Z (n_t[Z] − n_m[Z]) (ε(A,Z) − ε(B,Z)) − adj·[ε(A,A) − ε(B,A) + ε(B,B) − ε(A,B)].
        for bonds in &self.bonds {
            let ct = occupancy.counts(t, bonds.shell);
            let cm = occupancy.counts(m, bonds.shell);
            for (z, (&nt, &nm)) in ct.iter().zip(cm).enumerate() {
                if nt != nm {
                    #[allow(clippy::cast_possible_truncation)]
                    let z = SpeciesId(z as u8);
                    delta += (f64::from(nt) - f64::from(nm)) * (bonds.get(a, z) - bonds.get(b, z));
                }
            }
            let adjacent = bonds.shell == shell || graph.slot_of(t, bonds.shell, m).is_some();
            if adjacent {
                delta -= bonds.get(a, a) - bonds.get(b, a) + bonds.get(b, b) - bonds.get(a, b);
            }
        }

        // coordination terms: if A and B count alike, only the two sites change their own
        // term; otherwise the neighbours of t gain d and those of m lose d (the common ones
        // see no change).
        for coord in &self.coordination {
            let d = i32::from(coord.counted.contains(a)) - i32::from(coord.counted.contains(b));
            let adjacent = coord.shell == shell || graph.slot_of(t, coord.shell, m).is_some();
            let n_t = Self::coordination_of(occupancy, coord, t);
            let n_m = Self::coordination_of(occupancy, coord, m);
            let (n_t_after, n_m_after) = if adjacent && d != 0 {
                (shifted(n_t, -d), shifted(n_m, d))
            } else {
                (n_t, n_m)
            };
            delta += coord.energy(a, n_t_after) - coord.energy(b, n_t) + coord.energy(b, n_m_after)
                - coord.energy(a, n_m);
            if d != 0 {
                delta += Self::neighbour_coordination_change(graph, occupancy, coord, (t, m), d);
                delta += Self::neighbour_coordination_change(graph, occupancy, coord, (m, t), -d);
            }
        }
        delta
    }

    fn site_energy(&self, graph: &SiteGraph, occupancy: &Occupancy, site: SiteId) -> f64 {
        let species = occupancy.get(site);
        let mut e = self.onsite[graph.kind(site).index()][species.index()];
        for bonds in &self.bonds {
            for k in graph.neighbors(site, bonds.shell) {
                e += 0.5 * bonds.get(species, occupancy.get(k));
            }
        }
        for coord in &self.coordination {
            let n = graph
                .neighbors(site, coord.shell)
                .filter(|&k| coord.counted.contains(occupancy.get(k)))
                .count();
            e += coord.energy(species, n);
        }
        e
    }
}
