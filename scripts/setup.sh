#!/usr/bin/env bash
# Installs everything Motion Studio needs on a fresh Debian 12 machine with Python 3.11:
# the system libraries for Qt/OpenGL under X or Xvfb, a virtual environment in .venv, the pinned packages.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="xvfb xauth libgl1 libegl1 libgl1-mesa-dri libglx-mesa0 libxkbcommon-x11-0 libxcb-cursor0
 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-shape0
 libxcb-xfixes0 libxcb-xkb1 libfontconfig1 libdbus-1-3 fonts-dejavu-core"
missing=()
for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing system packages: ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "setup: Python 3.11 is required ($PY is $("$PY" --version))" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# torch==2.13.0 is pinned in pyproject.toml: an unpinned torch would pull a multi-GB CUDA build.
log=.venv/pip-install.log
if ! .venv/bin/python -m pip install -q -e ".[test]" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "setup: pip install failed (full log: $log)" >&2
    exit 1
fi
# Mojo kernels (MAX custom ops + the Python extension) into build/mojo/; a no-op when unchanged.
scripts/build_mojo.sh
echo "setup: ready (.venv)"
