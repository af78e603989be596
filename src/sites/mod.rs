//! The site graph: where atoms can sit and who neighbours whom.
//!
//! A [`SiteGraph`] is immutable once built. It holds, per site, the position [Å], the site
//! kind ([`KindId`]), the domain ([`DomainId`]) and the neighbour lists of every shell
//! ([`ShellId`]). It knows nothing about which species sit on the sites: that is
//! [`crate::state::Occupancy`].
//!
//! # Memory layout: neighbour templates
//! Neighbour lists are stored as *templates* of index offsets. The neighbour `k` of site `s`
//! in shell `n` is `s + delta[k]`, where the offset list belongs to the template of `s`.
//! In a crystal enumerated cell by cell, all interior sites of one basis kind share one
//! template, so a 10⁶-site fcc box needs a few hundred templates and 4 bytes per site
//! (the template index) instead of 52 bytes for explicit 12-neighbour lists. Sites with an
//! irregular environment (interfaces, amorphous substrate) simply get templates of their
//! own, so the representation is exact for any graph; it is only smaller for regular ones.
//!
//! Within a shell, neighbours are sorted by offset. This makes the order canonical, so that
//! equivalent sites produce identical templates.
//!
//! Templates are *refined* to [`TEMPLATE_DEPTH`] neighbour steps when the graph is
//! finished: two sites share a template only if the sites reached from them along any path
//! of at most that many steps (through every shell, at the same offsets) have the same
//! neighbour offsets, pairwise. The engine relies on it to replay a recorded neighbourhood without reading the
//! sites around it. Refining splits a template into as many as its surroundings need; all
//! of them point to the same offset lists, so it costs a few rows of start indices.
//!
//! Construction (neighbour search by distance with a k-d tree, periodic images, shell
//! classification) lives in [`neighbors`]; crystal and shape builders in [`crate::lattice`].

mod min_image;
pub mod neighbors;
mod site_set;

pub use min_image::MinImage;
pub use site_set::SiteSet;

use std::collections::HashMap;

use crate::error::{Error, Result};

/// The depth to which [`SiteGraph`] templates are refined (see the module documentation):
/// enough for the engine's refresh neighbourhoods up to radius 3 (coordination tables),
/// whose search expands sites up to two steps from the changed sites.
pub const TEMPLATE_DEPTH: usize = 2;

/// Index of a site in the [`SiteGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SiteId(pub u32);

impl SiteId {
    /// The index as `usize`, for indexing per-site arrays.
    #[inline]
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a site kind (a named sublattice such as `Cd_site` or `int_T`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KindId(pub u16);

impl KindId {
    /// The index as `usize`.
    #[inline]
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a domain (one crystalline region of one particle, or the substrate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainId(pub u16);

impl DomainId {
    /// The index as `usize`.
    #[inline]
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a neighbour shell (a named neighbour relation defined in the potential file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShellId(pub u8);

impl ShellId {
    /// The index as `usize`.
    #[inline]
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The simulation box: three edge vectors [Å] from `origin`, and which axes are periodic.
///
/// For open axes the edges only describe the extent used for output (H5MD `box`).
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationBox {
    /// Lower corner [Å].
    pub origin: [f64; 3],
    /// Edge vectors as rows: `edges[0]` is the a vector, etc. [Å].
    pub edges: [[f64; 3]; 3],
    /// Periodicity per axis.
    pub periodic: [bool; 3],
}

/// Iterator over the neighbours of one site in one shell.
#[derive(Debug, Clone)]
pub struct Neighbors<'a> {
    base: i64,
    deltas: std::slice::Iter<'a, i32>,
}

impl Iterator for Neighbors<'_> {
    type Item = SiteId;
    #[inline]
    fn next(&mut self) -> Option<SiteId> {
        self.deltas.next().map(|&d| {
            // The builder checked that base + delta is a valid site index.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            SiteId((self.base + i64::from(d)) as u32)
        })
    }
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.deltas.size_hint()
    }
}

impl ExactSizeIterator for Neighbors<'_> {}

/// The immutable site graph. See the module documentation for the layout.
#[derive(Debug, Clone)]
pub struct SiteGraph {
    positions: Vec<[f64; 3]>,
    kinds: Vec<KindId>,
    domains: Vec<DomainId>,
    template_of: Vec<u32>,
    /// `template_starts[t * (n_shells + 1) + n]` is the start of shell `n` of template `t`
    /// in `deltas`; the entry after the last shell is the end.
    template_starts: Vec<u32>,
    deltas: Vec<i32>,
    shell_names: Vec<String>,
    kind_names: Vec<String>,
    domain_names: Vec<String>,
    simulation_box: SimulationBox,
    /// `max_neighbors[kind * n_shells + shell]`.
    max_neighbors: Vec<u16>,
}

impl SiteGraph {
    /// Number of sites.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// True when the graph has no site.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Number of shells.
    #[inline]
    #[must_use]
    pub fn shell_count(&self) -> usize {
        self.shell_names.len()
    }

    /// Names of the shells, indexed by [`ShellId`].
    #[must_use]
    pub fn shell_names(&self) -> &[String] {
        &self.shell_names
    }

    /// Names of the site kinds, indexed by [`KindId`].
    #[must_use]
    pub fn kind_names(&self) -> &[String] {
        &self.kind_names
    }

    /// Names of the domains, indexed by [`DomainId`].
    #[must_use]
    pub fn domain_names(&self) -> &[String] {
        &self.domain_names
    }

    /// The simulation box.
    #[must_use]
    pub fn simulation_box(&self) -> &SimulationBox {
        &self.simulation_box
    }

    /// Position of a site [Å].
    #[inline]
    #[must_use]
    pub fn position(&self, site: SiteId) -> [f64; 3] {
        self.positions[site.index()]
    }

    /// All positions [Å], indexed by site.
    #[must_use]
    pub fn positions(&self) -> &[[f64; 3]] {
        &self.positions
    }

    /// Kind of a site.
    #[inline]
    #[must_use]
    pub fn kind(&self, site: SiteId) -> KindId {
        self.kinds[site.index()]
    }

    /// All kinds, indexed by site.
    #[must_use]
    pub fn kinds(&self) -> &[KindId] {
        &self.kinds
    }

    /// Domain of a site.
    #[inline]
    #[must_use]
    pub fn domain(&self, site: SiteId) -> DomainId {
        self.domains[site.index()]
    }

    /// All domains, indexed by site.
    #[must_use]
    pub fn domains(&self) -> &[DomainId] {
        &self.domains
    }

    #[inline]
    fn shell_range(&self, site: SiteId, shell: ShellId) -> (usize, usize) {
        let stride = self.shell_names.len() + 1;
        let t = self.template_of[site.index()] as usize * stride + shell.index();
        (
            self.template_starts[t] as usize,
            self.template_starts[t + 1] as usize,
        )
    }

    /// Neighbours of `site` in `shell`, in canonical (offset) order.
    #[inline]
    #[must_use]
    pub fn neighbors(&self, site: SiteId, shell: ShellId) -> Neighbors<'_> {
        let (start, end) = self.shell_range(site, shell);
        Neighbors {
            base: i64::from(site.0),
            deltas: self.deltas[start..end].iter(),
        }
    }

    /// The neighbour offsets of `site` in `shell`: neighbour `k` is `site + offsets[k]`, in
    /// increasing order. For tight loops; [`Self::neighbors`] is the convenient form.
    #[inline]
    #[must_use]
    pub fn neighbor_offsets(&self, site: SiteId, shell: ShellId) -> &[i32] {
        let (start, end) = self.shell_range(site, shell);
        &self.deltas[start..end]
    }

    /// Number of neighbours of `site` in `shell`.
    #[inline]
    #[must_use]
    pub fn neighbor_count(&self, site: SiteId, shell: ShellId) -> usize {
        let (start, end) = self.shell_range(site, shell);
        end - start
    }

    /// The `slot`-th neighbour of `site` in `shell`.
    ///
    /// # Panics
    /// If `slot` is not below [`Self::neighbor_count`] (an internal invariant of callers).
    #[inline]
    #[must_use]
    pub fn neighbor(&self, site: SiteId, shell: ShellId, slot: usize) -> SiteId {
        let (start, end) = self.shell_range(site, shell);
        assert!(start + slot < end, "neighbor slot within the shell");
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        SiteId((i64::from(site.0) + i64::from(self.deltas[start + slot])) as u32)
    }

    /// Position of `other` in the neighbour list of `site` in `shell`, if it is there.
    #[must_use]
    pub fn slot_of(&self, site: SiteId, shell: ShellId, other: SiteId) -> Option<usize> {
        self.neighbors(site, shell).position(|n| n == other)
    }

    /// The largest neighbour count of any site of `kind` in `shell`.
    #[inline]
    #[must_use]
    pub fn max_neighbors(&self, kind: KindId, shell: ShellId) -> usize {
        self.max_neighbors[kind.index() * self.shell_names.len() + shell.index()] as usize
    }

    /// The neighbour template of a site: two sites with the same template have the same
    /// neighbour offsets in every shell.
    #[inline]
    #[must_use]
    pub fn template(&self, site: SiteId) -> u32 {
        self.template_of[site.index()]
    }

    /// Number of distinct neighbour templates (a measure of how regular the graph is).
    #[must_use]
    pub fn template_count(&self) -> usize {
        self.template_starts.len() / (self.shell_names.len() + 1)
    }

    /// One refinement step of per-site ids (`ids[s]` for every site, ids that are at least
    /// as fine as the templates): the new id of a site interns its id with its neighbours'
    /// ids in canonical order. Two sites with equal new ids therefore have equal old ids
    /// and, at each offset, neighbours with equal old ids. Returns the new ids (numbered in
    /// order of first appearance) and, per new id, the first site that has it.
    ///
    /// # Panics
    /// If `ids` does not have one entry per site.
    #[must_use]
    pub fn refine_ids(&self, ids: &[u32]) -> (Vec<u32>, Vec<SiteId>) {
        assert_eq!(ids.len(), self.len(), "one id per site");
        let mut interned: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut firsts: Vec<SiteId> = Vec::new();
        let mut next = Vec::with_capacity(self.len());
        let mut key: Vec<u32> = Vec::new();
        for (s, &id) in ids.iter().enumerate() {
            #[allow(clippy::cast_possible_truncation)]
            let site = SiteId(s as u32);
            key.clear();
            key.push(id);
            for shell in 0..self.shell_count() {
                #[allow(clippy::cast_possible_truncation)]
                let shell = ShellId(shell as u8);
                key.extend(self.neighbors(site, shell).map(|k| ids[k.index()]));
            }
            let new_id = if let Some(&new_id) = interned.get(key.as_slice()) {
                new_id
            } else {
                // at most one id per site, and sites are numbered by u32.
                #[allow(clippy::cast_possible_truncation)]
                let new_id = interned.len() as u32;
                interned.insert(key.clone(), new_id);
                firsts.push(site);
                new_id
            };
            next.push(new_id);
        }
        (next, firsts)
    }

    /// Refines templates `depth` more neighbour steps with [`Self::refine_ids`]; by
    /// induction, after `d` steps the sites reached from two sites with equal templates
    /// along any path of at most `d` steps have the same offsets. The offsets of each site
    /// are unchanged: a refined template points to the offset lists of the template it
    /// came from.
    fn refine_templates(&mut self, depth: usize) {
        let stride = self.shell_names.len() + 1;
        for _ in 0..depth {
            let (next, firsts) = self.refine_ids(&self.template_of);
            let done = firsts.len() == self.template_count();
            let mut starts = Vec::with_capacity(firsts.len() * stride);
            for first in firsts {
                let parent = self.template(first) as usize;
                starts.extend_from_slice(&self.template_starts[parent * stride..][..stride]);
            }
            self.template_of = next;
            self.template_starts = starts;
            if done {
                // nothing was split: further steps split nothing either.
                break;
            }
        }
    }

    /// Bytes held by the graph (positions, kinds, domains, templates).
    #[must_use]
    pub fn memory_bytes(&self) -> usize {
        self.positions.capacity() * 24
            + self.kinds.capacity() * 2
            + self.domains.capacity() * 2
            + self.template_of.capacity() * 4
            + self.template_starts.capacity() * 4
            + self.deltas.capacity() * 4
    }
}

/// Incremental builder of a [`SiteGraph`]: give the sites, then each site's neighbour lists.
///
/// Neighbour lists are interned into templates as they arrive, so that building a large
/// graph never holds explicit per-site lists for all sites at once.
#[derive(Debug)]
pub struct SiteGraphBuilder {
    graph: SiteGraph,
    interned: HashMap<Vec<i32>, u32>,
    assigned: Vec<bool>,
    scratch: Vec<i32>,
}

impl SiteGraphBuilder {
    /// Starts a graph with the given sites. All slices must have the same length.
    ///
    /// # Errors
    /// If the lengths differ, there are more than `u32::MAX` sites or 255 shells, or a kind
    /// or domain index is out of range of the name lists.
    pub fn new(
        positions: Vec<[f64; 3]>,
        kinds: Vec<KindId>,
        domains: Vec<DomainId>,
        names: GraphNames,
        simulation_box: SimulationBox,
    ) -> Result<Self> {
        let n = positions.len();
        if kinds.len() != n || domains.len() != n {
            return Err(Error::build(
                "site graph",
                "positions, kinds and domains differ in length",
            ));
        }
        if u32::try_from(n).is_err() {
            return Err(Error::build(
                "site graph",
                "more than 4294967295 sites are not supported",
            ));
        }
        if names.shells.len() > 255 {
            return Err(Error::build("site graph", "more than 255 shells"));
        }
        if let Some(k) = kinds.iter().find(|k| k.index() >= names.kinds.len()) {
            return Err(Error::build(
                "site graph",
                format!("site kind index {} has no name", k.0),
            ));
        }
        if let Some(d) = domains.iter().find(|d| d.index() >= names.domains.len()) {
            return Err(Error::build(
                "site graph",
                format!("domain index {} has no name", d.0),
            ));
        }
        let n_shells = names.shells.len();
        let n_kinds = names.kinds.len();
        Ok(Self {
            graph: SiteGraph {
                positions,
                kinds,
                domains,
                template_of: vec![u32::MAX; n],
                template_starts: Vec::new(),
                deltas: Vec::new(),
                shell_names: names.shells,
                kind_names: names.kinds,
                domain_names: names.domains,
                simulation_box,
                max_neighbors: vec![0; n_kinds * n_shells],
            },
            interned: HashMap::new(),
            assigned: vec![false; n],
            scratch: Vec::new(),
        })
    }

    /// Number of sites.
    #[must_use]
    pub fn len(&self) -> usize {
        self.graph.len()
    }

    /// True when there is no site.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.graph.is_empty()
    }

    /// The positions given to [`Self::new`].
    #[must_use]
    pub fn positions(&self) -> &[[f64; 3]] {
        &self.graph.positions
    }

    /// The kinds given to [`Self::new`].
    #[must_use]
    pub fn kinds(&self) -> &[KindId] {
        &self.graph.kinds
    }

    /// Sets the neighbour lists of `site`, one list per shell (`shells.len()` must equal the
    /// number of shells). Lists are sorted into canonical order here.
    ///
    /// # Errors
    /// If the shell count is wrong, a neighbour is out of range, is the site itself, appears
    /// twice in a shell, or the site was already set.
    pub fn set_neighbors(&mut self, site: SiteId, shells: &[Vec<SiteId>]) -> Result<()> {
        let n_shells = self.graph.shell_names.len();
        let n = self.graph.len();
        if shells.len() != n_shells {
            return Err(Error::build(
                "site graph",
                format!(
                    "site {} has {} shells, expected {n_shells}",
                    site.0,
                    shells.len()
                ),
            ));
        }
        if site.index() >= n || self.assigned[site.index()] {
            return Err(Error::build(
                "site graph",
                format!("site {} out of range or set twice", site.0),
            ));
        }
        // Key layout: the shell lengths first, then the sorted offsets of each shell.
        let key = &mut self.scratch;
        key.clear();
        for list in shells {
            key.push(i32::try_from(list.len()).unwrap_or(i32::MAX));
        }
        for list in shells {
            let start = key.len();
            for &other in list {
                if other.index() >= n || other == site {
                    return Err(Error::build(
                        "site graph",
                        format!("site {} has invalid neighbour {}", site.0, other.0),
                    ));
                }
                let delta = i64::from(other.0) - i64::from(site.0);
                let delta = i32::try_from(delta).map_err(|_| {
                    Error::build("site graph", "neighbour index offset exceeds 2^31")
                })?;
                key.push(delta);
            }
            key[start..].sort_unstable();
            if key[start..].windows(2).any(|w| w[0] == w[1]) {
                return Err(Error::build(
                    "site graph",
                    format!("site {} lists a neighbour twice in one shell", site.0),
                ));
            }
        }
        let template = if let Some(&t) = self.interned.get(key.as_slice()) {
            t
        } else {
            let t = u32::try_from(self.interned.len())
                .map_err(|_| Error::build("site graph", "too many neighbour templates"))?;
            let mut offset = n_shells;
            for list in shells {
                self.graph
                    .template_starts
                    .push(u32::try_from(self.graph.deltas.len()).unwrap_or(u32::MAX));
                self.graph
                    .deltas
                    .extend_from_slice(&key[offset..offset + list.len()]);
                offset += list.len();
            }
            self.graph
                .template_starts
                .push(u32::try_from(self.graph.deltas.len()).unwrap_or(u32::MAX));
            self.interned.insert(key.clone(), t);
            t
        };
        self.graph.template_of[site.index()] = template;
        self.assigned[site.index()] = true;
        let kind = self.graph.kinds[site.index()].index();
        for (shell, list) in shells.iter().enumerate() {
            let slot = &mut self.graph.max_neighbors[kind * n_shells + shell];
            *slot = (*slot).max(u16::try_from(list.len()).unwrap_or(u16::MAX));
        }
        Ok(())
    }

    /// Finishes the graph.
    ///
    /// # Errors
    /// If some site has no neighbour lists set, or the lists are not symmetric (every
    /// neighbour relation must hold both ways, in the same shell).
    pub fn finish(mut self) -> Result<SiteGraph> {
        if let Some(site) = self.assigned.iter().position(|a| !a) {
            return Err(Error::build(
                "site graph",
                format!("site {site} has no neighbour lists"),
            ));
        }
        self.graph.deltas.shrink_to_fit();
        self.graph.template_starts.shrink_to_fit();
        let graph = self.graph;
        for s in 0..graph.len() {
            #[allow(clippy::cast_possible_truncation)]
            let site = SiteId(s as u32);
            for shell in 0..graph.shell_count() {
                #[allow(clippy::cast_possible_truncation)]
                let shell = ShellId(shell as u8);
                for other in graph.neighbors(site, shell) {
                    if graph.slot_of(other, shell, site).is_none() {
                        return Err(Error::build(
                            "site graph",
                            format!(
                                "neighbour lists are not symmetric: {} lists {} in shell `{}` but not the reverse",
                                site.0,
                                other.0,
                                graph.shell_names[shell.index()]
                            ),
                        ));
                    }
                }
            }
        }
        let mut graph = graph;
        graph.refine_templates(TEMPLATE_DEPTH);
        Ok(graph)
    }
}

/// Names of the shells, site kinds and domains of a graph.
#[derive(Debug, Clone, Default)]
pub struct GraphNames {
    /// Shell names, indexed by [`ShellId`].
    pub shells: Vec<String>,
    /// Site kind names, indexed by [`KindId`].
    pub kinds: Vec<String>,
    /// Domain names, indexed by [`DomainId`].
    pub domains: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(n: u32) -> SiteGraph {
        let positions = (0..n).map(|i| [f64::from(i), 0.0, 0.0]).collect();
        let names = GraphNames {
            shells: vec!["nn".into()],
            kinds: vec!["a".into()],
            domains: vec!["ring".into()],
        };
        let simulation_box = SimulationBox {
            origin: [0.0; 3],
            edges: [[f64::from(n), 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            periodic: [true, false, false],
        };
        let mut b = SiteGraphBuilder::new(
            positions,
            vec![KindId(0); n as usize],
            vec![DomainId(0); n as usize],
            names,
            simulation_box,
        )
        .unwrap();
        for i in 0..n {
            let l = SiteId((i + n - 1) % n);
            let r = SiteId((i + 1) % n);
            b.set_neighbors(SiteId(i), &[vec![r, l]]).unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    fn ring_interior_sites_share_one_template() {
        let g = ring(10);
        // the offsets alone give three templates (interior, left end, right end); refined
        // to two steps, the two sites next to each end have templates of their own too.
        assert_eq!(g.template_count(), 7);
        assert!((3..7).all(|s| g.template(SiteId(s)) == g.template(SiteId(3))));
        let n: Vec<_> = g.neighbors(SiteId(0), ShellId(0)).collect();
        assert_eq!(n, vec![SiteId(1), SiteId(9)]);
        assert_eq!(g.neighbor(SiteId(5), ShellId(0), 0), SiteId(4));
        assert_eq!(g.max_neighbors(KindId(0), ShellId(0)), 2);
    }

    #[test]
    fn builder_asymmetric_lists_are_rejected() {
        let names = GraphNames {
            shells: vec!["nn".into()],
            kinds: vec!["a".into()],
            domains: vec!["d".into()],
        };
        let bx = SimulationBox {
            origin: [0.0; 3],
            edges: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            periodic: [false; 3],
        };
        let mut b = SiteGraphBuilder::new(
            vec![[0.0; 3], [1.0, 0.0, 0.0]],
            vec![KindId(0); 2],
            vec![DomainId(0); 2],
            names,
            bx,
        )
        .unwrap();
        b.set_neighbors(SiteId(0), &[vec![SiteId(1)]]).unwrap();
        b.set_neighbors(SiteId(1), &[vec![]]).unwrap();
        assert!(b.finish().is_err());
    }
}
