"""The three RSMT networks built from weights: the network class of each kind, a network's WeightSet, and
a network checked tensor by tensor against its WeightSet (torch; the MAX graphs load the same pairs)."""
from __future__ import annotations

import torch

from inference.networks.deephase import PAE
from inference.networks.rsmt_config import RSMTConfig
from inference.networks.stylevae import StyleVAE
from inference.networks.transitionnet import TransitionSampler
from inference.weights import WeightSet, WeightsError


def parameter_counts(cfg: RSMTConfig) -> dict[str, int]:
    """Trainable parameter counts of the three networks built from `cfg` (buffers excluded)."""
    def count(m):
        return sum(p.numel() for p in m.parameters())

    sampler = TransitionSampler(cfg)
    return {"phase": count(PAE(cfg)), "manifold": count(StyleVAE(cfg)),
            "sampler_trainable": count(sampler) - count(sampler.decoder), "sampler_decoder": count(sampler.decoder)}


NETWORK_KINDS = ("rsmt_phase", "rsmt_manifold", "rsmt_sampler")


def network_class(kind: str):
    return {"rsmt_phase": PAE, "rsmt_manifold": StyleVAE, "rsmt_sampler": TransitionSampler}[kind]


def network_weights(net) -> WeightSet:
    """A WeightSet holding `net`'s state_dict (float32, BatchNorm step counters left out) and its config
    as {"network": kind, "rsmt": cfg.to_dict()}."""
    kind = next(k for k in NETWORK_KINDS if isinstance(net, network_class(k)))
    tensors = {k: v.detach().cpu().float().numpy().copy() for k, v in net.state_dict().items()
               if not k.endswith("num_batches_tracked")}
    return WeightSet({"network": kind, "rsmt": net.cfg.to_dict()}, tensors)


def build_network(weights: WeightSet, kind: str | None = None):
    """The network described by `weights` (eval mode), every tensor checked by name and shape; a
    WeightsError naming the file for a wrong config, a missing, extra or misshaped tensor."""
    where = weights.path or "weights"
    stored = weights.config.get("network")
    if stored not in NETWORK_KINDS:
        raise WeightsError(f"{where}: config 'network' is {stored!r}, expected one of {list(NETWORK_KINDS)}")
    if kind is not None and stored != kind:
        raise WeightsError(f"{where}: holds a {stored} network, expected {kind}")
    if not isinstance(weights.config.get("rsmt"), dict):
        raise WeightsError(f"{where}: config has no 'rsmt' section with the network sizes")
    try:
        cfg = RSMTConfig.from_dict(weights.config["rsmt"])
    except (TypeError, ValueError) as e:
        raise WeightsError(f"{where}: bad RSMT config ({e})") from None
    net = network_class(stored)(cfg)
    expected = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    extra = sorted(set(weights.tensors) - set(expected))
    if extra:
        raise WeightsError(f"{where}: unexpected tensors {extra[:5]}{' ...' if len(extra) > 5 else ''}")
    state = {k: torch.from_numpy(weights.expect(k, tuple(v.shape)).astype("float32")) for k, v in expected.items()}
    net.load_state_dict(state, strict=False)
    return net.eval()
