//! The drawing of one figure with plotters, the same for every backend (bitmap, SVG).
//!
//! Axis ranges cover every finite point, error bar, band and threshold with 4 % of padding.
//! Series take the colours of the Tableau 10 palette (the default cycle of matplotlib ≥ 2.0)
//! in order, then repeat them.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Guides, Series};
use crate::error::{Error, Location, Result};

/// The Tableau 10 colours (RGB), the series' colour cycle.
const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// Everything drawn in one plot.
#[derive(Debug, Clone, Copy)]
pub struct Figure<'a> {
    /// Title above the plot.
    pub title: &'a str,
    /// Label of the x axis (with its unit).
    pub x_label: &'a str,
    /// Label of the y axis (with its unit).
    pub y_label: &'a str,
    /// The curves.
    pub series: &'a [Series],
    /// Bands and threshold lines.
    pub guides: &'a Guides,
}

/// The colour of series `index`.
#[must_use]
pub fn series_colour(index: usize) -> RGBColor {
    let (r, g, b) = PALETTE[index % PALETTE.len()];
    RGBColor(r, g, b)
}

impl Figure<'_> {
    /// Checks that every series has matching array lengths and that there is something to
    /// draw.
    ///
    /// # Errors
    /// [`Error::Input`] (key `series`) naming the series at fault, with `path` as the file.
    pub fn check(&self, path: &Path) -> Result<()> {
        let bad = |message: String| Error::Input {
            location: Location {
                path: path.to_path_buf(),
                line: 0,
                column: 0,
            },
            key: "series".into(),
            message,
        };
        for s in self.series {
            if s.x.len() != s.y.len() {
                return Err(bad(format!(
                    "series `{}` has {} x values and {} y values",
                    s.label,
                    s.x.len(),
                    s.y.len()
                )));
            }
            if let Some(err) = &s.y_err
                && err.len() != s.y.len()
            {
                return Err(bad(format!(
                    "series `{}` has {} error bars for {} points",
                    s.label,
                    err.len(),
                    s.y.len()
                )));
            }
        }
        if self.ranges().is_none() {
            return Err(bad("no series has a finite point to draw".into()));
        }
        Ok(())
    }

    /// The points of `s` that can be drawn (finite, positive on a log axis).
    fn points<'s>(&self, s: &'s Series) -> impl Iterator<Item = (f64, f64, f64)> + 's {
        let log = self.guides.log_y;
        (0..s.x.len()).filter_map(move |i| {
            let (x, y) = (s.x[i], s.y[i]);
            let e = s.y_err.as_ref().map_or(0.0, |e| e[i].abs());
            let e = if e.is_finite() { e } else { 0.0 };
            (x.is_finite() && y.is_finite() && (!log || y > 0.0)).then_some((x, y, e))
        })
    }

    /// The x and y ranges, padded; `None` if nothing is finite.
    fn ranges(&self) -> Option<((f64, f64), (f64, f64))> {
        let (mut x0, mut x1, mut y0, mut y1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for s in self.series {
            for (x, y, e) in self.points(s) {
                x0 = x0.min(x);
                x1 = x1.max(x);
                let low = if self.guides.log_y && y - e <= 0.0 {
                    y
                } else {
                    y - e
                };
                y0 = y0.min(low);
                y1 = y1.max(y + e);
            }
        }
        if !x0.is_finite() {
            return None;
        }
        let mut guide_values: Vec<f64> = self.guides.thresholds.iter().map(|t| t.y).collect();
        for b in &self.guides.bands {
            guide_values.extend([b.low, b.high]);
        }
        for v in guide_values {
            if v.is_finite() && (!self.guides.log_y || v > 0.0) {
                y0 = y0.min(v);
                y1 = y1.max(v);
            }
        }
        let pad = |lo: f64, hi: f64, log: bool| -> (f64, f64) {
            if log {
                let (l, h) = (lo.log10(), hi.log10());
                let d = if h > l { 0.04 * (h - l) } else { 0.5 };
                (10f64.powf(l - d), 10f64.powf(h + d))
            } else {
                let d = if hi > lo {
                    0.04 * (hi - lo)
                } else {
                    lo.abs().max(1.0) * 0.5
                };
                (lo - d, hi + d)
            }
        };
        Some((pad(x0, x1, false), pad(y0, y1, self.guides.log_y)))
    }

    /// The corner of the plot with the fewest points (in its outer 35 % × 35 %), where the
    /// legend hides the least.
    fn legend_corner(&self) -> SeriesLabelPosition {
        let Some(((x0, x1), (y0, y1))) = self.ranges() else {
            return SeriesLabelPosition::UpperRight;
        };
        let log = self.guides.log_y;
        let fy = |y: f64| {
            if log {
                (y.log10() - y0.log10()) / (y1.log10() - y0.log10())
            } else {
                (y - y0) / (y1 - y0)
            }
        };
        let mut counts = [0usize; 4];
        for s in self.series {
            for (x, y, _) in self.points(s) {
                let (u, v) = ((x - x0) / (x1 - x0), fy(y));
                let (left, right, low, high) = (u < 0.35, u > 0.65, v < 0.35, v > 0.65);
                counts[0] += usize::from(right && high);
                counts[1] += usize::from(left && high);
                counts[2] += usize::from(right && low);
                counts[3] += usize::from(left && low);
            }
        }
        let corners = [
            SeriesLabelPosition::UpperRight,
            SeriesLabelPosition::UpperLeft,
            SeriesLabelPosition::LowerRight,
            SeriesLabelPosition::LowerLeft,
        ];
        let best = (0..4).min_by_key(|&k| counts[k]).unwrap_or(0);
        corners[best].clone()
    }

    /// Draws the figure on `backend` (white background).
    ///
    /// # Errors
    /// The backend's error as text.
    pub fn draw<DB: DrawingBackend>(&self, backend: DB) -> std::result::Result<(), String> {
        let root = backend.into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let Some((x_range, y_range)) = self.ranges() else {
            return Err("nothing to draw".into());
        };
        if self.guides.log_y {
            let y = (y_range.0..y_range.1).log_scale();
            self.draw_in(&root, x_range.0..x_range.1, y)
        } else {
            self.draw_in(&root, x_range.0..x_range.1, y_range.0..y_range.1)
        }
    }

    fn draw_in<DB, Y>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x: std::ops::Range<f64>,
        y: Y,
    ) -> std::result::Result<(), String>
    where
        DB: DrawingBackend,
        Y: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
        Y::CoordDescType: plotters::coord::ranged1d::ValueFormatter<f64>,
    {
        let text = |e: &dyn std::fmt::Display| e.to_string();
        let (x_min, x_max) = (x.start, x.end);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, ("sans-serif", 30))
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(100)
            .build_cartesian_2d(x, y)
            .map_err(|e| text(&e))?;
        chart
            .configure_mesh()
            .x_desc(self.x_label)
            .y_desc(self.y_label)
            .label_style(("sans-serif", 18))
            .axis_desc_style(("sans-serif", 22))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| text(&e))?;

        // Bands under everything, then thresholds, then the series on top.
        for (i, band) in self.guides.bands.iter().enumerate() {
            let colour = series_colour(PALETTE.len() - 1 - i % PALETTE.len());
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x_min, band.low), (x_max, band.high)],
                    colour.mix(0.18).filled(),
                )))
                .map_err(|e| text(&e))?
                .label(band.label.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 20, y + 6)], colour.mix(0.3).filled())
                });
        }
        for threshold in &self.guides.thresholds {
            let style = BLACK.stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(
                    [(x_min, threshold.y), (x_max, threshold.y)],
                    10,
                    6,
                    style,
                ))
                .map_err(|e| text(&e))?
                .label(threshold.label.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
        }
        for (i, s) in self.series.iter().enumerate() {
            let colour = series_colour(i);
            let points: Vec<(f64, f64, f64)> = self.points(s).collect();
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|&(x, y, _)| (x, y)),
                    colour.stroke_width(2),
                ))
                .map_err(|e| text(&e))?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(3))
                });
            if points.len() <= 200 {
                chart
                    .draw_series(
                        points
                            .iter()
                            .map(|&(x, y, _)| Circle::new((x, y), 3, colour.filled())),
                    )
                    .map_err(|e| text(&e))?;
            }
            if s.y_err.is_some() {
                chart
                    .draw_series(points.iter().map(|&(x, y, e)| {
                        ErrorBar::new_vertical(x, y - e, y, y + e, colour.stroke_width(1), 8)
                    }))
                    .map_err(|e| text(&e))?;
            }
        }
        let labelled = self.series.len() + self.guides.bands.len() + self.guides.thresholds.len();
        if labelled > 1 || self.series.iter().any(|s| !s.label.is_empty()) {
            chart
                .configure_series_labels()
                .position(self.legend_corner())
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font(("sans-serif", 18))
                .draw()
                .map_err(|e| text(&e))?;
        }
        root.present().map_err(|e| text(&e))
    }
}
