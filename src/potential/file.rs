//! The serde image of a potential file: one struct per TOML table, spans kept for errors.
//!
//! Compiled into a [`super::Potential`] by `Compiler` (mod.rs and rules.rs).

use serde::Deserialize;

use super::{beam, custom, events};
use crate::input::{Quantity, Spanned};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileModel {
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSpecies {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) element: Option<String>,
    #[serde(default)]
    pub(super) mass: Option<Quantity>,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FilePhase {
    pub(super) name: Spanned<String>,
    pub(super) structure: Spanned<String>,
    #[serde(default)]
    pub(super) a: Option<Quantity>,
    #[serde(default)]
    pub(super) b: Option<Quantity>,
    #[serde(default)]
    pub(super) c: Option<Quantity>,
    #[serde(default)]
    pub(super) u: Option<Quantity>,
    pub(super) roles: Spanned<toml::Table>,
    #[serde(default)]
    pub(super) fill: Option<Spanned<toml::Table>>,
    #[serde(default)]
    pub(super) alpha: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) beta: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) gamma: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) vectors: Option<[[Quantity; 3]; 3]>,
    #[serde(default)]
    pub(super) sites: Vec<custom::FileBasisSite>,
    #[serde(default)]
    pub(super) operations: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileKind {
    pub(super) name: Spanned<String>,
    pub(super) allowed: Vec<Spanned<String>>,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileShellPair {
    pub(super) kinds: Spanned<[String; 2]>,
    #[serde(default)]
    pub(super) min: Option<Quantity>,
    pub(super) max: Quantity,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileShell {
    pub(super) name: Spanned<String>,
    pub(super) pairs: Vec<FileShellPair>,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileOnsite {
    pub(super) species: Spanned<String>,
    pub(super) kind: Spanned<String>,
    pub(super) value: Quantity,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileBond {
    pub(super) shell: Spanned<String>,
    pub(super) species: Spanned<[String; 2]>,
    pub(super) value: Quantity,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileCoordination {
    pub(super) species: Spanned<String>,
    pub(super) shell: Spanned<String>,
    pub(super) counted: Vec<Spanned<String>>,
    pub(super) table: Vec<Quantity>,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) source: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileEnergy {
    #[serde(default)]
    pub(super) onsite: Vec<FileOnsite>,
    #[serde(default)]
    pub(super) bonds: Vec<FileBond>,
    #[serde(default)]
    pub(super) coordination: Vec<FileCoordination>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSaddle {
    pub(super) shell: Spanned<String>,
    pub(super) species: Spanned<String>,
    #[serde(default)]
    pub(super) kind: Option<Spanned<events::Names>>,
    #[serde(default)]
    pub(super) domain: Option<Spanned<events::Names>>,
    pub(super) shift: Quantity,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileCondition {
    pub(super) shell: Spanned<String>,
    pub(super) species: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) kind: Option<Spanned<events::Names>>,
    #[serde(default)]
    pub(super) domain: Option<Spanned<events::Names>>,
    #[serde(default)]
    pub(super) min: Option<u16>,
    #[serde(default)]
    pub(super) max: Option<u16>,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum EventType {
    Hop,
    Exchange,
    Remove,
    Add,
    BeamDisplace,
    BeamRemove,
    Change,
    BeamChange,
    RemovePair,
    AddPair,
    ClusterMove,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum FileBarrierRule {
    KangWeinberg,
    Uphill,
    Fixed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileEvent {
    pub(super) name: Spanned<String>,
    #[serde(rename = "type")]
    pub(super) kind: Spanned<EventType>,
    pub(super) species: Spanned<String>,
    #[serde(default, rename = "with")]
    pub(super) partner: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) from: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) to: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) into: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) with_kind: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) shell: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) connect: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) motif: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(super) min_size: Option<Spanned<u32>>,
    #[serde(default)]
    pub(super) max_size: Option<Spanned<u32>>,
    #[serde(default)]
    pub(super) size_energy: Option<Quantity>,
    #[serde(default)]
    pub(super) size_power: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) vectors: Option<Spanned<Vec<Spanned<Vec<f64>>>>>,
    #[serde(default)]
    pub(super) vector_phase: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) merge_min_gain: Option<Quantity>,
    #[serde(default)]
    pub(super) prefactor: Option<Quantity>,
    #[serde(default)]
    pub(super) migration_energy: Option<Quantity>,
    #[serde(default)]
    pub(super) barrier_rule: Option<FileBarrierRule>,
    #[serde(default)]
    pub(super) reference_energy: Option<Quantity>,
    #[serde(default)]
    pub(super) cross_section: Option<Quantity>,
    #[serde(default)]
    pub(super) reversible: Option<Spanned<bool>>,
    #[serde(default)]
    pub(super) saddle: Vec<FileSaddle>,
    #[serde(default)]
    pub(super) conditions: Vec<FileCondition>,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FilePotential {
    pub(super) model: FileModel,
    pub(super) species: Vec<FileSpecies>,
    #[serde(default)]
    pub(super) phases: Vec<FilePhase>,
    pub(super) site_kinds: Vec<FileKind>,
    #[serde(default)]
    pub(super) shells: Vec<FileShell>,
    #[serde(default)]
    pub(super) energy: FileEnergy,
    #[serde(default)]
    pub(super) events: Vec<FileEvent>,
    #[serde(default)]
    pub(super) beam: Option<beam::FileBeam>,
}
