//! One axis of a sweep: the key paths it sets (in the scenario or in its potential) and the
//! values it takes, from a list or a range.
//!
//! A range `{ from = "650 K", to = "750 K", count = 5 }` (or `step = "25 K"`, and
//! `spacing = "log"` for geometric spacing with `count`) gives values written with the unit
//! of its ends, so the scenario reads them exactly as if the user had typed them. A range of
//! bare integers with an integer step gives integers (sizes, counts).

use std::ops::Range;

use super::file::RangeFile;
use crate::error::Result;
use crate::input::{QuantityText, Source, Spanned};

/// Where an axis writes its value.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A dotted key path into the scenario file.
    Scenario {
        /// The path, e.g. `program.steps[1].hold`.
        path: String,
        /// The sweep file's bytes of the key that named it.
        span: Range<usize>,
    },
    /// A dotted key path into the scenario's potential file.
    Potential {
        /// The path, e.g. `events[hop_B].migration_energy`.
        path: String,
        /// The sweep file's bytes of the key that named it.
        span: Range<usize>,
    },
}

impl Target {
    /// The path as written.
    #[must_use]
    pub fn path(&self) -> &str {
        match self {
            Target::Scenario { path, .. } | Target::Potential { path, .. } => path,
        }
    }

    /// Where it was written in the sweep file.
    #[must_use]
    pub fn span(&self) -> Range<usize> {
        match self {
            Target::Scenario { span, .. } | Target::Potential { span, .. } => span.clone(),
        }
    }
}

/// One value of an axis, with where it was written (a range's values point at the range).
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The TOML value written into the scenario or potential.
    pub value: toml::Value,
    /// The sweep file's bytes it came from.
    pub span: Range<usize>,
}

impl Value {
    /// The value as text: a string without quotes, anything else as TOML.
    #[must_use]
    pub fn text(&self) -> String {
        match &self.value {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// The number and unit of the value (`"650 K"` → 650 and `K`; `3` → 3 and no unit), if
    /// it is one.
    #[must_use]
    pub fn number(&self) -> Option<(f64, String)> {
        match &self.value {
            #[allow(clippy::cast_precision_loss)]
            toml::Value::Integer(i) => Some((*i as f64, String::new())),
            toml::Value::Float(x) => Some((*x, String::new())),
            toml::Value::String(s) => split_quantity(s),
            _ => None,
        }
    }
}

/// An axis: a name, what it sets and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The axis's name (plots, manifest, merged files).
    pub name: String,
    /// The key paths set to the axis's value.
    pub targets: Vec<Target>,
    /// The values, in order.
    pub values: Vec<Value>,
    /// The unit shared by every value (`""` for bare numbers), `None` when the values are
    /// not all numbers of one unit (they are then plotted against their index).
    pub unit: Option<String>,
}

impl Axis {
    /// An axis; its common unit is found from the values.
    #[must_use]
    pub fn new(name: String, targets: Vec<Target>, values: Vec<Value>) -> Self {
        let units: Option<Vec<String>> = values.iter().map(|v| v.number().map(|n| n.1)).collect();
        let unit = units.and_then(|u| {
            let first = u.first().cloned().unwrap_or_default();
            u.iter().all(|x| *x == first).then_some(first)
        });
        Self {
            name,
            targets,
            values,
            unit,
        }
    }

    /// The abscissa of value `k` in plots: its number in the common unit, else `k`.
    #[must_use]
    pub fn abscissa(&self, k: usize) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let index = k as f64;
        match self.unit {
            Some(_) => self.values[k].number().map_or(index, |n| n.0),
            None => index,
        }
    }

    /// The axis label of plots: `name [unit]`, or `name (index)`.
    #[must_use]
    pub fn label(&self) -> String {
        match self.unit.as_deref() {
            Some("") => self.name.clone(),
            Some(u) => format!("{} [{u}]", self.name),
            None => format!("{} (value index)", self.name),
        }
    }
}

/// Splits `"650 K"` into 650 and `K`, and `"1e-3"` into 0.001 and no unit.
fn split_quantity(text: &str) -> Option<(f64, String)> {
    let t = text.trim();
    let (number, unit) = match t.find(char::is_whitespace) {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t, ""),
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(|x| (x, unit.to_string()))
}

/// A range end or step as (number, unit, was an integer).
fn end_of(s: &Source, q: &Spanned<QuantityText>, key: &str) -> Result<(f64, String, bool)> {
    match q.get_ref() {
        QuantityText::Number(x) if x.is_finite() => Ok((*x, String::new(), x.fract() == 0.0)),
        QuantityText::Number(_) => Err(s.error(q.span(), key, "not a finite number")),
        QuantityText::Text(t) => split_quantity(t)
            .map(|(x, u)| (x, u, false))
            .ok_or_else(|| {
                s.error(
                    q.span(),
                    key,
                    format!("`{t}` is not a number followed by a unit, e.g. \"650 K\""),
                )
            }),
    }
}

/// Rounds to 12 significant digits, so that `0.1 · 3` prints as `0.3`.
fn tidy(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// The values of a `range` table.
///
/// # Errors
/// [`crate::Error::Input`] at the offending key of `key` (`….range.count` etc.).
// the checks of a range one after another: ends, spacing, count or step, then the values
#[allow(clippy::too_many_lines)]
pub(super) fn expand_range(s: &Source, r: &RangeFile, key: &str) -> Result<Vec<Value>> {
    let (from, unit, from_int) = end_of(s, &r.from, &format!("{key}.from"))?;
    let (to, to_unit, to_int) = end_of(s, &r.to, &format!("{key}.to"))?;
    if to_unit != unit {
        return Err(s.error(
            r.to.span(),
            format!("{key}.to"),
            format!(
                "`to` is in `{to_unit}` but `from` in `{unit}`: write both ends in the same unit"
            ),
        ));
    }
    let log = match r.spacing.as_ref().map(|v| (v.get_ref().as_str(), v.span())) {
        None | Some(("linear", _)) => false,
        Some(("log", _)) => true,
        Some((other, span)) => {
            return Err(s.error(
                span,
                format!("{key}.spacing"),
                format!("`{other}` is not a spacing (`linear` or `log`)"),
            ));
        }
    };
    let span = r.from.span().start..r.to.span().end;
    let numbers: Vec<f64> = match (&r.count, &r.step) {
        (Some(_), Some(st)) => {
            return Err(s.error(
                st.span(),
                format!("{key}.step"),
                "give either `count` or `step`, not both",
            ));
        }
        (None, None) => {
            return Err(s.error(
                r.from.span(),
                key.to_string(),
                "a range needs `count` (number of values) or `step`",
            ));
        }
        (Some(c), None) => {
            let n = usize::try_from(*c.get_ref())
                .ok()
                .filter(|&n| (1..=100_000).contains(&n))
                .ok_or_else(|| {
                    s.error(
                        c.span(),
                        format!("{key}.count"),
                        "the count must be an integer from 1 to 100000",
                    )
                })?;
            if n == 1 && (from - to).abs() > 0.0 {
                return Err(s.error(
                    c.span(),
                    format!("{key}.count"),
                    "a count of 1 needs `from` = `to`",
                ));
            }
            if log && (from <= 0.0 || to <= 0.0) {
                return Err(s.error(
                    r.from.span(),
                    format!("{key}.spacing"),
                    "log spacing needs `from` and `to` above zero",
                ));
            }
            #[allow(clippy::cast_precision_loss)]
            let last = (n.max(2) - 1) as f64;
            (0..n)
                .map(|k| {
                    #[allow(clippy::cast_precision_loss)]
                    let f = k as f64 / last;
                    if k + 1 == n {
                        to
                    } else if log {
                        from * (to / from).powf(f)
                    } else {
                        from + (to - from) * f
                    }
                })
                .collect()
        }
        (None, Some(st)) => {
            if log {
                return Err(s.error(
                    st.span(),
                    format!("{key}.step"),
                    "log spacing takes `count`, not `step`",
                ));
            }
            let (step, step_unit, _) = end_of(s, st, &format!("{key}.step"))?;
            if step_unit != unit {
                return Err(s.error(
                    st.span(),
                    format!("{key}.step"),
                    format!("the step is in `{step_unit}` but the ends in `{unit}`"),
                ));
            }
            if step.is_nan() || step <= 0.0 {
                return Err(s.error(
                    st.span(),
                    format!("{key}.step"),
                    "the step must be above zero (a range from a higher to a lower value counts down by it)",
                ));
            }
            let span_len = (to - from).abs();
            let direction = if to >= from { 1.0 } else { -1.0 };
            let n = (span_len / step * (1.0 + 1e-12)).floor();
            if n > 100_000.0 {
                return Err(s.error(
                    st.span(),
                    format!("{key}.step"),
                    "the step gives more than 100000 values",
                ));
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = n as usize;
            (0..=n)
                .map(|k| {
                    #[allow(clippy::cast_precision_loss)]
                    let x = from + direction * step * k as f64;
                    x
                })
                .collect()
        }
    };
    let step_int = r
        .step
        .as_ref()
        .is_none_or(|st| matches!(st.get_ref(), QuantityText::Number(x) if x.fract() == 0.0));
    let integers = unit.is_empty() && from_int && to_int && step_int && !log;
    let values = numbers
        .into_iter()
        .map(|x| {
            let x = tidy(x);
            #[allow(clippy::cast_possible_truncation)]
            let value = if integers && x.fract() == 0.0 {
                toml::Value::Integer(x as i64)
            } else if unit.is_empty() {
                toml::Value::Float(x)
            } else {
                toml::Value::String(format!("{x} {unit}"))
            };
            Value {
                value,
                span: span.clone(),
            }
        })
        .collect();
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> Result<Vec<String>> {
        let source = Source::from_text("r.toml", text);
        let r: RangeFile = source.parse()?;
        Ok(expand_range(&source, &r, "range")?
            .iter()
            .map(Value::text)
            .collect())
    }

    #[test]
    fn axis_ranges_by_count_step_and_log() {
        assert_eq!(
            range("from = \"0.1 eV\"\nto = \"0.3 eV\"\ncount = 3").unwrap(),
            ["0.1 eV", "0.2 eV", "0.3 eV"]
        );
        assert_eq!(
            range("from = 10\nto = 16\nstep = 3").unwrap(),
            ["10", "13", "16"]
        );
        assert_eq!(
            range("from = \"1e-3 /s\"\nto = \"1e-1 /s\"\ncount = 3\nspacing = \"log\"").unwrap(),
            ["0.001 /s", "0.01 /s", "0.1 /s"]
        );
        assert_eq!(
            range("from = \"700 K\"\nto = \"600 K\"\nstep = \"50 K\"").unwrap(),
            ["700 K", "650 K", "600 K"]
        );
        let e = range("from = 1\nto = 2\ncount = 0")
            .unwrap_err()
            .to_string();
        assert!(e.contains("key `range.count`"), "{e}");
        let e = range("from = 1\nto = 2\nstep = -1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("key `range.step`"), "{e}");
    }

    #[test]
    #[allow(clippy::float_cmp)]
    fn axis_units_and_abscissae() {
        let v = |t: &str| Value {
            value: toml::Value::String(t.into()),
            span: 0..0,
        };
        let a = Axis::new("T".into(), Vec::new(), vec![v("600 K"), v("650 K")]);
        assert_eq!(a.unit.as_deref(), Some("K"));
        assert_eq!(a.abscissa(1), 650.0);
        assert_eq!(a.label(), "T [K]");
        let b = Axis::new("T".into(), Vec::new(), vec![v("600 K"), v("400 °C")]);
        assert_eq!(b.unit, None);
        assert_eq!(b.abscissa(1), 1.0);
    }
}
