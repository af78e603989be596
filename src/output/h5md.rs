//! The H5MD 1.1 trajectory writer.
//!
//! # Layout
//! ```text
//! /h5md                      version = [1, 1]; author (name), creator (name, version)
//! /particles/trajectory      one particle group for all sites (MDAnalysis looks for this name)
//!   box                      dimension = 3, boundary = periodic|none ×3
//!     edges/{value,step,time}  [frames, 3, 3] f64, Angstrom
//!   position/{value,step,time} [frames, N, 3] f32, Angstrom (the same every frame; compressed)
//!   species/{value,step,time}  [frames, N] u8; step [frames] i64, time [frames] f64 in s
//!   kind, domain             [N] u16 (time independent), names in attribute `names`
//! /observables/<name>/{value,step,time}   one H5MD time-dependent element per observable
//!                            (extra scalars [frames] with a `unit`; distributions
//!                            [frames, bins] with `unit`, `bin_edges`, `bin_edges_unit`)
//! /parameters                scenario and potential texts, seed, names, status, summary
//! ```
//! Every `step` and `time` is a hard link to `/particles/trajectory/species/{step,time}`
//! (allowed by H5MD), so a frame appends them once. `docs/output.md` lists every dataset.
//!
//! # Flushing and SWMR
//! The file is created with the latest file-format bounds. The first [`TrajectoryWriter::write_frame`]
//! creates the datasets of the `extra` observables (their names are known only then) and
//! switches the file to single-writer/multiple-reader mode (`H5Fstart_swmr_write`). Every
//! frame then extends and writes the per-frame datasets, writes `step` and `time` last (their
//! length is the number of complete frames) and flushes the file. A process killed after
//! `write_frame` returned loses nothing: the file opens in SWMR read mode, and
//! [`TrajectoryWriter::resume`] clears the superblock status flags (as `h5clear -s` does) and
//! truncates any partly written frame.

use std::path::{Path, PathBuf};

use hdf5::types::{FixedAscii, VarLenUnicode};
use hdf5::{Dataset, Extent, File, Group, H5Type, Hyperslab, SliceOrIndex};
use ndarray::{ArrayViewD, IxDyn};

use super::h5md_header::{write_h5md_group, write_observables, write_parameters, write_particles};
use super::reader::{self, OpenedFile};
use super::{Frame, RunStatus, TrajectoryHeader};
use crate::error::{Error, Result};

/// Path of the particle group. `MDAnalysis` builds its minimal topology from
/// `/particles/trajectory/position`, so the name is not free.
pub const PARTICLES: &str = "/particles/trajectory";
/// Path of the master `step` dataset; every other `step` is a hard link to it.
pub const STEP: &str = "/particles/trajectory/species/step";
/// Path of the master `time` dataset; every other `time` is a hard link to it.
pub const TIME: &str = "/particles/trajectory/species/time";
/// Value of the `/parameters` attribute `format`, identifying files written here.
pub const FORMAT: &str = "nanokmc-h5md-1";

/// Names of the built-in observables (an `extra` observable may not reuse them).
pub const BUILTIN_OBSERVABLES: [&str; 8] = [
    "temperature",
    "beam_flux",
    "species_counts",
    "evaporated",
    "deposited",
    "transfers",
    "events_by_rule",
    "null_events",
];

/// Sites per chunk of the species dataset (1 MiB chunks of `u8`).
pub(super) const SPECIES_CHUNK: usize = 1 << 20;
/// Sites per chunk of the position dataset (768 KiB chunks of `3 × f32`).
pub(super) const POSITION_CHUNK: usize = 1 << 16;
/// Frames per chunk of the small per-frame datasets.
pub(super) const FRAME_CHUNK: usize = 256;
/// Deflate level of the large per-frame datasets.
pub(super) const DEFLATE_LEVEL: u8 = 4;

/// Appends frames to an H5MD trajectory. See the module documentation for the layout.
pub struct TrajectoryWriter {
    path: PathBuf,
    file: File,
    n_sites: usize,
    /// `n_domains * n_species`, length of the per-(domain, species) arrays.
    n_domain_species: usize,
    /// Number of domains (the transfers are `n_domains² * n_species`).
    n_domains: usize,
    n_rules: usize,
    frames: u64,
    swmr: bool,
    /// Names of the extra observables, fixed by the first frame written to the file.
    extra_names: Option<Vec<String>>,
    positions: Vec<f32>,
    /// The compressed chunks of one frame of `position` (the same in every frame), read
    /// back after the first frame this writer wrote and reused for every later frame.
    position_chunks: Option<Vec<Vec<u8>>>,
    edges: [f64; 9],
}

impl std::fmt::Debug for TrajectoryWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrajectoryWriter")
            .field("path", &self.path)
            .field("n_sites", &self.n_sites)
            .field("frames", &self.frames)
            .field("swmr", &self.swmr)
            .finish_non_exhaustive()
    }
}

/// Wraps an HDF5 error as [`Error::Output`] for `path`.
pub(crate) fn output_error(path: &Path, what: &str, error: impl std::fmt::Display) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        message: format!("{what}: {error}"),
    }
}

impl TrajectoryWriter {
    /// Creates a new trajectory and writes `/h5md`, `/particles` (box, kinds, domains and the
    /// empty per-frame datasets), `/observables` and `/parameters` with status `running`.
    ///
    /// # Errors
    /// [`Error::Output`] if the file exists and `overwrite` is false, if the header is
    /// inconsistent (array lengths) or if HDF5 fails.
    pub fn create(path: &Path, header: &TrajectoryHeader, overwrite: bool) -> Result<Self> {
        check_header(path, header)?;
        if path.exists() && !overwrite {
            return Err(Error::Output {
                path: path.to_path_buf(),
                message: "file exists (use overwrite to replace it)".into(),
            });
        }
        if overwrite && path.exists() {
            std::fs::remove_file(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let file = File::with_options()
            .with_fapl(|p| p.libver_latest())
            .create_excl(path)
            .map_err(|e| output_error(path, "cannot create HDF5 file", e))?;
        super::descriptor::close_on_exec(&file);
        let err = |e: hdf5::Error| output_error(path, "writing header", e);
        write_h5md_group(&file, header).map_err(err)?;
        write_particles(&file, header).map_err(err)?;
        write_observables(&file, header).map_err(err)?;
        write_parameters(&file, header).map_err(err)?;
        file.flush().map_err(err)?;
        Ok(Self::with_file(path, file, header, 0, None))
    }

    /// Re-opens a trajectory written by an interrupted or killed run, keeps its first
    /// `frames` frames, drops later ones and continues appending after them.
    ///
    /// # Errors
    /// [`Error::Io`] if the file is missing; [`Error::Input`] if it is not a nanokmc
    /// trajectory, if its header differs from `header` (sites, species, scenario text, seed,
    /// replica) or if it holds fewer than `frames` frames; [`Error::Output`] if HDF5 fails.
    pub fn resume(path: &Path, header: &TrajectoryHeader, frames: u64) -> Result<Self> {
        check_header(path, header)?;
        let OpenedFile { file, .. } = reader::open(path, true)?;
        reader::check_same_header(path, &file, header)?;
        let stored = reader::frame_count(path, &file)?;
        if frames > stored {
            return Err(reader::input_error(
                path,
                "frames",
                format!("cannot resume after frame {frames}: the file holds {stored} frames"),
            ));
        }
        let err = |e: hdf5::Error| output_error(path, "truncating frames", e);
        let extra_names = stored_extra_names(&file).map_err(err)?;
        // Truncate every per-frame dataset, including one that a killed writer extended
        // before it could write the matching `step`.
        let frames_len = to_usize(frames);
        for dataset in time_dependent_values(&file, extra_names.as_deref().unwrap_or(&[]))
            .map_err(err)?
            .iter()
            .chain([
                &file.dataset(STEP).map_err(err)?,
                &file.dataset(TIME).map_err(err)?,
            ])
        {
            let mut shape = dataset.shape();
            shape[0] = frames_len;
            dataset.resize(shape).map_err(err)?;
        }
        set_status_dataset(&file, RunStatus::Running).map_err(err)?;
        file.flush().map_err(err)?;
        // Extra observables are fixed once a frame exists; otherwise the next frame fixes them.
        let extra_names = if frames == 0 && extra_names.as_ref().is_none_or(Vec::is_empty) {
            None
        } else {
            Some(extra_names.unwrap_or_default())
        };
        Ok(Self::with_file(path, file, header, frames, extra_names))
    }

    fn with_file(
        path: &Path,
        file: File,
        header: &TrajectoryHeader,
        frames: u64,
        extra_names: Option<Vec<String>>,
    ) -> Self {
        // PERF: the f32 copy of the positions is made once; every frame writes it again
        // because MDAnalysis needs a time-dependent `position` (see docs/output.md).
        #[allow(clippy::cast_possible_truncation)]
        let positions = header
            .positions
            .iter()
            .flat_map(|p| p.map(|x| x as f32))
            .collect();
        let mut edges = [0.0; 9];
        for (i, row) in header.box_edges.iter().enumerate() {
            edges[3 * i..3 * i + 3].copy_from_slice(row);
        }
        Self {
            path: path.to_path_buf(),
            file,
            n_sites: header.site_count(),
            n_domain_species: header.domain_names.len() * header.species_names.len(),
            n_domains: header.domain_names.len(),
            n_rules: header.rule_names.len(),
            frames,
            swmr: false,
            extra_names,
            positions,
            position_chunks: None,
            edges,
        }
    }

    /// Number of frames in the file.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Appends one frame and flushes the file, so that a reader sees it and a `SIGKILL` after
    /// this returns loses nothing before it.
    ///
    /// # Errors
    /// [`Error::Output`] if an array has the wrong length, if the extra observables differ
    /// from those of the first frame, or if HDF5 fails.
    pub fn write_frame(&mut self, frame: &Frame) -> Result<()> {
        self.check_frame(frame)?;
        let path = self.path.clone();
        let err = |e: hdf5::Error| output_error(&path, "writing frame", e);
        if !self.swmr {
            if self.extra_names.is_none() {
                let names = extra_names_of(frame.observables);
                create_extra_observables(&self.file, frame.observables, &names).map_err(err)?;
                self.extra_names = Some(names);
            }
            self.file.flush().map_err(err)?;
            self.file.start_swmr().map_err(err)?;
            self.swmr = true;
        }
        let f = to_usize(self.frames);
        let file = &self.file;
        let obs = frame.observables;
        let group = |name: &str| format!("{PARTICLES}/{name}/value");
        let observable = |name: &str| format!("/observables/{name}/value");
        let d = self.n_domain_species;

        // Values first, `step` and `time` last: the length of `step` counts complete frames.
        append(file, &group("species"), f, &[self.n_sites], frame.species).map_err(err)?;
        // PERF: positions never change; compressing them again for every frame took
        // most of the writing time, so the compressed chunks are copied instead.
        let position = file.dataset(&group("position")).map_err(err)?;
        if let Some(chunks) = &self.position_chunks {
            position.resize([f + 1, self.n_sites, 3]).map_err(err)?;
            write_raw_chunks(&position, f, chunks).map_err(err)?;
        } else {
            append_to(&position, f, &[self.n_sites, 3], &self.positions).map_err(err)?;
            self.position_chunks = Some(read_raw_chunks(&position, f, self.n_sites).map_err(err)?);
        }
        append(file, &group("box/edges"), f, &[3, 3], &self.edges).map_err(err)?;
        append(file, &observable("temperature"), f, &[], &[obs.temperature]).map_err(err)?;
        append(file, &observable("beam_flux"), f, &[], &[obs.beam_flux]).map_err(err)?;
        for (name, values) in [
            ("species_counts", &obs.species_counts),
            ("evaporated", &obs.evaporated),
            ("deposited", &obs.deposited),
        ] {
            let ds = file.dataset(&observable(name)).map_err(err)?;
            let inner = ds.shape()[1..].to_vec();
            debug_assert_eq!(inner.iter().product::<usize>(), d);
            append_to(&ds, f, &inner, values).map_err(err)?;
        }
        let ds = file.dataset(&observable("transfers")).map_err(err)?;
        let inner = ds.shape()[1..].to_vec();
        append_to(&ds, f, &inner, &obs.transfers).map_err(err)?;
        append(
            file,
            &observable("events_by_rule"),
            f,
            &[self.n_rules],
            &obs.events_by_rule,
        )
        .map_err(err)?;
        append(file, &observable("null_events"), f, &[], &[obs.null_events]).map_err(err)?;
        for (name, value) in &obs.extra {
            append(file, &observable(name), f, &[], &[*value]).map_err(err)?;
        }
        for d in &obs.distributions {
            let ds = file.dataset(&observable(&d.name)).map_err(err)?;
            let bins = ds.shape().get(1).copied().unwrap_or(0);
            if bins != d.values.len() {
                return Err(Error::Output {
                    path: self.path.clone(),
                    message: format!(
                        "frame {}: distribution `{}` has {} bins, the file {bins}",
                        self.frames,
                        d.name,
                        d.values.len()
                    ),
                });
            }
            append_to(&ds, f, &[bins], &d.values).map_err(err)?;
        }
        let step = i64::try_from(frame.step).unwrap_or(i64::MAX);
        append(file, STEP, f, &[], &[step]).map_err(err)?;
        append(file, TIME, f, &[], &[frame.time]).map_err(err)?;
        file.flush().map_err(err)?;
        self.frames += 1;
        Ok(())
    }

    fn check_frame(&self, frame: &Frame) -> Result<()> {
        let obs = frame.observables;
        let bad = |what: &str, got: usize, want: usize| Error::Output {
            path: self.path.clone(),
            message: format!(
                "frame {}: {what} has {got} entries, expected {want}",
                self.frames
            ),
        };
        if frame.species.len() != self.n_sites {
            return Err(bad("species", frame.species.len(), self.n_sites));
        }
        for (what, values) in [
            ("species_counts", &obs.species_counts),
            ("evaporated", &obs.evaporated),
            ("deposited", &obs.deposited),
        ] {
            if values.len() != self.n_domain_species {
                return Err(bad(what, values.len(), self.n_domain_species));
            }
        }
        let n_transfers = self.n_domain_species * self.n_domains;
        if obs.transfers.len() != n_transfers {
            return Err(bad("transfers", obs.transfers.len(), n_transfers));
        }
        if obs.events_by_rule.len() != self.n_rules {
            return Err(bad(
                "events_by_rule",
                obs.events_by_rule.len(),
                self.n_rules,
            ));
        }
        let all_names = extra_names_of(obs);
        let names: Vec<&str> = all_names.iter().map(String::as_str).collect();
        if let Some(expected) = &self.extra_names {
            if names
                .iter()
                .copied()
                .ne(expected.iter().map(String::as_str))
            {
                return Err(Error::Output {
                    path: self.path.clone(),
                    message: format!(
                        "frame {}: extra observables {names:?} differ from those of the file {expected:?}",
                        self.frames
                    ),
                });
            }
        } else {
            for (i, name) in names.iter().enumerate() {
                let reason = if name.is_empty() || name.contains(['/', '.']) {
                    Some("names must be non-empty without `/` or `.`")
                } else if BUILTIN_OBSERVABLES.contains(name) {
                    Some("the name is a built-in observable")
                } else if names[..i].contains(name) {
                    Some("the name is repeated")
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Err(Error::Output {
                        path: self.path.clone(),
                        message: format!("extra observable `{name}`: {reason}"),
                    });
                }
            }
        }
        Ok(())
    }

    /// Sets `/parameters/status` (and flushes).
    ///
    /// # Errors
    /// [`Error::Output`] if HDF5 fails.
    pub fn set_status(&mut self, status: RunStatus) -> Result<()> {
        let err = |e: hdf5::Error| output_error(&self.path, "writing status", e);
        set_status_dataset(&self.file, status).map_err(err)?;
        self.file.flush().map_err(err)
    }

    /// Sets the final status, stores `summary` (e.g. wall time, events/s) as string
    /// attributes of `/parameters/summary`, and closes the file.
    ///
    /// The file leaves SWMR mode: it is closed and re-opened once without it, because SWMR
    /// does not allow creating objects.
    ///
    /// # Errors
    /// [`Error::Output`] if HDF5 fails.
    pub fn finish(self, status: RunStatus, summary: &[(String, String)]) -> Result<()> {
        self.finish_with_logs(status, summary, &[])
    }

    /// [`Self::finish`], also writing each log `(name, lines)` as a one-dimensional
    /// dataset of UTF-8 strings `/parameters/logs/<name>` (for records too long for an
    /// attribute, such as the history of acceleration factors).
    ///
    /// # Errors
    /// [`Error::Output`] if HDF5 fails or a name is empty or contains `/`.
    pub fn finish_with_logs(
        self,
        status: RunStatus,
        summary: &[(String, String)],
        logs: &[(String, Vec<String>)],
    ) -> Result<()> {
        let path = self.path.clone();
        let err = |e: hdf5::Error| output_error(&path, "finishing", e);
        set_status_dataset(&self.file, status).map_err(err)?;
        self.file.flush().map_err(err)?;
        self.file.close().map_err(err)?;
        let file = File::with_options()
            .with_fapl(|p| p.libver_latest())
            .open_rw(&path)
            .map_err(err)?;
        super::descriptor::close_on_exec(&file);
        let parameters = file.group("parameters").map_err(err)?;
        if parameters.link_exists("summary") {
            parameters.unlink("summary").map_err(err)?;
        }
        let group = parameters.create_group("summary").map_err(err)?;
        for (key, value) in summary {
            if key.is_empty() || key.contains('/') {
                return Err(Error::Output {
                    path: path.clone(),
                    message: format!("summary key `{key}` must be non-empty without `/`"),
                });
            }
            write_str_attr(&group, key, value).map_err(err)?;
        }
        if parameters.link_exists("logs") {
            parameters.unlink("logs").map_err(err)?;
        }
        if !logs.is_empty() {
            let group = parameters.create_group("logs").map_err(err)?;
            for (name, lines) in logs {
                if name.is_empty() || name.contains('/') {
                    return Err(Error::Output {
                        path: path.clone(),
                        message: format!("log name `{name}` must be non-empty without `/`"),
                    });
                }
                let values = lines
                    .iter()
                    .map(|l| to_varlen(l))
                    .collect::<hdf5::Result<Vec<_>>>()
                    .map_err(err)?;
                group
                    .new_dataset::<VarLenUnicode>()
                    .shape(values.len())
                    .create(name.as_str())
                    .and_then(|d| d.write(&values))
                    .map_err(err)?;
            }
        }
        file.close().map_err(err)
    }
}

/// Checks the lengths of the header arrays.
fn check_header(path: &Path, header: &TrajectoryHeader) -> Result<()> {
    let n = header.site_count();
    let bad = |message: String| {
        Err(Error::Output {
            path: path.to_path_buf(),
            message: format!("inconsistent trajectory header: {message}"),
        })
    };
    if header.site_kinds.len() != n || header.site_domains.len() != n {
        return bad(format!(
            "{n} positions, {} site kinds, {} site domains",
            header.site_kinds.len(),
            header.site_domains.len()
        ));
    }
    if header.species_elements.len() != header.species_names.len() {
        return bad("species_elements and species_names differ in length".into());
    }
    if header.species_names.is_empty() || header.species_names.len() > 256 {
        return bad("between 1 and 256 species are needed (ids are stored as u8)".into());
    }
    if let Some(k) = header
        .site_kinds
        .iter()
        .find(|&&k| usize::from(k) >= header.kind_names.len())
    {
        return bad(format!("site kind {k} has no name"));
    }
    if let Some(d) = header
        .site_domains
        .iter()
        .find(|&&d| usize::from(d) >= header.domain_names.len())
    {
        return bad(format!("site domain {d} has no name"));
    }
    Ok(())
}

pub(crate) fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Appends row `f` (shape `inner`) to the dataset at `path`, growing it to `f + 1` rows.
fn append<T: H5Type>(
    file: &File,
    path: &str,
    f: usize,
    inner: &[usize],
    data: &[T],
) -> hdf5::Result<()> {
    append_to(&file.dataset(path)?, f, inner, data)
}

/// Offsets `[frame, first site, 0]` of the position chunks of one frame.
fn position_chunk_offsets(frame: usize, n_sites: usize) -> Vec<[u64; 3]> {
    (0..n_sites.div_ceil(POSITION_CHUNK))
        .map(|k| [frame as u64, (k * POSITION_CHUNK) as u64, 0])
        .collect()
}

/// The stored (filtered) bytes of the position chunks of `frame`.
fn read_raw_chunks(ds: &Dataset, frame: usize, n_sites: usize) -> hdf5::Result<Vec<Vec<u8>>> {
    use hdf5_sys::h5d::H5Dread_chunk;
    use hdf5_sys::h5p::H5P_DEFAULT;
    unsafe extern "C" {
        // in libhdf5 since 1.10.2; not bound by hdf5-metno-sys.
        fn H5Dget_chunk_storage_size(
            dset_id: hdf5_sys::h5i::hid_t,
            offset: *const u64,
            chunk_bytes: *mut u64,
        ) -> hdf5_sys::h5::herr_t;
    }
    let mut chunks = Vec::new();
    for offset in position_chunk_offsets(frame, n_sites) {
        let bytes = hdf5::sync::sync(|| {
            let mut size: u64 = 0;
            // SAFETY: `ds` is an open dataset, `offset` has one entry per dimension and
            // `size` is a valid output location.
            if unsafe { H5Dget_chunk_storage_size(ds.id(), offset.as_ptr(), &raw mut size) } < 0 {
                return Err(hdf5::Error::from("cannot query a position chunk"));
            }
            let mut buf = vec![0u8; usize::try_from(size).unwrap_or(0)];
            let mut filters: u32 = 0;
            // SAFETY: `buf` holds the chunk's storage size, as the call requires.
            if unsafe {
                H5Dread_chunk(
                    ds.id(),
                    H5P_DEFAULT,
                    offset.as_ptr(),
                    &raw mut filters,
                    buf.as_mut_ptr().cast(),
                )
            } < 0
                || filters != 0
            {
                return Err(hdf5::Error::from("cannot read a position chunk"));
            }
            Ok(buf)
        })?;
        chunks.push(bytes);
    }
    Ok(chunks)
}

/// Writes stored (filtered) position chunks as the chunks of `frame`.
fn write_raw_chunks(ds: &Dataset, frame: usize, chunks: &[Vec<u8>]) -> hdf5::Result<()> {
    use hdf5_sys::h5d::H5Dwrite_chunk;
    use hdf5_sys::h5p::H5P_DEFAULT;
    let n_sites = ds.shape().get(1).copied().unwrap_or(0);
    for (offset, bytes) in position_chunk_offsets(frame, n_sites).iter().zip(chunks) {
        hdf5::sync::sync(|| {
            // SAFETY: `bytes` came from `H5Dread_chunk` on a chunk of the same dataset and
            // shape, with every filter applied (mask 0).
            let status = unsafe {
                H5Dwrite_chunk(
                    ds.id(),
                    H5P_DEFAULT,
                    0,
                    offset.as_ptr(),
                    bytes.len(),
                    bytes.as_ptr().cast(),
                )
            };
            if status < 0 {
                Err(hdf5::Error::from("cannot write a position chunk"))
            } else {
                Ok(())
            }
        })?;
    }
    Ok(())
}

fn append_to<T: H5Type>(ds: &Dataset, f: usize, inner: &[usize], data: &[T]) -> hdf5::Result<()> {
    let mut shape = vec![f + 1];
    shape.extend_from_slice(inner);
    ds.resize(shape.clone())?;
    let view = ArrayViewD::from_shape(
        IxDyn(
            &shape[..1]
                .iter()
                .map(|_| 1)
                .chain(inner.iter().copied())
                .collect::<Vec<_>>(),
        ),
        data,
    )
    .map_err(|e| hdf5::Error::from(format!("row shape: {e}")))?;
    let mut selection = vec![SliceOrIndex::SliceCount {
        start: f,
        step: 1,
        count: 1,
        block: 1,
    }];
    selection.extend(inner.iter().map(|&count| SliceOrIndex::SliceCount {
        start: 0,
        step: 1,
        count,
        block: 1,
    }));
    ds.write_slice(view, Hyperslab::from(selection))
}

/// Writes a scalar or 1-D string attribute.
pub(crate) fn write_str_attr(loc: &hdf5::Location, name: &str, value: &str) -> hdf5::Result<()> {
    let v: VarLenUnicode = to_varlen(value)?;
    loc.new_attr::<VarLenUnicode>()
        .create(name)?
        .write_scalar(&v)
}

pub(super) fn write_str_list_attr(
    loc: &hdf5::Location,
    name: &str,
    values: &[String],
) -> hdf5::Result<()> {
    let v = values
        .iter()
        .map(|s| to_varlen(s))
        .collect::<hdf5::Result<Vec<_>>>()?;
    loc.new_attr::<VarLenUnicode>()
        .shape(v.len())
        .create(name)?
        .write(&v)
}

pub(super) fn to_varlen(s: &str) -> hdf5::Result<VarLenUnicode> {
    s.parse::<VarLenUnicode>()
        .map_err(|e| hdf5::Error::from(format!("string {s:?}: {e}")))
}

pub(super) fn write_attr<T: H5Type>(
    loc: &hdf5::Location,
    name: &str,
    value: &T,
) -> hdf5::Result<()> {
    loc.new_attr::<T>().create(name)?.write_scalar(value)
}

pub(crate) fn write_array_attr<T: H5Type>(
    loc: &hdf5::Location,
    name: &str,
    values: &[T],
) -> hdf5::Result<()> {
    loc.new_attr::<T>()
        .shape(values.len())
        .create(name)?
        .write(values)
}

/// Creates a time-dependent element `name` in `parent`: a `value` dataset of shape
/// `[0.., inner...]` and hard links `step` and `time` to the master datasets.
pub(crate) fn create_element<T: H5Type>(
    parent: &Group,
    name: &str,
    inner: &[usize],
    chunk_inner: &[usize],
    chunk_frames: usize,
    compress: bool,
    unit: Option<&str>,
) -> hdf5::Result<Dataset> {
    let group = parent.create_group(name)?;
    let mut extents = vec![Extent::resizable(0)];
    extents.extend(inner.iter().map(|&d| Extent::fixed(d)));
    let mut chunk = vec![chunk_frames];
    chunk.extend_from_slice(chunk_inner);
    let mut builder = group.new_dataset::<T>().shape(extents).chunk(chunk);
    if compress {
        builder = builder.shuffle().deflate(DEFLATE_LEVEL);
    }
    let value = builder.create("value")?;
    if let Some(unit) = unit {
        write_str_attr(&value, "unit", unit)?;
    }
    group.link_hard(STEP, "step")?;
    group.link_hard(TIME, "time")?;
    Ok(value)
}

/// The names of a frame's extra observables: the scalars, then the distributions.
fn extra_names_of(obs: &super::FrameObservables) -> Vec<String> {
    obs.extra
        .iter()
        .map(|(n, _)| n.clone())
        .chain(obs.distributions.iter().map(|d| d.name.clone()))
        .collect()
}

/// Creates the datasets of the extra scalars (with their units) and distributions (with
/// their bin edges) of `obs` and records `names` in `/parameters@extra_observables`.
fn create_extra_observables(
    file: &File,
    obs: &super::FrameObservables,
    names: &[String],
) -> hdf5::Result<()> {
    let group = file.group("observables")?;
    let unit_of = |name: &str| {
        obs.extra_units
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, u)| u.as_str())
    };
    for (name, _) in &obs.extra {
        if !group.link_exists(name) {
            let value =
                create_element::<f64>(&group, name, &[], &[], FRAME_CHUNK, false, unit_of(name))?;
            write_attr(&value, "extra", &1u8)?;
        }
    }
    for d in &obs.distributions {
        if !group.link_exists(&d.name) {
            let bins = d.values.len();
            let value = create_element::<f64>(
                &group,
                &d.name,
                &[bins],
                &[bins.max(1)],
                FRAME_CHUNK.min(64),
                false,
                Some(&d.unit),
            )?;
            write_attr(&value, "extra", &1u8)?;
            write_array_attr(&value, "bin_edges", &d.edges)?;
            write_str_attr(&value, "bin_edges_unit", &d.edges_unit)?;
        }
    }
    let parameters = file.group("parameters")?;
    if let Ok(attr) = parameters.attr("extra_observables") {
        drop(attr);
        parameters.delete_attr("extra_observables")?;
    }
    write_str_list_attr(&parameters, "extra_observables", names)
}

/// Names of the extra observables stored in the file (`None` before the first frame).
fn stored_extra_names(file: &File) -> hdf5::Result<Option<Vec<String>>> {
    let parameters = file.group("parameters")?;
    if !parameters
        .attr_names()?
        .iter()
        .any(|n| n == "extra_observables")
    {
        return Ok(None);
    }
    let names: Vec<VarLenUnicode> = parameters.attr("extra_observables")?.read_raw()?;
    Ok(Some(names.iter().map(|s| s.as_str().to_string()).collect()))
}

/// Every per-frame `value` dataset of the file.
fn time_dependent_values(file: &File, extra: &[String]) -> hdf5::Result<Vec<Dataset>> {
    let mut paths: Vec<String> = ["species", "position", "box/edges"]
        .iter()
        .map(|n| format!("{PARTICLES}/{n}/value"))
        .collect();
    paths.extend(
        BUILTIN_OBSERVABLES
            .iter()
            .map(|n| format!("/observables/{n}/value")),
    );
    paths.extend(extra.iter().map(|n| format!("/observables/{n}/value")));
    paths.iter().map(|p| file.dataset(p)).collect()
}

pub(super) fn set_status_dataset(file: &File, status: RunStatus) -> hdf5::Result<()> {
    let value = FixedAscii::<16>::from_ascii(status.as_str())
        .map_err(|e| hdf5::Error::from(format!("status: {e}")))?;
    file.dataset("parameters/status")?.write(&[value])
}

/// FNV-1a hash of the site positions (bits), kinds and domains: a cheap exact identity of
/// the sites, compared by [`TrajectoryWriter::resume`].
pub(crate) fn sites_hash(header: &TrajectoryHeader) -> u64 {
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for p in &header.positions {
        for x in p {
            eat(&x.to_bits().to_le_bytes());
        }
    }
    for (k, d) in header.site_kinds.iter().zip(&header.site_domains) {
        eat(&k.to_le_bytes());
        eat(&d.to_le_bytes());
    }
    hash
}
