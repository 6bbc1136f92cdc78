"""Training: bit-exact resume after a crash, a kill or a preemption; divergence; artifacts."""

import csv
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from lsrepro.artifacts.model import load_model
from lsrepro.training import DivergenceError, Preempted, step_seed
from train_worker import RECIPE, run

WORKER = Path(__file__).with_name("train_worker.py")


def weights(out_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(out_dir / "model.pt", weights_only=False)["state_dict"]


def assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), f"{key} differs"


def losses(out_dir: Path) -> list[str]:
    with open(out_dir / "history.csv") as f:
        return [(row["step"], row["loss"], row["accuracy"]) for row in csv.DictReader(f)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference")
    run(out)
    return out


def test_artifacts(reference):
    assert sorted(p.name for p in reference.iterdir()) == [
        "checkpoint.pt",  # the finished state, without optimizer (see test_finished_...)
        "history.csv",
        "model.pt",
        "partial_snapshots",  # hard links of snapshots/ (no extra space)
        "snapshots",
    ]
    assert sorted(p.name for p in (reference / "snapshots").iterdir()) == [
        "step~0.pt",
        "step~20.pt",
        "step~60.pt",
    ]
    model, meta = load_model(reference / "model.pt")
    assert meta["run"]["alpha"] == 0.1 and meta["seed"] == 7 and meta["dataset"] == "tiny"
    assert meta["recipe"]["steps"] == 60 and "torch" in meta["versions"] and meta["commit"]
    assert meta["objective"] == {"objective": "label_smoothing", "alpha": 0.1}
    assert [int(r[0]) for r in losses(reference)] == list(range(5, 61, 5))
    # every snapshot rebuilds its model on its own
    final, snap_meta = load_model(reference / "snapshots" / "step~60.pt")
    assert snap_meta["step"] == 60 and snap_meta["fingerprint"] == meta["fingerprint"]
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in final.state_dict().items())
    first, _ = load_model(reference / "snapshots" / "step~0.pt")
    assert not torch.equal(first.classifier.weight, model.classifier.weight)


def test_training_learns(reference):
    first, last = losses(reference)[0], losses(reference)[-1]
    assert float(last[1]) < float(first[1])


def test_resume_after_stop_is_bit_identical(reference, tmp_path):
    partial = run(tmp_path, max_steps=26)  # stops with a checkpoint at step 26
    assert (tmp_path / "checkpoint.pt").exists() and not (tmp_path / "model.pt").exists()
    assert partial.resumed_from == 0
    resumed = run(tmp_path)
    assert resumed.resumed_from == 26
    assert_same_weights(reference, tmp_path)
    assert losses(reference) == losses(tmp_path)
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=False)["optimizer"] is None
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == [
        "step~0.pt",
        "step~20.pt",
        "step~60.pt",
    ]


def _start_worker(out: Path, precision: str = "fp32") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(out), "-", precision], stderr=subprocess.PIPE, text=True
    )


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_sigkill_at_a_random_moment_then_resume_is_bit_identical(
    reference, reference_bf16, tmp_path, precision
):
    proc = _start_worker(tmp_path, precision)
    _wait_for(tmp_path / "checkpoint.pt", proc)
    time.sleep(0.3)  # somewhere between checkpoints
    proc.kill()
    proc.wait()
    assert not (tmp_path / "model.pt").exists()
    assert run(tmp_path, precision=precision).resumed_from > 0
    assert_same_weights(reference if precision == "fp32" else reference_bf16, tmp_path)


# --- bf16 autocast (lsrepro.training.precision): resumes bitwise within its own precision ------


@pytest.fixture(scope="module")
def reference_bf16(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference_bf16")
    result = run(out, precision="bf16")
    assert result.runtime == {"precision": "bf16", "channels_last": True, "compile": "eager"}
    return out


def test_bf16_trains_other_weights_than_fp32_and_learns(reference, reference_bf16):
    wa, wb = weights(reference), weights(reference_bf16)
    # autocast really ran: the bf16 run's weights are not the fp32 run's (parameters, buffers
    # and optimiser stay fp32) ...
    assert any(not torch.equal(wa[k], wb[k]) for k in wa)
    assert all(wb[k].dtype == wa[k].dtype for k in wa)
    # ... but the same training: the mean loss of the first 5 steps agrees within bf16 rounding
    # (later the two trajectories drift apart, as any two runs of SGD at lr 0.1 would)
    fp32_first, bf16_first = float(losses(reference)[0][1]), float(losses(reference_bf16)[0][1])
    assert bf16_first != fp32_first and math.isclose(bf16_first, fp32_first, rel_tol=0.02)
    first, last = losses(reference_bf16)[0], losses(reference_bf16)[-1]
    assert float(last[1]) < float(first[1])
    _, meta = load_model(reference_bf16 / "model.pt")
    assert meta["recipe"]["precision"] == "bf16" and meta["runtime"]["channels_last"]


def test_bf16_resume_after_stop_is_bit_identical(reference_bf16, tmp_path):
    assert run(tmp_path, max_steps=26, precision="bf16").resumed_from == 0
    resumed = run(tmp_path, precision="bf16")
    assert resumed.resumed_from == 26
    assert_same_weights(reference_bf16, tmp_path)
    assert losses(reference_bf16) == losses(tmp_path)


def test_precision_and_compile_are_part_of_the_fingerprint(tmp_path):
    run(tmp_path, max_steps=8)  # an fp32 eager checkpoint
    assert run(tmp_path, max_steps=8, precision="bf16").resumed_from == 0  # not resumed from it
    assert len(list(tmp_path.glob("checkpoint.*.pt"))) == 1  # the fp32 one, set aside
    prints = {
        run(tmp_path / name, max_steps=0, **kw).fingerprint
        for name, kw in [
            ("a", {}),
            ("b", {"precision": "bf16"}),
            ("c", {"compile": True}),
            ("d", {"precision": "bf16", "compile": True}),
        ]
    }
    assert len(prints) == 4


def test_compiled_bf16_training_runs_on_the_cpu(tmp_path):
    """The step a GPU user runs first (torch.compile + bf16 autocast + channels_last), executed
    for a few steps on the CPU; its losses match the eager bf16 run's within bf16 rounding."""
    steps = 6
    compiled = run(tmp_path / "compiled", steps=steps, precision="bf16", compile=True)
    status = compiled.runtime["compile"]
    if status.startswith("fallback"):
        pytest.skip(f"torch.compile is unavailable on this machine: {status}")
    assert status == "compiled" and compiled.runtime["channels_last"]
    eager = run(tmp_path / "eager", steps=steps, precision="bf16")
    assert eager.runtime["compile"] == "eager"
    (_, loss_c, _), (_, loss_e, _) = losses(tmp_path / "compiled")[0], losses(tmp_path / "eager")[0]
    assert math.isclose(float(loss_c), float(loss_e), rel_tol=0.02)  # mean loss of steps 1-5
    _, meta = load_model(tmp_path / "compiled" / "model.pt")
    assert meta["runtime"]["compile"] == "compiled"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGUSR1])
def test_preemption_signal_checkpoints_and_exits_75(reference, tmp_path, sig):
    proc = _start_worker(tmp_path)
    _wait_for(tmp_path / "checkpoint.pt", proc)
    sent = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 10
    assert proc.returncode == Preempted.exit_code, err
    assert f"received signal {sig.name}" in err
    assert not (tmp_path / "model.pt").exists()
    ckpt = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert 0 < ckpt["step"] < 60
    assert run(tmp_path).resumed_from == ckpt["step"]
    assert_same_weights(reference, tmp_path)


def test_foreign_checkpoint_is_set_aside_not_used(reference, tmp_path):
    run(tmp_path, max_steps=8, alpha=0.3)  # another alpha: another fingerprint
    assert run(tmp_path).resumed_from == 0
    assert len(list(tmp_path.glob("checkpoint.*.pt"))) == 1  # kept, not deleted
    assert_same_weights(reference, tmp_path)


def test_divergence_names_step_and_last_finite_loss(tmp_path):
    with pytest.raises(
        DivergenceError, match=r"loss became (nan|inf) at step \d+; last finite loss"
    ):
        run(
            tmp_path,
            optimizer={
                "lr": 1e6,
                "momentum": 0.9,
                "nesterov": False,
                "dampening": 0.0,
                "last_layer_lr_scale": 1.0,
            },
            grad_clip=None,
        )
    assert not (tmp_path / "model.pt").exists()


def test_step_seeds_are_distinct():
    seeds = {step_seed(s, t, k) for s in range(3) for t in range(50) for k in range(4)}
    assert len(seeds) == 600 and all(0 <= s < 2**63 for s in seeds)
    assert not math.isnan(float(step_seed(0, 0, 0)))


def _snapshot_fingerprints(out_dir: Path) -> dict[str, str]:
    return {
        p.name: load_model(p)[1]["fingerprint"] for p in sorted((out_dir / "snapshots").iterdir())
    }


def test_killed_run_never_leaks_snapshots_into_another_run(tmp_path):
    # Issue 10 §2: run A (snapshots 0/20/40/60) dies after step 45; run B with another recipe
    # (snapshots 0/60, another lr) then trains in the same directory.
    run(tmp_path, snapshot_steps=[0, 20, 40, 60], max_steps=45)
    assert sorted(p.name for p in (tmp_path / "partial_snapshots").iterdir()) == [
        "step~0.pt",
        "step~20.pt",
        "step~40.pt",
    ]
    lr_half = {**RECIPE["optimizer"], "lr": 0.05}
    result = run(tmp_path, snapshot_steps=[0, 60], optimizer=lr_half)
    assert result.resumed_from == 0
    fingerprints = _snapshot_fingerprints(tmp_path)
    assert sorted(fingerprints) == ["step~0.pt", "step~60.pt"]
    assert set(fingerprints.values()) == {result.fingerprint}


def test_finished_run_whose_outputs_were_rejected_is_not_trained_again(reference, tmp_path):
    run(tmp_path)
    # Snakemake deletes the outputs of a job it did not accept (e.g. SIGINT to snakemake
    # while the job was finishing), then runs the job again.
    import shutil

    for name in ("model.pt", "history.csv"):
        (tmp_path / name).unlink()
    shutil.rmtree(tmp_path / "snapshots")
    again = run(tmp_path)
    assert again.resumed_from == 60 and again.history == losses_as_rows(reference, again)
    assert_same_weights(reference, tmp_path)
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == [
        "step~0.pt",
        "step~20.pt",
        "step~60.pt",
    ]


def losses_as_rows(reference: Path, result) -> list:
    """The resumed run's history rows, checked against the reference file's losses."""
    assert [(str(r["step"]), repr(r["loss"])) for r in result.history] == [
        (a, repr(float(b))) for a, b, _ in losses(reference)
    ]
    return result.history


def test_stale_temporary_files_are_cleared_at_start(tmp_path):
    run(tmp_path, max_steps=8)
    stale = [tmp_path / ".checkpoint.pt.k2j3.tmp", tmp_path / "partial_snapshots/.step~20.pt.x.tmp"]
    for path in stale:
        path.write_bytes(b"half a file")
    run(tmp_path)
    assert not any(p.exists() for p in stale)
    assert not list(tmp_path.rglob("*.tmp"))


def test_unwritable_run_directory_fails_before_the_first_step(tmp_path):
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("")
    with pytest.raises(PermissionError, match="cannot write into the run directory"):
        run(blocker / "run")


def test_any_atomic_write_removes_the_stale_temporary_file_of_its_target(tmp_path):
    from lsrepro.io import atomic_savez

    target = tmp_path / "prepared.npz"
    stale = tmp_path / ".prepared.npz.x81k2.tmp"  # what a SIGKILL during a write leaves
    other = tmp_path / ".other.npz.abc.tmp"  # another output's: not ours to remove
    stale.write_bytes(b"71 MB of half a file")
    other.write_bytes(b"")
    atomic_savez(target, a=np.arange(3))
    assert target.exists() and not stale.exists() and other.exists()


def test_a_second_foreign_checkpoint_never_overwrites_the_first_set_aside(tmp_path):
    run(tmp_path, max_steps=8, alpha=0.3)  # foreign run X, 8 steps
    run(tmp_path, max_steps=4)  # this run sets X aside, then stops at step 4
    run(tmp_path, max_steps=12, alpha=0.3)  # X again: sets this run aside under its own name
    run(tmp_path, max_steps=4)  # and once more: a second checkpoint of X is set aside
    aside = sorted(p.name for p in tmp_path.glob("checkpoint.*.pt"))
    assert len(aside) == 3, aside  # X (8 steps), this run (4), X (12): none overwritten
    steps = sorted(torch.load(tmp_path / name, weights_only=False)["step"] for name in aside)
    assert steps == [4, 8, 12]
