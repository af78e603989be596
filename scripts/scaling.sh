#!/usr/bin/env bash
# Scaling of many runs on 2 cores (issue 18 targets; BENCHMARKS.md "Scaling of runs"):
#   1. replicas of one run on the rayon pool: `nanokmc run --replicas 4 --threads 1` against
#      `--threads 2`;
#   2. the runs of a sweep on the rayon pool: `nanokmc sweep --threads 1` against
#      `--threads 2`;
#   3. the same sweep over MPI ranks: `mpirun -n 2 nanokmc sweep --threads 1` against the
#      sweep's `--threads 1`.
# Target: speed-up >= 1.8 for each. Every case runs the sandwich (scenarios/cdse_cu3p_sandwich.toml,
# about 11 s per run on one core) four times, so the whole script takes about 3 minutes.
# Run it on a QUIET machine (nothing else compiling or running): it measures wall time.
#
# Usage: bash scripts/scaling.sh            builds `--release --features mpi` first
#        NANOKMC=path bash scripts/scaling.sh   uses that binary (built with the feature)
# Needs Open MPI (`bash scripts/install-deps.sh --mpi`). Scratch files go to a temporary
# folder that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
if [ -z "${NANOKMC:-}" ]; then
  cargo build --release --features mpi -q
  NANOKMC="$repo/target/release/nanokmc"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/nanokmc-scaling.XXXXXX")
trap 'rm -rf "$work"' EXIT
# SCENARIO=path (absolute) and AXIS=key path with VALUE: another scenario (e.g. to try the
# script quickly on tests/data/sweep/block.toml with AXIS=program.steps[0].hold VALUE="4 eV").
scenario="${SCENARIO:-$repo/scenarios/cdse_cu3p_sandwich.toml}"
axis="${AXIS:-program.steps[2].hold}"
value="${VALUE:-400 C}"
# The sweep: the scenario as shipped (the axis set to the value it has), 4 replicas.
cat >"$work/scaling.toml" <<EOF
[sweep]
name = "scaling"
scenario = "$scenario"
replicas = 4
[[sweep.axis]]
name = "same"
scenario = "$axis"
values = ["$value"]
EOF
mpirun_cmd=(mpirun --oversubscribe -n 2)
[ "$(id -u)" -eq 0 ] && mpirun_cmd=(mpirun --allow-run-as-root --oversubscribe -n 2)

now() { date +%s.%N; }
# wall seconds of a command (its output to a log in $work)
wall() {
  local log="$work/$1.log"; shift
  local t0 t1
  t0=$(now)
  if ! "$@" >"$log" 2>&1; then
    echo "failed: $* (log below)" >&2
    cat "$log" >&2
    exit 1
  fi
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v s="$1" 'BEGIN { print (s >= 1.8 ? "pass" : "FAIL") }'; }

echo "# nanokmc scaling: $("$NANOKMC" --version 2>/dev/null || echo nanokmc), $(hostname), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg) (should be below 0.2)"
mkdir -p "$work/r1" "$work/r2"
run1=$(wall run1 "$NANOKMC" run "$scenario" --replicas 4 --threads 1 --progress quiet --out "$work/r1/run.h5md")
run2=$(wall run2 "$NANOKMC" run "$scenario" --replicas 4 --threads 2 --progress quiet --out "$work/r2/run.h5md")
sw1=$(wall sweep1 "$NANOKMC" sweep "$work/scaling.toml" --threads 1 --quiet --out "$work/s1")
sw2=$(wall sweep2 "$NANOKMC" sweep "$work/scaling.toml" --threads 2 --quiet --out "$work/s2")
mp2=$(wall mpi2 "${mpirun_cmd[@]}" "$NANOKMC" sweep "$work/scaling.toml" --threads 1 --quiet --out "$work/m2")
grep -q "on 2 MPI ranks" "$work/mpi2.log" || { echo "mpirun did not run 2 ranks:" >&2; cat "$work/mpi2.log" >&2; exit 1; }
# the three sweeps must give the same trajectories (frames, times, species): compare `info`.
for d in s2 m2; do
  for k in 0 1 2 3; do
    a=$("$NANOKMC" info "$work/s1/p000/run.r$k.h5md" | grep -v -e '^file' -e wall -e 'written by')
    b=$("$NANOKMC" info "$work/$d/p000/run.r$k.h5md" | grep -v -e '^file' -e wall -e 'written by')
    [ "$a" = "$b" ] || { echo "run r$k differs between s1 and $d" >&2; exit 1; }
  done
done
printf '%-34s %5s %10s %10s %8s %6s %s\n' case runs "1 core [s]" "2 cores [s]" speed-up target verdict
s=$(ratio "$run1" "$run2"); printf '%-34s %5d %10.2f %10.2f %8.2f %6s %s\n' "run --replicas 4 (rayon threads)" 4 "$run1" "$run2" "$s" 1.80 "$(verdict "$s")"
s=$(ratio "$sw1" "$sw2"); printf '%-34s %5d %10.2f %10.2f %8.2f %6s %s\n' "sweep --threads (rayon)" 4 "$sw1" "$sw2" "$s" 1.80 "$(verdict "$s")"
s=$(ratio "$sw1" "$mp2"); printf '%-34s %5d %10.2f %10.2f %8.2f %6s %s\n' "sweep mpirun -n 2 (MPI ranks)" 4 "$sw1" "$mp2" "$s" 1.80 "$(verdict "$s")"
