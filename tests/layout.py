"""The project's layout and import graph, read from the source (every import, function-level ones too).

    python tests/layout.py            # the harness packages (one line each) and the graph between them
    python tests/layout.py --check    # exit 1 on a cycle, a harness import of a layer above it, a
                                      # private name imported across packages, or a module over 400 lines

``tests/test_layering.py`` runs the same checks.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = ("harness", "tasks", "models", "baselines", "leaderboard_app")
#: what each top-level folder may import (besides itself); harness is the core and imports none
ALLOWED = {
    "harness": set(),
    "tasks": {"harness"},
    "models": {"harness", "tasks"},  # the embedded tiny reasoner is trained on the toy task
    "baselines": {"harness", "tasks", "models"},
    "leaderboard_app": {"harness"},
}
MAX_LINES = 400


@dataclass(frozen=True)
class Import:
    """One import statement: where it is, the module it names and the names it takes."""

    file: str
    line: int
    module: str
    names: tuple[str, ...]


def unit_of(module: str) -> str | None:
    """The package an ``elastic_bench`` module belongs to: ``harness.grading``, ``harness.protocol``,
    ``models``, ... (None outside the project)."""
    parts = module.split(".")
    if parts[0] != "elastic_bench" or len(parts) < 2 or parts[1] not in TOP_LEVEL:
        return None
    if parts[1] == "harness" and len(parts) > 2:
        return f"harness.{parts[2]}"
    return parts[1]


def module_of(path: Path, root: Path = ROOT) -> str:
    """The dotted module name of a source file of the checkout."""
    rel = path.relative_to(root).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(["elastic_bench", *parts])


def source_files(root: Path = ROOT) -> list[Path]:
    """Every Python file of the installed packages (the top-level folders)."""
    return sorted(p for top in TOP_LEVEL for p in (root / top).rglob("*.py") if "__pycache__" not in p.parts)


def imports(path: Path, root: Path = ROOT) -> list[Import]:
    """Every ``import`` / ``from ... import`` in a file, at any depth, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = module_of(path, root)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(str(path.relative_to(root)), node.lineno, alias.name, ()))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            names = tuple(a.name for a in node.names)
            found.append(Import(str(path.relative_to(root)), node.lineno, module, names))
    return found


def package_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Package -> the packages it imports (harness subpackages and modules are their own nodes)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in source_files(root):
        me = unit_of(module_of(path, root))
        graph[me]
        for imp in imports(path, root):
            for target in [imp.module, *(f"{imp.module}.{n}" for n in imp.names)]:
                other = unit_of(target)
                if (
                    other
                    and other != me
                    and not (other == "harness" and imp.module == "elastic_bench.harness")
                ):
                    graph[me].add(other)
                    break
    return dict(graph)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles of the graph (each once, as a path that returns to its start)."""
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def problems(root: Path = ROOT) -> list[str]:
    """Every rule the layout breaks, one line each."""
    out = []
    graph = package_graph(root)
    for cycle in cycles(graph):
        out.append("import cycle: " + " -> ".join(cycle))
    for path in source_files(root):
        me = unit_of(module_of(path, root))
        top = me.split(".")[0]
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            out.append(f"{path.relative_to(root)}: {lines} lines (more than {MAX_LINES})")
        for imp in imports(path, root):
            other = unit_of(imp.module) or next(
                (unit_of(f"{imp.module}.{n}") for n in imp.names if unit_of(f"{imp.module}.{n}")), None
            )
            if other is None or other == me:
                continue
            if other.split(".")[0] != top and other.split(".")[0] not in ALLOWED[top]:
                out.append(
                    f"{imp.file}:{imp.line}: {top} imports {imp.module} ({top} may import only "
                    f"{', '.join(sorted(ALLOWED[top])) or 'itself'})"
                )
            private = [p for p in imp.module.split(".")[2:] if p.startswith("_") and not p.startswith("__")]
            private += [n for n in imp.names if n.startswith("_")]
            if private:
                out.append(f"{imp.file}:{imp.line}: imports private {'/'.join(private)} of {other}")
    return out


def describe() -> str:
    """The harness packages with their one-line job, then the package graph."""
    lines = ["harness/"]
    for entry in sorted((ROOT / "harness").iterdir()):
        if (
            entry.name.startswith(("_", "."))
            or entry.suffix not in ("", ".py")
            or entry.name == "__pycache__"
        ):
            continue
        target = entry / "__init__.py" if entry.is_dir() else entry
        doc = ast.get_docstring(ast.parse(target.read_text(encoding="utf-8"))) or ""
        first = doc.split(". ")[0].split("\n\n")[0].replace("\n", " ")
        name = entry.name + ("/" if entry.is_dir() else "")
        lines.append(f"  {name:<16} {first}")
    lines += ["", "imports between packages (A -> B: A imports B):"]
    for node, targets in sorted(package_graph().items()):
        lines.append(f"  {node:<20} -> {', '.join(sorted(targets)) or '(nothing)'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a layout rule is broken")
    args = parser.parse_args(argv)
    if not args.check:
        print(describe())
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    return 1 if (found and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
