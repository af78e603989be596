//! Site filters of conditions and saddle terms: which neighbours an environment count
//! includes, by site kind and by domain.
//!
//! A neighbour is counted when its species is in the term's species set *and* it passes
//! the term's [`SiteFilter`]: its kind is in `kinds` (all kinds when unset) and its domain
//! is in `domains` (all domains when unset). Kinds and domains are properties of the site,
//! not of its occupant, so a filtered count is the same before and after a swap of the two
//! event sites and detailed balance is kept.
//!
//! Domains are named by the scenario, not by the potential file: a filter keeps the names
//! it was given ([`DomainFilter::names`]), and [`crate::engine::Simulation`] resolves them
//! against the site graph when it is built ([`super::Model::resolve_domains`]). A particle
//! name stands for all of its domains (`particle/domain`), as in scenario files.

use crate::error::{Error, Result};
use crate::sites::{DomainId, KindId};

/// A set of site kinds as a bit mask (bit `i` = kind `i`; at most 64 kinds can be named in
/// a filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct KindSet(pub u64);

impl KindSet {
    /// The set of these kinds; `None` when a kind index is 64 or more.
    #[must_use]
    pub fn from_kinds(kinds: &[KindId]) -> Option<Self> {
        kinds.iter().try_fold(KindSet(0), |m, k| {
            (k.0 < 64).then(|| KindSet(m.0 | (1u64 << k.0)))
        })
    }

    /// True when `k` is in the set.
    #[inline]
    #[must_use]
    pub fn contains(self, k: KindId) -> bool {
        k.0 < 64 && self.0 >> k.0 & 1 == 1
    }
}

/// Domains a filter accepts: names from the potential file, resolved to a bit mask over the
/// graph's domains when the simulation is built.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DomainFilter {
    /// Domain or particle names as written in the potential file.
    pub names: Vec<String>,
    /// Accepted domains (bit `i` = domain `i`), `None` until resolved.
    pub mask: Option<u64>,
}

impl DomainFilter {
    /// True when `d` is accepted. An unresolved filter accepts nothing (the engine refuses
    /// to build with one).
    #[inline]
    #[must_use]
    pub fn contains(&self, d: DomainId) -> bool {
        self.mask.is_some_and(|m| d.0 < 64 && m >> d.0 & 1 == 1)
    }

    /// Resolves the names against `domain_names` (the graph's, `particle/domain` or a
    /// single name): a name matches a domain of that name, or every domain of the particle
    /// of that name.
    ///
    /// # Errors
    /// A name that matches no domain (the message lists the domains), or a matching domain
    /// with an index of 64 or more; `what` names the term in the message.
    pub fn resolve(&mut self, domain_names: &[String], what: &str) -> Result<()> {
        let mut mask = 0u64;
        for name in &self.names {
            let mut found = false;
            for (i, d) in domain_names.iter().enumerate() {
                let particle = d.split('/').next().unwrap_or(d);
                if d == name || particle == name {
                    if i >= 64 {
                        return Err(Error::build(
                            what,
                            format!(
                                "domain `{d}` is the 65th or later: a filter can name only the first 64 domains"
                            ),
                        ));
                    }
                    mask |= 1u64 << i;
                    found = true;
                }
            }
            if !found {
                return Err(Error::build(
                    what,
                    format!(
                        "unknown domain `{name}` in `domain` (domains of this system: {})",
                        domain_names.join(", ")
                    ),
                ));
            }
        }
        self.mask = Some(mask);
        Ok(())
    }
}

/// What a counted neighbour's site must be, besides holding a counted species.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiteFilter {
    /// Accepted site kinds, or all.
    pub kinds: Option<KindSet>,
    /// Accepted domains, or all.
    pub domains: Option<DomainFilter>,
}

impl SiteFilter {
    /// True when the filter accepts every site (counts can then come from the cached
    /// per-species neighbour counts).
    #[inline]
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.kinds.is_none() && self.domains.is_none()
    }

    /// True when a site of `kind` in `domain` passes.
    #[inline]
    #[must_use]
    pub fn accepts(&self, kind: KindId, domain: DomainId) -> bool {
        self.kinds.is_none_or(|k| k.contains(kind))
            && self.domains.as_ref().is_none_or(|d| d.contains(domain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_filter_particle_name_covers_its_domains() {
        let names: Vec<String> = ["rod/core", "rod/tip", "substrate"]
            .iter()
            .map(|s| (*s).to_string())
            .collect();
        let mut f = DomainFilter {
            names: vec!["rod".into()],
            mask: None,
        };
        f.resolve(&names, "t").unwrap();
        assert_eq!(f.mask, Some(0b011));
        let mut g = DomainFilter {
            names: vec!["nowhere".into()],
            mask: None,
        };
        let e = g.resolve(&names, "t").unwrap_err().to_string();
        assert!(e.contains("unknown domain `nowhere`"), "{e}");
    }

    #[test]
    fn kind_set_rejects_large_indices() {
        assert!(KindSet::from_kinds(&[KindId(64)]).is_none());
        let s = KindSet::from_kinds(&[KindId(0), KindId(3)]).unwrap();
        assert!(s.contains(KindId(3)) && !s.contains(KindId(1)));
    }
}
