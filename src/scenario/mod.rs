//! Scenario files: what to simulate, under which program, until when, and what to write.
//!
//! A scenario (`scenarios/*.toml`, format reference in `scenarios/README.md`) names its
//! potential file and gives the geometry, optional changes of the initial configuration,
//! the temperature and beam program, when to stop and the outputs, plus the seed and the
//! number of replicas. [`read`] parses and checks everything that can be checked without
//! building the system, converting every quantity to internal units at its key, so that
//! any error names the file, line, column and key. [`Scenario::build_system`] then builds
//! the sites, the neighbour graph and the initial occupancy of one replica.
//!
//! # Random streams
//! Replica `r` places its random initial changes with `rng::stream(seed, 2r)` and runs its
//! kinetics with `rng::stream(seed, 2r + 1)`: replicas are independent, and a replica is
//! the same whether it runs alone or among others. The geometry (including an amorphous
//! substrate) is the same for all replicas.
//!
//! # Extending
//! A new key is a field in `file.rs` plus its conversion in `compile.rs`, a line in
//! `scenarios/README.md`, and a good and a bad file under `tests/data/scenarios/`.

mod accel;
mod analysis;
mod beam_program;
mod compile;
mod file;
pub mod memory;
mod region;
mod shaping;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use analysis::compile_spec;
pub use compile::{compile, compile_texts, read};

use crate::error::{Error, Result};
use crate::input::Source;
use crate::lattice::assembly::periodic_crystal;
use crate::lattice::stoichiometry::DomainComposition;
use crate::lattice::{Assembly, SiteList};
use crate::model::Model;
use crate::potential::Potential;
use crate::program::Program;
use crate::rng;
use crate::sites::{DomainId, KindId, SiteGraph};
use crate::state::SpeciesId;

/// A checked scenario, in internal units.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The scenario file (path and text).
    pub source: Source,
    /// The potential file's path as resolved (relative to the scenario's folder).
    pub potential_path: PathBuf,
    /// The compiled potential.
    pub potential: Potential,
    /// Short name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Who wrote it (stored in the trajectory).
    pub author: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// Independent replicas (streams) to run.
    pub replicas: u32,
    /// The geometry.
    pub geometry: Geometry,
    /// Changes of the initial configuration, in order.
    pub initial: Vec<InitialChange>,
    /// Temperature and beam program.
    pub program: Program,
    /// End time of each step of `program.steps` [s], in order (empty for a
    /// `temperature_table`).
    pub step_ends: Vec<f64>,
    /// When to stop.
    pub stop: StopPlan,
    /// What to write.
    pub output: OutputPlan,
    /// Acceleration of fast, quasi-equilibrated events (`None`: off).
    pub acceleration: Option<AccelPlan>,
    /// The `[[analysis]]` entries, measured at every frame.
    pub analysis: Vec<crate::analysis::Entry>,
    /// The most memory one replica may need [bytes] (`--max-memory`; `None`: what the
    /// machine has available). [`Scenario::build_system`] refuses a larger system before
    /// building it ([`memory`]).
    pub max_memory: Option<f64>,
    /// The beam windows with their energy, flux and temperature rise (for reports).
    pub beam_windows: Vec<crate::beam::report::WindowSummary>,
}

/// The `[acceleration]` block, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct AccelPlan {
    /// The accuracy knobs.
    pub settings: crate::accel::AccelSettings,
    /// The forward rules of the channels that may be scaled (`None`: every scalable one).
    pub channels: Option<Vec<u32>>,
}

/// The system's sites, as planned (built by [`Scenario::build_system`]).
#[derive(Debug, Clone)]
pub enum Geometry {
    /// A periodic block of `cells` conventional cells of a phase.
    Block {
        /// Index of the phase in the potential.
        phase: usize,
        /// Cells along a, b, c.
        cells: [usize; 3],
    },
    /// Particles (and a substrate) in a box.
    Assembly {
        /// The assembly to build.
        assembly: Box<Assembly>,
        /// Per domain (in site-list order), the species of each basis role inside it.
        fills: Vec<Vec<SpeciesId>>,
        /// Per particle domain (in site-list order): trim to the ideal stoichiometry
        /// ([`crate::lattice::stoichiometry::trim`]).
        trim: Vec<bool>,
        /// Relative deviation from the ideal formula above which a cut domain is reported
        /// with a warning [1].
        stoichiometry_tolerance: f64,
    },
}

/// Default of `geometry.stoichiometry_tolerance`: a cut domain more than 2 % off its ideal
/// formula is reported with a warning (a 3 nm `CdSe` sphere is typically 1–5 % off).
pub const DEFAULT_STOICHIOMETRY_TOLERANCE: f64 = 0.02;

/// How many of the matching sites an [`InitialChange`] sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    /// Every matching site.
    All,
    /// This fraction of them (rounded to the nearest count), chosen at random.
    Fraction(f64),
    /// This many, chosen at random.
    Count(u64),
}

/// Sets the species of some sites of the initial configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialChange {
    /// Domains the sites must lie in (`None`: any).
    pub domains: Option<Vec<DomainId>>,
    /// Site kind the sites must have (`None`: any kind that allows `to`).
    pub kind: Option<KindId>,
    /// Species the sites must hold now (`None`: any).
    pub from: Option<SpeciesId>,
    /// Species they get.
    pub to: SpeciesId,
    /// Geometric filter (`None`: none); a shell has a stated centre.
    pub region: Option<crate::analysis::RegionShape>,
    /// How many.
    pub amount: Amount,
    /// Its key (`initial[i]`), for errors found while building.
    pub key: String,
    /// Where it was written.
    pub location: crate::error::Location,
}

/// A species count that ends the run when it falls to `at_most` or below.
#[derive(Debug, Clone, PartialEq)]
pub struct StopCondition {
    /// The species counted.
    pub species: SpeciesId,
    /// Domains counted (`None`: all).
    pub domains: Option<Vec<DomainId>>,
    /// The run stops when the count is at most this.
    pub at_most: u64,
    /// As written, for messages (e.g. `Cd ≤ 0 in rod/CdSe`).
    pub description: String,
}

/// When a run stops: the first criterion reached.
#[derive(Debug, Clone, PartialEq)]
pub struct StopPlan {
    /// Simulated time [s] (`stop.time`, or the end of the program with
    /// `end_of_program = true`, whichever is earlier).
    pub time: Option<f64>,
    /// Executed events.
    pub events: Option<u64>,
    /// Species conditions.
    pub conditions: Vec<StopCondition>,
}

/// When trajectory frames are written (frame 0 is the initial state; the final state is
/// always written as the last frame).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FrameSchedule {
    /// Every `dt` [s] of simulated time: frame k at `k·dt`.
    Every(f64),
    /// Every n executed events.
    EveryEvents(u64),
    /// Frame 0 at t = 0, then frame k ≥ 1 at `first · 10^((k−1)/per_decade)` [s].
    LogSpaced {
        /// Time of frame 1 [s].
        first: f64,
        /// Frames per decade of time.
        per_decade: u32,
    },
}

impl FrameSchedule {
    /// Time of frame `k` for time-based schedules [s]; `None` for [`Self::EveryEvents`].
    #[must_use]
    pub fn time_of(&self, k: u64) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        match *self {
            FrameSchedule::Every(dt) => Some(k as f64 * dt),
            FrameSchedule::EveryEvents(_) => None,
            FrameSchedule::LogSpaced { first, per_decade } => Some(if k == 0 {
                0.0
            } else {
                first * 10f64.powf((k - 1) as f64 / f64::from(per_decade))
            }),
        }
    }
}

/// Scalar observables that can be logged with every frame, besides the ones always written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observable {
    /// Total energy of the configuration [eV].
    Energy,
}

impl Observable {
    /// All observables, with their scenario names.
    pub const ALL: [(&'static str, Observable); 1] = [("energy", Observable::Energy)];

    /// The scenario name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Observable::Energy => "energy",
        }
    }
}

/// What a run writes.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputPlan {
    /// Trajectory file (`None`: `<scenario stem>.h5md` in the working directory).
    pub file: Option<PathBuf>,
    /// Frame schedule.
    pub frames: FrameSchedule,
    /// Extra observables per frame.
    pub observables: Vec<Observable>,
}

/// A built system: the graph, the model and the initial occupancy of one replica.
#[derive(Debug, Clone)]
pub struct System {
    /// Sites and neighbours.
    pub graph: Arc<SiteGraph>,
    /// The model.
    pub model: Arc<Model>,
    /// Initial species per site.
    pub species: Vec<SpeciesId>,
}

impl Scenario {
    /// The domain names of the system, in site-list order.
    #[must_use]
    pub fn domain_names(&self) -> Vec<String> {
        match &self.geometry {
            Geometry::Block { phase, .. } => vec![self.potential.phases[*phase].name.clone()],
            Geometry::Assembly { assembly, .. } => domain_names(assembly),
        }
    }

    /// The cell vectors `a`, `b`, `c` (rows, Å) of each domain's crystal in the box frame,
    /// in the order of [`Self::domain_names`] (`NaN` for the substrate): what `nanokmc
    /// render --axis DOMAIN:[uvw]` turns a crystal zone axis into a beam direction with.
    #[must_use]
    pub fn domain_cells(&self) -> Vec<[[f64; 3]; 3]> {
        geometry_cells(&self.geometry, &self.potential)
    }

    /// The default trajectory path: `output.file`, else `<scenario stem>.h5md` (the H5MD
    /// extension, from which `MDAnalysis` recognises the format).
    #[must_use]
    pub fn default_output(&self) -> PathBuf {
        self.output.file.clone().unwrap_or_else(|| {
            let stem = self
                .source
                .path()
                .file_stem()
                .map_or_else(|| "trajectory".into(), |s| s.to_string_lossy().into_owned());
            PathBuf::from(format!("{stem}.h5md"))
        })
    }

    /// Builds the sites, the neighbour graph and the initial occupancy of `replica`.
    ///
    /// # Errors
    /// [`Error::Input`] naming the scenario when the geometry cannot be built (an empty
    /// domain, a substrate too close to a particle, …) or an initial change asks for more
    /// sites than match.
    pub fn build_system(&self, replica: u32) -> Result<System> {
        self.check_memory(self.max_memory)?;
        let geometry_error = |e: Error| match e {
            Error::Build { context, message } => self
                .source
                .file_error("geometry", format!("{context}: {message}")),
            other => other,
        };
        let (sites, fills) = match &self.geometry {
            Geometry::Block { phase, cells } => {
                let phase = &self.potential.phases[*phase];
                let crystal = phase.crystal().map_err(geometry_error)?;
                let kinds = phase.basis_kinds(&crystal).map_err(geometry_error)?;
                let fill = phase.basis_fill(&crystal);
                let sites = periodic_crystal(&crystal, *cells, &kinds, &phase.name)
                    .map_err(geometry_error)?;
                (sites, vec![fill])
            }
            Geometry::Assembly {
                assembly,
                fills,
                trim,
                ..
            } => {
                let mut sites = assembly.build().map_err(geometry_error)?;
                trim_domains(&mut sites, fills, trim);
                (sites, fills.clone())
            }
        };
        let mut species: Vec<SpeciesId> = (0..sites.len())
            .map(|s| {
                if sites.inside[s] {
                    fills
                        .get(sites.domains[s].index())
                        .and_then(|f| f.get(usize::from(sites.roles[s])))
                        .copied()
                        .unwrap_or(SpeciesId::VACANCY)
                } else {
                    SpeciesId::VACANCY
                }
            })
            .collect();
        let graph = self.potential.build_graph(sites).map_err(geometry_error)?;
        let mut r = rng::stream(self.seed, 2 * u64::from(replica));
        for change in &self.initial {
            self.apply_initial(change, &graph, &mut species, &mut r)?;
        }
        let mut model = self.potential.model.clone();
        // lattice move vectors of cluster rules, turned with every domain of their lattice.
        model
            .resolve_move_vectors(&graph, &self.domain_cells())
            .map_err(geometry_error)?;
        Ok(System {
            graph: Arc::new(graph),
            model: Arc::new(model),
            species,
        })
    }

    fn apply_initial(
        &self,
        change: &InitialChange,
        graph: &SiteGraph,
        species: &mut [SpeciesId],
        r: &mut rng::Rng,
    ) -> Result<()> {
        let model = &self.potential.model;
        let allowed = |k: KindId| {
            change.to.is_vacancy() || model.kinds[k.index()].allowed.contains(change.to)
        };
        let mut candidates: Vec<usize> = (0..graph.len())
            .filter(|&s| {
                #[allow(clippy::cast_possible_truncation)]
                let site = crate::sites::SiteId(s as u32);
                let kind = graph.kind(site);
                change.kind.is_none_or(|k| k == kind)
                    && allowed(kind)
                    && change.from.is_none_or(|f| f == species[s])
                    && change
                        .domains
                        .as_ref()
                        .is_none_or(|d| d.contains(&graph.domain(site)))
                    && change
                        .region
                        .is_none_or(|r| r.contains_point(graph.position(site)))
            })
            .collect();
        let n = candidates.len() as u64;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let count = match change.amount {
            Amount::All => n,
            Amount::Fraction(f) => (f * n as f64).round() as u64,
            Amount::Count(c) => c,
        };
        if count > n {
            return Err(Error::Input {
                location: change.location.clone(),
                key: change.key.clone(),
                message: format!("asks for {count} sites but only {n} match"),
            });
        }
        // partial Fisher–Yates: the first `count` entries become a uniform random subset.
        #[allow(clippy::cast_possible_truncation)]
        for i in 0..count as usize {
            let j = i + rng::uniform_index(r, candidates.len() - i);
            candidates.swap(i, j);
            species[candidates[i]] = change.to;
        }
        Ok(())
    }
}

/// Labels of a fill for [`crate::lattice::stoichiometry`]: species index, `None` for a
/// vacancy.
fn fill_labels(fill: &[SpeciesId]) -> Vec<Option<u16>> {
    fill.iter()
        .map(|s| {
            if s.is_vacancy() {
                None
            } else {
                u16::try_from(s.index()).ok()
            }
        })
        .collect()
}

/// Trims the domains marked in `trim` to their ideal stoichiometry; returns the atoms
/// removed per domain.
fn trim_domains(sites: &mut SiteList, fills: &[Vec<SpeciesId>], trim: &[bool]) -> Vec<usize> {
    let mut removed = vec![0; fills.len()];
    if !trim.iter().any(|&t| t) {
        return removed;
    }
    let labels: Vec<Vec<Option<u16>>> = fills.iter().map(|f| fill_labels(f)).collect();
    for (d, r) in removed.iter_mut().enumerate() {
        if trim.get(d).copied().unwrap_or(false) {
            *r = crate::lattice::stoichiometry::trim(sites, d, &labels);
        }
    }
    removed
}

impl Scenario {
    /// The composition of every particle domain after the cut (and after trimming), with
    /// a warning line for each domain off its ideal formula by more than
    /// `geometry.stoichiometry_tolerance`. Empty for a periodic block.
    ///
    /// # Errors
    /// As [`Scenario::build_system`] when the geometry cannot be built.
    pub fn composition_report(&self) -> Result<(Vec<DomainComposition>, Vec<String>)> {
        let Geometry::Assembly {
            assembly,
            fills,
            trim,
            stoichiometry_tolerance,
        } = &self.geometry
        else {
            return Ok((Vec::new(), Vec::new()));
        };
        let mut sites = assembly.build().map_err(|e| match e {
            Error::Build { context, message } => self
                .source
                .file_error("geometry", format!("{context}: {message}")),
            other => other,
        })?;
        let removed = trim_domains(&mut sites, fills, trim);
        let labels: Vec<Vec<Option<u16>>> = fills.iter().map(|f| fill_labels(f)).collect();
        let mut report = crate::lattice::stoichiometry::composition(&sites, &labels);
        let mut warnings = Vec::new();
        for c in &mut report {
            if let Some(d) = sites.domain_names.iter().position(|n| *n == c.domain) {
                c.trimmed = removed.get(d).copied().unwrap_or(0);
            }
            if c.deviation > *stoichiometry_tolerance {
                warnings.push(format!(
                    "warning: domain `{}` is {:.1} % off its ideal formula after the cut (tolerance {:.1} %); set `stoichiometric = true` on the particle to trim it",
                    c.domain,
                    100.0 * c.deviation,
                    100.0 * stoichiometry_tolerance
                ));
            }
        }
        Ok((report, warnings))
    }
}

/// Cell vectors (rows) of `crystal` turned by `rotation` (crystal → lab).
fn turned_cell(
    crystal: &crate::lattice::crystal::Crystal,
    rotation: [[f64; 3]; 3],
) -> [[f64; 3]; 3] {
    crystal
        .cell
        .map(|v| crate::lattice::orientation::rotate(rotation, v))
}

/// Cell vectors (rows, Å) of every domain of `geometry` in the box frame, in the order of
/// its domain names (`NaN` where a domain has no crystal).
pub(crate) fn geometry_cells(geometry: &Geometry, potential: &Potential) -> Vec<[[f64; 3]; 3]> {
    match geometry {
        Geometry::Block { phase, .. } => potential.phases[*phase]
            .crystal()
            .map_or_else(|_| vec![[[f64::NAN; 3]; 3]], |c| vec![c.cell]),
        Geometry::Assembly { assembly, .. } => domain_cells(assembly),
    }
}

/// Cell vectors of every domain of an assembly in the box frame, in the order of
/// [`domain_names`]; `NaN` for the substrate.
fn domain_cells(assembly: &Assembly) -> Vec<[[f64; 3]; 3]> {
    let mut cells: Vec<[[f64; 3]; 3]> = assembly
        .particles
        .iter()
        .flat_map(|(p, _)| {
            p.domains
                .iter()
                .map(|d| turned_cell(&d.crystal, d.rotation))
        })
        .collect();
    if assembly.substrate.is_some() {
        cells.push([[f64::NAN; 3]; 3]);
    }
    for layer in &assembly.adlayers {
        if assembly.particles.get(layer.particle).is_some() {
            cells.push(turned_cell(&layer.crystal, layer.rotation));
        }
    }
    cells
}

/// Domain names of an assembly, in site-list order (particles, their domains, substrate).
fn domain_names(assembly: &Assembly) -> Vec<String> {
    let mut names: Vec<String> = assembly
        .particles
        .iter()
        .flat_map(|(p, _)| {
            p.domains
                .iter()
                .map(move |d| format!("{}/{}", p.name, d.name))
        })
        .collect();
    if let Some(s) = &assembly.substrate {
        names.push(s.name.clone());
    }
    for layer in &assembly.adlayers {
        if let Some((p, _)) = assembly.particles.get(layer.particle) {
            names.push(format!("{}/{}", p.name, layer.name));
        }
    }
    names
}

/// Resolves a path written in `source` relative to that file's folder.
#[must_use]
pub fn relative_to(source: &Path, written: &str) -> PathBuf {
    let p = Path::new(written);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        source.parent().unwrap_or(Path::new("")).join(p)
    }
}
