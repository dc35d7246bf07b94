#!/usr/bin/env bash
# Builds the Dockerfile's image with podman where no container registry is reachable, and smoke-tests it:
# the base is a Debian bookworm root made with debootstrap (Python 3.11 from Debian as `python`, pip),
# imported as localhost/motion-studio-base:bookworm; pip reads the host's package indexes and wheels
# (/etc/pip.conf, /opt/pypi, /opt/wheels: mounted read-only into the build). Then the container runs its
# default command (`serve`) on the host network, and a max-mojo transition is asked of it. Chroot isolation
# and no cgroups: these machines run containers themselves (hybrid cgroups, which crun refuses).
# Needs root, podman and debootstrap (apt-get install podman debootstrap). Usage: scripts/container_smoke.sh [PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${1:-18000}
WORK=${CONTAINER_WORK:-/tmp/motion-studio-container}
BASE=localhost/motion-studio-base:bookworm
mkdir -p "$WORK"

if ! podman image exists "$BASE"; then
    [ -d "$WORK/rootfs/usr" ] || debootstrap --variant=minbase --include=python3.11,python3-pip,python3-venv,ca-certificates \
        bookworm "$WORK/rootfs" http://deb.debian.org/debian
    ln -sf /usr/bin/python3 "$WORK/rootfs/usr/local/bin/python"
    rm -f "$WORK/rootfs/usr/lib/python3.11/EXTERNALLY-MANAGED"  # the image's one Python is ours, as in python:3.11-slim
    tar -C "$WORK/rootfs" -c . | podman import - "$BASE"
fi

# the host's pip settings (all its config files in one), CA bundle (its proxy's CA), indexes and wheels
python3 - "$WORK/pip.conf" <<'PY'
import configparser, pathlib, sys
merged = configparser.ConfigParser()
merged.read([pathlib.Path(p).expanduser() for p in ("/etc/pip.conf", "~/.config/pip/pip.conf", "~/.pip/pip.conf")])
with open(sys.argv[1], "w") as f:
    merged.write(f)
PY
mounts=(-v "$WORK/pip.conf:/etc/pip.conf:ro" -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
for p in /opt/pypi /opt/pypi-more /opt/wheels; do
    [ -e "$p" ] && mounts+=(-v "$p:$p:ro")
done
time podman build --isolation=chroot --build-arg BASE="$BASE" --build-arg TORCH_INDEX=file:///opt/pypi/simple "${mounts[@]}" \
    -t motion-studio:smoke .

name=motion-studio-smoke
podman rm -f "$name" >/dev/null 2>&1 || true
podman run -d --name "$name" --network host --cgroups=disabled motion-studio:smoke \
    python main.py serve --host 127.0.0.1 --port "$PORT" --preload torch max-mojo
trap 'podman stop -t 60 "$name" >/dev/null; podman logs "$name" | tail -5; podman rm "$name" >/dev/null' EXIT
for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 1
done
curl -sf "http://127.0.0.1:$PORT/v1/models"
echo
curl -sf "http://127.0.0.1:$PORT/v1/transitions" -H 'content-type: application/json' \
    -d '{"source": "humanoid3d_walk", "target": "humanoid3d_run", "backend": "max-mojo"}' \
    | python3 -c 'import json, sys; d = json.load(sys.stdin); d.pop("bvh"); print(json.dumps(d))'
podman image ls motion-studio:smoke
