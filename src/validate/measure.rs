//! What a claim measures: an observable of the trajectory ([`ObservableRef`], read by
//! [`read_series`]) and a quantity derived from its series ([`Quantity`]), one number per
//! replica.
//!
//! Observables are the datasets `/observables/<name>/value` of a trajectory
//! (`docs/output.md`): scalar ones ([F], such as `temperature`, `energy` or an analysis
//! entry's `au:mean_size`), per rule ([F, R]: `events_by_rule`, selected by `rule`, else
//! summed) and per domain and species ([F, D, S]: `species_counts`, `evaporated`,
//! `deposited`, selected by `domain` and `species`, else summed over all domains and all
//! species except the vacancy), and between domains ([F, D, D, S]: `transfers`, the source
//! selected by `domain`, the destination by `into`). A dataset the trajectory does not have gives `None`, so
//! that the runner can skip the claim with a message instead of failing it.
//!
//! Extending: a new derived quantity is a [`Quantity`] variant, its name in the claim
//! reader (`claim.rs`) and its formula in [`Quantity::evaluate`], plus a line in
//! `docs/validation.md`.

use std::path::Path;

use hdf5::types::VarLenUnicode;

use crate::error::{Error, Location, Result};
use crate::output::h5md::TIME;
use crate::output::reader;

/// A dataset of the trajectory with its selectors.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservableRef {
    /// The name under `/observables`.
    pub name: String,
    /// [F, D, S] datasets: a domain, or a particle (all its domains); `None`: all domains.
    pub domain: Option<String>,
    /// [F, D, S] datasets: species summed; `None`: every species except `Vac`.
    pub species: Option<Vec<String>>,
    /// [F, R] datasets: the rule; `None`: all rules summed.
    pub rule: Option<String>,
    /// [F, D, D, S] datasets (`transfers`): the destination domain or particle; `None`: all
    /// domains. `domain` selects the source.
    pub into: Option<String>,
}

impl std::fmt::Display for ObservableRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name)?;
        let mut sel = Vec::new();
        if let Some(d) = &self.domain {
            sel.push(format!("domain {d}"));
        }
        if let Some(s) = &self.species {
            sel.push(format!("species {}", s.join("+")));
        }
        if let Some(r) = &self.rule {
            sel.push(format!("rule {r}"));
        }
        if let Some(d) = &self.into {
            sel.push(format!("into {d}"));
        }
        if !sel.is_empty() {
            write!(f, " [{}]", sel.join(", "))?;
        }
        Ok(())
    }
}

/// The moment a value is taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum At {
    /// The last frame.
    End,
    /// The end of the scenario's program (the last frame at or before it).
    EndOfProgram,
    /// The end of step k (counted from 1) of the scenario's `program.steps` (the last frame
    /// at or before it).
    EndOfStep(usize),
    /// The last frame at or before this time [s].
    Time(f64),
    /// The first frame at which the temperature has reached this value [K] (from below
    /// when it rises, from above when it falls).
    Temperature(f64),
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::End => write!(f, "at the last frame"),
            At::EndOfProgram => write!(f, "at the end of the program"),
            At::EndOfStep(k) => write!(f, "at the end of program step {k}"),
            At::Time(t) => write!(f, "at t = {t:e} s"),
            At::Temperature(t) => write!(f, "when T reaches {t} K"),
        }
    }
}

/// The moments of the scenario's program a measure can be taken at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProgramTimes {
    /// End of the program [s].
    pub end: f64,
    /// End of each of its `steps` [s], in order (empty for a temperature table).
    pub step_ends: Vec<f64>,
}

impl ProgramTimes {
    /// The program ending at `end` [s] with steps ending at `step_ends` [s].
    #[must_use]
    pub fn new(end: f64, step_ends: Vec<f64>) -> Self {
        Self { end, step_ends }
    }
}

/// The number derived from a series.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantity {
    /// y at a moment.
    Value(At),
    /// y(at) − y(frame 0).
    Change(At),
    /// y(at) / z(at) for the denominator observable z.
    Ratio(At, ObservableRef),
    /// Least-squares slope dy/dt over the frames with `from ≤ t ≤ to` [unit of y / s].
    Slope(f64, f64),
    /// Mean of y over the frames with `from ≤ t ≤ to`.
    TimeAverage(f64, f64),
    /// Least-squares slope of ln y against ln t over the frames with `from ≤ t ≤ to`,
    /// t > 0 and y > 0: the exponent α of y ∝ t^α.
    Exponent(f64, f64),
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let window = |from: f64, to: f64| {
            if to.is_finite() {
                format!("over {from:e} s ≤ t ≤ {to:e} s")
            } else {
                format!("over t ≥ {from:e} s")
            }
        };
        match self {
            Quantity::Value(at) => write!(f, "value {at}"),
            Quantity::Change(at) => write!(f, "change from frame 0 {at}"),
            Quantity::Ratio(at, d) => write!(f, "ratio to {d} {at}"),
            Quantity::Slope(a, b) => write!(f, "slope d/dt {}", window(*a, *b)),
            Quantity::TimeAverage(a, b) => write!(f, "average {}", window(*a, *b)),
            Quantity::Exponent(a, b) => {
                write!(f, "exponent of a power law in t {}", window(*a, *b))
            }
        }
    }
}

/// A measure: an observable, a quantity derived from it, a scale factor and an offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// The observable.
    pub observable: ObservableRef,
    /// The derived quantity.
    pub quantity: Quantity,
    /// Factor applied to the series and the result (e.g. 1 / number of surface sites).
    pub scale: f64,
    /// Constant subtracted from the scaled series before the quantity is derived, in the
    /// scaled observable's unit (e.g. an equilibrium value, so that `exponent` fits the
    /// excess over it); 0 by default.
    pub offset: f64,
    /// Its table in the claim (`measure` or `against`), for errors.
    pub key: String,
    /// Where the claim wrote its observable, for errors found in a trajectory.
    pub location: Location,
}

/// One observable of one trajectory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Frame times [s].
    pub time: Vec<f64>,
    /// Values (selected and summed), one per frame.
    pub value: Vec<f64>,
}

/// Why a quantity could not be measured from a trajectory (the claim fails with it).
pub type Unmeasurable = String;

impl Series {
    fn index_at(
        &self,
        at: At,
        temperature: Option<&Series>,
        program: &ProgramTimes,
    ) -> std::result::Result<usize, Unmeasurable> {
        let n = self.time.len();
        if n == 0 {
            return Err("the trajectory has no frame".into());
        }
        let by_time = |t: f64| -> std::result::Result<usize, Unmeasurable> {
            let last = self.time[n - 1];
            // a frame within a relative 1e-9 of `t` counts as at `t`.
            let limit = t + 1e-9 * t.abs().max(f64::MIN_POSITIVE);
            if last < t - 1e-9 * t.abs() {
                return Err(format!(
                    "the trajectory ends at t = {last:e} s, before t = {t:e} s"
                ));
            }
            Ok(self.time.iter().rposition(|&x| x <= limit).unwrap_or(0))
        };
        match at {
            At::End => Ok(n - 1),
            At::EndOfProgram => by_time(program.end),
            At::EndOfStep(k) => match k.checked_sub(1).and_then(|i| program.step_ends.get(i)) {
                Some(&t) => by_time(t),
                None => Err(format!(
                    "the program has {} step(s), no step {k}",
                    program.step_ends.len()
                )),
            },
            At::Time(t) => by_time(t),
            At::Temperature(target) => {
                let temp = temperature.ok_or("no temperature observable")?;
                let t0 = temp.value.first().copied().unwrap_or(target);
                let rising = target >= t0;
                temp.value
                    .iter()
                    .position(|&x| if rising { x >= target } else { x <= target })
                    .filter(|&i| i < n)
                    .ok_or_else(|| format!("the temperature never reaches {target} K"))
            }
        }
    }

    fn window(&self, from: f64, to: f64) -> Vec<(f64, f64)> {
        self.time
            .iter()
            .zip(&self.value)
            .filter(|(t, _)| **t >= from && **t <= to)
            .map(|(t, y)| (*t, *y))
            .collect()
    }
}

/// Least-squares slope of y against x; `None` with fewer than 2 distinct x.
#[must_use]
pub fn least_squares_slope(points: &[(f64, f64)]) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The series a measure reads from one trajectory, and what it needs besides.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The observable (already scaled).
    pub series: Series,
    /// The denominator of a ratio (unscaled).
    pub denominator: Option<Series>,
    /// The temperature, for `at_temperature`.
    pub temperature: Option<Series>,
}

impl Quantity {
    /// The moment a `value`, `change` or `ratio` is taken at (`None` for window quantities).
    #[must_use]
    pub fn at(&self) -> Option<At> {
        match self {
            Quantity::Value(a) | Quantity::Change(a) | Quantity::Ratio(a, _) => Some(*a),
            Quantity::Slope(..) | Quantity::TimeAverage(..) | Quantity::Exponent(..) => None,
        }
    }

    /// The quantity of one replica; `Err` says why it cannot be measured.
    ///
    /// # Errors
    /// Too few frames in a window, a moment outside the trajectory, a non-positive value
    /// in a power-law fit, a zero denominator.
    pub fn evaluate(
        &self,
        inputs: &Inputs,
        program: &ProgramTimes,
    ) -> std::result::Result<f64, Unmeasurable> {
        let s = &inputs.series;
        let at = |a: At| s.index_at(a, inputs.temperature.as_ref(), program);
        let window = |from: f64, to: f64, need: usize| {
            let w = s.window(from, to);
            if w.len() < need {
                Err(format!(
                    "{} frame(s) in the window, at least {need} needed (frames at {} … {} s)",
                    w.len(),
                    s.time.first().copied().unwrap_or(0.0),
                    s.time.last().copied().unwrap_or(0.0)
                ))
            } else {
                Ok(w)
            }
        };
        match self {
            Quantity::Value(a) => Ok(s.value[at(*a)?]),
            Quantity::Change(a) => Ok(s.value[at(*a)?] - s.value[0]),
            Quantity::Ratio(a, _) => {
                let i = at(*a)?;
                let d = inputs
                    .denominator
                    .as_ref()
                    .and_then(|d| d.value.get(i).copied())
                    .ok_or("the denominator has fewer frames")?;
                if d == 0.0 {
                    return Err(format!("the denominator is 0 at frame {i}"));
                }
                Ok(s.value[i] / d)
            }
            Quantity::Slope(from, to) => least_squares_slope(&window(*from, *to, 2)?)
                .ok_or_else(|| "all frames of the window are at one time".into()),
            Quantity::TimeAverage(from, to) => {
                let w = window(*from, *to, 1)?;
                #[allow(clippy::cast_precision_loss)]
                Ok(w.iter().map(|p| p.1).sum::<f64>() / w.len() as f64)
            }
            Quantity::Exponent(from, to) => {
                let w = window(*from, *to, 3)?;
                if let Some((t, y)) = w.iter().find(|(t, y)| *t <= 0.0 || *y <= 0.0) {
                    return Err(format!(
                        "a power law needs t > 0 and y > 0; the window has y = {y} at t = {t:e} s"
                    ));
                }
                let logs: Vec<(f64, f64)> = w.iter().map(|(t, y)| (t.ln(), y.ln())).collect();
                least_squares_slope(&logs).ok_or_else(|| "all frames at one time".into())
            }
        }
    }
}

/// The frame-0 value of a series (for `unchanged_within` relative to frame 0).
#[must_use]
pub fn initial(s: &Series) -> f64 {
    s.value.first().copied().unwrap_or(0.0)
}

/// Reads `observable` from the trajectory `path`: `Ok(None)` when the trajectory has no
/// such dataset (the claim is then skipped).
///
/// # Errors
/// [`Error::Input`] at `location` for a selector that names no domain, species or rule of
/// the trajectory, or a selector that the dataset's shape does not take; [`Error::Output`]
/// when the file cannot be read.
// one arm per dataset shape ([F], [F, R], [F, D, S]) with its selectors
#[allow(clippy::too_many_lines)]
pub fn read_series(
    path: &Path,
    observable: &ObservableRef,
    location: &Location,
    key: &str,
) -> Result<Option<Series>> {
    let opened = reader::open(path, false)?;
    let file = &opened.file;
    let read_err = |e: hdf5::Error| Error::Output {
        path: path.to_path_buf(),
        message: format!("reading /observables/{}: {e}", observable.name),
    };
    let group = format!("observables/{}", observable.name);
    if !file.link_exists(&group) || !file.link_exists(&format!("{group}/value")) {
        return Ok(None);
    }
    let input = |k: &str, message: String| Error::Input {
        location: location.clone(),
        key: format!("{key}.{k}"),
        message,
    };
    let ds = file.dataset(&format!("{group}/value")).map_err(read_err)?;
    let shape = ds.shape();
    let frames = reader::frame_count(path, file)?;
    #[allow(clippy::cast_possible_truncation)]
    let frames = frames as usize;
    let raw: Vec<f64> = match ds.read_raw::<f64>() {
        Ok(v) => v,
        Err(_) => match ds.read_raw::<u64>() {
            #[allow(clippy::cast_precision_loss)]
            Ok(v) => v.into_iter().map(|x| x as f64).collect(),
            Err(_) => ds
                .read_raw::<i64>()
                .map_err(read_err)?
                .into_iter()
                .map(|x| {
                    #[allow(clippy::cast_precision_loss)]
                    let y = x as f64;
                    y
                })
                .collect(),
        },
    };
    let names = |attr: &str| -> Result<Vec<String>> {
        let v: Vec<VarLenUnicode> = ds.attr(attr).and_then(|a| a.read_raw()).map_err(read_err)?;
        Ok(v.iter().map(|s| s.as_str().to_string()).collect())
    };
    let unknown = |what: &str, name: &str, known: &[String]| -> Error {
        let refs: Vec<&str> = known.iter().map(String::as_str).collect();
        let hint = crate::input::closest(name, &refs)
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        input(
            what,
            format!(
                "the trajectory {} has no {what} `{name}` in `{}` (it has: {}){hint}",
                path.display(),
                observable.name,
                known.join(", ")
            ),
        )
    };
    let forbid = |present: bool, what: &str| -> Result<()> {
        if present {
            return Err(input(
                what,
                format!(
                    "`{}` has shape {shape:?}, which has no {what} axis",
                    observable.name
                ),
            ));
        }
        Ok(())
    };
    let frames = frames.min(shape.first().copied().unwrap_or(0));
    let value: Vec<f64> = match shape.len() {
        1 => {
            forbid(observable.domain.is_some(), "domain")?;
            forbid(observable.species.is_some(), "species")?;
            forbid(observable.rule.is_some(), "rule")?;
            raw[..frames].to_vec()
        }
        2 => {
            forbid(observable.domain.is_some(), "domain")?;
            forbid(observable.species.is_some(), "species")?;
            let r = shape[1];
            let columns: Vec<usize> = match &observable.rule {
                None => (0..r).collect(),
                Some(rule) => {
                    let rules = names("rules")?;
                    vec![
                        rules
                            .iter()
                            .position(|x| x == rule)
                            .ok_or_else(|| unknown("rule", rule, &rules))?,
                    ]
                }
            };
            (0..frames)
                .map(|f| columns.iter().map(|&c| raw[f * r + c]).sum())
                .collect()
        }
        3 | 4 => {
            forbid(observable.rule.is_some(), "rule")?;
            forbid(shape.len() == 3 && observable.into.is_some(), "into")?;
            let d = shape[1];
            let s = shape[shape.len() - 1];
            let domain_names = names("domains")?;
            let species_names = names("species")?;
            let select = |what: &str, chosen: &Option<String>| -> Result<Vec<usize>> {
                match chosen {
                    None => Ok((0..d).collect()),
                    Some(name) => {
                        let prefix = format!("{name}/");
                        let v: Vec<usize> = domain_names
                            .iter()
                            .enumerate()
                            .filter(|(_, x)| *x == name || x.starts_with(&prefix))
                            .map(|(i, _)| i)
                            .collect();
                        if v.is_empty() {
                            return Err(unknown(what, name, &domain_names));
                        }
                        Ok(v)
                    }
                }
            };
            let domains = select("domain", &observable.domain)?;
            // [F, D, S] read as [F, D, 1, S] with the one destination 0.
            let (into, d_into) = if shape.len() == 4 {
                (select("into", &observable.into)?, d)
            } else {
                (vec![0], 1)
            };
            let species: Vec<usize> = match &observable.species {
                None => (0..s)
                    .filter(|&i| species_names.get(i).is_none_or(|x| x != "Vac"))
                    .collect(),
                Some(list) => list
                    .iter()
                    .map(|name| {
                        species_names
                            .iter()
                            .position(|x| x == name)
                            .ok_or_else(|| unknown("species", name, &species_names))
                    })
                    .collect::<Result<_>>()?,
            };
            let mut cells = Vec::new();
            for &di in &domains {
                for &dj in &into {
                    for &si in &species {
                        cells.push((di * d_into + dj) * s + si);
                    }
                }
            }
            let per_frame = d * d_into * s;
            (0..frames)
                .map(|f| cells.iter().map(|&c| raw[f * per_frame + c]).sum())
                .collect()
        }
        _ => {
            return Err(Error::Output {
                path: path.to_path_buf(),
                message: format!(
                    "/observables/{} has shape {shape:?}; expected [F], [F, R], [F, D, S] or [F, D, D, S]",
                    observable.name
                ),
            });
        }
    };
    let time: Vec<f64> = file
        .dataset(TIME)
        .and_then(|t| t.read_raw::<f64>())
        .map_err(read_err)?;
    let time = time[..frames.min(time.len())].to_vec();
    let value = value[..time.len()].to_vec();
    Ok(Some(Series { time, value }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(f64, f64)]) -> Inputs {
        Inputs {
            series: Series {
                time: points.iter().map(|p| p.0).collect(),
                value: points.iter().map(|p| p.1).collect(),
            },
            ..Inputs::default()
        }
    }

    #[test]
    fn measure_quantities_of_known_series() {
        // y = 3 + 2 t at t = 0..5.
        let lin: Vec<(f64, f64)> = (0..6)
            .map(|i| (f64::from(i), 3.0 + 2.0 * f64::from(i)))
            .collect();
        let i = series(&lin);
        let times = ProgramTimes::new(4.0, vec![1.0, 3.0]);
        let eval = |q: Quantity| q.evaluate(&i, &times).unwrap();
        assert!((eval(Quantity::Slope(1.0, 4.0)) - 2.0).abs() < 1e-12);
        assert!((eval(Quantity::Value(At::End)) - 13.0).abs() < 1e-12);
        assert!((eval(Quantity::Value(At::Time(2.5))) - 7.0).abs() < 1e-12);
        assert!((eval(Quantity::Value(At::EndOfProgram)) - 11.0).abs() < 1e-12);
        assert!((eval(Quantity::Value(At::EndOfStep(1))) - 5.0).abs() < 1e-12);
        assert!((eval(Quantity::Value(At::EndOfStep(2))) - 9.0).abs() < 1e-12);
        let e = Quantity::Value(At::EndOfStep(3))
            .evaluate(&i, &times)
            .unwrap_err();
        assert!(e.contains("2 step(s), no step 3"), "{e}");
        assert!((eval(Quantity::Change(At::Time(3.0))) - 6.0).abs() < 1e-12);
        assert!((eval(Quantity::TimeAverage(1.0, 3.0)) - 7.0).abs() < 1e-12);
        // y = 5 t^0.5.
        let pow: Vec<(f64, f64)> = (1..8)
            .map(|i| (f64::from(i), 5.0 * f64::from(i).sqrt()))
            .collect();
        let p = series(&pow);
        let e = Quantity::Exponent(0.0, f64::INFINITY)
            .evaluate(&p, &ProgramTimes::default())
            .unwrap();
        assert!((e - 0.5).abs() < 1e-12);
    }

    #[test]
    fn measure_reports_what_cannot_be_measured() {
        let i = series(&[(0.0, 1.0), (1.0, 2.0)]);
        let e = Quantity::Value(At::Time(5.0))
            .evaluate(&i, &ProgramTimes::default())
            .unwrap_err();
        assert!(e.contains("ends at"), "{e}");
        let e = Quantity::Slope(0.5, 0.9)
            .evaluate(&i, &ProgramTimes::default())
            .unwrap_err();
        assert!(e.contains("0 frame(s) in the window"), "{e}");
        let z = series(&[(0.0, 0.0), (1.0, 2.0), (2.0, 3.0)]);
        let e = Quantity::Exponent(0.0, 5.0)
            .evaluate(&z, &ProgramTimes::default())
            .unwrap_err();
        assert!(e.contains("t > 0 and y > 0"), "{e}");
    }

    #[test]
    fn measure_at_temperature_takes_the_first_frame_reaching_it() {
        let mut i = series(&[(0.0, 10.0), (1.0, 20.0), (2.0, 30.0), (3.0, 40.0)]);
        i.temperature = Some(Series {
            time: vec![0.0, 1.0, 2.0, 3.0],
            value: vec![300.0, 400.0, 500.0, 600.0],
        });
        let v = Quantity::Value(At::Temperature(450.0))
            .evaluate(&i, &ProgramTimes::default())
            .unwrap();
        assert!((v - 30.0).abs() < 1e-12);
    }
}
