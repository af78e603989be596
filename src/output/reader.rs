//! Opening trajectories for reading or resuming, and their summary ([`info`]).
//!
//! A trajectory can be in three states: closed cleanly; being written by a running process
//! in SWMR mode; or left by a writer that was killed. The last two have status flags set in
//! the superblock (byte 11 of a version 2/3 superblock: bit 0 write access, bit 2 SWMR
//! write access), and the HDF5 library refuses a plain open. `open` reads the flags from
//! the first bytes of the file and picks the mode: SWMR read when a SWMR writer is (or was)
//! at work, otherwise an open that ignores the flags (the `clear_status_flags` file-access
//! property that `h5clear -s` uses); a resume clears them for good.
//!
//! Foreign files (not HDF5, or HDF5 without `/h5md` and our `/parameters@format`) give
//! [`Error::Input`], missing files [`Error::Io`]; nothing here panics on a bad file.

use std::ffi::CString;
use std::io::Read;
use std::path::{Path, PathBuf};

use hdf5::File;
use hdf5::types::{FixedAscii, VarLenUnicode};

use super::h5md::{self, FORMAT, PARTICLES, STEP, TIME, output_error, to_usize};
use super::{RunStatus, TrajectoryHeader};
use crate::error::{Error, Location, Result};

/// The HDF5 format signature at the start of a file.
const SIGNATURE: [u8; 8] = [0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n'];
/// Superblock status flag: the file is open for writing.
const FLAG_WRITE: u8 = 0x01;
/// Superblock status flag: the file is open for SWMR writing.
const FLAG_SWMR_WRITE: u8 = 0x04;

/// An opened trajectory.
#[derive(Debug)]
pub(crate) struct OpenedFile {
    pub file: File,
    /// The superblock said a writer had the file open (running or killed).
    pub left_open: bool,
}

/// Builds an [`Error::Input`] about the file `path`.
pub(crate) fn input_error(path: &Path, key: &str, message: impl Into<String>) -> Error {
    Error::Input {
        location: Location {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
        },
        key: key.to_string(),
        message: message.into(),
    }
}

/// Reads the superblock status flags; checks that the file is HDF5 at all.
fn status_flags(path: &Path) -> Result<u8> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut head = Vec::with_capacity(12);
    std::fs::File::open(path)
        .map_err(io)?
        .take(12)
        .read_to_end(&mut head)
        .map_err(io)?;
    if head.len() < 12 || head[..8] != SIGNATURE {
        return Err(input_error(
            path,
            "h5md",
            "not an HDF5 file (expected a nanokmc H5MD trajectory)",
        ));
    }
    // Superblocks 0 and 1 have no status flags.
    Ok(if head[8] >= 2 { head[11] } else { 0 })
}

/// Opens `path` with the raw library so that the `clear_status_flags` property applies.
fn open_clearing_flags(path: &Path, write: bool) -> hdf5::Result<File> {
    use hdf5_sys::h5f::{H5F_ACC_RDONLY, H5F_ACC_RDWR, H5Fopen};
    use hdf5_sys::h5p::H5Pset;
    let fapl = hdf5::plist::FileAccess::build().libver_latest().finish()?;
    let name = CString::new(path.to_string_lossy().as_bytes())
        .map_err(|e| hdf5::Error::from(format!("file name: {e}")))?;
    let property = c"clear_status_flags";
    hdf5::sync::sync(|| {
        let mut clear: hdf5_sys::h5::hbool_t = 1;
        // SAFETY: `fapl` is a valid file-access property list; the property
        // `clear_status_flags` is registered for that class by HDF5 ≥ 1.10 with the size of
        // `hbool_t`, and H5Pset copies the value.
        let status = unsafe {
            H5Pset(
                fapl.id(),
                property.as_ptr(),
                std::ptr::from_mut(&mut clear).cast(),
            )
        };
        if status < 0 {
            return Err(hdf5::Error::from(
                "cannot set clear_status_flags on the file-access list",
            ));
        }
        let flags = if write { H5F_ACC_RDWR } else { H5F_ACC_RDONLY };
        // SAFETY: `name` is a NUL-terminated string and `fapl` a valid property list.
        let id = unsafe { H5Fopen(name.as_ptr(), flags, fapl.id()) };
        if id < 0 {
            return Err(hdf5::Error::query().unwrap_or_else(|e| e));
        }
        // SAFETY: `id` is a fresh file identifier that the returned `File` now owns.
        unsafe { hdf5::from_id::<File>(id) }
    })
}

/// Opens a trajectory for reading (`write = false`) or for resuming (`write = true`) and
/// checks that it is a nanokmc trajectory.
pub(crate) fn open(path: &Path, write: bool) -> Result<OpenedFile> {
    let flags = status_flags(path)?;
    let left_open = flags & (FLAG_WRITE | FLAG_SWMR_WRITE) != 0;
    let opened = if write {
        if left_open {
            open_clearing_flags(path, true)
        } else {
            File::with_options()
                .with_fapl(|p| p.libver_latest())
                .open_rw(path)
        }
    } else if flags & FLAG_SWMR_WRITE != 0 {
        File::open_as(path, hdf5::OpenMode::ReadSWMR).or_else(|_| open_clearing_flags(path, false))
    } else if left_open {
        open_clearing_flags(path, false)
    } else {
        File::open(path)
    };
    let file = opened.map_err(|e| {
        let message = if e.to_string().contains("unable to lock file") {
            format!(
                "the file is locked by a running writer that has not written its first frame \
                 yet (frames can be read once it has): {e}"
            )
        } else {
            format!("cannot open as HDF5 (damaged file?): {e}")
        };
        input_error(path, "h5md", message)
    })?;
    super::descriptor::close_on_exec(&file);
    let ours = file.link_exists("h5md")
        && file.link_exists("parameters")
        && file.link_exists(STEP)
        && file
            .group("parameters")
            .and_then(|g| g.attr("format"))
            .and_then(|a| a.read_scalar::<VarLenUnicode>())
            .is_ok_and(|f| f.as_str() == FORMAT);
    if !ours {
        return Err(input_error(
            path,
            "h5md",
            "not a nanokmc trajectory (an HDF5 file without /h5md and /parameters@format)",
        ));
    }
    Ok(OpenedFile { file, left_open })
}

/// Number of complete frames: the length of the master `step` dataset (written last).
pub(crate) fn frame_count(path: &Path, file: &File) -> Result<u64> {
    let step = file
        .dataset(STEP)
        .map_err(|e| output_error(path, "reading step", e))?;
    Ok(step.shape().first().copied().unwrap_or(0) as u64)
}

fn read_str_attr(group: &hdf5::Location, name: &str) -> hdf5::Result<String> {
    Ok(group
        .attr(name)?
        .read_scalar::<VarLenUnicode>()?
        .as_str()
        .to_string())
}

pub(crate) fn read_str_list_attr(group: &hdf5::Location, name: &str) -> hdf5::Result<Vec<String>> {
    let values: Vec<VarLenUnicode> = group.attr(name)?.read_raw()?;
    Ok(values.iter().map(|s| s.as_str().to_string()).collect())
}

fn read_text(file: &File, name: &str) -> hdf5::Result<String> {
    Ok(file
        .dataset(&format!("parameters/{name}"))?
        .read_scalar::<VarLenUnicode>()?
        .as_str()
        .to_string())
}

/// Checks that the stored header equals `header` in what defines a run: sites, species,
/// scenario and potential texts, seed, replica.
pub(crate) fn check_same_header(path: &Path, file: &File, header: &TrajectoryHeader) -> Result<()> {
    let read = |e: hdf5::Error| input_error(path, "parameters", format!("unreadable header: {e}"));
    let parameters = file.group("parameters").map_err(read)?;
    let mismatch = |key: &str, what: String| {
        Err(input_error(
            path,
            key,
            format!("cannot resume: the trajectory was written by a different run ({what})"),
        ))
    };
    let n_sites: u64 = parameters
        .attr("n_sites")
        .and_then(|a| a.read_scalar())
        .map_err(read)?;
    if n_sites != header.site_count() as u64 {
        return mismatch(
            "n_sites",
            format!("{n_sites} sites in the file, {} now", header.site_count()),
        );
    }
    let hash: u64 = parameters
        .attr("sites_hash")
        .and_then(|a| a.read_scalar())
        .map_err(read)?;
    if hash != h5md::sites_hash(header) {
        return mismatch(
            "sites_hash",
            "site positions, kinds or domains differ".into(),
        );
    }
    let seed: u64 = parameters
        .attr("seed")
        .and_then(|a| a.read_scalar())
        .map_err(read)?;
    if seed != header.seed {
        return mismatch(
            "seed",
            format!("seed {seed} in the file, {} now", header.seed),
        );
    }
    let replica: u32 = parameters
        .attr("replica")
        .and_then(|a| a.read_scalar())
        .map_err(read)?;
    if replica != header.replica {
        return mismatch(
            "replica",
            format!("replica {replica} in the file, {} now", header.replica),
        );
    }
    for (key, stored, now) in [
        (
            "species_names",
            read_str_list_attr(&parameters, "species_names").map_err(read)?,
            &header.species_names,
        ),
        (
            "domain_names",
            read_str_list_attr(&parameters, "domain_names").map_err(read)?,
            &header.domain_names,
        ),
        (
            "rule_names",
            read_str_list_attr(&parameters, "rule_names").map_err(read)?,
            &header.rule_names,
        ),
    ] {
        if &stored != now {
            return mismatch(key, format!("{stored:?} in the file, {now:?} now"));
        }
    }
    for (key, now) in [
        ("scenario", &header.scenario_text),
        ("potential", &header.potential_text),
    ] {
        if &read_text(file, key).map_err(read)? != now {
            return mismatch(key, format!("the {key} text differs"));
        }
    }
    Ok(())
}

/// Summary of a trajectory, for `nanokmc info`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryInfo {
    /// The file.
    pub path: PathBuf,
    /// Scenario file of the run.
    pub scenario_path: String,
    /// Potential file of the run.
    pub potential_path: String,
    /// Seed of the run.
    pub seed: u64,
    /// Replica index.
    pub replica: u32,
    /// Number of replicas of the run.
    pub replicas: u32,
    /// Program and version that wrote the file.
    pub program_version: String,
    /// Author given by the run.
    pub author: String,
    /// Number of sites.
    pub n_sites: u64,
    /// Species names (index = species id).
    pub species_names: Vec<String>,
    /// Number of complete frames.
    pub frames: u64,
    /// Step and time [s] of the first frame.
    pub first: Option<(u64, f64)>,
    /// Step and time [s] of the last frame.
    pub last: Option<(u64, f64)>,
    /// Atoms per species (summed over domains) in the first frame.
    pub first_counts: Vec<u64>,
    /// Atoms per species (summed over domains) in the last frame.
    pub last_counts: Vec<u64>,
    /// Status stored by the writer (`Running` also for a killed writer).
    pub status: Option<RunStatus>,
    /// The superblock says a writer still has the file open: a running process, or one that
    /// was killed (the frames listed are complete either way).
    pub left_open: bool,
    /// Key/value summary stored by [`super::TrajectoryWriter::finish`].
    pub summary: Vec<(String, String)>,
    /// Logs stored by [`super::TrajectoryWriter::finish_with_logs`]: name and line count.
    pub logs: Vec<(String, usize)>,
}

impl TrajectoryInfo {
    /// True when the run reached its end.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.status == Some(RunStatus::Complete)
    }
}

impl std::fmt::Display for TrajectoryInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "file        {}", self.path.display())?;
        writeln!(f, "written by  {} ({})", self.program_version, self.author)?;
        writeln!(f, "scenario    {}", self.scenario_path)?;
        writeln!(f, "potential   {}", self.potential_path)?;
        writeln!(
            f,
            "seed        {} (replica {} of {})",
            self.seed, self.replica, self.replicas
        )?;
        writeln!(f, "sites       {}", self.n_sites)?;
        write!(f, "frames      {}", self.frames)?;
        if let (Some((s0, t0)), Some((s1, t1))) = (self.first, self.last) {
            write!(f, ": step {s0} .. {s1}, time {t0:.6e} .. {t1:.6e} s")?;
        }
        writeln!(f)?;
        if !self.first_counts.is_empty() {
            writeln!(f, "atoms       species  first  last")?;
            for (i, name) in self.species_names.iter().enumerate().skip(1) {
                let first = self.first_counts.get(i).copied().unwrap_or(0);
                let last = self.last_counts.get(i).copied().unwrap_or(0);
                writeln!(f, "            {name:<8} {first} {last}")?;
            }
        }
        let status = self.status.map_or("unknown", RunStatus::as_str);
        write!(f, "status      {status}")?;
        if self.left_open {
            write!(
                f,
                " (file still open by a writer: running, or killed; frames listed are complete)"
            )?;
        }
        writeln!(f)?;
        for (key, value) in &self.summary {
            writeln!(f, "{key:<11} {value}")?;
        }
        for (name, lines) in &self.logs {
            writeln!(f, "log         /parameters/logs/{name}: {lines} lines")?;
        }
        Ok(())
    }
}

/// Summarises a trajectory; works while another process writes it (SWMR) and on a file left
/// by a killed writer.
///
/// # Errors
/// [`Error::Io`] if the file is missing, [`Error::Input`] if it is not a nanokmc trajectory,
/// [`Error::Output`] if a dataset cannot be read.
pub fn info(path: &Path) -> Result<TrajectoryInfo> {
    let OpenedFile { file, left_open } = open(path, false)?;
    let err = |e: hdf5::Error| output_error(path, "reading", e);
    let parameters = file.group("parameters").map_err(err)?;
    let scalar_u64 = |name: &str| -> Result<u64> {
        parameters
            .attr(name)
            .and_then(|a| a.read_scalar::<u64>())
            .map_err(err)
    };
    let scalar_u32 = |name: &str| -> Result<u32> {
        parameters
            .attr(name)
            .and_then(|a| a.read_scalar::<u32>())
            .map_err(err)
    };
    let frames = frame_count(path, &file)?;
    let species_names = read_str_list_attr(&parameters, "species_names").map_err(err)?;
    let n_species = species_names.len();
    let (mut first, mut last) = (None, None);
    let (mut first_counts, mut last_counts) = (Vec::new(), Vec::new());
    if frames > 0 {
        let steps = file.dataset(STEP).map_err(err)?;
        let times = file.dataset(TIME).map_err(err)?;
        let counts = file
            .dataset("observables/species_counts/value")
            .map_err(err)?;
        let at = |f: usize| -> Result<((u64, f64), Vec<u64>)> {
            let step: Vec<i64> = steps.read_slice_1d(f..=f).map_err(err)?.to_vec();
            let time: Vec<f64> = times.read_slice_1d(f..=f).map_err(err)?.to_vec();
            let row: Vec<u64> = counts
                .read_slice::<u64, _, ndarray::IxDyn>(ndarray::s![f, .., ..])
                .map_err(err)?
                .iter()
                .copied()
                .collect();
            let mut totals = vec![0u64; n_species];
            for (i, c) in row.iter().enumerate() {
                totals[i % n_species.max(1)] += c;
            }
            let step = u64::try_from(step.first().copied().unwrap_or(0)).unwrap_or(0);
            Ok(((step, time.first().copied().unwrap_or(f64::NAN)), totals))
        };
        let (a, ca) = at(0)?;
        let (b, cb) = at(to_usize(frames) - 1)?;
        first = Some(a);
        last = Some(b);
        first_counts = ca;
        last_counts = cb;
    }
    let status = file
        .dataset("parameters/status")
        .and_then(|d| d.read_raw::<FixedAscii<16>>())
        .ok()
        .and_then(|v| v.first().and_then(|s| RunStatus::from_name(s.as_str())));
    let mut summary = Vec::new();
    if let Ok(group) = parameters.group("summary") {
        for key in group.attr_names().map_err(err)? {
            let value = read_str_attr(&group, &key).map_err(err)?;
            summary.push((key, value));
        }
    }
    let mut logs = Vec::new();
    if let Ok(group) = parameters.group("logs") {
        for name in group.member_names().map_err(err)? {
            let lines = group.dataset(&name).map_err(err)?.size();
            logs.push((name, lines));
        }
    }
    Ok(TrajectoryInfo {
        path: path.to_path_buf(),
        scenario_path: read_str_attr(&parameters, "scenario_path").map_err(err)?,
        potential_path: read_str_attr(&parameters, "potential_path").map_err(err)?,
        seed: scalar_u64("seed")?,
        replica: scalar_u32("replica")?,
        replicas: scalar_u32("replicas")?,
        program_version: read_str_attr(&parameters, "program_version").map_err(err)?,
        author: read_str_attr(&parameters, "author").map_err(err)?,
        n_sites: scalar_u64("n_sites")?,
        species_names,
        frames,
        first,
        last,
        first_counts,
        last_counts,
        status,
        left_open,
        summary,
        logs,
    })
}

/// Path of a dataset inside the particle group.
pub(crate) fn particle_path(name: &str) -> String {
    format!("{PARTICLES}/{name}")
}
