//! Series for `nanokmc plot`: observables of a trajectory, or the columns of a CSV file.
//!
//! - **Trajectory** (`.h5`, `.h5md`): each chosen `/observables/<name>` becomes one series
//!   per component ([`ObservableSeries`]: `domain/species` for counts, one per rule for
//!   `events_by_rule`), against the frame time or the frame temperature
//!   (`/observables/temperature`).
//! - **CSV**: a header row whose first two fields are `time` [s] and `temperature` [K]
//!   (a unit in brackets, `time [s]`, is allowed and must then be `s` and `K`), then one
//!   column per quantity; one row per sample; empty fields and `nan` are gaps.

use std::path::Path;

use super::{Series, time_unit};
use crate::error::{Error, Location, Result};
use crate::output::trajectory::{ObservableSeries, TrajectoryReader};

/// What the x axis shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XAxis {
    /// Simulated time, in a readable unit (s, ms, µs, ns, ps).
    Time,
    /// Temperature [K].
    Temperature,
}

/// Series with their labels, ready for [`super::plot_series`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlotData {
    /// Suggested title.
    pub title: String,
    /// Label of the x axis with its unit.
    pub x_label: String,
    /// Label of the y axis with its unit.
    pub y_label: String,
    /// The curves.
    pub series: Vec<Series>,
}

/// The observables plotted when none is chosen.
pub const DEFAULT_OBSERVABLES: [&str; 1] = ["species_counts"];

/// Builds the x values and label from times [s] and temperatures [K].
fn x_values(axis: XAxis, times: &[f64], temperatures: &[f64]) -> (Vec<f64>, String) {
    match axis {
        XAxis::Time => {
            let max = times.iter().copied().fold(0.0, f64::max);
            let (factor, unit) = time_unit(max);
            (
                times.iter().map(|t| t * factor).collect(),
                format!("time [{unit}]"),
            )
        }
        XAxis::Temperature => (temperatures.to_vec(), "temperature [K]".to_string()),
    }
}

/// Series of the observables `names` of the trajectory at `path` (all of
/// [`DEFAULT_OBSERVABLES`] if `names` is empty).
///
/// # Errors
/// [`Error::Input`] (key `observable`) for a name the file does not have (the message lists
/// those it has), any error of [`TrajectoryReader`].
pub fn from_trajectory(path: &Path, names: &[String], axis: XAxis) -> Result<PlotData> {
    let reader = TrajectoryReader::open(path)?;
    let names: Vec<String> = if names.is_empty() {
        DEFAULT_OBSERVABLES
            .iter()
            .map(|s| (*s).to_string())
            .collect()
    } else {
        names.to_vec()
    };
    let observables = names
        .iter()
        .map(|n| reader.observable(n))
        .collect::<Result<Vec<ObservableSeries>>>()?;
    let (x, x_label) = x_values(axis, &reader.times()?, &reader.temperatures()?);
    let mut series = Vec::new();
    for observable in &observables {
        for (label, y) in &observable.columns {
            let label = if observables.len() > 1 && observable.columns.len() > 1 {
                format!("{}: {label}", observable.name)
            } else {
                label.clone()
            };
            series.push(Series::new(label, x.clone(), y.clone()));
        }
    }
    let y_label = match observables.as_slice() {
        [one] => match &one.unit {
            Some(unit) => format!("{} [{unit}]", one.name),
            None if one.name.ends_with("counts")
                || matches!(one.name.as_str(), "evaporated" | "deposited" | "transfers") =>
            {
                format!("{} [atoms]", one.name)
            }
            None => one.name.clone(),
        },
        _ => names.join(", "),
    };
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    Ok(PlotData {
        title: format!("{file}: {}", names.join(", ")),
        x_label,
        y_label,
        series,
    })
}

fn csv_error(path: &Path, line: u64, column: usize, key: &str, message: String) -> Error {
    Error::Input {
        location: Location {
            path: path.to_path_buf(),
            line: usize::try_from(line).unwrap_or(0),
            column,
        },
        key: key.to_string(),
        message,
    }
}

/// Checks a header field `name` or `name [unit]` against the expected name and unit.
fn header_matches(field: &str, name: &str, unit: &str) -> std::result::Result<(), String> {
    let field = field.trim();
    let (base, given) = match field.split_once('[') {
        Some((b, rest)) => (b.trim(), Some(rest.trim_end_matches(']').trim())),
        None => (field, None),
    };
    if !base.eq_ignore_ascii_case(name) {
        return Err(format!("expected `{name}` here, found `{field}`"));
    }
    match given {
        Some(u) if u != unit => Err(format!(
            "column `{name}` must be in {unit}, found unit `{u}`"
        )),
        _ => Ok(()),
    }
}

/// Reads and checks the header row: `time`, `temperature`, then at least one column.
fn read_csv_header(path: &Path, reader: &mut csv::Reader<&[u8]>) -> Result<Vec<String>> {
    let headers = reader
        .headers()
        .map_err(|e| csv_error(path, 1, 1, "header", format!("unreadable CSV header: {e}")))?;
    let header: Vec<String> = headers.iter().map(str::to_string).collect();
    if header.len() < 3 {
        return Err(csv_error(
            path,
            1,
            1,
            "header",
            "the header must name `time`, `temperature` and at least one column".into(),
        ));
    }
    header_matches(&header[0], "time", "s").map_err(|m| csv_error(path, 1, 1, "header", m))?;
    header_matches(&header[1], "temperature", "K")
        .map_err(|m| csv_error(path, 1, header[0].len() + 2, "header", m))?;
    Ok(header)
}

/// Series of the CSV file at `path`: the columns `names` (all columns after time and
/// temperature if `names` is empty).
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Input`] with line and column for a
/// bad header, a row of the wrong length or a field that is not a number, and (key
/// `observable`) for a column the file does not have.
pub fn from_csv(path: &Path, names: &[String], axis: XAxis) -> Result<PlotData> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = read_csv_header(path, &mut reader)?;
    let chosen: Vec<usize> = if names.is_empty() {
        (2..header.len()).collect()
    } else {
        names
            .iter()
            .map(|n| {
                header
                    .iter()
                    .skip(2)
                    .position(|h| h == n)
                    .map(|i| i + 2)
                    .ok_or_else(|| {
                        csv_error(
                            path,
                            1,
                            1,
                            "observable",
                            format!(
                                "no column `{n}` in the CSV file (it has: {})",
                                header[2..].join(", ")
                            ),
                        )
                    })
            })
            .collect::<Result<_>>()?
    };
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); header.len()];
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            csv_error(path, line, 1, "row", format!("unreadable CSV row: {e}"))
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let mut column = 1;
        for (i, field) in record.iter().enumerate() {
            let value = if field.is_empty() || field.eq_ignore_ascii_case("nan") {
                f64::NAN
            } else {
                field.parse::<f64>().map_err(|_| {
                    csv_error(
                        path,
                        line,
                        column,
                        &header[i],
                        format!("`{field}` is not a number"),
                    )
                })?
            };
            columns[i].push(value);
            column += field.len() + 1;
        }
    }
    if columns[0].is_empty() {
        return Err(csv_error(
            path,
            2,
            1,
            "row",
            "the CSV file has no data row".into(),
        ));
    }
    let (x, x_label) = x_values(axis, &columns[0], &columns[1]);
    let series = chosen
        .iter()
        .map(|&c| Series::new(header[c].clone(), x.clone(), columns[c].clone()))
        .collect();
    let y_label = if chosen.len() == 1 {
        header[chosen[0]].clone()
    } else {
        "value".to_string()
    };
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    Ok(PlotData {
        title: file,
        x_label,
        y_label,
        series,
    })
}
