//! Where an observable looks: a set of domains, a set of site kinds and a geometric shape
//! (box, slab, spherical shell), all optional; a site belongs to the region when it passes
//! every filter that is given.

use crate::sites::{DomainId, KindId, SiteGraph, SiteId};

/// The centre of a spherical shell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Center {
    /// A fixed point [Å].
    Point([f64; 3]),
    /// The centroid of all atoms of the frame (every non-vacancy site, weight 1).
    Atoms,
}

/// A geometric filter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RegionShape {
    /// An axis-aligned box `min ≤ r < max` [Å].
    Box {
        /// Lower corner [Å].
        min: [f64; 3],
        /// Upper corner [Å].
        max: [f64; 3],
    },
    /// The sites whose distance along the unit `normal` from the origin lies in
    /// `[from, to)` [Å].
    Slab {
        /// Unit normal.
        normal: [f64; 3],
        /// Lower bound [Å].
        from: f64,
        /// Upper bound [Å].
        to: f64,
    },
    /// The sites at a distance in `[inner, outer)` from `center` [Å] (a sphere when
    /// `inner = 0`, a radial bin otherwise).
    Shell {
        /// The centre.
        center: Center,
        /// Inner radius [Å].
        inner: f64,
        /// Outer radius [Å].
        outer: f64,
    },
}

/// A region of sites. The default (no filter) is every site.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Region {
    /// Domains the sites must lie in (`None`: any).
    pub domains: Option<Vec<DomainId>>,
    /// Kinds the sites must have (`None`: any).
    pub kinds: Option<Vec<KindId>>,
    /// Geometric filter (`None`: none).
    pub shape: Option<RegionShape>,
}

/// A region resolved for one frame (the centre of a shell fixed), cheap to test per site.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    region: &'a Region,
    center: Option<[f64; 3]>,
}

impl RegionShape {
    /// Whether the point `p` [Å] lies in the shape; a shell about the atoms' centroid
    /// (`Center::Atoms`) contains nothing here (resolve it per frame with [`Region::resolve`]).
    #[must_use]
    pub fn contains_point(&self, p: [f64; 3]) -> bool {
        match *self {
            Self::Shell {
                center: Center::Atoms,
                ..
            } => false,
            Self::Shell {
                center: Center::Point(c),
                inner,
                outer,
            } => within_shell(p, c, inner, outer),
            shape => within(shape, p),
        }
    }
}

/// Box and slab test (a shell is resolved by its caller).
fn within(shape: RegionShape, p: [f64; 3]) -> bool {
    match shape {
        RegionShape::Box { min, max } => (0..3).all(|a| p[a] >= min[a] && p[a] < max[a]),
        RegionShape::Slab { normal, from, to } => {
            let x = p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2];
            x >= from && x < to
        }
        RegionShape::Shell { .. } => false,
    }
}

fn within_shell(p: [f64; 3], c: [f64; 3], inner: f64, outer: f64) -> bool {
    let d2 = (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) + (p[2] - c[2]).powi(2);
    d2 >= inner * inner && d2 < outer * outer
}

impl Region {
    /// True when the region has no filter at all.
    #[must_use]
    pub fn is_everything(&self) -> bool {
        self.domains.is_none() && self.kinds.is_none() && self.shape.is_none()
    }

    /// The region for a frame whose atom centroid is `centroid` (`None`: no atom, so a shell
    /// about the atoms is empty).
    #[must_use]
    pub fn resolve(&self, centroid: impl FnOnce() -> Option<[f64; 3]>) -> Resolved<'_> {
        let center = match self.shape {
            Some(RegionShape::Shell {
                center: Center::Atoms,
                ..
            }) => centroid(),
            Some(RegionShape::Shell {
                center: Center::Point(p),
                ..
            }) => Some(p),
            _ => None,
        };
        Resolved {
            region: self,
            center,
        }
    }
}

impl Resolved<'_> {
    /// Whether `site` belongs to the region.
    #[inline]
    #[must_use]
    pub fn contains(&self, graph: &SiteGraph, site: SiteId) -> bool {
        let r = self.region;
        if let Some(d) = &r.domains
            && !d.contains(&graph.domain(site))
        {
            return false;
        }
        if let Some(k) = &r.kinds
            && !k.contains(&graph.kind(site))
        {
            return false;
        }
        let Some(shape) = r.shape else {
            return true;
        };
        let p = graph.position(site);
        match shape {
            RegionShape::Shell { inner, outer, .. } => self
                .center
                .is_some_and(|c| within_shell(p, c, inner, outer)),
            _ => within(shape, p),
        }
    }
}
