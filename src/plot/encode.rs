//! Encoding of RGB pictures (PNG with the `image` crate, animated GIF with the `gif` crate)
//! and writing of output files whole: each file is written under a temporary name next to
//! its target and renamed at the end, so that a failure never leaves half a picture.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use image::ImageEncoder as _;

use crate::error::{Error, Result};

/// Encodes an 8-bit RGB picture (`rgb.len() == 3 · width · height`, rows top to bottom) as
/// PNG.
///
/// # Errors
/// [`Error::Output`] (for `path`, used in the message only) if the encoder fails.
pub fn png_bytes(path: &Path, rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(rgb, width, height, image::ExtendedColorType::Rgb8)
        .map_err(|e| output_error(path, format!("encoding PNG: {e}")))?;
    Ok(bytes)
}

/// An animated GIF being assembled in memory, one RGB frame at a time (each frame is
/// quantised to its own 256-colour palette by the `gif` crate's `NeuQuant`).
pub struct GifAnimation {
    path: PathBuf,
    encoder: gif::Encoder<Vec<u8>>,
    width: u16,
    height: u16,
    /// Delay between frames [1/100 s].
    delay: u16,
}

impl std::fmt::Debug for GifAnimation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GifAnimation")
            .field("path", &self.path)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl GifAnimation {
    /// Starts an animation of `width × height` pixels at `fps` frames per second, looping
    /// forever, to be written to `path` by [`GifAnimation::finish`].
    ///
    /// # Errors
    /// [`Error::Output`] if the size exceeds the GIF limit of 65 535 pixels or the encoder
    /// fails.
    pub fn new(path: &Path, width: u32, height: u32, fps: f64) -> Result<Self> {
        let too_large = || output_error(path, "GIF frames are limited to 65535 × 65535 pixels");
        let width = u16::try_from(width).map_err(|_| too_large())?;
        let height = u16::try_from(height).map_err(|_| too_large())?;
        let mut encoder = gif::Encoder::new(Vec::new(), width, height, &[])
            .map_err(|e| output_error(path, format!("encoding GIF: {e}")))?;
        encoder
            .set_repeat(gif::Repeat::Infinite)
            .map_err(|e| output_error(path, format!("encoding GIF: {e}")))?;
        // GIF delays are whole hundredths of a second; at least 1.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let delay = (100.0 / fps).round().clamp(1.0, 65_535.0) as u16;
        Ok(Self {
            path: path.to_path_buf(),
            encoder,
            width,
            height,
            delay,
        })
    }

    /// Appends one RGB frame of the animation's size.
    ///
    /// # Errors
    /// [`Error::Output`] if the frame has another size or the encoder fails.
    pub fn push(&mut self, rgb: &[u8]) -> Result<()> {
        let expected = 3 * usize::from(self.width) * usize::from(self.height);
        if rgb.len() != expected {
            return Err(output_error(
                &self.path,
                "all frames of a GIF must have the same size",
            ));
        }
        let mut frame = gif::Frame::from_rgb_speed(self.width, self.height, rgb, 10);
        frame.delay = self.delay;
        self.encoder
            .write_frame(&frame)
            .map_err(|e| output_error(&self.path, format!("encoding GIF: {e}")))
    }

    /// Finishes the animation and writes the file.
    ///
    /// # Errors
    /// [`Error::Output`] or [`Error::Io`] if the file cannot be written.
    pub fn finish(self) -> Result<PathBuf> {
        let bytes = self
            .encoder
            .into_inner()
            .map_err(|e| output_error(&self.path, format!("encoding GIF: {e}")))?;
        write_whole(&self.path, &bytes)?;
        Ok(self.path)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
///
/// # Errors
/// [`Error::Io`] if the file cannot be written or renamed.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    let temporary = path.with_file_name(name);
    let result = std::fs::File::create(&temporary)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(io(e));
    }
    Ok(())
}

fn output_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        message: message.into(),
    }
}
