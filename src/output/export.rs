//! Export of a trajectory to extended XYZ (OVITO, ASE) or to an XDMF sidecar (`ParaView`).
//!
//! - **Extended XYZ**: one block per selected frame, vacancies omitted; columns
//!   `species:S:1:pos:R:3:domain:I:1:kind:I:1` (chemical symbol, position [Å], domain id,
//!   site kind id); the comment line carries `Lattice`, `pbc`, `Time` [s], `Step` and
//!   `BoxOrigin`. Positions are written relative to the box origin, so the atoms sit inside
//!   the cell for every reader (ASE ignores the `Origin` key that OVITO reads); add
//!   `BoxOrigin` to get the trajectory's absolute positions back.
//! - **XDMF 3**: a small XML file `X.xdmf` and a companion HDF5 file `X.xdmf.h5` beside it:
//!   a temporal collection of polyvertex grids over all sites, with `species`, `kind` and
//!   `domain` as node attributes (threshold `species ≥ 1` in `ParaView` to hide vacancies).
//!   The companion holds the positions, kinds and domains once and the species of each
//!   exported frame as its own 1-D dataset, so that the XML needs no hyperslab: `ParaView`'s
//!   default Xdmf3 readers do not read hyperslabs of the trajectory's `[frames, sites]`
//!   datasets (they load 0 points), while plain datasets are read by the Xdmf3 and the
//!   legacy XDMF readers alike. It describes the frames present at export time; export
//!   again after the run has grown.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::h5md::{STEP, TIME, output_error, to_usize};
use super::reader::{self, OpenedFile, input_error, particle_path, read_str_list_attr};
use crate::error::{Error, Result};

/// Output format of [`export`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Extended XYZ (`.xyz`), readable by OVITO and ASE.
    Xyz,
    /// XDMF 3 sidecar (`.xdmf`) referencing the HDF5 datasets, readable by `ParaView`.
    Xdmf,
}

/// Which frames to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameSelection {
    /// Every frame.
    All,
    /// Frames `start, start + stride, …` below `end` (all remaining frames if `None`).
    Range {
        /// First frame.
        start: u64,
        /// One past the last frame, or `None` for the end of the file.
        end: Option<u64>,
        /// Step between frames (≥ 1).
        stride: u64,
    },
    /// Explicit frame indices, in the order given; negative ones count from the end
    /// (`-1` or `last` is the last frame).
    List(Vec<i64>),
    /// The last frame (`-1` or `last` on the command line).
    Last,
}

impl FrameSelection {
    /// Parses command-line text: `all` (or empty), `5`, `-1` or `last`, lists `1,4,9` (whose
    /// entries may be `last` or negative, counted from the end: `0,last`, `0,-2,-1`), and
    /// Python-like ranges `start:end`, `start:end:stride`, `:end`, `start:`, `::stride`.
    ///
    /// # Errors
    /// [`Error::Input`] (key `frames`) naming the text and the accepted forms.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let bad = |why: &str| {
            input_error(
                Path::new("<command line>"),
                "frames",
                format!(
                    "invalid frame selection `{text}`: {why} (expected `all`, `last`, `5`, `-1`, `1,4,9`, `0,last`, `0:10`, `0:10:2` or `::5`)"
                ),
            )
        };
        let number = |s: &str| -> Result<u64> {
            s.trim()
                .parse::<u64>()
                .map_err(|_| bad(&format!("`{}` is not a frame index", s.trim())))
        };
        if text.is_empty() || text.eq_ignore_ascii_case("all") {
            return Ok(FrameSelection::All);
        }
        if text == "-1" || text.eq_ignore_ascii_case("last") {
            return Ok(FrameSelection::Last);
        }
        if text.contains(':') {
            let parts: Vec<&str> = text.split(':').collect();
            if parts.len() > 3 {
                return Err(bad("too many `:`"));
            }
            let field = |i: usize| -> Result<Option<u64>> {
                match parts.get(i).map(|s| s.trim()) {
                    None | Some("") => Ok(None),
                    Some(s) => number(s).map(Some),
                }
            };
            let start = field(0)?.unwrap_or(0);
            let end = field(1)?;
            let stride = field(2)?.unwrap_or(1);
            if stride == 0 {
                return Err(bad("the stride must be at least 1"));
            }
            if end.is_some_and(|e| e < start) {
                return Err(bad("the end is before the start"));
            }
            if start == 0 && end.is_none() && stride == 1 {
                return Ok(FrameSelection::All);
            }
            return Ok(FrameSelection::Range { start, end, stride });
        }
        let list = text
            .split(',')
            .map(|s| {
                let s = s.trim();
                if s.eq_ignore_ascii_case("last") {
                    return Ok(-1);
                }
                s.parse::<i64>()
                    .map_err(|_| bad(&format!("`{s}` is not a frame index")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(FrameSelection::List(list))
    }

    /// The frame indices selected in a file of `frames` frames.
    ///
    /// # Errors
    /// [`Error::Input`] if an explicit index is out of range or nothing is selected.
    pub fn resolve(&self, frames: u64, path: &Path) -> Result<Vec<u64>> {
        let selected: Vec<u64> = match self {
            FrameSelection::All => (0..frames).collect(),
            FrameSelection::Range { start, end, stride } => {
                let end = end.map_or(frames, |e| e.min(frames));
                (*start..end)
                    .step_by(usize::try_from(*stride).unwrap_or(usize::MAX).max(1))
                    .collect()
            }
            FrameSelection::List(list) => {
                let mut out = Vec::with_capacity(list.len());
                for &f in list {
                    let index = if f < 0 {
                        frames.checked_sub(f.unsigned_abs())
                    } else {
                        u64::try_from(f).ok().filter(|&i| i < frames)
                    };
                    let Some(index) = index else {
                        return Err(input_error(
                            path,
                            "frames",
                            format!("frame {f} does not exist: the file holds {frames} frames"),
                        ));
                    };
                    out.push(index);
                }
                out
            }
            FrameSelection::Last => frames.checked_sub(1).into_iter().collect(),
        };
        if selected.is_empty() {
            return Err(input_error(
                path,
                "frames",
                format!("the selection {self:?} contains no frame (the file holds {frames})"),
            ));
        }
        Ok(selected)
    }
}

/// Writes `out` (or the input path with extension `.xyz` / `.xdmf`) for the selected frames
/// and returns the paths written.
///
/// # Errors
/// [`Error::Io`] if the input is missing or the output cannot be written, [`Error::Input`]
/// for a foreign file or a bad selection, [`Error::Output`] if a dataset cannot be read.
pub fn export(
    path: &Path,
    format: ExportFormat,
    frames: &FrameSelection,
    out: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    let OpenedFile { file, .. } = reader::open(path, false)?;
    let total = reader::frame_count(path, &file)?;
    let selected = frames.resolve(total, path)?;
    let extension = match format {
        ExportFormat::Xyz => "xyz",
        ExportFormat::Xdmf => "xdmf",
    };
    let target = out.map_or_else(|| path.with_extension(extension), Path::to_path_buf);
    let mut written = vec![target.clone()];
    let text = match format {
        ExportFormat::Xyz => xyz_text(path, &file, &selected)?,
        ExportFormat::Xdmf => {
            let companion = xdmf_companion(&target);
            write_xdmf_companion(path, &file, &selected, &companion)?;
            let text = xdmf_text(path, &file, &selected, &companion)?;
            written.push(companion);
            text
        }
    };
    let io = |source| Error::Io {
        path: target.clone(),
        source,
    };
    let mut handle = std::fs::File::create(&target).map_err(io)?;
    handle.write_all(text.as_bytes()).map_err(io)?;
    handle.sync_all().map_err(io)?;
    Ok(written)
}

/// The HDF5 file written beside an XDMF sidecar `X.xdmf`: `X.xdmf.h5`.
#[must_use]
pub fn xdmf_companion(xdmf: &Path) -> PathBuf {
    let mut name = xdmf.as_os_str().to_owned();
    name.push(".h5");
    PathBuf::from(name)
}

/// Name of the dataset holding the species of trajectory frame `frame` in the companion.
fn companion_species(frame: u64) -> String {
    format!("species/frame_{frame:06}")
}

/// Writes the companion of an XDMF sidecar: `/position` [N, 3] f32 (Å), `/kind` and
/// `/domain` [N] u16, and `species/frame_<k>` [N] u8 for each selected frame (compressed),
/// reading one frame at a time.
fn write_xdmf_companion(
    path: &Path,
    file: &hdf5::File,
    selected: &[u64],
    companion: &Path,
) -> Result<()> {
    let read = |e: hdf5::Error| output_error(path, "reading frames", e);
    let write = |e: hdf5::Error| output_error(companion, "writing the XDMF companion", e);
    let sites = read_sites(path, file, to_usize(selected[0]))?;
    let n = sites.kinds.len();
    if companion.exists() {
        std::fs::remove_file(companion).map_err(|source| Error::io(companion, source))?;
    }
    let out = hdf5::File::create_excl(companion).map_err(write)?;
    super::descriptor::close_on_exec(&out);
    out.new_dataset::<f32>()
        .shape([n, 3])
        .create("position")
        .and_then(|d| d.write_raw(&sites.positions))
        .map_err(write)?;
    for (name, values) in [("kind", &sites.kinds), ("domain", &sites.domains)] {
        out.new_dataset::<u16>()
            .shape([n])
            .create(name)
            .and_then(|d| d.write_raw(values))
            .map_err(write)?;
    }
    let species_ds = file
        .dataset(&particle_path("species/value"))
        .map_err(read)?;
    out.create_group("species").map_err(write)?;
    for &frame in selected {
        let species: Vec<u8> = species_ds
            .read_slice_1d::<u8, _>(ndarray::s![to_usize(frame), ..])
            .map_err(read)?
            .to_vec();
        out.new_dataset::<u8>()
            .shape([n])
            .chunk([n.clamp(1, 1 << 20)])
            .shuffle()
            .deflate(4)
            .create(companion_species(frame).as_str())
            .and_then(|d| d.write_raw(&species))
            .map_err(write)?;
    }
    out.flush().map_err(write)?;
    Ok(())
}

/// Site data common to all frames.
struct Sites {
    positions: Vec<f32>,
    kinds: Vec<u16>,
    domains: Vec<u16>,
    elements: Vec<String>,
    edges: [f64; 9],
    origin: Vec<f64>,
    periodic: [bool; 3],
}

fn read_sites(path: &Path, file: &hdf5::File, frame: usize) -> Result<Sites> {
    let err = |e: hdf5::Error| output_error(path, "reading sites", e);
    let positions: Vec<f32> = file
        .dataset(&particle_path("position/value"))
        .and_then(|d| d.read_slice::<f32, _, ndarray::Ix2>(ndarray::s![frame, .., ..]))
        .map_err(err)?
        .iter()
        .copied()
        .collect();
    let kinds: Vec<u16> = file
        .dataset(&particle_path("kind"))
        .and_then(|d| d.read_raw())
        .map_err(err)?;
    let domains: Vec<u16> = file
        .dataset(&particle_path("domain"))
        .and_then(|d| d.read_raw())
        .map_err(err)?;
    let parameters = file.group("parameters").map_err(err)?;
    let elements = read_str_list_attr(&parameters, "species_elements").map_err(err)?;
    let edges_row: Vec<f64> = file
        .dataset(&particle_path("box/edges/value"))
        .and_then(|d| d.read_slice::<f64, _, ndarray::Ix2>(ndarray::s![frame, .., ..]))
        .map_err(err)?
        .iter()
        .copied()
        .collect();
    let mut edges = [0.0; 9];
    if edges_row.len() == 9 {
        edges.copy_from_slice(&edges_row);
    }
    let simulation_box = file.group(&particle_path("box")).map_err(err)?;
    let origin: Vec<f64> = simulation_box
        .attr("origin")
        .and_then(|a| a.read_raw())
        .map_err(err)?;
    let boundary = read_str_list_attr(&simulation_box, "boundary").map_err(err)?;
    let mut periodic = [false; 3];
    for (p, b) in periodic.iter_mut().zip(&boundary) {
        *p = b == "periodic";
    }
    if positions.len() != 3 * kinds.len() || domains.len() != kinds.len() {
        return Err(input_error(
            path,
            "particles",
            "inconsistent site datasets (position, kind, domain lengths differ)",
        ));
    }
    Ok(Sites {
        positions,
        kinds,
        domains,
        elements,
        edges,
        origin,
        periodic,
    })
}

fn xyz_text(path: &Path, file: &hdf5::File, selected: &[u64]) -> Result<String> {
    let err = |e: hdf5::Error| output_error(path, "reading frames", e);
    let sites = read_sites(path, file, to_usize(selected[0]))?;
    let species_ds = file.dataset(&particle_path("species/value")).map_err(err)?;
    let steps = file.dataset(STEP).map_err(err)?;
    let times = file.dataset(TIME).map_err(err)?;
    let lattice = sites
        .edges
        .iter()
        .map(|x| format!("{x:.8}"))
        .collect::<Vec<_>>()
        .join(" ");
    let origin = sites
        .origin
        .iter()
        .map(|x| format!("{x:.8}"))
        .collect::<Vec<_>>()
        .join(" ");
    let pbc = sites.periodic.map(|p| if p { "T" } else { "F" }).join(" ");
    let mut text = String::new();
    for &frame in selected {
        let f = to_usize(frame);
        let species: Vec<u8> = species_ds
            .read_slice_1d::<u8, _>(ndarray::s![f, ..])
            .map_err(err)?
            .to_vec();
        let step: i64 = steps.read_slice_1d::<i64, _>(f..=f).map_err(err)?[0];
        let time: f64 = times.read_slice_1d::<f64, _>(f..=f).map_err(err)?[0];
        let atoms = species.iter().filter(|&&s| s != 0).count();
        // Writing into a String cannot fail.
        let _ = writeln!(text, "{atoms}");
        let _ = writeln!(
            text,
            "Lattice=\"{lattice}\" BoxOrigin=\"{origin}\" Properties=species:S:1:pos:R:3:domain:I:1:kind:I:1 Time={time:e} Step={step} Frame={frame} pbc=\"{pbc}\""
        );
        for (site, &s) in species.iter().enumerate() {
            if s == 0 {
                continue;
            }
            let element = sites
                .elements
                .get(usize::from(s))
                .map_or("X", String::as_str);
            let p = &sites.positions[3 * site..3 * site + 3];
            let r = |i: usize| f64::from(p[i]) - sites.origin.get(i).copied().unwrap_or(0.0);
            let _ = writeln!(
                text,
                "{element} {:.6} {:.6} {:.6} {} {}",
                r(0),
                r(1),
                r(2),
                sites.domains[site],
                sites.kinds[site]
            );
        }
    }
    Ok(text)
}

fn xdmf_text(path: &Path, file: &hdf5::File, selected: &[u64], companion: &Path) -> Result<String> {
    let err = |e: hdf5::Error| output_error(path, "reading frames", e);
    let n = file
        .dataset(&particle_path("kind"))
        .map_err(err)?
        .shape()
        .first()
        .copied()
        .unwrap_or(0);
    let times: Vec<f64> = file.dataset(TIME).and_then(|d| d.read_raw()).map_err(err)?;
    // The companion sits beside the sidecar and is named relative to it.
    let h5_name = xml_escape(
        &companion
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let item = |dims: &str, number: &str, precision: u8, dataset: &str| {
        format!(
            "<DataItem Dimensions=\"{dims}\" NumberType=\"{number}\" Precision=\"{precision}\" Format=\"HDF\">{h5_name}:/{dataset}</DataItem>"
        )
    };
    let mut text = String::from(
        "<?xml version=\"1.0\" ?>\n<Xdmf Version=\"3.0\">\n<Domain>\n<Grid Name=\"trajectory\" GridType=\"Collection\" CollectionType=\"Temporal\">\n",
    );
    for &frame in selected {
        let time = times.get(to_usize(frame)).copied().unwrap_or(f64::NAN);
        let _ = write!(
            text,
            "<Grid Name=\"frame {frame}\" GridType=\"Uniform\">\n<Time Value=\"{time:e}\"/>\n\
             <Topology TopologyType=\"Polyvertex\" NumberOfElements=\"{n}\" NodesPerElement=\"1\"/>\n\
             <Geometry GeometryType=\"XYZ\">\n{}\n</Geometry>\n\
             <Attribute Name=\"species\" AttributeType=\"Scalar\" Center=\"Node\">\n{}\n</Attribute>\n",
            item(&format!("{n} 3"), "Float", 4, "position"),
            item(&n.to_string(), "UChar", 1, &companion_species(frame)),
        );
        for name in ["kind", "domain"] {
            let _ = write!(
                text,
                "<Attribute Name=\"{name}\" AttributeType=\"Scalar\" Center=\"Node\">\n{}\n</Attribute>\n",
                item(&n.to_string(), "UInt", 2, name)
            );
        }
        text.push_str("</Grid>\n");
    }
    text.push_str("</Grid>\n</Domain>\n</Xdmf>\n");
    Ok(text)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
