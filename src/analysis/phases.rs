//! `type = "phases"`: a phase label per region from local composition rules, and the
//! fraction of each phase per domain.
//!
//! The region (domains, kinds, shape, as for every observable) is cut into cubic cells of
//! edge `cell` [Å] on a grid fixed in space (cell `⌊r/cell⌋` along x, y, z). The atoms of
//! the region in a cell are counted per species, and the cell takes the label of the first
//! phase whose every rule holds, `other` when none does; cells with fewer than `min_atoms`
//! atoms get no label (a surface cell with two atoms says nothing about a phase). A rule is
//! a ratio of counts, `n(species) / n(per)` (both lists summed), or, without `per`, the
//! fraction `n(species) / atoms of the cell`, with a `min` and/or `max` (both inclusive).
//! A ratio whose denominator is zero is undefined and its rule does not hold (a cell
//! without Se is not Cu₂Se-like, whatever its Cu).
//!
//! The same rules also label the whole region from its total counts (`region:<phase>`,
//! 1 or 0): "the particle as a whole is Cu₂Se-like".
//!
//! Example (system A, `potentials/cdse_cu3p.toml`): `Cu2Se` where Cu/Se ≥ 1.6 and
//! Cd/Se ≤ 0.1, `CdSe` where Cd/Se ≥ 0.8, `Cu3P` where P is at least 15 % of the atoms.

use std::collections::HashMap;

use super::{Frame, Measurement, mean};
use crate::sites::{DomainId, SiteId};
use crate::state::SpeciesId;

/// One rule of a phase: `min ≤ n(species) / n(per) ≤ max`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Species counted in the numerator (summed).
    pub species: Vec<SpeciesId>,
    /// Species counted in the denominator (summed); empty: all atoms of the cell.
    pub per: Vec<SpeciesId>,
    /// Smallest allowed ratio (inclusive); `None`: no lower bound.
    pub min: Option<f64>,
    /// Largest allowed ratio (inclusive); `None`: no upper bound.
    pub max: Option<f64>,
}

/// A named phase: every rule must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseRule {
    /// The label, used in quantity names.
    pub name: String,
    /// The rules.
    pub rules: Vec<Rule>,
}

/// A phases entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Phases {
    /// Where to look.
    pub region: super::Region,
    /// Domains reported, with the label used in quantity names (`/` written as `|`).
    pub domains: Vec<(DomainId, String)>,
    /// The phases, in order of precedence.
    pub phases: Vec<PhaseRule>,
    /// Edge of the cubic cells [Å].
    pub cell: f64,
    /// Cells with fewer atoms are not labelled.
    pub min_atoms: u64,
}

/// Counts per species (index = species id, 0 = vacancy) and atoms.
type Counts = [u64; 64];

impl Rule {
    fn holds(&self, counts: &Counts, atoms: u64) -> bool {
        let num: u64 = self.species.iter().map(|s| counts[s.index()]).sum();
        let den: u64 = if self.per.is_empty() {
            atoms
        } else {
            self.per.iter().map(|s| counts[s.index()]).sum()
        };
        if den == 0 {
            return false;
        }
        #[allow(clippy::cast_precision_loss)]
        let ratio = num as f64 / den as f64;
        self.min.is_none_or(|m| ratio >= m) && self.max.is_none_or(|m| ratio <= m)
    }
}

impl Phases {
    /// The label of a composition: the index of the first phase whose rules all hold,
    /// `phases.len()` for `other`.
    #[must_use]
    pub fn label(&self, counts: &Counts) -> usize {
        let atoms: u64 = counts[1..].iter().sum();
        self.phases
            .iter()
            .position(|p| p.rules.iter().all(|r| r.holds(counts, atoms)))
            .unwrap_or(self.phases.len())
    }

    /// Appends, for each phase `P` (and `other`): `<name>:P` (fraction of the region's
    /// atoms in cells labelled P), `<name>:<domain>:P` per reported domain (fraction of
    /// that domain's atoms in the region), `<name>:region:P` (1 when the region's total
    /// composition is labelled P, else 0); and `<name>:cells` (labelled cells),
    /// `<name>:unlabelled` (fraction of the region's atoms in cells below `min_atoms`).
    pub fn measure(&self, frame: &Frame, name: &str, out: &mut Vec<Measurement>) {
        let graph = frame.graph;
        let region = self.region.resolve(|| frame.atom_centroid());
        // Counts per cell, and the cell of every atom of the region.
        let mut index: HashMap<[i64; 3], usize> = HashMap::new();
        let mut cells: Vec<Counts> = Vec::new();
        let mut atoms_in: Vec<(usize, DomainId)> = Vec::new();
        let mut total: Counts = [0; 64];
        for (i, s) in frame.species.iter().enumerate() {
            if s.is_vacancy() {
                continue;
            }
            #[allow(clippy::cast_possible_truncation)]
            let site = SiteId(i as u32);
            if !region.contains(graph, site) {
                continue;
            }
            let p = graph.position(site);
            #[allow(clippy::cast_possible_truncation)]
            let key = p.map(|x| (x / self.cell).floor() as i64);
            let next = cells.len();
            let c = *index.entry(key).or_insert(next);
            if c == next {
                cells.push([0; 64]);
            }
            cells[c][s.index()] += 1;
            total[s.index()] += 1;
            atoms_in.push((c, graph.domain(site)));
        }
        // Label every cell (None below min_atoms).
        let labels: Vec<Option<usize>> = cells
            .iter()
            .map(|c| {
                let atoms: u64 = c[1..].iter().sum();
                (atoms >= self.min_atoms).then(|| self.label(c))
            })
            .collect();
        let n_labels = self.phases.len() + 1;
        let n_domains = self.domains.len();
        let mut by_label = vec![0u64; n_labels];
        let mut by_domain = vec![0u64; n_domains * n_labels];
        let mut domain_atoms = vec![0u64; n_domains];
        let mut unlabelled = 0u64;
        for &(c, d) in &atoms_in {
            let slot = self.domains.iter().position(|(id, _)| *id == d);
            if let Some(k) = slot {
                domain_atoms[k] += 1;
            }
            match labels[c] {
                Some(l) => {
                    by_label[l] += 1;
                    if let Some(k) = slot {
                        by_domain[k * n_labels + l] += 1;
                    }
                }
                None => unlabelled += 1,
            }
        }
        let whole = self.label(&total);
        let atoms = atoms_in.len() as u64;
        #[allow(clippy::cast_precision_loss)]
        {
            let labelled = labels.iter().filter(|l| l.is_some()).count();
            out.push(Measurement::scalar(name, "cells", "1", labelled as f64));
            out.push(Measurement::scalar(
                name,
                "unlabelled",
                "1",
                mean(unlabelled as f64, atoms),
            ));
            for l in 0..n_labels {
                let phase = self.phases.get(l).map_or("other", |p| p.name.as_str());
                out.push(Measurement::scalar(
                    name,
                    phase,
                    "1",
                    mean(by_label[l] as f64, atoms),
                ));
                out.push(Measurement::scalar(
                    name,
                    &format!("region:{phase}"),
                    "1",
                    if atoms > 0 && whole == l { 1.0 } else { 0.0 },
                ));
                for (k, (_, dname)) in self.domains.iter().enumerate() {
                    out.push(Measurement::scalar(
                        name,
                        &format!("{dname}:{phase}"),
                        "1",
                        mean(by_domain[k * n_labels + l] as f64, domain_atoms[k]),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CD: SpeciesId = SpeciesId(1);
    const SE: SpeciesId = SpeciesId(2);
    const CU: SpeciesId = SpeciesId(3);

    fn cu2se_cdse() -> Phases {
        Phases {
            region: super::super::Region::default(),
            domains: Vec::new(),
            phases: vec![
                PhaseRule {
                    name: "Cu2Se".into(),
                    rules: vec![
                        Rule {
                            species: vec![CU],
                            per: vec![SE],
                            min: Some(1.6),
                            max: None,
                        },
                        Rule {
                            species: vec![CD],
                            per: vec![SE],
                            min: None,
                            max: Some(0.1),
                        },
                    ],
                },
                PhaseRule {
                    name: "CdSe".into(),
                    rules: vec![Rule {
                        species: vec![CD],
                        per: vec![SE],
                        min: Some(0.8),
                        max: None,
                    }],
                },
            ],
            cell: 10.0,
            min_atoms: 1,
        }
    }

    fn counts(cd: u64, se: u64, cu: u64) -> Counts {
        let mut c = [0; 64];
        c[1] = cd;
        c[2] = se;
        c[3] = cu;
        c
    }

    #[test]
    fn label_takes_the_first_phase_whose_rules_all_hold() {
        let p = cu2se_cdse();
        assert_eq!(p.label(&counts(0, 10, 16)), 0); // Cu/Se = 1.6 exactly: inclusive
        assert_eq!(p.label(&counts(0, 10, 15)), 2); // 1.5: other
        assert_eq!(p.label(&counts(2, 10, 20)), 1 + 1); // Cd/Se = 0.2: not Cu2Se, not CdSe
        assert_eq!(p.label(&counts(1, 10, 20)), 0); // Cd/Se = 0.1 inclusive
        assert_eq!(p.label(&counts(10, 10, 0)), 1);
        // No Se: every ratio per Se is undefined, so no rule holds.
        assert_eq!(p.label(&counts(0, 0, 3)), 2);
        assert_eq!(p.label(&counts(0, 0, 0)), 2);
    }
}
