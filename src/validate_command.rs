//! `nanokmc validate`: runs the claims of a folder and writes the report
//! ([`nanokmc::validate`], format in `docs/validation.md`).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use nanokmc::validate::{self, Status, ValidateOptions, report};

/// Options of `nanokmc validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The folder of claim files (`*.toml`; their scenarios and potentials in subfolders).
    pub dir: PathBuf,
    /// Every claim at reduced size and replicas (its `[quick]` table): a fast but real test.
    #[arg(long)]
    pub quick: bool,
    /// Run only these claims: names, or prefixes ending in `*` (`--only 'a2_*'`); a
    /// comma-separated list, or the option repeated.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub only: Vec<String>,
    /// The report [default: `<dir>/report.md`]; the CSV series go to `<report stem>_data/`.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// Folder for the trajectories [default: `target/validate`].
    #[arg(long, value_name = "DIR", default_value = "target/validate")]
    pub work: PathBuf,
    /// Worker threads; replicas run in parallel [default: one per core].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Exit with 0 when no claim fails even if some are skipped.
    #[arg(long)]
    pub allow_skipped: bool,
}

/// `nanokmc validate`: 0 when every claim passes (or is skipped, with `--allow-skipped`),
/// else 1.
///
/// # Errors
/// Bad claim files and scenarios (exit code 2), run and output failures.
pub fn run_validate(args: &ValidateArgs) -> Result<u8> {
    let options = ValidateOptions {
        quick: args.quick,
        only: args.only.clone(),
        work: args.work.clone(),
        threads: args.threads,
        verbose: true,
    };
    let started = std::time::Instant::now();
    let result = validate::run(&args.dir, &options)?;
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| args.dir.join("report.md"));
    report::write(&result, &report_path)?;
    let (pass, fail, skipped) = (
        result.count(&Status::Pass),
        result.count(&Status::Fail),
        result.count(&Status::Skipped),
    );
    outln!(
        "{pass} pass, {fail} fail, {skipped} skipped in {:.1} s; report {}",
        started.elapsed().as_secs_f64(),
        report_path.display()
    );
    let ok = fail == 0 && (skipped == 0 || args.allow_skipped);
    Ok(u8::from(!ok))
}
