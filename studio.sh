#!/usr/bin/env bash
# The two set-up commands of README.md:
#   ./studio.sh app   install everything, then launch Motion Studio with the embedded defaults
#   ./studio.sh test  install everything, then run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"
cmd=${1:-app}; shift || true
bash scripts/setup.sh
export MODULAR_TELEMETRY_ENABLED=0
case "$cmd" in
    app)
        if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
            echo "Motion Studio needs a display (none is set: DISPLAY is empty)." >&2
            echo "On a headless machine run it under Xvfb: xvfb-run -a -s '-screen 0 1600x1000x24' ./studio.sh app" >&2
            exit 1
        fi
        exec .venv/bin/python main.py "$@" ;;
    test)
        exec .venv/bin/python -m pytest "$@" ;;
    *)
        echo "usage: ./studio.sh app|test" >&2; exit 2 ;;
esac
