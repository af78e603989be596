//! Checkpoint files: everything a stopped replica needs to continue bit for bit.
//!
//! A checkpoint holds the scenario and potential texts (so that a resumed run does not
//! depend on files that may have changed since), the seed and replica, where the
//! trajectory is and how many frames it holds, the frame cursor, the wall time used so far
//! and the complete [`EngineState`].
//!
//! # File format
//! ```text
//! b"NANOKMC-CHECKPOINT\n"   magic (19 bytes)
//! u32 little-endian         format version (FORMAT)
//! u32 little-endian         CRC-32 (IEEE) of the payload
//! u64 little-endian         payload length in bytes
//! payload                   postcard encoding of `Checkpoint`
//! ```
//! postcard is a compact, stable serde encoding (the engine state holds `u64`s, which TOML
//! cannot); the CRC catches truncated or damaged files. Files are written to a temporary
//! name, synced and renamed, so a checkpoint on disk is always whole: a kill during a write
//! leaves the previous one.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::EngineState;
use crate::error::{Error, Location, Result};

const MAGIC: &[u8] = b"NANOKMC-CHECKPOINT\n";
/// Version of the checkpoint layout; bumped when [`Checkpoint`] changes.
pub const FORMAT: u32 = 4;

/// The content of a checkpoint file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// `nanokmc <version>` of the program that wrote it.
    pub program_version: String,
    /// The scenario file's path as given to `run`.
    pub scenario_path: String,
    /// The scenario file's text.
    pub scenario_text: String,
    /// The potential file's path.
    pub potential_path: String,
    /// The potential file's text.
    pub potential_text: String,
    /// The seed in effect (the scenario's, or `--seed`).
    pub seed: u64,
    /// This replica.
    pub replica: u32,
    /// Replicas of the run.
    pub replicas: u32,
    /// The trajectory file.
    pub output: PathBuf,
    /// Frames the trajectory holds at this checkpoint.
    pub frames_written: u64,
    /// Index of the next scheduled frame.
    pub next_frame: u64,
    /// Step and time bits of the last frame written.
    pub last_frame: Option<(u64, u64)>,
    /// Wall-clock seconds used before this checkpoint (all segments).
    pub wall_seconds: f64,
    /// The engine state.
    pub engine: EngineState,
}

fn bad(path: &Path, message: impl Into<String>) -> Error {
    Error::Input {
        location: Location {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
        },
        key: "checkpoint".into(),
        message: message.into(),
    }
}

/// Writes `checkpoint` to `path` atomically (temporary file, sync, rename).
///
/// # Errors
/// [`Error::Output`] if the file cannot be written.
pub fn write(path: &Path, checkpoint: &Checkpoint) -> Result<()> {
    let out = |e: &dyn std::fmt::Display| Error::Output {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let payload = postcard::to_stdvec(checkpoint).map_err(|e| out(&e))?;
    let mut bytes = Vec::with_capacity(payload.len() + MAGIC.len() + 16);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT.to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&payload);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = std::fs::File::create(&tmp).map_err(|e| out(&e))?;
        f.write_all(&bytes).map_err(|e| out(&e))?;
        f.sync_all().map_err(|e| out(&e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| out(&e))?;
    Ok(())
}

/// Reads a checkpoint written by [`write`].
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Input`] (exit code 2) if it is not a
/// nanokmc checkpoint, has another format version, or is truncated or damaged.
pub fn read(path: &Path) -> Result<Checkpoint> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let Some(rest) = bytes.strip_prefix(MAGIC) else {
        return Err(bad(path, "not a nanokmc checkpoint (wrong magic bytes)"));
    };
    if rest.len() < 16 {
        return Err(bad(path, "truncated checkpoint header"));
    }
    let word = |i: usize| u32::from_le_bytes([rest[i], rest[i + 1], rest[i + 2], rest[i + 3]]);
    let format = word(0);
    if format != FORMAT {
        return Err(bad(
            path,
            format!("checkpoint format {format}, this nanokmc reads format {FORMAT}"),
        ));
    }
    let crc = word(4);
    let mut len = [0u8; 8];
    len.copy_from_slice(&rest[8..16]);
    let len = u64::from_le_bytes(len);
    let payload = &rest[16..];
    if payload.len() as u64 != len {
        return Err(bad(
            path,
            format!(
                "truncated or padded checkpoint: {} payload bytes, header says {len}",
                payload.len()
            ),
        ));
    }
    if crc32fast::hash(payload) != crc {
        return Err(bad(path, "damaged checkpoint (checksum mismatch)"));
    }
    postcard::from_bytes(payload).map_err(|e| bad(path, format!("undecodable checkpoint: {e}")))
}
