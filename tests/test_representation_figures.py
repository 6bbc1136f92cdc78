"""Fig. 1 figure functions (paper §2, Fig. 1) draw the panels and numbers they are given: the
projected points, templates and triangle of each panel, and the seed means of the geometry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from lsrepro.figures.representation import (
    fig1_panel_specs,
    geometry_vs_alpha_figure,
    representation_figure,
    save_figure,
    write_representation_figures,
)
from lsrepro.representation.projection import projection_panel

CLASSES = ["airplane", "automobile", "bird"]


def _panel(scale: float, seed: int):
    rng = np.random.default_rng(seed)
    k, d, n = 4, 6, 120
    weight = rng.normal(size=(k, d))
    labels = np.arange(n) % k
    features = scale * weight[labels] + rng.normal(size=(n, d))
    arrays = {
        "features": features,
        "labels": labels,
        "weight": weight,
        "bias": rng.normal(size=k),
        "logits": features @ weight.T,
        "class_names": np.array([*CLASSES, "cat"]),
    }
    return projection_panel(arrays, CLASSES, per_class=20, seed=0)


@pytest.fixture
def specs():
    # Hard-target panels at a 10x larger scale, as in the paper's CIFAR-100 row (claim C4).
    return fig1_panel_specs(
        _panel(20.0, 1), _panel(20.0, 2), _panel(2.0, 3), _panel(2.0, 4), alpha=0.1
    )


def test_shared_and_per_panel_limits(specs) -> None:
    shared = representation_figure(specs, shared_limits=True, title="t")
    limits = {(ax.get_xlim(), ax.get_ylim()) for ax in shared.axes}
    assert len(limits) == 1
    free = representation_figure(specs, shared_limits=False, title="t")
    spans = [np.diff(ax.get_xlim())[0] for ax in free.axes]
    assert spans[0] > 3 * spans[2]  # per-panel limits follow each panel's own scale
    assert [ax.get_title() for ax in free.axes] == [
        "training, α = 0",
        "validation, α = 0",
        "training, α = 0.1",
        "validation, α = 0.1",
    ]
    legend_labels = [t.get_text() for t in free.legends[0].get_texts()]
    assert legend_labels[:3] == CLASSES


def test_each_panel_draws_its_points_templates_and_triangle(specs) -> None:
    fig = representation_figure(specs, shared_limits=False, title="t")
    colours = {}
    for ax, spec in zip(fig.axes, specs, strict=True):
        points, templates = spec.panel.points, spec.panel.templates
        # one scatter per class (in triplet order), then the three template stars
        scatters, stars = ax.collections[:3], ax.collections[3:]
        for coll, name in zip(scatters, CLASSES, strict=True):
            np.testing.assert_allclose(
                np.asarray(coll.get_offsets()),
                points.loc[points["class_name"] == name, ["x", "y"]].to_numpy(),
            )
            colours.setdefault(name, tuple(coll.get_facecolors()[0, :3]))
            # a class keeps its colour in every panel
            assert tuple(coll.get_facecolors()[0, :3]) == pytest.approx(colours[name])
        assert len(stars) == 3
        for star, (_, row) in zip(stars, templates.iterrows(), strict=True):
            np.testing.assert_allclose(np.asarray(star.get_offsets()), [[row["x"], row["y"]]])
            assert tuple(star.get_facecolors()[0, :3]) == pytest.approx(colours[row["class_name"]])
        (triangle,) = ax.get_lines()
        xy = templates[["x", "y"]].to_numpy()
        np.testing.assert_allclose(triangle.get_xydata(), np.vstack([xy, xy[:1]]))
        assert triangle.get_linestyle() == "--"
    assert len(set(colours.values())) == 3
    assert fig.axes[0].get_xlabel() == "axis 1 (along w[automobile] − w[airplane])"


def test_writes_pdf_and_png(specs, tmp_path) -> None:
    outputs = [tmp_path / name for name in ("s.pdf", "s.png", "sub/f.pdf", "sub/f.png")]
    write_representation_figures(specs, "cifar10: airplane/automobile/bird", *outputs)
    for pdf, png in (outputs[:2], outputs[2:]):
        assert pdf.read_bytes()[:4] == b"%PDF" and png.read_bytes()[:4] == b"\x89PNG"


def test_mismatched_triplets_raise(specs) -> None:
    other = projection_panel(
        {
            "features": np.eye(6)[np.arange(60) % 4],
            "labels": np.arange(60) % 4,
            "weight": np.eye(4, 6) + 0.1,
            "bias": np.zeros(4),
            "class_names": np.array([*CLASSES, "cat"]),
        },
        ["bird", "airplane", "automobile"],
        per_class=5,
        seed=0,
    )
    with pytest.raises(ValueError, match="same classes in the same order"):
        representation_figure([specs[0], type(specs[0])(other, "x")], shared_limits=True)


def test_geometry_vs_alpha(tmp_path) -> None:
    # the validation gap is 1 below the training gap: a swapped split would show
    rows = [
        {
            "alpha": a,
            "split": s,
            "seed": seed,
            "gap_mean": 5 - a + 0.1 * seed - (1.0 if s == "val" else 0.0),
            "gap_optimal": g,
        }
        for a, g in ((0.0, None), (0.1, 4.51), (0.2, 3.8))
        for s in ("train", "val")
        for seed in (0, 1)
    ]
    table = pd.DataFrame(rows)
    fig = geometry_vs_alpha_figure(table, ["gap_mean"], title="cifar10")
    (ax,) = fig.axes
    legend = ax.get_legend()
    colour = {
        text.get_text(): to_rgb(handle.get_color())
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }
    for split in ("train", "val"):
        mean = table[table["split"] == split].groupby("alpha")["gap_mean"].mean()
        # seaborn's legend proxies are empty lines of the same colour
        drawn = [ln for ln in ax.get_lines() if len(ln.get_xdata())]
        (line,) = [ln for ln in drawn if to_rgb(ln.get_color()) == colour[split]]
        np.testing.assert_allclose(line.get_xdata(), mean.index)
        np.testing.assert_allclose(line.get_ydata(), mean.to_numpy())
    # the closed-form loss minimiser where the table has it (not at alpha = 0)
    optimum = next(ln for ln in ax.get_lines() if ln.get_linestyle() == ":")
    np.testing.assert_allclose(optimum.get_xydata(), [[0.1, 4.51], [0.2, 3.8]])
    assert optimum.get_marker() not in ("None", "", " ", None)  # one point alone stays visible
    save_figure(fig, tmp_path / "g.pdf", tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="lacks column"):
        geometry_vs_alpha_figure(pd.DataFrame(rows), ["tightness"])
