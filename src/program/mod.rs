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
pub use temperature::{RampSpeed, Step, temperature_steps};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The external conditions at one time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// Temperature [K], > 0.
    pub temperature: f64,
    /// Electron flux (dose rate) [e Å⁻² s⁻¹], ≥ 0.
    pub beam_flux: f64,
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
}

/// The unvalidated serde form of [`Program`].
#[derive(Deserialize)]
struct ProgramFields {
    temperature: Schedule,
    beam_flux: Schedule,
}

impl TryFrom<ProgramFields> for Program {
    type Error = Error;

    fn try_from(fields: ProgramFields) -> Result<Self> {
        Program::new(fields.temperature, fields.beam_flux)
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
        };
        program.validate()?;
        Ok(program)
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
        Ok(())
    }

    /// The environment at time `t` [s] (right-continuous at jumps).
    #[must_use]
    pub fn environment(&self, t: f64) -> Environment {
        Environment {
            temperature: self.temperature.value_at(t),
            beam_flux: self.beam_flux.value_at(t),
        }
    }

    /// The environment just before `t` [s]: the left limit at a jump, otherwise the same as
    /// [`Program::environment`].
    #[must_use]
    pub fn environment_before(&self, t: f64) -> Environment {
        Environment {
            temperature: self.temperature.left_limit(t),
            beam_flux: self.beam_flux.left_limit(t),
        }
    }

    /// The smallest breakpoint of either schedule strictly after `t` [s], if any.
    #[must_use]
    pub fn next_breakpoint_after(&self, t: f64) -> Option<f64> {
        match (
            self.temperature.next_breakpoint_after(t),
            self.beam_flux.next_breakpoint_after(t),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The `(max, min)` environments over `[t0, t1)` [s], component-wise (see
    /// [`Schedule::range_on`]: a jump exactly at `t1` is not included).
    #[must_use]
    pub fn bounds_on(&self, t0: f64, t1: f64) -> (Environment, Environment) {
        let (min_temperature, max_temperature) = self.temperature.range_on(t0, t1);
        let (min_flux, max_flux) = self.beam_flux.range_on(t0, t1);
        (
            Environment {
                temperature: max_temperature,
                beam_flux: max_flux,
            },
            Environment {
                temperature: min_temperature,
                beam_flux: min_flux,
            },
        )
    }

    /// True when both T and φ are constant on `[t0, t1)` [s].
    #[must_use]
    pub fn is_constant_on(&self, t0: f64, t1: f64) -> bool {
        self.temperature.is_constant_on(t0, t1) && self.beam_flux.is_constant_on(t0, t1)
    }

    /// The last breakpoint of either schedule [s] (0 for a constant program); the
    /// environment is constant after it.
    #[must_use]
    pub fn end_time(&self) -> f64 {
        self.temperature.end_time().max(self.beam_flux.end_time())
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
                beam_flux: 0.0
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
