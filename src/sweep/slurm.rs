//! Slurm job scripts for a sweep (`nanokmc sweep FILE --slurm`): a job array whose tasks
//! each run a block of the sweep's runs, a merge job that waits for them, and a submit
//! script. Nothing of Slurm is needed to write them; `docs/cluster.md` shows the workflow.
//!
//! Written into `<sweep>/slurm/`:
//! - `sweep.sbatch`: the array (`--array=0-(T-1)`, one task per block of
//!   `--runs-per-task` runs). A task runs `nanokmc sweep FILE --task $SLURM_ARRAY_TASK_ID
//!   --walltime W`; the sweep stops its runs with checkpoints 5 % (at most 5 min) before
//!   the walltime and exits with code 3. The task then submits itself again for the same
//!   array index (`sbatch --array=K sweep.sbatch`), records the new job id in
//!   `slurm/resubmitted`, and ends with 0; the new job continues every run from its
//!   checkpoint, bit for bit. After `MAX_RESUBMIT` resubmissions of one task it stops with
//!   an error (a run that cannot progress within the walltime).
//! - `merge.sbatch`: submitted with `--dependency=afterany:<array>`. When it starts, it
//!   first looks at `slurm/resubmitted`: if tasks were resubmitted since it last looked, it
//!   submits itself again depending on those jobs and ends; otherwise every task is done
//!   and it runs `nanokmc merge` (which refuses, with an error in the job's log, when a run
//!   failed).
//! - `submit.sh`: submits both (`bash <sweep>/slurm/submit.sh`).
//!
//! The binary is found through `$NANOKMC` when set at job time, else the absolute path of
//! the `nanokmc` that wrote the scripts.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::plan::SweepPlan;
use crate::error::{Error, Result};

/// Resubmissions of one array task at most.
pub const MAX_RESUBMIT: u32 = 100;

/// Options of the generated scripts.
#[derive(Debug, Clone)]
pub struct SlurmOptions {
    /// The walltime of each task, as Slurm writes it (`HH:MM:SS` or `D-HH:MM:SS`).
    pub walltime: String,
    /// The same in seconds (checked > 0).
    pub walltime_seconds: u64,
    /// Runs per array task.
    pub runs_per_task: usize,
    /// CPUs per task (the task's runs go in parallel on them).
    pub cpus_per_task: usize,
    /// Memory per task, as Slurm writes it (`4G`), if given.
    pub memory: Option<String>,
    /// `--partition`, if given.
    pub partition: Option<String>,
    /// `--account`, if given.
    pub account: Option<String>,
    /// Further `#SBATCH` options, each as written after `#SBATCH ` (e.g. `--qos=long`).
    pub extra: Vec<String>,
    /// `--checkpoint-every` passed to the tasks, if given.
    pub checkpoint_every: Option<String>,
    /// The walltime of the merge job.
    pub merge_walltime: String,
    /// The `nanokmc` binary (absolute).
    pub binary: PathBuf,
}

/// The files written.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmFiles {
    /// The array job script.
    pub array: PathBuf,
    /// The merge job script.
    pub merge: PathBuf,
    /// The submit script.
    pub submit: PathBuf,
    /// Array tasks.
    pub tasks: usize,
}

/// `text` quoted for the shell (single quotes).
#[must_use]
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn quote_path(p: &Path) -> String {
    quote(&p.display().to_string())
}

/// Checks a Slurm time `[D-]HH:MM:SS`, `MM:SS` or minutes; returns seconds.
///
/// # Errors
/// A message saying what Slurm would not accept.
pub fn slurm_seconds(text: &str) -> std::result::Result<u64, String> {
    let bad = || format!("`{text}` is not a Slurm time ([D-]HH:MM:SS, MM:SS or minutes)");
    let (days, rest) = match text.split_once('-') {
        Some((d, r)) => (d.trim().parse::<u64>().map_err(|_| bad())?, r),
        None => (0, text),
    };
    let parts: Vec<u64> = rest
        .split(':')
        .map(|p| p.trim().parse::<u64>().map_err(|_| bad()))
        .collect::<std::result::Result<_, _>>()?;
    let seconds = match parts.as_slice() {
        [m] if days == 0 => m * 60,
        [h] => h * 3600,
        [m, s] if days == 0 => m * 60 + s,
        [h, m] => h * 3600 + m * 60,
        [h, m, s] => h * 3600 + m * 60 + s,
        _ => return Err(bad()),
    };
    let total = days * 86_400 + seconds;
    if total == 0 {
        return Err(format!("`{text}` is no time at all"));
    }
    Ok(total)
}

fn header(o: &SlurmOptions, name: &str, walltime: &str) -> String {
    let mut s = String::from("#!/bin/bash\n");
    let _ = writeln!(s, "#SBATCH --job-name={name}");
    let _ = writeln!(s, "#SBATCH --time={walltime}");
    let _ = writeln!(s, "#SBATCH --open-mode=append");
    if let Some(p) = &o.partition {
        let _ = writeln!(s, "#SBATCH --partition={p}");
    }
    if let Some(a) = &o.account {
        let _ = writeln!(s, "#SBATCH --account={a}");
    }
    for e in &o.extra {
        let _ = writeln!(s, "#SBATCH {e}");
    }
    s
}

/// Writes the scripts of `plan` into `<out>/slurm/` (and creates `slurm/logs/`).
///
/// # Errors
/// [`Error::Io`] when a file cannot be written.
// three scripts written one after the other
#[allow(clippy::too_many_lines)]
pub fn write_scripts(plan: &SweepPlan, o: &SlurmOptions) -> Result<SlurmFiles> {
    let dir = plan.out.join("slurm");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| Error::io(&logs, e))?;
    let per = o.runs_per_task.max(1);
    let tasks = plan.runs.len().div_ceil(per);
    let array = dir.join("sweep.sbatch");
    let merge = dir.join("merge.sbatch");
    let submit = dir.join("submit.sh");
    let sweep_file = std::path::absolute(plan.spec.source.path())
        .unwrap_or_else(|_| plan.spec.source.path().to_path_buf());
    let name = format!("nanokmc-{}", plan.spec.name);
    let common = format!(
        "NANOKMC=\"${{NANOKMC:-{}}}\"\nSWEEP={}\nOUT={}\n",
        quote_path(&o.binary).trim_matches('\''),
        quote_path(&sweep_file),
        quote_path(&plan.out),
    );

    // the array job.
    let mut a = header(o, &name, &o.walltime);
    let _ = writeln!(a, "#SBATCH --array=0-{}", tasks - 1);
    let _ = writeln!(a, "#SBATCH --ntasks=1");
    let _ = writeln!(a, "#SBATCH --cpus-per-task={}", o.cpus_per_task.max(1));
    if let Some(m) = &o.memory {
        let _ = writeln!(a, "#SBATCH --mem={m}");
    }
    let _ = writeln!(a, "#SBATCH --output={}/task-%A_%a.out", logs.display());
    let _ = write!(
        a,
        "#
# nanokmc sweep `{sweep}`: {runs} runs ({points} points × {replicas} replicas), {per} run(s)
# per array task, {tasks} task(s). Written by `{version} sweep --slurm`; see docs/cluster.md.
# A task that reaches its walltime stops its runs with checkpoints (exit code 3) and
# submits itself again for the same array index; the new job continues bit for bit.
set -u
{common}SCRIPT={script}
TASK=\"${{SLURM_ARRAY_TASK_ID:?this script is a Slurm array job: submit it with sbatch}}\"
MAX_RESUBMIT={max}
ATTEMPTS=\"$OUT/slurm/attempts.$TASK\"

\"$NANOKMC\" sweep \"$SWEEP\" --out \"$OUT\" --task \"$TASK\" --runs-per-task {per} \\
    --walltime {walltime} --threads \"${{SLURM_CPUS_PER_TASK:-1}}\"{checkpoint}
code=$?
if [ \"$code\" -eq 3 ]; then
    done_so_far=0
    [ -f \"$ATTEMPTS\" ] && done_so_far=$(wc -l < \"$ATTEMPTS\")
    if [ \"$done_so_far\" -ge \"$MAX_RESUBMIT\" ]; then
        echo \"nanokmc: task $TASK stopped at its walltime $MAX_RESUBMIT times; not resubmitting\" >&2
        exit 1
    fi
    job=$(sbatch --parsable --array=\"$TASK\" \"$SCRIPT\") || {{
        echo \"nanokmc: could not resubmit task $TASK (its checkpoints are kept: submit $SCRIPT again)\" >&2
        exit 1
    }}
    job=\"${{job%%;*}}\"
    echo \"$job\" >> \"$ATTEMPTS\"
    echo \"$job\" >> \"$OUT/slurm/resubmitted\"
    echo \"nanokmc: task $TASK continues in job $job\"
    exit 0
fi
exit \"$code\"
",
        sweep = plan.spec.name,
        runs = plan.runs.len(),
        points = plan.points.len(),
        replicas = plan.replicas,
        version = crate::run::program_version(),
        script = quote_path(&array),
        max = MAX_RESUBMIT,
        walltime = quote(&o.walltime),
        checkpoint = o
            .checkpoint_every
            .as_ref()
            .map(|c| format!(" \\\n    --checkpoint-every {}", quote(c)))
            .unwrap_or_default(),
    );

    // the merge job.
    let mut m = header(o, &format!("{name}-merge"), &o.merge_walltime);
    let _ = writeln!(m, "#SBATCH --ntasks=1");
    let _ = writeln!(m, "#SBATCH --cpus-per-task=1");
    let _ = writeln!(m, "#SBATCH --output={}/merge-%j.out", logs.display());
    let _ = write!(
        m,
        "#
# Merge of the sweep `{sweep}`: submitted with --dependency=afterany:<array job>. Tasks
# that reached their walltime resubmitted themselves and listed the new jobs in
# slurm/resubmitted: wait for those first (this job submits itself again), then merge.
set -u
{common}SCRIPT={script}
SEEN=\"${{NANOKMC_MERGE_SEEN:-0}}\"
RESUBMITTED=\"$OUT/slurm/resubmitted\"
TOTAL=0
[ -f \"$RESUBMITTED\" ] && TOTAL=$(wc -l < \"$RESUBMITTED\")
if [ \"$TOTAL\" -gt \"$SEEN\" ]; then
    deps=$(tail -n +\"$((SEEN + 1))\" \"$RESUBMITTED\" | paste -sd: -)
    job=$(sbatch --parsable --dependency=\"afterany:$deps\" --export=\"ALL,NANOKMC_MERGE_SEEN=$TOTAL\" \"$SCRIPT\") || exit 1
    echo \"nanokmc: waiting for resubmitted tasks ($deps); merge continues in job ${{job%%;*}}\"
    exit 0
fi
exec \"$NANOKMC\" merge \"$OUT\"
",
        sweep = plan.spec.name,
        script = quote_path(&merge),
    );

    // the submit script.
    let s = format!(
        "#!/bin/bash
# Submits the sweep `{sweep}`: the array of {tasks} task(s), then the merge job after it.
set -euo pipefail
array=$(sbatch --parsable {array})
array=\"${{array%%;*}}\"
merge=$(sbatch --parsable --dependency=\"afterany:$array\" {merge})
merge=\"${{merge%%;*}}\"
echo \"sweep {sweep}: array job $array ({tasks} tasks), merge job $merge\"
echo \"follow with: squeue -j $array,$merge; progress in {manifest}\"
",
        sweep = plan.spec.name,
        array = quote_path(&array),
        merge = quote_path(&merge),
        manifest = plan.out.join(super::manifest::MANIFEST).display(),
    );
    for (path, text) in [(&array, a), (&merge, m), (&submit, s)] {
        write_executable(path, &text)?;
    }
    Ok(SlurmFiles {
        array,
        merge,
        submit,
        tasks,
    })
}

fn write_executable(path: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).map_err(|e| Error::io(path, e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurm_times_and_quoting() {
        assert_eq!(slurm_seconds("24:00:00"), Ok(86_400));
        assert_eq!(slurm_seconds("1-00:00:00"), Ok(86_400));
        assert_eq!(slurm_seconds("1-02"), Ok(93_600));
        assert_eq!(slurm_seconds("90"), Ok(5400));
        assert_eq!(slurm_seconds("10:30"), Ok(630));
        assert!(slurm_seconds("x").is_err());
        assert!(slurm_seconds("00:00:00").is_err());
        assert_eq!(quote("a'b"), "'a'\\''b'");
    }
}
