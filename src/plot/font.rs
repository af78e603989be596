//! The font of every text drawn by [`plot`](super) and [`render`](crate::render).
//!
//! `DejaVu Sans` is compiled into the binary (`assets/fonts/DejaVuSans.ttf`, Bitstream Vera
//! licence with public-domain `DejaVu` changes, `assets/fonts/LICENSE-DejaVu.txt`) and given
//! to plotters' `ab_glyph` text backend under the family name `sans-serif`, so text renders
//! the same on a machine without any system font (no fontconfig look-up happens).

use std::sync::OnceLock;

use plotters::style::FontStyle;

use crate::error::{Error, Result};

/// The embedded font file.
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The family name under which the font is registered (plotters' `FontFamily::SansSerif`).
pub const FAMILY: &str = "sans-serif";

static REGISTERED: OnceLock<bool> = OnceLock::new();

/// Registers the embedded font once per process; call before drawing text.
///
/// # Errors
/// [`Error::Output`] if the embedded font cannot be parsed (a broken build).
pub fn ensure_registered() -> Result<()> {
    let ok = *REGISTERED.get_or_init(|| {
        // Bold and italic requests fall back to the normal face.
        plotters::style::register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Output {
            path: "assets/fonts/DejaVuSans.ttf".into(),
            message: "the embedded font cannot be read".into(),
        })
    }
}
