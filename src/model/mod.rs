//! The compiled physical model: species, site kinds, shells, energy parameters and event
//! rules.
//!
//! A [`Model`] is plain data, read from a potential file by [`crate::potential`] or built in
//! code (tests, benchmarks). It is validated once by [`Model::validate`]; the engine then
//! relies on its invariants. The model decides *what* can happen; [`crate::energy`] and
//! [`crate::rates`] decide *how fast*.
//!
//! # Event rules
//! A [`Rule`] is a template, not a list of events: the engine instantiates it on every site
//! where it applies. Seven actions cover the event classes of the mission:
//! - [`Action::Swap`]: the species on two neighbouring sites exchange places. A hop is a swap
//!   with a vacancy; a kick-out (`Cu_i + Cd_Cd → Cu_Cd + Cd_i`) is a swap of two atoms; a beam
//!   displacement is a swap with an athermal rate.
//! - [`Action::Remove`]: an atom leaves into the vacuum sink (evaporation, sputtering); it is
//!   counted per species and domain.
//! - [`Action::Add`]: an atom arrives from a reservoir on a vacant site (deposition).
//! - [`Action::Change`]: the species on a site changes in place (a reduction under the
//!   beam, a charge state).
//! - [`Action::RemovePair`] and [`Action::AddPair`]: a molecule of two atoms on neighbouring
//!   sites leaves into the vacuum sink (`X₂`, a `CdSe` unit) or lands from a reservoir.
//! - [`Action::ClusterMove`]: a small connected cluster of one species, or a motif of
//!   several (a `ZnX₄` unit), translates rigidly by one vector of a shell (collective
//!   diffusion of 1–3 nm clusters, unit moves), with a size law.
//!
//! Conditions and saddle terms count neighbours by species, and optionally only on some
//! site kinds or domains ([`SiteFilter`]).
//!
//! Each rule has a [`RateLaw`]: thermal (prefactor, migration energy, barrier rule, saddle
//! terms) or beam (cross-section × electron flux). Every instance of a rule is *owned* by one
//! site, on which the engine stores it: the target site for swaps, the site itself for
//! single-site actions.
//!
//! # Adding an event type
//! Add a variant to [`Action`], one file in `src/events/` (its slots, site changes and
//! classification), its `type` in the potential file (`src/potential/actions.rs`), and
//! tests.

mod filter;
pub mod vectors;

use crate::error::{Error, Result};
pub use crate::sites::neighbors::{ShellPair, ShellSpec};
use crate::sites::{KindId, ShellId};
use crate::state::{SpeciesId, SpeciesTable};
pub use filter::{DomainFilter, KindSet, SiteFilter};

/// A set of species as a bit mask (bit `i` = species `i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct SpeciesSet(pub u64);

impl SpeciesSet {
    /// The empty set.
    pub const EMPTY: SpeciesSet = SpeciesSet(0);

    /// A set with one species.
    #[must_use]
    pub fn single(s: SpeciesId) -> Self {
        SpeciesSet(1u64 << s.0)
    }

    /// A set from a list.
    #[must_use]
    pub fn from_species(list: &[SpeciesId]) -> Self {
        SpeciesSet(list.iter().fold(0, |m, s| m | (1u64 << s.0)))
    }

    /// True when `s` is in the set.
    #[inline]
    #[must_use]
    pub fn contains(self, s: SpeciesId) -> bool {
        self.0 >> s.0 & 1 == 1
    }

    /// Adds a species.
    pub fn insert(&mut self, s: SpeciesId) {
        self.0 |= 1u64 << s.0;
    }

    /// Iterates over the members.
    pub fn iter(self) -> impl Iterator<Item = SpeciesId> {
        #[allow(clippy::cast_possible_truncation)]
        (0..64u8)
            .filter(move |i| self.0 >> i & 1 == 1)
            .map(SpeciesId)
    }
}

/// A site kind (sublattice) and the species allowed on it.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteKind {
    /// Name, e.g. `Cd_site`.
    pub name: String,
    /// Species allowed on sites of this kind (the vacancy is always allowed).
    pub allowed: SpeciesSet,
}

/// Coordination-dependent energy of one species: `E(n)` from a table over the number `n` of
/// neighbours in `shell` whose species is in `counted` (the SPPARKS "nonlinear" form).
#[derive(Debug, Clone, PartialEq)]
pub struct CoordinationTerm {
    /// The species whose site energy this is.
    pub species: SpeciesId,
    /// The shell in which neighbours are counted.
    pub shell: ShellId,
    /// Which neighbour species count.
    pub counted: SpeciesSet,
    /// `table[n]` [eV] for `n = 0 ..= max neighbours`.
    pub table: Vec<f64>,
}

/// Energy parameters of the bond-counting model.
///
/// `E = Σ_sites onsite(kind, species) + Σ_shells Σ_bonds ε_shell(a, b) + Σ_sites E_species(n)`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyParams {
    /// `onsite[kind][species]` [eV].
    pub onsite: Vec<Vec<f64>>,
    /// Pair energies per shell: `bonds[i] = (shell, matrix)` with `matrix[a][b]` [eV],
    /// symmetric. Each bond is counted once.
    pub bonds: Vec<(ShellId, Vec<Vec<f64>>)>,
    /// Coordination-dependent site energies.
    pub coordination: Vec<CoordinationTerm>,
}

/// The species and optional site kind required at one end of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteMatch {
    /// Species required.
    pub species: SpeciesId,
    /// Site kind required, or `None` for any kind.
    pub kind: Option<KindId>,
}

impl SiteMatch {
    /// True when a site of `kind` holding `species` matches.
    #[inline]
    #[must_use]
    pub fn matches(&self, kind: KindId, species: SpeciesId) -> bool {
        self.species == species && self.kind.is_none_or(|k| k == kind)
    }
}

/// What an event does to the configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// The species on the target site and on its neighbour `mover` (in `shell`) exchange.
    /// The target site owns the event.
    Swap {
        /// Shell in which the two sites are neighbours.
        shell: ShellId,
        /// The moving species and where it starts.
        mover: SiteMatch,
        /// The species it exchanges with (the vacancy for a hop) and where that is.
        target: SiteMatch,
    },
    /// The atom on the site leaves into the vacuum sink.
    Remove {
        /// The leaving species and its site kind.
        site: SiteMatch,
    },
    /// An atom of `species` arrives on a vacant site of `kind` from a reservoir.
    Add {
        /// The arriving species.
        species: SpeciesId,
        /// The site kind, or any.
        kind: Option<KindId>,
    },
    /// The species on the site changes in place into `to` (a reduction `Zn²⁺ → Zn⁰` under
    /// the beam, a charge state): the site owns the event.
    Change {
        /// The species before and its site kind.
        site: SiteMatch,
        /// The species after (allowed on the site's kind, not the vacancy).
        to: SpeciesId,
    },
    /// Two atoms on neighbouring sites (in `shell`) leave together into the vacuum sink as
    /// one molecule (`X₂`, a `CdSe` unit). The site of `first` owns the event; when both
    /// ends could own it, the lower site does. Each atom is counted per species and domain.
    RemovePair {
        /// Shell in which the two sites are neighbours.
        shell: ShellId,
        /// One atom of the molecule and its site kind (the owner's end).
        first: SiteMatch,
        /// The other atom and its site kind.
        second: SiteMatch,
    },
    /// A molecule from a reservoir lands on two vacant neighbouring sites (in `shell`):
    /// `first.species` on the owner, `second.species` on its neighbour; the kinds of
    /// `first` and `second` restrict the two sites. The reverse of [`Action::RemovePair`].
    AddPair {
        /// Shell in which the two sites are neighbours.
        shell: ShellId,
        /// The atom placed on the owner and the owner's kind.
        first: SiteMatch,
        /// The atom placed on the neighbour and the neighbour's kind.
        second: SiteMatch,
    },
    /// A connected cluster of `species` (its atoms linked by the `connect` shell, `min_size`
    /// to `max_size` atoms, no other atom of `species` touching it) translates rigidly by
    /// one vector of the `shell` neighbour relation: every destination site must be vacant
    /// (or part of the cluster) and allow the species, and the moved cluster must touch no
    /// other atom of `species` (so the reverse move exists and detailed balance holds).
    /// The lowest site of the cluster owns its moves, one slot per vector of `shell`; the
    /// migration energy grows with the size `n` as `E_m + size_energy · f(n)` with the
    /// Box–Cox form `f(n) = (n^p − 1)/p` (`ln n` at `p = 0`), `p = size_power`
    /// ([`ClusterMove::size_barrier`]). With `vectors` ([`vectors::MoveVectors`]) the
    /// moves are the listed lattice vectors of a phase, turned with each domain of that
    /// lattice, one slot per vector. `src/events/cluster_move.rs`.
    ClusterMove(ClusterMove),
}

/// The parameters of a collective cluster translation ([`Action::ClusterMove`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterMove {
    /// The lead species: the cluster's lowest site holding it owns the moves, and a
    /// cluster without it does not move.
    pub species: SpeciesId,
    /// Every species of the cluster's atoms: `species` and the further species of the
    /// file's `motif` (a `ZnX₄` unit: Zn and X). A cluster is a connected component of the
    /// sites holding any of them.
    pub motif: SpeciesSet,
    /// The shell whose vectors the cluster moves by.
    pub shell: ShellId,
    /// The shell that links the atoms of a cluster.
    pub connect: ShellId,
    /// Smallest cluster that moves (atoms, ≥ 2).
    pub min_size: u32,
    /// Largest cluster that moves (atoms); larger clusters do not move.
    pub max_size: u32,
    /// `E₁` of the size law [eV].
    pub size_energy: f64,
    /// `p` of the size law (dimensionless).
    pub size_power: f64,
    /// Lattice move vectors (`vectors` of the file, [`vectors::MoveVectors`]) instead of
    /// the vectors of `shell`; `None`: one move per neighbour of the owner in `shell`.
    pub vectors: Option<vectors::VectorSet>,
    /// Moves into contact (`merge_min_gain` of the file, [eV]): `None`, a moved cluster
    /// may touch no other atom of the motif (every move has its reverse); `Some(g)`, a
    /// move that brings the cluster into contact is possible too when it lowers the
    /// energy by at least `g` (ΔE ≤ −g). Such a *merge* is one-way (no cluster move splits
    /// a cluster): the reverse it omits would be slower than the merge by
    /// `exp(ΔE / k_B T) ≤ exp(−g / k_B T)`, the error bound `nanokmc check` prints.
    pub merge_min_gain: Option<f64>,
}

impl ClusterMove {
    /// The barrier [eV] of a move of a cluster of `n` atoms with energy change `delta_e`
    /// under `rule`, or `None` when the move is not possible: a move that stays alone takes
    /// `rule(E_m + size term, ΔE)`; a merge (`contact`) is possible only when
    /// `ΔE ≤ −merge_min_gain` and takes `E_m + size term` (the energy of the contact it
    /// makes does not lower its barrier: before the move the cluster is out of bond range
    /// of what it lands on).
    #[must_use]
    pub fn barrier(
        &self,
        rule: BarrierRule,
        migration_energy: f64,
        n: u32,
        delta_e: f64,
        contact: bool,
    ) -> Option<f64> {
        let e_m = (migration_energy + self.size_barrier(n)).max(0.0);
        if !contact {
            return Some(rule.barrier(e_m, delta_e));
        }
        let gain = self.merge_min_gain?;
        (delta_e <= -gain).then_some(e_m)
    }

    /// The size term `size_energy · f(n)` [eV] added to the migration energy of a cluster
    /// of `n` atoms: `f(n) = (n^p − 1)/p`, or `ln n` at `p = 0` (its limit), so that a
    /// monomer would have the rule's `migration_energy`. With `p = 0` the rate at
    /// temperature `T` falls as `n^(−size_energy / k_B T)`.
    #[must_use]
    pub fn size_barrier(&self, n: u32) -> f64 {
        let n = f64::from(n);
        let f = if self.size_power == 0.0 {
            n.ln()
        } else {
            (n.powf(self.size_power) - 1.0) / self.size_power
        };
        self.size_energy * f
    }
}

impl Action {
    /// The shell of a two-site action (swap or molecule), whose owner has one slot per
    /// neighbour in it; `None` for single-site actions.
    #[inline]
    #[must_use]
    pub fn pair_shell(&self) -> Option<ShellId> {
        match *self {
            Action::Swap { shell, .. }
            | Action::RemovePair { shell, .. }
            | Action::AddPair { shell, .. } => Some(shell),
            Action::Remove { .. }
            | Action::Add { .. }
            | Action::Change { .. }
            | Action::ClusterMove(_) => None,
        }
    }
}

/// How the barrier follows from the migration energy `E_m` (including saddle terms) and the
/// energy change `ΔE` of the event (physics.md §4). All forms except `Fixed` satisfy
/// detailed balance: `E_fwd − E_bwd = ΔE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarrierRule {
    /// Kang–Weinberg / symmetric BEP: `E_m + ΔE/2`, clamped to `[max(0, ΔE), ∞)` and to
    /// `ΔE` above `2 E_m` [Kang & Weinberg 1989].
    KangWeinberg,
    /// `E_m + max(0, ΔE)`: only uphill events pay the energy change.
    Uphill,
    /// `E_m`, whatever `ΔE` (for irreversible events such as evaporation with a measured
    /// activation energy).
    Fixed,
}

impl BarrierRule {
    /// The barrier [eV] for migration energy `e_m` [eV] and energy change `delta_e` [eV].
    #[inline]
    #[must_use]
    pub fn barrier(self, e_m: f64, delta_e: f64) -> f64 {
        match self {
            BarrierRule::KangWeinberg => {
                if delta_e >= 2.0 * e_m {
                    delta_e
                } else if delta_e <= -2.0 * e_m {
                    0.0
                } else {
                    e_m + 0.5 * delta_e
                }
            }
            BarrierRule::Uphill => e_m + delta_e.max(0.0),
            BarrierRule::Fixed => e_m,
        }
    }
}

/// A barrier shift per neighbour of a given species (and optionally site kind and domain) in a shell,
/// counted around both ends of a swap (excluding the two sites themselves) or around the
/// site of a single-site event. Because the count is the same before and after a swap, the
/// shift is the same for the forward and the reverse event and detailed balance holds.
#[derive(Debug, Clone, PartialEq)]
pub struct SaddleTerm {
    /// Shell in which neighbours are counted.
    pub shell: ShellId,
    /// Species counted.
    pub species: SpeciesId,
    /// Which neighbour sites count, by kind and domain (all when open).
    pub filter: SiteFilter,
    /// Barrier shift per neighbour [eV].
    pub shift: f64,
}

/// A condition on the environment of an event: the number of neighbours with species in
/// `species` in `shell` (counted as for [`SaddleTerm`]) on sites passing `filter` must
/// lie in `min ..= max`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Shell in which neighbours are counted.
    pub shell: ShellId,
    /// Species counted.
    pub species: SpeciesSet,
    /// Which neighbour sites count, by kind and domain (all when open).
    pub filter: SiteFilter,
    /// Smallest allowed count.
    pub min: u16,
    /// Largest allowed count.
    pub max: u16,
}

/// How fast the instances of a rule fire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateLaw {
    /// `k = prefactor · exp(−E_a / k_B T)`, `E_a = barrier_rule(E_m + saddle, ΔE + reference)`.
    Thermal {
        /// Attempt frequency ν [s⁻¹].
        prefactor: f64,
        /// Migration energy `E_m` [eV].
        migration_energy: f64,
        /// How ΔE enters the barrier.
        barrier_rule: BarrierRule,
        /// Energy added to ΔE [eV]: the energy of a removed atom in the vacuum (for
        /// `Remove`) or minus the reservoir chemical potential (for `Add`). Zero for swaps.
        reference_energy: f64,
    },
    /// `k = cross_section · φ(t)`, athermal (electron-beam events).
    Beam {
        /// Cross-section σ [Å²].
        cross_section: f64,
    },
    /// `k = σ(E₀(t)) · φ(t)`, athermal, σ computed from the beam energy ([`crate::beam`]).
    BeamProcess {
        /// The physics of the cross-section.
        process: crate::beam::BeamProcess,
    },
}

/// An event template, instantiated on every site where it applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Name used in reports and output (unique).
    pub name: String,
    /// What the event does.
    pub action: Action,
    /// How fast it fires.
    pub law: RateLaw,
    /// Barrier shifts from the local environment (thermal laws only).
    pub saddle: Vec<SaddleTerm>,
    /// Conditions on the local environment.
    pub conditions: Vec<Condition>,
    /// Index of the rule this one was generated from as its reverse, if any.
    pub reverse_of: Option<usize>,
}

/// The complete compiled model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Name of the model (from the potential file).
    pub name: String,
    /// Species (vacancy first).
    pub species: SpeciesTable,
    /// Site kinds.
    pub kinds: Vec<SiteKind>,
    /// Neighbour shells.
    pub shells: Vec<ShellSpec>,
    /// Energy parameters.
    pub energy: EnergyParams,
    /// Event rules.
    pub rules: Vec<Rule>,
    /// Lattice move vectors of cluster rules ([`ClusterMove::vectors`]), resolved against a
    /// geometry by [`Model::resolve_move_vectors`].
    pub move_vectors: Vec<vectors::MoveVectors>,
}

impl Model {
    /// Looks a site kind up by name.
    #[must_use]
    pub fn find_kind(&self, name: &str) -> Option<KindId> {
        self.kinds
            .iter()
            .position(|k| k.name == name)
            .and_then(|i| u16::try_from(i).ok())
            .map(KindId)
    }

    /// Looks a shell up by name.
    #[must_use]
    pub fn find_shell(&self, name: &str) -> Option<ShellId> {
        self.shells
            .iter()
            .position(|s| s.name == name)
            .and_then(|i| u8::try_from(i).ok())
            .map(ShellId)
    }

    /// Looks a rule up by name.
    #[must_use]
    pub fn find_rule(&self, name: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.name == name)
    }

    /// The shells whose per-site neighbour counts the energy, saddle terms and conditions
    /// read, in increasing order.
    #[must_use]
    pub fn counted_shells(&self) -> Vec<ShellId> {
        let mut shells: Vec<ShellId> = self.energy.bonds.iter().map(|(s, _)| *s).collect();
        shells.extend(self.energy.coordination.iter().map(|c| c.shell));
        for rule in &self.rules {
            shells.extend(rule.saddle.iter().map(|t| t.shell));
            shells.extend(rule.conditions.iter().map(|c| c.shell));
        }
        shells.sort_unstable();
        shells.dedup();
        shells
    }

    /// How many hops away from a changed site an event's rate can change: 1 for bond
    /// energies, saddle terms and conditions, 2 with coordination terms (the coordination of
    /// a neighbour's neighbour changes). The engine refreshes owners within this range + 1.
    #[must_use]
    pub fn interaction_range(&self) -> usize {
        if self.energy.coordination.is_empty() {
            1
        } else {
            2
        }
    }

    /// True when some condition or saddle term filters by domain (the model must then be
    /// resolved against a graph with [`Self::resolve_domains`]).
    #[must_use]
    pub fn has_domain_filters(&self) -> bool {
        self.rules.iter().any(|r| {
            r.saddle.iter().any(|t| t.filter.domains.is_some())
                || r.conditions.iter().any(|c| c.filter.domains.is_some())
        })
    }

    /// Resolves every domain filter against `domain_names` (the graph's domains).
    ///
    /// # Errors
    /// A domain name that matches no domain, naming the rule and the term.
    pub fn resolve_domains(&mut self, domain_names: &[String]) -> Result<()> {
        for rule in &mut self.rules {
            for (j, t) in rule.saddle.iter_mut().enumerate() {
                if let Some(d) = &mut t.filter.domains {
                    d.resolve(domain_names, &format!("rule `{}` saddle[{j}]", rule.name))?;
                }
            }
            for (j, c) in rule.conditions.iter_mut().enumerate() {
                if let Some(d) = &mut c.filter.domains {
                    d.resolve(
                        domain_names,
                        &format!("rule `{}` conditions[{j}]", rule.name),
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Adds the reverse of every thermal swap rule whose two ends are on two named,
    /// different site kinds, so that each hop or exchange has its reverse with the same
    /// migration energy, prefactor and saddle terms (detailed balance). Only rules `i` with
    /// `wanted(i)` get one. Rules with the same kind at both ends, or an unrestricted end,
    /// already contain their reverse and are left alone (the potential reader rejects a
    /// reversible rule with exactly one named end, which would count moves twice); beam
    /// rules never get one. Call once, before [`Self::validate`].
    pub fn add_reverse_rules(&mut self, wanted: impl Fn(usize) -> bool) {
        let n = self.rules.len();
        for i in 0..n {
            let rule = &self.rules[i];
            if rule.reverse_of.is_some() || !wanted(i) {
                continue;
            }
            if let (
                Action::Swap {
                    shell,
                    mover,
                    target,
                },
                RateLaw::Thermal { .. },
            ) = (rule.action, rule.law)
            {
                // a rule with one end unrestricted already covers its reverse where the
                // kinds coincide; only rules between two named, different kinds get one.
                if mover.kind.is_none() || target.kind.is_none() || mover.kind == target.kind {
                    continue;
                }
                let mut reverse = rule.clone();
                reverse.name = format!("{}~reverse", rule.name);
                reverse.action = Action::Swap {
                    shell,
                    mover: SiteMatch {
                        species: mover.species,
                        kind: target.kind,
                    },
                    target: SiteMatch {
                        species: target.species,
                        kind: mover.kind,
                    },
                };
                reverse.reverse_of = Some(i);
                self.rules.push(reverse);
            }
        }
    }

    /// Checks the internal consistency of the model.
    ///
    /// # Errors
    /// Names the rule, term or kind that is inconsistent: indices out of range, a swap of a
    /// species with itself, species not allowed on the kinds a rule moves them to, negative
    /// or non-finite parameters, coordination tables too short, asymmetric bond matrices.
    // a flat list of independent checks; splitting it would not make it clearer.
    #[allow(clippy::too_many_lines)]
    pub fn validate(&self) -> Result<()> {
        let ns = self.species.len();
        let nk = self.kinds.len();
        let nsh = self.shells.len();
        let err = |what: &str, msg: String| {
            Err(Error::build(format!("model `{}`: {what}", self.name), msg))
        };
        let species_ok = |s: SpeciesId| s.index() < ns;
        let kind_ok = |k: Option<KindId>| k.is_none_or(|k| k.index() < nk);
        if self.energy.onsite.len() != nk || self.energy.onsite.iter().any(|r| r.len() != ns) {
            return err("energy", "onsite table must be kinds × species".into());
        }
        for (shell, m) in &self.energy.bonds {
            if shell.index() >= nsh || m.len() != ns || m.iter().any(|r| r.len() != ns) {
                return err(
                    "energy",
                    "bond matrix must be species × species on a valid shell".into(),
                );
            }
            for (a, row) in m.iter().enumerate() {
                for (b, &x) in row.iter().enumerate() {
                    // exact symmetry is the property checked, so the float equality is intended.
                    #[allow(clippy::float_cmp)]
                    if x != m[b][a] || !x.is_finite() {
                        return err(
                            "energy",
                            format!(
                                "bond matrix of shell `{}` is not symmetric and finite",
                                self.shells[shell.index()].name
                            ),
                        );
                    }
                }
            }
        }
        for c in &self.energy.coordination {
            if !species_ok(c.species)
                || c.shell.index() >= nsh
                || c.table.iter().any(|v| !v.is_finite())
            {
                return err(
                    "energy",
                    "coordination term out of range or not finite".into(),
                );
            }
        }
        let mut names: Vec<&str> = self.rules.iter().map(|r| r.name.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return err("rules", "rule names must be unique".into());
        }
        for rule in &self.rules {
            let what = format!("rule `{}`", rule.name);
            match rule.action {
                Action::Swap {
                    shell,
                    mover,
                    target,
                } => {
                    if shell.index() >= nsh
                        || !species_ok(mover.species)
                        || !species_ok(target.species)
                        || !kind_ok(mover.kind)
                        || !kind_ok(target.kind)
                    {
                        return err(&what, "species, kind or shell out of range".into());
                    }
                    if mover.species == target.species {
                        return err(&what, "a swap needs two different species".into());
                    }
                    for (from, to) in [(mover, target), (target, mover)] {
                        if let Some(k) = to.kind {
                            if !self.kinds[k.index()].allowed.contains(from.species) {
                                return err(
                                    &what,
                                    format!(
                                        "species `{}` is not allowed on site kind `{}`",
                                        self.species.name(from.species),
                                        self.kinds[k.index()].name
                                    ),
                                );
                            }
                        }
                    }
                }
                // checked by `validate_collective`.
                Action::Change { .. }
                | Action::RemovePair { .. }
                | Action::AddPair { .. }
                | Action::ClusterMove(_) => {}
                Action::Remove { site } => {
                    if !species_ok(site.species) || !kind_ok(site.kind) || site.species.is_vacancy()
                    {
                        return err(
                            &what,
                            "remove needs a non-vacancy species and a valid kind".into(),
                        );
                    }
                }
                Action::Add { species, kind } => {
                    if !species_ok(species) || !kind_ok(kind) || species.is_vacancy() {
                        return err(
                            &what,
                            "add needs a non-vacancy species and a valid kind".into(),
                        );
                    }
                    if let Some(k) = kind {
                        if !self.kinds[k.index()].allowed.contains(species) {
                            return err(
                                &what,
                                format!(
                                    "species `{}` is not allowed on site kind `{}`",
                                    self.species.name(species),
                                    self.kinds[k.index()].name
                                ),
                            );
                        }
                    }
                }
            }
            self.validate_collective(rule, &what)?;
            match rule.law {
                RateLaw::Thermal {
                    prefactor,
                    migration_energy,
                    reference_energy,
                    ..
                } => {
                    if !(prefactor.is_finite() && prefactor > 0.0) {
                        return err(
                            &what,
                            format!("prefactor must be positive and finite, got {prefactor}"),
                        );
                    }
                    if !(migration_energy.is_finite() && reference_energy.is_finite()) {
                        return err(&what, "energies must be finite".into());
                    }
                }
                RateLaw::BeamProcess { .. } => {
                    if !rule.saddle.is_empty() {
                        return err(&what, "saddle terms apply to thermal events only".into());
                    }
                }
                RateLaw::Beam { cross_section } => {
                    if !(cross_section.is_finite() && cross_section >= 0.0) {
                        return err(
                            &what,
                            format!("cross-section must be finite and ≥ 0, got {cross_section}"),
                        );
                    }
                    if !rule.saddle.is_empty() {
                        return err(&what, "saddle terms apply to thermal events only".into());
                    }
                }
            }
            for t in &rule.saddle {
                if t.shell.index() >= nsh || !species_ok(t.species) || !t.shift.is_finite() {
                    return err(&what, "saddle term out of range or not finite".into());
                }
            }
            for c in &rule.conditions {
                if c.shell.index() >= nsh || c.min > c.max {
                    return err(&what, "condition shell out of range or min > max".into());
                }
            }
        }
        Ok(())
    }

    /// Checks a species change or a molecule event (the other actions are checked in
    /// [`Self::validate`]).
    fn validate_collective(&self, rule: &Rule, what: &str) -> Result<()> {
        let err = |msg: String| Err(Error::build(format!("model `{}`: {what}", self.name), msg));
        let site_ok = |m: SiteMatch| {
            m.species.index() < self.species.len()
                && m.kind.is_none_or(|k| k.index() < self.kinds.len())
        };
        let allowed = |k: Option<KindId>, s: SpeciesId| {
            k.is_none_or(|k| self.kinds[k.index()].allowed.contains(s))
        };
        match rule.action {
            Action::Change { site, to } => {
                if !site_ok(site) || to.index() >= self.species.len() {
                    return err("species or kind out of range".into());
                }
                if site.species.is_vacancy() || to.is_vacancy() || site.species == to {
                    return err(
                        "a species change needs two different species, neither `Vac`".into(),
                    );
                }
                if !allowed(site.kind, to) {
                    return err(format!(
                        "species `{}` is not allowed on the site kind of the change",
                        self.species.name(to)
                    ));
                }
            }
            Action::RemovePair {
                shell,
                first,
                second,
            }
            | Action::AddPair {
                shell,
                first,
                second,
            } => {
                if shell.index() >= self.shells.len() || !site_ok(first) || !site_ok(second) {
                    return err("species, kind or shell out of range".into());
                }
                if first.species.is_vacancy() || second.species.is_vacancy() {
                    return err("a molecule is made of two atoms, neither `Vac`".into());
                }
                if !allowed(first.kind, first.species) || !allowed(second.kind, second.species) {
                    return err("a species of the molecule is not allowed on its site kind".into());
                }
            }
            Action::ClusterMove(c) => {
                if c.shell.index() >= self.shells.len()
                    || c.connect.index() >= self.shells.len()
                    || c.species.index() >= self.species.len()
                    || c.species.is_vacancy()
                    || !c.motif.contains(c.species)
                    || c.motif.contains(SpeciesId::VACANCY)
                    || c.motif.iter().any(|s| s.index() >= self.species.len())
                {
                    return err(
                        "species, motif or shell out of range, `Vac` in the motif, or the lead species not in it"
                            .into(),
                    );
                }
                if c.min_size < 2 || c.max_size < c.min_size {
                    return err(format!(
                        "cluster sizes must satisfy 2 ≤ min_size ≤ max_size, got {} and {}",
                        c.min_size, c.max_size
                    ));
                }
                if !(c.size_energy.is_finite() && c.size_power.is_finite()) {
                    return err("the size law must be finite".into());
                }
                if !rule.saddle.is_empty() || !rule.conditions.is_empty() {
                    return err("cluster moves take no saddle terms or conditions".into());
                }
            }
            Action::Swap { .. } | Action::Remove { .. } | Action::Add { .. } => {}
        }
        Ok(())
    }

    /// The cluster-move rules of the model, with their indices.
    pub fn cluster_rules(&self) -> impl Iterator<Item = (usize, ClusterMove)> + '_ {
        self.rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r.action {
                Action::ClusterMove(c) => Some((i, c)),
                _ => None,
            })
    }
}
