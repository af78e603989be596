//! Line plots of series against time or temperature, as PNG or SVG (plotters).
//!
//! [`plot_series`] is the one entry point: a title, axis labels, any number of [`Series`]
//! (points joined by lines, optional vertical error bars) and optional [`Guides`]
//! (horizontal bands and threshold lines, e.g. the acceptance window of a validation claim).
//! The format follows the extension of the output path (`.png`: 1200 × 750 pixels, `.svg`:
//! the same size in SVG units). Text uses the embedded `DejaVu Sans` ([`font`]), so plots
//! render on a machine without system fonts.
//!
//! `nanokmc plot` builds its series from a trajectory's `/observables` or from a CSV file
//! ([`sources`]) and calls [`plot_series`].
//!
//! ```no_run
//! use std::path::Path;
//! use nanokmc::plot::{Guides, Series, Threshold, plot_series};
//! let series = [Series::new("B atoms", vec![0.0, 1.0, 2.0], vec![100.0, 60.0, 30.0])];
//! let guides = Guides {
//!     thresholds: vec![Threshold { label: "half".into(), y: 50.0 }],
//!     ..Guides::default()
//! };
//! plot_series(Path::new("b.svg"), "Sublimation", "time [ms]", "atoms", &series, &guides)?;
//! # Ok::<(), nanokmc::Error>(())
//! ```
//!
//! - [`chart`]: the drawing, generic over the plotters backend.
//! - [`encode`]: PNG and GIF encoding, whole-file writes (also used by `render`).
//! - [`font`]: the embedded font.
//! - [`sources`]: series from trajectories and CSV files.

pub mod chart;
pub mod encode;
pub mod font;
pub mod sources;

use std::path::Path;

use crate::error::{Error, Location, Result};

/// One curve: points `(x[i], y[i])` joined in order, with optional error bars `± y_err[i]`.
/// Non-finite points are left out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Abscissae (the unit is the caller's, named in the axis label).
    pub x: Vec<f64>,
    /// Ordinates.
    pub y: Vec<f64>,
    /// Half-widths of vertical error bars, one per point (same unit as `y`).
    pub y_err: Option<Vec<f64>>,
}

impl Series {
    /// A series without error bars.
    #[must_use]
    pub fn new(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Self {
            label: label.into(),
            x,
            y,
            y_err: None,
        }
    }
}

/// A horizontal band `low ≤ y ≤ high` across the plot, shaded (e.g. an acceptance window).
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Legend text.
    pub label: String,
    /// Lower edge (unit of `y`).
    pub low: f64,
    /// Upper edge (unit of `y`).
    pub high: f64,
}

/// A horizontal dashed line at `y` (e.g. a threshold or an expected value).
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// Legend text.
    pub label: String,
    /// Ordinate of the line (unit of `y`).
    pub y: f64,
}

/// Optional decorations of a plot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Guides {
    /// Shaded horizontal bands, drawn under the series.
    pub bands: Vec<Band>,
    /// Dashed horizontal lines.
    pub thresholds: Vec<Threshold>,
    /// Logarithmic y axis (non-positive values are left out).
    pub log_y: bool,
}

/// Output format of a plot, from the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotFormat {
    /// Portable Network Graphics (raster).
    Png,
    /// Scalable Vector Graphics.
    Svg,
}

impl PlotFormat {
    /// The format for `path`'s extension (`.png` or `.svg`, any case).
    ///
    /// # Errors
    /// [`Error::Input`] (key `out`) for any other extension.
    pub fn from_path(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => Ok(PlotFormat::Png),
            Some("svg") => Ok(PlotFormat::Svg),
            _ => Err(Error::Input {
                location: Location {
                    path: path.to_path_buf(),
                    line: 0,
                    column: 0,
                },
                key: "out".into(),
                message: "the plot's file name must end in .png or .svg".into(),
            }),
        }
    }
}

/// Size of a plot [pixels, or SVG user units].
pub const PLOT_SIZE: (u32, u32) = (1200, 750);

/// Draws `series` (and `guides`) into `path`, PNG or SVG by the extension.
///
/// # Errors
/// [`Error::Input`] (key `out`) for an unknown extension, [`Error::Input`] (key `series`) if
/// no series has a finite point or a series' arrays differ in length, [`Error::Output`] if
/// drawing fails, [`Error::Io`] if the file cannot be written. Nothing is written on error.
pub fn plot_series(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    guides: &Guides,
) -> Result<()> {
    let format = PlotFormat::from_path(path)?;
    font::ensure_registered()?;
    let figure = chart::Figure {
        title,
        x_label,
        y_label,
        series,
        guides,
    };
    figure.check(path)?;
    let (width, height) = PLOT_SIZE;
    let draw_error = |e: String| Error::Output {
        path: path.to_path_buf(),
        message: format!("drawing the plot: {e}"),
    };
    let bytes = match format {
        PlotFormat::Png => {
            let mut rgb = vec![255u8; 3 * (width as usize) * (height as usize)];
            {
                let backend =
                    plotters::backend::BitMapBackend::with_buffer(&mut rgb, (width, height));
                figure.draw(backend).map_err(draw_error)?;
            }
            encode::png_bytes(path, &rgb, width, height)?
        }
        PlotFormat::Svg => {
            let mut text = String::new();
            {
                let backend =
                    plotters::backend::SVGBackend::with_string(&mut text, (width, height));
                figure.draw(backend).map_err(draw_error)?;
            }
            text.into_bytes()
        }
    };
    encode::write_whole(path, &bytes)
}

/// A unit for times of magnitude up to `max_seconds`: the factor that converts seconds into
/// it and its symbol (`s`, `ms`, `µs`, `ns`, `ps`).
#[must_use]
pub fn time_unit(max_seconds: f64) -> (f64, &'static str) {
    let t = max_seconds.abs();
    if !t.is_finite() || t >= 1.0 || t == 0.0 {
        (1.0, "s")
    } else if t >= 1e-3 {
        (1e3, "ms")
    } else if t >= 1e-6 {
        (1e6, "µs")
    } else if t >= 1e-9 {
        (1e9, "ns")
    } else {
        (1e12, "ps")
    }
}
