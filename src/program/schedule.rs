//! [`Schedule`]: a piecewise-linear function of time with optional jumps.
//!
//! A schedule is a list of points `(t, v)` with non-decreasing times. Between two points
//! with different times the value is linear; two consecutive points at the same time are a
//! jump (the function is right-continuous there: the value *at* the jump time is the
//! second point's). Before the first point and after the last the value is constant.
//! Every point time is a *breakpoint*: the engine stops there and rebuilds its rates.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A piecewise-linear function of time v(t) with jumps [units of the value, time in s].
///
/// Invariants (checked by [`Schedule::from_points`] and on deserialization): at least one
/// point, all times and values finite, times non-decreasing, at most two points at any
/// time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<(f64, f64)>", into = "Vec<(f64, f64)>")]
pub struct Schedule {
    points: Vec<(f64, f64)>,
}

impl TryFrom<Vec<(f64, f64)>> for Schedule {
    type Error = Error;

    fn try_from(points: Vec<(f64, f64)>) -> Result<Self> {
        Schedule::from_points(points)
    }
}

impl From<Schedule> for Vec<(f64, f64)> {
    fn from(schedule: Schedule) -> Self {
        schedule.points
    }
}

fn schedule_error(message: String) -> Error {
    Error::build("schedule", message)
}

impl Schedule {
    /// The constant function `value` (one point at t = 0, so 0 is its only breakpoint).
    ///
    /// # Panics
    /// If `value` is not finite (an internal invariant; user input goes through
    /// [`Schedule::from_points`]).
    #[must_use]
    pub fn constant(value: f64) -> Self {
        assert!(
            value.is_finite(),
            "Schedule::constant: the value must be finite, got {value}"
        );
        Schedule {
            points: vec![(0.0, value)],
        }
    }

    /// A schedule through `points` `(time [s], value)`.
    ///
    /// # Errors
    /// [`Error::Build`] when there are no points, a time or value is not finite, the times
    /// decrease, or three or more points share a time.
    ///
    /// # Example
    /// ```
    /// use nanokmc::program::Schedule;
    /// // 300 K, ramp to 500 K over 10 s, hold, drop to 300 K at t = 20 s.
    /// let s = Schedule::from_points(vec![(0.0, 300.0), (10.0, 500.0), (20.0, 500.0), (20.0, 300.0)])?;
    /// assert_eq!(s.value_at(5.0), 400.0);
    /// assert_eq!(s.value_at(20.0), 300.0);
    /// # Ok::<(), nanokmc::Error>(())
    /// ```
    // exact comparison: equal times are the definition of a jump.
    #[allow(clippy::float_cmp)]
    pub fn from_points(points: Vec<(f64, f64)>) -> Result<Self> {
        if points.is_empty() {
            return Err(schedule_error("a schedule needs at least one point".into()));
        }
        for (index, &(time, value)) in points.iter().enumerate() {
            if !time.is_finite() || !value.is_finite() {
                return Err(schedule_error(format!(
                    "point {index} ({time}, {value}) is not finite"
                )));
            }
        }
        for (index, window) in points.windows(2).enumerate() {
            if window[1].0 < window[0].0 {
                return Err(schedule_error(format!(
                    "times must not decrease: point {} at t = {} s comes after t = {} s",
                    index + 1,
                    window[1].0,
                    window[0].0
                )));
            }
        }
        for window in points.windows(3) {
            if window[0].0 == window[2].0 {
                return Err(schedule_error(format!(
                    "more than two points at t = {} s (a jump needs exactly two)",
                    window[0].0
                )));
            }
        }
        Ok(Schedule { points })
    }

    /// The points `(time [s], value)`.
    #[must_use]
    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    /// The value at time `t` [s], right-continuous at jumps.
    #[must_use]
    pub fn value_at(&self, t: f64) -> f64 {
        // index of the first point strictly after t: the segment [i-1, i] contains t, and
        // at a jump time both jump points are before it, so the later value is used.
        let after = self.points.partition_point(|&(time, _)| time <= t);
        self.interpolate(after, t)
    }

    /// The limit of the value as time approaches `t` [s] from below (the value *before* a
    /// jump at `t`; equal to [`Schedule::value_at`] where there is no jump).
    #[must_use]
    pub fn left_limit(&self, t: f64) -> f64 {
        let after = self.points.partition_point(|&(time, _)| time < t);
        if after == 0 {
            return self.points[0].1;
        }
        // t lies in (t[after-1], t[after]], where the function is linear up to and
        // including t[after] approached from the left.
        self.interpolate(after, t)
    }

    /// Linear interpolation on the segment ending at point `after` (clamped to the ends).
    fn interpolate(&self, after: usize, t: f64) -> f64 {
        if after == 0 {
            return self.points[0].1;
        }
        if after == self.points.len() {
            return self.points[after - 1].1;
        }
        let (t0, v0) = self.points[after - 1];
        let (t1, v1) = self.points[after];
        if t1 <= t0 {
            return v1;
        }
        let fraction = ((t - t0) / (t1 - t0)).clamp(0.0, 1.0);
        // clamp so that rounding never leaves the segment's range: bounds_on relies on it.
        (v0 + (v1 - v0) * fraction).clamp(v0.min(v1), v0.max(v1))
    }

    /// The distinct breakpoint times [s], increasing.
    #[must_use]
    pub fn breakpoints(&self) -> Vec<f64> {
        let mut times: Vec<f64> = self.points.iter().map(|&(time, _)| time).collect();
        times.dedup();
        times
    }

    /// The smallest breakpoint time strictly greater than `t` [s], if any.
    #[must_use]
    pub fn next_breakpoint_after(&self, t: f64) -> Option<f64> {
        let after = self.points.partition_point(|&(time, _)| time <= t);
        self.points.get(after).map(|&(time, _)| time)
    }

    /// The last breakpoint time [s]; the value is constant after it.
    #[must_use]
    pub fn end_time(&self) -> f64 {
        self.points.last().map_or(0.0, |&(time, _)| time)
    }

    /// The `(min, max)` of the value over the half-open interval `[t0, t1)` [s], i.e. the
    /// values reached by the engine before it stops at a breakpoint `t1`. A jump at `t1`
    /// is therefore not included (its left limit is); for `t1 <= t0` the interval is the
    /// single time `t0`.
    ///
    /// On an interval without breakpoints in its interior the function is linear, so the
    /// extremes are at the two ends. Breakpoints inside the interval are handled too (both
    /// sides of every jump are included), so the result is exact for any interval.
    #[must_use]
    pub fn range_on(&self, t0: f64, t1: f64) -> (f64, f64) {
        let start = self.value_at(t0);
        let mut min = start;
        let mut max = start;
        if t1 <= t0 {
            return (min, max);
        }
        let mut include = |value: f64| {
            min = min.min(value);
            max = max.max(value);
        };
        include(self.left_limit(t1));
        for &(time, value) in &self.points {
            if time > t0 && time < t1 {
                include(value);
            }
        }
        (min, max)
    }

    /// True when the value is the same at every time of `[t0, t1)` [s] (see
    /// [`Schedule::range_on`]).
    #[must_use]
    #[allow(clippy::float_cmp)] // constant means bitwise the same value, not approximately.
    pub fn is_constant_on(&self, t0: f64, t1: f64) -> bool {
        let (min, max) = self.range_on(t0, t1);
        min == max
    }

    /// The smallest and largest point values: the range of the function over all times.
    #[must_use]
    pub fn value_range(&self) -> (f64, f64) {
        self.points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(min, max), &(_, v)| {
                (min.min(v), max.max(v))
            })
    }
}

/// Appends `(t, v)` to a point list being built, merging what would break the schedule
/// invariants: an exact repeat is dropped, and a third point at the same time replaces
/// the second (a jump followed by another jump at the same time is one jump).
// exact comparison: points at the same time are a jump; equal values merge.
#[allow(clippy::float_cmp)]
pub(crate) fn push_point(points: &mut Vec<(f64, f64)>, t: f64, v: f64) {
    if points.last() == Some(&(t, v)) {
        return;
    }
    let n = points.len();
    if n >= 2 && points[n - 1].0 == t && points[n - 2].0 == t {
        points[n - 1].1 = v;
        if points[n - 2].1 == v {
            points.pop();
        }
        return;
    }
    points.push((t, v));
}

#[cfg(test)]
// exact float comparisons in these tests check values that are exactly representable
// (breakpoints, jumps, small sums); inexact values are compared with approx.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn schedule(points: &[(f64, f64)]) -> Schedule {
        Schedule::from_points(points.to_vec()).expect("valid schedule")
    }

    fn ramp_with_jump() -> Schedule {
        // 300 K to 500 K over [10, 20] s, hold, jump down to 100 K at 30 s.
        schedule(&[(10.0, 300.0), (20.0, 500.0), (30.0, 500.0), (30.0, 100.0)])
    }

    #[test]
    fn value_at_interpolates_and_extends_constant() {
        let s = ramp_with_jump();
        assert_eq!(s.value_at(-5.0), 300.0);
        assert_eq!(s.value_at(10.0), 300.0);
        assert_relative_eq!(s.value_at(12.5), 350.0, max_relative = 1e-15);
        assert_eq!(s.value_at(20.0), 500.0);
        assert_eq!(s.value_at(25.0), 500.0);
        assert_eq!(s.value_at(1e9), 100.0);
    }

    #[test]
    fn value_at_jump_is_right_continuous() {
        let s = ramp_with_jump();
        assert_eq!(s.value_at(30.0), 100.0);
        assert_eq!(s.left_limit(30.0), 500.0);
        assert_eq!(s.value_at(29.999_999), 500.0);
        assert_eq!(s.left_limit(15.0), s.value_at(15.0));
    }

    #[test]
    fn constant_schedule_is_constant_everywhere() {
        let s = Schedule::constant(42.0);
        for t in [-1.0, 0.0, 1.0, 1e12] {
            assert_eq!(s.value_at(t), 42.0);
        }
        assert_eq!(s.breakpoints(), vec![0.0]);
        assert_eq!(s.next_breakpoint_after(0.0), None);
        assert!(s.is_constant_on(-10.0, 10.0));
    }

    #[test]
    fn next_breakpoint_after_is_strictly_greater() {
        let s = ramp_with_jump();
        assert_eq!(s.breakpoints(), vec![10.0, 20.0, 30.0]);
        assert_eq!(s.next_breakpoint_after(0.0), Some(10.0));
        assert_eq!(s.next_breakpoint_after(10.0), Some(20.0));
        assert_eq!(s.next_breakpoint_after(29.0), Some(30.0));
        assert_eq!(s.next_breakpoint_after(30.0), None);
        assert_eq!(s.end_time(), 30.0);
    }

    #[test]
    fn range_on_linear_segment_uses_ends() {
        let s = ramp_with_jump();
        let (min, max) = s.range_on(12.0, 18.0);
        assert_relative_eq!(min, 340.0, max_relative = 1e-14);
        assert_relative_eq!(max, 460.0, max_relative = 1e-14);
        assert!(!s.is_constant_on(12.0, 18.0));
        assert!(s.is_constant_on(20.0, 30.0));
        assert_eq!(s.range_on(15.0, 15.0), (400.0, 400.0));
    }

    #[test]
    fn range_on_excludes_jump_at_end_and_includes_inner_breakpoints() {
        let s = ramp_with_jump();
        // the jump to 100 K at the end of [20, 30) is not reached before the stop.
        assert_eq!(s.range_on(20.0, 30.0), (500.0, 500.0));
        // across everything: both sides of the jump.
        assert_eq!(s.range_on(0.0, 40.0), (100.0, 500.0));
        // a peak inside the interval.
        let peak = schedule(&[(0.0, 1.0), (1.0, 5.0), (2.0, 1.0)]);
        assert_eq!(peak.range_on(0.5, 1.5), (3.0, 5.0));
        assert!(!peak.is_constant_on(0.0, 2.0));
    }

    #[test]
    fn interpolation_never_leaves_segment_range() {
        let s = schedule(&[(0.0, 0.1), (0.3, 0.7)]);
        for i in 0..=1000 {
            let t = 0.3 * f64::from(i) / 1000.0;
            let v = s.value_at(t);
            assert!((0.1..=0.7).contains(&v), "{t}: {v}");
        }
    }

    #[test]
    fn from_points_rejects_invalid_points() {
        let message = |points: Vec<(f64, f64)>| match Schedule::from_points(points) {
            Ok(_) => panic!("accepted an invalid schedule"),
            Err(error) => error.to_string(),
        };
        assert!(message(vec![]).contains("at least one point"));
        assert!(message(vec![(0.0, f64::NAN)]).contains("not finite"));
        assert!(message(vec![(f64::INFINITY, 1.0)]).contains("not finite"));
        assert!(message(vec![(1.0, 1.0), (0.0, 1.0)]).contains("must not decrease"));
        assert!(message(vec![(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]).contains("more than two"));
    }

    #[test]
    fn serde_round_trip_validates() {
        #[derive(Serialize, Deserialize)]
        struct Wrapper {
            schedule: Schedule,
        }
        let s = ramp_with_jump();
        let text = toml::to_string(&Wrapper {
            schedule: s.clone(),
        })
        .expect("serialize");
        let back: Wrapper = toml::from_str(&text).expect("deserialize");
        assert_eq!(back.schedule, s);
        let bad = "schedule = [[1.0, 1.0], [0.0, 1.0]]";
        assert!(toml::from_str::<Wrapper>(bad).is_err());
    }

    #[test]
    fn push_point_merges_repeats_and_triple_jumps() {
        let mut points = Vec::new();
        push_point(&mut points, 0.0, 1.0);
        push_point(&mut points, 0.0, 1.0);
        assert_eq!(points, vec![(0.0, 1.0)]);
        push_point(&mut points, 1.0, 1.0);
        push_point(&mut points, 1.0, 2.0);
        push_point(&mut points, 1.0, 3.0);
        assert_eq!(points, vec![(0.0, 1.0), (1.0, 1.0), (1.0, 3.0)]);
        push_point(&mut points, 1.0, 1.0);
        assert_eq!(points, vec![(0.0, 1.0), (1.0, 1.0)]);
        assert!(Schedule::from_points(points).is_ok());
    }
}
