"""The report a user builds with ``snakemake --report``: its contents, and how it renders in a real
headless browser (Debian's ``chromium``; the browser test skips where it is not installed).

One synthetic end-to-end run for the module (slow): the workflow copy of ``workflow_runs``, the
synthetic preset, then ``snakemake --report report.zip``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from workflow_runs import snakemake

pytestmark = pytest.mark.slow

CONFIG = ("--configfile", "synthetic.yaml")
CHROMIUM = Path("/usr/bin/chromium")

# The paper's sections as report categories, and the items each holds in the synthetic run:
# Tables 2-3, claims, verdicts, paper-vs-ours, cost; 4 Fig. 1 rows x 2 triplets + 6 geometry
# figures;
# 4 reliability diagrams + 6 calibration-vs-alpha figures (6 experiments run); Fig. 5 and its two
# tables + the MNIST toy table; Fig. 6, its table, MI vs distillation (table and figure). The
# synthetic run has no translation stage.
EXPECTED = {
    "Tables": 6,
    "Representation, Fig. 1": 8 + 6,
    "Calibration, Table 3 and Figs. 2–3": 4 + 6,
    "Distillation, Fig. 5": 3 + 1,
    "Information, Fig. 6": 4,
}


@pytest.fixture(scope="module")
def report_zip(synthetic_run) -> Path:
    """The report (zip) of the synthetic workflow run (conftest.synthetic_run)."""
    wd, _ = synthetic_run
    snakemake("--report", "report.zip", *CONFIG, cwd=wd)
    return wd / "report.zip"


@pytest.fixture(scope="module")
def unpacked(report_zip, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(report_zip) as z:
        z.extractall(out)
    return out


def embedded(html: str, name: str):
    """A JSON value the report embeds as ``var <name> = ...;`` in a ``<script>`` of report.html
    (Snakemake 9: ``categories``, ``results``, ``workflow_desc``)."""
    script_id = name.replace("_", "-")  # <script id="workflow-desc"> holds workflow_desc
    m = re.search(rf'<script id="{script_id}">\s*var {name} = (.*?);\s*</script>', html, re.S)
    if m is None:
        raise AssertionError(f"no {name} in report.html")
    return json.loads(m.group(1))


def test_report_zip_holds_html_and_items_per_category(report_zip, unpacked):
    names = zipfile.ZipFile(report_zip).namelist()
    assert any(n.endswith("report.html") for n in names), names[:10]
    assert not [n for n in names if n.endswith(".pdf")]  # PNG and CSV items, no PDFs
    html = next(unpacked.rglob("report.html")).read_text()
    categories = embedded(html, "categories")  # category -> subcategory -> item paths
    counts = {cat: sum(map(len, subs.values())) for cat, subs in categories.items()}
    assert counts == EXPECTED
    results = embedded(html, "results")
    assert len(results) == sum(EXPECTED.values())
    for path, item in results.items():  # every item is labelled: the report reads as an index
        assert item["labels"], path
        assert item["caption"].strip(), path
    # subcategories per experiment / figure entry, e.g. the Fig. 1 rows
    assert set(categories["Representation, Fig. 1"]) >= {"cifar100_resnet56", "mnist_fc"}


def test_front_page_states_the_run_and_verdicts(unpacked):
    html = next(unpacked.rglob("report.html")).read_text()
    front = embedded(html, "workflow_desc")  # the rendered workflow.rst (HTML)
    for text in (
        "What was run",
        "cifar10_resnet56",
        "seeds 0, 1",
        "cifar10_alexnet_kd",  # the distillation settings ...
        "teacher α ∈ 0.0 at T ∈ 1.0, 4.0",
        "Mutual information (Fig. 6)",  # ... the information settings ...
        "Translation: not in this run.",  # ... and translation's
        "Claims C1–C13 (and ★ extensions) judged from this run",
        "Holm-adjusted over every sub-claim",  # the multiplicity rule is stated
        "C10a",  # a claim of a stage not in the synthetic run ...
        "translation stage not in this run",  # ... says why
    ):
        assert text in front, text
    assert re.search(r"<table[^>]*verdicts", front), "verdict table not in the front page"


def chromium(*args: str, profile: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=15000",  # let the report's scripts render before dumping
    ]
    return subprocess.run(
        [str(CHROMIUM), *flags, *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium absent (Debian: apt-get install chromium)"
)
def test_report_renders_in_headless_chromium(unpacked, tmp_path):
    page = next(unpacked.rglob("report.html")).resolve().as_uri()
    dom = chromium("--dump-dom", page, profile=tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    for name in EXPECTED:  # the category names are rendered into the page
        assert name.replace("–", "&ndash;") in dom.stdout or name in dom.stdout, name
    # the verdict table is a rendered HTML table with verdicts in it
    assert re.search(r"<table[^>]*verdicts", dom.stdout), "verdict table not rendered"
    assert "not run" in dom.stdout

    shot = tmp_path / "front.png"
    out = chromium(
        f"--screenshot={shot}", "--window-size=1400,1000", page, profile=tmp_path / "profile-png"
    )
    assert out.returncode == 0 and shot.exists(), out.stderr[-2000:]
    pixels = matplotlib.image.imread(shot)[..., :3]  # (H, W, 3) floats in [0, 1]
    assert pixels.shape[:2] == (1000, 1400)
    # not blank: many distinct colours and real contrast
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
    assert pixels.std() > 0.05
    keep = Path(__file__).resolve().parents[1] / "results" / "report_front.png"
    if keep.parent.exists():  # inside a workflow checkout with results: keep it for a look
        shutil.copy(shot, keep)
