"""Read the package's import graph off the code (an AST walk, nothing is imported).

    python benchmarks/import_graph.py [PACKAGE_DIR]     (default: workflow/scripts/lsrepro)

Prints, as Markdown:

* **upward imports**: a module importing one that sits on a higher floor of DESIGN.md §11's
  house (goal 0). The floors, lowest first, are :data:`FLOORS`; a stage package is split in
  three floors of its own: ``<stage>.plan`` (torch-free, read by ``config``), the stage's maths
  and ``<stage>.files`` (one function per rule). Translation's maths sit one floor above the
  other stages' maths, which it uses by design (:data:`USER_STAGES`). Imports within one floor
  are not upward; imports between two stage packages on the same floor are listed as *sideways*.
* **deferred imports** of ``lsrepro`` modules (an ``import`` inside a function; goal 0 except the
  documented torch-at-DAG-time ones: a comment on the import line or the line above it says
  ``DAG``);
* **cycles** between packages (``lsrepro.<package>``), from the module-level imports and from
  all imports (a deferred import can hide a two-way dependency);
* the **largest modules** by line count.

A tree of the layout before the move (``data.py``, ``gpus.py``, ...) is measured on the same
floors: :data:`OLD_NAMES` says where each old module went.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Floors of the house, lowest first (DESIGN.md §11). A stage package spreads over three floors:
#: ``<stage>.plan`` on "plans", ``<stage>.files`` on "stage files", the rest on "stage maths".
FLOORS = (
    "foundation",
    "data",
    "models",
    "plans",
    "config",
    "artifacts",
    "engines",
    "stage maths",
    "user maths",
    "figures",
    "stage files",
    "claims",
)
TOP_LEVEL = {
    "lsrepro": "foundation",
    "lsrepro.io": "foundation",
    "lsrepro.paper": "foundation",
    "lsrepro.stats": "foundation",
    "lsrepro.runtime": "foundation",
    "lsrepro.progress": "foundation",
    "lsrepro.integrity": "foundation",
    "lsrepro.data": "data",
    "lsrepro.models": "models",
    "lsrepro.runs": "plans",
    "lsrepro.targets": "plans",
    "lsrepro.config": "config",
    "lsrepro.artifacts": "artifacts",
    "lsrepro.training": "engines",
    "lsrepro.evaluation": "engines",
    "lsrepro.aggregate": "stage maths",
    "lsrepro.figures": "figures",
    "lsrepro.claims": "claims",
}
STAGES = ("calibration", "representation", "distillation", "information", "translation")
#: Stages built on the others' maths (DESIGN.md §11: "Translation is a user of this machinery,
#: not a copy: its tokens go through the same calibration core"): their maths sit on the floor
#: above the stage maths they use.
USER_STAGES = ("translation",)

#: Modules of the layout before the move, measured where they went.
OLD_NAMES = {
    "lsrepro.data": "lsrepro.data.images",
    "lsrepro.augment": "lsrepro.data.augment",
    "lsrepro.translation.corpus": "lsrepro.data.corpus",
    "lsrepro.translation.vocab": "lsrepro.data.vocab",
    "lsrepro.translation.model": "lsrepro.models.transformer",
    "lsrepro.geometry": "lsrepro.representation.geometry",
    "lsrepro.projection": "lsrepro.representation.projection",
    "lsrepro.gpus": "lsrepro.runtime",
    "lsrepro.evaluation.artifact": "lsrepro.artifacts.evaluation",
    "lsrepro.training.images": "lsrepro.training.files",
}


def floor(module: str) -> tuple[int, str]:
    """(floor index, floor name) of a dotted module name."""
    parts = OLD_NAMES.get(module, module).split(".")
    if len(parts) > 1 and parts[1] in STAGES:
        kind = parts[2] if len(parts) > 2 else ""
        maths = "user maths" if parts[1] in USER_STAGES else "stage maths"
        name = {"plan": "plans", "files": "stage files"}.get(kind, maths)
    else:
        top = ".".join(parts[:2])
        if top not in TOP_LEVEL:
            raise ValueError(f"{module}: no floor for {top} in TOP_LEVEL")
        name = TOP_LEVEL[top]
    return FLOORS.index(name), name


def package(module: str) -> str:
    parts = OLD_NAMES.get(module, module).split(".")
    return ".".join(parts[:2])


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    path: Path
    line: int
    deferred: bool
    documented: bool  # deferred, with a comment naming DAG time


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    name = ".".join(rel.parts)
    return name.removesuffix(".__init__")


def imports_of(path: Path, root: Path, known: set[str]) -> list[Import]:
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    importer = module_name(path, root)
    out: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                targets = []
                for alias in child.names:
                    full = f"{child.module}.{alias.name}"
                    targets.append(full if full in known else child.module)
                add(child, targets, in_function)
            elif isinstance(child, ast.Import):
                add(child, [a.name for a in child.names], in_function)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                continue  # typing-only imports never run
            else:
                visit(child, inner)

    def add(node: ast.stmt, targets: list[str], deferred: bool) -> None:
        near = " ".join(lines[max(node.lineno - 2, 0) : node.end_lineno])
        for target in dict.fromkeys(targets):
            if target == "lsrepro" or target.startswith("lsrepro."):
                out.append(Import(importer, target, path, node.lineno, deferred, "DAG" in near))

    visit(tree, False)
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            strong(v)
    return found


def report(root: Path) -> str:
    files = sorted(root.rglob("*.py"))
    known = {module_name(f, root) for f in files}
    imports = [imp for f in files for imp in imports_of(f, root, known)]
    upward, sideways, deferred = [], [], []
    graph: dict[str, set[str]] = defaultdict(set)
    graph_all: dict[str, set[str]] = defaultdict(set)  # deferred imports included
    for imp in imports:
        (a, a_name), (b, b_name) = floor(imp.importer), floor(imp.imported)
        pa, pb = package(imp.importer), package(imp.imported)
        where = f"`{imp.path.relative_to(root.parent)}:{imp.line}`"
        if a < b:
            upward.append(f"{where} {imp.importer} ({a_name}) -> {imp.imported} ({b_name})")
        elif a == b and pa != pb and pa.split(".")[1] in STAGES and pb.split(".")[1] in STAGES:
            sideways.append(f"{where} {imp.importer} -> {imp.imported}")
        if imp.deferred:
            tag = " (documented: DAG time)" if imp.documented else ""
            deferred.append(f"{where} {imp.importer} -> {imp.imported}{tag}")
        if pa != pb:
            graph_all[pa].add(pb)
            if not imp.deferred:
                graph[pa].add(pb)
    sizes = sorted(((len(f.read_text().splitlines()), f) for f in files), reverse=True)
    undocumented = sum(1 for d in deferred if "documented" not in d)
    loops = cycles(graph)
    hidden = cycles(graph_all)
    out = [
        f"Package: `{root}` ({len(files)} modules, {sum(n for n, _ in sizes)} lines)",
        "",
        "| measure | count |",
        "|---|---|",
        f"| upward imports | {len(upward)} |",
        f"| deferred lsrepro imports | {len(deferred)} ({undocumented} not documented as "
        "DAG-time) |",
        f"| files with deferred lsrepro imports | {len({d.split(':')[0] for d in deferred})} |",
        f"| package cycles (module-level imports) | {len(loops)} |",
        f"| package cycles counting deferred imports too | {len(hidden)} |",
        f"| sideways imports between stage packages | {len(sideways)} |",
        f"| largest module | {sizes[0][0]} lines (`{sizes[0][1].relative_to(root.parent)}`) |",
        "",
        "Upward imports:",
        *(f"- {u}" for u in upward),
        "",
        "Deferred lsrepro imports:",
        *(f"- {d}" for d in deferred),
        "",
        "Package cycles (module-level imports):",
        *(f"- {' <-> '.join(c)}" for c in loops),
        "",
        "Package cycles counting deferred imports:",
        *(f"- {' <-> '.join(c)}" for c in hidden),
        "",
        "Sideways imports between stage packages:",
        *(f"- {s}" for s in sideways),
        "",
        "Largest modules:",
        *(f"- {n} `{f.relative_to(root.parent)}`" for n, f in sizes[:8]),
    ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", nargs="?", default=ROOT / "workflow/scripts/lsrepro", type=Path)
    args = parser.parse_args(argv)
    sys.stdout.write(report(args.package.resolve()))


if __name__ == "__main__":
    main()
