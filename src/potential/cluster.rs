//! Potential-file reading of the `cluster_move` event type (collective translation of a
//! small cluster, [`crate::model::Action::ClusterMove`]) and its keys `motif`, `connect`,
//! `min_size`, `max_size`, `size_energy`, `size_power`, `vectors`, `vector_phase` and
//! `merge_min_gain`.
//!
//! [`super::Compiler::rule`] reads the keys every event type shares; this file checks the
//! keys only cluster moves take (and rejects them on other types) and builds the action.

use super::{Compiler, EventType, FileBarrierRule, FileEvent};
use crate::error::Result;
use crate::model::vectors::{MoveVectors, VectorSet};
use crate::model::{Action, ClusterMove, SpeciesSet};
use crate::sites::ShellId;
use crate::state::{SpeciesId, SpeciesTable};
use crate::units::Dimension;

/// Largest `max_size` accepted: a cluster move is classified by a flood fill of up to
/// `max_size + 1` atoms per refresh, so a larger bound would only make runs slow.
const MAX_CLUSTER_SIZE: u32 = 100_000;

impl Compiler<'_> {
    /// Rejects the cluster keys on other event types, and the keys a cluster move does
    /// not take.
    ///
    /// # Errors
    /// The key, at its position, with what to do instead.
    pub(super) fn check_cluster_keys(&self, key: &str, e: &FileEvent, t: EventType) -> Result<()> {
        let src = self.source;
        if t != EventType::ClusterMove {
            let given = [
                ("motif", e.motif.as_ref().map(toml::Spanned::span)),
                ("connect", e.connect.as_ref().map(toml::Spanned::span)),
                ("min_size", e.min_size.as_ref().map(toml::Spanned::span)),
                ("max_size", e.max_size.as_ref().map(toml::Spanned::span)),
                (
                    "size_energy",
                    e.size_energy.as_ref().map(toml::Spanned::span),
                ),
                ("size_power", e.size_power.as_ref().map(toml::Spanned::span)),
                ("vectors", e.vectors.as_ref().map(toml::Spanned::span)),
                (
                    "vector_phase",
                    e.vector_phase.as_ref().map(toml::Spanned::span),
                ),
                (
                    "merge_min_gain",
                    e.merge_min_gain.as_ref().map(toml::Spanned::span),
                ),
            ];
            if let Some((name, Some(span))) = given.into_iter().find(|(_, s)| s.is_some()) {
                return Err(src.error(
                    span,
                    format!("{key}.{name}"),
                    format!("only cluster_move events take `{name}`"),
                ));
            }
            return Ok(());
        }
        let misplaced = [
            (
                "from",
                e.from.as_ref().map(toml::Spanned::span),
                "a cluster move moves every atom of the species; the site kinds it may enter are those that allow the species",
            ),
            (
                "to",
                e.to.as_ref().map(toml::Spanned::span),
                "a cluster move moves every atom of the species; the site kinds it may enter are those that allow the species",
            ),
            (
                "with",
                e.partner.as_ref().map(toml::Spanned::span),
                "a cluster's species are `species` (the lead) and those listed in `motif`",
            ),
            (
                "reference_energy",
                e.reference_energy.as_ref().map(toml::Spanned::span),
                "a cluster move neither removes nor adds atoms",
            ),
        ];
        if let Some((name, Some(span), why)) = misplaced.into_iter().find(|(_, s, _)| s.is_some()) {
            return Err(src.error(span, format!("{key}.{name}"), why.to_string()));
        }
        if let Some(s) = e.saddle.first() {
            return Err(src.error(
                s.shell.span(),
                format!("{key}.saddle"),
                "cluster moves take no saddle terms: the size law (`size_energy`, `size_power`) sets their migration energy",
            ));
        }
        if let Some(c) = e.conditions.first() {
            return Err(src.error(
                c.shell.span(),
                format!("{key}.conditions"),
                "cluster moves take no conditions",
            ));
        }
        if e.barrier_rule == Some(FileBarrierRule::Fixed) {
            return Err(src.error(
                e.name.span(),
                format!("{key}.barrier_rule"),
                "barrier_rule = \"fixed\" ignores the energy change, so a cluster move and its \
                 reverse would break detailed balance: use kang_weinberg or uphill",
            ));
        }
        Ok(())
    }

    /// The action of a `cluster_move` event of `species` along `shell` (or along the
    /// lattice `vectors` of `vector_phase`, pushed onto `move_vectors`).
    ///
    /// # Errors
    /// A missing `max_size`, sizes out of order, an unknown `connect` shell, a size law
    /// that is not finite or would make the rate grow without bound, bad `vectors`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn cluster_action(
        &self,
        key: &str,
        e: &FileEvent,
        species: SpeciesId,
        shell: ShellId,
        shell_names: &[String],
        table: &SpeciesTable,
        phases: &[super::Phase],
        move_vectors: &mut Vec<MoveVectors>,
    ) -> Result<Action> {
        let src = self.source;
        let motif = self.cluster_motif(key, e, species, table)?;
        let connect = match &e.connect {
            Some(c) => ShellId(
                u8::try_from(self.find(shell_names, c, &format!("{key}.connect"), "shell")?)
                    .unwrap_or(u8::MAX),
            ),
            None => shell,
        };
        let Some(max) = &e.max_size else {
            return Err(src.error(
                e.name.span(),
                format!("{key}.max_size"),
                "a cluster move needs `max_size`: the largest cluster (atoms) that moves as a whole",
            ));
        };
        let max_size = *max.get_ref();
        let min_size = e.min_size.as_ref().map_or(2, |m| *m.get_ref());
        if min_size < 2 {
            let at = e
                .min_size
                .as_ref()
                .map_or(e.name.span(), toml::Spanned::span);
            return Err(src.error(
                at,
                format!("{key}.min_size"),
                format!("min_size must be at least 2 (single atoms move by hops), got {min_size}"),
            ));
        }
        if max_size < min_size || max_size > MAX_CLUSTER_SIZE {
            return Err(src.error(
                max.span(),
                format!("{key}.max_size"),
                format!(
                    "max_size must lie between min_size ({min_size}) and {MAX_CLUSTER_SIZE}, got {max_size}"
                ),
            ));
        }
        let size_energy = match &e.size_energy {
            Some(q) => src.quantity(q, Dimension::Energy, &format!("{key}.size_energy"))?,
            None => 0.0,
        };
        let size_power = match &e.size_power {
            Some(p) => {
                let v = *p.get_ref();
                if !v.is_finite() || v.abs() > 10.0 {
                    return Err(src.error(
                        p.span(),
                        format!("{key}.size_power"),
                        format!("size_power must be a finite number in [-10, 10], got {v}"),
                    ));
                }
                v
            }
            None => 0.0,
        };
        let vectors = self.cluster_vectors(key, e, phases, move_vectors)?;
        let merge_min_gain = match &e.merge_min_gain {
            Some(q) => {
                let k = format!("{key}.merge_min_gain");
                let g = src.quantity(q, Dimension::Energy, &k)?;
                if !(g.is_finite() && g > 0.0) {
                    return Err(src.error(
                        q.span(),
                        k,
                        format!(
                            "merge_min_gain must be a positive energy: a merge is one-way, and \
                             the reverse it leaves out is slower by at most exp(-gain / k_B T); \
                             got {g} eV"
                        ),
                    ));
                }
                Some(g)
            }
            None => None,
        };
        Ok(Action::ClusterMove(ClusterMove {
            species,
            motif,
            shell,
            connect,
            min_size,
            max_size,
            size_energy,
            size_power,
            vectors,
            merge_min_gain,
        }))
    }

    /// The lattice move vectors of a cluster move (`vectors` in the cell of
    /// `vector_phase`), pushed onto `move_vectors`; `None` when the keys are absent.
    ///
    /// # Errors
    /// One key without the other, an unknown phase or one without a lattice, an empty
    /// list, a vector of other than three or four finite indices (four with
    /// `T = −(U + V)`), a zero or repeated vector, a vector whose opposite is missing
    /// (a move without its reverse would break detailed balance).
    fn cluster_vectors(
        &self,
        key: &str,
        e: &FileEvent,
        phases: &[super::Phase],
        move_vectors: &mut Vec<MoveVectors>,
    ) -> Result<Option<VectorSet>> {
        let src = self.source;
        let (list, phase_name) = match (&e.vectors, &e.vector_phase) {
            (None, None) => return Ok(None),
            (Some(l), Some(p)) => (l, p),
            (Some(l), None) => {
                return Err(src.error(
                    l.span(),
                    format!("{key}.vector_phase"),
                    "`vectors` are written in the cell of a phase: name it with `vector_phase`",
                ));
            }
            (None, Some(p)) => {
                return Err(src.error(
                    p.span(),
                    format!("{key}.vectors"),
                    "`vector_phase` names the cell of `vectors`, which are missing",
                ));
            }
        };
        let pk = format!("{key}.vector_phase");
        let names: Vec<String> = phases.iter().map(|p| p.name.clone()).collect();
        let phase = &phases[self.find(&names, phase_name, &pk, "phase")?];
        let crystal = phase.crystal().map_err(|err| {
            src.error(
                phase_name.span(),
                pk.clone(),
                format!("phase `{}` has no lattice: {err}", phase.name),
            )
        })?;
        let vk = format!("{key}.vectors");
        if list.get_ref().is_empty() {
            return Err(src.error(
                list.span(),
                vk,
                "list at least one lattice vector, and its opposite",
            ));
        }
        let mut uvw: Vec<[f64; 3]> = Vec::new();
        for (j, v) in list.get_ref().iter().enumerate() {
            let k = format!("{vk}[{j}]");
            if v.get_ref().iter().any(|x| !x.is_finite()) {
                return Err(src.error(v.span(), k, "indices must be finite numbers"));
            }
            let three = crate::lattice::orientation::three_direction_indices(&k, v.get_ref())
                .map_err(|_| {
                    src.error(
                        v.span(),
                        k.clone(),
                        format!(
                            "a lattice vector has three indices [u, v, w] or four [U, V, T, W] with T = −(U + V), got {:?}",
                            v.get_ref()
                        ),
                    )
                })?;
            let length = crystal
                .cartesian(three)
                .iter()
                .map(|x| x * x)
                .sum::<f64>()
                .sqrt();
            if length < 1e-6 {
                return Err(src.error(v.span(), k, "the zero vector moves nothing"));
            }
            if uvw
                .iter()
                .any(|w| (0..3).all(|i| (w[i] - three[i]).abs() < 1e-9))
            {
                return Err(src.error(v.span(), k, "this vector is listed twice"));
            }
            uvw.push(three);
        }
        for (j, v) in uvw.iter().enumerate() {
            if !uvw
                .iter()
                .any(|w| (0..3).all(|i| (w[i] + v[i]).abs() < 1e-9))
            {
                return Err(src.error(
                    list.get_ref()[j].span(),
                    format!("{vk}[{j}]"),
                    format!(
                        "the opposite of {:?} is not listed: every move needs its reverse (detailed balance)",
                        list.get_ref()[j].get_ref()
                    ),
                ));
            }
        }
        let (index, count) = (u16::try_from(move_vectors.len()), u16::try_from(uvw.len()));
        let (Ok(index), Ok(count)) = (index, count) else {
            return Err(src.error(list.span(), vk, "too many move vectors"));
        };
        move_vectors.push(MoveVectors {
            phase: phase.name.clone(),
            cell: crystal.cell,
            uvw,
            per_domain: Vec::new(),
            targets: Vec::new(),
        });
        Ok(Some(VectorSet { index, count }))
    }

    /// The species set of a cluster move: the lead `species` and the further species of
    /// `motif` (none when the key is absent).
    ///
    /// # Errors
    /// An unknown species, `Vac`, the lead species or a species listed twice in `motif`.
    fn cluster_motif(
        &self,
        key: &str,
        e: &FileEvent,
        species: SpeciesId,
        table: &SpeciesTable,
    ) -> Result<SpeciesSet> {
        let mut set = SpeciesSet::single(species);
        let Some(list) = &e.motif else {
            return Ok(set);
        };
        let k = format!("{key}.motif");
        if list.get_ref().is_empty() {
            return Err(self.source.error(
                list.span(),
                k,
                "motif lists the species that move with the lead `species` as one unit; it may not be empty (leave it out for a cluster of one species)",
            ));
        }
        for name in list.get_ref() {
            let s = self.species(table, name, &k)?;
            let why = if s.is_vacancy() {
                Some("`Vac` cannot be part of a motif: empty sites are not moved".to_string())
            } else if s == species {
                Some(format!(
                    "`{}` is already the lead `species`; motif lists the further species",
                    name.get_ref()
                ))
            } else if set.contains(s) {
                Some(format!("`{}` is listed twice", name.get_ref()))
            } else {
                None
            };
            if let Some(why) = why {
                return Err(self.source.error(name.span(), k, why));
            }
            set.insert(s);
        }
        Ok(set)
    }
}
