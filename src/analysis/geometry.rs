//! Shared tools of the observables: the minimum-image convention of the box, a bit set
//! over sites, and the connected components of a set of sites along one neighbour shell
//! (breadth-first, in site order, so that components and their members come out in the
//! same order on every machine).

use nalgebra::{Matrix3, Vector3};

use crate::sites::{ShellId, SimulationBox, SiteGraph, SiteId};

/// The minimum-image convention of a box: a displacement is shifted by whole edge vectors
/// along the periodic axes so that its fractional coordinates lie in [−½, ½).
#[derive(Debug, Clone)]
pub struct MinImage {
    /// Edge vectors as columns [Å].
    edges: Matrix3<f64>,
    /// Their inverse (fractional coordinates of a displacement).
    inverse: Matrix3<f64>,
    periodic: [bool; 3],
}

impl MinImage {
    /// The convention of `b`. A box whose edges are singular (only possible along open axes)
    /// gets no shifting.
    #[must_use]
    pub fn new(b: &SimulationBox) -> Self {
        let edges = Matrix3::from_fn(|i, j| b.edges[j][i]);
        match edges.try_inverse() {
            Some(inverse) => Self {
                edges,
                inverse,
                periodic: b.periodic,
            },
            None => Self {
                edges,
                inverse: Matrix3::zeros(),
                periodic: [false; 3],
            },
        }
    }

    /// True when no axis is periodic (displacements are returned unchanged).
    #[must_use]
    pub fn is_open(&self) -> bool {
        !self.periodic.iter().any(|&p| p)
    }

    /// Fractional coordinates of `p` (relative to the origin of the edges' frame, not of
    /// the box; only differences and wrapping matter to the callers).
    #[must_use]
    pub fn fractional(&self, p: [f64; 3]) -> [f64; 3] {
        let f = self.inverse * Vector3::from(p);
        [f[0], f[1], f[2]]
    }

    /// Whether axis `a` is periodic.
    #[must_use]
    pub fn periodic(&self, a: usize) -> bool {
        self.periodic[a]
    }

    /// Distance between the opposite faces of the box along each axis [Å]
    /// (volume / area of the face), infinite for a singular box.
    #[must_use]
    pub fn widths(&self) -> [f64; 3] {
        let e = |j: usize| Vector3::new(self.edges[(0, j)], self.edges[(1, j)], self.edges[(2, j)]);
        let volume = self.edges.determinant().abs();
        let mut w = [f64::INFINITY; 3];
        for (a, width) in w.iter_mut().enumerate() {
            let area = e((a + 1) % 3).cross(&e((a + 2) % 3)).norm();
            if volume > 0.0 && area > 0.0 {
                *width = volume / area;
            }
        }
        w
    }

    /// An upper bound of any distance between two sites' positions inside the box, and of
    /// any minimum-image distance [Å]: the sum of the edge lengths.
    #[must_use]
    pub fn span(&self) -> f64 {
        (0..3)
            .map(|j| {
                (0..3)
                    .map(|i| self.edges[(i, j)].powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .sum()
    }

    /// The minimum image of the displacement `d` [Å].
    #[must_use]
    pub fn apply(&self, d: [f64; 3]) -> [f64; 3] {
        if self.is_open() {
            return d;
        }
        // shift by whole edge vectors along the periodic axes only.
        let f = self.inverse * Vector3::from(d);
        let mut out = d;
        for a in 0..3 {
            if self.periodic[a] {
                let n = f[a].round();
                for (i, x) in out.iter_mut().enumerate() {
                    *x -= n * self.edges[(i, a)];
                }
            }
        }
        out
    }
}

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
/// neighbours along `shell`, in order of each component's lowest site. `outside(site)`
/// marks non-member neighbours that make a component "touch the border" (e.g. sites out of
/// the analysed region); missing neighbours (a site at the edge of an open box or of the
/// site set) always do.
pub fn for_each_component(
    graph: &SiteGraph,
    shell: ShellId,
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
        visit(&c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_image_wraps_periodic_axes_only() {
        let b = SimulationBox {
            origin: [0.0; 3],
            edges: [[10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]],
            periodic: [true, true, false],
        };
        let m = MinImage::new(&b);
        let d = m.apply([9.0, -6.0, 9.0]);
        assert!((d[0] + 1.0).abs() < 1e-12, "{d:?}");
        assert!((d[1] - 4.0).abs() < 1e-12, "{d:?}");
        assert!((d[2] - 9.0).abs() < 1e-12, "{d:?}");
    }
}
