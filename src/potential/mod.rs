//! Potential files: the physics of a material system as data (`potentials/*.toml`).
//!
//! A potential file declares the species, the crystal phases (lattice constants and which
//! site kind each basis role becomes), the site kinds and the species allowed on them, the
//! neighbour shells, the energy parameters and the event rules, every dimensional number
//! with its unit and, by convention, a `source` string saying where it comes from. The
//! format is documented key by key in `potentials/README.md`.
//!
//! [`read`] parses a file and compiles it into a validated [`Potential`]: a
//! [`crate::model::Model`] plus the phase definitions the lattice builders need. Every
//! error names the file, the line and column, and the key.

mod beam;
mod cluster;
mod events;
mod file;
mod rules;

use std::path::Path;

mod custom;
pub use custom::cell_from_parameters;

use crate::error::{Error, Result};
use crate::input::{Quantity, Source, Spanned};
use crate::lattice::{Crystal, SiteList};
use crate::model::{
    Action, BarrierRule, Condition, CoordinationTerm, EnergyParams, Model, RateLaw, Rule,
    SaddleTerm, ShellPair, ShellSpec, SiteKind, SiteMatch, SpeciesSet,
};
use file::{EventType, FileBarrierRule, FileEvent, FilePhase, FilePotential};

use crate::sites::SiteGraph;
use crate::sites::neighbors::build_graph;
use crate::sites::{KindId, ShellId};
use crate::state::{Species, SpeciesId, SpeciesTable};
use crate::units::Dimension;

/// Structure names known to [`Phase::crystal`] (`custom`: the crystal is written in the
/// file, see `custom.rs`).
pub const STRUCTURES: [&str; 10] = [
    "custom",
    "fcc",
    "bcc",
    "simple_cubic",
    "hcp",
    "wurtzite",
    "zinc_blende",
    "antifluorite",
    "cu3p",
    "pnma_a2bx4",
];

/// True when structure `structure` needs lattice parameter `name`.
fn structure_needs(structure: &str, name: &str) -> bool {
    match name {
        "a" => true,
        "c" => matches!(structure, "hcp" | "wurtzite" | "cu3p" | "pnma_a2bx4"),
        "u" => structure == "wurtzite",
        "b" => structure == "pnma_a2bx4",
        _ => false,
    }
}

/// A crystal phase: a structure name, its lattice constants [Å] (and internal parameters)
/// and the site kind of each basis role.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    /// Phase name, e.g. `CdSe_wz`.
    pub name: String,
    /// Structure builder name: `fcc`, `bcc`, `simple_cubic`, `hcp`, `wurtzite`,
    /// `zinc_blende`, `antifluorite`, `cu3p`, `pnma_a2bx4`.
    pub structure: String,
    /// Lattice constants and internal parameters by name (`a`, `b`, `c` [Å], `u` [1]).
    pub parameters: Vec<(String, f64)>,
    /// Basis role → site kind.
    pub roles: Vec<(String, KindId)>,
    /// Basis role → species on the sites of that role inside a particle (the ideal
    /// crystal); roles not listed are vacant.
    pub fill: Vec<(String, SpeciesId)>,
    /// The crystal of a `structure = "custom"` phase, as written in the file.
    pub custom: Option<Crystal>,
}

impl Phase {
    /// Builds the crystal of this phase with its lattice constants.
    ///
    /// # Errors
    /// If the structure name is unknown, a required parameter (`a`, `c`, `u`, `b`) is
    /// missing, or the builder rejects the values.
    pub fn crystal(&self) -> Result<Crystal> {
        let full = self.full_crystal()?;
        // Optional (interstitial) roles of a built-in structure exist only when mapped.
        let unmapped: Vec<String> = crate::lattice::crystal::optional_roles(&self.structure)
            .iter()
            .filter(|r| !self.roles.iter().any(|(m, _)| m == *r))
            .map(|r| (*r).to_string())
            .collect();
        Ok(full.without_roles(&unmapped))
    }

    /// The crystal of this phase with every role of its structure, the optional
    /// interstitial roles of the built-in builders included.
    ///
    /// # Errors
    /// As [`Self::crystal`].
    pub fn full_crystal(&self) -> Result<Crystal> {
        if let Some(c) = &self.custom {
            return Ok(c.clone());
        }
        let context = format!("phase `{}`", self.name);
        let need = |name: &str| {
            self.parameter(name).ok_or_else(|| {
                Error::build(
                    &context,
                    format!("structure `{}` needs parameter `{name}`", self.structure),
                )
            })
        };
        match self.structure.as_str() {
            "fcc" => Crystal::fcc(need("a")?),
            "bcc" => Crystal::bcc(need("a")?),
            "simple_cubic" => Crystal::simple_cubic(need("a")?),
            "hcp" => Crystal::hcp(need("a")?, need("c")?),
            "wurtzite" => Crystal::wurtzite(need("a")?, need("c")?, need("u")?),
            "zinc_blende" => Crystal::zinc_blende(need("a")?),
            "antifluorite" => Crystal::antifluorite(need("a")?),
            "cu3p" => Crystal::cu3p(need("a")?, need("c")?),
            "pnma_a2bx4" => Crystal::pnma_a2bx4(need("a")?, need("b")?, need("c")?),
            other => Err(Error::build(
                context,
                format!(
                    "unknown structure `{other}` (known: {})",
                    STRUCTURES.join(", ")
                ),
            )),
        }
    }

    /// The site kind of every basis site of `crystal` (built by [`Self::crystal`]), in
    /// basis order.
    ///
    /// # Errors
    /// If a basis role has no site kind in `roles`.
    pub fn basis_kinds(&self, crystal: &Crystal) -> Result<Vec<KindId>> {
        crystal
            .basis
            .iter()
            .map(|b| {
                self.roles
                    .iter()
                    .find(|(r, _)| *r == b.role)
                    .map(|(_, k)| *k)
                    .ok_or_else(|| {
                        Error::build(
                            format!("phase `{}`", self.name),
                            format!(
                                "basis role `{}` of structure `{}` has no site kind in `roles` (roles of this structure: {})",
                                b.role,
                                self.structure,
                                crystal.roles().join(", ")
                            ),
                        )
                    })
            })
            .collect()
    }

    /// The species filling every basis site of `crystal` in the ideal crystal (vacancy for
    /// roles not in `fill`), in basis order.
    #[must_use]
    pub fn basis_fill(&self, crystal: &Crystal) -> Vec<SpeciesId> {
        crystal
            .basis
            .iter()
            .map(|b| {
                self.fill
                    .iter()
                    .find(|(r, _)| *r == b.role)
                    .map_or(SpeciesId::VACANCY, |(_, s)| *s)
            })
            .collect()
    }

    /// A parameter by name.
    #[must_use]
    pub fn parameter(&self, name: &str) -> Option<f64> {
        self.parameters
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }
}

/// A compiled potential: the model and the phases.
#[derive(Debug, Clone, PartialEq)]
pub struct Potential {
    /// The model the engine runs.
    pub model: Model,
    /// Crystal phases for the lattice builders.
    pub phases: Vec<Phase>,
    /// Free-text description of the model from `[model]`.
    pub description: String,
    /// Where the model's numbers come from, from `[model]`.
    pub source: String,
    /// The file's text, kept for self-describing output.
    pub text: String,
    /// The `[beam]` data (knock-on targets, radiolysis, heating), if given.
    pub beam: Option<crate::beam::BeamData>,
}

impl Potential {
    /// Builds the site graph of `sites` with this potential's shells and site kinds.
    ///
    /// # Errors
    /// As [`crate::sites::neighbors::build_graph`].
    pub fn build_graph(&self, sites: SiteList) -> Result<SiteGraph> {
        let kind_names = self.model.kinds.iter().map(|k| k.name.clone()).collect();
        build_graph(sites, &self.model.shells, kind_names)
    }

    /// A phase by name.
    #[must_use]
    pub fn phase(&self, name: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.name == name)
    }
}

/// Reads and compiles a potential file.
///
/// # Errors
/// [`crate::Error::Io`] if the file cannot be read; [`crate::Error::Input`] naming file,
/// line, column and key for malformed TOML, unknown or misspelt keys, wrong types, missing
/// units, unknown species/kinds/shells, and inconsistent rules.
pub fn read(path: &Path) -> Result<Potential> {
    let source = Source::read(path)?;
    compile(&source)
}

/// Compiles a potential from an already loaded source.
///
/// # Errors
/// As [`read`].
pub fn compile(source: &Source) -> Result<Potential> {
    let file: FilePotential = source.parse()?;
    Compiler { source }.compile(&file)
}

struct Compiler<'a> {
    source: &'a Source,
}

impl Compiler<'_> {
    fn species(
        &self,
        table: &SpeciesTable,
        name: &Spanned<String>,
        key: &str,
    ) -> Result<SpeciesId> {
        table.find(name.get_ref()).ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(_, s)| s.name.as_str()).collect();
            let hint = crate::input::closest(name.get_ref(), &names)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            self.source.error(
                name.span(),
                key,
                format!(
                    "unknown species `{}` (declared: {}){hint}",
                    name.get_ref(),
                    names.join(", ")
                ),
            )
        })
    }

    fn find(
        &self,
        names: &[String],
        name: &Spanned<String>,
        key: &str,
        what: &str,
    ) -> Result<usize> {
        names
            .iter()
            .position(|n| n == name.get_ref())
            .ok_or_else(|| {
                let list: Vec<&str> = names.iter().map(String::as_str).collect();
                let hint = crate::input::closest(name.get_ref(), &list)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                self.source.error(
                    name.span(),
                    key,
                    format!(
                        "unknown {what} `{}` (declared: {}){hint}",
                        name.get_ref(),
                        list.join(", ")
                    ),
                )
            })
    }

    #[allow(clippy::too_many_lines)]
    fn compile(&self, file: &FilePotential) -> Result<Potential> {
        let src = self.source;
        // species
        let mut species = Vec::new();
        for (i, s) in file.species.iter().enumerate() {
            let key = format!("species[{i}]");
            if s.name.get_ref() == "Vac"
                || file.species[..i]
                    .iter()
                    .any(|o| o.name.get_ref() == s.name.get_ref())
            {
                return Err(src.error(
                    s.name.span(),
                    format!("{key}.name"),
                    format!(
                        "species name `{}` is empty, reserved or repeated",
                        s.name.get_ref()
                    ),
                ));
            }
            let mass = match &s.mass {
                Some(q) => src.quantity(q, Dimension::Mass, &format!("{key}.mass"))?,
                None => 0.0,
            };
            species.push(Species {
                name: s.name.get_ref().clone(),
                element: s
                    .element
                    .clone()
                    .unwrap_or_else(|| s.name.get_ref().clone()),
                mass,
            });
        }
        let table = SpeciesTable::new(species).map_err(|e| {
            let span = file.species.first().map_or(0..0, |s| s.name.span());
            src.error(span, "species", e.to_string())
        })?;

        // site kinds
        let kind_names: Vec<String> = file
            .site_kinds
            .iter()
            .map(|k| k.name.get_ref().clone())
            .collect();
        let mut kinds = Vec::new();
        for (i, k) in file.site_kinds.iter().enumerate() {
            if kind_names[..i].contains(k.name.get_ref()) {
                return Err(src.error(
                    k.name.span(),
                    format!("site_kinds[{i}].name"),
                    "site kind declared twice",
                ));
            }
            let mut allowed = SpeciesSet::EMPTY;
            allowed.insert(SpeciesId::VACANCY);
            for a in &k.allowed {
                allowed.insert(self.species(&table, a, &format!("site_kinds[{i}].allowed"))?);
            }
            kinds.push(SiteKind {
                name: k.name.get_ref().clone(),
                allowed,
            });
        }
        let kind_id = |i: usize| KindId(u16::try_from(i).unwrap_or(u16::MAX));

        // shells
        let shell_names: Vec<String> = file
            .shells
            .iter()
            .map(|s| s.name.get_ref().clone())
            .collect();
        let mut shells = Vec::new();
        for (i, s) in file.shells.iter().enumerate() {
            if shell_names[..i].contains(s.name.get_ref()) {
                return Err(src.error(
                    s.name.span(),
                    format!("shells[{i}].name"),
                    "shell declared twice",
                ));
            }
            let mut pairs = Vec::new();
            for (j, p) in s.pairs.iter().enumerate() {
                let key = format!("shells[{i}].pairs[{j}]");
                let [a, b] = p.kinds.get_ref();
                let find_kind = |n: &String| {
                    kind_names.iter().position(|k| k == n).ok_or_else(|| {
                        src.error(
                            p.kinds.span(),
                            format!("{key}.kinds"),
                            format!(
                                "unknown site kind `{n}` (declared: {})",
                                kind_names.join(", ")
                            ),
                        )
                    })
                };
                let (a, b) = (find_kind(a)?, find_kind(b)?);
                let min = match &p.min {
                    Some(q) => src.quantity(q, Dimension::Length, &format!("{key}.min"))?,
                    None => 0.0,
                };
                let max = src.quantity(&p.max, Dimension::Length, &format!("{key}.max"))?;
                if !(max > min && min >= 0.0) {
                    return Err(src.error(
                        p.max.span(),
                        format!("{key}.max"),
                        format!("need 0 ≤ min < max, got min = {min} Å, max = {max} Å"),
                    ));
                }
                pairs.push(ShellPair {
                    kinds: (kind_id(a), kind_id(b)),
                    min,
                    max,
                });
            }
            shells.push(ShellSpec {
                name: s.name.get_ref().clone(),
                pairs,
            });
        }
        if shells.len() > 255 {
            return Err(src.file_error("shells", "at most 255 shells"));
        }
        let shell_id = |i: usize| ShellId(u8::try_from(i).unwrap_or(u8::MAX));

        // phases
        let mut phases = Vec::new();
        for (i, p) in file.phases.iter().enumerate() {
            let key = format!("phases[{i}]");
            let custom_crystal = if p.structure.get_ref() == "custom" {
                Some(custom::crystal(src, p, &key)?)
            } else {
                if let Some(k) = custom::custom_key(p) {
                    return Err(src.error(
                        p.structure.span(),
                        format!("{key}.{k}"),
                        format!("only structure = \"custom\" takes `{k}`"),
                    ));
                }
                None
            };
            let mut parameters = Vec::new();
            for (name, q, dim) in [
                ("a", &p.a, Dimension::Length),
                ("b", &p.b, Dimension::Length),
                ("c", &p.c, Dimension::Length),
                ("u", &p.u, Dimension::Dimensionless),
            ] {
                if let Some(q) = q {
                    parameters.push((
                        name.to_string(),
                        src.quantity(q, dim, &format!("{key}.{name}"))?,
                    ));
                }
            }
            let mut roles = Vec::new();
            for (role, kind) in p.roles.get_ref() {
                let Some(kind) = kind.as_str() else {
                    return Err(src.error(
                        p.roles.span(),
                        format!("{key}.roles.{role}"),
                        "expected a site kind name",
                    ));
                };
                let Some(k) = kind_names.iter().position(|n| n == kind) else {
                    return Err(src.error(
                        p.roles.span(),
                        format!("{key}.roles.{role}"),
                        format!(
                            "unknown site kind `{kind}` (declared: {})",
                            kind_names.join(", ")
                        ),
                    ));
                };
                roles.push((role.clone(), kind_id(k)));
            }
            let mut fill = Vec::new();
            if let Some(f) = &p.fill {
                for (role, sp) in f.get_ref() {
                    let Some(sp) = sp.as_str() else {
                        return Err(src.error(
                            f.span(),
                            format!("{key}.fill.{role}"),
                            "expected a species name",
                        ));
                    };
                    if !roles.iter().any(|(r, _)| r == role) {
                        return Err(src.error(
                            f.span(),
                            format!("{key}.fill.{role}"),
                            format!("role `{role}` is not listed in `roles`"),
                        ));
                    }
                    let Some(id) = table.find(sp) else {
                        return Err(src.error(
                            f.span(),
                            format!("{key}.fill.{role}"),
                            format!("unknown species `{sp}`"),
                        ));
                    };
                    let kind = roles
                        .iter()
                        .find(|(r, _)| r == role)
                        .map_or(KindId(0), |(_, k)| *k);
                    if !kinds[kind.index()].allowed.contains(id) {
                        return Err(src.error(
                            f.span(),
                            format!("{key}.fill.{role}"),
                            format!(
                                "species `{sp}` is not allowed on site kind `{}`",
                                kinds[kind.index()].name
                            ),
                        ));
                    }
                    fill.push((role.clone(), id));
                }
            }
            let phase = Phase {
                name: p.name.get_ref().clone(),
                structure: p.structure.get_ref().clone(),
                parameters,
                roles,
                fill,
                custom: custom_crystal,
            };
            if !STRUCTURES.contains(&phase.structure.as_str()) {
                return Err(src.error(
                    p.structure.span(),
                    format!("{key}.structure"),
                    format!(
                        "unknown structure `{}` (known: {})",
                        phase.structure,
                        STRUCTURES.join(", ")
                    ),
                ));
            }
            for (name, given) in [("a", &p.a), ("b", &p.b), ("c", &p.c), ("u", &p.u)] {
                if phase.custom.is_some() {
                    break;
                }
                if let (false, Some(q)) = (structure_needs(&phase.structure, name), given) {
                    return Err(src.error(
                        q.span(),
                        format!("{key}.{name}"),
                        format!(
                            "structure `{}` does not take parameter `{name}`",
                            phase.structure
                        ),
                    ));
                }
                if structure_needs(&phase.structure, name) && phase.parameter(name).is_none() {
                    return Err(src.error(
                        p.name.span(),
                        format!("{key}.{name}"),
                        format!("structure `{}` needs parameter `{name}`", phase.structure),
                    ));
                }
            }
            let full = phase
                .full_crystal()
                .map_err(|e| src.error(p.name.span(), key.clone(), e.to_string()))?;
            let basis_roles = full.roles();
            let crystal = phase
                .crystal()
                .map_err(|e| src.error(p.name.span(), key.clone(), e.to_string()))?;
            for (role, _) in &phase.roles {
                if !basis_roles.contains(&role.as_str()) {
                    return Err(src.error(
                        p.roles.span(),
                        format!("{key}.roles.{role}"),
                        format!(
                            "structure `{}` has no role `{role}` (roles: {})",
                            phase.structure,
                            basis_roles.join(", ")
                        ),
                    ));
                }
            }
            phase
                .basis_kinds(&crystal)
                .map_err(|e| src.error(p.roles.span(), format!("{key}.roles"), e.to_string()))?;
            phases.push(phase);
        }

        // energy
        let ns = table.len();
        let mut onsite = vec![vec![0.0; ns]; kinds.len()];
        for (i, o) in file.energy.onsite.iter().enumerate() {
            let key = format!("energy.onsite[{i}]");
            let s = self.species(&table, &o.species, &format!("{key}.species"))?;
            let k = self.find(&kind_names, &o.kind, &format!("{key}.kind"), "site kind")?;
            onsite[k][s.index()] =
                src.quantity(&o.value, Dimension::Energy, &format!("{key}.value"))?;
        }
        let mut bonds: Vec<(ShellId, Vec<Vec<f64>>)> = Vec::new();
        for (i, b) in file.energy.bonds.iter().enumerate() {
            let key = format!("energy.bonds[{i}]");
            let shell =
                shell_id(self.find(&shell_names, &b.shell, &format!("{key}.shell"), "shell")?);
            let [x, y] = b.species.get_ref();
            let x = self.species(
                &table,
                &Spanned::new(b.species.span(), x.clone()),
                &format!("{key}.species"),
            )?;
            let y = self.species(
                &table,
                &Spanned::new(b.species.span(), y.clone()),
                &format!("{key}.species"),
            )?;
            let value = src.quantity(&b.value, Dimension::Energy, &format!("{key}.value"))?;
            let m = if let Some((_, m)) = bonds.iter_mut().find(|(s, _)| *s == shell) {
                m
            } else {
                bonds.push((shell, vec![vec![0.0; ns]; ns]));
                &mut bonds.last_mut().expect("just pushed").1
            };
            m[x.index()][y.index()] = value;
            m[y.index()][x.index()] = value;
        }
        let mut coordination = Vec::new();
        for (i, c) in file.energy.coordination.iter().enumerate() {
            let key = format!("energy.coordination[{i}]");
            let s = self.species(&table, &c.species, &format!("{key}.species"))?;
            let shell =
                shell_id(self.find(&shell_names, &c.shell, &format!("{key}.shell"), "shell")?);
            let mut counted = SpeciesSet::EMPTY;
            for n in &c.counted {
                counted.insert(self.species(&table, n, &format!("{key}.counted"))?);
            }
            let table_values = c
                .table
                .iter()
                .enumerate()
                .map(|(j, q)| src.quantity(q, Dimension::Energy, &format!("{key}.table[{j}]")))
                .collect::<Result<Vec<f64>>>()?;
            coordination.push(CoordinationTerm {
                species: s,
                shell,
                counted,
                table: table_values,
            });
        }

        let beam = file
            .beam
            .as_ref()
            .map(|b| self.beam(b, &table, &kind_names))
            .transpose()?;
        // events
        let mut rules = Vec::new();
        let mut move_vectors = Vec::new();
        for (i, e) in file.events.iter().enumerate() {
            if file.events[..i]
                .iter()
                .any(|o| o.name.get_ref() == e.name.get_ref())
            {
                return Err(src.error(
                    e.name.span(),
                    format!("events[{i}].name"),
                    format!(
                        "rule names must be unique: `{}` is used twice",
                        e.name.get_ref()
                    ),
                ));
            }
            rules.push(self.rule(
                i,
                e,
                &table,
                &kind_names,
                &shell_names,
                &kinds,
                beam.as_ref(),
                (&phases, &mut move_vectors),
            )?);
        }
        let mut model = Model {
            name: file.model.name.clone(),
            species: table,
            kinds,
            shells,
            energy: EnergyParams {
                onsite,
                bonds,
                coordination,
            },
            rules,
            move_vectors,
        };
        let reversible: Vec<bool> = file
            .events
            .iter()
            .map(|e| {
                let swap = matches!(*e.kind.get_ref(), EventType::Hop | EventType::Exchange);
                e.reversible.as_ref().map_or(swap, |r| *r.get_ref())
            })
            .collect();
        model.add_reverse_rules(|i| reversible[i]);
        model
            .validate()
            .map_err(|e| src.file_error("events", e.to_string()))?;
        Ok(Potential {
            model,
            phases,
            description: file.model.description.clone(),
            source: file.model.source.clone(),
            text: src.text().to_string(),
            beam,
        })
    }
}
