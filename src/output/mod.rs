//! Trajectory output: HDF5 files in the H5MD 1.1 layout, their summary and their export.
//!
//! A run writes one HDF5 file per replica with [`TrajectoryWriter`]: a header
//! ([`TrajectoryHeader`]: sites, species, box, scenario and potential texts, seed) when the
//! file is created, then one [`Frame`] (species per site and [`FrameObservables`]) at each
//! sample time. The file follows H5MD 1.1 (<https://www.nongnu.org/h5md/h5md.html>), so that
//! h5py, `MDAnalysis` and any H5MD reader open it; `docs/output.md` lists every dataset.
//!
//! Frames are flushed one by one while the file is in HDF5 single-writer/multiple-reader
//! (SWMR) mode: a reader can follow a running simulation, and a writer killed with `SIGKILL`
//! leaves a file that is complete up to its last flushed frame. [`info`] summarises a file,
//! [`export`] writes extended XYZ (OVITO, ASE) or an XDMF sidecar (`ParaView`).
//!
//! - [`h5md`]: the layout and the writer.
//! - [`reader`]: opening a file safely (ours, foreign, or left open), [`info`].
//! - [`export`](mod@export): extended XYZ and XDMF, [`FrameSelection`].
//! - [`target`]: checks on an output path before anything is written.
//! - [`trajectory`]: [`TrajectoryReader`], frame-by-frame reading for `render` and `plot`.
//!
//! Extending: a new per-frame observable goes into [`FrameObservables`] and
//! `h5md::OBSERVABLES`-style creation in `h5md.rs`; a scalar one can simply be passed in
//! [`FrameObservables::extra`] without any change here.

mod descriptor;
pub mod export;
pub mod h5md;
mod h5md_header;
pub mod observables;
pub mod reader;
pub mod target;
pub mod trajectory;

pub(crate) use descriptor::close_on_exec;
pub use export::{ExportFormat, FrameSelection, export};
pub use h5md::TrajectoryWriter;
pub use observables::{FrameReader, RunRecord, Series, append_observables};
pub use reader::{TrajectoryInfo, info};
pub use target::{TargetKind, check_target};
pub use trajectory::{ObservableSeries, TrajectoryReader};

/// Everything about a run that does not change from frame to frame.
///
/// Written once, when the file is created; [`TrajectoryWriter::resume`] checks that a
/// trajectory being continued has the same header.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryHeader {
    /// Program name and version, e.g. `"nanokmc 0.1.0"`.
    pub program_version: String,
    /// Free text naming who ran the simulation (scenario `author` or `$USER`).
    pub author: String,
    /// Path of the scenario file as given on the command line.
    pub scenario_path: String,
    /// Full text of the scenario file.
    pub scenario_text: String,
    /// Path of the potential file.
    pub potential_path: String,
    /// Full text of the potential file.
    pub potential_text: String,
    /// Seed of the random number generator.
    pub seed: u64,
    /// Index of this replica (0-based).
    pub replica: u32,
    /// Number of replicas of the run.
    pub replicas: u32,
    /// Species names, indexed by species id; index 0 is the vacancy `"Vac"`.
    pub species_names: Vec<String>,
    /// Chemical symbol of each species for visualisation (`"X"` for the vacancy).
    pub species_elements: Vec<String>,
    /// Names of the site kinds, indexed by kind id.
    pub kind_names: Vec<String>,
    /// Names of the domains (regions of sites), indexed by domain id.
    pub domain_names: Vec<String>,
    /// Names of the event rules (the classes of the event summary), indexed by rule.
    pub rule_names: Vec<String>,
    /// Site positions [Å].
    pub positions: Vec<[f64; 3]>,
    /// Site kind id per site.
    pub site_kinds: Vec<u16>,
    /// Domain id per site.
    pub site_domains: Vec<u16>,
    /// Cell vectors `a`, `b`, `c` (rows) of each domain's crystal in the box frame [Å],
    /// rotation included; `NaN` for a domain without a crystal (the amorphous substrate).
    /// Empty: not known (written as no attribute).
    pub domain_cells: Vec<[[f64; 3]; 3]>,
    /// Lower corner of the simulation box [Å].
    pub box_origin: [f64; 3],
    /// Edge vectors of the box as rows [Å].
    pub box_edges: [[f64; 3]; 3],
    /// Periodicity per axis.
    pub periodic: [bool; 3],
}

impl TrajectoryHeader {
    /// Number of sites.
    #[must_use]
    pub fn site_count(&self) -> usize {
        self.positions.len()
    }
}

/// Observables of one frame.
///
/// Per-(domain, species) arrays are indexed `[domain * n_species + species]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FrameObservables {
    /// Temperature [K].
    pub temperature: f64,
    /// Electron beam flux [e Å⁻² s⁻¹].
    pub beam_flux: f64,
    /// Atoms present per (domain, species).
    pub species_counts: Vec<u64>,
    /// Cumulative atoms removed into the vacuum sink, per (domain, species).
    pub evaporated: Vec<u64>,
    /// Cumulative atoms added from a reservoir, per (domain, species).
    pub deposited: Vec<u64>,
    /// Cumulative atoms moved from one domain into another, indexed
    /// `(from_domain * n_domains + to_domain) * n_species + species`.
    pub transfers: Vec<u64>,
    /// Cumulative executed events per rule.
    pub events_by_rule: Vec<u64>,
    /// Cumulative null events (rejected candidates of thinning).
    pub null_events: u64,
    /// Further scalar observables by name, the same names in every frame, e.g.
    /// `("energy", -1234.5)` [eV]; each is stored under `/observables/<name>`.
    pub extra: Vec<(String, f64)>,
    /// Units of extra observables by name, written as the `unit` attribute of their `value`
    /// when the datasets are created (by the first frame); names not listed get none.
    pub extra_units: Vec<(String, String)>,
    /// Per-frame distributions (histograms, profiles), the same names and bin counts in
    /// every frame; each is stored as `/observables/<name>/value` `[frames, bins]`.
    pub distributions: Vec<Distribution>,
}

/// A histogram or profile of one frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Distribution {
    /// Dataset name under `/observables` (no `/` or `.`).
    pub name: String,
    /// Unit of the values (the `unit` attribute).
    pub unit: String,
    /// One value per bin.
    pub values: Vec<f64>,
    /// Bin edges, `values.len() + 1` of them (the `bin_edges` attribute).
    pub edges: Vec<f64>,
    /// Unit of the edges (the `bin_edges_unit` attribute).
    pub edges_unit: String,
}

/// One sample of the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Events executed so far.
    pub step: u64,
    /// Simulated time [s].
    pub time: f64,
    /// Species id per site (0 = vacancy).
    pub species: &'a [u8],
    /// The observables of this frame.
    pub observables: &'a FrameObservables,
}

/// State of the run that wrote a trajectory, stored in `/parameters/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// The run is writing frames (or was killed while doing so).
    Running,
    /// The run reached its end.
    Complete,
    /// The run was stopped before its end (signal, wall-time limit); it can be resumed.
    Interrupted,
}

impl RunStatus {
    /// The string stored in the file.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Complete => "complete",
            RunStatus::Interrupted => "interrupted",
        }
    }

    /// Parses the stored string.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "running" => Some(RunStatus::Running),
            "complete" => Some(RunStatus::Complete),
            "interrupted" => Some(RunStatus::Interrupted),
            _ => None,
        }
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
