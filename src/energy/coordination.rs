//! Coordination-dependent energies of [`super::BondCounting`]: the per-species tables
//! `E_σ(n)` of one shell and counted set, with their marginal tables, and how the hot loops
//! read a site's counted coordination from the cached neighbour counts.

use crate::model::SpeciesSet;
use crate::sites::ShellId;
use crate::state::SpeciesId;

/// Coordination terms grouped by shell and counted set, indexed by species.
#[derive(Debug, Clone)]
pub(super) struct CoordinationShell {
    pub(super) shell: ShellId,
    pub(super) counted: SpeciesSet,
    /// The members of `counted`, as indices.
    pub(super) counted_list: Vec<usize>,
    /// `tables[species]`, empty when the species has no coordination energy here.
    pub(super) tables: Vec<Vec<f64>>,
    /// Entries per species in `up` and `down`: a power of two, at least 256 (every count a
    /// `u8` holds) and at least two more than the longest table, so that a count clamped to
    /// `row − 1` lies beyond the end of every table, where the clamped terms are exact.
    pub(super) row: usize,
    /// `log2(row)`.
    pub(super) shift: u32,
    /// `up[species * row + n] = E(n + 1) − E(n)` for `n < row` (0 without a table), with the
    /// same clamping as [`Self::energy`]: the change of a site's term when its counted
    /// coordination grows by one.
    pub(super) up: Vec<f64>,
    /// The same for `E(n − 1) − E(n)` (0 at `n = 0`).
    pub(super) down: Vec<f64>,
    /// `energies[species * row + n] = E(n)` for `n < row`, as [`Self::energy`] gives it.
    pub(super) energies: Vec<f64>,
}

impl CoordinationShell {
    /// Fills `row` and the marginal tables from `tables`.
    pub(super) fn build_marginals(&mut self) {
        let longest = self.tables.iter().map(Vec::len).max().unwrap_or(0);
        let row = 256.max(longest + 2).next_power_of_two();
        let n_species = self.tables.len();
        assert!(
            u32::try_from(n_species * row).is_ok(),
            "coordination tables of at most 2^25 entries"
        );
        self.row = row;
        self.shift = row.trailing_zeros();
        self.up = vec![0.0; n_species * row];
        self.down = vec![0.0; n_species * row];
        self.energies = vec![0.0; n_species * row];
        for (z, table) in self.tables.iter().enumerate() {
            if table.is_empty() {
                continue;
            }
            let last = table.len() - 1;
            for n in 0..row {
                self.energies[z * row + n] = table[n.min(last)];
                self.up[z * row + n] = table[(n + 1).min(last)] - table[n.min(last)];
                if n > 0 {
                    self.down[z * row + n] = table[(n - 1).min(last)] - table[n.min(last)];
                }
            }
        }
    }

    /// Index in the marginal tables of a site holding `species` with counted coordination
    /// `n` as a [`Coordination`] reader gives it (below `row`).
    #[inline]
    pub(super) fn at(&self, species: SpeciesId, n: usize) -> usize {
        (species.index() << self.shift) | n
    }

    /// The change of the coordination term of a site holding `species` with counted
    /// coordination `n` (below `row`) when `n` changes by `d` (±1).
    #[inline]
    pub(super) fn marginal(&self, species: SpeciesId, n: usize, d: i32) -> f64 {
        let i = self.at(species, n);
        if d > 0 { self.up[i] } else { self.down[i] }
    }

    #[inline]
    pub(super) fn energy(&self, species: SpeciesId, n: usize) -> f64 {
        let table = &self.tables[species.index()];
        if table.is_empty() {
            0.0
        } else {
            // Validated at simulation set-up: tables cover every reachable count.
            table[n.min(table.len() - 1)]
        }
    }
}

/// How the counted coordination of a site is read from the raw neighbour counts of
/// [`Occupancy`] (see [`Occupancy::counts_layout`]), below the shell's `row`; the hot loops
/// are compiled once for a single counted species and once for a set.
pub(super) trait Coordination: Copy {
    /// The counted coordination of the site with this index.
    fn of(self, site: usize) -> usize;

    /// [`CoordinationShell::at`], for the shells this reader is used with.
    fn at(self, species: SpeciesId, n: usize) -> usize;

    /// The species of the site with this index (the first byte of its occupancy record,
    /// [`Occupancy::counts_layout`]).
    fn species(self, site: usize) -> SpeciesId;
}

/// One counted species: its count is the coordination (below 256); used when `row` is 256.
#[derive(Clone, Copy)]
pub(super) struct OneCounted<'a> {
    pub(super) counts: &'a [u8],
    pub(super) stride: usize,
    /// Offset of the shell's counts plus the counted species.
    pub(super) column: usize,
}

impl Coordination for OneCounted<'_> {
    // Runs once per neighbour in the hot loops.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn of(self, site: usize) -> usize {
        self.counts[site * self.stride + self.column] as usize
    }

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn at(self, species: SpeciesId, n: usize) -> usize {
        (species.index() << 8) | n
    }

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn species(self, site: usize) -> SpeciesId {
        SpeciesId(self.counts[site * self.stride])
    }
}

/// Any counted set (also one species when `row` is above 256): the sum of the counts,
/// clamped to `row − 1` (beyond the end of every table, where the clamped terms are exact).
#[derive(Clone, Copy)]
pub(super) struct ManyCounted<'a> {
    pub(super) counts: &'a [u8],
    pub(super) stride: usize,
    pub(super) offset: usize,
    pub(super) counted: &'a [usize],
    pub(super) cap: usize,
    pub(super) shift: u32,
}

impl Coordination for ManyCounted<'_> {
    // Runs once per neighbour in the hot loops.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn of(self, site: usize) -> usize {
        let at = site * self.stride + self.offset;
        let n: usize = self
            .counted
            .iter()
            .map(|&z| self.counts[at + z] as usize)
            .sum();
        n.min(self.cap)
    }

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn at(self, species: SpeciesId, n: usize) -> usize {
        (species.index() << self.shift) | n
    }

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn species(self, site: usize) -> SpeciesId {
        SpeciesId(self.counts[site * self.stride])
    }
}
