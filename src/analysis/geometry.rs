//! Shared tools of the observables: the minimum-image convention of the box, a bit set
//! over sites, and the connected components of a set of sites along one neighbour shell
//! (breadth-first, in site order, so that components and their members come out in the
//! same order on every machine).

use crate::sites::{ShellId, SiteGraph, SiteId};

pub use crate::sites::MinImage;

/// `a − b` component-wise.
#[must_use]
pub fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// Squared length.
#[must_use]
pub fn norm2(d: [f64; 3]) -> f64 {
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// One bit per site.
#[derive(Debug, Clone, Default)]
pub struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    /// All clear, for `n` sites.
    #[must_use]
    pub fn new(n: usize) -> Self {
        Self {
            words: vec![0; n.div_ceil(64)],
        }
    }

    /// Sets bit `i`; returns whether it was clear.
    #[inline]
    pub fn insert(&mut self, i: usize) -> bool {
        let (w, b) = (i / 64, i % 64);
        let was = self.words[w] >> b & 1 == 0;
        self.words[w] |= 1 << b;
        was
    }

    /// Whether bit `i` is set.
    #[inline]
    #[must_use]
    pub fn contains(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 == 1
    }
}

/// One connected component, as found by [`for_each_component`].
#[derive(Debug, Clone, Default)]
pub struct Component {
    /// Member sites, the first (lowest index) first, then in breadth-first order.
    pub sites: Vec<SiteId>,
    /// Positions of the members unwrapped along the search (each one the minimum image of
    /// its neighbour's), in the order of `sites` [Å].
    pub unwrapped: Vec<[f64; 3]>,
    /// True when a member has fewer neighbours in the shell than its kind's maximum, or a
    /// neighbour in the shell that is not a candidate of the search and `open` says is
    /// outside (see [`for_each_component`]).
    pub touches_border: bool,
}

/// Calls `visit` for every connected component of the sites for which `member` holds,
/// neighbours along any of `shells`, in order of each component's lowest site. `outside(site)`
/// marks non-member neighbours that make a component "touch the border" (e.g. sites out of
/// the analysed region); missing neighbours (a site at the edge of an open box or of the
/// site set) always do.
pub fn for_each_component(
    graph: &SiteGraph,
    shells: &[ShellId],
    member: impl Fn(usize) -> bool,
    outside: impl Fn(usize) -> bool,
    image: &MinImage,
    mut visit: impl FnMut(&Component),
) {
    let mut seen = BitSet::new(graph.len());
    let mut c = Component::default();
    let positions = graph.positions();
    for start in 0..graph.len() {
        if !member(start) || seen.contains(start) {
            continue;
        }
        seen.insert(start);
        c.sites.clear();
        c.unwrapped.clear();
        c.touches_border = false;
        #[allow(clippy::cast_possible_truncation)]
        c.sites.push(SiteId(start as u32));
        c.unwrapped.push(positions[start]);
        let mut head = 0;
        while head < c.sites.len() {
            let site = c.sites[head];
            let here = c.unwrapped[head];
            head += 1;
            for &shell in shells {
                let neighbours = graph.neighbors(site, shell);
                if neighbours.len() < graph.max_neighbors(graph.kind(site), shell) {
                    c.touches_border = true;
                }
                for n in neighbours {
                    let i = n.index();
                    if !member(i) {
                        if !c.touches_border && outside(i) {
                            c.touches_border = true;
                        }
                        continue;
                    }
                    if seen.insert(i) {
                        let d = image.apply(sub(positions[i], positions[site.index()]));
                        c.sites.push(n);
                        c.unwrapped
                            .push([here[0] + d[0], here[1] + d[1], here[2] + d[2]]);
                    }
                }
            }
        }
        visit(&c);
    }
}
