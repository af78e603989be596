//! Electron-beam programs built from on/off windows.
//!
//! In situ TEM experiments switch the beam on and off (blanking, imaging series) at a given
//! flux. A [`BeamWindow`] is one interval `[start, end)` with a constant flux;
//! [`beam_windows`] turns a set of non-overlapping windows into a flux [`Schedule`] that is
//! zero outside them. Windows may touch (one ends where the next starts); the flux then
//! jumps directly from one value to the next.

use serde::{Deserialize, Serialize};

use super::schedule::{Schedule, push_point};
use crate::error::{Error, Result};

/// A time window `[start, end)` [s] with constant electron flux `flux` [e Å⁻² s⁻¹].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BeamWindow {
    /// Time the beam switches on [s], finite.
    pub start: f64,
    /// Time the beam switches off [s], > `start`.
    pub end: f64,
    /// Electron flux while on [e Å⁻² s⁻¹], finite and ≥ 0.
    pub flux: f64,
}

/// The flux schedule [e Å⁻² s⁻¹] of `windows` (in any order), zero outside them.
///
/// # Errors
/// [`Error::Build`] when a window has non-finite times, `end <= start`, a flux that is not
/// finite and ≥ 0, or when two windows overlap.
///
/// # Example
/// ```
/// use nanokmc::program::{beam_windows, BeamWindow};
/// let flux = beam_windows(&[BeamWindow { start: 10.0, end: 20.0, flux: 500.0 }])?;
/// assert_eq!(flux.value_at(5.0), 0.0);
/// assert_eq!(flux.value_at(10.0), 500.0);
/// assert_eq!(flux.value_at(20.0), 0.0);
/// # Ok::<(), nanokmc::Error>(())
/// ```
pub fn beam_windows(windows: &[BeamWindow]) -> Result<Schedule> {
    let context = "beam program";
    for (index, window) in windows.iter().enumerate() {
        if !(window.start.is_finite() && window.end.is_finite()) {
            return Err(Error::build(
                context,
                format!("window {index}: start and end must be finite"),
            ));
        }
        if window.end <= window.start {
            return Err(Error::build(
                context,
                format!(
                    "window {index}: end ({} s) must be after start ({} s)",
                    window.end, window.start
                ),
            ));
        }
        if !(window.flux.is_finite() && window.flux >= 0.0) {
            return Err(Error::build(
                context,
                format!(
                    "window {index}: flux must be finite and >= 0, got {}",
                    window.flux
                ),
            ));
        }
    }
    let mut sorted: Vec<(usize, BeamWindow)> = windows.iter().copied().enumerate().collect();
    sorted.sort_by(|a, b| a.1.start.total_cmp(&b.1.start));
    for pair in sorted.windows(2) {
        let ((first_index, first), (second_index, second)) = (pair[0], pair[1]);
        if second.start < first.end {
            return Err(Error::build(
                context,
                format!(
                    "windows {first_index} [{}, {}) s and {second_index} [{}, {}) s overlap",
                    first.start, first.end, second.start, second.end
                ),
            ));
        }
    }

    // off before the first window; each window is a jump up at start and down at end,
    // and push_point merges the down-then-up of touching windows into one jump.
    let Some(&(_, first)) = sorted.first() else {
        return Ok(Schedule::constant(0.0));
    };
    let mut points = vec![(first.start, 0.0)];
    for &(_, window) in &sorted {
        push_point(&mut points, window.start, 0.0);
        push_point(&mut points, window.start, window.flux);
        push_point(&mut points, window.end, window.flux);
        push_point(&mut points, window.end, 0.0);
    }
    Schedule::from_points(points)
}

#[cfg(test)]
// exact float comparisons in these tests check values that are exactly representable
// (breakpoints, jumps, small sums); inexact values are compared with approx.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    fn window(start: f64, end: f64, flux: f64) -> BeamWindow {
        BeamWindow { start, end, flux }
    }

    #[test]
    fn beam_windows_none_is_off() {
        let s = beam_windows(&[]).expect("valid");
        assert_eq!(s.value_at(123.0), 0.0);
    }

    #[test]
    fn beam_windows_are_on_inside_and_off_outside() {
        let s =
            beam_windows(&[window(30.0, 40.0, 200.0), window(10.0, 20.0, 500.0)]).expect("valid");
        for (t, flux) in [
            (0.0, 0.0),
            (10.0, 500.0),
            (19.9, 500.0),
            (20.0, 0.0),
            (25.0, 0.0),
            (30.0, 200.0),
            (40.0, 0.0),
            (1e6, 0.0),
        ] {
            assert_eq!(s.value_at(t), flux, "t = {t}");
        }
        assert_eq!(s.breakpoints(), vec![10.0, 20.0, 30.0, 40.0]);
        assert_eq!(s.left_limit(20.0), 500.0);
    }

    #[test]
    fn beam_windows_touching_windows_jump_directly() {
        let s = beam_windows(&[window(0.0, 1.0, 100.0), window(1.0, 2.0, 300.0)]).expect("valid");
        assert_eq!(s.value_at(1.0), 300.0);
        assert_eq!(s.left_limit(1.0), 100.0);
        assert_eq!(s.range_on(0.0, 2.0), (100.0, 300.0));
        let same =
            beam_windows(&[window(0.0, 1.0, 100.0), window(1.0, 2.0, 100.0)]).expect("valid");
        assert!(same.is_constant_on(0.0, 2.0));
    }

    #[test]
    fn beam_windows_rejects_invalid_windows() {
        let message = |windows: &[BeamWindow]| match beam_windows(windows) {
            Ok(_) => panic!("accepted {windows:?}"),
            Err(error) => error.to_string(),
        };
        assert!(message(&[window(0.0, 2.0, 1.0), window(1.0, 3.0, 1.0)]).contains("overlap"));
        assert!(message(&[window(1.0, 1.0, 1.0)]).contains("must be after start"));
        assert!(message(&[window(0.0, 1.0, -1.0)]).contains("flux must be"));
        assert!(message(&[window(0.0, f64::INFINITY, 1.0)]).contains("finite"));
    }
}
