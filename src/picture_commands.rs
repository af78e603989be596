//! The picture subcommands of the binary: `nanokmc render` (synthetic HAADF-STEM images
//! and EDS-like maps of trajectory frames) and `nanokmc plot` (observables against time or
//! temperature). The work is done by [`nanokmc::render`] and [`nanokmc::plot`]; this file
//! turns options into settings (`docs/render.md`).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use nanokmc::output::FrameSelection;
use nanokmc::plot::sources::{self, XAxis};
use nanokmc::plot::{self, Guides};
use nanokmc::render::colour::{self, Colour};
use nanokmc::render::view::ZoneAxis;
use nanokmc::render::{self, RenderSettings};

/// Options of `nanokmc render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A trajectory written by `nanokmc run`.
    pub file: PathBuf,
    /// Frames: `all`, `last` (or `-1`), `K`, a list `0,5,10`, or `START:END[:STRIDE]`.
    #[arg(
        long,
        value_name = "SELECTION",
        default_value = "last",
        allow_hyphen_values = true
    )]
    pub frames: String,
    /// Zone axis (beam direction): in the box frame `x`, `y`, `z` or `u,v,w` (e.g. `1,1,0`); or
    /// a direction of a domain's crystal, `DOMAIN:[uvw]` or `DOMAIN:[UVTW]` (e.g. `top:[2-1-10]`).
    #[arg(long, value_name = "AXIS", default_value = "z")]
    pub axis: String,
    /// Pixel size [Å].
    #[arg(long, value_name = "ANGSTROM", default_value_t = 0.2)]
    pub pixel: f64,
    /// Probe full width at half maximum [Å] (0: no blur).
    #[arg(long, value_name = "ANGSTROM", default_value_t = 1.0)]
    pub probe: f64,
    /// Exponent n of the HAADF Z-contrast (intensity ∝ Zⁿ).
    #[arg(long, value_name = "N", default_value_t = 1.7)]
    pub exponent: f64,
    /// Electron dose counted at the brightest column [e/Å²]: adds Poisson shot noise.
    #[arg(long, value_name = "E_PER_A2")]
    pub dose: Option<f64>,
    /// Seed of the shot noise.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also write the EDS-like colour composite of the elemental maps.
    #[arg(long)]
    pub eds: bool,
    /// X-ray counts collected at the brightest pixel of each EDS map: adds Poisson noise to
    /// the maps (needs --eds).
    #[arg(long, value_name = "N")]
    pub eds_counts: Option<f64>,
    /// Colours of the EDS maps by species: `A=red,B=#00ff00` (default red, green, blue, …).
    #[arg(long, value_name = "NAME=COLOUR,...")]
    pub colors: Option<String>,
    /// Atomic numbers by species name or element, for pseudo-elements: `A=29,B=48`.
    #[arg(long, value_name = "NAME=Z,...")]
    pub z: Option<String>,
    /// Directory of the PNG files [default: next to the trajectory].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Do not write PNG files (only the GIF).
    #[arg(long, requires = "gif")]
    pub no_png: bool,
    /// Write an animated GIF of the selected frames (HAADF, with `--eds` side by side with
    /// the composite).
    #[arg(long, value_name = "FILE.gif")]
    pub gif: Option<PathBuf>,
    /// Frames per second of the GIF.
    #[arg(long, default_value_t = 5.0)]
    pub fps: f64,
    /// Enlargement of the pictures (each image pixel drawn as ZOOM × ZOOM) [default:
    /// automatic, longer side ≥ 600 pixels].
    #[arg(long)]
    pub zoom: Option<usize>,
}

/// Options of `nanokmc plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// A trajectory written by `nanokmc run`, or a CSV file (header `time,temperature,…`).
    pub file: PathBuf,
    /// Observables (trajectory) or columns (CSV) to plot; repeat the option for several
    /// [default: `species_counts` for a trajectory, every column for a CSV].
    #[arg(long, value_name = "NAME")]
    pub observable: Vec<String>,
    /// What the x axis shows.
    #[arg(long, value_parser = ["time", "temperature"], default_value = "time")]
    pub x: String,
    /// Logarithmic y axis.
    #[arg(long)]
    pub log_y: bool,
    /// Output file, `.png` or `.svg` [default: the input's name with `.png`].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// A missing input file is bad input (exit code 2), not a run-time failure.
fn check_input_file(path: &std::path::Path) -> Result<()> {
    if path.is_file() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(crate::cli::BadInput(format!(
            "{}: no such file",
            path.display()
        ))))
    }
}

/// `nanokmc render`.
///
/// # Errors
/// Bad options (exit code 2), an unreadable trajectory, or pictures that cannot be written.
pub fn run_render(args: &RenderArgs) -> Result<()> {
    check_input_file(&args.file)?;
    let out_dir = args.out_dir.clone().unwrap_or_else(|| {
        args.file
            .parent()
            .map_or_else(|| PathBuf::from("."), PathBuf::from)
    });
    let mut settings = RenderSettings::new(out_dir);
    settings.frames = FrameSelection::parse(&args.frames)?;
    settings.axis = ZoneAxis::parse(&args.axis)?;
    settings.pixel = args.pixel;
    settings.probe = args.probe;
    settings.exponent = args.exponent;
    settings.dose = args.dose;
    settings.seed = args.seed;
    settings.eds = args.eds;
    settings.eds_counts = args.eds_counts;
    if let Some(text) = &args.colors {
        settings.colours = colour::parse_assignments(text, "colors")?
            .into_iter()
            .map(|(name, value)| Colour::parse(&value).map(|c| (name, c)))
            .collect::<nanokmc::Result<_>>()?;
    }
    if let Some(text) = &args.z {
        settings.atomic_numbers = colour::parse_assignments(text, "z")?
            .into_iter()
            .map(|(name, value)| match value.parse::<u32>() {
                Ok(z) if (1..=118).contains(&z) => Ok((name, z)),
                _ => Err(anyhow::anyhow!(crate::cli::BadInput(format!(
                    "option --z: `{name}={value}`: the atomic number must be an integer from 1 to 118"
                )))),
            })
            .collect::<Result<_>>()?;
    }
    settings.png = !args.no_png;
    settings.gif.clone_from(&args.gif);
    settings.fps = args.fps;
    settings.zoom = args.zoom;
    for path in render::render(&args.file, &settings)? {
        outln!("wrote {}", path.display());
    }
    Ok(())
}

/// `nanokmc plot`.
///
/// # Errors
/// Bad options or an unknown observable (exit code 2), an unreadable input, or a plot that
/// cannot be written.
pub fn run_plot(args: &PlotArgs) -> Result<()> {
    check_input_file(&args.file)?;
    let axis = if args.x == "temperature" {
        XAxis::Temperature
    } else {
        XAxis::Time
    };
    let is_csv = args
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let data = if is_csv {
        sources::from_csv(&args.file, &args.observable, axis)?
    } else {
        sources::from_trajectory(&args.file, &args.observable, axis)?
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.file.with_extension("png"));
    let guides = Guides {
        log_y: args.log_y,
        ..Guides::default()
    };
    plot::plot_series(
        &out,
        &data.title,
        &data.x_label,
        &data.y_label,
        &data.series,
        &guides,
    )?;
    outln!("wrote {}", out.display());
    Ok(())
}
