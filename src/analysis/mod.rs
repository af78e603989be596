//! Observables a microscopist compares with in situ TEM: composition per region, clusters
//! followed across frames, voids and shells, shape, facet areas, net fluxes, phase labels from local
//! composition rules.
//!
//! An [`Entry`] is one `[[analysis]]` block of a scenario (or of an `analyze --spec` file),
//! compiled by `scenario::analysis`: a user label (`name`) and an [`Observable`] with its
//! species, shells and region already resolved to ids. An [`Analyzer`] holds the entries
//! and the state some of them carry from frame to frame (cluster identities, the reference
//! configuration of the order parameter, the previous counts of a flux); [`Analyzer::measure`]
//! takes one frame (the graph, the species per site, the time) and returns its
//! [`Measurement`]s. Nothing here reads or writes files: `nanokmc run` calls it at every
//! frame (`run::Replica`), `nanokmc analyze` on every frame of a stored trajectory
//! (`run::analyze`), and both write `/observables/<name>:<quantity>/value`.
//!
//! The measurements of an analyzer have the same names, units and bin counts in every frame
//! (H5MD datasets are fixed when the first frame is written). `docs/analysis.md` defines
//! every quantity.
//!
//! # Adding an observable
//! One new file here with its spec struct and a `measure` function, one [`Observable`]
//! variant (and one [`State`] variant if it keeps state between frames), the keys it takes
//! in `scenario/analysis.rs`, a section in `docs/analysis.md`, and good and bad corpus files.

pub mod clusters;
pub mod composition;
pub mod facets;
pub mod fluxes;
pub mod geometry;
pub mod phases;
pub mod region;
pub mod shape;
pub mod voids;

use std::cell::OnceCell;

use crate::sites::SiteGraph;
use crate::state::SpeciesId;

pub use region::{Center, Region, RegionShape};

/// One `[[analysis]]` entry: a label and what to measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The user's label; every quantity is written as `<name>:<quantity>`.
    pub name: String,
    /// What to measure.
    pub observable: Observable,
}

/// The observable families (`type = "…"` in the file).
#[derive(Debug, Clone, PartialEq)]
pub enum Observable {
    /// Species counts, fractions and site occupancies in a region (`"composition"`).
    Composition(composition::Composition),
    /// Connected clusters of chosen species, followed across frames (`"clusters"`).
    Clusters(clusters::Clusters),
    /// Enclosed vacancy clusters, radial profile, shell thickness, order (`"voids"`).
    Voids(voids::Voids),
    /// Radius of gyration, aspect ratio and surface atoms (`"shape"`).
    Shape(shape::Shape),
    /// Areas of crystal facets by family (`"facets"`).
    Facets(facets::Facets),
    /// Net rates of change of species counts per domain (`"fluxes"`).
    Fluxes(fluxes::Fluxes),
    /// Phase labels of cells from local composition rules, fractions per domain
    /// (`"phases"`).
    Phases(phases::Phases),
}

impl Observable {
    /// The `type` string of the family.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Observable::Composition(_) => "composition",
            Observable::Clusters(_) => "clusters",
            Observable::Voids(_) => "voids",
            Observable::Shape(_) => "shape",
            Observable::Facets(_) => "facets",
            Observable::Fluxes(_) => "fluxes",
            Observable::Phases(_) => "phases",
        }
    }
}

/// The value of one measured quantity in one frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// One number.
    Scalar(f64),
    /// A histogram or profile: `values[i]` belongs to the bin `[edges[i], edges[i + 1])`.
    Distribution {
        /// One value per bin.
        values: Vec<f64>,
        /// Bin edges (`values.len() + 1` of them), in `edges_unit`.
        edges: Vec<f64>,
        /// Unit of the edges (`"angstrom"`, `"atoms"`).
        edges_unit: &'static str,
    },
}

/// One measured quantity of one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// `<entry name>:<quantity>`, the dataset name under `/observables`.
    pub name: String,
    /// Unit as written in the `unit` attribute (`"1"` for dimensionless, `"angstrom"`,
    /// `"angstrom^2"`, `"atoms"`, `"atoms/s"`, `"sites"`).
    pub unit: &'static str,
    /// The value.
    pub value: Value,
}

impl Measurement {
    /// A scalar measurement.
    #[must_use]
    pub fn scalar(prefix: &str, quantity: &str, unit: &'static str, value: f64) -> Self {
        Self {
            name: format!("{prefix}:{quantity}"),
            unit,
            value: Value::Scalar(value),
        }
    }
}

/// One frame as the observables see it.
#[derive(Debug)]
pub struct Frame<'a> {
    /// The sites.
    pub graph: &'a SiteGraph,
    /// Species per site (0 = vacancy).
    pub species: &'a [SpeciesId],
    /// Simulated time [s].
    pub time: f64,
    centroid: OnceCell<Option<[f64; 3]>>,
}

impl<'a> Frame<'a> {
    /// A frame of `species` on `graph` at `time` [s].
    ///
    /// # Panics
    /// If `species` does not have one entry per site (an internal invariant: callers build
    /// it from the graph's own trajectory).
    #[must_use]
    pub fn new(graph: &'a SiteGraph, species: &'a [SpeciesId], time: f64) -> Self {
        assert_eq!(
            graph.len(),
            species.len(),
            "a frame has one species per site"
        );
        Self {
            graph,
            species,
            time,
            centroid: OnceCell::new(),
        }
    }

    /// Centroid of all atoms (non-vacancy sites, each of weight 1) [Å], computed once per
    /// frame; `None` when there is no atom. Positions are taken as stored (not unwrapped
    /// across periodic boundaries).
    pub fn atom_centroid(&self) -> Option<[f64; 3]> {
        *self.centroid.get_or_init(|| {
            let mut sum = [0.0; 3];
            let mut n = 0u64;
            for (p, s) in self.graph.positions().iter().zip(self.species) {
                if !s.is_vacancy() {
                    for a in 0..3 {
                        sum[a] += p[a];
                    }
                    n += 1;
                }
            }
            #[allow(clippy::cast_precision_loss)]
            (n > 0).then(|| sum.map(|x| x / n as f64))
        })
    }
}

/// What an entry carries from one frame to the next.
#[derive(Debug, Clone, Default)]
pub enum State {
    /// Nothing (composition, shape).
    #[default]
    None,
    /// Cluster identities and counters.
    Clusters(clusters::Tracker),
    /// The reference configuration of the order parameter.
    Voids(voids::Reference),
    /// The previous frame's counts.
    Fluxes(fluxes::Previous),
}

/// The entries of a run or an analysis and their state across frames.
#[derive(Debug, Clone, Default)]
pub struct Analyzer {
    entries: Vec<Entry>,
    states: Vec<State>,
    frames: u64,
}

impl Analyzer {
    /// An analyzer of `entries`, before its first frame.
    #[must_use]
    pub fn new(entries: Vec<Entry>) -> Self {
        let states = vec![State::None; entries.len()];
        Self {
            entries,
            states,
            frames: 0,
        }
    }

    /// The entries.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// True when there is nothing to measure.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Frames measured so far.
    #[must_use]
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Measures every entry on `frame` (frames must come in trajectory order: the state
    /// carried between them assumes it).
    pub fn measure(&mut self, frame: &Frame) -> Vec<Measurement> {
        let mut out = Vec::new();
        for (entry, state) in self.entries.iter().zip(&mut self.states) {
            let name = entry.name.as_str();
            match &entry.observable {
                Observable::Composition(c) => c.measure(frame, name, &mut out),
                Observable::Clusters(c) => c.measure(frame, name, state, &mut out),
                Observable::Voids(v) => v.measure(frame, name, state, &mut out),
                Observable::Shape(s) => s.measure(frame, name, &mut out),
                Observable::Facets(f) => f.measure(frame, name, &mut out),
                Observable::Fluxes(f) => f.measure(frame, name, state, &mut out),
                Observable::Phases(p) => p.measure(frame, name, &mut out),
            }
        }
        self.frames += 1;
        out
    }
}

/// `NaN` for an empty mean: `sum / n`, or `NaN` when `n == 0`.
#[must_use]
pub fn mean(sum: f64, n: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    if n == 0 { f64::NAN } else { sum / n as f64 }
}
