//! From the file as written ([`super::file`]) to a checked [`Scenario`] in internal units.
//!
//! Every check that can fail names the file, line, column and key (through
//! [`Source::error`]); names of phases, site kinds, species and domains are checked
//! against the potential and the geometry, with a suggestion for a near miss.

mod geometry;
mod program;

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
use crate::program::{Program, RampSpeed, Schedule, Step, temperature_steps_with_ends};
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
    let (program, beam_windows, step_ends) = c.program(&file.program)?;
    let stop = c.stop(&file.stop, &program, &domains)?;
    let output = c.output(file.output.as_ref(), &stop)?;
    let acceleration =
        super::accel::compile(&source, file.acceleration.as_ref(), &potential.model)?;
    let cells = super::geometry_cells(&geometry, &potential);
    let analysis =
        super::analysis::compile(&source, &file.analysis, &potential.model, &domains, &cells)?;
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
        step_ends,
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

    /// [`Self::phase_domain`] of a domain (segment, one-phase particle) at key `key`, with
    /// its `kinds` table `map` applied ([`Self::domain_kinds`]).
    pub(super) fn phase_domain_with_kinds(
        &self,
        phase: &Phase,
        at: Range<usize>,
        map: Option<&file::KindsTable>,
        key: &str,
    ) -> Result<(crate::lattice::Crystal, Vec<KindId>, Vec<SpeciesId>)> {
        let (crystal, kinds, fill) = self.phase_domain(phase, at, &format!("{key}.phase"))?;
        let kinds = self.domain_kinds(&crystal, kinds, &fill, map, &format!("{key}.kinds"))?;
        Ok((crystal, kinds, fill))
    }

    /// A domain's (segment's, one-phase particle's) `kinds` (role → site kind), if any: the
    /// kinds of its basis sites with those kinds in place of the phase's `roles`, so that
    /// sites of one phase can take their own energies, barriers and filters in one domain
    /// (a rod's tip domains, say). Each role must be one of the crystal's and each kind
    /// must allow the species that fills it.
    fn domain_kinds(
        &self,
        crystal: &crate::lattice::Crystal,
        mut kinds: Vec<KindId>,
        fill: &[SpeciesId],
        map: Option<&file::KindsTable>,
        key: &str,
    ) -> Result<Vec<KindId>> {
        let Some(map) = map else {
            return Ok(kinds);
        };
        let roles = crystal.roles();
        for (role, kind) in map.get_ref() {
            let rkey = format!("{key}.{role}");
            if !roles.contains(&role.as_str()) {
                return Err(self.err(
                    map.span(),
                    &rkey,
                    format!(
                        "the domain's crystal has no role `{role}` (roles: {})",
                        roles.join(", ")
                    ),
                ));
            }
            let id = self.kind(kind, &rkey)?;
            let allowed = &self.potential.model.kinds[id.index()].allowed;
            for (b, site) in crystal.basis.iter().enumerate() {
                if site.role != *role {
                    continue;
                }
                let f = fill.get(b).copied().unwrap_or(SpeciesId::VACANCY);
                if !f.is_vacancy() && !allowed.contains(f) {
                    return Err(self.err(
                        kind.span(),
                        &rkey,
                        format!(
                            "site kind `{}` does not allow `{}`, which fills role `{role}` in this phase",
                            kind.get_ref(),
                            self.potential.model.species.name(f)
                        ),
                    ));
                }
                kinds[b] = id;
            }
        }
        Ok(kinds)
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
        let region = match &f.region {
            None => None,
            Some(r) => {
                let shape = super::region::shape(self.source, r, &format!("{key}.region"))?;
                if let crate::analysis::RegionShape::Shell {
                    center: crate::analysis::Center::Atoms,
                    ..
                } = shape
                {
                    return Err(self.err(
                        r.span(),
                        &format!("{key}.region.center"),
                        "a `shell` region of an initial change needs `center` (there are no atoms to take the centroid of yet)",
                    ));
                }
                Some(shape)
            }
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
            region,
            amount,
            key,
            location: self.source.location(at.start),
        })
    }
}
