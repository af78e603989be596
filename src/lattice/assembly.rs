//! Assemblies: crystals cut by shapes into domains, domains grouped into particles, an
//! optional substrate layer, all turned into one [`SiteList`].
//!
//! # Pipeline
//! 1. Each [`DomainSpec`] enumerates the lattice points of its crystal that cover the
//!    bounding box of its shape. Points inside the shape are *inside* sites (atoms of the
//!    initial particle); points within `margin` outside it are kept as vacant *margin* sites
//!    (surface adatom positions).
//! 2. Inside sites are accepted domain by domain, in list order: a point belongs to the
//!    first domain whose shape contains it, and a point closer than `min_separation` to a
//!    site of another domain is dropped (lattice mismatch at interfaces).
//! 3. Substrate sites are placed (an error if they come closer than `min_separation` to a
//!    particle: the caller chooses the gap).
//! 4. Margin sites are accepted last: dropped inside any other domain's shape, closer than
//!    `min_separation` to a site of another domain, or below the substrate plane.
//! 5. Sites are emitted particle by particle, domain by domain, in lattice enumeration order
//!    (cell index `n0` slowest, then `n1`, `n2`, then basis index), then the substrate.
//!
//! Proximity checks use a kiddo k-d tree.
//!
//! [`periodic_crystal`] is the separate, lean path for a periodic block of crystal (the
//! SPPARKS-style benchmark); it produces 10⁶ sites without any tree.
//!
//! # Extending
//! New particle morphologies are functions returning a [`ParticleSpec`] (like
//! [`stacked_particle`]; substrate layouts live in [`super::substrate`].

use kiddo::SquaredEuclidean;
use kiddo::immutable::float::kdtree::ImmutableKdTree;

use super::crystal::Crystal;
use super::domain::Candidate;
pub use super::domain::DomainSpec;
pub use super::periodic::periodic_crystal;
pub use super::stacked::{Segment, stacked_particle};
pub use super::substrate::{PlanarLattice, SubstrateLayout, SubstrateSpec};
use crate::error::{Error, Result};
use crate::sites::{DomainId, KindId, SimulationBox};

/// Sites with their kinds, domains and roles: the input of
/// [`crate::sites::neighbors::build_graph`]. All vectors have one entry per site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteList {
    /// Positions [Å].
    pub positions: Vec<[f64; 3]>,
    /// Site kind of each site.
    pub kinds: Vec<KindId>,
    /// Domain of each site.
    pub domains: Vec<DomainId>,
    /// True for sites inside their domain's shape (initially occupied), false for margin
    /// sites (initially vacant surface positions).
    pub inside: Vec<bool>,
    /// Basis index of the site within its domain's crystal (0 for substrate sites).
    pub roles: Vec<u16>,
    /// Domain names, indexed by [`DomainId`].
    pub domain_names: Vec<String>,
    /// The simulation box.
    pub simulation_box: SimulationBox,
}

impl SiteList {
    /// Number of sites.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// True when there is no site.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }
}

/// The identity rotation.
pub(crate) const IDENTITY: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

pub(crate) fn check_kinds(context: &str, crystal: &Crystal, kinds: &[KindId]) -> Result<()> {
    if kinds.len() == crystal.basis.len() {
        Ok(())
    } else {
        Err(Error::build(
            context,
            format!(
                "{} kinds given for a basis of {} sites (one kind per basis site)",
                kinds.len(),
                crystal.basis.len()
            ),
        ))
    }
}

/// A particle: domains in priority order (a point belongs to the first domain containing it).
#[derive(Debug, Clone, PartialEq)]
pub struct ParticleSpec {
    /// Particle name.
    pub name: String,
    /// Its domains.
    pub domains: Vec<DomainSpec>,
}

/// The full system: particles at offsets [Å], an optional substrate, and the box.
#[derive(Debug, Clone, PartialEq)]
pub struct Assembly {
    /// Particles and the offset added to all their positions [Å].
    pub particles: Vec<(ParticleSpec, [f64; 3])>,
    /// Optional substrate layer (below the particles).
    pub substrate: Option<SubstrateSpec>,
    /// Space added on each side of the sites along open axes [Å].
    pub box_padding: f64,
    /// Periodic axes. x and y may be periodic only with a substrate, whose extent is then the
    /// box; z is never periodic.
    pub periodic: [bool; 3],
    /// Smallest distance between sites of different domains [Å] (e.g. 0.8 × the shortest
    /// bond); closer sites are dropped as described in the module documentation.
    pub min_separation: f64,
    /// Adsorption layers ([`super::adsorption`]), placed after everything else.
    pub adlayers: Vec<super::adsorption::AdlayerSpec>,
}

/// A domain being placed: its candidates and which of them are accepted.
struct Placed<'a> {
    name: String,
    spec: &'a DomainSpec,
    offset: [f64; 3],
    candidates: Vec<Candidate>,
    accepted: Vec<bool>,
}

/// A kiddo k-d tree over placed sites, remembering each site's domain.
struct PlacedTree {
    tree: Option<ImmutableKdTree<f64, u32, 3, 32>>,
    domains: Vec<u16>,
}

impl PlacedTree {
    fn new(positions: &[[f64; 3]], domains: &[u16]) -> Self {
        Self {
            tree: (!positions.is_empty()).then(|| ImmutableKdTree::new_from_slice(positions)),
            domains: domains.to_vec(),
        }
    }

    /// True when a site of a domain other than `domain` lies within `radius` of `p`.
    fn near_other(&self, p: [f64; 3], domain: u16, radius: f64) -> bool {
        let Some(tree) = &self.tree else {
            return false;
        };
        if radius <= 0.0 {
            return false;
        }
        tree.within_unsorted::<SquaredEuclidean>(&p, radius * radius)
            .iter()
            .any(|n| self.domains[n.item as usize] != domain)
    }
}

impl Assembly {
    /// Builds the site list (see the module documentation for the rules and the order).
    ///
    /// # Errors
    /// On invalid parameters, an unbounded or empty shape, a domain left without sites,
    /// substrate sites closer than `min_separation` to a particle, sites outside the box
    /// along periodic axes, or more than 65535 domains.
    #[allow(clippy::too_many_lines)]
    pub fn build(&self) -> Result<SiteList> {
        let context = "assembly";
        if !(self.box_padding.is_finite() && self.box_padding >= 0.0) {
            return Err(Error::build(context, "box_padding must be finite and >= 0"));
        }
        if !(self.min_separation.is_finite() && self.min_separation >= 0.0) {
            return Err(Error::build(
                context,
                "min_separation must be finite and >= 0",
            ));
        }
        if self.periodic[2] {
            return Err(Error::build(context, "z cannot be periodic"));
        }
        if (self.periodic[0] || self.periodic[1]) && self.substrate.is_none() {
            return Err(Error::build(
                context,
                "periodic x or y needs a substrate, whose extent sets the box",
            ));
        }

        // Stage 1: candidates of every domain.
        let mut domains: Vec<Placed> = Vec::new();
        for (particle, offset) in &self.particles {
            if offset.iter().any(|x| !x.is_finite()) {
                return Err(Error::build(
                    context,
                    format!("particle `{}` offset must be finite", particle.name),
                ));
            }
            for spec in &particle.domains {
                let name = format!("{}/{}", particle.name, spec.name);
                let dcontext = format!("domain `{name}`");
                spec.validate(&dcontext)?;
                let candidates = spec.candidates(*offset, &dcontext)?;
                let accepted = vec![false; candidates.len()];
                domains.push(Placed {
                    name,
                    spec,
                    offset: *offset,
                    candidates,
                    accepted,
                });
            }
        }
        let n_domains = domains.len() + usize::from(self.substrate.is_some());
        if n_domains > usize::from(u16::MAX) {
            return Err(Error::build(context, "more than 65535 domains"));
        }
        let in_domain_shape = |d: &Placed, p: [f64; 3]| {
            d.spec.shape.contains([
                p[0] - d.offset[0] - d.spec.center[0],
                p[1] - d.offset[1] - d.spec.center[1],
                p[2] - d.offset[2] - d.spec.center[2],
            ])
        };
        let mut placed_positions: Vec<[f64; 3]> = Vec::new();
        let mut placed_domains: Vec<u16> = Vec::new();

        // Stage 2: inside sites, first domain wins, no cross-domain contacts.
        for d in 0..domains.len() {
            let tree = PlacedTree::new(&placed_positions, &placed_domains);
            let id = u16::try_from(d).unwrap_or(u16::MAX);
            let (earlier, rest) = domains.split_at_mut(d);
            let current = &mut rest[0];
            for (c, accepted) in current.candidates.iter().zip(current.accepted.iter_mut()) {
                if !c.inside
                    || earlier.iter().any(|e| in_domain_shape(e, c.position))
                    || tree.near_other(c.position, id, self.min_separation)
                {
                    continue;
                }
                *accepted = true;
                placed_positions.push(c.position);
                placed_domains.push(id);
            }
            if !current.accepted.iter().any(|&a| a) {
                return Err(Error::build(
                    format!("domain `{}`", current.name),
                    "has no sites: its shape is too small or covered by earlier domains",
                ));
            }
        }

        // Stage 3: the substrate.
        let substrate_id = u16::try_from(domains.len()).unwrap_or(u16::MAX);
        let mut substrate_sites: Vec<[f64; 3]> = Vec::new();
        if let Some(s) = &self.substrate {
            let tree = PlacedTree::new(&placed_positions, &placed_domains);
            for [x, y] in s.sites([self.periodic[0], self.periodic[1]])? {
                let p = [x, y, s.z];
                if tree.near_other(p, substrate_id, self.min_separation) {
                    return Err(Error::build(
                        format!("substrate `{}`", s.name),
                        format!(
                            "site at {p:?} is closer than min_separation to a particle: raise the particles"
                        ),
                    ));
                }
                substrate_sites.push(p);
            }
            placed_positions.extend_from_slice(&substrate_sites);
            placed_domains.resize(placed_positions.len(), substrate_id);
        }

        // Stage 4: margin sites.
        let floor = self.substrate.as_ref().map(|s| s.z + self.min_separation);
        for d in 0..domains.len() {
            let tree = PlacedTree::new(&placed_positions, &placed_domains);
            let id = u16::try_from(d).unwrap_or(u16::MAX);
            let mut accepted = std::mem::take(&mut domains[d].accepted);
            for (c, a) in domains[d].candidates.iter().zip(accepted.iter_mut()) {
                if c.inside
                    || floor.is_some_and(|f| c.position[2] < f)
                    || domains
                        .iter()
                        .enumerate()
                        .any(|(e, other)| e != d && in_domain_shape(other, c.position))
                    || tree.near_other(c.position, id, self.min_separation)
                {
                    continue;
                }
                *a = true;
                placed_positions.push(c.position);
                placed_domains.push(id);
            }
            domains[d].accepted = accepted;
        }
        drop(placed_positions);
        drop(placed_domains);

        // Stage 5: emit in order.
        let mut list = SiteList {
            positions: Vec::new(),
            kinds: Vec::new(),
            domains: Vec::new(),
            inside: Vec::new(),
            roles: Vec::new(),
            domain_names: Vec::new(),
            simulation_box: SimulationBox {
                origin: [0.0; 3],
                edges: [[0.0; 3]; 3],
                periodic: self.periodic,
            },
        };
        for (d, placed) in domains.iter().enumerate() {
            let id = DomainId(u16::try_from(d).unwrap_or(u16::MAX));
            list.domain_names.push(placed.name.clone());
            for (c, _) in placed
                .candidates
                .iter()
                .zip(&placed.accepted)
                .filter(|(_, a)| **a)
            {
                list.positions.push(c.position);
                list.kinds.push(placed.spec.kinds[usize::from(c.role)]);
                list.domains.push(id);
                list.inside.push(c.inside);
                list.roles.push(c.role);
            }
        }
        if let Some(s) = &self.substrate {
            list.domain_names.push(s.name.clone());
            for p in substrate_sites {
                list.positions.push(p);
                list.kinds.push(s.kind);
                list.domains.push(DomainId(substrate_id));
                list.inside.push(true);
                list.roles.push(0);
            }
        }
        if u32::try_from(list.len()).is_err() {
            return Err(Error::build(context, "more than 4294967295 sites"));
        }
        if list.is_empty() {
            return Err(Error::build(context, "no sites"));
        }
        super::adsorption::add_layers(
            &mut list,
            &self.particles,
            self.substrate.as_ref(),
            self.min_separation,
            &self.adlayers,
        )?;
        if u32::try_from(list.len()).is_err() {
            return Err(Error::build(context, "more than 4294967295 sites"));
        }

        // The box: bounding box plus padding on open axes, substrate extent on periodic ones.
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for p in &list.positions {
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        let mut origin = [0.0; 3];
        let mut edges = [[0.0; 3]; 3];
        for k in 0..3 {
            if self.periodic[k] {
                let extent = self.substrate.as_ref().map_or(0.0, |s| s.extent[k]);
                origin[k] = -0.5 * extent;
                edges[k][k] = extent;
                if lo[k] < origin[k] - 1e-9 || hi[k] >= origin[k] + extent {
                    return Err(Error::build(
                        context,
                        format!(
                            "sites extend beyond the periodic box along axis {k}: enlarge the substrate"
                        ),
                    ));
                }
            } else {
                origin[k] = lo[k] - self.box_padding;
                edges[k][k] = hi[k] - lo[k] + 2.0 * self.box_padding;
            }
        }
        list.simulation_box.origin = origin;
        list.simulation_box.edges = edges;
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lattice::shape::Shape;
    use crate::lattice::shape::Tip;

    #[test]
    fn periodic_crystal_fcc_l14_has_10976_sites() {
        let c = Crystal::fcc(4.0).unwrap();
        let list = periodic_crystal(&c, [14; 3], &[KindId(0); 4], "bulk").unwrap();
        assert_eq!(list.len(), 10_976);
        assert!((list.simulation_box.edges[2][2] - 56.0).abs() < 1e-12);
        assert!(periodic_crystal(&c, [0, 1, 1], &[KindId(0); 4], "bulk").is_err());
        assert!(periodic_crystal(&c, [1, 1, 1], &[KindId(0); 3], "bulk").is_err());
    }

    #[test]
    fn sphere_site_count_matches_volume() {
        let a = 4.078;
        let c = Crystal::fcc(a).unwrap();
        let radius = 30.0;
        let domain = DomainSpec::new("au", c, vec![KindId(0); 4], Shape::Sphere { radius });
        let assembly = Assembly {
            particles: vec![(
                ParticleSpec {
                    name: "p".into(),
                    domains: vec![domain],
                },
                [0.0; 3],
            )],
            substrate: None,
            box_padding: 5.0,
            periodic: [false; 3],
            min_separation: 2.0,
            adlayers: Vec::new(),
        };
        let list = assembly.build().unwrap();
        let expected = 4.0 / 3.0 * std::f64::consts::PI * radius.powi(3) / (a * a * a / 4.0);
        #[allow(clippy::cast_precision_loss)]
        let ratio = list.len() as f64 / expected;
        assert!((ratio - 1.0).abs() < 0.03, "ratio {ratio}");
    }

    fn sandwich(margin: f64) -> ParticleSpec {
        let cdse = Crystal::wurtzite(4.299, 7.01, 0.375).unwrap();
        let cu3p = Crystal::cu3p(6.959, 7.143).unwrap();
        let cdse_kinds = vec![
            KindId(0),
            KindId(0),
            KindId(1),
            KindId(1),
            KindId(2),
            KindId(2),
            KindId(3),
            KindId(3),
        ];
        let cu3p_kinds: Vec<KindId> = cu3p
            .basis
            .iter()
            .map(|b| if b.role == "p" { KindId(4) } else { KindId(5) })
            .collect();
        let section = Shape::HexRod {
            radius: 15.0,
            length: 60.0,
            tip: Tip::Flat,
        };
        stacked_particle(
            "sandwich",
            &section,
            vec![
                Segment::new("cdse_bottom", cdse.clone(), cdse_kinds.clone(), 20.0),
                Segment::new("cu3p", cu3p, cu3p_kinds, 20.0),
                Segment::new("cdse_top", cdse, cdse_kinds, 20.0),
            ],
            margin,
        )
        .unwrap()
    }

    #[test]
    fn stacked_particle_domains_all_get_sites_and_stay_apart() {
        let min_separation = 1.5;
        let assembly = Assembly {
            particles: vec![(sandwich(3.0), [0.0; 3])],
            substrate: None,
            box_padding: 5.0,
            periodic: [false; 3],
            min_separation,
            adlayers: Vec::new(),
        };
        let list = assembly.build().unwrap();
        assert_eq!(
            list.domain_names,
            vec!["sandwich/cdse_bottom", "sandwich/cu3p", "sandwich/cdse_top"]
        );
        for d in 0..3 {
            let inside = (0..list.len())
                .filter(|&i| list.domains[i].index() == d && list.inside[i])
                .count();
            let margin = (0..list.len())
                .filter(|&i| list.domains[i].index() == d && !list.inside[i])
                .count();
            assert!(
                inside > 100 && margin > 10,
                "domain {d}: {inside} inside, {margin} margin"
            );
        }
        let tree: ImmutableKdTree<f64, u32, 3, 32> =
            ImmutableKdTree::new_from_slice(&list.positions);
        for (i, p) in list.positions.iter().enumerate() {
            for n in
                tree.within_unsorted::<SquaredEuclidean>(p, min_separation * min_separation * 0.999)
            {
                let j = n.item as usize;
                assert!(
                    j == i || list.domains[j] == list.domains[i],
                    "sites {i} and {j} too close"
                );
            }
        }
    }

    #[test]
    fn assembly_unbounded_shape_or_bad_rotation_is_rejected() {
        let c = Crystal::fcc(4.0).unwrap();
        let build = |domain: DomainSpec| {
            Assembly {
                particles: vec![(
                    ParticleSpec {
                        name: "p".into(),
                        domains: vec![domain],
                    },
                    [0.0; 3],
                )],
                substrate: None,
                box_padding: 1.0,
                periodic: [false; 3],
                min_separation: 1.0,
                adlayers: Vec::new(),
            }
            .build()
        };
        let slab = DomainSpec::new(
            "d",
            c.clone(),
            vec![KindId(0); 4],
            Shape::Slab { thickness: 5.0 },
        );
        assert!(build(slab).is_err());
        let mut skew = DomainSpec::new("d", c, vec![KindId(0); 4], Shape::Sphere { radius: 5.0 });
        skew.rotation = [[1.0, 0.1, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        assert!(build(skew.clone()).is_err());
        skew.rotation = IDENTITY;
        skew.margin = 2.0;
        let list = build(skew).unwrap();
        assert!(list.inside.iter().any(|i| !i) && list.inside.iter().any(|i| *i));
    }

    #[test]
    fn assembly_particle_on_periodic_substrate_builds() {
        let substrate = SubstrateSpec {
            name: "carbon".into(),
            kind: KindId(6),
            z: -33.0,
            extent: [60.0, 60.0 * 0.5 * 3f64.sqrt()],
            layout: SubstrateLayout::Regular {
                spacing: 2.5,
                lattice: PlanarLattice::Triangular,
            },
        };
        let assembly = Assembly {
            particles: vec![(sandwich(2.0), [0.0; 3])],
            substrate: Some(substrate),
            box_padding: 5.0,
            periodic: [true, true, false],
            min_separation: 1.5,
            adlayers: Vec::new(),
        };
        let list = assembly.build().unwrap();
        assert_eq!(list.domain_names.len(), 4);
        assert_eq!(
            list.domains.iter().filter(|d| d.index() == 3).count(),
            24 * 24
        );
        assert!(list.positions.iter().all(|p| p[2] >= -33.0));
    }
}
