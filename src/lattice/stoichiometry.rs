//! Composition of the domains after the cut, and trimming of a cut domain to its ideal
//! stoichiometry.
//!
//! A domain's *ideal formula* is the count of each species over its crystal's basis (the
//! `fill` of the phase), reduced by the greatest common divisor: CdSe wurtzite → Cd₁Se₁,
//! Cu₃P → Cu₃P₁. Its *deviation* after the cut is `max_s |n_s − f r_s| / (f r_s)` with
//! `n_s` the atoms of species `s` inside the domain, `r_s` the ideal formula and
//! `f = Σ n_s / Σ r_s` the (fractional) number of formula units.
//!
//! [`trim`] removes the excess atoms (they become vacant sites, which stay in the lattice):
//! with `F = min_s ⌊n_s / r_s⌋` formula units kept, `n_s − F r_s` atoms of each species
//! are removed, least coordinated first (coordination = atoms, i.e. filled inside sites,
//! within 1.2 × the domain's nearest atom–atom distance, updated after every removal; ties go to the lower
//! site index), so the removed atoms are corner and edge atoms of the cut surface.

use std::collections::BTreeSet;

use kiddo::SquaredEuclidean;
use kiddo::immutable::float::kdtree::ImmutableKdTree;

use super::assembly::SiteList;

/// Composition of one domain after the cut.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainComposition {
    /// Domain name.
    pub domain: String,
    /// `(species label, atoms inside the domain)`, one entry per species of the formula.
    pub counts: Vec<(u16, usize)>,
    /// `(species label, ideal formula count)`, reduced by the gcd.
    pub formula: Vec<(u16, usize)>,
    /// Relative deviation from the formula (see the module documentation) [1].
    pub deviation: f64,
    /// Atoms removed by [`trim`].
    pub trimmed: usize,
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The reduced ideal formula of a fill (one optional species label per basis site).
#[must_use]
pub fn formula(fill: &[Option<u16>]) -> Vec<(u16, usize)> {
    let mut counts: Vec<(u16, usize)> = Vec::new();
    for s in fill.iter().flatten() {
        match counts.iter_mut().find(|(l, _)| l == s) {
            Some(entry) => entry.1 += 1,
            None => counts.push((*s, 1)),
        }
    }
    counts.sort_unstable();
    let g = counts.iter().fold(0, |g, (_, n)| gcd(g, *n));
    if g > 1 {
        for c in &mut counts {
            c.1 /= g;
        }
    }
    counts
}

fn counts_in(
    list: &SiteList,
    domain: usize,
    fill: &[Option<u16>],
    formula: &[(u16, usize)],
) -> Vec<(u16, usize)> {
    let mut counts: Vec<(u16, usize)> = formula.iter().map(|(l, _)| (*l, 0)).collect();
    for i in 0..list.len() {
        if list.inside[i] && list.domains[i].index() == domain {
            if let Some(Some(s)) = fill.get(usize::from(list.roles[i])) {
                if let Some(c) = counts.iter_mut().find(|(l, _)| l == s) {
                    c.1 += 1;
                }
            }
        }
    }
    counts
}

fn deviation(counts: &[(u16, usize)], formula: &[(u16, usize)]) -> f64 {
    let total: usize = counts.iter().map(|c| c.1).sum();
    let units: usize = formula.iter().map(|c| c.1).sum();
    if total == 0 || units == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let f = total as f64 / units as f64;
    counts
        .iter()
        .zip(formula)
        .map(|(n, r)| {
            #[allow(clippy::cast_precision_loss)]
            let ideal = f * r.1 as f64;
            #[allow(clippy::cast_precision_loss)]
            let dev = (n.1 as f64 - ideal).abs() / ideal;
            dev
        })
        .fold(0.0, f64::max)
}

/// The composition of every domain of `list` that has a fill (`fills[d]`: one optional
/// species label per basis site of domain `d`; domains without a formula are skipped).
#[must_use]
pub fn composition(list: &SiteList, fills: &[Vec<Option<u16>>]) -> Vec<DomainComposition> {
    let mut out = Vec::new();
    for (d, fill) in fills.iter().enumerate().take(list.domain_names.len()) {
        let formula = formula(fill);
        if formula.is_empty() {
            continue;
        }
        let counts = counts_in(list, d, fill, &formula);
        out.push(DomainComposition {
            domain: list.domain_names[d].clone(),
            deviation: deviation(&counts, &formula),
            counts,
            formula,
            trimmed: 0,
        });
    }
    out
}

/// The neighbours of each atom of `atoms` (indices into `atoms`, sorted) within 1.2 times the
/// shortest atom–atom distance found in domain `domain`; `None` when the domain has no pair.
fn neighbour_lists(list: &SiteList, atoms: &[usize], domain: usize) -> Option<Vec<Vec<usize>>> {
    let positions: Vec<[f64; 3]> = atoms.iter().map(|&i| list.positions[i]).collect();
    let tree: ImmutableKdTree<f64, u32, 3, 32> = ImmutableKdTree::new_from_slice(&positions);
    let mut nn = f64::INFINITY;
    for (k, &i) in atoms.iter().enumerate() {
        if list.domains[i].index() == domain {
            let near = tree.nearest_n::<SquaredEuclidean>(
                &positions[k],
                std::num::NonZero::<usize>::MIN.saturating_add(1),
            );
            if let Some(n) = near.get(1) {
                nn = nn.min(n.distance.sqrt());
            }
        }
    }
    if !nn.is_finite() || nn <= 0.0 {
        return None;
    }
    let cutoff2 = (1.2 * nn) * (1.2 * nn);
    let neighbours: Vec<Vec<usize>> = positions
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let mut v: Vec<usize> = tree
                .within_unsorted::<SquaredEuclidean>(p, cutoff2)
                .iter()
                .map(|n| n.item as usize)
                .filter(|&j| j != k)
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
    Some(neighbours)
}

/// Trims domain `domain` of `list` to its ideal formula (see the module documentation) and
/// returns the number of atoms removed (set vacant: `inside = false`). `fills[d]` gives the
/// species label of each basis site of domain `d` (`None`: an empty hole, not an atom);
/// sites of domains without a fill (the substrate) count as atoms.
pub fn trim(list: &mut SiteList, domain: usize, fills: &[Vec<Option<u16>>]) -> usize {
    let Some(fill) = fills.get(domain) else {
        return 0;
    };
    let formula = formula(fill);
    if formula.len() < 2 {
        return 0;
    }
    let counts = counts_in(list, domain, fill, &formula);
    let units = counts
        .iter()
        .zip(&formula)
        .map(|(n, r)| n.1 / r.1)
        .min()
        .unwrap_or(0);
    let mut excess: Vec<(u16, usize)> = counts
        .iter()
        .zip(&formula)
        .map(|(n, r)| (n.0, n.1 - units * r.1))
        .collect();
    if excess.iter().all(|e| e.1 == 0) {
        return 0;
    }

    // Coordination among all atoms (filled inside sites), the cutoff from the domain's spacing.
    let is_atom = |i: usize| {
        list.inside[i]
            && fills.get(list.domains[i].index()).is_none_or(|f| {
                f.get(usize::from(list.roles[i]))
                    .copied()
                    .flatten()
                    .is_some()
            })
    };
    let atoms: Vec<usize> = (0..list.len()).filter(|&i| is_atom(i)).collect();
    let Some(neighbours) = neighbour_lists(list, &atoms, domain) else {
        return 0;
    };
    let mut coordination: Vec<usize> = neighbours.iter().map(Vec::len).collect();
    let label = |k: usize| -> Option<u16> {
        let i = atoms[k];
        if list.domains[i].index() == domain {
            fill.get(usize::from(list.roles[i])).copied().flatten()
        } else {
            None
        }
    };
    // Candidates: (coordination, index) ordered sets, one per species with an excess.
    let mut queues: Vec<BTreeSet<(usize, usize)>> = excess
        .iter()
        .map(|(s, _)| {
            (0..atoms.len())
                .filter(|&k| label(k) == Some(*s))
                .map(|k| (coordination[k], k))
                .collect()
        })
        .collect();
    let mut removed = 0;
    loop {
        // The least coordinated atom over every species still in excess.
        let pick = excess
            .iter()
            .enumerate()
            .filter(|(_, e)| e.1 > 0)
            .filter_map(|(q, _)| queues[q].first().map(|&(c, k)| (c, k, q)))
            .min();
        let Some((c, k, q)) = pick else { break };
        queues[q].remove(&(c, k));
        excess[q].1 -= 1;
        list.inside[atoms[k]] = false;
        removed += 1;
        for &j in &neighbours[k] {
            if let Some(s) = label(j) {
                if let Some(qj) = excess.iter().position(|e| e.0 == s) {
                    if queues[qj].remove(&(coordination[j], j)) {
                        coordination[j] -= 1;
                        queues[qj].insert((coordination[j], j));
                        continue;
                    }
                }
            }
            coordination[j] = coordination[j].saturating_sub(1);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_is_reduced_by_the_gcd() {
        let f = formula(&[Some(1), Some(1), Some(2), Some(2), None, None]);
        assert_eq!(f, vec![(1, 1), (2, 1)]);
        let f = formula(&[Some(0), Some(0), Some(0), Some(3)]);
        assert_eq!(f, vec![(0, 3), (3, 1)]);
    }
}
