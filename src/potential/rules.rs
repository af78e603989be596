//! Compiling the `[[events]]` of a potential file into [`crate::model::Rule`]s, and the
//! check that every species an event places is allowed on the site kind it lands on.

use super::Compiler;
use super::file::{EventType, FileBarrierRule, FileEvent};
use super::{
    Action, BarrierRule, Condition, Dimension, KindId, Quantity, RateLaw, Result, Rule, SaddleTerm,
    ShellId, SiteKind, SiteMatch, Spanned, SpeciesId, SpeciesSet, SpeciesTable,
};

impl Compiler<'_> {
    /// Every species an event puts on a site kind must be allowed there.
    pub(super) fn check_allowed(
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
    pub(super) fn rule(
        &self,
        i: usize,
        e: &FileEvent,
        table: &SpeciesTable,
        kind_names: &[String],
        shell_names: &[String],
        kinds: &[SiteKind],
        beam_data: Option<&crate::beam::BeamData>,
        (phases, move_vectors): (
            &[super::Phase],
            &mut Vec<crate::model::vectors::MoveVectors>,
        ),
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
            EventType::ClusterMove => self.cluster_action(
                &key,
                e,
                species,
                shell.unwrap_or(ShellId(0)),
                shell_names,
                table,
                phases,
                move_vectors,
            )?,
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
