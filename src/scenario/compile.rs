//! From the file as written ([`super::file`]) to a checked [`Scenario`] in internal units.
//!
//! Every check that can fail names the file, line, column and key (through
//! [`Source::error`]); names of phases, site kinds, species and domains are checked
//! against the potential and the geometry, with a suggestion for a near miss.

use std::ops::Range;
use std::path::Path;

use super::file::{self, ScenarioFile, ShapeFile};
use super::{
    Amount, FrameSchedule, Geometry, InitialChange, Observable, OutputPlan, Scenario,
    StopCondition, StopPlan, domain_names, relative_to,
};
use crate::error::{Error, Result};
use crate::input::{Quantity, QuantityText, Source, Spanned, closest};
use crate::lattice::assembly::{PlanarLattice, SubstrateLayout, SubstrateSpec};
use crate::lattice::shape::PointGroup;
use crate::lattice::{Assembly, DomainSpec, ParticleSpec, Segment, Shape, Tip, stacked_particle};
use crate::potential::{self, Phase, Potential};
use crate::program::{Program, RampSpeed, Schedule, Step, temperature_steps};
use crate::sites::{DomainId, KindId};
use crate::state::SpeciesId;
use crate::units::Dimension;

/// The highest temperature a program may reach [K]: far above every melting point, so
/// only a wrong unit or a typo gets there (e.g. `1e300 K`).
const MAX_TEMPERATURE: f64 = 1.0e5;

const IDENTITY: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

/// Reads and checks a scenario file and the potential it names.
///
/// # Errors
/// [`Error::Io`] if a file cannot be read, [`Error::Input`] naming file, line, column and
/// key for anything malformed or inconsistent.
pub fn read(path: &Path) -> Result<Scenario> {
    compile(Source::read(path)?)
}

/// Checks a scenario whose text is already in memory (its potential is read from disk,
/// relative to the scenario's path).
///
/// # Errors
/// As [`read`].
pub fn compile(source: Source) -> Result<Scenario> {
    let file: ScenarioFile = source.parse()?;
    let potential_path = relative_to(source.path(), file.scenario.potential.get_ref());
    let potential_source = Source::read(&potential_path).map_err(|e| match e {
        Error::Io { source: io, .. } => {
            let s = &file.scenario.potential;
            source.error(
                s.span(),
                "scenario.potential",
                format!(
                    "cannot read potential file {}: {io}",
                    potential_path.display()
                ),
            )
        }
        other => other,
    })?;
    compile_with(source, potential_path, &potential_source, &file)
}

/// Checks a scenario against a potential given as text (used to resume from a checkpoint,
/// which stores both texts).
///
/// # Errors
/// As [`read`].
pub fn compile_texts(source: Source, potential_source: &Source) -> Result<Scenario> {
    let file: ScenarioFile = source.parse()?;
    let potential_path = potential_source.path().to_path_buf();
    compile_with(source, potential_path, potential_source, &file)
}

fn compile_with(
    source: Source,
    potential_path: std::path::PathBuf,
    potential_source: &Source,
    file: &ScenarioFile,
) -> Result<Scenario> {
    let potential = potential::compile(potential_source)?;
    let c = Compiler {
        source: &source,
        potential: &potential,
    };
    let header = &file.scenario;
    let seed = u64::try_from(*header.seed.get_ref()).map_err(|_| {
        c.err(
            header.seed.span(),
            "scenario.seed",
            "the seed must be a non-negative integer",
        )
    })?;
    let replicas = match &header.replicas {
        None => 1,
        Some(r) => u32::try_from(*r.get_ref())
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| c.err(r.span(), "scenario.replicas", "must be an integer ≥ 1"))?,
    };
    if header.name.get_ref().trim().is_empty() {
        return Err(c.err(header.name.span(), "scenario.name", "must not be empty"));
    }
    let geometry = c.geometry(&file.geometry, seed)?;
    let domains = match &geometry {
        Geometry::Block { phase, .. } => vec![potential.phases[*phase].name.clone()],
        Geometry::Assembly { assembly, .. } => domain_names(assembly),
    };
    let initial = file
        .initial
        .iter()
        .enumerate()
        .map(|(i, x)| c.initial(i, x, &domains))
        .collect::<Result<Vec<_>>>()?;
    let (program, beam_windows) = c.program(&file.program)?;
    let stop = c.stop(&file.stop, &program, &domains)?;
    let output = c.output(file.output.as_ref(), &stop)?;
    let acceleration =
        super::accel::compile(&source, file.acceleration.as_ref(), &potential.model)?;
    let analysis = super::analysis::compile(&source, &file.analysis, &potential.model, &domains)?;
    Ok(Scenario {
        acceleration,
        analysis,
        name: header.name.get_ref().clone(),
        description: header.description.clone(),
        author: header.author.clone(),
        seed,
        replicas,
        potential_path,
        geometry,
        initial,
        program,
        stop,
        output,
        potential,
        source,
        max_memory: None,
        beam_windows,
    })
}

pub(super) struct Compiler<'a> {
    source: &'a Source,
    pub(super) potential: &'a Potential,
}

/// A name list for messages: `a`, `b`, `c`.
pub(super) fn listing<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Compiler<'_> {
    pub(super) fn err(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> Error {
        self.source.error(span, key, message)
    }

    /// The span of the header line of table `table` (`[table]`, or the `index`-th
    /// `[[table]]`), or of the file's start when the table is written inline.
    fn header(&self, table: &str, index: Option<usize>) -> Range<usize> {
        let text = self.source.text();
        let wanted = match index {
            None => format!("[{table}]"),
            Some(_) => format!("[[{table}]]"),
        };
        let mut seen = 0;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let trimmed = line.split('#').next().unwrap_or("").trim();
            let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
            if compact == wanted {
                if index.is_none_or(|i| i == seen) {
                    let start = offset + (line.len() - line.trim_start().len());
                    return start..start + trimmed.len();
                }
                seen += 1;
            }
            offset += line.len();
        }
        0..0
    }

    pub(super) fn quantity(&self, q: &Quantity, dimension: Dimension, key: &str) -> Result<f64> {
        self.source.quantity(q, dimension, key)
    }

    pub(super) fn positive_length(&self, q: &Quantity, key: &str) -> Result<f64> {
        let v = self.quantity(q, Dimension::Length, key)?;
        if v > 0.0 && v.is_finite() {
            Ok(v)
        } else {
            Err(self.err(q.span(), key, "must be a positive length"))
        }
    }

    pub(super) fn non_negative_length(&self, q: &Quantity, key: &str) -> Result<f64> {
        let v = self.quantity(q, Dimension::Length, key)?;
        if v >= 0.0 && v.is_finite() {
            Ok(v)
        } else {
            Err(self.err(q.span(), key, "must be a length ≥ 0"))
        }
    }

    pub(super) fn vector(&self, v: &[Quantity; 3], key: &str) -> Result<[f64; 3]> {
        let mut out = [0.0; 3];
        for (i, q) in v.iter().enumerate() {
            out[i] = self.quantity(q, Dimension::Length, &format!("{key}[{i}]"))?;
        }
        Ok(out)
    }

    /// A name that must be one of `names`; the error suggests the closest.
    fn lookup(
        &self,
        name: &Spanned<String>,
        key: &str,
        what: &str,
        names: &[&str],
    ) -> Result<usize> {
        names
            .iter()
            .position(|n| *n == name.get_ref())
            .ok_or_else(|| {
                let hint = closest(name.get_ref(), names)
                    .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
                self.err(
                    name.span(),
                    key,
                    format!(
                        "unknown {what} `{}` (the potential has {}){hint}",
                        name.get_ref(),
                        listing(names.iter().copied())
                    ),
                )
            })
    }

    pub(super) fn phase(&self, name: &Spanned<String>, key: &str) -> Result<&Phase> {
        let names: Vec<&str> = self
            .potential
            .phases
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let i = self.lookup(name, key, "phase", &names)?;
        Ok(&self.potential.phases[i])
    }

    fn species(&self, name: &Spanned<String>, key: &str) -> Result<SpeciesId> {
        let table = &self.potential.model.species;
        let names: Vec<&str> = table.iter().map(|(_, s)| s.name.as_str()).collect();
        let i = self.lookup(name, key, "species", &names)?;
        #[allow(clippy::cast_possible_truncation)]
        Ok(SpeciesId(i as u8))
    }

    pub(super) fn kind(&self, name: &Spanned<String>, key: &str) -> Result<KindId> {
        let names: Vec<&str> = self
            .potential
            .model
            .kinds
            .iter()
            .map(|k| k.name.as_str())
            .collect();
        let i = self.lookup(name, key, "site kind", &names)?;
        #[allow(clippy::cast_possible_truncation)]
        Ok(KindId(i as u16))
    }

    /// Domains matching `name`: a domain name (`particle/domain`), or a particle name
    /// (all its domains).
    fn domains(
        &self,
        name: &Spanned<String>,
        key: &str,
        domains: &[String],
    ) -> Result<Vec<DomainId>> {
        let wanted = name.get_ref();
        let prefix = format!("{wanted}/");
        #[allow(clippy::cast_possible_truncation)]
        let found: Vec<DomainId> = domains
            .iter()
            .enumerate()
            .filter(|(_, d)| *d == wanted || d.starts_with(&prefix))
            .map(|(i, _)| DomainId(i as u16))
            .collect();
        if found.is_empty() {
            let names: Vec<&str> = domains.iter().map(String::as_str).collect();
            let hint =
                closest(wanted, &names).map_or(String::new(), |s| format!("; did you mean `{s}`?"));
            return Err(self.err(
                name.span(),
                key,
                format!(
                    "no domain or particle `{wanted}` (domains: {}){hint}",
                    listing(names.iter().copied())
                ),
            ));
        }
        Ok(found)
    }

    pub(super) fn rotation(
        &self,
        r: Option<&file::Rotation>,
        at: &Range<usize>,
        key: &str,
    ) -> Result<[[f64; 3]; 3]> {
        let Some(r) = r else {
            return Ok(IDENTITY);
        };
        let matrix = match r {
            file::Rotation::Matrix(m) => *m,
            file::Rotation::Align { .. } | file::Rotation::Relation { .. } => {
                return Err(self.err(
                    at.clone(),
                    key,
                    "a plane and direction need a crystal: give them in a crystal's `rotation`",
                ));
            }
            file::Rotation::AxisAngle { axis, angle } => {
                let theta = self.angle(angle, at, &format!("{key}.angle"))?;
                let n = (axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]).sqrt();
                if !(n.is_finite() && n > 0.0) {
                    return Err(self.err(
                        at.clone(),
                        &format!("{key}.axis"),
                        "must be a non-zero vector",
                    ));
                }
                let [x, y, z] = [axis[0] / n, axis[1] / n, axis[2] / n];
                let (s, co) = theta.sin_cos();
                let t = 1.0 - co;
                [
                    [t * x * x + co, t * x * y - s * z, t * x * z + s * y],
                    [t * x * y + s * z, t * y * y + co, t * y * z - s * x],
                    [t * x * z - s * y, t * y * z + s * x, t * z * z + co],
                ]
            }
        };
        for i in 0..3 {
            for j in 0..3 {
                let d: f64 = (0..3).map(|k| matrix[i][k] * matrix[j][k]).sum();
                let expected = if i == j { 1.0 } else { 0.0 };
                if d.is_nan() || (d - expected).abs() > 1e-6 {
                    return Err(self.err(
                        at.clone(),
                        key,
                        "the rotation matrix must be orthonormal",
                    ));
                }
            }
        }
        Ok(matrix)
    }

    /// An angle: `"30 deg"`, `"30°"` or `"0.52 rad"` [rad]; errors at `at`.
    pub(super) fn angle(&self, text: &str, at: &Range<usize>, key: &str) -> Result<f64> {
        let bad = || {
            self.err(
                at.clone(),
                key,
                format!("`{text}`: expected an angle such as \"30 deg\" or \"0.5 rad\""),
            )
        };
        let t = text.trim();
        let (number, factor) =
            if let Some(n) = t.strip_suffix("deg").or_else(|| t.strip_suffix('°')) {
                (n, std::f64::consts::PI / 180.0)
            } else if let Some(n) = t.strip_suffix("rad") {
                (n, 1.0)
            } else {
                return Err(bad());
            };
        let v: f64 = number.trim().parse().map_err(|_| bad())?;
        if v.is_finite() {
            Ok(v * factor)
        } else {
            Err(bad())
        }
    }

    // one match arm per shape type, each short; splitting would scatter the key checks.
    #[allow(clippy::too_many_lines)]
    fn shape(&self, s: &ShapeFile, at: &Range<usize>, key: &str) -> Result<Shape> {
        let kind = s.kind.get_ref().as_str();
        let keys: &[&str] = match kind {
            "sphere" => &["radius"],
            "box" => &["size"],
            "hex_rod" => &["radius", "length", "tip"],
            "platelet" => &["radius", "thickness"],
            "polyhedron" => &["planes", "symmetry"],
            other => {
                let known = ["sphere", "box", "hex_rod", "platelet", "polyhedron"];
                let hint = closest(other, &known)
                    .map_or(String::new(), |h| format!("; did you mean `{h}`?"));
                return Err(self.err(
                    s.kind.span(),
                    &format!("{key}.type"),
                    format!(
                        "unknown shape `{other}` (known: {}){hint}",
                        listing(known.iter().copied())
                    ),
                ));
            }
        };
        let given = [
            ("radius", s.radius.is_some()),
            ("length", s.length.is_some()),
            ("thickness", s.thickness.is_some()),
            ("size", s.size.is_some()),
            ("tip", s.tip.is_some()),
            ("symmetry", s.symmetry.is_some()),
            ("planes", s.planes.is_some()),
        ];
        for (name, present) in given {
            if present && !keys.contains(&name) {
                return Err(self.err(
                    s.kind.span(),
                    &format!("{key}.{name}"),
                    format!(
                        "a `{kind}` does not take `{name}` (it takes {})",
                        listing(keys.iter().copied())
                    ),
                ));
            }
        }
        let need = |q: &Option<Quantity>, name: &str| -> Result<f64> {
            match q {
                Some(q) => self.positive_length(q, &format!("{key}.{name}")),
                None => Err(self.err(
                    s.kind.span(),
                    &format!("{key}.{name}"),
                    format!("a `{kind}` needs `{name}`"),
                )),
            }
        };
        let shape = match kind {
            "sphere" => Shape::Sphere {
                radius: need(&s.radius, "radius")?,
            },
            "box" => {
                let Some(size) = &s.size else {
                    return Err(self.err(
                        s.kind.span(),
                        &format!("{key}.size"),
                        "a `box` needs `size`",
                    ));
                };
                let mut out = [0.0; 3];
                for (i, q) in size.iter().enumerate() {
                    out[i] = self.positive_length(q, &format!("{key}.size[{i}]"))?;
                }
                Shape::Box { size: out }
            }
            "hex_rod" => {
                let tip = match &s.tip {
                    None => Tip::Flat,
                    Some(t) => match t.get_ref().as_str() {
                        "flat" => Tip::Flat,
                        "rounded" => Tip::Rounded,
                        other => {
                            return Err(self.err(
                                t.span(),
                                &format!("{key}.tip"),
                                format!("unknown tip `{other}` (expected `flat` or `rounded`)"),
                            ));
                        }
                    },
                };
                Shape::HexRod {
                    radius: need(&s.radius, "radius")?,
                    length: need(&s.length, "length")?,
                    tip,
                }
            }
            "platelet" => Shape::Platelet {
                radius: need(&s.radius, "radius")?,
                thickness: need(&s.thickness, "thickness")?,
            },
            _ => {
                let planes = s.planes.as_deref().unwrap_or(&[]);
                if planes.is_empty() {
                    return Err(self.err(
                        at.clone(),
                        &format!("{key}.planes"),
                        "needs at least one plane",
                    ));
                }
                let mut families = Vec::new();
                for (i, p) in planes.iter().enumerate() {
                    let d = self.quantity(
                        &p.distance,
                        Dimension::Length,
                        &format!("{key}.planes[{i}].distance"),
                    )?;
                    families.push((p.normal, d));
                }
                let group = match &s.symmetry {
                    None => None,
                    Some(name) => match name.get_ref().as_str() {
                        "none" => None,
                        "cubic" => Some(PointGroup::Cubic),
                        "hexagonal" => Some(PointGroup::Hexagonal),
                        other => {
                            return Err(self.err(
                                name.span(),
                                &format!("{key}.symmetry"),
                                format!("unknown symmetry `{other}` (expected `none`, `cubic` or `hexagonal`)"),
                            ));
                        }
                    },
                };
                let result = match group {
                    Some(g) => Shape::polyhedron_from_families(&families, g),
                    None => Ok(Shape::Polyhedron {
                        planes: families
                            .iter()
                            .map(|&(normal, distance)| crate::lattice::shape::Plane {
                                normal,
                                distance,
                            })
                            .collect(),
                    }),
                };
                result.map_err(|e| self.err(at.clone(), key, e.to_string()))?
            }
        };
        shape
            .validate()
            .map_err(|e| self.err(at.clone(), key, e.to_string()))?;
        Ok(shape)
    }

    pub(super) fn phase_domain(
        &self,
        phase: &Phase,
        at: Range<usize>,
        key: &str,
    ) -> Result<(crate::lattice::Crystal, Vec<KindId>, Vec<SpeciesId>)> {
        let crystal = phase
            .crystal()
            .map_err(|e| self.err(at.clone(), key, e.to_string()))?;
        let kinds = phase
            .basis_kinds(&crystal)
            .map_err(|e| self.err(at, key, e.to_string()))?;
        let fill = phase.basis_fill(&crystal);
        Ok((crystal, kinds, fill))
    }

    #[allow(clippy::too_many_lines)]
    fn geometry(&self, geo: &file::Geometry, seed: u64) -> Result<Geometry> {
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
                let (crystal, kinds, fill) =
                    self.phase_domain(phase, phase_name.span(), &format!("{key}.phase"))?;
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
                    let (crystal, kinds, fill) =
                        self.phase_domain(phase, sf.phase.span(), &format!("{skey}.phase"))?;
                    fills.push(fill);
                    let mut seg = Segment::new(
                        sf.name.get_ref().clone(),
                        crystal,
                        kinds,
                        self.positive_length(&sf.thickness, &format!("{skey}.thickness"))?,
                    );
                    let earlier: Vec<super::shaping::Placed<'_>> = segments
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
                    let (crystal, kinds, fill) =
                        self.phase_domain(phase, df.phase.span(), &format!("{dkey}.phase"))?;
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
                    let earlier: Vec<super::shaping::Placed<'_>> = domains
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
                None => super::DEFAULT_STOICHIOMETRY_TOLERANCE,
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

    fn initial(&self, i: usize, f: &file::Initial, domains: &[String]) -> Result<InitialChange> {
        let key = format!("initial[{i}]");
        let at = match self.header("initial", Some(i)) {
            r if r.end > 0 => r,
            _ => f.set.span(),
        };
        let to = self.species(&f.set, &format!("{key}.set"))?;
        let kind = match &f.kind {
            Some(k) => {
                let id = self.kind(k, &format!("{key}.kind"))?;
                if !to.is_vacancy() && !self.potential.model.kinds[id.index()].allowed.contains(to)
                {
                    return Err(self.err(
                        k.span(),
                        &format!("{key}.kind"),
                        format!(
                            "species `{}` is not allowed on site kind `{}`",
                            f.set.get_ref(),
                            k.get_ref()
                        ),
                    ));
                }
                Some(id)
            }
            None => None,
        };
        let from = match &f.species {
            Some(s) => Some(self.species(s, &format!("{key}.species"))?),
            None => None,
        };
        let doms = match &f.domain {
            Some(d) => Some(self.domains(d, &format!("{key}.domain"), domains)?),
            None => None,
        };
        let amount = match (&f.fraction, &f.count) {
            (Some(_), Some(_)) => {
                return Err(self.err(at.clone(), &key, "give `fraction` or `count`, not both"));
            }
            (None, None) => Amount::All,
            (Some(fr), None) => {
                let v = *fr.get_ref();
                if !(0.0..=1.0).contains(&v) {
                    return Err(self.err(
                        fr.span(),
                        &format!("{key}.fraction"),
                        "must lie in [0, 1]",
                    ));
                }
                Amount::Fraction(v)
            }
            (None, Some(c)) => Amount::Count(u64::try_from(*c.get_ref()).map_err(|_| {
                self.err(c.span(), &format!("{key}.count"), "must be an integer ≥ 0")
            })?),
        };
        Ok(InitialChange {
            domains: doms,
            kind,
            from,
            to,
            amount,
            key,
            location: self.source.location(at.start),
        })
    }

    fn temperature(&self, q: &Quantity, key: &str) -> Result<f64> {
        let t = self.quantity(q, Dimension::Temperature, key)?;
        if !(t > 0.0 && t.is_finite()) {
            Err(self.err(q.span(), key, "must be above 0 K"))
        } else if t > MAX_TEMPERATURE {
            Err(self.err(
                q.span(),
                key,
                format!(
                    "{t:.4e} K is above {MAX_TEMPERATURE:.0} K, where no crystal (and no lattice model) exists; check the unit"
                ),
            ))
        } else {
            Ok(t)
        }
    }

    fn duration(&self, q: &Quantity, key: &str) -> Result<f64> {
        let t = self.quantity(q, Dimension::Time, key)?;
        if t >= 0.0 && t.is_finite() {
            Ok(t)
        } else {
            Err(self.err(q.span(), key, "must be a time ≥ 0"))
        }
    }

    /// A heating rate such as `"10 K/min"` or `"5 C/s"` [K s⁻¹], > 0.
    fn heating_rate(&self, q: &Quantity, key: &str) -> Result<f64> {
        let bad = |m: &str| {
            self.err(
                q.span(),
                key,
                format!("{m}: expected a heating rate such as \"10 K/min\" or \"0.5 C/s\""),
            )
        };
        let QuantityText::Text(t) = q.get_ref() else {
            return Err(bad("a unit is required"));
        };
        let t = t.trim();
        let split = t
            .find(|c: char| c.is_alphabetic() || c == '°')
            .ok_or_else(|| bad("no unit"))?;
        let value: f64 = t[..split].trim().parse().map_err(|_| bad("not a number"))?;
        let unit = t[split..].trim();
        let (temp, time) = unit
            .split_once('/')
            .ok_or_else(|| bad("unit must be temperature/time"))?;
        if !matches!(temp.trim(), "K" | "C" | "°C" | "degC") {
            return Err(bad("temperature unit must be K or C"));
        }
        let per = crate::units::parse_quantity(&format!("1 {}", time.trim()), Dimension::Time)
            .map_err(|_| bad("unknown time unit"))?;
        let rate = value / per;
        if rate > 0.0 && rate.is_finite() {
            Ok(rate)
        } else {
            Err(bad("must be positive"))
        }
    }

    fn program(
        &self,
        pf: &file::ProgramFile,
    ) -> Result<(Program, Vec<crate::beam::report::WindowSummary>)> {
        let at = self.header("program", None);
        let temperature = if let Some(table) = &pf.temperature_table {
            if pf.temperature.is_some() || !pf.steps.is_empty() {
                return Err(self.err(
                    table.span(),
                    "program.temperature_table",
                    "give either `temperature` with `steps`, or `temperature_table`",
                ));
            }
            let mut points = Vec::new();
            for (i, [t, v]) in table.get_ref().iter().enumerate() {
                let time = self.duration(t, &format!("program.temperature_table[{i}][0]"))?;
                let temp = self.temperature(v, &format!("program.temperature_table[{i}][1]"))?;
                if let Some(&(last, _)) = points.last()
                    && time < last
                {
                    return Err(self.err(
                        t.span(),
                        &format!("program.temperature_table[{i}][0]"),
                        "times must not decrease (the table goes backwards in time)",
                    ));
                }
                points.push((time, temp));
            }
            if points.first().is_some_and(|p| p.0 != 0.0) {
                return Err(self.err(
                    table.span(),
                    "program.temperature_table",
                    "the table must start at time 0",
                ));
            }
            Schedule::from_points(points)
                .map_err(|e| self.err(table.span(), "program.temperature_table", e.to_string()))?
        } else {
            let Some(initial) = &pf.temperature else {
                return Err(self.err(
                    at.clone(),
                    "program.temperature",
                    "the program needs a starting `temperature` (or a `temperature_table`)",
                ));
            };
            let initial = self.temperature(initial, "program.temperature")?;
            let mut steps = Vec::new();
            for (i, s) in pf.steps.iter().enumerate() {
                let key = format!("program.steps[{i}]");
                let sf = s;
                // the step's first quantity (steps are often written inline, without a
                // `[[program.steps]]` header to point at).
                let sat = [&sf.hold, &sf.ramp_to, &sf.duration, &sf.rate]
                    .into_iter()
                    .flatten()
                    .map(Spanned::span)
                    .next()
                    .unwrap_or_else(|| self.header("program.steps", Some(i)));
                let step = match (&sf.hold, &sf.ramp_to) {
                    (Some(h), None) => {
                        if sf.rate.is_some() {
                            return Err(self.err(sat.clone(), &format!("{key}.rate"), "a hold takes a `duration`, not a `rate`"));
                        }
                        let Some(d) = &sf.duration else {
                            return Err(self.err(sat.clone(), &format!("{key}.duration"), "a hold needs a `duration`"));
                        };
                        Step::Hold {
                            temperature: self.temperature(h, &format!("{key}.hold"))?,
                            duration: self.duration(d, &format!("{key}.duration"))?,
                        }
                    }
                    (None, Some(to)) => {
                        let speed = match (&sf.rate, &sf.duration) {
                            (Some(r), None) => RampSpeed::Rate(self.heating_rate(r, &format!("{key}.rate"))?),
                            (None, Some(d)) => RampSpeed::Duration(self.duration(d, &format!("{key}.duration"))?),
                            _ => return Err(self.err(sat.clone(), &key, "a ramp needs exactly one of `rate` or `duration`")),
                        };
                        Step::Ramp { to: self.temperature(to, &format!("{key}.ramp_to"))?, speed }
                    }
                    _ => return Err(self.err(sat.clone(), &key, "a step is either `hold` (with `duration`) or `ramp_to` (with `rate` or `duration`)")),
                };
                steps.push(step);
            }
            temperature_steps(initial, &steps)
                .map_err(|e| self.err(at.clone(), "program.steps", e.to_string()))?
        };
        self.beam_program(pf, &temperature, at)
    }

    fn stop(&self, sf: &file::Stop, program: &Program, domains: &[String]) -> Result<StopPlan> {
        let at = self.header("stop", None);
        let mut time = match &sf.time {
            Some(q) => {
                let t = self.duration(q, "stop.time")?;
                if t <= 0.0 {
                    return Err(self.err(q.span(), "stop.time", "must be > 0"));
                }
                Some(t)
            }
            None => None,
        };
        if let Some(e) = &sf.end_of_program
            && *e.get_ref()
        {
            let end = program.end_time();
            if end <= 0.0 {
                return Err(self.err(
                    e.span(),
                    "stop.end_of_program",
                    "the program is constant: it has no end (give `stop.time`)",
                ));
            }
            time = Some(time.map_or(end, |t| t.min(end)));
        }
        let events = match &sf.events {
            Some(e) => Some(
                u64::try_from(*e.get_ref())
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| self.err(e.span(), "stop.events", "must be an integer ≥ 1"))?,
            ),
            None => None,
        };
        let mut conditions = Vec::new();
        for (i, w) in sf.when.iter().enumerate() {
            let key = format!("stop.when[{i}]");
            let wf = w;
            let species = self.species(&wf.species, &format!("{key}.species"))?;
            let doms = match &wf.domain {
                Some(d) => Some(self.domains(d, &format!("{key}.domain"), domains)?),
                None => None,
            };
            let at_most = u64::try_from(*wf.at_most.get_ref()).map_err(|_| {
                self.err(
                    wf.at_most.span(),
                    &format!("{key}.at_most"),
                    "must be an integer ≥ 0",
                )
            })?;
            let place = wf
                .domain
                .as_ref()
                .map_or(String::new(), |d| format!(" in {}", d.get_ref()));
            conditions.push(StopCondition {
                species,
                domains: doms,
                at_most,
                description: format!("{} ≤ {at_most}{place}", wf.species.get_ref()),
            });
        }
        if time.is_none() && events.is_none() && conditions.is_empty() {
            return Err(self.err(at, "stop", "the run would never stop: give `time`, `events`, `end_of_program = true` or a `when` condition"));
        }
        Ok(StopPlan {
            time,
            events,
            conditions,
        })
    }

    #[allow(clippy::too_many_lines)]
    fn output(&self, o: Option<&file::Output>, stop: &StopPlan) -> Result<OutputPlan> {
        let default_frames = |span: Range<usize>| -> Result<FrameSchedule> {
            match (stop.time, stop.events) {
                (Some(t), _) => Ok(FrameSchedule::Every(t / 100.0)),
                (None, Some(n)) => Ok(FrameSchedule::EveryEvents((n / 100).max(1))),
                (None, None) => Err(self.err(span, "output", "with only species conditions to stop, give a frame schedule (`every`, `every_events` or `log_spaced`)")),
            }
        };
        let Some(o) = o else {
            return Ok(OutputPlan {
                file: None,
                frames: default_frames(0..0)?,
                observables: Vec::new(),
            });
        };
        let of = o;
        let at = self.header("output", None);
        let given = [
            of.every.is_some(),
            of.every_events.is_some(),
            of.frames.is_some(),
            of.log_spaced.is_some(),
        ];
        if given.iter().filter(|&&g| g).count() > 1 {
            return Err(self.err(
                at.clone(),
                "output",
                "give at most one of `every`, `every_events`, `frames` and `log_spaced`",
            ));
        }
        let frames = if let Some(q) = &of.every {
            let dt = self.duration(q, "output.every")?;
            if dt <= 0.0 {
                return Err(self.err(q.span(), "output.every", "must be > 0"));
            }
            FrameSchedule::Every(dt)
        } else if let Some(n) = &of.every_events {
            FrameSchedule::EveryEvents(
                u64::try_from(*n.get_ref())
                    .ok()
                    .filter(|&v| v > 0)
                    .ok_or_else(|| {
                        self.err(n.span(), "output.every_events", "must be an integer ≥ 1")
                    })?,
            )
        } else if let Some(n) = &of.frames {
            let count = u32::try_from(*n.get_ref())
                .ok()
                .filter(|&v| v > 0)
                .ok_or_else(|| self.err(n.span(), "output.frames", "must be an integer ≥ 1"))?;
            let Some(t) = stop.time else {
                return Err(self.err(
                    n.span(),
                    "output.frames",
                    "spreading frames over the run needs `stop.time` or `stop.end_of_program`",
                ));
            };
            FrameSchedule::Every(t / f64::from(count))
        } else if let Some(l) = &of.log_spaced {
            let lf = l;
            let first = self.duration(&lf.first, "output.log_spaced.first")?;
            if first <= 0.0 {
                return Err(self.err(lf.first.span(), "output.log_spaced.first", "must be > 0"));
            }
            let per_decade = u32::try_from(*lf.per_decade.get_ref())
                .ok()
                .filter(|&v| v > 0)
                .ok_or_else(|| {
                    self.err(
                        lf.per_decade.span(),
                        "output.log_spaced.per_decade",
                        "must be an integer ≥ 1",
                    )
                })?;
            FrameSchedule::LogSpaced { first, per_decade }
        } else {
            default_frames(at.clone())?
        };
        let mut observables = Vec::new();
        if let Some(list) = &of.observables {
            let names: Vec<&str> = Observable::ALL.iter().map(|(n, _)| *n).collect();
            for name in list.get_ref() {
                let Some((_, obs)) = Observable::ALL.iter().find(|(n, _)| n == name) else {
                    let hint = closest(name, &names)
                        .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
                    return Err(self.err(
                        list.span(),
                        "output.observables",
                        format!(
                            "unknown observable `{name}` (known: {}){hint}",
                            listing(names.iter().copied())
                        ),
                    ));
                };
                if !observables.contains(obs) {
                    observables.push(*obs);
                }
            }
        }
        let file = match &of.file {
            Some(f) if f.get_ref().trim().is_empty() => {
                return Err(self.err(f.span(), "output.file", "must not be empty"));
            }
            Some(f) => Some(std::path::PathBuf::from(f.get_ref())),
            None => None,
        };
        Ok(OutputPlan {
            file,
            frames,
            observables,
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
