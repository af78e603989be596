//! The drawing of one figure with plotters, the same for every backend (bitmap, SVG).
//!
//! Axis ranges cover every finite point, error bar, band and threshold with 4 % of padding.
//! Series take the colours of the Tableau 10 palette (the default cycle of matplotlib ≥ 2.0)
//! in order, then repeat them. The legend is a column right of the plotting area (at most
//! 40 % of the width), so it never hides data.

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

/// The colour of band `index` (the palette from its end, away from the first series).
fn band_colour(index: usize) -> RGBColor {
    series_colour(PALETTE.len() - 1 - index % PALETTE.len())
}

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

    /// The legend entries in drawing order: text, colour, and whether the entry is a band
    /// (a filled box) rather than a line.
    fn legend_entries(&self) -> Vec<(String, RGBColor, bool)> {
        let mut entries = Vec::new();
        for (i, band) in self.guides.bands.iter().enumerate() {
            entries.push((band.label.clone(), band_colour(i), true));
        }
        for threshold in &self.guides.thresholds {
            entries.push((threshold.label.clone(), BLACK, false));
        }
        for (i, s) in self.series.iter().enumerate() {
            entries.push((s.label.clone(), series_colour(i), false));
        }
        entries
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

        // The legend gets its own column right of the chart, so it never hides data.
        let entries = self.legend_entries();
        let show_legend = entries.len() > 1 || entries.iter().any(|(l, _, _)| !l.is_empty());
        let (width, _) = root.dim_in_pixel();
        let legend_style = TextStyle::from(("sans-serif", 18).into_font());
        let widest = entries
            .iter()
            .map(|(l, _, _)| root.estimate_text_size(l, &legend_style).map_or(0, |s| s.0))
            .max()
            .unwrap_or(0);
        let legend_width = if show_legend {
            (widest + 60).min(width * 2 / 5)
        } else {
            0
        };
        #[allow(clippy::cast_possible_wrap)]
        let (chart_area, legend_area) = root.split_horizontally((width - legend_width) as i32);
        let mut chart = ChartBuilder::on(&chart_area)
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
            let colour = band_colour(i);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x_min, band.low), (x_max, band.high)],
                    colour.mix(0.18).filled(),
                )))
                .map_err(|e| text(&e))?;
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
                .map_err(|e| text(&e))?;
        }
        for (i, s) in self.series.iter().enumerate() {
            let colour = series_colour(i);
            let points: Vec<(f64, f64, f64)> = self.points(s).collect();
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|&(x, y, _)| (x, y)),
                    colour.stroke_width(2),
                ))
                .map_err(|e| text(&e))?;
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
        if show_legend {
            draw_legend(&legend_area, &entries, &legend_style)?;
        }
        root.present().map_err(|e| text(&e))
    }
}

/// Draws the legend `entries` as a column in `area`, level with the top of the plot.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor, bool)],
    style: &TextStyle,
) -> std::result::Result<(), String> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    let mut y = 70;
    for (label, colour, is_band) in entries {
        if *is_band {
            area.draw(&Rectangle::new(
                [(8, y + 4), (36, y + 16)],
                colour.mix(0.3).filled(),
            ))
            .map_err(|e| text(&e))?;
        } else {
            area.draw(&PathElement::new(
                [(8, y + 10), (36, y + 10)],
                colour.stroke_width(3),
            ))
            .map_err(|e| text(&e))?;
        }
        area.draw_text(label, style, (44, y))
            .map_err(|e| text(&e))?;
        y += 26;
    }
    Ok(())
}
