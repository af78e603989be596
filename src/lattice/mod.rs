//! Lattice geometry: crystals, shapes, and assemblies of domains into a list of sites.
//!
//! This module answers "where are the sites?" before any neighbour relation exists:
//! - [`crystal`]: [`Crystal`] = cell vectors [Å] + basis sites with named roles
//!   (`"anion"`, `"cation"`, `"tet_empty"`, …), with builders for the structures of the
//!   three systems (fcc/bcc/sc/hcp, wurtzite, zinc blende, antifluorite, Cu₃P, Pnma A₂BX₄).
//! - [`shape`]: [`Shape`] = regions (sphere, box, slab, hexagonal rod or platelet,
//!   polyhedron, intersections) that cut particles out of a crystal.
//! - [`assembly`]: domains (crystal × shape × placement), particles (stacks of domains),
//!   the substrate and the periodic benchmark box, producing a [`SiteList`].
//! - [`substrate`]: a regular or amorphous 2-D layer of support sites.
//! - [`estimate`]: how many sites an assembly will enumerate, before it is built.
//!
//! A [`SiteList`] is then turned into a [`crate::sites::SiteGraph`] by
//! [`crate::sites::neighbors::build_graph`], which finds the neighbour shells by distance.
//!
//! # Extending
//! A new structure is a constructor in `crystal.rs`; a new particle shape is a variant of
//! [`Shape`]; a new way of arranging domains is a function in `assembly.rs` that returns
//! a [`ParticleSpec`] (see [`stacked_particle`]).

// Chemical formulas (CdSe, Cu₃P, Cs₂ZnX₄) in the docs are not code.
#![allow(clippy::doc_markdown)]

pub mod adsorption;
pub mod assembly;
pub mod crystal;
pub mod domain;
pub mod estimate;
pub mod orientation;
pub mod periodic;
pub mod shape;
pub mod stacked;
pub mod stoichiometry;
pub mod substrate;

pub use assembly::{
    Assembly, DomainSpec, ParticleSpec, PlanarLattice, Segment, SiteList, SubstrateLayout,
    SubstrateSpec, periodic_crystal, stacked_particle,
};
pub use crystal::{BasisSite, Crystal};
pub use shape::{Plane, PointGroup, Shape, Tip};
