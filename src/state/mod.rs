//! Species and occupancy: the only mutable configuration of a simulation.
//!
//! [`Occupancy`] holds the species on every site and, as a cache that [`Occupancy::apply`]
//! keeps exact, the number of neighbours of each species of every site in the shells the
//! model reads (the *counted shells*). With these counts the energy change of a bond-counting
//! event costs O(species) instead of O(neighbours), which is what makes the step fast.
//!
//! A site's species and its counts are stored side by side in one record of
//! `1 + counted shells × species` bytes: an event reads or updates both for the same sites
//! (the counts of the changed sites' neighbours, the species of the sites around them), so
//! in a large system each site costs one cache miss instead of two.
//! [`Occupancy::apply`] is the only function that mutates a configuration.

use crate::error::{Error, Result};
use crate::sites::{ShellId, SiteGraph, SiteId};

/// Index of a species. [`SpeciesId::VACANCY`] (0) is the empty site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpeciesId(pub u8);

impl SpeciesId {
    /// The vacancy (empty site). Always species 0, named `Vac`.
    pub const VACANCY: SpeciesId = SpeciesId(0);

    /// The index as `usize`.
    #[inline]
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// True for the vacancy.
    #[inline]
    #[must_use]
    pub fn is_vacancy(self) -> bool {
        self.0 == 0
    }
}

/// One species: a name, the chemical element (for output) and the mass [u].
#[derive(Debug, Clone, PartialEq)]
pub struct Species {
    /// Name used in potential and scenario files, e.g. `Cu`.
    pub name: String,
    /// Chemical symbol for visualisation tools (`X` for the vacancy).
    pub element: String,
    /// Atomic mass [u] (0 for the vacancy).
    pub mass: f64,
}

/// The table of species. Entry 0 is always the vacancy `Vac`.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeciesTable {
    species: Vec<Species>,
}

impl SpeciesTable {
    /// The maximum number of species, vacancy included (species sets are `u64` masks).
    pub const MAX: usize = 64;

    /// A table with the vacancy and the given species.
    ///
    /// # Errors
    /// If a name repeats, is `Vac`, is empty, or there are more than [`Self::MAX`] species.
    pub fn new(species: Vec<Species>) -> Result<Self> {
        let mut all = vec![Species {
            name: "Vac".into(),
            element: "X".into(),
            mass: 0.0,
        }];
        for s in species {
            if s.name.is_empty() || s.name == "Vac" || all.iter().any(|o| o.name == s.name) {
                return Err(Error::build(
                    "species table",
                    format!("species name `{}` is empty, reserved or repeated", s.name),
                ));
            }
            all.push(s);
        }
        if all.len() > Self::MAX {
            return Err(Error::build(
                "species table",
                format!("at most {} species are supported", Self::MAX - 1),
            ));
        }
        Ok(Self { species: all })
    }

    /// Number of species, vacancy included.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.species.len()
    }

    /// Always false: the vacancy is always there.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Looks a species up by name.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<SpeciesId> {
        self.species
            .iter()
            .position(|s| s.name == name)
            .and_then(|i| u8::try_from(i).ok())
            .map(SpeciesId)
    }

    /// The species with this id.
    #[must_use]
    pub fn get(&self, id: SpeciesId) -> &Species {
        &self.species[id.index()]
    }

    /// Name of a species.
    #[must_use]
    pub fn name(&self, id: SpeciesId) -> &str {
        &self.species[id.index()].name
    }

    /// Iterates over `(id, species)`.
    pub fn iter(&self) -> impl Iterator<Item = (SpeciesId, &Species)> {
        self.species.iter().enumerate().map(|(i, s)| {
            #[allow(clippy::cast_possible_truncation)]
            (SpeciesId(i as u8), s)
        })
    }
}

/// A change of species on one site, as applied by [`Occupancy::apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteChange {
    /// The site.
    pub site: SiteId,
    /// Species before.
    pub from: SpeciesId,
    /// Species after.
    pub to: SpeciesId,
}

/// Species on every site, plus the per-site neighbour-species counts of the counted shells.
#[derive(Debug, Clone, PartialEq)]
pub struct Occupancy {
    n_sites: usize,
    n_species: usize,
    counted_shells: Vec<ShellId>,
    /// Position of a shell in `counted_shells`, or `u8::MAX`.
    shell_slot: Vec<u8>,
    /// Bytes per site: `1 + counted_shells.len() * n_species`.
    record: usize,
    /// Per site, its species, then the counts of each counted shell `c` and species `z`:
    /// `cells[site * record]` and `cells[site * record + 1 + c * n_species + z]`.
    cells: Vec<u8>,
}

impl Occupancy {
    /// Builds an occupancy from per-site species, computing the neighbour counts of the
    /// counted shells.
    ///
    /// # Errors
    /// If the lengths do not match the graph, a species is out of range, or a counted shell
    /// has more than 255 neighbours on some site.
    pub fn new(
        graph: &SiteGraph,
        species: &[SpeciesId],
        n_species: usize,
        counted_shells: Vec<ShellId>,
    ) -> Result<Self> {
        if species.len() != graph.len() {
            return Err(Error::build(
                "occupancy",
                format!("{} species given for {} sites", species.len(), graph.len()),
            ));
        }
        if let Some(s) = species.iter().find(|s| s.index() >= n_species) {
            return Err(Error::build(
                "occupancy",
                format!("species index {} out of range", s.0),
            ));
        }
        let mut shell_slot = vec![u8::MAX; graph.shell_count()];
        for (c, shell) in counted_shells.iter().enumerate() {
            if shell.index() >= graph.shell_count() {
                return Err(Error::build("occupancy", "counted shell out of range"));
            }
            shell_slot[shell.index()] = u8::try_from(c).unwrap_or(u8::MAX);
        }
        let record = 1 + counted_shells.len() * n_species;
        let mut cells = vec![0u8; graph.len() * record];
        for (s, sp) in species.iter().enumerate() {
            cells[s * record] = sp.0;
        }
        for s in 0..graph.len() {
            #[allow(clippy::cast_possible_truncation)]
            let site = SiteId(s as u32);
            for (c, &shell) in counted_shells.iter().enumerate() {
                let base = s * record + 1 + c * n_species;
                for other in graph.neighbors(site, shell) {
                    let cell = &mut cells[base + species[other.index()].index()];
                    *cell = cell.checked_add(1).ok_or_else(|| {
                        Error::build("occupancy", "more than 255 neighbours in a counted shell")
                    })?;
                }
            }
        }
        Ok(Self {
            n_sites: species.len(),
            n_species,
            counted_shells,
            shell_slot,
            record,
            cells,
        })
    }

    /// Number of sites.
    #[must_use]
    pub fn len(&self) -> usize {
        self.n_sites
    }

    /// True when there are no sites.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.n_sites == 0
    }

    /// Number of species the counts are kept for.
    #[must_use]
    pub fn species_count(&self) -> usize {
        self.n_species
    }

    /// Species on a site.
    #[inline]
    #[must_use]
    pub fn get(&self, site: SiteId) -> SpeciesId {
        SpeciesId(self.cells[site.index() * self.record])
    }

    /// Species on all sites, in site order.
    pub fn species(&self) -> impl ExactSizeIterator<Item = SpeciesId> + '_ {
        self.cells
            .iter()
            .step_by(self.record)
            .map(|&s| SpeciesId(s))
    }

    /// The shells whose neighbour counts are kept.
    #[must_use]
    pub fn counted_shells(&self) -> &[ShellId] {
        &self.counted_shells
    }

    /// True when neighbour counts are kept for `shell`.
    #[inline]
    #[must_use]
    pub fn is_counted(&self, shell: ShellId) -> bool {
        self.shell_slot[shell.index()] != u8::MAX
    }

    /// Neighbour counts of `site` in `shell`, indexed by species.
    ///
    /// # Panics
    /// If `shell` is not a counted shell (an invariant the model compiler guarantees).
    #[inline]
    #[must_use]
    pub fn counts(&self, site: SiteId, shell: ShellId) -> &[u8] {
        let c = self.shell_slot[shell.index()];
        assert!(c != u8::MAX, "counts are only kept for counted shells");
        let base = site.index() * self.record + 1 + c as usize * self.n_species;
        &self.cells[base..base + self.n_species]
    }

    /// Where the counts of a counted `shell` live: the count of species `z` around site `s`
    /// is `counts_raw()[s * stride + offset + z]` for `(stride, offset)`, and its species
    /// is `counts_raw()[s * stride]` (the same record). For tight loops;
    /// [`Self::counts`] is the convenient form.
    ///
    /// # Panics
    /// If `shell` is not a counted shell.
    #[inline]
    #[must_use]
    pub fn counts_layout(&self, shell: ShellId) -> (usize, usize) {
        let c = self.shell_slot[shell.index()];
        assert!(c != u8::MAX, "counts are only kept for counted shells");
        (self.record, 1 + c as usize * self.n_species)
    }

    /// All neighbour counts (see [`Self::counts_layout`]).
    #[inline]
    #[must_use]
    pub fn counts_raw(&self) -> &[u8] {
        &self.cells
    }

    /// Number of sites holding each species.
    #[must_use]
    pub fn totals(&self) -> Vec<u64> {
        let mut t = vec![0u64; self.n_species];
        for s in self.species() {
            t[s.index()] += 1;
        }
        t
    }

    /// Applies changes of species, keeping the neighbour counts exact. This is the only
    /// mutation of a configuration.
    ///
    /// # Panics
    /// If a change's `from` is not the species on its site (an engine invariant).
    pub fn apply(&mut self, graph: &SiteGraph, changes: &[SiteChange]) {
        let record = self.record;
        for change in changes {
            let cur = &mut self.cells[change.site.index() * record];
            assert!(
                *cur == change.from.0,
                "a site change starts from the species on the site"
            );
            *cur = change.to.0;
            for (c, &shell) in self.counted_shells.iter().enumerate() {
                let offset = 1 + c * self.n_species;
                for other in graph.neighbors(change.site, shell) {
                    let base = other.index() * record + offset;
                    self.cells[base + change.from.index()] -= 1;
                    self.cells[base + change.to.index()] += 1;
                }
            }
        }
    }

    /// Bytes held (species and counts).
    #[must_use]
    pub fn memory_bytes(&self) -> usize {
        self.cells.capacity()
    }
}
