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

use std::path::Path;

mod custom;
pub use custom::cell_from_parameters;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::input::{Quantity, Source, Spanned};
use crate::lattice::{Crystal, SiteList};
use crate::model::{
    Action, BarrierRule, Condition, CoordinationTerm, EnergyParams, Model, RateLaw, Rule,
    SaddleTerm, ShellPair, ShellSpec, SiteKind, SiteMatch, SpeciesSet,
};
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModel {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpecies {
    name: Spanned<String>,
    #[serde(default)]
    element: Option<String>,
    #[serde(default)]
    mass: Option<Quantity>,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePhase {
    name: Spanned<String>,
    structure: Spanned<String>,
    #[serde(default)]
    a: Option<Quantity>,
    #[serde(default)]
    b: Option<Quantity>,
    #[serde(default)]
    c: Option<Quantity>,
    #[serde(default)]
    u: Option<Quantity>,
    roles: Spanned<toml::Table>,
    #[serde(default)]
    fill: Option<Spanned<toml::Table>>,
    #[serde(default)]
    alpha: Option<Spanned<String>>,
    #[serde(default)]
    beta: Option<Spanned<String>>,
    #[serde(default)]
    gamma: Option<Spanned<String>>,
    #[serde(default)]
    vectors: Option<[[Quantity; 3]; 3]>,
    #[serde(default)]
    sites: Vec<custom::FileBasisSite>,
    #[serde(default)]
    operations: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileKind {
    name: Spanned<String>,
    allowed: Vec<Spanned<String>>,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShellPair {
    kinds: Spanned<[String; 2]>,
    #[serde(default)]
    min: Option<Quantity>,
    max: Quantity,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShell {
    name: Spanned<String>,
    pairs: Vec<FileShellPair>,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOnsite {
    species: Spanned<String>,
    kind: Spanned<String>,
    value: Quantity,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBond {
    shell: Spanned<String>,
    species: Spanned<[String; 2]>,
    value: Quantity,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCoordination {
    species: Spanned<String>,
    shell: Spanned<String>,
    counted: Vec<Spanned<String>>,
    table: Vec<Quantity>,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEnergy {
    #[serde(default)]
    onsite: Vec<FileOnsite>,
    #[serde(default)]
    bonds: Vec<FileBond>,
    #[serde(default)]
    coordination: Vec<FileCoordination>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSaddle {
    shell: Spanned<String>,
    species: Spanned<String>,
    #[serde(default)]
    kind: Option<Spanned<events::Names>>,
    #[serde(default)]
    domain: Option<Spanned<events::Names>>,
    shift: Quantity,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCondition {
    shell: Spanned<String>,
    species: Vec<Spanned<String>>,
    #[serde(default)]
    kind: Option<Spanned<events::Names>>,
    #[serde(default)]
    domain: Option<Spanned<events::Names>>,
    #[serde(default)]
    min: Option<u16>,
    #[serde(default)]
    max: Option<u16>,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EventType {
    Hop,
    Exchange,
    Remove,
    Add,
    BeamDisplace,
    BeamRemove,
    Change,
    BeamChange,
    RemovePair,
    AddPair,
    ClusterMove,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FileBarrierRule {
    KangWeinberg,
    Uphill,
    Fixed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEvent {
    name: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<EventType>,
    species: Spanned<String>,
    #[serde(default, rename = "with")]
    partner: Option<Spanned<String>>,
    #[serde(default)]
    from: Option<Spanned<String>>,
    #[serde(default)]
    to: Option<Spanned<String>>,
    #[serde(default)]
    into: Option<Spanned<String>>,
    #[serde(default)]
    with_kind: Option<Spanned<String>>,
    #[serde(default)]
    shell: Option<Spanned<String>>,
    #[serde(default)]
    connect: Option<Spanned<String>>,
    #[serde(default)]
    min_size: Option<Spanned<u32>>,
    #[serde(default)]
    max_size: Option<Spanned<u32>>,
    #[serde(default)]
    size_energy: Option<Quantity>,
    #[serde(default)]
    size_power: Option<Spanned<f64>>,
    #[serde(default)]
    prefactor: Option<Quantity>,
    #[serde(default)]
    migration_energy: Option<Quantity>,
    #[serde(default)]
    barrier_rule: Option<FileBarrierRule>,
    #[serde(default)]
    reference_energy: Option<Quantity>,
    #[serde(default)]
    cross_section: Option<Quantity>,
    #[serde(default)]
    reversible: Option<Spanned<bool>>,
    #[serde(default)]
    saddle: Vec<FileSaddle>,
    #[serde(default)]
    conditions: Vec<FileCondition>,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePotential {
    model: FileModel,
    species: Vec<FileSpecies>,
    #[serde(default)]
    phases: Vec<FilePhase>,
    site_kinds: Vec<FileKind>,
    #[serde(default)]
    shells: Vec<FileShell>,
    #[serde(default)]
    energy: FileEnergy,
    #[serde(default)]
    events: Vec<FileEvent>,
    #[serde(default)]
    beam: Option<beam::FileBeam>,
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

    /// Every species an event puts on a site kind must be allowed there.
    fn check_allowed(
        &self,
        key: &str,
        e: &FileEvent,
        action: Action,
        table: &SpeciesTable,
        kinds: &[SiteKind],
    ) -> Result<()> {
        let check =
            |species: SpeciesId, kind: Option<KindId>, at: &Option<Spanned<String>>, name: &str| {
                match (kind, at) {
                    (Some(k), Some(at))
                        if !species.is_vacancy() && !kinds[k.index()].allowed.contains(species) =>
                    {
                        Err(self.source.error(
                            at.span(),
                            format!("{key}.{name}"),
                            format!(
                                "species `{}` is not allowed on site kind `{}`",
                                table.name(species),
                                kinds[k.index()].name
                            ),
                        ))
                    }
                    _ => Ok(()),
                }
            };
        match action {
            Action::Swap { mover, target, .. } => {
                check(mover.species, target.kind, &e.to, "to")?;
                check(target.species, mover.kind, &e.from, "from")
            }
            Action::Add { species, kind } => check(species, kind, &e.to, "to"),
            // checked when the action is built (events.rs).
            Action::Remove { .. }
            | Action::Change { .. }
            | Action::RemovePair { .. }
            | Action::AddPair { .. }
            | Action::ClusterMove(_) => Ok(()),
        }
    }

    #[allow(clippy::too_many_lines, clippy::too_many_arguments)]
    fn rule(
        &self,
        i: usize,
        e: &FileEvent,
        table: &SpeciesTable,
        kind_names: &[String],
        shell_names: &[String],
        kinds: &[SiteKind],
        beam_data: Option<&crate::beam::BeamData>,
    ) -> Result<Rule> {
        let src = self.source;
        let key = format!("events[{i}]");
        let kind_opt = |k: &Option<Spanned<String>>, name: &str| -> Result<Option<KindId>> {
            k.as_ref()
                .map(|k| {
                    self.find(kind_names, k, &format!("{key}.{name}"), "site kind")
                        .map(|i| KindId(u16::try_from(i).unwrap_or(u16::MAX)))
                })
                .transpose()
        };
        let species = self.species(table, &e.species, &format!("{key}.species"))?;
        let from = kind_opt(&e.from, "from")?;
        let to = kind_opt(&e.to, "to")?;
        let event_type = *e.kind.get_ref();
        self.check_new_keys(&key, e, event_type)?;
        self.check_cluster_keys(&key, e, event_type)?;
        let needs_shell = matches!(
            event_type,
            EventType::Hop
                | EventType::Exchange
                | EventType::BeamDisplace
                | EventType::RemovePair
                | EventType::AddPair
                | EventType::ClusterMove
        );
        let shell = match (&e.shell, needs_shell) {
            (Some(s), true) => Some(ShellId(
                u8::try_from(self.find(shell_names, s, &format!("{key}.shell"), "shell")?)
                    .unwrap_or(u8::MAX),
            )),
            (None, true) => {
                return Err(src.error(
                    e.name.span(),
                    format!("{key}.shell"),
                    "this event type needs `shell`: the neighbour relation it moves along",
                ));
            }
            (Some(s), false) => {
                return Err(src.error(
                    s.span(),
                    format!("{key}.shell"),
                    "only hop, exchange, beam_displace, remove_pair, add_pair and cluster_move events take `shell`",
                ));
            }
            (None, false) => None,
        };
        if species.is_vacancy() {
            return Err(src.error(
                e.species.span(),
                format!("{key}.species"),
                "the moving species cannot be `Vac`",
            ));
        }
        let beam = matches!(
            event_type,
            EventType::BeamDisplace | EventType::BeamRemove | EventType::BeamChange
        );
        let thermal_swap = matches!(event_type, EventType::Hop | EventType::Exchange);
        if let Some(r) = &e.reversible {
            if !thermal_swap {
                return Err(src.error(
                    r.span(),
                    format!("{key}.reversible"),
                    "only hop and exchange events have a reverse (beam events and removals are one-way)",
                ));
            }
        }
        let reversible = e.reversible.as_ref().is_none_or(|r| *r.get_ref());
        if thermal_swap && reversible && e.barrier_rule == Some(FileBarrierRule::Fixed) {
            // `fixed` ignores ΔE: an event and its reverse (or a self-reverse swap in both
            // directions) would fire at the same rate whatever the energy change, so the
            // model would not reach Boltzmann equilibrium.
            return Err(src.error(
                e.name.span(),
                format!("{key}.barrier_rule"),
                "barrier_rule = \"fixed\" ignores the energy change, so a reversible hop or \
                 exchange would break detailed balance (k_forward / k_reverse = 1 whatever ΔE): \
                 use kang_weinberg or uphill, or set `reversible = false` for a deliberately \
                 one-way event",
            ));
        }
        if thermal_swap && reversible && (e.from.is_some() != e.to.is_some()) {
            let at = e
                .from
                .as_ref()
                .or(e.to.as_ref())
                .map_or(e.name.span(), Spanned::span);
            return Err(src.error(
                at,
                format!("{key}.{}", if e.from.is_some() { "from" } else { "to" }),
                "a reversible hop or exchange names both `from` and `to`, or neither: with one \
                 of them only, the event and its reverse would both move atoms between sites \
                 of that kind and count those moves twice (set `reversible = false` for a \
                 one-way event)",
            ));
        }
        if let Some(p) = &e.partner {
            if !matches!(
                event_type,
                EventType::Exchange | EventType::Hop | EventType::RemovePair | EventType::AddPair
            ) {
                return Err(src.error(
                    p.span(),
                    format!("{key}.with"),
                    "only exchange, remove_pair and add_pair events take `with`",
                ));
            }
        }
        let reject = |q: &Option<Quantity>, name: &str, why: &str| -> Result<()> {
            match q {
                Some(q) => Err(src.error(q.span(), format!("{key}.{name}"), why.to_string())),
                None => Ok(()),
            }
        };
        let law = if beam {
            reject(
                &e.prefactor,
                "prefactor",
                "beam events are athermal: they take `cross_section`, not `prefactor`",
            )?;
            reject(
                &e.reference_energy,
                "reference_energy",
                "beam events are athermal: they take no `reference_energy`",
            )?;
            reject(
                &e.migration_energy,
                "migration_energy",
                "beam events are athermal: they take `cross_section`, not `migration_energy`",
            )?;
            let Some(q) = &e.cross_section else {
                return Err(src.error(
                    e.name.span(),
                    format!("{key}.cross_section"),
                    "beam events need `cross_section`, e.g. \"100 barn\" or \"knock_on\"",
                ));
            };
            match self.beam_process(&key, e, q, beam_data)? {
                Some(process) => RateLaw::BeamProcess { process },
                None => RateLaw::Beam {
                    cross_section: src.quantity(
                        q,
                        Dimension::CrossSection,
                        &format!("{key}.cross_section"),
                    )?,
                },
            }
        } else {
            reject(
                &e.cross_section,
                "cross_section",
                "only beam events take `cross_section`",
            )?;
            let Some(p) = &e.prefactor else {
                return Err(src.error(
                    e.name.span(),
                    format!("{key}.prefactor"),
                    "thermal events need `prefactor`, e.g. \"1e13 /s\"",
                ));
            };
            let Some(m) = &e.migration_energy else {
                return Err(src.error(
                    e.name.span(),
                    format!("{key}.migration_energy"),
                    "thermal events need `migration_energy`, e.g. \"0.65 eV\"",
                ));
            };
            let reference_energy = match &e.reference_energy {
                Some(q) => {
                    if matches!(event_type, EventType::Hop | EventType::Exchange) {
                        return Err(src.error(
                            q.span(),
                            format!("{key}.reference_energy"),
                            "only remove and add events take `reference_energy`",
                        ));
                    }
                    src.quantity(q, Dimension::Energy, &format!("{key}.reference_energy"))?
                }
                None => 0.0,
            };
            let prefactor = src.quantity(p, Dimension::Rate, &format!("{key}.prefactor"))?;
            if prefactor <= 0.0 {
                return Err(src.error(
                    p.span(),
                    format!("{key}.prefactor"),
                    format!("prefactor must be positive, got {prefactor} /s"),
                ));
            }
            let migration_energy =
                src.quantity(m, Dimension::Energy, &format!("{key}.migration_energy"))?;
            if migration_energy < 0.0 {
                return Err(src.error(
                    m.span(),
                    format!("{key}.migration_energy"),
                    format!("a migration energy cannot be negative, got {migration_energy} eV"),
                ));
            }
            RateLaw::Thermal {
                prefactor,
                migration_energy,
                barrier_rule: match e.barrier_rule.unwrap_or(FileBarrierRule::KangWeinberg) {
                    FileBarrierRule::KangWeinberg => BarrierRule::KangWeinberg,
                    FileBarrierRule::Uphill => BarrierRule::Uphill,
                    FileBarrierRule::Fixed => BarrierRule::Fixed,
                },
                reference_energy,
            }
        };
        if beam && e.barrier_rule.is_some() {
            return Err(src.error(
                e.name.span(),
                format!("{key}.barrier_rule"),
                "beam events have no barrier",
            ));
        }
        let action = match event_type {
            EventType::Hop | EventType::BeamDisplace | EventType::Exchange => {
                let target = if event_type == EventType::Exchange {
                    let Some(p) = &e.partner else {
                        return Err(src.error(
                            e.name.span(),
                            format!("{key}.with"),
                            "an exchange needs `with`: the species it swaps places with",
                        ));
                    };
                    let partner = self.species(table, p, &format!("{key}.with"))?;
                    if partner == species {
                        return Err(src.error(
                            p.span(),
                            format!("{key}.with"),
                            "an exchange needs two different species",
                        ));
                    }
                    partner
                } else {
                    if let Some(p) = &e.partner {
                        return Err(src.error(
                            p.span(),
                            format!("{key}.with"),
                            "hops move into vacancies; use `type = \"exchange\"` to swap two species",
                        ));
                    }
                    SpeciesId::VACANCY
                };
                Action::Swap {
                    shell: shell.unwrap_or(ShellId(0)),
                    mover: SiteMatch {
                        species,
                        kind: from,
                    },
                    target: SiteMatch {
                        species: target,
                        kind: to,
                    },
                }
            }
            EventType::Remove | EventType::BeamRemove => {
                if let Some(t) = &e.to {
                    return Err(src.error(
                        t.span(),
                        format!("{key}.to"),
                        "a removal has no destination site; use `from` for the site kind",
                    ));
                }
                Action::Remove {
                    site: SiteMatch {
                        species,
                        kind: from,
                    },
                }
            }
            EventType::Add => {
                if let Some(f) = &e.from {
                    return Err(src.error(
                        f.span(),
                        format!("{key}.from"),
                        "an addition comes from a reservoir; use `to` for the site kind",
                    ));
                }
                Action::Add { species, kind: to }
            }
            EventType::Change
            | EventType::BeamChange
            | EventType::RemovePair
            | EventType::AddPair => self.new_action(
                &key, e, event_type, species, from, to, shell, table, kind_names, kinds,
            )?,
            EventType::ClusterMove => {
                self.cluster_action(&key, e, species, shell.unwrap_or(ShellId(0)), shell_names)?
            }
        };
        self.check_allowed(&key, e, action, table, kinds)?;
        let mut saddle = Vec::new();
        for (j, t) in e.saddle.iter().enumerate() {
            let k = format!("{key}.saddle[{j}]");
            saddle.push(SaddleTerm {
                shell: ShellId(
                    u8::try_from(self.find(
                        shell_names,
                        &t.shell,
                        &format!("{k}.shell"),
                        "shell",
                    )?)
                    .unwrap_or(u8::MAX),
                ),
                species: self.species(table, &t.species, &format!("{k}.species"))?,
                filter: self.site_filter(t.kind.as_ref(), t.domain.as_ref(), kind_names, &k)?,
                shift: src.quantity(&t.shift, Dimension::Energy, &format!("{k}.shift"))?,
            });
        }
        let mut conditions = Vec::new();
        for (j, c) in e.conditions.iter().enumerate() {
            let k = format!("{key}.conditions[{j}]");
            let mut set = SpeciesSet::EMPTY;
            for s in &c.species {
                set.insert(self.species(table, s, &format!("{k}.species"))?);
            }
            let min = c.min.unwrap_or(0);
            let max = c.max.unwrap_or(u16::MAX);
            if min > max {
                return Err(src.error(c.shell.span(), k, format!("min ({min}) > max ({max})")));
            }
            conditions.push(Condition {
                shell: ShellId(
                    u8::try_from(self.find(
                        shell_names,
                        &c.shell,
                        &format!("{k}.shell"),
                        "shell",
                    )?)
                    .unwrap_or(u8::MAX),
                ),
                species: set,
                filter: self.site_filter(c.kind.as_ref(), c.domain.as_ref(), kind_names, &k)?,
                min,
                max,
            });
        }
        if beam && !saddle.is_empty() {
            return Err(src.error(
                e.name.span(),
                format!("{key}.saddle"),
                "saddle terms apply to thermal events only",
            ));
        }
        Ok(Rule {
            name: e.name.get_ref().clone(),
            action,
            law,
            saddle,
            conditions,
            reverse_of: None,
        })
    }
}
