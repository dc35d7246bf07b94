"""The pretrained DeepMimic policies shipped with pybullet, as our WeightSets.

pybullet ships five TensorFlow checkpoints (``pybullet_data/data/policies/humanoid3d/NAME.ckpt.*``).
:func:`load_policy` converts one once into ``NAME.safetensors`` + ``NAME.json`` in the user's cache
(``$MOTION_STUDIO_CACHE/policies`` if that variable is set, else ``$XDG_CACHE_HOME/motion-studio/policies``
or ``~/.cache/motion-studio/policies``), and converts again whenever the checkpoint's sha256 or this
converter's version changes, or the cached pair is unreadable. Tensor names and layout are those of
:mod:`inference.networks.deepmimic`.

Besides the network sizes, the config records what running the policy needs, read from pybullet's
``args/run_NAME_args.txt``: the reference motion (``motion_file`` relative to pybullet_data, and the
embedded clip name ``motion_clip``) and the ``fall_contact_bodies``. ``humanoid3d_walk_COMenabled`` has no
args file of its own; it uses walk's. Control runs at ``control_hz`` 30 on a ``sim_hz`` 240 simulation
(pybullet's loop drifts to ~27 Hz effective, see shared/research/deepmimic.md).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path

import numpy as np

from inference.networks.deepmimic import EXPLORATION_NOISE
from inference.deepmimic.checkpoint import CheckpointReader
from inference.paths import cache_dir
from inference.weights import WeightSet, WeightsError

POLICIES = ("humanoid3d_walk", "humanoid3d_walk_COMenabled", "humanoid3d_jump", "humanoid3d_backflip",
            "humanoid3d_spinkick")
CONVERTER_VERSION = 1
CONTROL_HZ = 30
SIM_HZ = 240

_ARGS_FILE = {name: f"run_{name}_args.txt" for name in POLICIES}
_ARGS_FILE["humanoid3d_walk_COMenabled"] = "run_humanoid3d_walk_args.txt"

# our tensor name -> (TF variable, transpose?) ; TF dense kernels are [in, out], ours [out, in]
_TF_LAYERS = {"0": "0/dense", "1": "1/dense", "2": "dense"}
TF_NAMES: dict[str, tuple[str, bool]] = {
    **{f"{net}.{i}.{p}": (f"agent/main/{net}/{tf}/{'kernel' if p == 'weight' else 'bias'}", p == "weight")
       for net in ("actor", "critic") for i, tf in _TF_LAYERS.items() for p in ("weight", "bias")},
    **{f"{ours}.{stat}": (f"agent/resource/{tf}/{stat}", False)
       for ours, tf in (("state_norm", "s_norm"), ("action_norm", "a_norm"), ("value_norm", "val_norm"))
       for stat in ("mean", "std")},
}


def _pybullet_data() -> Path:
    import pybullet_data

    return Path(pybullet_data.getDataPath())


def canonical_name(name: str) -> str:
    """"walk" or "humanoid3d_walk" -> "humanoid3d_walk"; WeightsError for an unknown policy."""
    full = name if name.startswith("humanoid3d_") else f"humanoid3d_{name}"
    if full not in POLICIES:
        raise WeightsError(f"{name}: unknown DeepMimic policy (choose one of {', '.join(POLICIES)})")
    return full


def policy_checkpoint(name: str) -> Path:
    """The TF checkpoint prefix of a shipped policy (PREFIX.index, PREFIX.data-00000-of-00001)."""
    return _pybullet_data() / "data" / "policies" / "humanoid3d" / f"{canonical_name(name)}.ckpt"


def policy_cache_dir() -> Path:
    return cache_dir("policies")


def _run_args(name: str) -> dict[str, list[str]]:
    path = _pybullet_data() / "args" / _ARGS_FILE[name]
    if not path.is_file():
        raise WeightsError(f"{path}: pybullet args file not found")
    args: dict[str, list[str]] = {}
    key = None
    for token in re.sub(r"#.*", "", path.read_text()).split():
        if token.startswith("--"):
            key = token[2:]
            args[key] = []
        elif key is not None:
            args[key].append(token)
    for needed in ("motion_file", "fall_contact_bodies"):
        if not args.get(needed):
            raise WeightsError(f"{path}: no --{needed}")
    return args


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _source_digests(prefix: Path) -> dict[str, str]:
    files = [prefix.with_name(prefix.name + ".index")]
    files += sorted(prefix.parent.glob(prefix.name + ".data-*"))
    for f in files:
        if not f.is_file():
            raise WeightsError(f"{f}: checkpoint file not found")
    return {f.name: _sha256(f) for f in files}


def convert_checkpoint(prefix: str | os.PathLike, name: str) -> WeightSet:
    """Our WeightSet (not saved) from the TF checkpoint at `prefix` for shipped policy `name`."""
    name = canonical_name(name)
    prefix = Path(prefix)
    reader = CheckpointReader(prefix)
    where = reader.index_path
    tensors = {}
    for ours, (tf_name, transpose) in TF_NAMES.items():
        if tf_name not in reader.entries:
            raise WeightsError(f"{where}: not a DeepMimic policy checkpoint (no variable {tf_name!r})")
        t = reader.tensor(tf_name)
        if t.dtype != np.float32:
            raise WeightsError(f"{where}: variable {tf_name!r} is {t.dtype}, expected float32")
        tensors[ours] = np.ascontiguousarray(t.T if transpose else t)
    goal = reader.entries.get("agent/resource/g_norm/mean")
    if goal is not None and goal.shape != (0,):
        raise WeightsError(f"{where}: policy has a goal input of shape {goal.shape} (unsupported)")
    state_size = tensors["state_norm.mean"].shape[0]
    action_size = tensors["action_norm.mean"].shape[0]
    hidden = [tensors["actor.0.bias"].shape[0], tensors["actor.1.bias"].shape[0]]
    args = _run_args(name)
    motion_file = args["motion_file"][0]
    config = {
        "model": "deepmimic_policy",
        "converter_version": CONVERTER_VERSION,
        "name": name,
        "state_size": state_size,
        "action_size": action_size,
        "goal_size": 0,
        "hidden_sizes": hidden,
        "exploration_noise": EXPLORATION_NOISE,
        "motion_file": motion_file,
        "motion_clip": Path(motion_file).stem,
        "fall_contact_bodies": [int(b) for b in args["fall_contact_bodies"]],
        "control_hz": CONTROL_HZ,
        "sim_hz": SIM_HZ,
        "source_checkpoint": str(prefix),
        "source_sha256": _source_digests(prefix),
        "tf_variables": {ours: tf for ours, (tf, _) in TF_NAMES.items()},
    }
    weights = WeightSet(config, tensors)
    for stem, rows in (("actor", action_size), ("critic", 1)):
        sizes = [state_size, *hidden, rows]
        for i in range(3):
            weights.expect(f"{stem}.{i}.weight", (sizes[i + 1], sizes[i]))
            weights.expect(f"{stem}.{i}.bias", (sizes[i + 1],))
    weights.expect("state_norm.std", (state_size,))
    weights.expect("action_norm.std", (action_size,))
    weights.expect("value_norm.mean", (1,))
    weights.expect("value_norm.std", (1,))
    return weights


def _cached(path: Path, prefix: Path, digests: dict[str, str]) -> WeightSet | None:
    try:
        weights = WeightSet.load(path)
    except WeightsError:
        return None
    cfg = weights.config
    if (cfg.get("converter_version") != CONVERTER_VERSION or cfg.get("source_sha256") != digests
            or cfg.get("source_checkpoint") != str(prefix)):
        return None
    return weights


def load_policy(name: str) -> WeightSet:
    """The shipped policy `name` (see POLICIES; "walk" works too) as a WeightSet, converted on first use."""
    name = canonical_name(name)
    prefix = policy_checkpoint(name)
    digests = _source_digests(prefix)
    target = policy_cache_dir() / f"{name}.safetensors"
    weights = _cached(target, prefix, digests)
    if weights is None:
        weights = convert_checkpoint(prefix, name)
        try:
            weights.save(target)
        except OSError as e:  # a read-only, full or deleted cache: the converted policy works all the same
            logging.getLogger(__name__).warning(f"warning: {target}: cannot cache the converted policy "
                                                f"({e.strerror or e}); converting again next time")
    return weights
