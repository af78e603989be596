//! The `[[analysis]]` entries: from the file to [`analysis::Entry`]s, every key checked at
//! its line and column (names of species, shells, kinds and domains against the potential
//! and the geometry, with a suggestion for a near miss; lengths with units).
//!
//! A new observable type: its name in [`TYPES`] with the keys it takes, and one arm in
//! [`entry`].

use std::ops::Range;

use super::compile::listing;
use super::file::{AnalysisFile, AnalysisSpecFile, PhaseFile};
use crate::analysis::{
    Entry, Observable, Region, clusters, composition, fluxes, phases, shape, voids,
};
use crate::error::{Error, Result};
use crate::input::{Quantity, Source, Spanned, closest};
use crate::model::{Model, SpeciesSet};
use crate::sites::{DomainId, KindId, ShellId};
use crate::state::SpeciesId;
use crate::units::Dimension;

mod facets;

/// The observable types and the keys each takes besides `name` and `type`.
const TYPES: [(&str, &[&str]); 7] = [
    (
        "composition",
        &["species", "per", "domains", "kinds", "region"],
    ),
    (
        "clusters",
        &[
            "species",
            "shell",
            "shells",
            "domains",
            "kinds",
            "region",
            "min_size",
            "max_jump",
            "size_bins",
            "attached_to",
        ],
    ),
    (
        "voids",
        &[
            "shell",
            "domains",
            "kinds",
            "region",
            "min_size",
            "bin_width",
            "r_max",
        ],
    ),
    ("shape", &["species", "shell", "domains", "kinds", "region"]),
    (
        "facets",
        &[
            "species",
            "shell",
            "domains",
            "kinds",
            "region",
            "families",
            "lattice",
            "max_angle",
        ],
    ),
    ("fluxes", &["species", "domains"]),
    (
        "phases",
        &["phases", "cell", "min_atoms", "domains", "kinds", "region"],
    ),
];

/// Checks the `[[analysis]]` entries of a scenario.
pub(super) fn compile(
    source: &Source,
    entries: &[AnalysisFile],
    model: &Model,
    domains: &[String],
    cells: &[[[f64; 3]; 3]],
) -> Result<Vec<Entry>> {
    let c = Checker {
        source,
        model,
        domains,
        cells,
    };
    let mut out: Vec<Entry> = Vec::new();
    for (i, f) in entries.iter().enumerate() {
        let e = c.entry(i, f)?;
        if out.iter().any(|o| o.name == e.name) {
            return Err(source.error(
                f.name.span(),
                format!("analysis[{i}].name"),
                format!("the name `{}` is used by an earlier entry", e.name),
            ));
        }
        out.push(e);
    }
    Ok(out)
}

/// Checks a file of `[[analysis]]` entries (`nanokmc analyze --spec`) against the
/// potential and domains of a scenario.
///
/// # Errors
/// [`Error::Input`] naming the spec file, line, column and key.
pub fn compile_spec(source: &Source, scenario: &super::Scenario) -> Result<Vec<Entry>> {
    let file: AnalysisSpecFile = source.parse()?;
    if file.analysis.is_empty() {
        return Err(source.file_error("analysis", "the file has no [[analysis]] entry"));
    }
    compile(
        source,
        &file.analysis,
        &scenario.potential.model,
        &scenario.domain_names(),
        &scenario.domain_cells(),
    )
}

struct Checker<'a> {
    source: &'a Source,
    model: &'a Model,
    domains: &'a [String],
    /// Cell rows of each domain's crystal in the box frame [Å] (`NaN`: no crystal).
    cells: &'a [[[f64; 3]; 3]],
}

impl Checker<'_> {
    fn err(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> Error {
        self.source.error(span, key, message)
    }

    // one arm per observable type, each short (as `compile::shape`).
    #[allow(clippy::too_many_lines)]
    fn entry(&self, i: usize, f: &AnalysisFile) -> Result<Entry> {
        let key = |k: &str| format!("analysis[{i}].{k}");
        let name = f.name.get_ref().trim().to_string();
        if name.is_empty() || name.contains(['/', '.', ':']) {
            return Err(self.err(
                f.name.span(),
                &key("name"),
                "must be non-empty, without `/`, `.` or `:` (it names HDF5 datasets)",
            ));
        }
        let kind = f.kind.get_ref().as_str();
        let Some((_, allowed)) = TYPES.iter().find(|(t, _)| *t == kind) else {
            let known: Vec<&str> = TYPES.iter().map(|(t, _)| *t).collect();
            let hint =
                closest(kind, &known).map_or(String::new(), |h| format!("; did you mean `{h}`?"));
            return Err(self.err(
                f.kind.span(),
                &key("type"),
                format!(
                    "unknown analysis type `{kind}` (known: {}){hint}",
                    listing(known.iter().copied())
                ),
            ));
        };
        for (k, span) in given_keys(f) {
            if !allowed.contains(&k) {
                return Err(self.err(
                    span,
                    &key(k),
                    format!(
                        "a `{kind}` analysis does not take `{k}` (it takes {})",
                        listing(allowed.iter().copied())
                    ),
                ));
            }
        }
        let region = self.region(i, f)?;
        let observable = match kind {
            "composition" => Observable::Composition(composition::Composition {
                region,
                species: match &f.species {
                    Some(s) => self.species_list(s, &key("species"))?,
                    None => self.all_species(),
                },
                per: f
                    .per
                    .as_ref()
                    .map(|p| {
                        self.species(p.get_ref(), p.span(), &key("per"))
                            .map(|s| (s, p.get_ref().clone()))
                    })
                    .transpose()?,
            }),
            "clusters" => {
                let species = f.species.as_ref().ok_or_else(|| {
                    self.err(
                        f.kind.span(),
                        &key("species"),
                        "a `clusters` analysis needs `species`: the atoms that form clusters",
                    )
                })?;
                let list = self.species_list(species, &key("species"))?;
                let ids: Vec<SpeciesId> = list.iter().map(|(s, _)| *s).collect();
                Observable::Clusters(clusters::Clusters {
                    species: SpeciesSet::from_species(&ids),
                    shells: self.cluster_shells(f, &key, kind)?,
                    region,
                    min_size: self.min_size(f, &key("min_size"))?,
                    max_jump: f
                        .max_jump
                        .as_ref()
                        .map(|q| self.length(q, &key("max_jump")))
                        .transpose()?,
                    size_edges: match &f.size_bins {
                        None => clusters::default_size_edges(),
                        Some(b) => self.size_bins(b, &key("size_bins"))?,
                    },
                    attached_to: match &f.attached_to {
                        None => None,
                        Some(a) => {
                            let a = a.get_ref();
                            let species =
                                self.species_list(&a.species, &key("attached_to.species"))?;
                            let ids: Vec<SpeciesId> = species.iter().map(|(s, _)| *s).collect();
                            Some(clusters::Attachment {
                                shell: self.shell(&a.shell, &key("attached_to.shell"))?,
                                species: SpeciesSet::from_species(&ids),
                            })
                        }
                    },
                })
            }
            "voids" => {
                let bin_width = match &f.bin_width {
                    Some(q) => self.length(q, &key("bin_width"))?,
                    None => 1.0,
                };
                Observable::Voids(voids::Voids {
                    shell: self.required_shell(f, &key("shell"), kind)?,
                    region,
                    min_size: self.min_size(f, &key("min_size"))?,
                    bin_width,
                    r_max: f
                        .r_max
                        .as_ref()
                        .map(|q| self.length(q, &key("r_max")))
                        .transpose()?,
                })
            }
            "shape" => Observable::Shape(shape::Shape {
                species: self.species_set(f, &key("species"))?,
                region,
                shell: f
                    .shell
                    .as_ref()
                    .map(|s| self.shell(s, &key("shell")))
                    .transpose()?,
            }),
            "facets" => self.facets(i, f, region)?,
            "fluxes" => {
                #[allow(clippy::cast_possible_truncation)]
                let domains: Vec<(DomainId, String)> = match &f.domains {
                    Some(_) => region.domains.clone().unwrap_or_default(),
                    None => (0..self.domains.len())
                        .map(|d| DomainId(d as u16))
                        .collect(),
                }
                .into_iter()
                .map(|d| (d, self.domains[d.index()].replace('/', "|")))
                .collect();
                Observable::Fluxes(fluxes::Fluxes {
                    domains,
                    species: match &f.species {
                        Some(s) => self.species_list(s, &key("species"))?,
                        None => self.all_species(),
                    },
                })
            }
            "phases" => {
                #[allow(clippy::cast_possible_truncation)]
                let domains: Vec<(DomainId, String)> = match &region.domains {
                    Some(d) => d.clone(),
                    None => (0..self.domains.len())
                        .map(|d| DomainId(d as u16))
                        .collect(),
                }
                .into_iter()
                .map(|d| (d, self.domains[d.index()].replace('/', "|")))
                .collect();
                Observable::Phases(self.phases(f, &key, region, domains)?)
            }
            other => {
                return Err(self.err(
                    f.kind.span(),
                    &key("type"),
                    format!("analysis type `{other}` is listed but not implemented"),
                ));
            }
        };
        Ok(Entry { name, observable })
    }

    /// The `phases`, `cell` and `min_atoms` keys of a `phases` entry.
    fn phases(
        &self,
        f: &AnalysisFile,
        key: &dyn Fn(&str) -> String,
        region: Region,
        domains: Vec<(DomainId, String)>,
    ) -> Result<phases::Phases> {
        let list = f.phases.as_ref().ok_or_else(|| {
            self.err(
                f.kind.span(),
                &key("phases"),
                "a `phases` analysis needs `phases`: a list of { name, rules }",
            )
        })?;
        if list.get_ref().is_empty() {
            return Err(self.err(list.span(), &key("phases"), "must name at least one phase"));
        }
        let mut out: Vec<phases::PhaseRule> = Vec::new();
        for (j, p) in list.get_ref().iter().enumerate() {
            out.push(self.phase(p, &key(&format!("phases[{j}]")))?);
            let name = &out[j].name;
            if out[..j].iter().any(|o| &o.name == name) {
                return Err(self.err(
                    p.name.span(),
                    &key(&format!("phases[{j}].name")),
                    format!("the phase `{name}` is listed twice"),
                ));
            }
        }
        let cell_q = f.cell.as_ref().ok_or_else(|| {
            self.err(
                f.kind.span(),
                &key("cell"),
                "a `phases` analysis needs `cell`: the edge of the cubic cells labelled one by one, e.g. \"10 A\"",
            )
        })?;
        let cell = self.length(cell_q, &key("cell"))?;
        let min_atoms = match &f.min_atoms {
            None => 1,
            Some(v) => u64::try_from(*v.get_ref())
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| self.err(v.span(), &key("min_atoms"), "must be an integer ≥ 1"))?,
        };
        Ok(phases::Phases {
            region,
            domains,
            phases: out,
            cell,
            min_atoms,
        })
    }

    /// One `{ name, rules }` of a `phases` entry, `key` its dotted path.
    fn phase(&self, p: &PhaseFile, key: &str) -> Result<phases::PhaseRule> {
        let name = p.name.get_ref().trim().to_string();
        if name.is_empty() || name.contains(['/', '.', ':']) || name == "other" || name == "cells" {
            return Err(self.err(
                p.name.span(),
                &format!("{key}.name"),
                "must be non-empty, without `/`, `.` or `:`, and not `other` or `cells` (it names HDF5 datasets)",
            ));
        }
        if p.rules.get_ref().is_empty() {
            return Err(self.err(
                p.rules.span(),
                &format!("{key}.rules"),
                "must give at least one rule { species, per, min, max }",
            ));
        }
        let mut rules = Vec::new();
        for (r, rule) in p.rules.get_ref().iter().enumerate() {
            let k = format!("{key}.rules[{r}]");
            let ids = |l: &Spanned<Vec<String>>, kk: &str| -> Result<Vec<SpeciesId>> {
                Ok(self
                    .species_list(l, kk)?
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect())
            };
            let species = ids(&rule.species, &format!("{k}.species"))?;
            let per = match &rule.per {
                Some(l) => ids(l, &format!("{k}.per"))?,
                None => Vec::new(),
            };
            let bound = |b: &Option<Spanned<f64>>, kk: &str| -> Result<Option<f64>> {
                match b {
                    None => Ok(None),
                    Some(v) if v.get_ref().is_finite() && *v.get_ref() >= 0.0 => {
                        Ok(Some(*v.get_ref()))
                    }
                    Some(v) => Err(self.err(
                        v.span(),
                        &format!("{k}.{kk}"),
                        "must be a finite number ≥ 0 (a ratio of counts)",
                    )),
                }
            };
            let min = bound(&rule.min, "min")?;
            let max = bound(&rule.max, "max")?;
            match (min, max) {
                (None, None) => {
                    return Err(self.err(p.rules.span(), &k, "a rule needs `min`, `max` or both"));
                }
                (Some(a), Some(b)) if a > b => {
                    return Err(self.err(
                        rule.max.as_ref().map_or(p.rules.span(), Spanned::span),
                        &format!("{k}.max"),
                        format!("must be ≥ `min` ({a})"),
                    ));
                }
                _ => {}
            }
            rules.push(phases::Rule {
                species,
                per,
                min,
                max,
            });
        }
        Ok(phases::PhaseRule { name, rules })
    }

    fn all_species(&self) -> Vec<(SpeciesId, String)> {
        self.model
            .species
            .iter()
            .filter(|(id, _)| !id.is_vacancy())
            .map(|(id, s)| (id, s.name.clone()))
            .collect()
    }

    fn species(&self, name: &str, span: Range<usize>, key: &str) -> Result<SpeciesId> {
        let names: Vec<&str> = self
            .model
            .species
            .iter()
            .map(|(_, s)| s.name.as_str())
            .collect();
        let i = lookup(self.source, name, span, key, "species", &names)?;
        #[allow(clippy::cast_possible_truncation)]
        Ok(SpeciesId(i as u8))
    }

    fn species_list(
        &self,
        list: &Spanned<Vec<String>>,
        key: &str,
    ) -> Result<Vec<(SpeciesId, String)>> {
        if list.get_ref().is_empty() {
            return Err(self.err(list.span(), key, "must name at least one species"));
        }
        let mut out: Vec<(SpeciesId, String)> = Vec::new();
        for name in list.get_ref() {
            let s = self.species(name, list.span(), key)?;
            if out.iter().any(|(o, _)| *o == s) {
                return Err(self.err(list.span(), key, format!("`{name}` is listed twice")));
            }
            out.push((s, name.clone()));
        }
        Ok(out)
    }

    /// `species` as a set (`None` when not given: every atom).
    fn species_set(&self, f: &AnalysisFile, key: &str) -> Result<Option<SpeciesSet>> {
        f.species
            .as_ref()
            .map(|s| {
                self.species_list(s, key).map(|l| {
                    let ids: Vec<SpeciesId> = l.iter().map(|(s, _)| *s).collect();
                    SpeciesSet::from_species(&ids)
                })
            })
            .transpose()
    }

    fn shell(&self, name: &Spanned<String>, key: &str) -> Result<ShellId> {
        let names: Vec<&str> = self.model.shells.iter().map(|s| s.name.as_str()).collect();
        let i = lookup(
            self.source,
            name.get_ref(),
            name.span(),
            key,
            "shell",
            &names,
        )?;
        #[allow(clippy::cast_possible_truncation)]
        Ok(ShellId(i as u8))
    }

    /// `shell`, or `shells` (a cluster connected along any of several relations).
    fn cluster_shells(
        &self,
        f: &AnalysisFile,
        key: &dyn Fn(&str) -> String,
        kind: &str,
    ) -> Result<Vec<ShellId>> {
        match (&f.shell, &f.shells) {
            (Some(_), Some(list)) => Err(self.err(
                list.span(),
                &key("shells"),
                "give `shell` or `shells`, not both",
            )),
            (None, Some(list)) => {
                if list.get_ref().is_empty() {
                    return Err(self.err(list.span(), &key("shells"), "must name a shell"));
                }
                let mut out: Vec<ShellId> = Vec::new();
                for name in list.get_ref() {
                    let one = Spanned::new(list.span(), name.clone());
                    let id = self.shell(&one, &key("shells"))?;
                    if !out.contains(&id) {
                        out.push(id);
                    }
                }
                Ok(out)
            }
            _ => Ok(vec![self.required_shell(f, &key("shell"), kind)?]),
        }
    }

    fn required_shell(&self, f: &AnalysisFile, key: &str, kind: &str) -> Result<ShellId> {
        match &f.shell {
            Some(s) => self.shell(s, key),
            None => Err(self.err(
                f.kind.span(),
                key,
                format!(
                    "a `{kind}` analysis needs `shell`: the neighbour relation that connects sites"
                ),
            )),
        }
    }

    fn length(&self, q: &Quantity, key: &str) -> Result<f64> {
        let v = self.source.quantity(q, Dimension::Length, key)?;
        if v > 0.0 && v.is_finite() {
            Ok(v)
        } else {
            Err(self.err(q.span(), key, "must be a positive length"))
        }
    }

    fn min_size(&self, f: &AnalysisFile, key: &str) -> Result<u64> {
        match &f.min_size {
            None => Ok(1),
            Some(v) => u64::try_from(*v.get_ref())
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| self.err(v.span(), key, "must be an integer ≥ 1")),
        }
    }

    fn size_bins(&self, b: &Spanned<Vec<i64>>, key: &str) -> Result<Vec<f64>> {
        let v = b.get_ref();
        if v.len() < 2 || v[0] < 1 || v.windows(2).any(|w| w[1] <= w[0]) {
            return Err(self.err(
                b.span(),
                key,
                "must be at least two increasing sizes ≥ 1 (the edges of the histogram bins)",
            ));
        }
        #[allow(clippy::cast_precision_loss)]
        Ok(v.iter().map(|&x| x as f64).collect())
    }

    fn region(&self, i: usize, f: &AnalysisFile) -> Result<Region> {
        let key = |k: &str| format!("analysis[{i}].{k}");
        let mut region = Region::default();
        if let Some(list) = &f.domains {
            if list.get_ref().is_empty() {
                return Err(self.err(list.span(), &key("domains"), "must name a domain"));
            }
            let mut found: Vec<DomainId> = Vec::new();
            for name in list.get_ref() {
                for d in self.domain(name, list.span(), &key("domains"))? {
                    if !found.contains(&d) {
                        found.push(d);
                    }
                }
            }
            region.domains = Some(found);
        }
        if let Some(list) = &f.kinds {
            region.kinds = Some(self.kind_list(list, &key("kinds"))?);
        }
        if let Some(r) = &f.region {
            region.shape = Some(super::region::shape(self.source, r, &key("region"))?);
        }
        Ok(region)
    }

    /// Site kinds named in `list` (at least one).
    fn kind_list(&self, list: &Spanned<Vec<String>>, key: &str) -> Result<Vec<KindId>> {
        let names: Vec<&str> = self.model.kinds.iter().map(|k| k.name.as_str()).collect();
        if list.get_ref().is_empty() {
            return Err(self.err(list.span(), key, "must name a site kind"));
        }
        let mut kinds = Vec::new();
        for name in list.get_ref() {
            let k = lookup(self.source, name, list.span(), key, "site kind", &names)?;
            #[allow(clippy::cast_possible_truncation)]
            kinds.push(KindId(k as u16));
        }
        Ok(kinds)
    }

    /// Domains matching `name`: a domain (`particle/domain`) or a particle (all its domains).
    fn domain(&self, name: &str, span: Range<usize>, key: &str) -> Result<Vec<DomainId>> {
        let prefix = format!("{name}/");
        #[allow(clippy::cast_possible_truncation)]
        let found: Vec<DomainId> = self
            .domains
            .iter()
            .enumerate()
            .filter(|(_, d)| *d == name || d.starts_with(&prefix))
            .map(|(i, _)| DomainId(i as u16))
            .collect();
        if found.is_empty() {
            let names: Vec<&str> = self.domains.iter().map(String::as_str).collect();
            let hint =
                closest(name, &names).map_or(String::new(), |s| format!("; did you mean `{s}`?"));
            return Err(self.err(
                span,
                key,
                format!(
                    "no domain or particle `{name}` (domains: {}){hint}",
                    listing(names.iter().copied())
                ),
            ));
        }
        Ok(found)
    }
}

/// The keys written in an entry (besides `name` and `type`), with their spans.
fn given_keys(f: &AnalysisFile) -> Vec<(&'static str, Range<usize>)> {
    let mut out = Vec::new();
    let mut add = |k: &'static str, span: Option<Range<usize>>| {
        if let Some(s) = span {
            out.push((k, s));
        }
    };
    add("species", f.species.as_ref().map(Spanned::span));
    add("per", f.per.as_ref().map(Spanned::span));
    add("shell", f.shell.as_ref().map(Spanned::span));
    add("domains", f.domains.as_ref().map(Spanned::span));
    add("kinds", f.kinds.as_ref().map(Spanned::span));
    add("region", f.region.as_ref().map(Spanned::span));
    add("min_size", f.min_size.as_ref().map(Spanned::span));
    add("max_jump", f.max_jump.as_ref().map(Spanned::span));
    add("size_bins", f.size_bins.as_ref().map(Spanned::span));
    add("attached_to", f.attached_to.as_ref().map(Spanned::span));
    add("shells", f.shells.as_ref().map(Spanned::span));
    add("bin_width", f.bin_width.as_ref().map(Spanned::span));
    add("r_max", f.r_max.as_ref().map(Spanned::span));
    add("phases", f.phases.as_ref().map(Spanned::span));
    add("cell", f.cell.as_ref().map(Spanned::span));
    add("min_atoms", f.min_atoms.as_ref().map(Spanned::span));
    add("families", f.families.as_ref().map(Spanned::span));
    add("lattice", f.lattice.as_ref().map(Spanned::span));
    add("max_angle", f.max_angle.as_ref().map(Spanned::span));
    out
}

/// Index of `name` in `names`, or an error with a suggestion.
fn lookup(
    source: &Source,
    name: &str,
    span: Range<usize>,
    key: &str,
    what: &str,
    names: &[&str],
) -> Result<usize> {
    names.iter().position(|n| *n == name).ok_or_else(|| {
        let hint = closest(name, names).map_or(String::new(), |s| format!("; did you mean `{s}`?"));
        source.error(
            span,
            key,
            format!(
                "unknown {what} `{name}` (the potential has {}){hint}",
                listing(names.iter().copied())
            ),
        )
    })
}
