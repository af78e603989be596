//! The scenario file as written: serde structs that mirror the TOML, every quantity kept
//! as text with its span so that [`super::compile`] can report a bad value at its line,
//! column and key. No conversion or validation happens here beyond types and key names
//! (`deny_unknown_fields` everywhere, so a misspelt key is an error with a suggestion).

use serde::Deserialize;

use crate::input::{Quantity, Spanned};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScenarioFile {
    pub scenario: Header,
    pub geometry: Geometry,
    #[serde(default)]
    pub initial: Vec<Initial>,
    pub program: ProgramFile,
    pub stop: Stop,
    #[serde(default)]
    pub output: Option<Output>,
    #[serde(default)]
    pub acceleration: Option<Acceleration>,
    #[serde(default)]
    pub analysis: Vec<AnalysisFile>,
    /// `[sweep]`: the scenario's own sweep, not part of the scenario (checked by
    /// `crate::sweep::file::embedded`; `nanokmc run` runs the values written above).
    #[serde(default)]
    #[allow(dead_code)] // only its presence is allowed here
    pub sweep: Option<serde::de::IgnoredAny>,
}

/// A file of `[[analysis]]` entries only (`nanokmc analyze --spec`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AnalysisSpecFile {
    #[serde(default)]
    pub analysis: Vec<AnalysisFile>,
}

/// `[[analysis]]`: one observable. A flat struct (like [`ShapeFile`]) so that every value
/// keeps its span; `super::analysis` checks which keys each `type` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AnalysisFile {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    #[serde(default)]
    pub species: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub per: Option<Spanned<String>>,
    #[serde(default)]
    pub shell: Option<Spanned<String>>,
    #[serde(default)]
    pub shells: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub domains: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub kinds: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub region: Option<Spanned<RegionFile>>,
    #[serde(default)]
    pub min_size: Option<Spanned<i64>>,
    #[serde(default)]
    pub max_jump: Option<Quantity>,
    #[serde(default)]
    pub size_bins: Option<Spanned<Vec<i64>>>,
    #[serde(default)]
    pub attached_to: Option<Spanned<AttachedFile>>,
    #[serde(default)]
    pub bin_width: Option<Quantity>,
    #[serde(default)]
    pub r_max: Option<Quantity>,
    #[serde(default)]
    pub phases: Option<Spanned<Vec<PhaseFile>>>,
    #[serde(default)]
    pub cell: Option<Quantity>,
    #[serde(default)]
    pub min_atoms: Option<Spanned<i64>>,
    #[serde(default)]
    pub families: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub lattice: Option<Spanned<String>>,
    #[serde(default)]
    pub max_angle: Option<Spanned<String>>,
}

/// One phase of a `phases` analysis: a name and its composition rules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PhaseFile {
    pub name: Spanned<String>,
    pub rules: Spanned<Vec<PhaseRuleFile>>,
}

/// One rule: `min ≤ n(species) / n(per) ≤ max`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PhaseRuleFile {
    pub species: Spanned<Vec<String>>,
    #[serde(default)]
    pub per: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub min: Option<Spanned<f64>>,
    #[serde(default)]
    pub max: Option<Spanned<f64>>,
}

/// `analysis.region`: a box, a slab or a spherical shell.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RegionFile {
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    #[serde(default)]
    pub min: Option<[Quantity; 3]>,
    #[serde(default)]
    pub max: Option<[Quantity; 3]>,
    #[serde(default)]
    pub normal: Option<Spanned<Vec<f64>>>,
    #[serde(default)]
    pub from: Option<Quantity>,
    #[serde(default)]
    pub to: Option<Quantity>,
    #[serde(default)]
    pub center: Option<[Quantity; 3]>,
    #[serde(default)]
    pub inner: Option<Quantity>,
    #[serde(default)]
    pub outer: Option<Quantity>,
}

/// `[scenario]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Header {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub author: String,
    pub potential: Spanned<String>,
    pub seed: Spanned<i64>,
    #[serde(default)]
    pub replicas: Option<Spanned<i64>>,
}

/// `[geometry]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Geometry {
    #[serde(default)]
    pub boundary: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub padding: Option<Quantity>,
    #[serde(default)]
    pub min_separation: Option<Quantity>,
    #[serde(default)]
    pub block: Option<Block>,
    #[serde(default)]
    pub particles: Vec<Particle>,
    #[serde(default)]
    pub substrate: Option<Substrate>,
    #[serde(default)]
    pub stoichiometry_tolerance: Option<Spanned<f64>>,
}

/// `[geometry.block]`: a periodic block of crystal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Block {
    pub phase: Spanned<String>,
    pub cells: Spanned<Vec<i64>>,
}

/// A rotation: an axis and an angle, or a matrix (rows; crystal → lab).
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a rotation: a 3 × 3 matrix of rows, { axis = [x, y, z], angle = \"30 deg\" }, { plane = [h, k, l], normal = [x, y, z], direction = [u, v, w], along = [x, y, z] } or { relative_to = \"domain\", plane = [h, k, l], direction = [u, v, w], parallel_plane = [h, k, l], parallel_direction = [u, v, w] }"
)]
pub(super) enum Rotation {
    // `angle` is a plain string: spans cannot be read inside an untagged enum.
    AxisAngle {
        axis: [f64; 3],
        angle: String,
    },
    Matrix([[f64; 3]; 3]),
    /// Orientation relationship with an earlier domain of the same particle.
    Relation {
        relative_to: String,
        plane: Vec<f64>,
        direction: Vec<f64>,
        parallel_plane: Vec<f64>,
        parallel_direction: Vec<f64>,
    },
    /// A plane normal and a direction of the crystal along lab vectors.
    Align {
        plane: Vec<f64>,
        normal: [f64; 3],
        direction: Vec<f64>,
        along: [f64; 3],
    },
}

/// An adsorption layer around a particle (see `crate::lattice::adsorption`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AdlayerFile {
    pub name: Spanned<String>,
    pub phase: Spanned<String>,
    pub thickness: Quantity,
    #[serde(default)]
    pub rotation: Option<Rotation>,
    #[serde(default)]
    pub lattice_origin: Option<[Quantity; 3]>,
    #[serde(default)]
    pub on_substrate: Option<Spanned<bool>>,
    #[serde(default)]
    pub substrate_thickness: Option<Quantity>,
    #[serde(default)]
    pub normal_radius: Option<Quantity>,
    #[serde(default)]
    pub facets: Vec<FacetFile>,
}

/// `attached_to` of a clusters entry: the contact that attaches a cluster.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AttachedFile {
    pub shell: Spanned<String>,
    pub species: Spanned<Vec<String>>,
}

/// A facet family of an adsorption layer and the site kind of its sites.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FacetFile {
    #[serde(default)]
    pub normal: Option<Spanned<[f64; 3]>>,
    #[serde(default)]
    pub symmetry: Option<Spanned<String>>,
    #[serde(default)]
    pub tolerance: Option<Spanned<String>>,
    #[serde(default)]
    pub domain: Option<Spanned<String>>,
    pub kind: Spanned<String>,
}

/// A shape with lengths as quantities; `type` as in [`crate::lattice::Shape`]. A flat
/// struct rather than a tagged enum, because serde's tagged enums lose the spans of the
/// quantities inside; [`super::compile`] checks which keys each type takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ShapeFile {
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    #[serde(default)]
    pub radius: Option<Quantity>,
    #[serde(default)]
    pub length: Option<Quantity>,
    #[serde(default)]
    pub thickness: Option<Quantity>,
    #[serde(default)]
    pub size: Option<[Quantity; 3]>,
    #[serde(default)]
    pub tip: Option<Spanned<String>>,
    #[serde(default)]
    pub symmetry: Option<Spanned<String>>,
    #[serde(default)]
    pub planes: Option<Vec<PlaneFile>>,
}

/// One plane (or plane family) of a polyhedron.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlaneFile {
    pub normal: [f64; 3],
    pub distance: Quantity,
}

/// One domain of a particle given explicitly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DomainFile {
    pub name: Spanned<String>,
    pub phase: Spanned<String>,
    pub shape: ShapeFile,
    #[serde(default)]
    pub center: Option<[Quantity; 3]>,
    #[serde(default)]
    pub rotation: Option<Rotation>,
    #[serde(default)]
    pub lattice_origin: Option<[Quantity; 3]>,
    /// Site kinds in place of the phase's `roles` for this domain only (role → kind).
    #[serde(default)]
    pub kinds: Option<KindsTable>,
}

/// A `kinds` table of a domain, segment or one-phase particle: role → site kind.
pub(super) type KindsTable = Spanned<std::collections::BTreeMap<String, Spanned<String>>>;

/// One slice of a stacked particle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SegmentFile {
    pub name: Spanned<String>,
    pub phase: Spanned<String>,
    pub thickness: Quantity,
    #[serde(default)]
    pub rotation: Option<Rotation>,
    /// Site kinds in place of the phase's `roles` for this segment only (role → kind).
    #[serde(default)]
    pub kinds: Option<KindsTable>,
}

/// `[[geometry.particles]]`: one phase in a shape, a stack of segments, or domains.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Particle {
    pub name: Spanned<String>,
    #[serde(default)]
    pub center: Option<[Quantity; 3]>,
    #[serde(default)]
    pub margin: Option<Quantity>,
    #[serde(default)]
    pub phase: Option<Spanned<String>>,
    #[serde(default)]
    pub shape: Option<ShapeFile>,
    #[serde(default)]
    pub rotation: Option<Rotation>,
    #[serde(default)]
    pub cross_section: Option<ShapeFile>,
    #[serde(default)]
    pub segments: Vec<SegmentFile>,
    #[serde(default)]
    pub domains: Vec<DomainFile>,
    #[serde(default)]
    pub orientation: Option<Rotation>,
    #[serde(default)]
    pub adlayers: Vec<AdlayerFile>,
    #[serde(default)]
    pub stoichiometric: Option<Spanned<bool>>,
    /// Site kinds in place of the phase's `roles` (role → kind), for a one-phase particle.
    #[serde(default)]
    pub kinds: Option<KindsTable>,
}

/// `[geometry.substrate]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Substrate {
    #[serde(default)]
    pub name: Option<String>,
    pub kind: Spanned<String>,
    pub z: Quantity,
    pub extent: [Quantity; 2],
    pub layout: Spanned<String>,
    pub spacing: Quantity,
    #[serde(default)]
    pub min_distance: Option<Quantity>,
    #[serde(default)]
    pub seed: Option<Spanned<i64>>,
}

/// `[[initial]]`: a change of the initial configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Initial {
    #[serde(default)]
    pub domain: Option<Spanned<String>>,
    #[serde(default)]
    pub kind: Option<Spanned<String>>,
    #[serde(default)]
    pub species: Option<Spanned<String>>,
    pub set: Spanned<String>,
    #[serde(default)]
    pub fraction: Option<Spanned<f64>>,
    #[serde(default)]
    pub count: Option<Spanned<i64>>,
    #[serde(default)]
    pub region: Option<Spanned<RegionFile>>,
}

/// `[program]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProgramFile {
    #[serde(default)]
    pub temperature: Option<Quantity>,
    #[serde(default)]
    pub steps: Vec<StepFile>,
    #[serde(default)]
    pub temperature_table: Option<Spanned<Vec<[Quantity; 2]>>>,
    #[serde(default)]
    pub beam: Vec<BeamFile>,
}

/// `[[program.steps]]`: a hold or a ramp.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepFile {
    #[serde(default)]
    pub hold: Option<Quantity>,
    #[serde(default)]
    pub ramp_to: Option<Quantity>,
    #[serde(default)]
    pub duration: Option<Quantity>,
    #[serde(default)]
    pub rate: Option<Quantity>,
}

/// `[[program.beam]]`: a beam-on window.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BeamFile {
    pub start: Quantity,
    pub end: Quantity,
    pub flux: Quantity,
    #[serde(default)]
    pub energy: Option<Quantity>,
    #[serde(default)]
    pub spot: Option<Quantity>,
    #[serde(default)]
    pub sink_distance: Option<Quantity>,
    #[serde(default)]
    pub heating: Option<Quantity>,
}

/// `[stop]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Stop {
    #[serde(default)]
    pub time: Option<Quantity>,
    #[serde(default)]
    pub events: Option<Spanned<i64>>,
    #[serde(default)]
    pub end_of_program: Option<Spanned<bool>>,
    #[serde(default)]
    pub when: Vec<StopWhen>,
}

/// `[[stop.when]]`: stop when a species count falls to `at_most`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StopWhen {
    pub species: Spanned<String>,
    #[serde(default)]
    pub domain: Option<Spanned<String>>,
    pub at_most: Spanned<i64>,
}

/// `[output]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Output {
    #[serde(default)]
    pub file: Option<Spanned<String>>,
    #[serde(default)]
    pub every: Option<Quantity>,
    #[serde(default)]
    pub every_events: Option<Spanned<i64>>,
    #[serde(default)]
    pub frames: Option<Spanned<i64>>,
    #[serde(default)]
    pub log_spaced: Option<LogSpaced>,
    #[serde(default)]
    pub observables: Option<Spanned<Vec<String>>>,
}

/// `output.log_spaced`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LogSpaced {
    pub first: Quantity,
    pub per_decade: Spanned<i64>,
}

/// `[acceleration]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Acceleration {
    pub method: Spanned<String>,
    #[serde(default)]
    pub max_basin_states: Option<Spanned<i64>>,
    #[serde(default)]
    pub separation: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub window: Option<Spanned<i64>>,
    #[serde(default)]
    pub min_executions: Option<Spanned<i64>>,
    #[serde(default)]
    pub balance: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub min_factor: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub regions: Option<Spanned<String>>,
    #[serde(default)]
    pub channels: Option<Spanned<Vec<String>>>,
}
