//! # nanokmc
//!
//! Atomistic, lattice-based kinetic Monte Carlo (kMC) of nanocrystal transformations as seen
//! by in situ transmission electron microscopy: Cu diffusion and Cd→Cu cation exchange in
//! `CdSe`/`Cu3P` heterostructures, Au ripening on `CdSe` nanorods, and beam-induced vacancy
//! formation and healing in `Cs2ZnX4` particles.
//!
//! ## Overview
//! - [`lattice`] builds crystals (cell + basis with named site roles), shapes and
//!   assemblies of domains, particles and a substrate.
//! - [`sites`] turns those positions into an immutable [`sites::SiteGraph`] with neighbour
//!   shells found by distance.
//! - [`potential`] reads a potential file (species, site kinds, shells, energies, event
//!   rules, all with units) into a compiled [`potential::Model`].
//! - [`state`] holds the only mutable configuration, the [`state::Occupancy`].
//! - [`energy`] computes energy changes of events; [`rates`] turns them into barriers and
//!   rate classes; [`events`] enumerates the events of a site.
//! - [`solver`] selects events (rate classes with O(1) membership, sum tree, linear
//!   reference); [`program`] gives temperature and beam flux as functions of time.
//! - [`engine`] runs the kMC loop with exact time stepping under the program.
//! - [`accel`] accelerates fast, quasi-equilibrated events: [`accel::basin`] solves the
//!   escape from a basin of fast states (mean times, exit probabilities, sampling).
//!
//! The data flow of one step is described in `ARCHITECTURE.md` and in [`engine`].
//!
//! ## Units
//! | quantity | internal unit |
//! |---|---|
//! | energy | eV |
//! | temperature | K |
//! | time | s |
//! | length | Å |
//! | rate | s⁻¹ |
//! | cross-section | Å² |
//! | electron flux | e Å⁻² s⁻¹ |
//!
//! Units are converted at the input boundary only ([`units`]).

#![warn(missing_docs)]
#![warn(clippy::pedantic)]
// Reasons for the allowed pedantic lints:
// - module_name_repetitions: names such as `EnergyModel` in `energy` read better in docs.
// - must_use_candidate: too noisy for small accessors; key constructors are marked by hand.
// - similar_names: physics names (`n_i`, `n_j`) are deliberately alike.
// - many_single_char_names: formulas use the symbols of the papers.
#![allow(
    clippy::module_name_repetitions,
    clippy::must_use_candidate,
    clippy::similar_names,
    clippy::many_single_char_names
)]

pub mod accel;
pub mod analysis;
pub mod beam;
pub mod bench;
pub mod constants;
pub mod energy;
pub mod engine;
pub mod error;
pub mod events;
pub mod input;
pub mod lattice;
pub mod model;
pub mod output;
pub mod plot;
pub mod potential;
pub mod program;
pub mod rates;
pub mod render;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod sites;
pub mod solver;
pub mod state;
pub mod sweep;
pub mod units;
pub mod validate;

pub use error::{Error, Result};
