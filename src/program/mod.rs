//! The time program: temperature T(t) [K] and electron flux φ(t) [e Å⁻² s⁻¹].
//!
//! A [`Program`] holds two [`Schedule`]s, piecewise-linear functions of time with optional
//! jumps (beam on/off). The engine asks for the [`Environment`] at any time, for the next
//! breakpoint, and for the extremes of T and φ over an interval ([`Program::bounds_on`]).
//!
//! # Exactness
//! Nothing here is approximated. The engine cuts time into windows that end at every
//! breakpoint; within a window it draws candidate events at the bound rates (each rate at
//! the window's largest T and φ) and accepts each with the ratio of the true rate at the
//! candidate's time to its bound (thinning, Lewis & Shedler 1979), which samples the
//! non-homogeneous process exactly under any ramp (`ARCHITECTURE.md`, "Why thinning is
//! exact"). Windows inside a ramp are only kept short enough that the acceptance stays
//! high: their length affects speed, never the result.

//! # Building programs
//! - [`Program::constant`] for isothermal runs under a constant beam;
//! - [`temperature_steps`] with [`Step::Hold`] / [`Step::Ramp`] for heating experiments;
//! - [`beam_windows`] with [`BeamWindow`]s for beam on/off series;
//! - [`Schedule::from_points`] for any tabulated program.
//!
//! All inputs are in internal units; the scenario layer converts strings with units
//! ([`crate::units`]) before calling these builders.

mod beam;
mod schedule;
mod temperature;

pub use beam::{BeamWindow, beam_windows};
pub use schedule::Schedule;
pub(crate) use schedule::push_point;
pub use temperature::{RampSpeed, Step, temperature_steps, temperature_steps_with_ends};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The external conditions at one time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// Temperature [K], > 0.
    pub temperature: f64,
    /// Electron flux (dose rate) [e Å⁻² s⁻¹], ≥ 0.
    pub beam_flux: f64,
    /// Beam energy E₀ [keV], ≥ 0 (0: not given; computed beam cross-sections are then 0).
    /// Piecewise constant: it changes only at breakpoints ([`Program::beam_energy`]).
    #[serde(default)]
    pub beam_energy: f64,
}

/// Temperature and beam flux as functions of time.
///
/// Invariants (checked by [`Program::new`], [`Program::validate`] and on deserialization):
/// T > 0 K and φ ≥ 0 at all times. Since the schedules are linear between points, checking
/// the point values checks all times. The fields are public for inspection; call
/// [`Program::validate`] after modifying them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ProgramFields")]
pub struct Program {
    /// Temperature T(t) [K].
    pub temperature: Schedule,
    /// Electron flux φ(t) [e Å⁻² s⁻¹].
    pub beam_flux: Schedule,
    /// Beam energy E₀(t) [keV]: piecewise constant (jumps only), constant 0 when not given.
    /// It only matters where φ > 0 (`crate::beam`).
    pub beam_energy: Schedule,
}

/// The unvalidated serde form of [`Program`].
#[derive(Deserialize)]
struct ProgramFields {
    temperature: Schedule,
    beam_flux: Schedule,
    #[serde(default)]
    beam_energy: Option<Schedule>,
}

impl TryFrom<ProgramFields> for Program {
    type Error = Error;

    fn try_from(fields: ProgramFields) -> Result<Self> {
        let program = Program::new(fields.temperature, fields.beam_flux)?;
        match fields.beam_energy {
            Some(energy) => program.with_beam_energy(energy),
            None => Ok(program),
        }
    }
}

impl Program {
    /// A program from its two schedules.
    ///
    /// # Errors
    /// [`Error::Build`] when the temperature is not > 0 K or the flux is negative at some
    /// time.
    pub fn new(temperature: Schedule, beam_flux: Schedule) -> Result<Self> {
        let program = Program {
            temperature,
            beam_flux,
            beam_energy: Schedule::constant(0.0),
        };
        program.validate()?;
        Ok(program)
    }

    /// This program with the beam energy schedule `energy` [keV].
    ///
    /// # Errors
    /// [`Error::Build`] when the energy is negative somewhere or changes other than by
    /// jumps (E₀ must be constant between breakpoints, so that the rate bounds of a window
    /// hold exactly).
    pub fn with_beam_energy(mut self, energy: Schedule) -> Result<Self> {
        self.beam_energy = energy;
        self.validate()?;
        Ok(self)
    }

    /// Constant temperature [K] and flux [e Å⁻² s⁻¹].
    ///
    /// # Errors
    /// [`Error::Build`] when `temperature` is not finite and > 0 or `beam_flux` is not
    /// finite and ≥ 0.
    ///
    /// # Example
    /// ```
    /// use nanokmc::program::Program;
    /// let program = Program::constant(573.0, 0.0)?;
    /// assert_eq!(program.environment(1e3).temperature, 573.0);
    /// assert_eq!(program.next_breakpoint_after(0.0), None);
    /// # Ok::<(), nanokmc::Error>(())
    /// ```
    pub fn constant(temperature: f64, beam_flux: f64) -> Result<Self> {
        Program::new(
            Schedule::from_points(vec![(0.0, temperature)])?,
            Schedule::from_points(vec![(0.0, beam_flux)])?,
        )
    }

    /// A program from temperature steps starting at `initial_temperature` [K] at t = 0
    /// and beam windows (flux 0 outside them).
    ///
    /// # Errors
    /// See [`temperature_steps`] and [`beam_windows`].
    pub fn from_steps(
        initial_temperature: f64,
        steps: &[Step],
        windows: &[BeamWindow],
    ) -> Result<Self> {
        Program::new(
            temperature_steps(initial_temperature, steps)?,
            beam_windows(windows)?,
        )
    }

    /// Checks T > 0 K and φ ≥ 0 at all times.
    ///
    /// # Errors
    /// [`Error::Build`] naming the offending schedule and value.
    pub fn validate(&self) -> Result<()> {
        let (min_temperature, _) = self.temperature.value_range();
        if min_temperature.is_nan() || min_temperature <= 0.0 {
            return Err(Error::build(
                "program",
                format!("temperature must be > 0 K at all times, reaches {min_temperature} K"),
            ));
        }
        let (min_flux, _) = self.beam_flux.value_range();
        if min_flux.is_nan() || min_flux < 0.0 {
            return Err(Error::build(
                "program",
                format!("beam flux must be >= 0 at all times, reaches {min_flux} e/Å^2/s"),
            ));
        }
        let (min_energy, _) = self.beam_energy.value_range();
        if min_energy.is_nan() || min_energy < 0.0 {
            return Err(Error::build(
                "program",
                format!("beam energy must be >= 0 at all times, reaches {min_energy} keV"),
            ));
        }
        let points = self.beam_energy.points();
        for pair in points.windows(2) {
            if pair[0].0 < pair[1].0 && pair[0].1.to_bits() != pair[1].1.to_bits() {
                return Err(Error::build(
                    "program",
                    format!(
                        "beam energy must change by jumps only, ramps from {} to {} keV between {} and {} s",
                        pair[0].1, pair[1].1, pair[0].0, pair[1].0
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The environment at time `t` [s] (right-continuous at jumps).
    #[must_use]
    pub fn environment(&self, t: f64) -> Environment {
        Environment {
            temperature: self.temperature.value_at(t),
            beam_flux: self.beam_flux.value_at(t),
            beam_energy: self.beam_energy.value_at(t),
        }
    }

    /// The environment just before `t` [s]: the left limit at a jump, otherwise the same as
    /// [`Program::environment`].
    #[must_use]
    pub fn environment_before(&self, t: f64) -> Environment {
        Environment {
            temperature: self.temperature.left_limit(t),
            beam_flux: self.beam_flux.left_limit(t),
            beam_energy: self.beam_energy.left_limit(t),
        }
    }

    /// The smallest breakpoint of either schedule strictly after `t` [s], if any.
    #[must_use]
    pub fn next_breakpoint_after(&self, t: f64) -> Option<f64> {
        [
            self.temperature.next_breakpoint_after(t),
            self.beam_flux.next_breakpoint_after(t),
            self.beam_energy.next_breakpoint_after(t),
        ]
        .into_iter()
        .flatten()
        .reduce(f64::min)
    }

    /// The `(max, min)` environments over `[t0, t1)` [s], component-wise (see
    /// [`Schedule::range_on`]: a jump exactly at `t1` is not included).
    #[must_use]
    pub fn bounds_on(&self, t0: f64, t1: f64) -> (Environment, Environment) {
        let (min_temperature, max_temperature) = self.temperature.range_on(t0, t1);
        let (min_flux, max_flux) = self.beam_flux.range_on(t0, t1);
        // E₀ is constant between breakpoints (checked by `validate`), so on a window that
        // ends at or before the next breakpoint its max and min are its value.
        let (min_energy, max_energy) = self.beam_energy.range_on(t0, t1);
        (
            Environment {
                temperature: max_temperature,
                beam_flux: max_flux,
                beam_energy: max_energy,
            },
            Environment {
                temperature: min_temperature,
                beam_flux: min_flux,
                beam_energy: min_energy,
            },
        )
    }

    /// True when both T and φ are constant on `[t0, t1)` [s].
    #[must_use]
    pub fn is_constant_on(&self, t0: f64, t1: f64) -> bool {
        self.temperature.is_constant_on(t0, t1)
            && self.beam_flux.is_constant_on(t0, t1)
            && self.beam_energy.is_constant_on(t0, t1)
    }

    /// The last breakpoint of either schedule [s] (0 for a constant program); the
    /// environment is constant after it.
    #[must_use]
    pub fn end_time(&self) -> f64 {
        self.temperature
            .end_time()
            .max(self.beam_flux.end_time())
            .max(self.beam_energy.end_time())
    }
}

#[cfg(test)]
// exact float comparisons in these tests check values that are exactly representable
// (breakpoints, jumps, small sums); inexact values are compared with approx.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    fn heating_under_beam() -> Program {
        Program::from_steps(
            300.0,
            &[
                Step::Ramp {
                    to: 500.0,
                    speed: RampSpeed::Rate(10.0),
                },
                Step::Hold {
                    temperature: 500.0,
                    duration: 30.0,
                },
            ],
            &[BeamWindow {
                start: 15.0,
                end: 40.0,
                flux: 800.0,
            }],
        )
        .expect("valid program")
    }

    #[test]
    fn program_environment_combines_schedules() {
        let p = heating_under_beam();
        assert_eq!(
            p.environment(10.0),
            Environment {
                temperature: 400.0,
                beam_flux: 0.0,
                beam_energy: 0.0,
            }
        );
        assert_eq!(p.environment(15.0).beam_flux, 800.0);
        assert_eq!(p.environment(40.0).beam_flux, 0.0);
        assert_eq!(p.environment(1e6).temperature, 500.0);
    }

    #[test]
    fn program_next_breakpoint_is_union() {
        let p = heating_under_beam();
        let mut t = -1.0;
        let mut seen = Vec::new();
        while let Some(next) = p.next_breakpoint_after(t) {
            seen.push(next);
            t = next;
        }
        assert_eq!(seen, vec![0.0, 15.0, 20.0, 40.0, 50.0]);
        assert_eq!(p.end_time(), 50.0);
        assert_eq!(
            Program::constant(300.0, 0.0).expect("valid").end_time(),
            0.0
        );
    }

    #[test]
    fn program_bounds_on_gives_max_then_min() {
        let p = heating_under_beam();
        let (max, min) = p.bounds_on(5.0, 15.0);
        assert_eq!(max.temperature, 450.0);
        assert_eq!(min.temperature, 350.0);
        assert_eq!((min.beam_flux, max.beam_flux), (0.0, 0.0));
        let (max, min) = p.bounds_on(15.0, 20.0);
        assert_eq!((min.beam_flux, max.beam_flux), (800.0, 800.0));
        assert!(!p.is_constant_on(15.0, 20.0));
        assert!(p.is_constant_on(20.0, 40.0));
        assert!(p.is_constant_on(50.0, 1e9));
    }

    #[test]
    fn program_validation_rejects_non_physical_values() {
        assert!(Program::constant(0.0, 0.0).is_err());
        assert!(Program::constant(-1.0, 0.0).is_err());
        assert!(Program::constant(300.0, -1.0).is_err());
        assert!(Program::constant(f64::NAN, 0.0).is_err());
        let cold = Schedule::from_points(vec![(0.0, 300.0), (1.0, 0.0)]).expect("schedule");
        let error = Program::new(cold, Schedule::constant(0.0)).expect_err("T reaches 0 K");
        assert!(error.to_string().contains("temperature must be > 0 K"));
    }

    /// The beam energy is piecewise constant: its jumps are breakpoints, it is part of the
    /// environment and of the bounds, and a ramp of it is refused.
    #[test]
    fn program_beam_energy_jumps_only() {
        let energy = beam_windows(&[
            BeamWindow {
                start: 15.0,
                end: 30.0,
                flux: 200.0,
            },
            BeamWindow {
                start: 30.0,
                end: 40.0,
                flux: 300.0,
            },
        ])
        .expect("energy windows");
        let p = heating_under_beam()
            .with_beam_energy(energy)
            .expect("valid energy");
        assert_eq!(p.environment(20.0).beam_energy, 200.0);
        assert_eq!(p.environment(30.0).beam_energy, 300.0);
        assert_eq!(p.environment_before(30.0).beam_energy, 200.0);
        assert_eq!(p.next_breakpoint_after(20.0), Some(30.0));
        assert!(!p.is_constant_on(25.0, 35.0));
        let (max, min) = p.bounds_on(30.0, 40.0);
        assert_eq!((max.beam_energy, min.beam_energy), (300.0, 300.0));
        let ramp = Schedule::from_points(vec![(0.0, 200.0), (10.0, 300.0)]).expect("ramp");
        let error = heating_under_beam()
            .with_beam_energy(ramp)
            .expect_err("a ramp of E0");
        assert!(error.to_string().contains("jumps only"), "{error}");
        // serde keeps it.
        let text = toml::to_string(&p).expect("serialize");
        let back: Program = toml::from_str(&text).expect("deserialize");
        assert_eq!(back, p);
    }

    #[test]
    fn program_serde_round_trip_and_validation() {
        let p = heating_under_beam();
        let text = toml::to_string(&p).expect("serialize");
        let back: Program = toml::from_str(&text).expect("deserialize");
        assert_eq!(back, p);
        let bad = "temperature = [[0.0, -5.0]]\nbeam_flux = [[0.0, 0.0]]";
        assert!(toml::from_str::<Program>(bad).is_err());
    }
}
