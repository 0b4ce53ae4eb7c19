"""Imports between areas use public names only (issue 19, finding 4).

A private name (``_x``) is a module's own business; another area that
borrows one breaks silently when it changes.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _area(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "forum" else parts[0]


def _module_of(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return ".".join(p for p in rel.parts if p != "__init__")


def test_no_area_imports_another_areas_private_names():
    borrowed = []
    for path in sorted((ROOT / "forum").rglob("*.py")):
        here = _area(_module_of(path))
        tree = ast.parse(path.read_text())
        imported_modules: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    imported_modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                    if alias.name.startswith("_") and _area(node.module) != here:
                        borrowed.append(f"{path.relative_to(ROOT)}: from {node.module} import {alias.name}")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in imported_modules):
                source = imported_modules[node.value.id]
                if source.startswith("forum") and _area(source) != here:
                    borrowed.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not borrowed, "make these public or move them:\n" + "\n".join(borrowed)


def _imports(path: Path) -> set[str]:
    """Every forum/moderation module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] in ("forum", "moderation")}


# Pairs that once imported each other (hidden by imports inside functions):
# the lower one must never reach back up. Handlers and queues register
# themselves with the lower module instead.
ONE_WAY = [
    ("forum.boards.services", "forum.review.services"),
    ("forum.review.services", "forum.outbox"),
    ("forum.auth.services", "forum.outbox"),
    ("forum.jobs", "forum.outbox"),
]


def test_imports_flow_one_way():
    backwards = []
    for upper, lower in ONE_WAY:
        base = ROOT / lower.replace(".", "/")
        paths = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        for path in paths:
            if any(m == upper or m.startswith(upper + ".") for m in _imports(path)):
                backwards.append(f"{path.relative_to(ROOT)} imports {upper}")
    assert not backwards, "\n".join(backwards)


def test_every_module_imports_first():
    """A cycle hidden by import order breaks whichever process imports the
    wrong module first (a worker, a CLI command, one test file): import each
    module of forum/ as the first one, in fresh interpreters."""
    import subprocess
    import sys

    import os

    modules = sorted(_module_of(p) for p in (ROOT / "forum").rglob("*.py"))

    def script(names: list[str]) -> str:
        return (
            "import importlib, sys\n"
            "failed = []\n"
            f"for name in {names!r}:\n"
            "    for loaded in [m for m in sys.modules if m == 'forum' or m.startswith('forum.')]:\n"
            "        del sys.modules[loaded]\n"
            "    try:\n"
            "        importlib.import_module(name)\n"
            "    except Exception as exc:\n"
            "        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
            "print('\\n'.join(failed))\n"
        )

    # Each module costs a whole re-import of forum (~0.4 s): the list is
    # shared out over one interpreter per core, each starting fresh.
    shares = max(1, min(4, os.cpu_count() or 1))
    procs = [subprocess.Popen([sys.executable, "-c", script(modules[k::shares])], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k in range(shares)]
    failed = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr[-2000:]
        failed += [line for line in stdout.splitlines() if line.strip()]
    assert not failed, "modules that fail when imported first:\n" + "\n".join(failed)


def test_runtime_code_never_imports_the_tools():
    """Training, evaluation and bench code live in ``moderation.tools`` so a
    deployment loads only what screens (issue 19, finding 7)."""
    tools = ROOT / "moderation" / "tools"
    runtime = [p for p in sorted([*(ROOT / "forum").rglob("*.py"), *(ROOT / "moderation").rglob("*.py")])
               if not p.is_relative_to(tools)]
    reaching = [f"{p.relative_to(ROOT)}: {m}" for p in runtime for m in sorted(_imports(p))
                if m == "moderation.tools" or m.startswith("moderation.tools.")]
    assert not reaching, "runtime code imports the offline tools:\n" + "\n".join(reaching)


def test_review_services_parts_import_one_way():
    """forum.review.services is split by concern; its parts form layers
    (vocabulary, targets, priority, items, then the use cases), never a cycle."""
    pkg = "forum.review.services"
    parts = {p.stem: p for p in (ROOT / "forum" / "review" / "services").glob("*.py") if p.stem != "__init__"}
    graph = {name: {m.split(".")[3] for m in _imports(path) if m.startswith(pkg + ".") and m.split(".")[3] in parts}
             for name, path in parts.items()}
    done: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> None:
        assert name not in stack, "import cycle: " + " -> ".join((*stack, name))
        if name not in done:
            for dep in graph[name]:
                visit(dep, (*stack, name))
            done.add(name)

    for name in sorted(graph):
        visit(name, ())
