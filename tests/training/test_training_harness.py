"""The shared training loop: seeding, exact checkpoint/resume, stop, log, curves, progress, errors."""
import io
import json

import numpy as np
import pytest
import torch

from training.harness import CHECKPOINT, CURVE, LOG, TrainingError, read_log, train_loop
from training.progress import ProgressBar, format_duration

STEPS = 12


def _tiny(seed_model=0):
    torch.manual_seed(seed_model)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ELU(), torch.nn.Dropout(0.2), torch.nn.Linear(16, 1))
    return model, torch.optim.Adam(model.parameters(), lr=1e-2)


def _step_fn(model, optimizer):
    """Samples with all three RNG sources the trainers use: ctx.rng, numpy's global RNG and torch."""
    def step(ctx):
        x = torch.from_numpy(ctx.rng.normal(size=(8, 4)).astype(np.float32))
        x = x + float(np.random.uniform(-0.1, 0.1)) + 0.05 * torch.randn(8, 4)
        y = x.sum(dim=1, keepdim=True) ** 2
        loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"mse": loss, "scaled": loss.detach() * 0.5}
    return step


def _run(out, resume=False, should_stop=None, seed=3, steps=STEPS, meta=None):
    model, opt = _tiny()
    result = train_loop(model, opt, _step_fn(model, opt), steps=steps, out_dir=out, seed=seed, resume=resume,
                        checkpoint_every=4, log_every=1, should_stop=should_stop, progress=False,
                        device=torch.device("cpu"), meta=meta or {"model": "tiny"})
    return model, result


def _params(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_resume_after_a_stop_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    full, res_full = _run(tmp_path / "full")
    assert res_full.steps_done == STEPS and not res_full.stopped

    calls = {"n": 0}

    def stop_after_five():
        calls["n"] += 1
        return calls["n"] >= 5

    part, res_part = _run(tmp_path / "split", should_stop=stop_after_five)
    assert res_part.stopped and res_part.steps_done == 5
    assert torch.load(tmp_path / "split" / CHECKPOINT, weights_only=True)["step"] == 5
    resumed, res_resumed = _run(tmp_path / "split", resume=True)
    assert res_resumed.steps_done == STEPS and not res_resumed.stopped

    a, b = _params(full), _params(resumed)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    log_full = [(r["step"], r["mse"]) for r in read_log(tmp_path / "full" / LOG)]
    log_split = [(r["step"], r["mse"]) for r in read_log(tmp_path / "split" / LOG)]
    assert log_full == log_split and [s for s, _ in log_full] == list(range(1, STEPS + 1))


def test_resume_cuts_the_log_back_to_the_checkpoint(tmp_path):
    _run(tmp_path, steps=6)  # checkpoints at 4 and 6; log has steps 1..6
    ckpt = torch.load(tmp_path / CHECKPOINT, weights_only=True)
    assert ckpt["step"] == 6
    rows = read_log(tmp_path / LOG)
    rows[-1]["time"] = 1000.0  # as if the first run had trained for 1000 s
    (tmp_path / LOG).write_text("".join(json.dumps(r) + "\n" for r in rows))
    with open(tmp_path / LOG, "a") as f:
        f.write('{"step": 7, "mse": 0.')  # a line cut short by a crash
    _run(tmp_path, resume=True, steps=8)
    rows = read_log(tmp_path / LOG)
    assert [r["step"] for r in rows] == list(range(1, 9))
    assert all(r["time"] >= 1000.0 for r in rows[6:])  # the time column goes on, it does not restart
    _, done = _run(tmp_path, resume=True, steps=8)  # nothing left to run: reports the last logged losses
    assert done.steps_done == 8 and done.last_losses == {k: v for k, v in rows[-1].items() if k not in ("step", "time")}


def test_same_seed_same_result_other_seed_differs(tmp_path):
    a, _ = _run(tmp_path / "a", seed=7, steps=4)
    b, _ = _run(tmp_path / "b", seed=7, steps=4)
    c, _ = _run(tmp_path / "c", seed=8, steps=4)
    pa, pb, pc = _params(a), _params(b), _params(c)
    assert all(torch.equal(pa[k], pb[k]) for k in pa)
    assert not all(torch.equal(pa[k], pc[k]) for k in pa)


def test_outputs_log_curve_and_checkpoint(tmp_path):
    _, result = _run(tmp_path, steps=5)
    rows = [json.loads(line) for line in (tmp_path / LOG).read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5] and all("mse" in r and "scaled" in r for r in rows)
    assert (tmp_path / CURVE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.checkpoint == tmp_path / CHECKPOINT
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temporaries


def test_resume_errors_name_the_file(tmp_path):
    with pytest.raises(TrainingError, match="no checkpoint to resume"):
        _run(tmp_path / "empty", resume=True)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / CHECKPOINT).write_bytes(b"not a checkpoint")
    with pytest.raises(TrainingError, match="not a readable checkpoint") as e:
        _run(bad, resume=True)
    assert str(bad / CHECKPOINT) in str(e.value)
    _run(tmp_path / "other", steps=2, meta={"model": "phase"})
    with pytest.raises(TrainingError, match="model='phase'"):
        _run(tmp_path / "other", resume=True, meta={"model": "sampler"})


def test_a_diverging_loss_stops_with_a_clear_error(tmp_path):
    model, opt = _tiny()
    with pytest.raises(TrainingError, match="became nan at step 3"):
        train_loop(model, opt, lambda ctx: {"loss": float("nan") if ctx.step == 2 else 1.0}, steps=5,
                   out_dir=tmp_path, progress=False)


def test_progress_bar_shows_steps_losses_and_eta():
    stream = io.StringIO()
    bar = ProgressBar(100, label="phase", stream=stream, start=20, interval=0.0)
    bar.update(20)
    bar.update(60, {"loss": 0.125})
    bar.close()
    lines = stream.getvalue().splitlines()
    assert "ETA --" in lines[0]  # no step done yet in this session: no rate
    assert lines[1].startswith("phase  60/100 [") and "60%" in lines[1] and "loss 0.125" in lines[1]
    assert "ETA " in lines[1] and "ETA --" not in lines[1]
    assert format_duration(83) == "1m23s" and format_duration(7384) == "2h03m" and format_duration(4.4) == "4s"


# --------------------------------------------------------------------------- the train command

def test_train_phase_command_writes_loadable_weights_and_resumes(tmp_path, capsys):
    import cli
    from inference.networks.rsmt_networks import build_network
    from inference.weights import WeightSet

    out = tmp_path / "phase"
    assert cli.main(["train", "phase", "--steps", "2", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 2 and np.isfinite(summary["losses"]["mse"])
    weights = WeightSet.load(out / "phase.safetensors")
    net = build_network(weights, "rsmt_phase")  # loads by name and shape into the real network
    assert weights.config["skeleton"]["roles"]["names"][0] == "root" and net.cfg.preset == "lite"
    assert weights.config["training"]["steps"] == 2
    assert (out / CURVE).is_file() and read_log(out / LOG)[-1]["step"] == 2

    # resuming a finished run to a larger step count continues from its checkpoint
    assert cli.main(["train", "phase", "--steps", "3", "--out", str(out), "--resume"]) == 0
    assert [r["step"] for r in read_log(out / LOG)] == [2, 3]


def _small_dataset():
    from training.datasets import embedded_dataset

    return embedded_dataset(clips=("humanoid3d_walk",), held_out=())


def test_manifold_steps_train_and_export(tmp_path):
    """Two real manifold steps (lite preset, batch 4) on the embedded walk with an untrained PAE:
    finite losses, parameters move, and the export loads back as a manifold network."""
    from inference.networks.deephase import PAE
    from inference.networks.rsmt_config import RSMTConfig
    from inference.networks.rsmt_networks import build_network, network_weights
    from training.harness import StepContext
    from training.train_manifold import manifold_trainer

    torch.manual_seed(0)
    data = _small_dataset()
    cfg = RSMTConfig.for_roles(data.roles, "lite")
    trainer = manifold_trainer(data, "lite", torch.device("cpu"), network_weights(PAE(cfg)), steps=10, batch=4)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.model.train()
    rng = np.random.default_rng(0)
    for step in range(2):
        losses = {k: float(v.detach()) for k, v in trainer.step_fn(StepContext(step, rng, torch.device("cpu"))).items()}
        assert all(np.isfinite(v) for v in losses.values()) and losses["loss"] > 0
    after = trainer.model.state_dict()
    assert not torch.equal(after["decoder.mlp.weight"], before["decoder.mlp.weight"])
    assert not torch.equal(after["embedding_encoder.linears.0.weight"], before["embedding_encoder.linears.0.weight"])
    weights = trainer.export()
    weights.save(tmp_path / "manifold")
    assert build_network(type(weights).load(tmp_path / "manifold.safetensors"), "rsmt_manifold").cfg == cfg


def test_train_reports_unusable_input_as_user_errors(tmp_path, capsys):
    import cli

    assert cli.main(["train", "phase", "--resume", "--out", str(tmp_path / "none"), "--steps", "2"]) == 2
    assert "no checkpoint to resume" in capsys.readouterr().err
    assert cli.main(["train", "manifold", "--phase", str(tmp_path / "missing.safetensors"), "--out",
                     str(tmp_path / "m")]) == 2
    assert "missing.safetensors: file not found" in capsys.readouterr().err
    (tmp_path / "p").mkdir()
    assert cli.main(["train", "phase", "--steps", "1", "--out", str(tmp_path / "p")]) == 0
    capsys.readouterr()
    recorded = json.loads((tmp_path / "p" / "phase.json").read_text())["training"]["held_out"]
    assert recorded == ["humanoid3d_dance_b", "humanoid3d_getup_faceup", "humanoid3d_spinkick"]
    assert cli.main(["train", "phase", "--steps", "1", "--held-out", "walk", "humanoid3d_run", "--out",
                     str(tmp_path / "q")]) == 0
    capsys.readouterr()
    recorded = json.loads((tmp_path / "q" / "phase.json").read_text())["training"]["held_out"]
    assert recorded == ["humanoid3d_run", "humanoid3d_walk"]
    assert cli.main(["train", "phase", "--steps", "1", "--held-out", "none", "--out", str(tmp_path / "n")]) == 0
    capsys.readouterr()
    assert json.loads((tmp_path / "n" / "phase.json").read_text())["training"]["held_out"] == []
    assert cli.main(["train", "sampler", "--phase", str(tmp_path / "p" / "phase.safetensors"), "--manifold",
                     str(tmp_path / "p" / "phase.safetensors"), "--out", str(tmp_path / "s")]) == 2
    assert "holds a rsmt_phase network, expected rsmt_manifold" in capsys.readouterr().err
    assert cli.main(["train", "phase", "--data", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert cli.main(["train", "phase", "--data", str(tmp_path), "--held-out", "walk"]) == 2
    assert "--held-out names embedded clips" in capsys.readouterr().err
    assert cli.main(["train", "phase", "--held-out", "moonwalk", "--out", str(tmp_path / "h")]) == 2
    assert "moonwalk: not an embedded clip" in capsys.readouterr().err
    assert cli.main(["train", "phase", "--steps", "0", "--out", str(tmp_path / "z")]) == 2
    assert "--steps must be at least 1" in capsys.readouterr().err


def test_sampler_step_trains_everything_but_the_frozen_decoder():
    """One real sampler step (lite preset, batch 2) on the embedded walk with untrained phase and
    manifold weights: finite losses, the style encoder and LSTM move, the manifold decoder does not."""
    from inference.networks.deephase import PAE
    from inference.networks.rsmt_config import RSMTConfig
    from inference.networks.rsmt_networks import network_weights
    from inference.networks.stylevae import StyleVAE
    from training.harness import StepContext
    from training.train_sampler import sampler_trainer

    torch.manual_seed(0)
    data = _small_dataset()
    cfg = RSMTConfig.for_roles(data.roles, "lite")
    manifold = StyleVAE(cfg)
    trainer = sampler_trainer(data, "lite", torch.device("cpu"), network_weights(PAE(cfg)),
                              network_weights(manifold), steps=10, batch=2)
    model = trainer.model
    assert torch.equal(model.decoder.mlp.weight, manifold.decoder.mlp.weight)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    losses = {k: float(v.detach()) for k, v in trainer.step_fn(StepContext(0, np.random.default_rng(0),
                                                                            torch.device("cpu"))).items()}
    assert all(np.isfinite(v) for v in losses.values()) and losses["loss"] > 0
    after = model.state_dict()
    assert torch.equal(after["decoder.mlp.weight"], before["decoder.mlp.weight"])
    assert not torch.equal(after["LSTMCell.weight_ih"], before["LSTMCell.weight_ih"])
    assert not torch.equal(after["film_generator.conv_pre.weight"], before["film_generator.conv_pre.weight"])
    assert float(model.pos_std) != 1.0  # style statistics were filled in from the training clips


def _two_style_sampler_inputs():
    """(dataset of two embedded clips = two styles, untrained phase weights, untrained manifold weights), seeded."""
    from inference.networks.deephase import PAE
    from inference.networks.rsmt_config import RSMTConfig
    from inference.networks.rsmt_networks import network_weights
    from inference.networks.stylevae import StyleVAE
    from training.datasets import embedded_dataset

    torch.manual_seed(0)
    data = embedded_dataset(clips=("humanoid3d_walk", "humanoid3d_run"), held_out=())
    cfg = RSMTConfig.for_roles(data.roles, "lite")
    return data, network_weights(PAE(cfg)), network_weights(StyleVAE(cfg))


def _random_windows(seed: int):
    """(small dataset, lite config, an untrained eval-mode sampler, generator, pos, rot, phase): two random
    25-frame windows drawn from `generator` in that order, which callers may go on drawing from."""
    from inference.networks.rsmt_config import RSMTConfig
    from inference.networks.transitionnet import TransitionSampler

    data = _small_dataset()
    cfg = RSMTConfig.for_roles(data.roles, "lite")
    torch.manual_seed(0)
    model = TransitionSampler(cfg).eval()
    gen = torch.Generator().manual_seed(seed)
    n, t, j, p = 2, 25, cfg.num_joints, cfg.phase_dim
    pos, rot = 50 * torch.randn(n, t, j, 3, generator=gen), torch.randn(n, t, j, 6, generator=gen)
    return data, cfg, model, gen, pos, rot, torch.randn(n, t, p, 2, generator=gen)


def test_sampler_steps_log_how_far_another_style_moves_the_transition():
    """With two styles (clips) to draw from, every 10th step also reports style_move (see style_move)."""
    from training.harness import StepContext
    from training.train_sampler import STYLE_PROBE_EVERY, sampler_trainer

    data, phase, manifold = _two_style_sampler_inputs()
    trainer = sampler_trainer(data, "lite", torch.device("cpu"), phase, manifold, steps=10, batch=2)
    logged = [trainer.step_fn(StepContext(step, np.random.default_rng(step), torch.device("cpu")))
              for step in (STYLE_PROBE_EVERY - 2, STYLE_PROBE_EVERY - 1)]  # 0-based: logged as steps 9, 10
    assert "style_move" not in logged[0]
    assert np.isfinite(logged[1]["style_move"]) and logged[1]["style_move"] > 0


def test_phase_terms_are_scaled_to_unit_phase_vectors():
    """The total divides the phase, A and slerped-phase terms by the training phases' mean squared norm (RSMT's
    weights are for unit-size phase vectors); the logged terms stay the plain MSEs."""
    from training.train_sampler import PHASE_TERMS, WEIGHTS, phase_scale, sampler_loss

    phase = np.zeros((3, 4, 5, 2))
    phase[..., 0] = 3.0
    assert phase_scale(phase) == 9.0
    data, cfg, model, gen, pos, rot, ph = _random_windows(1)
    n, t, p = 2, 25, cfg.phase_dim
    amp, shift = torch.rand(n, t, p, 1, generator=gen), torch.rand(n, t, p, 1, generator=gen)
    style = model.encode_style(torch.randn(n, cfg.style_channels, cfg.style_frames - 1, generator=gen))
    offsets = torch.from_numpy(np.asarray(data.offsets, np.float32))
    with torch.no_grad():
        plain, scaled = (sampler_loss(model, pos, rot, ph, amp, shift, style, offsets, data.roles.parents,
                                      data.roles.feet, 10, 12, torch.zeros(n, 2 * cfg.state_out), s) for s in (1.0, 4.0))
    assert all(torch.equal(plain[k], scaled[k]) for k in plain if k != "loss")
    phase_part = sum(WEIGHTS[k] * plain[k] for k in PHASE_TERMS)
    assert float(plain["loss"] - scaled["loss"]) == pytest.approx(0.75 * float(phase_part), rel=1e-5)


def test_the_style_loss_trains_the_sampler_on_another_styles_code(tmp_path, monkeypatch):
    """--style-loss: a critic fitted on the training clips (frozen), and each step also generates the batch with
    another style's code, scored by the critic's cross-entropy and by landing on the target; the style
    encoder learns from it. Off (0), the step is RSMT's."""
    import cli
    from training import style_critic
    from training.harness import StepContext
    from training.train_sampler import sampler_trainer

    monkeypatch.setattr(style_critic, "STEPS", 5)  # a real fit, kept short
    data, phase, manifold = _two_style_sampler_inputs()
    trainer = sampler_trainer(data, "lite", torch.device("cpu"), phase, manifold, steps=10, batch=2, style_loss=0.5)
    assert trainer.meta["style_loss"] == 0.5 and "heldout_accuracy" in trainer.meta["style_critic"]
    film = trainer.model.film_generator.conv_pre.weight.clone()
    losses = trainer.step_fn(StepContext(1, np.random.default_rng(1), torch.device("cpu")))
    assert {"style_ce", "swap_last_pos", "swap_last_rot"} <= set(losses)
    assert all(np.isfinite(float(v.detach()) if torch.is_tensor(v) else float(v)) for v in losses.values())
    assert not torch.equal(trainer.model.film_generator.conv_pre.weight, film)
    plain = sampler_trainer(data, "lite", torch.device("cpu"), phase, manifold, steps=10, batch=2)
    assert "style_loss" not in plain.meta
    assert "style_ce" not in plain.step_fn(StepContext(1, np.random.default_rng(1), torch.device("cpu")))
    assert cli.main(["train", "phase", "--style-loss", "1", "--out", str(tmp_path / "p")]) == 2
    assert cli.main(["train", "sampler", "--lr", "0", "--out", str(tmp_path / "p")]) == 2
    slow = sampler_trainer(data, "lite", torch.device("cpu"), phase, manifold, steps=10, batch=2, learning_rate=2e-4)
    assert slow.meta["learning_rate"] == 2e-4 and slow.optimizer.param_groups[0]["lr"] == 2e-4


def test_style_move_is_zero_for_the_same_code_and_grows_with_a_different_one():
    """The training log's style_move probe: swapping the style code for itself moves nothing; for another
    clip's code an untrained sampler's joints move (FiLM and attention read the code every frame)."""
    from training.train_sampler import style_move

    data, cfg, model, gen, pos, rot, ph = _random_windows(2)
    n = 2
    a, b = (model.encode_style(torch.randn(n, cfg.style_channels, cfg.style_frames - 1, generator=gen)) for _ in "ab")
    offsets = torch.from_numpy(np.asarray(data.offsets, np.float32))
    args = (offsets, data.roles.parents, 10, 12, torch.zeros(n, 2 * cfg.state_out))
    assert style_move(model, pos, rot, ph, a, a, *args) == 0.0
    assert style_move(model, pos, rot, ph, a, b, *args) > 0.0


def test_each_batch_is_of_one_style():
    """A batch's windows and style clips are all of one style, as RSMT's batches (so a window's style code
    is of its own style), the clips mostly not in the windows' order, and every style gets batches; a
    style with fewer windows than the batch repeats some."""
    from training.train_sampler import style_batch

    by_style = {"walk": (np.arange(0, 40), np.array([0, 1, 2])), "run": (np.arange(40, 45), np.array([3, 4])),
                "jump": (np.arange(45, 90), np.array([5, 6, 7, 8]))}
    style_of_row = {r: s for s, (rows, _) in by_style.items() for r in rows}
    style_of_clip = {c: s for s, (_, clips) in by_style.items() for c in clips}
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(30):
        rows, clips = style_batch(rng, by_style, 8)
        assert len(rows) == len(clips) == 8
        styles = {style_of_row[r] for r in rows} | {style_of_clip[c] for c in clips}
        assert len(styles) == 1
        seen |= styles
        if styles != {"run"}:  # enough windows: no window twice
            assert len(set(rows)) == 8
    assert seen == set(by_style)


def test_init_starts_a_run_from_trained_weights(tmp_path, capsys):
    """--init loads weights of the same network, preset and skeleton into the run (a sampler only with the
    manifold its frozen decoder came from); anything else is an error naming the file."""
    import cli
    from cli import UserError
    from cli.train import start_from
    from inference.networks.deephase import PAE
    from inference.networks.rsmt_config import RSMTConfig
    from inference.networks.rsmt_networks import network_weights
    from inference.networks.stylevae import StyleVAE
    from inference.networks.transitionnet import TransitionSampler
    from inference.weights import WeightsError, WeightSet

    roles = _small_dataset().roles
    lite, paper = RSMTConfig.for_roles(roles, "lite"), RSMTConfig.for_roles(roles, "paper")
    torch.manual_seed(0)
    trained = network_weights(PAE(lite))
    trained.save(tmp_path / "phase")
    trained = WeightSet.load(tmp_path / "phase.safetensors")
    torch.manual_seed(1)
    fresh = PAE(lite)
    start_from(fresh, trained, "phase")
    assert all(torch.equal(v, torch.from_numpy(trained.tensors[k]).float()) for k, v in fresh.state_dict().items()
               if k in trained.tensors)
    with pytest.raises(WeightsError, match="phase.safetensors: holds a rsmt_phase network, expected rsmt_manifold"):
        start_from(StyleVAE(lite), trained, "manifold")
    with pytest.raises(UserError, match="phase.safetensors: trained with another preset or skeleton"):
        start_from(PAE(paper), trained, "phase")
    sampler = TransitionSampler(lite)
    network_weights(sampler).save(tmp_path / "sampler")
    other_manifold = TransitionSampler(lite)  # its decoder stands for another manifold's
    with pytest.raises(UserError, match="sampler.safetensors: this sampler was trained on another manifold"):
        start_from(other_manifold, WeightSet.load(tmp_path / "sampler.safetensors"), "sampler")
    # the command records where it started from
    assert cli.main(["train", "phase", "--steps", "1", "--init", str(tmp_path / "phase.safetensors"), "--out",
                     str(tmp_path / "tuned")]) == 0
    capsys.readouterr()
    assert json.loads((tmp_path / "tuned" / "phase.json").read_text())["training"]["init"] == \
        str(tmp_path / "phase.safetensors")
    assert cli.main(["train", "manifold", "--steps", "1", "--init", str(tmp_path / "phase.safetensors"), "--phase",
                     str(tmp_path / "phase.safetensors"), "--out", str(tmp_path / "m")]) == 2
    assert "holds a rsmt_phase network, expected rsmt_manifold" in capsys.readouterr().err
    assert cli.main(["train", "phase", "--data", str(tmp_path), "--sim"]) == 2
    assert "--sim adds performances of the embedded clips" in capsys.readouterr().err


def test_swap_from_runs_the_other_style_transitions_between_windows_of_one_style(tmp_path, monkeypatch):
    """--swap-from STYLE: the swapped-style transitions start and end on STYLE's windows, so the style asked for
    is always another one; by default they run between the batch's own windows, whichever style that is."""
    import cli
    from training import style_critic, train_sampler
    from training.harness import StepContext, TrainingError

    monkeypatch.setattr(style_critic, "STEPS", 5)
    asked = []
    real = train_sampler.swapped_style_losses

    def recording(model, critic, pos, rot, phase, other_style, other_index, *rest):
        asked.append(other_index)
        return real(model, critic, pos, rot, phase, other_style, other_index, *rest)

    monkeypatch.setattr(train_sampler, "swapped_style_losses", recording)
    data, phase, manifold = _two_style_sampler_inputs()
    source = data.styles[0]
    for swap_from in (None, source):
        asked.clear()
        trainer = train_sampler.sampler_trainer(data, "lite", torch.device("cpu"), phase, manifold, steps=10, batch=2,
                                                style_loss=0.5, swap_from=swap_from)
        assert trainer.meta["swap_from"] == swap_from
        for step in range(8):
            trainer.step_fn(StepContext(step, np.random.default_rng(step), torch.device("cpu")))
        if swap_from is None:
            assert set(asked) == {0, 1}
        else:
            assert set(asked) == {1}
    with pytest.raises(TrainingError, match="no training window of that style"):
        train_sampler.sampler_trainer(data, "lite", torch.device("cpu"), phase, manifold, steps=10, batch=2,
                                      style_loss=0.5, swap_from="tiptoe")
    assert cli.main(["train", "sampler", "--swap-from", "normal", "--out", str(tmp_path / "s")]) == 2


def test_critics_score_the_style_term_together(tmp_path, monkeypatch):
    """--critics N: critics fitted with seeds 0..N-1 score the swapped-style transitions by their mean
    log-probabilities; one is the seed-0 critic as before. N < 1, or N > 1 without --style-loss, is refused."""
    import cli
    from training import style_critic
    from training.train_sampler import sampler_trainer

    monkeypatch.setattr(style_critic, "STEPS", 5)
    data, phase, manifold = _two_style_sampler_inputs()
    single, single_report = style_critic.fit_critics(data, 1)
    seed0, seed0_report = style_critic.fit_critic(data, seed=0)
    assert single_report == seed0_report
    assert all(torch.equal(a, b) for a, b in zip(single.state_dict().values(), seed0.state_dict().values()))
    ensemble, report = style_critic.fit_critics(data, 3)
    members = [style_critic.fit_critic(data, seed=s)[0] for s in range(3)]
    pos = torch.from_numpy(np.stack([s.pos[:12] for s in data.train[:2]]).astype(np.float32))
    with torch.no_grad():
        expected = torch.stack([m(pos).log_softmax(-1) for m in members]).mean(0)
        assert torch.allclose(ensemble(pos), expected, atol=1e-6)
    assert report["critics"] == 3 and len(report["member_heldout_accuracy"]) == 3
    assert not ensemble.critics[1].convs[0].weight.requires_grad
    trainer = sampler_trainer(data, "lite", torch.device("cpu"), phase, manifold, steps=10, batch=2, style_loss=0.5,
                              critics=2)
    assert trainer.meta["style_critic"]["critics"] == 2
    assert cli.main(["train", "sampler", "--critics", "0", "--out", str(tmp_path / "s")]) == 2
    assert cli.main(["train", "sampler", "--critics", "2", "--out", str(tmp_path / "s")]) == 2


def test_a_judging_critic_takes_a_seed_the_sampler_never_trained_against():
    """style_critic.unused_seed reads the sampler's "training" record: --critics N used seeds 0..N-1, one critic
    seed 0, none without --style-loss; the answer is never 0, the seed of training's first critic."""
    from training.style_critic import unused_seed

    assert unused_seed({}) == 1
    assert unused_seed({"critics": 4}) == 1  # no style loss: the count is not a critic of this sampler
    assert unused_seed({"style_loss": 0.1}) == 1
    assert unused_seed({"style_loss": 0.1, "critics": 4}) == 4
