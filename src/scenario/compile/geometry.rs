//! Compiling `[geometry]` (particles, domains, shapes, boundary) and `[substrate]`.

use super::{
    Assembly, Compiler, Dimension, DomainSpec, Geometry, ParticleSpec, PlanarLattice, Result,
    Segment, SubstrateLayout, SubstrateSpec, file, stacked_particle,
};

impl Compiler<'_> {
    #[allow(clippy::too_many_lines)]
    pub(super) fn geometry(&self, geo: &file::Geometry, seed: u64) -> Result<Geometry> {
        let at = self.header("geometry", None);
        let periodic = match &geo.boundary {
            None => None,
            Some(b) => {
                if b.get_ref().len() != 3 {
                    return Err(self.err(
                        b.span(),
                        "geometry.boundary",
                        "expected three entries (x, y, z), each \"periodic\" or \"open\"",
                    ));
                }
                let mut out = [false; 3];
                for (i, v) in b.get_ref().iter().enumerate() {
                    out[i] = match v.as_str() {
                        "periodic" => true,
                        "open" => false,
                        other => {
                            return Err(self.err(
                                b.span(),
                                "geometry.boundary",
                                format!("`{other}`: expected \"periodic\" or \"open\""),
                            ));
                        }
                    };
                }
                Some((out, b.span()))
            }
        };
        if let Some(block) = &geo.block {
            if !geo.particles.is_empty() || geo.substrate.is_some() {
                return Err(self.err(
                    self.header("geometry.block", None),
                    "geometry.block",
                    "a periodic block cannot be combined with particles or a substrate",
                ));
            }
            if let Some((p, span)) = &periodic
                && *p != [true; 3]
            {
                return Err(self.err(
                    span.clone(),
                    "geometry.boundary",
                    "a periodic block is periodic along x, y and z",
                ));
            }
            let b = block;
            let phase = self.phase(&b.phase, "geometry.block.phase")?;
            let index = self
                .potential
                .phases
                .iter()
                .position(|p| p.name == phase.name)
                .unwrap_or(0);
            let cells = b.cells.get_ref();
            if cells.len() != 3 || cells.iter().any(|&n| n < 1) {
                return Err(self.err(
                    b.cells.span(),
                    "geometry.block.cells",
                    "expected three integers ≥ 1",
                ));
            }
            let c = |i: usize| usize::try_from(cells[i]).unwrap_or(1);
            self.phase_domain(phase, b.phase.span(), "geometry.block.phase")?;
            return Ok(Geometry::Block {
                phase: index,
                cells: [c(0), c(1), c(2)],
            });
        }
        if geo.particles.is_empty() && geo.substrate.is_none() {
            return Err(self.err(
                at,
                "geometry",
                "needs a `block`, or `particles` and/or a `substrate`",
            ));
        }
        let mut particles = Vec::new();
        let mut fills = Vec::new();
        let mut adlayers = Vec::new();
        let mut trim: Vec<bool> = Vec::new();
        let mut shortest_bond = f64::INFINITY;
        for (i, p) in geo.particles.iter().enumerate() {
            let key = format!("geometry.particles[{i}]");
            let pf = p;
            let pat = self.header("geometry.particles", Some(i));
            let name = pf.name.get_ref().clone();
            if name.is_empty() || name.contains('/') {
                return Err(self.err(
                    pf.name.span(),
                    &format!("{key}.name"),
                    "must be non-empty and without `/`",
                ));
            }
            if particles
                .iter()
                .any(|(q, _): &(ParticleSpec, [f64; 3])| q.name == name)
            {
                return Err(self.err(
                    pf.name.span(),
                    &format!("{key}.name"),
                    format!("particle `{name}` is declared twice"),
                ));
            }
            let center = match &pf.center {
                Some(c) => self.vector(c, &format!("{key}.center"))?,
                None => [0.0; 3],
            };
            let margin = match &pf.margin {
                Some(m) => self.non_negative_length(m, &format!("{key}.margin"))?,
                None => 0.0,
            };
            let forms = [
                pf.phase.is_some(),
                pf.cross_section.is_some(),
                !pf.domains.is_empty(),
            ];
            if forms.iter().filter(|&&f| f).count() != 1 {
                return Err(self.err(
                    pat.clone(),
                    &key,
                    "give exactly one of: `phase` with `shape` (one domain), `cross_section` with `segments` (a stack), or `domains`",
                ));
            }
            let spec = if let Some(phase_name) = &pf.phase {
                let phase = self.phase(phase_name, &format!("{key}.phase"))?;
                let Some(shape) = &pf.shape else {
                    return Err(self.err(
                        pat.clone(),
                        &format!("{key}.shape"),
                        "a particle with `phase` needs a `shape`",
                    ));
                };
                let shape = self.shape(shape, &pat, &format!("{key}.shape"))?;
                let (crystal, kinds, fill) = self.phase_domain_with_kinds(
                    phase,
                    phase_name.span(),
                    pf.kinds.as_ref(),
                    &key,
                )?;
                fills.push(fill);
                let mut d = DomainSpec::new(phase.name.clone(), crystal, kinds, shape);
                d.rotation = self.crystal_rotation(
                    pf.rotation.as_ref(),
                    &d.crystal,
                    &[],
                    &pat,
                    &format!("{key}.rotation"),
                )?;
                d.margin = margin;
                ParticleSpec {
                    name,
                    domains: vec![d],
                }
            } else if let Some(k) = &pf.kinds {
                return Err(self.err(
                    k.span(),
                    &format!("{key}.kinds"),
                    "a particle's own `kinds` is for a one-phase particle (`phase` with `shape`); give `kinds` per segment or domain",
                ));
            } else if let Some(cross) = &pf.cross_section {
                if pf.segments.is_empty() {
                    return Err(self.err(
                        pat.clone(),
                        &format!("{key}.segments"),
                        "a stacked particle needs `segments`",
                    ));
                }
                if pf.shape.is_some() || pf.rotation.is_some() {
                    return Err(self.err(pat.clone(), &key, "a stacked particle takes `cross_section` and per-segment `rotation`, not `shape` or `rotation`"));
                }
                let cross = self.shape(cross, &pat, &format!("{key}.cross_section"))?;
                let mut segments = Vec::new();
                for (j, s) in pf.segments.iter().enumerate() {
                    let skey = format!("{key}.segments[{j}]");
                    let sf = s;
                    let phase = self.phase(&sf.phase, &format!("{skey}.phase"))?;
                    let (crystal, kinds, fill) = self.phase_domain_with_kinds(
                        phase,
                        sf.phase.span(),
                        sf.kinds.as_ref(),
                        &skey,
                    )?;
                    fills.push(fill);
                    let mut seg = Segment::new(
                        sf.name.get_ref().clone(),
                        crystal,
                        kinds,
                        self.positive_length(&sf.thickness, &format!("{skey}.thickness"))?,
                    );
                    let earlier: Vec<crate::scenario::shaping::Placed<'_>> = segments
                        .iter()
                        .map(|g: &Segment| (g.name.as_str(), &g.crystal, g.rotation))
                        .collect();
                    seg.rotation = self.crystal_rotation(
                        sf.rotation.as_ref(),
                        &seg.crystal,
                        &earlier,
                        &pat,
                        &format!("{skey}.rotation"),
                    )?;
                    segments.push(seg);
                }
                stacked_particle(&name, &cross, segments, margin)
                    .map_err(|e| self.err(pat.clone(), &key, e.to_string()))?
            } else {
                if pf.shape.is_some() || pf.rotation.is_some() {
                    return Err(self.err(
                        pat.clone(),
                        &key,
                        "a particle with `domains` takes shapes and rotations per domain",
                    ));
                }
                let mut domains = Vec::new();
                for (j, d) in pf.domains.iter().enumerate() {
                    let dkey = format!("{key}.domains[{j}]");
                    let df = d;
                    let phase = self.phase(&df.phase, &format!("{dkey}.phase"))?;
                    let (crystal, kinds, fill) = self.phase_domain_with_kinds(
                        phase,
                        df.phase.span(),
                        df.kinds.as_ref(),
                        &dkey,
                    )?;
                    fills.push(fill);
                    let shape = self.shape(&df.shape, &pat, &format!("{dkey}.shape"))?;
                    let mut spec =
                        DomainSpec::new(df.name.get_ref().clone(), crystal, kinds, shape);
                    if let Some(c) = &df.center {
                        spec.center = self.vector(c, &format!("{dkey}.center"))?;
                    }
                    if let Some(o) = &df.lattice_origin {
                        spec.lattice_origin = self.vector(o, &format!("{dkey}.lattice_origin"))?;
                    }
                    let earlier: Vec<crate::scenario::shaping::Placed<'_>> = domains
                        .iter()
                        .map(|g: &DomainSpec| (g.name.as_str(), &g.crystal, g.rotation))
                        .collect();
                    spec.rotation = self.crystal_rotation(
                        df.rotation.as_ref(),
                        &spec.crystal,
                        &earlier,
                        &pat,
                        &format!("{dkey}.rotation"),
                    )?;
                    spec.margin = margin;
                    domains.push(spec);
                }
                ParticleSpec { name, domains }
            };
            let mut spec = spec;
            let substrate_name = geo
                .substrate
                .as_ref()
                .map(|s| s.name.as_deref().unwrap_or("substrate"));
            let stoichiometric =
                self.particle_extras(pf, i, &pat, &mut spec, substrate_name, &mut adlayers)?;
            trim.extend(std::iter::repeat_n(stoichiometric, spec.domains.len()));
            for d in &spec.domains {
                shortest_bond = shortest_bond.min(shortest_distance(&d.crystal));
            }
            particles.push((spec, center));
        }
        let substrate = match &geo.substrate {
            None => None,
            Some(s) => Some(self.substrate(s, seed)?),
        };
        let periodic = match periodic {
            None => [false; 3],
            Some((p, span)) => {
                if p[2] {
                    return Err(self.err(
                        span,
                        "geometry.boundary",
                        "z cannot be periodic (particles sit on a substrate in the x–y plane)",
                    ));
                }
                if (p[0] || p[1]) && substrate.is_none() {
                    return Err(self.err(
                        span,
                        "geometry.boundary",
                        "periodic x or y needs a substrate, whose extent sets the box",
                    ));
                }
                p
            }
        };
        let padding = match &geo.padding {
            Some(q) => self.non_negative_length(q, "geometry.padding")?,
            None => 5.0,
        };
        let min_separation = match &geo.min_separation {
            Some(q) => self.non_negative_length(q, "geometry.min_separation")?,
            None if shortest_bond.is_finite() => 0.8 * shortest_bond,
            None => 0.0,
        };
        Ok(Geometry::Assembly {
            assembly: Box::new(Assembly {
                particles,
                substrate,
                box_padding: padding,
                periodic,
                min_separation,
                adlayers,
            }),
            fills,
            trim,
            stoichiometry_tolerance: match &geo.stoichiometry_tolerance {
                None => crate::scenario::DEFAULT_STOICHIOMETRY_TOLERANCE,
                Some(t) if t.get_ref().is_finite() && *t.get_ref() >= 0.0 => *t.get_ref(),
                Some(t) => {
                    return Err(self.err(
                        t.span(),
                        "geometry.stoichiometry_tolerance",
                        "must be a finite fraction ≥ 0 (e.g. 0.02 for 2 %)",
                    ));
                }
            },
        })
    }

    fn substrate(&self, sf: &file::Substrate, seed: u64) -> Result<SubstrateSpec> {
        let key = "geometry.substrate";
        let at = self.header(key, None);
        let kind = self.kind(&sf.kind, &format!("{key}.kind"))?;
        let z = self.quantity(&sf.z, Dimension::Length, &format!("{key}.z"))?;
        let extent = [
            self.positive_length(&sf.extent[0], &format!("{key}.extent[0]"))?,
            self.positive_length(&sf.extent[1], &format!("{key}.extent[1]"))?,
        ];
        let spacing = self.positive_length(&sf.spacing, &format!("{key}.spacing"))?;
        let layout = match sf.layout.get_ref().as_str() {
            "square" => SubstrateLayout::Regular {
                spacing,
                lattice: PlanarLattice::Square,
            },
            "triangular" => SubstrateLayout::Regular {
                spacing,
                lattice: PlanarLattice::Triangular,
            },
            "amorphous" => {
                let Some(m) = &sf.min_distance else {
                    return Err(self.err(
                        at.clone(),
                        &format!("{key}.min_distance"),
                        "an amorphous substrate needs `min_distance`",
                    ));
                };
                let substrate_seed = match &sf.seed {
                    None => seed,
                    Some(v) => u64::try_from(*v.get_ref()).map_err(|_| {
                        self.err(
                            v.span(),
                            &format!("{key}.seed"),
                            "must be a non-negative integer",
                        )
                    })?,
                };
                SubstrateLayout::Amorphous {
                    mean_spacing: spacing,
                    min_distance: self.positive_length(m, &format!("{key}.min_distance"))?,
                    seed: substrate_seed,
                }
            }
            other => {
                return Err(self.err(
                    sf.layout.span(),
                    &format!("{key}.layout"),
                    format!(
                        "unknown layout `{other}` (expected `square`, `triangular` or `amorphous`)"
                    ),
                ));
            }
        };
        if !matches!(layout, SubstrateLayout::Amorphous { .. }) && sf.min_distance.is_some() {
            return Err(self.err(
                at.clone(),
                &format!("{key}.min_distance"),
                "only an amorphous substrate takes `min_distance`",
            ));
        }
        if !matches!(layout, SubstrateLayout::Amorphous { .. }) && sf.seed.is_some() {
            return Err(self.err(
                at.clone(),
                &format!("{key}.seed"),
                "only an amorphous substrate takes `seed`",
            ));
        }

        Ok(SubstrateSpec {
            name: sf.name.clone().unwrap_or_else(|| "substrate".into()),
            kind,
            z,
            extent,
            layout,
        })
    }
}

/// The shortest distance between two sites of `crystal` [Å] (over the basis and the
/// neighbouring cells).
fn shortest_distance(crystal: &crate::lattice::Crystal) -> f64 {
    let mut best = f64::INFINITY;
    for a in &crystal.basis {
        for b in &crystal.basis {
            for i in -1i32..=1 {
                for j in -1i32..=1 {
                    for k in -1i32..=1 {
                        let f = [
                            b.frac[0] + f64::from(i) - a.frac[0],
                            b.frac[1] + f64::from(j) - a.frac[1],
                            b.frac[2] + f64::from(k) - a.frac[2],
                        ];
                        let d = crystal.cartesian(f);
                        let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
                        if r > 1e-9 {
                            best = best.min(r);
                        }
                    }
                }
            }
        }
    }
    best
}
