//! Temperature programs built from steps: holds and ramps.
//!
//! A heating experiment is a sequence of [`Step`]s starting at an initial temperature at
//! t = 0: hold at a temperature for a duration, or ramp linearly to a target at a given
//! rate or over a given duration. [`temperature_steps`] turns them into a [`Schedule`].
//! After the last step the temperature stays at its final value.

use serde::{Deserialize, Serialize};

use super::schedule::{Schedule, push_point};
use crate::error::{Error, Result};

/// How fast a [`Step::Ramp`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RampSpeed {
    /// Heating or cooling rate magnitude [K s⁻¹], > 0; the sign follows the target.
    Rate(f64),
    /// Duration of the ramp [s], ≥ 0 (0 is a jump).
    Duration(f64),
}

/// One step of a temperature program.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Step {
    /// Hold at `temperature` [K] for `duration` [s] (≥ 0). If `temperature` differs from
    /// the current temperature, the program jumps to it at the start of the hold.
    Hold {
        /// Temperature held [K], > 0.
        temperature: f64,
        /// Duration of the hold [s], ≥ 0.
        duration: f64,
    },
    /// Ramp linearly from the current temperature to `to` [K].
    Ramp {
        /// Target temperature [K], > 0.
        to: f64,
        /// Rate [K s⁻¹] or duration [s] of the ramp.
        speed: RampSpeed,
    },
}

fn step_error(index: usize, message: impl std::fmt::Display) -> Error {
    Error::build("temperature program", format!("step {index}: {message}"))
}

fn check_temperature(index: usize, temperature: f64) -> Result<()> {
    if temperature.is_finite() && temperature > 0.0 {
        Ok(())
    } else {
        Err(step_error(
            index,
            format!("temperature must be finite and > 0 K, got {temperature}"),
        ))
    }
}

fn check_duration(index: usize, duration: f64) -> Result<()> {
    if duration.is_finite() && duration >= 0.0 {
        Ok(())
    } else {
        Err(step_error(
            index,
            format!("duration must be finite and >= 0 s, got {duration}"),
        ))
    }
}

/// The temperature schedule [K] of `steps` starting at `initial` [K] at t = 0.
///
/// # Errors
/// [`Error::Build`] when a temperature is not finite and > 0, a duration is negative or not
/// finite, or a ramp rate is not finite and > 0.
///
/// # Example
/// ```
/// use nanokmc::program::{temperature_steps, RampSpeed, Step};
/// let schedule = temperature_steps(300.0, &[
///     Step::Ramp { to: 500.0, speed: RampSpeed::Rate(10.0) },
///     Step::Hold { temperature: 500.0, duration: 60.0 },
/// ])?;
/// assert_eq!(schedule.value_at(10.0), 400.0);
/// assert_eq!(schedule.end_time(), 80.0);
/// # Ok::<(), nanokmc::Error>(())
/// ```
pub fn temperature_steps(initial: f64, steps: &[Step]) -> Result<Schedule> {
    temperature_steps_with_ends(initial, steps).map(|(schedule, _)| schedule)
}

/// [`temperature_steps`] with the end time of each step [s] (one per step, in order), for
/// measurements taken at the end of a step.
///
/// # Errors
/// As [`temperature_steps`].
pub fn temperature_steps_with_ends(initial: f64, steps: &[Step]) -> Result<(Schedule, Vec<f64>)> {
    if !(initial.is_finite() && initial > 0.0) {
        return Err(Error::build(
            "temperature program",
            format!("initial temperature must be finite and > 0 K, got {initial}"),
        ));
    }
    let mut points = vec![(0.0, initial)];
    let mut ends = Vec::with_capacity(steps.len());
    let mut time = 0.0_f64;
    let mut current = initial;
    for (index, step) in steps.iter().enumerate() {
        match *step {
            Step::Hold {
                temperature,
                duration,
            } => {
                check_temperature(index, temperature)?;
                check_duration(index, duration)?;
                push_point(&mut points, time, temperature);
                time += duration;
                push_point(&mut points, time, temperature);
                current = temperature;
            }
            Step::Ramp { to, speed } => {
                check_temperature(index, to)?;
                let duration = match speed {
                    RampSpeed::Duration(duration) => {
                        check_duration(index, duration)?;
                        duration
                    }
                    RampSpeed::Rate(rate) => {
                        if !(rate.is_finite() && rate > 0.0) {
                            return Err(step_error(
                                index,
                                format!("ramp rate must be finite and > 0 K/s, got {rate}"),
                            ));
                        }
                        (to - current).abs() / rate
                    }
                };
                time += duration;
                push_point(&mut points, time, to);
                current = to;
            }
        }
        if !time.is_finite() {
            return Err(step_error(index, "the program end time overflows"));
        }
        ends.push(time);
    }
    Ok((Schedule::from_points(points)?, ends))
}

#[cfg(test)]
// exact float comparisons in these tests check values that are exactly representable
// (breakpoints, jumps, small sums); inexact values are compared with approx.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn temperature_steps_hold_and_ramp_by_rate() {
        let s = temperature_steps(
            300.0,
            &[
                Step::Hold {
                    temperature: 300.0,
                    duration: 10.0,
                },
                Step::Ramp {
                    to: 400.0,
                    speed: RampSpeed::Rate(5.0),
                },
                Step::Ramp {
                    to: 350.0,
                    speed: RampSpeed::Duration(5.0),
                },
            ],
        )
        .expect("valid");
        assert_eq!(
            s.points(),
            &[(0.0, 300.0), (10.0, 300.0), (30.0, 400.0), (35.0, 350.0)]
        );
        assert_relative_eq!(s.value_at(20.0), 350.0, max_relative = 1e-15);
        assert_relative_eq!(s.value_at(32.5), 375.0, max_relative = 1e-15);
        assert_eq!(s.value_at(100.0), 350.0);
    }

    #[test]
    fn temperature_steps_hold_at_new_temperature_jumps() {
        let s = temperature_steps(
            300.0,
            &[
                Step::Hold {
                    temperature: 600.0,
                    duration: 5.0,
                },
                Step::Ramp {
                    to: 300.0,
                    speed: RampSpeed::Duration(0.0),
                },
            ],
        )
        .expect("valid");
        assert_eq!(
            s.points(),
            &[(0.0, 300.0), (0.0, 600.0), (5.0, 600.0), (5.0, 300.0)]
        );
        assert_eq!(s.value_at(0.0), 600.0);
        assert_eq!(s.value_at(5.0), 300.0);
    }

    #[test]
    fn temperature_steps_zero_duration_jumps_collapse() {
        let s = temperature_steps(
            300.0,
            &[
                Step::Hold {
                    temperature: 400.0,
                    duration: 0.0,
                },
                Step::Hold {
                    temperature: 500.0,
                    duration: 1.0,
                },
            ],
        )
        .expect("valid");
        assert_eq!(s.points(), &[(0.0, 300.0), (0.0, 500.0), (1.0, 500.0)]);
    }

    #[test]
    fn temperature_steps_rejects_bad_steps() {
        let bad: [(f64, Step); 5] = [
            (
                300.0,
                Step::Hold {
                    temperature: 0.0,
                    duration: 1.0,
                },
            ),
            (
                300.0,
                Step::Hold {
                    temperature: 300.0,
                    duration: -1.0,
                },
            ),
            (
                300.0,
                Step::Ramp {
                    to: 400.0,
                    speed: RampSpeed::Rate(0.0),
                },
            ),
            (
                300.0,
                Step::Ramp {
                    to: f64::NAN,
                    speed: RampSpeed::Rate(1.0),
                },
            ),
            (
                -5.0,
                Step::Hold {
                    temperature: 300.0,
                    duration: 1.0,
                },
            ),
        ];
        for (initial, step) in bad {
            assert!(temperature_steps(initial, &[step]).is_err(), "{step:?}");
        }
    }

    #[test]
    fn step_deserializes_from_tagged_toml() {
        #[derive(Deserialize)]
        struct Wrapper {
            steps: Vec<Step>,
        }
        let text = r#"
            [[steps]]
            type = "hold"
            temperature = 300.0
            duration = 10.0
            [[steps]]
            type = "ramp"
            to = 500.0
            speed = { rate = 2.0 }
        "#;
        let wrapper: Wrapper = toml::from_str(text).expect("deserialize");
        assert_eq!(
            wrapper.steps[1],
            Step::Ramp {
                to: 500.0,
                speed: RampSpeed::Rate(2.0)
            }
        );
    }
}
