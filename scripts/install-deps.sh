#!/usr/bin/env bash
# Installs the system libraries nanokmc builds against (Debian/Ubuntu, as root or with sudo).
# Idempotent: does nothing when they are already present.
set -euo pipefail
need=()
dpkg -s libhdf5-dev >/dev/null 2>&1 || need+=(libhdf5-dev)
dpkg -s pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# tests/python_readers.rs creates a virtual environment (python3 -m venv) and pip-installs
# h5py, MDAnalysis and ASE into target/pyenv. Debian's python3 needs python3-venv and
# python3-pip for that; a python3 from elsewhere (pyenv, conda) brings its own, so the
# packages are only added when python3 is missing or is the system one.
py=$(command -v python3 || true)
if [ -z "$py" ] || [ "$(readlink -f "$py")" = "$(readlink -f /usr/bin/python3 2>/dev/null || true)" ]; then
  dpkg -s python3-venv >/dev/null 2>&1 || need+=(python3-venv)
  dpkg -s python3-pip >/dev/null 2>&1 || need+=(python3-pip)
fi
# --paraview: also ParaView's Python (pvpython, Debian's python3-paraview), with which
# tests/paraview_reader.rs opens our XDMF export through ParaView's default reader. .ci/run
# asks for it; the README's commands do not need it (that test then says it was skipped).
# --mpi: also Open MPI (headers, libraries, mpirun) and libclang, which the optional `mpi`
# cargo feature builds against (rsmpi's bindings are generated with bindgen):
# `cargo build --release --features mpi`, then `mpirun -n N nanokmc sweep FILE`. About 30
# packages, 20 s on this machine; .ci/run asks for it. Both options may be given.
optional=()
for option in "$@"; do
  case "$option" in
    --paraview) dpkg -s python3-paraview >/dev/null 2>&1 || optional+=(python3-paraview) ;;
    --mpi)
      for p in libopenmpi-dev openmpi-bin libclang-dev; do
        dpkg -s "$p" >/dev/null 2>&1 || optional+=("$p")
      done ;;
    *) echo "install-deps.sh: unknown option $option (--paraview, --mpi)" >&2; exit 2 ;;
  esac
done
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ${#optional[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${optional[@]}" >/dev/null
fi
