//! Bond counting with on-site, pair and coordination-dependent energies.
//!
//! `E = Σ_s onsite(kind_s, σ_s) + Σ_shells Σ_{bonds (s,k)} ε_shell(σ_s, σ_k) + Σ_s E_{σ_s}(n_s)`,
//! where `n_s` is the number of neighbours of `s` in a shell whose species is in a counted
//! set. The energy change of a change of species uses the neighbour counts cached in
//! [`Occupancy`], so a pair term costs O(species) and a coordination term O(neighbours).

use super::change_index::{CHANGE_INDEX, ChangeIndex, EARLIER_SCAN_LIMIT};
use super::coordination::{Coordination, CoordinationShell, ManyCounted, OneCounted};
use super::{EnergyModel, Swap, SwapFamily};
use crate::model::{CoordinationTerm, EnergyParams};
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

    /// `Σ_Z counts[Z] (ε(a, Z) − ε(b, Z))`: the pair energy gained by a site with these
    /// neighbour counts when `a` replaces `b` on it.
    #[inline]
    fn weighted(&self, counts: &[u8], a: SpeciesId, b: SpeciesId) -> f64 {
        let row_a = &self.epsilon[a.index() * self.n_species..][..self.n_species];
        let row_b = &self.epsilon[b.index() * self.n_species..][..self.n_species];
        let mut sum = 0.0;
        for ((&n, &ea), &eb) in counts.iter().zip(row_a).zip(row_b) {
            if n != 0 {
                sum += f64::from(n) * (ea - eb);
            }
        }
        sum
    }

    /// The correction for the bond between the two ends of a swap of `a` and `b`.
    #[inline]
    fn adjacent_correction(&self, a: SpeciesId, b: SpeciesId) -> f64 {
        self.get(a, a) - self.get(b, a) + self.get(b, b) - self.get(a, b)
    }
}

/// The owner's side of the coordination terms of a family of swaps, for one coordination
/// shell: computed once per family (see `delta_energy_swaps`).
#[derive(Clone, Copy)]
struct OwnerSide<'a> {
    /// The change of the counted coordination of the owner's neighbours (±1 or 0).
    d_o: i32,
    /// `Σ_{k∈N(owner)} f_k(d_o)` (0 when `d_o` is 0).
    sum: f64,
    /// The owner's counted coordination.
    n_o: usize,
    /// The owner's neighbour offsets in the shell, sorted.
    offsets: &'a [i32],
    /// The marginal-table indices of the owner's first 64 neighbours (when `d_o` ≠ 0):
    /// partners look their common neighbours with the owner up here.
    index: [u32; 64],
}

/// What the pair sums of a swap of `a` (mover) and `b` (target) need, fixed by the model:
/// computed once in [`BondCounting::new`] instead of at every call of `delta_energy_swaps`
/// (it was a third of that function's instructions at 50 % vacancies; BENCHMARKS.md,
/// session 9). The values are those the per-call code computed, so results are bit for bit
/// the same.
#[derive(Debug, Clone, Default)]
struct SwapPairs {
    /// The non-zero `(bond shell index, species Z, ε(a, Z) − ε(b, Z))` of the pair sums,
    /// in the order of the per-call loop (bond shells, then species).
    terms: Vec<(usize, usize, f64)>,
    /// Per swap shell: the correction for the bond between the two ends (the sum over
    /// the bond shells equal to it, as the per-call code summed it); shells beyond the
    /// last bond shell have none (see [`SwapPairs::adjacent`]).
    adjacent: Vec<f64>,
}

impl SwapPairs {
    /// The correction of `shell` (the empty sum, as the per-call code gave it, when no
    /// bond shell is `shell`).
    #[inline]
    fn adjacent(&self, shell: ShellId) -> f64 {
        self.adjacent
            .get(shell.index())
            .copied()
            .unwrap_or_else(|| std::iter::empty::<f64>().sum())
    }
}

/// The bond-counting energy model. See the module documentation.
#[derive(Debug, Clone)]
pub struct BondCounting {
    onsite: Vec<Vec<f64>>,
    /// True when every on-site energy is zero (their terms are skipped).
    no_onsite: bool,
    bonds: Vec<BondShell>,
    coordination: Vec<CoordinationShell>,
    /// Number of species the model was built for.
    n_species: usize,
    /// `swap_pairs[a * n_species + b]` (see [`SwapPairs`]).
    swap_pairs: Vec<SwapPairs>,
    /// Per shell index: whether some bond shell differs from it.
    other_shells: Vec<bool>,
}

impl BondCounting {
    /// Builds the model from validated parameters for `n_species` species.
    ///
    /// # Panics
    /// Panics if a coordination term names a species whose index is not below `n_species`
    /// (validated parameters never do), or if a coordination table is so long (about 2^25
    /// entries) that the marginal tables would not be indexable by `u32`.
    #[must_use]
    pub fn new(params: &EnergyParams, n_species: usize) -> Self {
        let bonds: Vec<BondShell> = params
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
                    row: 0,
                    shift: 0,
                    up: Vec::new(),
                    down: Vec::new(),
                    energies: Vec::new(),
                });
                coordination.last_mut().expect("just pushed")
            };
            entry.tables[species.index()].clone_from(table);
        }
        for c in &mut coordination {
            c.build_marginals();
        }
        let (swap_pairs, other_shells) = Self::swap_tables(&bonds, n_species);
        Self {
            no_onsite: params.onsite.iter().flatten().all(|&e| e == 0.0),
            onsite: params.onsite.clone(),
            bonds,
            coordination,
            n_species,
            swap_pairs,
            other_shells,
        }
    }

    /// The [`SwapPairs`] of every ordered species pair and, per shell index, whether some
    /// bond shell differs from it.
    fn swap_tables(bonds: &[BondShell], n_species: usize) -> (Vec<SwapPairs>, Vec<bool>) {
        let n_shells = bonds.iter().map(|b| b.shell.index() + 1).max().unwrap_or(0);
        let species = |i: usize| {
            #[allow(clippy::cast_possible_truncation)]
            SpeciesId(i as u8)
        };
        let mut pairs = Vec::with_capacity(n_species * n_species);
        for a in (0..n_species).map(species) {
            for b in (0..n_species).map(species) {
                let mut terms = Vec::new();
                for (i, shell) in bonds.iter().enumerate() {
                    for z in 0..n_species {
                        let w = shell.get(a, species(z)) - shell.get(b, species(z));
                        if w != 0.0 {
                            terms.push((i, z, w));
                        }
                    }
                }
                let adjacent = (0..n_shells)
                    .map(|sh| {
                        bonds
                            .iter()
                            .filter(|bonds| bonds.shell.index() == sh)
                            .map(|bonds| bonds.adjacent_correction(a, b))
                            .sum()
                    })
                    .collect();
                pairs.push(SwapPairs { terms, adjacent });
            }
        }
        let other = (0..n_shells)
            .map(|sh| bonds.iter().any(|bonds| bonds.shell.index() != sh))
            .collect();
        (pairs, other)
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
    /// The non-zero terms `(offset of (shell, Z) in a site's raw counts, scale·(ε(a, Z) −
    /// ε(b, Z)))` of the pair sums of a swap of `a` and `b`, into `terms` (which must hold
    /// bond shells × species entries); returns their number.
    fn pair_terms(
        &self,
        occupancy: &Occupancy,
        (a, b): (SpeciesId, SpeciesId),
        scale: f64,
        terms: &mut [(usize, f64)],
    ) -> usize {
        let mut n = 0;
        for bonds in &self.bonds {
            let (_, offset) = occupancy.counts_layout(bonds.shell);
            for z in 0..occupancy.species_count() {
                #[allow(clippy::cast_possible_truncation)]
                let zid = SpeciesId(z as u8);
                let w = bonds.get(a, zid) - bonds.get(b, zid);
                if w != 0.0 {
                    terms[n] = (offset + z, scale * w);
                    n += 1;
                }
            }
        }
        n
    }

    /// The pair-sum terms of a swap of `a` and `b` into `terms` (`(index into a site's raw
    /// counts, −sign·(ε(a, Z) − ε(b, Z)))`, none unless `few_terms`), the correction for the
    /// bond between the two ends in `shell`, and whether some bond shell differs from
    /// `shell`: from the precomputed [`SwapPairs`] when the occupancy has the model's species.
    #[inline]
    fn swap_setup(
        &self,
        occupancy: &Occupancy,
        (a, b): (SpeciesId, SpeciesId),
        sign: f64,
        shell: ShellId,
        few_terms: bool,
        terms: &mut [(usize, f64)],
    ) -> (usize, f64, bool) {
        // the precomputed pairs hold for the species count the model was built for.
        let pairs = (occupancy.species_count() == self.n_species)
            .then(|| &self.swap_pairs[a.index() * self.n_species + b.index()]);
        let n_terms = match pairs {
            _ if !few_terms => 0,
            Some(pairs) => {
                let mut n = 0;
                let mut layout = (usize::MAX, 0);
                for &(i, z, w) in &pairs.terms {
                    if layout.0 != i {
                        layout = (i, occupancy.counts_layout(self.bonds[i].shell).1);
                    }
                    terms[n] = (layout.1 + z, -sign * w);
                    n += 1;
                }
                n
            }
            None => self.pair_terms(occupancy, (a, b), -sign, terms),
        };
        // the bond between the two ends: always there in the swap's shell, looked up in the
        // others.
        let (adjacent, other_shells) = match pairs {
            Some(pairs) => (
                pairs.adjacent(shell),
                self.other_shells
                    .get(shell.index())
                    .copied()
                    .unwrap_or(!self.bonds.is_empty()),
            ),
            None => (
                self.bonds
                    .iter()
                    .filter(|bonds| bonds.shell == shell)
                    .map(|bonds| bonds.adjacent_correction(a, b))
                    .sum(),
                self.bonds.iter().any(|bonds| bonds.shell != shell),
            ),
        };
        (n_terms, adjacent, other_shells)
    }

    /// The owner's side of the coordination terms of the swaps of `family` in `coord`.
    #[inline]
    fn owner_side<'g, C: Coordination>(
        graph: &'g SiteGraph,
        coordination: C,
        coord: &CoordinationShell,
        family: SwapFamily,
    ) -> OwnerSide<'g> {
        let d = i32::from(coord.counted.contains(family.mover))
            - i32::from(coord.counted.contains(family.target));
        let d_o = if family.owner_is_mover { -d } else { d };
        let o = family.owner;
        let offsets = graph.neighbor_offsets(o, coord.shell);
        let mut index = [0u32; 64];
        let mut sum = 0.0;
        if d_o != 0 {
            let table = if d_o > 0 { &coord.up } else { &coord.down };
            let base = i64::from(o.0);
            for (j, &delta) in offsets.iter().enumerate() {
                // neighbour indices: the graph builder checked that they are valid sites.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let k = (base + i64::from(delta)) as usize;
                let i = coordination.at(coordination.species(k), coordination.of(k));
                if let Some(slot) = index.get_mut(j) {
                    // marginal-table indices fit in u32 (checked when the tables are built).
                    #[allow(clippy::cast_possible_truncation)]
                    let short = i as u32;
                    *slot = short;
                }
                sum += table[i];
            }
        }
        OwnerSide {
            d_o,
            sum,
            n_o: coordination.of(o.index()),
            offsets,
            index,
        }
    }

    /// The partner's side of the coordination terms of a swap of `family` with `p`, given
    /// the owner's side (see `delta_energy_swaps`).
    #[inline]
    fn coordination_partner<C: Coordination>(
        graph: &SiteGraph,
        coordination: C,
        coord: &CoordinationShell,
        family: SwapFamily,
        owner: &OwnerSide<'_>,
        p: SiteId,
    ) -> f64 {
        let SwapFamily {
            owner: o,
            owner_is_mover,
            mover: a,
            target: b,
            shell,
        } = family;
        let d_o = owner.d_o;
        let mut part = 0.0;
        let d = if owner_is_mover { -d_o } else { d_o };
        let adjacent = coord.shell == shell || graph.slot_of(o, coord.shell, p).is_some();
        let n_p = coordination.of(p.index());
        let (n_t, n_m) = if owner_is_mover {
            (n_p, owner.n_o)
        } else {
            (owner.n_o, n_p)
        };
        let (n_t_after, n_m_after) = if adjacent && d != 0 {
            (shifted(n_t, -d), shifted(n_m, d))
        } else {
            (n_t, n_m)
        };
        // the terms of the two ends, as `coord.energy` gives them: a count clamped to
        // `row − 1` lies beyond the end of every table.
        let last = coord.row - 1;
        let energy = |z: SpeciesId, n: usize| coord.energies[coordination.at(z, n.min(last))];
        part += energy(a, n_t_after) - energy(b, n_t) + energy(b, n_m_after) - energy(a, n_m);
        if d_o == 0 {
            return part;
        }
        // Σ_{k∈N(o)} f_k(d_o) − [adj] f_p(d_o) + Σ_{k∈N(p)\N(o), k≠o} f_k(−d_o)
        //   − Σ_{k∈N(p)∩N(o)} f_k(d_o): one merge walk over the sorted neighbour lists.
        let mut neighbours = owner.sum;
        if adjacent {
            // p is a neighbour of o but changes its own term.
            neighbours -= coord.marginal(coordination.species(p.index()), n_p, d_o);
        }
        let (up, down) = if d_o > 0 {
            (&coord.up[..], &coord.down[..])
        } else {
            (&coord.down[..], &coord.up[..])
        };
        // k ∈ N(o) ⇔ k − o is one of o's (sorted) offsets: a merge walk over offsets
        // relative to o.
        let own_list = owner.offsets;
        // site indices fit in i64 and u32; neighbour indices are valid sites (checked by the
        // graph builder), and p − o is a neighbour offset, so it fits in i32.
        #[allow(clippy::cast_possible_truncation)]
        let shift = (i64::from(p.0) - i64::from(o.0)) as i32;
        let base = i64::from(p.0);
        let mut j = 0;
        for &delta in graph.neighbor_offsets(p, coord.shell) {
            let rel = shift + delta;
            if rel == 0 {
                continue;
            }
            while j < own_list.len() && own_list[j] < rel {
                j += 1;
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let k = (base + i64::from(delta)) as usize;
            if j < own_list.len() && own_list[j] == rel {
                // a neighbour of the owner: its index was kept by the owner's walk.
                let i = match owner.index.get(j) {
                    Some(&i) => i as usize,
                    None => coordination.at(coordination.species(k), coordination.of(k)),
                };
                neighbours -= up[i];
            } else {
                neighbours += down[coordination.at(coordination.species(k), coordination.of(k))];
            }
        }
        part += neighbours;
        part
    }

    /// The coordination terms of the swaps of `family` with each of `partners`, added to
    /// `out`, with the hot loops compiled for the way `coord` counts coordination.
    #[inline]
    fn add_coordination<C: Coordination>(
        graph: &SiteGraph,
        coordination: C,
        coord: &CoordinationShell,
        family: SwapFamily,
        partners: &[SiteId],
        out: &mut [f64],
    ) {
        let owner = Self::owner_side(graph, coordination, coord, family);
        for (result, &p) in out.iter_mut().zip(partners) {
            *result += Self::coordination_partner(graph, coordination, coord, family, &owner, p);
        }
    }

    /// [`EnergyModel::delta_energy`]; with `indexed`, the earlier changes among a site's
    /// neighbours are found through the per-site index when there are many changes.
    fn general_delta(
        &self,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        changes: &[SiteChange],
        indexed: bool,
    ) -> f64 {
        let mut delta = 0.0;

        // on-site terms: each change swaps one table entry for another.
        for c in changes {
            let row = &self.onsite[graph.kind(c.site).index()];
            delta += row[c.to.index()] - row[c.from.index()];
        }

        // pair terms: apply the changes one after the other; the counts of a later change's
        // site are corrected for earlier changes among its neighbours, in the order of the
        // changes. Many changes (a cluster move) find those earlier neighbours through a
        // per-site index instead of testing every earlier change: the same terms, added in
        // the same order.
        if indexed && changes.len() > EARLIER_SCAN_LIMIT && !self.bonds.is_empty() {
            CHANGE_INDEX.with(|cell| {
                let mut index = cell.borrow_mut();
                let indexed = index.index(graph.len(), changes);
                self.add_pair_terms(
                    graph,
                    occupancy,
                    changes,
                    indexed.then_some(&*index),
                    &mut delta,
                );
            });
        } else {
            self.add_pair_terms(graph, occupancy, changes, None, &mut delta);
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

    /// [`EnergyModel::delta_energy`] testing every earlier change for each change, as for a
    /// few changes: for tests, which compare it bit for bit with the indexed form.
    #[doc(hidden)]
    #[must_use]
    pub fn delta_energy_unindexed(
        &self,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        changes: &[SiteChange],
    ) -> f64 {
        self.general_delta(graph, occupancy, changes, false)
    }

    /// Adds the pair terms of `changes` to `delta` (see [`EnergyModel::delta_energy`]): for
    /// each bond shell and each change in order, its site's bonds with the old counts, then
    /// the correction for each earlier change among its neighbours, in the order of the
    /// changes; with `index` (the changes indexed), those are looked up per neighbour.
    fn add_pair_terms(
        &self,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        changes: &[SiteChange],
        index: Option<&ChangeIndex>,
        delta: &mut f64,
    ) {
        let mut near = Vec::new();
        for bonds in &self.bonds {
            for (i, c) in changes.iter().enumerate() {
                let counts = occupancy.counts(c.site, bonds.shell);
                for (z, &n) in counts.iter().enumerate() {
                    if n == 0 {
                        continue;
                    }
                    #[allow(clippy::cast_possible_truncation)]
                    let z = SpeciesId(z as u8);
                    *delta += f64::from(n) * (bonds.get(c.to, z) - bonds.get(c.from, z));
                }
                // the earlier site was counted with its old species; it now holds its new one.
                let correction = |earlier: &SiteChange| {
                    bonds.get(c.to, earlier.to)
                        - bonds.get(c.from, earlier.to)
                        - (bonds.get(c.to, earlier.from) - bonds.get(c.from, earlier.from))
                };
                if let Some(index) = index {
                    index.earlier_neighbors(graph, bonds.shell, c.site, i, &mut near);
                    for &j in &near {
                        *delta += correction(&changes[j]);
                    }
                } else {
                    for earlier in &changes[..i] {
                        if graph.slot_of(c.site, bonds.shell, earlier.site).is_some() {
                            *delta += correction(earlier);
                        }
                    }
                }
            }
        }
    }

    /// Adds the coordination terms of the swaps of `family` with each of `partners` to
    /// `out`, shell by shell (each partner's sum is accumulated in the same order as term by
    /// term): the owner's side once, then each partner's.
    fn add_coordination_terms(
        &self,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        family: SwapFamily,
        partners: &[SiteId],
        out: &mut [f64],
    ) {
        let counts = occupancy.counts_raw();
        for coord in &self.coordination {
            let (stride, offset) = occupancy.counts_layout(coord.shell);
            if let ([z], 256) = (&coord.counted_list[..], coord.row) {
                let coordination = OneCounted {
                    counts,
                    stride,
                    column: offset + z,
                };
                Self::add_coordination(graph, coordination, coord, family, partners, out);
            } else {
                let coordination = ManyCounted {
                    counts,
                    stride,
                    offset,
                    counted: &coord.counted_list,
                    cap: coord.row - 1,
                    shift: coord.shift,
                };
                Self::add_coordination(graph, coordination, coord, family, partners, out);
            }
        }
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
        self.general_delta(graph, occupancy, changes, true)
    }

    fn delta_energy_swap(&self, graph: &SiteGraph, occupancy: &Occupancy, swap: Swap) -> f64 {
        let family = SwapFamily {
            owner: swap.target_site,
            owner_is_mover: false,
            mover: swap.mover,
            target: swap.target,
            shell: swap.shell,
        };
        let mut out = [0.0];
        self.delta_energy_swaps(graph, occupancy, family, &[swap.mover_site], &mut out);
        out[0]
    }

    // ΔE of a swap of A (on the mover site m) and B (on the target site t), split into the
    // owner's side, computed once, and the partner's side:
    // on-site: onsite(t, A) − onsite(t, B) + onsite(m, B) − onsite(m, A);
    // pair terms: A leaves the bonds of m (except the A–B bond with t, which stays) and
    // takes those of t; B does the opposite:
    //   Σ_Z (n_t[Z] − n_m[Z]) (ε(A,Z) − ε(B,Z)) − adj·[ε(A,A) − ε(B,A) + ε(B,B) − ε(A,B)];
    // coordination terms: t and m change their own term (their count shifts when they are
    // neighbours); if A and B count differently (d = ±1), the neighbours of t gain d and
    // those of m lose d, except the common neighbours, which see no change:
    //   Σ_{k∈N(t)} f_k(d) + Σ_{k∈N(m)} f_k(−d) − adj·[f_m(d) + f_t(−d)]
    //   − Σ_{k∈N(t)∩N(m)} [f_k(d) + f_k(−d)],   f_k(d) = E_{σ_k}(n_k + d) − E_{σ_k}(n_k).
    // The owner's sums are computed once per family; a partner's result depends only on the
    // owner and the partner.
    fn delta_energy_swaps(
        &self,
        graph: &SiteGraph,
        occupancy: &Occupancy,
        family: SwapFamily,
        partners: &[SiteId],
        out: &mut [f64],
    ) {
        /// Pair-sum terms of a partner kept on the stack.
        const TERMS: usize = 12;
        let SwapFamily {
            owner: o,
            owner_is_mover,
            mover: a,
            target: b,
            shell,
        } = family;
        // the owner's species before and after, and the sign of its pair sums.
        let (o_from, o_to, sign) = if owner_is_mover {
            (a, b, -1.0)
        } else {
            (b, a, 1.0)
        };
        let mut own = 0.0;
        if !self.no_onsite {
            let row_o = &self.onsite[graph.kind(o).index()];
            own = row_o[o_to.index()] - row_o[o_from.index()];
        }
        // the partner's pair sums, as (index into the raw counts less site × stride,
        // weight −sign·(ε(a, Z) − ε(b, Z))), kept on the stack when few.
        let stride = self
            .bonds
            .first()
            .map_or(0, |bonds| occupancy.counts_layout(bonds.shell).0);
        let mut terms = [(0usize, 0.0f64); TERMS];
        let few_terms = self.bonds.len() * occupancy.species_count() <= TERMS;
        let (n_terms, adjacent, other_shells) =
            self.swap_setup(occupancy, (a, b), sign, shell, few_terms, &mut terms);
        let counts = occupancy.counts_raw();
        if few_terms {
            let base = o.index() * stride;
            for &(i, w) in &terms[..n_terms] {
                own -= f64::from(counts[base + i]) * w;
            }
        } else {
            for bonds in &self.bonds {
                own += sign * bonds.weighted(occupancy.counts(o, bonds.shell), a, b);
            }
        }
        // with coordination terms, `own` is added after them (the same order of summation as
        // term by term).
        let coordination_later = !self.coordination.is_empty();
        let n = partners.len().min(out.len());
        let constant = self.no_onsite && few_terms && n_terms == 0 && !other_shells;
        if constant {
            // no on-site or pair sum depends on the partner: the same value for all.
            let mut part = 0.0;
            part -= adjacent;
            out[..n].fill(if coordination_later { part } else { own + part });
        }
        for (result, &p) in out.iter_mut().zip(partners) {
            if constant {
                break;
            }
            let mut part = 0.0;
            if !self.no_onsite {
                let row_p = &self.onsite[graph.kind(p).index()];
                part = row_p[o_from.index()] - row_p[o_to.index()];
            }
            if few_terms {
                let base = p.index() * stride;
                for &(i, w) in &terms[..n_terms] {
                    part += f64::from(counts[base + i]) * w;
                }
            }
            if !few_terms {
                for bonds in &self.bonds {
                    part -= sign * bonds.weighted(occupancy.counts(p, bonds.shell), a, b);
                }
            }
            part -= adjacent;
            if other_shells {
                for bonds in &self.bonds {
                    if bonds.shell != shell && graph.slot_of(o, bonds.shell, p).is_some() {
                        part -= bonds.adjacent_correction(a, b);
                    }
                }
            }
            *result = if coordination_later { part } else { own + part };
        }
        if !coordination_later {
            return;
        }
        self.add_coordination_terms(graph, occupancy, family, partners, out);
        for result in out.iter_mut().take(partners.len()) {
            *result += own;
        }
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
