//! Annotations drawn on a rendered frame: enlargement for display, the scale bar, the time
//! and temperature, the imaging mode and the colour legend.
//!
//! Small fields of view give small pictures (a 6 nm particle at 0.2 Å per pixel is 300
//! pixels wide); text of a readable size needs more, so the picture is first enlarged by an
//! integer factor (each image pixel becomes a block of screen pixels, no interpolation) and
//! the annotations are drawn on the enlarged picture with the embedded font
//! ([`crate::plot::font`]). The scale bar is computed from the physical pixel size, so it
//! stays true at any enlargement.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colour::Colour;
use crate::error::{Error, Result};
use crate::plot::font;

/// What is written on a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotations {
    /// Lines in the upper left corner (time, temperature, frame).
    pub corner: Vec<String>,
    /// Imaging mode in the upper right corner, e.g. `HAADF, Z^1.7, beam ∥ z`.
    pub mode: String,
    /// Colour legend under the mode (EDS composites): species name and colour.
    pub legend: Vec<(String, Colour)>,
    /// Field of view [Å] across the picture's width.
    pub field_width: f64,
}

/// The smallest integer enlargement that makes the longer side at least `target` pixels
/// (at most 16).
#[must_use]
pub fn auto_zoom(width: usize, height: usize, target: usize) -> usize {
    let side = width.max(height).max(1);
    target.div_ceil(side).clamp(1, 16)
}

/// Enlarges an RGB picture by `zoom` in each direction (pixel replication).
#[must_use]
pub fn enlarge(rgb: &[u8], width: usize, height: usize, zoom: usize) -> Vec<u8> {
    if zoom <= 1 {
        return rgb.to_vec();
    }
    let mut out = Vec::with_capacity(rgb.len() * zoom * zoom);
    for j in 0..height {
        let mut row = Vec::with_capacity(3 * width * zoom);
        for i in 0..width {
            let p = &rgb[3 * (j * width + i)..3 * (j * width + i) + 3];
            for _ in 0..zoom {
                row.extend_from_slice(p);
            }
        }
        for _ in 0..zoom {
            out.extend_from_slice(&row);
        }
    }
    out
}

/// A scale-bar length [Å] of 1, 2 or 5 × 10ᵏ, at most a quarter of `field_width` [Å], and
/// its label (`nm` from 1 nm up, otherwise `Å`).
#[must_use]
pub fn scale_bar(field_width: f64) -> (f64, String) {
    let limit = 0.25 * field_width;
    let mut best = 0.1;
    let mut decade = 0.1;
    while decade <= limit {
        for m in [1.0, 2.0, 5.0] {
            if m * decade <= limit {
                best = m * decade;
            }
        }
        decade *= 10.0;
    }
    let label = if best >= 10.0 {
        format!("{} nm", trim(best / 10.0))
    } else {
        format!("{} Å", trim(best))
    };
    (best, label)
}

fn trim(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// A readable time: `t` [s] in the unit `(factor, symbol)` of [`crate::plot::time_unit`].
#[must_use]
pub fn time_text(t: f64, unit: (f64, &str)) -> String {
    let value = t * unit.0;
    let digits = if value.abs() >= 100.0 {
        1
    } else if value.abs() >= 10.0 {
        2
    } else {
        3
    };
    format!("t = {value:.digits$} {}", unit.1)
}

/// Temperature [K] in kelvin and degrees Celsius.
#[must_use]
pub fn temperature_text(kelvin: f64) -> String {
    format!("T = {kelvin:.1} K ({:.1} °C)", kelvin - 273.15)
}

/// Draws `notes` on the RGB picture `rgb` of `width × height` pixels.
///
/// # Errors
/// [`Error::Output`] if the font is unusable or drawing fails.
pub fn draw(rgb: &mut [u8], width: usize, height: usize, notes: &Annotations) -> Result<()> {
    font::ensure_registered()?;
    let fail = |e: String| Error::Output {
        path: "<frame>".into(),
        message: format!("drawing annotations: {e}"),
    };
    let (w, h) = (
        u32::try_from(width).map_err(|e| fail(e.to_string()))?,
        u32::try_from(height).map_err(|e| fail(e.to_string()))?,
    );
    let root = BitMapBackend::with_buffer(rgb, (w, h)).into_drawing_area();
    #[allow(clippy::cast_possible_wrap)]
    let (wi, hi) = (w as i32, h as i32);
    let (length, label) = scale_bar(notes.field_width);
    #[allow(clippy::cast_possible_truncation)]
    let bar = (f64::from(w) * length / notes.field_width).round() as i32;
    let shade = RGBAColor(0, 0, 0, 0.55).filled();

    // The text size: 1/26 of the shorter side, smaller if the boxes would not fit.
    let mut size = (f64::from(w.min(h)) / 26.0).clamp(12.0, 40.0);
    let layout = loop {
        let layout = Layout::new(&root, notes, size, bar, &label);
        if layout.fits(wi) || size <= 8.0 {
            break layout;
        }
        size *= 0.9;
    };
    let Layout {
        style,
        pad,
        line_height,
        corner_width,
        right_width,
        swatch,
        ..
    } = layout;

    // Upper left: time, temperature, frame.
    if !notes.corner.is_empty() {
        #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
        let bottom = pad + line_height * notes.corner.len() as i32 + pad / 2;
        root.draw(&Rectangle::new(
            [(0, 0), (corner_width + 2 * pad, bottom)],
            shade,
        ))
        .map_err(|e| fail(e.to_string()))?;
    }
    for (k, line) in notes.corner.iter().enumerate() {
        #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
        let y = pad + line_height * k as i32;
        root.draw_text(line, &style, (pad, y))
            .map_err(|e| fail(e.to_string()))?;
    }

    // Lower right: the mode, then the legend with colour swatches.
    let rows = notes.rows();
    #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
    let top = hi - (pad + line_height * rows.len() as i32 + pad / 2);
    let left = wi - right_width - 2 * pad;
    root.draw(&Rectangle::new([(left, top), (wi, hi)], shade))
        .map_err(|e| fail(e.to_string()))?;
    for (k, (text, colour)) in rows.iter().enumerate() {
        #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
        let y = top + pad + line_height * k as i32;
        let mut x = left + pad;
        if let Some(Colour([r, g, b])) = colour {
            root.draw(&Rectangle::new(
                [(x, y + 2), (x + swatch, y + swatch)],
                RGBColor(*r, *g, *b).filled(),
            ))
            .map_err(|e| fail(e.to_string()))?;
            x += swatch + pad;
        }
        root.draw_text(text, &style, (x, y))
            .map_err(|e| fail(e.to_string()))?;
    }

    // Lower left: the scale bar and its length.
    let thickness = (pad / 2).max(3);
    let box_w = layout.scale_width;
    let box_h = layout.label_height + thickness + 3 * pad;
    root.draw(&Rectangle::new([(0, hi - box_h), (box_w, hi)], shade))
        .map_err(|e| fail(e.to_string()))?;
    let bar_y = hi - pad - thickness;
    root.draw(&Rectangle::new(
        [(pad, bar_y), (pad + bar, bar_y + thickness)],
        WHITE.filled(),
    ))
    .map_err(|e| fail(e.to_string()))?;
    let centred = style.pos(Pos::new(HPos::Center, VPos::Bottom));
    root.draw_text(&label, &centred, (pad + bar / 2, bar_y - pad / 2))
        .map_err(|e| fail(e.to_string()))?;
    root.present().map_err(|e| fail(e.to_string()))
}

/// Sizes of the annotation boxes at one text size.
struct Layout<'a> {
    style: TextStyle<'a>,
    pad: i32,
    line_height: i32,
    corner_width: i32,
    right_width: i32,
    swatch: i32,
    scale_width: i32,
    label_height: i32,
}

impl Layout<'_> {
    fn new<DB: DrawingBackend>(
        root: &DrawingArea<DB, plotters::coord::Shift>,
        notes: &Annotations,
        size: f64,
        bar: i32,
        label: &str,
    ) -> Self {
        let style = TextStyle::from(("sans-serif", size).into_font()).color(&WHITE);
        let measure = |text: &str| -> (i32, i32) {
            let (tw, th) = root.estimate_text_size(text, &style).unwrap_or((0, 0));
            (
                i32::try_from(tw).unwrap_or(0),
                i32::try_from(th).unwrap_or(0),
            )
        };
        #[allow(clippy::cast_possible_truncation)]
        let pad = (size * 0.4) as i32;
        let line_height = measure("Tg").1 + pad / 2;
        let swatch = line_height - pad / 2;
        let corner_width = notes.corner.iter().map(|l| measure(l).0).max().unwrap_or(0);
        let right_width = notes
            .rows()
            .iter()
            .map(|(t, c)| measure(t).0 + if c.is_some() { swatch + pad } else { 0 })
            .max()
            .unwrap_or(0);
        let (label_width, label_height) = measure(label);
        Self {
            style,
            pad,
            line_height,
            corner_width,
            right_width,
            swatch,
            scale_width: bar.max(label_width) + 2 * pad,
            label_height,
        }
    }

    /// The corner box fits across the picture, and the scale bar and the mode box fit side
    /// by side at the bottom.
    fn fits(&self, width: i32) -> bool {
        self.corner_width + 2 * self.pad <= width
            && self.scale_width + self.right_width + 3 * self.pad <= width
    }
}

impl Annotations {
    /// The lines of the lower right box: the mode, then the legend.
    fn rows(&self) -> Vec<(String, Option<Colour>)> {
        let mut rows: Vec<(String, Option<Colour>)> = vec![(self.mode.clone(), None)];
        rows.extend(self.legend.iter().map(|(n, c)| (n.clone(), Some(*c))));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bar_picks_round_lengths() {
        assert_eq!(scale_bar(60.0), (10.0, "1 nm".to_string()));
        assert_eq!(scale_bar(100.0), (20.0, "2 nm".to_string()));
        assert_eq!(scale_bar(25.0), (5.0, "5 Å".to_string()));
        assert_eq!(scale_bar(900.0), (200.0, "20 nm".to_string()));
    }

    #[test]
    fn readable_time_and_temperature() {
        assert_eq!(time_text(0.0124, (1e3, "ms")), "t = 12.40 ms");
        assert_eq!(temperature_text(700.0), "T = 700.0 K (426.9 °C)");
    }

    #[test]
    fn enlarge_replicates_pixels() {
        let rgb = vec![1, 2, 3, 4, 5, 6];
        let big = enlarge(&rgb, 2, 1, 2);
        assert_eq!(
            big,
            vec![
                1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6
            ]
        );
    }
}
