# Motion Studio's HTTP service on CPU: torch (CPU build), MAX, the Mojo kernels, the shipped weights and
# the transition networks' MAX models in place at build time (copied from the shipped x86-64-v3 ones in
# seconds; compiled where the building CPU lacks AVX2/FMA), so a container answers its first request without
# compiling. Build and run: see README, "Container". What goes in: .dockerignore.
# BASE: any Debian-based image with Python 3.11 as `python` and pip (scripts/container_smoke.sh builds one
# with debootstrap where no registry is reachable); TORCH_INDEX: where torch's CPU build comes from.
ARG BASE=python:3.11-slim-bookworm
FROM ${BASE}
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MODULAR_TELEMETRY_ENABLED=0 \
    MOTION_STUDIO_CACHE=/opt/motion-studio/cache \
    MOTION_STUDIO_DATA=/opt/motion-studio/data

WORKDIR /app
COPY . .

# torch's CPU build (the version pyproject pins) instead of PyPI's multi-GB CUDA one.
RUN pip install --extra-index-url "${TORCH_INDEX}" .

# The Mojo kernels (mojo links its Python extension with the system C compiler), then the MAX models of
# the transition networks (torch, max and max-mojo all serve at once). Debian stable's gcc: not pinned,
# so security updates of the base apply.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* \
    && python -m motion.mojo_build \
    && python main.py compile --kinds rsmt_phase rsmt_sampler_style rsmt_sampler_target rsmt_sampler_step --presets lite \
    && useradd --system --uid 10001 --home-dir /opt/motion-studio --no-create-home studio \
    && mkdir -p /opt/motion-studio/data \
    && chown -R 10001 /opt/motion-studio

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["python", "main.py", "serve", "--host", "0.0.0.0", "--port", "8000"]
