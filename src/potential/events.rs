//! Potential-file reading of the newer event keys: site filters of conditions and saddle
//! terms (`kind`, `domain`), and the species-change and molecule event types (`change`,
//! `beam_change`, `remove_pair`, `add_pair`, with the keys `into` and `with_kind`).
//!
//! [`super::Compiler::rule`] reads the keys every event type shares and calls
//! [`Compiler::new_action`] for these types; the checks of the keys only these types take
//! live here too, so that the older reader stays as it was.

use serde::Deserialize;
use toml::Spanned;

use super::{Compiler, EventType, FileEvent};
use crate::error::Result;
use crate::model::{Action, DomainFilter, KindSet, SiteFilter, SiteKind, SiteMatch};
use crate::sites::{KindId, ShellId};
use crate::state::{SpeciesId, SpeciesTable};

/// One name or a list of names (`kind = "Cd_site"` or `kind = ["Cd_site", "Ti_site"]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum Names {
    /// One name.
    One(String),
    /// Several names.
    Many(Vec<String>),
}

impl Names {
    fn list(&self) -> Vec<String> {
        match self {
            Names::One(s) => vec![s.clone()],
            Names::Many(v) => v.clone(),
        }
    }
}

impl Compiler<'_> {
    /// The site filter of a condition or saddle term at `key` from its `kind` and `domain`
    /// keys (each one name or a list).
    ///
    /// # Errors
    /// An unknown site kind (with a suggestion), an empty list, or a kind index above 63.
    pub(super) fn site_filter(
        &self,
        kind: Option<&Spanned<Names>>,
        domain: Option<&Spanned<Names>>,
        kind_names: &[String],
        key: &str,
    ) -> Result<SiteFilter> {
        let src = self.source;
        let kinds = match kind {
            None => None,
            Some(k) => {
                let names = k.get_ref().list();
                if names.is_empty() {
                    return Err(src.error(
                        k.span(),
                        format!("{key}.kind"),
                        "an empty list of site kinds would count nothing; omit `kind` to count every kind",
                    ));
                }
                let mut ids = Vec::new();
                for name in names {
                    let spanned = Spanned::new(k.span(), name);
                    let i = self.find(kind_names, &spanned, &format!("{key}.kind"), "site kind")?;
                    ids.push(KindId(u16::try_from(i).unwrap_or(u16::MAX)));
                }
                Some(KindSet::from_kinds(&ids).ok_or_else(|| {
                    src.error(
                        k.span(),
                        format!("{key}.kind"),
                        "a filter can name only the first 64 site kinds",
                    )
                })?)
            }
        };
        let domains = match domain {
            None => None,
            Some(d) => {
                let names = d.get_ref().list();
                if names.is_empty() || names.iter().any(String::is_empty) {
                    return Err(src.error(
                        d.span(),
                        format!("{key}.domain"),
                        "`domain` names one or more domains or particles of the scenario (non-empty); omit it to count every domain",
                    ));
                }
                Some(DomainFilter { names, mask: None })
            }
        };
        Ok(SiteFilter { kinds, domains })
    }

    /// Rejects `into` and `with_kind` on event types that do not take them.
    ///
    /// # Errors
    /// The key, at its position, with the types that take it.
    pub(super) fn check_new_keys(&self, key: &str, e: &FileEvent, t: EventType) -> Result<()> {
        let src = self.source;
        if let Some(i) = &e.into {
            if !matches!(t, EventType::Change | EventType::BeamChange) {
                return Err(src.error(
                    i.span(),
                    format!("{key}.into"),
                    "only change and beam_change events take `into` (the species after the change)",
                ));
            }
        }
        if let Some(w) = &e.with_kind {
            if !matches!(t, EventType::RemovePair | EventType::AddPair) {
                return Err(src.error(
                    w.span(),
                    format!("{key}.with_kind"),
                    "only remove_pair and add_pair events take `with_kind` (the site kind of the `with` atom)",
                ));
            }
        }
        Ok(())
    }

    /// The action of a `change`, `beam_change`, `remove_pair` or `add_pair` event.
    ///
    /// # Errors
    /// Missing or misplaced keys, unknown species or kinds, a species not allowed on the
    /// site kind it is put on, a change of a species into itself.
    // the arguments are the keys `rule` has already read.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new_action(
        &self,
        key: &str,
        e: &FileEvent,
        t: EventType,
        species: SpeciesId,
        from: Option<KindId>,
        to: Option<KindId>,
        shell: Option<ShellId>,
        table: &SpeciesTable,
        kind_names: &[String],
        kinds: &[SiteKind],
    ) -> Result<Action> {
        if matches!(t, EventType::Change | EventType::BeamChange) {
            return self.change_action(key, e, species, from, table, kinds);
        }
        let src = self.source;
        let not_allowed = |s: SpeciesId, k: Option<KindId>, at: &Spanned<String>, name: &str| {
            self.not_allowed(key, table, kinds, s, k, at, name)
        };
        let removal = t == EventType::RemovePair;
        let Some(w) = &e.partner else {
            return Err(src.error(
                e.name.span(),
                format!("{key}.with"),
                "a molecule event needs `with`: the species of the second atom",
            ));
        };
        let second = self.species(table, w, &format!("{key}.with"))?;
        if second.is_vacancy() {
            return Err(src.error(
                w.span(),
                format!("{key}.with"),
                "a molecule is made of atoms, not `Vac`",
            ));
        }
        let (own_kind, wrong, wrong_name, right_name) = if removal {
            (from, &e.to, "to", "from")
        } else {
            (to, &e.from, "from", "to")
        };
        if let Some(at) = wrong {
            return Err(src.error(
                at.span(),
                format!("{key}.{wrong_name}"),
                format!(
                    "the site kind of the `species` atom of a {} is `{right_name}`; `with_kind` gives the other atom's",
                    if removal { "remove_pair" } else { "add_pair" }
                ),
            ));
        }
        let with_kind = match &e.with_kind {
            Some(k) => Some(KindId(
                u16::try_from(self.find(
                    kind_names,
                    k,
                    &format!("{key}.with_kind"),
                    "site kind",
                )?)
                .unwrap_or(u16::MAX),
            )),
            None => None,
        };
        if let Some(k) = &e.with_kind {
            not_allowed(second, with_kind, k, "with_kind")?;
        }
        let own_at = if removal { &e.from } else { &e.to };
        if let Some(k) = own_at {
            not_allowed(species, own_kind, k, right_name)?;
        }
        let first = SiteMatch {
            species,
            kind: own_kind,
        };
        let second = SiteMatch {
            species: second,
            kind: with_kind,
        };
        let shell = shell.unwrap_or(ShellId(0));
        Ok(if removal {
            Action::RemovePair {
                shell,
                first,
                second,
            }
        } else {
            Action::AddPair {
                shell,
                first,
                second,
            }
        })
    }

    /// The action of a `change` or `beam_change` event.
    fn change_action(
        &self,
        key: &str,
        e: &FileEvent,
        species: SpeciesId,
        from: Option<KindId>,
        table: &SpeciesTable,
        kinds: &[SiteKind],
    ) -> Result<Action> {
        let src = self.source;
        if let Some(at) = &e.to {
            return Err(src.error(
                at.span(),
                format!("{key}.to"),
                "a change stays on its site; use `from` for the site kind and `into` for the new species",
            ));
        }
        let Some(into) = &e.into else {
            return Err(src.error(
                e.name.span(),
                format!("{key}.into"),
                "a change needs `into`: the species the site holds after it",
            ));
        };
        let after = self.species(table, into, &format!("{key}.into"))?;
        if after.is_vacancy() || after == species {
            return Err(src.error(
                into.span(),
                format!("{key}.into"),
                "a change turns one species into another, neither `Vac` (use remove or add to empty or fill a site)",
            ));
        }
        if let Some(f) = &e.from {
            self.not_allowed(key, table, kinds, after, from, f, "from")?;
        }
        Ok(Action::Change {
            site: SiteMatch {
                species,
                kind: from,
            },
            to: after,
        })
    }

    /// An error at `at` (key `{key}.{name}`) when `s` is not allowed on kind `k`.
    // the message names the key, the species table and the kinds.
    #[allow(clippy::too_many_arguments)]
    fn not_allowed(
        &self,
        key: &str,
        table: &SpeciesTable,
        kinds: &[SiteKind],
        s: SpeciesId,
        k: Option<KindId>,
        at: &Spanned<String>,
        name: &str,
    ) -> Result<()> {
        match k {
            Some(k) if !kinds[k.index()].allowed.contains(s) => Err(self.source.error(
                at.span(),
                format!("{key}.{name}"),
                format!(
                    "species `{}` is not allowed on site kind `{}`",
                    table.name(s),
                    kinds[k.index()].name
                ),
            )),
            _ => Ok(()),
        }
    }
}
