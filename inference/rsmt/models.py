"""Where the RSMT weights live and how a transition model is loaded from them.

A model folder holds one weights pair per network, as the trainers write them (`python main.py train
phase|manifold|sampler --out DIR`): ``phase.{safetensors,json}``, ``manifold.{safetensors,json}`` and
``sampler.{safetensors,json}``. The default folder is ``assets/rsmt_lite``. A transition needs only the
phase network (the phase of the last context frame) and the sampler (which carries a copy of the
manifold's decoder); the manifold pair is for training and the parity tools.

Each JSON config holds the network sizes ("rsmt", `RSMTConfig.to_dict`) and the skeleton the network was
trained on ("skeleton", `motion.features.skeleton_config`): joint roles in feature
order and the dataset units per file unit ("position_scale", 100 for the DeepMimic clips: metres ->
centimetres). Transitions use the bone lengths of the clip's own skeleton, not the training offsets.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.networks.rsmt_config import RSMTConfig
from inference.weights import WeightsError, WeightSet
from motion.joint_roles import JointRoles
from motion.skeleton import Skeleton

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets"
DEFAULT_RSMT_DIR = ASSETS_DIR / "rsmt_lite"
# The shipped models by name (`--model NAME`): the DeepMimic humanoid3d clips' model and the one trained on the
# Bandai Namco stylised motion capture (training.bandai; CC BY-NC 4.0, see its LICENSE.md).
MODEL_DIRS = {"humanoid3d": DEFAULT_RSMT_DIR, "bandai": ASSETS_DIR / "rsmt_bandai"}
MODEL_TITLES = {"humanoid3d": "humanoid3d: the DeepMimic clips (its styles are its 15 clips)",
                "bandai": "bandai: Bandai Namco motion capture (15 named styles: angry, old, tired...)"}
LICENCE_FILE = "LICENSE.md"
RSMT_NETWORKS = ("phase", "manifold", "sampler")  # file stems of a model folder
TRANSITION_NETWORKS = ("phase", "sampler")  # what generating a transition needs
_KINDS = {"phase": "rsmt_phase", "manifold": "rsmt_manifold", "sampler": "rsmt_sampler"}


def rsmt_files(folder: str | Path, networks: tuple[str, ...] = TRANSITION_NETWORKS) -> list[Path]:
    """The weight files (safetensors, json) of `networks` in `folder`."""
    folder = Path(folder)
    return [folder / f"{n}{ext}" for n in networks for ext in (".safetensors", ".json")]


def model_licence(folder: str | Path | None) -> str | None:
    """The licence a model folder's LICENSE.md names on its "Licence: ..." line, None for a folder without one.
    Why: weights trained on data under terms of their own carry those terms (the Bandai Namco model: CC BY-NC
    4.0), and whoever picks the model must see them where they pick it, not only in the folder."""
    path = Path(folder) / LICENCE_FILE if folder is not None else None
    if path is None or not path.is_file():
        return None
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("Licence:")), None)


def write_licence(folder: str | Path, licence: str, attribution: str) -> bool:
    """Give a folder of weights trained on licensed data a LICENSE.md naming the licence (what `model_licence`
    reads) and crediting the data; False (nothing written) when the folder has a LICENSE.md already: a notice
    written by hand (the shipped models') is kept."""
    from motion.atomic import atomic_write

    path = Path(folder) / LICENCE_FILE
    if path.exists():
        return False
    with atomic_write(path, "w") as f:
        f.write(f"# Licence of the files in this folder\n\nLicence: {licence}\n\nTrained on {attribution}. These "
                "weights, and anything made with them, carry that licence.\n")
    return True


def missing_rsmt_files(folder: str | Path, networks: tuple[str, ...] = TRANSITION_NETWORKS) -> list[Path]:
    return [p for p in rsmt_files(folder, networks) if not p.is_file()]


@dataclass
class RSMTModel:
    """The weights a transition needs, with what their configs say about the networks and skeleton.

    phase, sampler -- WeightSets of the PAE and the TransitionNet sampler
    cfg            -- the sampler's sizes
    roles          -- joint roles in feature order (the joint names the clips must have)
    position_scale -- dataset units per file unit (positions the networks see = file positions x scale)
    folder         -- where the weights were read from (None for in-memory weights)
    """

    phase: WeightSet
    sampler: WeightSet
    cfg: RSMTConfig
    roles: JointRoles
    position_scale: float
    folder: Path | None = None

    @staticmethod
    def from_weights(phase: WeightSet, sampler: WeightSet, folder: Path | None = None) -> "RSMTModel":
        """Check that the two weight sets describe networks that work together; WeightsError naming the
        file otherwise."""
        _check_kind(phase, "phase")
        _check_kind(sampler, "sampler")
        cfg = _config(sampler)
        phase_cfg = _config(phase)
        where = sampler.path or "sampler weights"
        if phase_cfg.phase_dim != cfg.phase_dim or phase_cfg.num_joints != cfg.num_joints:
            raise WeightsError(f"{phase.path or 'phase weights'}: phase network has {phase_cfg.phase_dim} phases "
                               f"and {phase_cfg.num_joints} joints, the sampler {cfg.phase_dim} and {cfg.num_joints}")
        skeleton = sampler.config.get("skeleton")
        if not isinstance(skeleton, dict):
            raise WeightsError(f"{where}: config has no 'skeleton' section (roles, position_scale); "
                               f"weights written by `python main.py train sampler` have one")
        try:
            roles = JointRoles.from_dict(skeleton["roles"])
            scale = float(skeleton["position_scale"])
        except (KeyError, TypeError, ValueError) as e:
            raise WeightsError(f"{where}: bad 'skeleton' section in the config ({type(e).__name__}: {e})") from None
        if roles.num_joints != cfg.num_joints or tuple(roles.rot_rep_idx) != tuple(cfg.rot_rep_idx):
            raise WeightsError(f"{where}: the skeleton roles ({roles.num_joints} joints, rot_rep_idx "
                               f"{list(roles.rot_rep_idx)}) disagree with the network sizes ({cfg.num_joints} joints, "
                               f"rot_rep_idx {list(cfg.rot_rep_idx)})")
        phase_skeleton = phase.config.get("skeleton")
        if isinstance(phase_skeleton, dict) and phase_skeleton.get("roles", {}).get("names") != list(roles.names):
            raise WeightsError(f"{phase.path or 'phase weights'}: trained on other joints than the sampler")
        if not scale > 0:
            raise WeightsError(f"{where}: position_scale must be positive, got {scale}")
        return RSMTModel(phase, sampler, cfg, roles, scale, folder)

    @property
    def skeleton(self) -> Skeleton:
        """The skeleton the networks were trained on, from the sampler's "skeleton" config: joints in feature
        order, rest offsets in file units. Clips on other rigs are retargeted onto it (`inference.rsmt.rigs`).
        The config holds no End Sites, which give the forearms and feet of humanoid3d (no wrist or toe joints)
        their direction: a model on humanoid3d's joints takes humanoid3d's End Sites and channels."""
        from motion.deepmimic import humanoid3d_skeleton

        offsets = np.asarray(self.sampler.config["skeleton"]["offsets"], np.float64) / self.position_scale
        h3d = humanoid3d_skeleton()
        if h3d.names == list(self.roles.names):
            return Skeleton(h3d.names, h3d.parents, offsets, h3d.channels, h3d.end_sites)
        rot = ("Zrotation", "Xrotation", "Yrotation")
        channels = [("Xposition", "Yposition", "Zposition") + rot] + [rot] * (self.roles.num_joints - 1)
        return Skeleton(list(self.roles.names), np.asarray(self.roles.parents), offsets, channels)


def _check_kind(weights: WeightSet, name: str) -> None:
    stored = weights.config.get("network")
    if stored != _KINDS[name]:
        raise WeightsError(f"{weights.path or name + ' weights'}: holds a {stored!r} network, expected {_KINDS[name]}")


def _config(weights: WeightSet) -> RSMTConfig:
    try:
        return RSMTConfig.from_dict(weights.config["rsmt"])
    except (KeyError, TypeError, ValueError) as e:
        raise WeightsError(f"{weights.path or 'weights'}: bad or missing 'rsmt' config ({e})") from None


def model_sizes() -> dict[str, dict]:
    """{model name: its networks' sizes (`RSMTConfig.to_dict`)} for each shipped model (`MODEL_DIRS`) whose
    sizes are not a preset's (humanoid3d's are `lite`'s): the MAX graphs are compiled for these under the
    model's name, as for the presets. A model folder without a readable sampler config is left out."""
    from motion.files import read_json

    presets = [RSMTConfig.lite().to_dict(), RSMTConfig.paper().to_dict()]
    out = {}
    for name, folder in MODEL_DIRS.items():
        try:
            sizes = RSMTConfig.from_dict(read_json(folder / "sampler.json")["rsmt"]).to_dict()
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if sizes not in presets:
            out[name] = sizes
    return out


def model_weights(name: str, network: str) -> WeightSet:
    """A shipped model's trained weights of one network ("phase", "manifold" or "sampler")."""
    return WeightSet.load(MODEL_DIRS[name] / network)


def model_preset(name: str) -> str:
    """The preset a shipped model's MAX graphs are compiled under: its own name when it has sizes of its own
    (`model_sizes`), else lite (humanoid3d)."""
    if name not in MODEL_DIRS:
        raise ValueError(f"no shipped model {name!r} (choose {', '.join(MODEL_DIRS)})")
    return name if name in model_sizes() else "lite"


def load_rsmt(folder: str | Path | None = None) -> RSMTModel:
    """The transition model in `folder` (default: assets/rsmt_lite). A WeightsError lists every missing
    file at once and says how to make them."""
    folder = Path(folder) if folder is not None else DEFAULT_RSMT_DIR
    missing = missing_rsmt_files(folder)
    if missing:
        where = "folder not found" if not folder.is_dir() else "missing"
        raise WeightsError(f"{folder}: RSMT weights {where}: needs {', '.join(p.name for p in missing)} (train them "
                           f"with `python main.py train phase|manifold|sampler --out {folder}`, or choose another "
                           f"weights folder)")
    return RSMTModel.from_weights(WeightSet.load(folder / "phase"), WeightSet.load(folder / "sampler"), folder)


def random_rsmt_weights(folder: str | Path, preset: str = "lite", seed: int = 0) -> RSMTModel:
    """Write untrained (randomly initialised) phase, manifold and sampler weights for the DeepMimic
    humanoid3d skeleton to `folder` and load them back: a complete model folder for tests, parity checks
    and benchmarks before trained weights exist. The sampler's decoder is the manifold's, as after training."""
    import torch

    from inference.networks.deephase import PAE
    from inference.networks.rsmt_networks import network_weights
    from inference.networks.stylevae import StyleVAE
    from inference.networks.transitionnet import TransitionSampler
    from motion.deepmimic import DEEPMIMIC_SCALE, humanoid3d_skeleton
    from motion.features import skeleton_config
    from motion.joint_roles import roles_for

    skeleton = humanoid3d_skeleton()
    roles = roles_for(skeleton, "humanoid3d")
    config = skeleton_config(roles, skeleton.offsets[list(roles.source_index)] * DEEPMIMIC_SCALE, DEEPMIMIC_SCALE)
    cfg = RSMTConfig.for_roles(roles, preset)
    torch.manual_seed(seed)
    manifold = StyleVAE(cfg)
    sampler = TransitionSampler(cfg)
    sampler.decoder.load_state_dict(manifold.decoder.state_dict())
    folder = Path(folder)
    for name, net in (("phase", PAE(cfg)), ("manifold", manifold), ("sampler", sampler)):
        weights = network_weights(net.eval())
        weights.config["skeleton"] = config
        weights.save(folder / name)
    return load_rsmt(folder)
