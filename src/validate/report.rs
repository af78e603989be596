//! The validation report: a Markdown file with a table of claims (predictions and fitted
//! claims apart), values and verdicts, a section per claim with its source, and one CSV
//! per claim variant with the measured series (per replica, mean and standard error per
//! frame), in `<report stem>_data/` next to the report.
//!
//! Each claim variant with a series also gets a plot, `<claim>[.<variant>].png` beside its
//! CSV (the mean over replicas against time, with the standard error as error bars, drawn
//! with [`crate::plot::plot_series`]); its section shows the plot and links the CSV.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::stats::summarize;
use super::{Outcome, Status, Validation};
use crate::error::{Error, Result};

/// The CSV file name of an outcome: `<claim>.csv` or `<claim>.<variant>.csv`.
#[must_use]
pub fn csv_name(o: &Outcome) -> String {
    if o.variant.is_empty() {
        format!("{}.csv", o.claim)
    } else {
        format!("{}.{}.csv", o.claim, o.variant)
    }
}

/// The plot file name of an outcome: the CSV name with `.png`.
#[must_use]
pub fn plot_name(o: &Outcome) -> String {
    let csv = csv_name(o);
    format!("{}.png", csv.trim_end_matches(".csv"))
}

/// Draws the mean over replicas of an outcome's series against time, with the standard
/// error of the mean as error bars, into `path` (PNG).
///
/// # Errors
/// As [`crate::plot::plot_series`].
pub fn plot(o: &Outcome, path: &Path) -> Result<()> {
    let rows = o.series.iter().map(|s| s.time.len()).max().unwrap_or(0);
    let (mut x, mut y, mut err) = (Vec::new(), Vec::new(), Vec::new());
    for f in 0..rows {
        let Some(t) = o.series.iter().find_map(|s| s.time.get(f)).copied() else {
            continue;
        };
        let here: Vec<f64> = o
            .series
            .iter()
            .filter_map(|s| s.value.get(f))
            .copied()
            .collect();
        if let Some(m) = summarize(&here) {
            x.push(t);
            y.push(m.mean);
            err.push(if m.sem.is_finite() { m.sem } else { 0.0 });
        }
    }
    let series = crate::plot::Series {
        label: format!("mean of {} replica(s) ± SEM", o.series.len()),
        x,
        y,
        y_err: Some(err),
    };
    let title = if o.variant.is_empty() {
        o.claim.clone()
    } else {
        format!("{} [{}]", o.claim, o.variant)
    };
    let y_label = if o.unit.is_empty() {
        o.measured.clone()
    } else {
        format!("{} [{}]", o.measured, o.unit)
    };
    crate::plot::plot_series(
        path,
        &title,
        "time [s]",
        &y_label,
        &[series],
        &crate::plot::Guides::default(),
    )
}

/// The data folder of a report: `report.md` → `report_data`.
#[must_use]
pub fn data_dir(report: &Path) -> PathBuf {
    let stem = report
        .file_stem()
        .map_or_else(|| "report".into(), |s| s.to_string_lossy().into_owned());
    report.with_file_name(format!("{stem}_data"))
}

/// The CSV text of an outcome's series: `time_s`, one column per replica, `mean`, `sem`.
/// Rows are frames by index; a replica with fewer frames leaves its cells empty, and the
/// time is that of the first replica that has the frame.
#[must_use]
pub fn csv(o: &Outcome) -> String {
    let mut out = String::from("time_s");
    for k in 0..o.series.len() {
        let _ = write!(out, ",replica_{k}");
    }
    out.push_str(",mean,sem\n");
    let rows = o.series.iter().map(|s| s.time.len()).max().unwrap_or(0);
    for f in 0..rows {
        let t = o.series.iter().find_map(|s| s.time.get(f)).copied();
        let _ = write!(out, "{}", t.map_or(String::new(), |t| format!("{t:e}")));
        let mut here = Vec::new();
        for s in &o.series {
            match s.value.get(f) {
                Some(v) => {
                    here.push(*v);
                    let _ = write!(out, ",{v:e}");
                }
                None => out.push(','),
            }
        }
        match summarize(&here) {
            Some(m) => {
                let _ = writeln!(out, ",{:e},{:e}", m.mean, m.sem);
            }
            None => out.push_str(",,\n"),
        }
    }
    out
}

fn status_text(s: &Status) -> &'static str {
    match s {
        Status::Pass => "**pass**",
        Status::Fail => "**FAIL**",
        Status::Skipped => "skipped",
    }
}

fn value_text(o: &Outcome) -> String {
    match &o.summary {
        Some(s) if s.n > 1 => format!("{:.5e} ± {:.2e} (n = {})", s.mean, s.sem, s.n),
        Some(s) => format!("{:.5e} (n = 1, no error bar)", s.mean),
        None => "—".into(),
    }
}

/// Relative link from the report's folder to `path` (absolute when not below it).
fn link(report_dir: &Path, path: &Path) -> String {
    let shown = path
        .strip_prefix(report_dir)
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string());
    shown.replace(' ', "%20")
}

/// The Markdown text of the report (`report` is where it will be written, for links).
#[must_use]
// the report top to bottom: summary, the two tables, one section per claim
#[allow(clippy::too_many_lines)]
pub fn markdown(v: &Validation, report: &Path) -> String {
    let report_dir = report.parent().unwrap_or(Path::new("."));
    let data = data_dir(report);
    let mut md = String::from("# nanokmc validation report\n\n");
    let _ = writeln!(
        md,
        "Generated by `nanokmc validate`{} ({}). {} claim variant(s): {} pass, {} fail, {} skipped.\n",
        if v.quick { " --quick" } else { "" },
        crate::run::program_version(),
        v.outcomes.len(),
        v.count(&Status::Pass),
        v.count(&Status::Fail),
        v.count(&Status::Skipped),
    );
    md.push_str(
        "A claim passes when the mean over replicas meets its condition within the stated \
         tolerance plus `sigmas` standard errors of the mean (docs/validation.md). \
         *Predictions* are claims the model was not fitted to; *fitted* claims only show \
         that a fit holds and are listed apart.\n\n",
    );
    for (title, fitted) in [("Predictions", false), ("Fitted claims", true)] {
        let rows: Vec<&Outcome> = v.outcomes.iter().filter(|o| o.fitted == fitted).collect();
        let _ = writeln!(md, "## {title}\n");
        if rows.is_empty() {
            md.push_str("None.\n\n");
            continue;
        }
        md.push_str("| claim | variant | measured | unit | expected | verdict | data |\n");
        md.push_str("|---|---|---|---|---|---|---|\n");
        for o in rows {
            let data_link = if o.series.is_empty() {
                "—".to_string()
            } else {
                format!(
                    "[plot]({}), [csv]({})",
                    link(report_dir, &data.join(plot_name(o))),
                    link(report_dir, &data.join(csv_name(o)))
                )
            };
            let _ = writeln!(
                md,
                "| [{}](#{}) | {} | {} | {} | {} | {} | {} |",
                o.claim,
                o.claim.to_lowercase(),
                if o.variant.is_empty() {
                    "—"
                } else {
                    &o.variant
                },
                value_text(o),
                o.unit,
                o.expected,
                status_text(&o.status),
                data_link
            );
        }
        md.push('\n');
    }
    md.push_str("## Claims\n");
    let mut last = String::new();
    for o in &v.outcomes {
        if o.claim != last {
            let _ = writeln!(md, "\n### {}\n", o.claim);
            if !o.title.is_empty() {
                let _ = writeln!(md, "{}\n", o.title);
            }
            let _ = writeln!(
                md,
                "- claim file: `{}`; scenario: `{}`\n- {}\n- measured: {}\n- reported value: {}\n- source: {}",
                o.file.display(),
                o.scenario.display(),
                if o.fitted {
                    "**fitted** (the model's parameters were fitted to this)"
                } else {
                    "prediction (not fitted to this)"
                },
                o.measured,
                o.reported,
                o.reference.replace('\n', " ")
            );
            last.clone_from(&o.claim);
        }
        let name = if o.variant.is_empty() {
            String::new()
        } else {
            format!(" [{}]", o.variant)
        };
        let _ = writeln!(
            md,
            "- **{}**{name}: {} — {} (wall {:.1} s)",
            match o.status {
                Status::Pass => "pass",
                Status::Fail => "FAIL",
                Status::Skipped => "skipped",
            },
            value_text(o),
            o.detail,
            o.wall_seconds
        );
        if !o.values.is_empty() {
            let vals: Vec<String> = o.values.iter().map(|x| format!("{x:.4e}")).collect();
            let _ = writeln!(md, "  - per replica: {}", vals.join(", "));
        }
        if !o.overrides.is_empty() {
            let _ = writeln!(md, "  - overrides: `{}`", o.overrides.join("`, `"));
        }
        if !o.series.is_empty() {
            let _ = writeln!(
                md,
                "  - series: [{}]({}) (`time_s`, the replica columns, `mean` and `sem`)\n\n    ![{}]({})\n",
                csv_name(o),
                link(report_dir, &data.join(csv_name(o))),
                plot_name(o),
                link(report_dir, &data.join(plot_name(o)))
            );
        }
        if let Some(first) = o.trajectories.first() {
            let _ = writeln!(
                md,
                "  - trajectories: `{}` … ({} files)",
                first.display(),
                o.trajectories.len()
            );
        }
    }
    md
}

/// Writes the report to `report` and the CSV files to its data folder (created or
/// emptied of stale CSV files first).
///
/// # Errors
/// [`Error::Io`] when a file or folder cannot be written.
pub fn write(v: &Validation, report: &Path) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let data = data_dir(report);
    if let Some(parent) = report.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::create_dir_all(&data).map_err(io(&data))?;
    if let Ok(entries) = std::fs::read_dir(&data) {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "csv" || x == "png") {
                std::fs::remove_file(&p).map_err(io(&p))?;
            }
        }
    }
    for o in v.outcomes.iter().filter(|o| !o.series.is_empty()) {
        let p = data.join(csv_name(o));
        std::fs::write(&p, csv(o)).map_err(io(&p))?;
        plot(o, &data.join(plot_name(o)))?;
    }
    std::fs::write(report, markdown(v, report)).map_err(io(report))
}
