"""ImageNet: both on-disk layouts, verification and its errors, the Inception crops, the
streaming batch source, gradient accumulation and the weight average, and (slow) the whole
imagenet_inception_v4 chain through the workflow on a tiny ImageFolder of real JPEG files."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from imagenet_data import DEVKIT_IDS, WNIDS, expect, write_devkit, write_folder, write_tars
from lsrepro.data import imagenet
from lsrepro.data.imagenet import CropSpec, ImageFiles, load_manifest, prepare_imagenet, read_bytes
from lsrepro.data.images import DataIntegrityError, make_split
from lsrepro.training.stream import StreamedImageBatches


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("imagenet")
    return {"folder": write_folder(root / "folder"), "tar": write_tars(root / "tar")}


def options(root: Path, **overrides) -> dict:
    return {"root": str(root), "verify": "decode", "expect": expect(), **overrides}


def test_both_layouts_index_the_same_images_with_the_same_labels(copies):
    folder, tar = imagenet.scan(copies["folder"]), imagenet.scan(copies["tar"])
    assert folder.class_names == tar.class_names == tuple(WNIDS)
    assert (folder.layout, tar.layout) == ("folder", "tar")
    for split in ("train", "test"):
        a, b = getattr(folder, split), getattr(tar, split)
        by_name = {Path(str(n)).name: i for i, n in enumerate(b.names)}
        assert sorted(by_name) == sorted(Path(str(n)).name for n in a.names)
        for i, name in enumerate(a.names):
            j = by_name[Path(str(name)).name]
            assert a.labels[i] == b.labels[j]
            # the bytes read in place from the tar (at the indexed offset) are the file's bytes
            assert read_bytes(folder.root, a, i) == read_bytes(tar.root, b, j)
    # val labels: the devkit's ILSVRC ids (a permutation of WNID order) mapped to our labels
    names = [Path(str(n)).name for n in folder.test.names]
    assert [WNIDS[label] for label in folder.test.labels] == [
        Path(str(n)).parent.name for n in folder.test.names
    ]
    assert len(set(names)) == len(names) == 10
    assert imagenet.scan(copies["folder"]).digest == folder.digest  # stable


def test_prepare_writes_a_manifest_not_pixels_and_the_split_reads_it(copies, tmp_path):
    out = tmp_path / "prepared.npz"
    source = prepare_imagenet(options(copies["tar"]), out)
    assert "tar layout" in source and "5 classes" in source
    manifest = load_manifest(out)
    assert out.stat().st_size < 20_000  # names and numbers only
    assert manifest.num_classes == 5 and len(manifest.train) == 40 and len(manifest.test) == 10
    split = make_split(out, val_size=10, seed=0, out=tmp_path / "split.npz")
    assert np.bincount(manifest.train.labels[split.val]).tolist() == [2] * 5  # stratified
    assert len(np.intersect1d(split.train, split.val)) == 0 and len(split.train) == 30


def _expect_failure(root: Path, tmp_path: Path, fragment: str, **overrides) -> str:
    out = tmp_path / "prepared.npz"
    with pytest.raises(DataIntegrityError) as err:
        prepare_imagenet(options(root, **overrides), out)
    assert fragment in str(err.value), str(err.value)
    assert not out.exists()  # nothing partial
    return str(err.value)


@pytest.fixture
def folder_copy(copies, tmp_path) -> Path:
    return Path(shutil.copytree(copies["folder"], tmp_path / "copy"))


def test_missing_class_directory_is_named(folder_copy, tmp_path):
    shutil.rmtree(folder_copy / "val" / "n03041632")
    _expect_failure(folder_copy, tmp_path, f"{folder_copy / 'val' / 'n03041632'}: missing class")


def test_empty_jpeg_is_named(folder_copy, tmp_path):
    victim = folder_copy / "train" / "n02138441" / "n02138441_3.JPEG"
    victim.write_bytes(b"")
    _expect_failure(folder_copy, tmp_path, f"{victim}: empty image file")


@pytest.mark.parametrize("verify", ["header", "decode"])
def test_file_that_is_not_a_jpeg_is_named(folder_copy, tmp_path, verify):
    victim = folder_copy / "val" / "n01440764" / "ILSVRC2012_val_00000004.JPEG"
    victim.write_bytes(b"<html>404 Not Found</html>")
    _expect_failure(folder_copy, tmp_path, f"{victim}: not a JPEG or PNG", verify=verify)


def test_truncated_jpeg_is_named_by_a_decode_check(folder_copy, tmp_path):
    victim = folder_copy / "train" / "n02113712" / "n02113712_5.JPEG"
    victim.write_bytes(victim.read_bytes()[:300])
    _expect_failure(folder_copy, tmp_path, f"{victim}: cannot decode image")
    prepare_imagenet(options(folder_copy, verify="header"), tmp_path / "fast.npz")  # header ok
    files = ImageFiles(load_manifest(tmp_path / "fast.npz"), "train", CropSpec(size=75))
    row = [str(n) for n in files.files.names].index("train/n02113712/n02113712_5.JPEG")
    with pytest.raises(DataIntegrityError, match="n02113712_5.JPEG: cannot decode"):
        files[(row, [0, 0])]  # met in training: the error names the file


def test_image_counts_are_checked_against_expect(folder_copy, tmp_path):
    official = vars(imagenet.Expect())
    _expect_failure(folder_copy, tmp_path, "5 classes, expected 1000", expect=official)
    wrong = {**expect(), "train_images": 41}
    _expect_failure(folder_copy, tmp_path, "40 train images, expected 41", expect=wrong)
    (folder_copy / "val" / "n01440764" / "ILSVRC2012_val_00000004.JPEG").rename(
        folder_copy / "val" / "n02113624" / "ILSVRC2012_val_00000004.JPEG"
    )
    _expect_failure(folder_copy, tmp_path, f"{folder_copy / 'val' / 'n01440764'}: 1 val images")


def test_a_directory_that_is_not_imagenet(tmp_path):
    other = tmp_path / "pets"
    (other / "cats").mkdir(parents=True)
    _expect_failure(other, tmp_path, f"{other}: not an ImageNet directory")
    (other / "train" / "cats").mkdir(parents=True)
    (other / "val").mkdir()
    _expect_failure(other, tmp_path, f"{other / 'train' / 'cats'}: not an ImageNet class")
    _expect_failure(tmp_path / "nowhere", tmp_path, "does not exist")


def test_val_labels_that_do_not_match_the_val_archive(copies, tmp_path):
    root = Path(shutil.copytree(copies["tar"], tmp_path / "tars"))
    devkit = root / imagenet.DEVKIT
    write_devkit(devkit, [DEVKIT_IDS[WNIDS[0]]] * 9)  # one label short
    _expect_failure(root, tmp_path, f"{devkit}: ILSVRC2012_devkit_t12/data/ILSVRC2012_validation")
    write_devkit(devkit, [DEVKIT_IDS[WNIDS[0]]] * 9 + [77])  # an id meta.mat does not know
    _expect_failure(root, tmp_path, f"{devkit}: val labels [77]")
    devkit.unlink()
    _expect_failure(root, tmp_path, f"{devkit}: missing")
    with tarfile.open(devkit, "w:gz"):
        pass  # an empty archive
    _expect_failure(root, tmp_path, f"{devkit}: has no")


# --- crops ------------------------------------------------------------------------------------


def test_random_box_stays_in_the_image_and_within_scale_and_ratio():
    rng = np.random.default_rng(0)
    for _ in range(500):
        w, h = rng.integers(40, 400, size=2)
        left, top, bw, bh = imagenet.random_box(int(w), int(h), (0.05, 1.0), (0.75, 1.33), rng)
        assert 0 <= left and left + bw <= w and 0 <= top and top + bh <= h
        # rounding to whole pixels moves area and ratio a little at small sizes
        assert 0.05 * 0.8 <= bw * bh / (w * h) <= 1.0
        assert 0.75 * 0.85 <= bw / bh <= 1.33 / 0.85
    # no box of area 100 % fits at ratio 3 in a square image: the central fallback box
    assert imagenet.random_box(100, 100, (1.0, 1.0), (3.0, 3.0), rng) == (0, 33, 100, 33)


def test_crops_match_torchvision_resized_crop():
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as TF

    yy, xx = np.mgrid[0:96, 0:128]  # smooth content: sub-pixel box offsets change little
    smooth = [128 + 100 * np.sin(xx / 9.0), 128 + 100 * np.cos(yy / 7.0), xx + yy]
    image = Image.fromarray(np.stack(smooth, -1).clip(0, 255).astype(np.uint8))
    spec = CropSpec(size=64, scale=(0.3, 1.0), ratio=(0.75, 1.33), flip=False)
    ours, flipped = imagenet.train_crop(image, spec, np.random.default_rng(5))
    left, top, w, h = imagenet.random_box(128, 96, spec.scale, spec.ratio, np.random.default_rng(5))
    theirs = TF.resized_crop(image, top, left, h, w, [64, 64], InterpolationMode.BILINEAR)
    assert not flipped and ours.shape == (64, 64, 3)
    # PIL's box resize reads a pixel beyond the box at the edges; crop-then-resize cannot
    assert np.abs(ours.astype(int) - np.asarray(theirs, dtype=int)).mean() < 3
    # evaluation: TF-slim's central_crop(0.875) then a bilinear resize (whole-pixel box here)
    center = TF.center_crop(image, [84, 112])
    reference = np.asarray(TF.resize(center, [64, 64], InterpolationMode.BILINEAR), dtype=int)
    assert np.abs(imagenet.eval_crop(image, spec).astype(int) - reference).mean() < 1


# --- streaming batches ------------------------------------------------------------------------


def _batches(manifest, start_rows, workers: int) -> StreamedImageBatches:
    crop = CropSpec(size=75, scale=(0.3, 1.0), ratio=(0.75, 1.33))
    return StreamedImageBatches(manifest, start_rows, crop, "inception", 12, 3, "cpu", workers)


def test_streamed_batches_depend_on_seed_and_step_only(copies, tmp_path):
    prepare_imagenet(options(copies["tar"]), tmp_path / "m.npz")
    manifest = load_manifest(tmp_path / "m.npz")
    rows = np.arange(0, 40, 2)  # a "train split" of 20 rows
    serial = _batches(manifest, rows, workers=0)
    first = [serial.batch(s) for s in range(3)]
    parallel = _batches(manifest, rows, workers=2)
    resumed = _batches(manifest, rows, workers=2).batch(2)  # a resume starts at step 2
    for step, batch in enumerate(first):
        other = parallel.batch(step)
        assert torch.equal(batch.inputs[0], other.inputs[0])
        assert torch.equal(batch.labels, other.labels)
        x = batch.inputs[0]
        assert x.shape == (12, 3, 75, 75) and x.min() >= -1 and x.max() <= 1
        expected = manifest.train.labels[rows[batch.index.numpy()]]
        assert batch.labels.tolist() == expected.tolist()
    assert torch.equal(resumed.inputs[0], first[2].inputs[0])
    assert not torch.equal(first[0].inputs[0], first[1].inputs[0])
    # a micro-batch is the matching slice of every field
    halves = first[0].split(2)
    assert torch.equal(torch.cat([h.inputs[0] for h in halves]), first[0].inputs[0])
    assert [h.size for h in halves] == [6, 6]
    assert torch.equal(torch.cat([h.flipped for h in halves]), first[0].flipped)


# --- accumulation and the weight average (the loop) -------------------------------------------


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=False)["state_dict"]


def test_accumulated_micro_batches_equal_one_batch(tmp_path):
    from train_worker import run

    mlp = {"name": "mlp", "hidden": [32], "image_size": 16}  # no batch norm, no dropout
    run(tmp_path / "one", steps=4, model=mlp)
    run(tmp_path / "four", steps=4, model=mlp, accumulate=4)
    a, b = _weights(tmp_path / "one/model.pt"), _weights(tmp_path / "four/model.pt")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)
    assert not torch.equal(
        a["classifier.weight"], _weights(tmp_path / "one/snapshots/step~0.pt")["classifier.weight"]
    )


def test_model_file_holds_the_weight_average_of_every_step(tmp_path):
    from train_worker import run

    decay = 0.6
    run(tmp_path / "ema", steps=3, ema_decay=decay, snapshot_steps=[0, 1, 2, 3])
    snaps = [_weights(tmp_path / f"ema/snapshots/step~{k}.pt") for k in range(4)]
    published = _weights(tmp_path / "ema/model.pt")
    for key, value in published.items():
        if not value.is_floating_point():
            assert torch.equal(value, snaps[3][key])  # batch counters are copied
            continue
        average = snaps[0][key].double()
        for k in (1, 2, 3):
            average = decay * average + (1 - decay) * snaps[k][key].double()
        torch.testing.assert_close(value.double(), average, rtol=1e-5, atol=1e-6)
    assert not torch.equal(published["classifier.weight"], snaps[3]["classifier.weight"])
    # a run stopped after step 2 and resumed ends with the same average, bit for bit
    run(tmp_path / "resumed", steps=3, ema_decay=decay, snapshot_steps=[0, 1, 2, 3], max_steps=2)
    run(tmp_path / "resumed", steps=3, ema_decay=decay, snapshot_steps=[0, 1, 2, 3])
    resumed = _weights(tmp_path / "resumed/model.pt")
    assert all(torch.equal(resumed[k], published[k]) for k in published)


def test_inception_v4_is_timms_with_affine_batch_norm():
    from lsrepro.models import build_model, display_name

    model = build_model({"name": "inception_v4", "image_size": 75}, 5, 3)
    batch_norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert batch_norms and all(m.affine and m.eps == 1e-3 for m in batch_norms)
    assert model.classifier.in_features == 1536 and model.classifier.out_features == 5
    x = torch.randn(2, 3, 75, 75)
    model.eval()
    torch.testing.assert_close(model(x), model.classifier(model.features(x)))
    assert display_name({"name": "inception_v4"}) == "Inception-v4"


# --- the workflow ------------------------------------------------------------------------------

TINY = {
    "datasets": {
        "imagenet": {
            "root": "imagenet",  # relative to the working directory
            "val_size": 10,
            "verify": "decode",
            "expect": {"classes": 5, "train_images": 60, "val_images": 20},
        }
    },
    # the tiny preset, smaller still for two loaded CPU cores: 75 px, 2 steps of 2 x 2 images
    "recipes": {
        "inception_v4": {
            "model": {"image_size": 75},
            "input": {"crop": 75},
            "batch_size": 4,
            "accumulate": 2,
            "steps": 2,
            "lr_schedule": {"milestones": [1], "warmup_steps": 1},
            "log_every": 1,
            "checkpoint_every": 1,
        }
    },
    "evaluate": {"train_sample_by_dataset": {"imagenet": 1000}},
}


@pytest.mark.slow
def test_imagenet_chain_end_to_end_on_real_jpegs(tmp_path):
    from workflow_runs import fresh_copy, snakemake

    wd = fresh_copy(tmp_path)
    write_folder(wd / "imagenet", n_train=12, n_val=4)
    (wd / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    snakemake("--cores", "2", "--configfile", "presets/imagenet_tiny.yaml", "tiny.yaml", cwd=wd)
    results = wd / "results"
    # the data stays where it is: a manifest of 80 files, no pixels in results/
    assert not list(results.rglob("*.JPEG"))
    assert (results / "data/imagenet/prepared.npz").stat().st_size < 30_000
    run = "imagenet_inception_v4/alpha~0.1/seed~0"
    meta = torch.load(results / f"train/{run}/model.pt", weights_only=False)["metadata"]
    extra = meta["recipe"]["extra"]
    assert extra["ema_decay"] == 0.9 and extra["accumulate"] == 2
    assert len(meta["manifest_digest"]) == 16
    with np.load(results / f"evaluate/{run}/test.npz") as test:  # the official val set
        assert test["features"].shape == (20, 1536) and list(test["class_names"]) == WNIDS
    with np.load(results / f"evaluate/{run}/train.npz") as train:
        assert len(train["index"]) == 50  # the whole train split (60 - 10 held out)
    # Table 2 / Table 3 rows beside the paper's numbers
    table2 = pd.read_csv(results / "tables/table2_accuracy.csv")
    row = table2[table2["dataset"] == "ImageNet"].iloc[0]
    assert row["architecture"] == "Inception-v4" and row["alpha=0 paper"] == 80.9
    assert 0 <= row["alpha=0.1 val"] <= 100
    table3 = pd.read_csv(results / "tables/table3_calibration.csv").iloc[0]
    assert (table3["baseline ECE paper"], table3["TS T paper"]) == (0.071, 1.4)
    assert table3["LS ECE paper"] == 0.035 and np.isfinite(table3["LS ECE val"])
    # Fig. 1 rows 3-4 (by WNID), Fig. 2 right, claims C7-C9 judged for ImageNet
    figures = results / "figures"
    for triplet in ("paper", "similar"):
        assert (figures / f"projection/imagenet_inception_v4/{triplet}.pdf").stat().st_size > 0
    assert (figures / "reliability/imagenet_inception_v4.pdf").stat().st_size > 0
    claims = pd.read_csv(results / "tables/claims.csv")
    judged = claims[claims["experiments"] == "imagenet_inception_v4"]
    assert {"C7", "C8a", "C8b", "C9"} <= set(judged["subclaim"])
    assert (judged.set_index("subclaim").loc[["C7", "C8a", "C9"], "verdict"] != "not run").all()


@pytest.mark.slow
def test_paper_dag_with_imagenet_gives_it_a_gpu_memory_and_time(tmp_path):
    pytest.importorskip("snakemake_executor_plugin_slurm", reason="pip install -e '.[slurm]'")
    from lsrepro.models import registry
    from test_profiles import job_resources
    from workflow_runs import fresh_copy, job_counts, snakemake

    wd = fresh_copy(tmp_path)
    (wd / "imagenet").mkdir()
    config = yaml.safe_load((wd / "config.yaml").read_text())
    opt_in = {
        "datasets": {"imagenet": {"root": "imagenet"}},
        "run": [*config["run"], "imagenet_inception_v4"],
    }
    (wd / "imagenet.yaml").write_text(yaml.safe_dump(opt_in))
    proc = snakemake(
        "-n", "--workflow-profile", "profiles/slurm", "--configfile", "imagenet.yaml", cwd=wd
    )
    output = proc.stdout + proc.stderr
    counts = job_counts(output)
    # the paper DAG (tests/test_workflow.py) + ImageNet: one dataset, 2 models, 1 Fig. 2 and
    # 2 Fig. 1 rows, 1 experiment's plots
    assert counts["prepare_data"] == 4 and counts["split_data"] == 4
    assert counts["train"] == 110 + 2 and counts["evaluate"] == 110 + 85 + 2
    assert counts["plot_reliability"] == 5 and counts["project_penultimate"] == 10
    assert counts["plot_calibration_vs_alpha"] == 7
    jobs = job_resources(output)
    recipe = config["recipes"]["inception_v4"]
    # 27052 steps x 4096 images x 6 ms (V100-class fp32) / 8 GPUs (DDP) x 2 + 10 min: ~46 h
    minutes = registry.train_minutes(recipe, 1, gpus=8)
    assert minutes == int(27052 * 0.006 * 4096 / 8 * 2 / 60 + 10) + 1
    trains = [job for job in jobs["train"] if "imagenet" in job["wildcards"]]
    evaluations = [job for job in jobs["evaluate"] if "imagenet" in job["wildcards"]]
    assert len(trains) == len(evaluations) == 2
    for job in trains + evaluations:
        assert job["slurm_partition"] == "<gpu-partition>"
    for job in trains:  # one 8-GPU node, data-parallel
        assert (job["gpu"], job["mem_mb"], int(job["runtime"])) == ("8", "256000", minutes)
    for job in evaluations:
        assert (job["gpu"], job["mem_mb"], job["runtime"]) == ("1", "32000", "180")
    cifar = [job for job in jobs["train"] if "cifar10_resnet56" in job["wildcards"]]
    assert all(job["mem_mb"] == "8000" for job in cifar)  # other datasets unchanged


def test_config_names_what_an_imagenet_run_lacks(tmp_path):
    from lsrepro.config import ConfigError, validate_config

    root = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((root / "config.yaml").read_text())
    config["run"] = ["imagenet_inception_v4"]
    config["distillation"].update(run=[], fig5=None, mnist_toy=None)  # as imagenet_tiny.yaml
    config["information"]["experiments"] = []
    schema = root / "workflow/schemas/config.schema.yaml"
    prepared = {d: tmp_path / d / "prepared.npz" for d in config["datasets"]}
    with pytest.raises(ConfigError, match=r"datasets\.imagenet\.root: None is not a directory"):
        validate_config(config, schema, prepared=prepared)
    config["datasets"]["imagenet"]["root"] = str(tmp_path)
    validate_config(config, schema, prepared=prepared)
    del config["recipes"]["inception_v4"]["resized_crop"]
    config["recipes"]["inception_v4"]["accumulate"] = 3
    with pytest.raises(ConfigError) as err:
        validate_config(config, schema, prepared=prepared)
    assert "recipes.inception_v4.resized_crop: required" in str(err.value)
    assert "recipes.inception_v4.accumulate: batch_size 4096 does not split" in str(err.value)


STREAMED_MLP = {
    "version": 1,
    "model": {"name": "mlp", "hidden": [16], "image_size": 16},  # no batch norm: exact sums
    "input": {"crop": 16, "pad": 0, "flip": True, "distort": False, "normalize": "inception"},
    "resized_crop": {"scale": [0.3, 1.0], "ratio": [0.75, 1.33], "central_fraction": 0.875},
    "batch_size": 8,
    "accumulate": 2,
    "steps": 3,
    "optimizer": {
        "lr": 0.1,
        "momentum": 0.9,
        "nesterov": True,
        "dampening": 0.0,
        "last_layer_lr_scale": 1.0,
    },
    "lr_schedule": {"name": "piecewise", "milestones": [2], "factor": 0.1, "warmup_steps": 2},
    "weight_decay": {"value": 8e-5, "scope": "weights"},
    "ema_decay": 0.5,
    "loss_scale": 1.0,
    "grad_clip": None,
    "log_every": 1,
    "checkpoint_every": 10,
    "snapshot_steps": [],
}


def test_data_parallel_processes_take_the_one_process_step(copies, tmp_path):
    """Two DDP processes (Gloo on the CPU), one micro-batch each, end with the weights of one
    process accumulating the same two micro-batches; only rank 0 writes the run's files."""
    from lsrepro.training.stream import train_streamed_files

    prepared, split = tmp_path / "prepared.npz", tmp_path / "split.npz"
    prepare_imagenet(options(copies["tar"]), prepared)
    make_split(prepared, val_size=10, seed=0, out=split)
    common = dict(
        prepared=prepared,
        split=split,
        recipe=STREAMED_MLP,
        dataset="imagenet",
        objective={"name": "label_smoothing", "alpha": 0.1},
        seed=0,
        threads=2,
        run={"alpha": 0.1},
    )
    single = train_streamed_files(out_dir=tmp_path / "one", world=1, **common)
    assert train_streamed_files(out_dir=tmp_path / "two", world=2, **common) is None
    a, b = _weights(tmp_path / "one/model.pt"), _weights(tmp_path / "two/model.pt")
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)
    assert torch.equal(single.model.classifier.weight.detach(), a["classifier.weight"])
    rows = pd.read_csv(tmp_path / "two/history.csv")
    assert rows["step"].tolist() == [1, 2, 3]


def test_warm_up_of_the_piecewise_schedule_and_registry_constraints():
    from lsrepro.models import validate_model_spec
    from lsrepro.training.optim import lr_factor

    schedule = {"name": "piecewise", "milestones": [9017, 18035, 24046], "factor": 0.1}
    warm = {**schedule, "warmup_steps": 1503}
    for step, expected in [(0, 1 / 1503), (751, 752 / 1503), (1502, 1.0), (9016, 1.0)]:
        assert lr_factor(warm, step, 27052) == pytest.approx(expected)
    for step in (1503, 9017, 18035, 24046, 27051):  # after the warm-up: the plain schedule
        assert lr_factor(warm, step, 27052) == lr_factor(schedule, step, 27052)
    assert lr_factor(warm, 24046, 27052) == pytest.approx(1e-3)
    assert validate_model_spec({"name": "inception_v4", "image_size": 64}) == [
        "image_size: must be >= 75, got 64"
    ]
    assert validate_model_spec({"name": "inception_v4", "drop_rate": 1.0})[0].startswith(
        "drop_rate: must be in [0, 1)"
    )
