//! The Slurm scripts of `nanokmc sweep --slurm`, run without Slurm: `bash` runs them with a
//! stub `sbatch` first on `PATH` that records its arguments and answers job ids 1001, 1002,
//! …; the test plays the scheduler (it runs every job the stub was asked to submit). With a
//! walltime of one second, a task of six runs (about a second each on a quiet core:
//! `slurm_block.toml`) stops at its walltime
//! with checkpoints (exit code 3 of the sweep), resubmits itself for the same array index,
//! and the new jobs continue until the sweep is complete; the merge job waits for the
//! resubmitted jobs by submitting itself again with a dependency on them, then merges. The
//! trajectories are compared, bit for bit, with the same sweep run in one go.

use std::path::{Path, PathBuf};
use std::process::Command;

use nanokmc::output::TrajectoryReader;
use nanokmc::sweep::{self, SweepOptions, manifest};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sweep")
        .join(name)
}

/// A stub `sbatch`: appends its arguments to `$SBATCH_LOG` and prints the next job id.
const STUB: &str = r#"#!/bin/bash
echo "$*" >> "$SBATCH_LOG"
echo "$(( $(wc -l < "$SBATCH_LOG") + 1000 ))"
"#;

fn log_lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn bash(script: &Path, bin: &Path, log: &Path, env: &[(&str, String)]) -> std::process::Output {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = Command::new("bash");
    c.arg(script)
        .env("PATH", path)
        .env("SBATCH_LOG", log)
        .env_remove("NANOKMC")
        .env_remove("NANOKMC_MERGE_SEEN")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_CPUS_PER_TASK");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn frames(path: &Path) -> (Vec<u64>, Vec<Vec<u8>>, Vec<u64>) {
    let r = TrajectoryReader::open(path).unwrap();
    let times = r.times().unwrap().into_iter().map(f64::to_bits).collect();
    let species = (0..r.frames()).map(|f| r.species(f).unwrap()).collect();
    let energy = r.observable("energy").unwrap().columns[0]
        .1
        .iter()
        .map(|x| x.to_bits())
        .collect();
    (times, species, energy)
}

#[test]
fn slurm_scripts_resubmit_at_the_walltime_and_merge_after_the_last_job() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let stub = bin.join("sbatch");
    std::fs::write(&stub, STUB).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let log = tmp.path().join("sbatch.log");
    let out = tmp.path().join("sweep");
    let file = data("slurm_temperature.toml");

    // the scripts.
    let o = Command::new(env!("CARGO_BIN_EXE_nanokmc"))
        .arg("sweep")
        .arg(&file)
        .args(["--slurm", "--walltime", "00:00:01", "--runs-per-task", "6"])
        .args(["--partition", "short", "--sbatch=--qos=test", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let array = out.join("slurm/sweep.sbatch");
    let merge = out.join("slurm/merge.sbatch");
    let text = std::fs::read_to_string(&array).unwrap();
    for line in [
        "#SBATCH --array=0-0",
        "#SBATCH --time=0:00:01",
        "#SBATCH --partition=short",
        "#SBATCH --qos=test",
        "#SBATCH --cpus-per-task=6",
    ] {
        assert!(text.contains(line), "{line} missing in\n{text}");
    }
    let syntax = Command::new("bash").arg("-n").arg(&array).status().unwrap();
    assert!(syntax.success());
    assert!(!out.join("p000").exists(), "--slurm runs nothing");

    // submit: the array, then the merge after it.
    let o = bash(&out.join("slurm/submit.sh"), &bin, &log, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let calls = log_lines(&log);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0], format!("--parsable {}", array.display()));
    assert_eq!(
        calls[1],
        format!("--parsable --dependency=afterany:1001 {}", merge.display())
    );

    // the scheduler: run array task 0, then every resubmitted job, until none is left.
    let mut queue = vec![0usize];
    let mut resubmissions = 0;
    let mut saw_checkpoint = false;
    let mut guard = 0;
    while let Some(task) = queue.pop() {
        guard += 1;
        assert!(guard < 200, "the sweep does not finish");
        let before = log_lines(&log).len();
        let o = bash(
            &array,
            &bin,
            &log,
            &[("SLURM_ARRAY_TASK_ID", task.to_string())],
        );
        assert!(
            o.status.success(),
            "task {task}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        for call in &log_lines(&log)[before..] {
            assert_eq!(
                call,
                &format!("--parsable --array={task} {}", array.display())
            );
            resubmissions += 1;
            queue.push(task);
        }
        saw_checkpoint |= std::fs::read_dir(out.join("p000"))
            .into_iter()
            .chain(std::fs::read_dir(out.join("p001")))
            .chain(std::fs::read_dir(out.join("p002")))
            .flatten()
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "ckpt"));
    }
    assert!(
        resubmissions >= 1,
        "six runs of ~1 s each never reached a 1 s walltime"
    );
    eprintln!("{resubmissions} resubmission(s), a checkpoint seen between jobs: {saw_checkpoint}");
    let m = manifest::read(&out).unwrap();
    assert!(
        m.runs
            .iter()
            .all(|r| r.status == manifest::Status::Complete)
    );
    let listed = std::fs::read_to_string(out.join("slurm/resubmitted")).unwrap();
    assert_eq!(listed.lines().count(), resubmissions);

    // the merge job: first it waits for the resubmitted jobs, then it merges.
    let before = log_lines(&log).len();
    let o = bash(&merge, &bin, &log, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let calls = log_lines(&log);
    assert_eq!(calls.len(), before + 1);
    let ids: Vec<&str> = listed.lines().collect();
    assert_eq!(
        calls[before],
        format!(
            "--parsable --dependency=afterany:{} --export=ALL,NANOKMC_MERGE_SEEN={} {}",
            ids.join(":"),
            ids.len(),
            merge.display()
        )
    );
    assert!(!out.join("merged").exists());
    let o = bash(
        &merge,
        &bin,
        &log,
        &[("NANOKMC_MERGE_SEEN", ids.len().to_string())],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(log_lines(&log).len(), before + 1, "no further submission");
    assert!(out.join("merged/p002.h5").exists());

    // the same files as the sweep in one go.
    let reference = tmp.path().join("reference");
    let plan = sweep::plan(sweep::read(&file).unwrap(), Some(&reference)).unwrap();
    let report = sweep::execute(
        &plan,
        &SweepOptions {
            threads: Some(2),
            ..SweepOptions::default()
        },
    )
    .unwrap();
    assert!(report.all_complete());
    for r in &m.runs {
        let a = manifest::trajectory(&out, r);
        let b = manifest::trajectory(&reference, r);
        assert_eq!(frames(&a), frames(&b), "{}", r.id);
    }
}
