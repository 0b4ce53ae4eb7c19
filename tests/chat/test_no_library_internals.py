"""The realtime path stands on the Socket.IO libraries' public APIs only.

A source scan of every module in ``forum/`` (and ``wsgi.py``): no reaching
into private attributes of python-engineio, python-socketio,
simple-websocket or Flask-SocketIO, no assignments onto their modules,
classes or server objects, and no ``ctypes``. A patched internal turns every
upgrade of those packages into a possible chat outage (issue 19, finding 6).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.live import ROOT

LIBRARIES = ("engineio", "socketio", "simple_websocket", "flask_socketio")
# Text that only a patch of the libraries' internals would contain.
FORBIDDEN_TEXT = {
    r"\beio\._": "a private attribute of the engine.io server",
    r"_send_eio_packet": "python-socketio's private per-recipient send",
    r"\b_async\b": "engine.io's private driver table",
    r"\bctypes\b": "C calls behind the interpreter's back",
}


def _sources() -> list[Path]:
    return sorted((ROOT / "forum").rglob("*.py")) + [ROOT / "wsgi.py"]


def _library_names(tree: ast.Module) -> set[str]:
    """Names bound in this module to a Socket.IO library's module, class or
    function, or to the app's Flask-SocketIO instance (its ``.server`` is
    python-socketio's server)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in LIBRARIES:
                    names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            if root in LIBRARIES or (node.module == "forum.extensions"):
                for alias in node.names:
                    if root in LIBRARIES or alias.name == "socketio":
                        names.add(alias.asname or alias.name)
    return names


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _private(attr: str) -> bool:
    return attr.startswith("_") and not (attr.startswith("__") and attr.endswith("__"))


def problems_in(source: str, name: str) -> list[str]:
    """What in ``source`` patches or reaches into the libraries' internals."""
    found = [f"{name}: {why} ({pattern})" for pattern, why in FORBIDDEN_TEXT.items() if re.search(pattern, source)]
    tree = ast.parse(source)
    libs = _library_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and _root_name(node) in libs:
            found.append(f"{name}:{node.lineno}: private attribute {ast.unparse(node)}")
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr")
              and node.args and _root_name(node.args[0]) in libs):
            found.append(f"{name}:{node.lineno}: {node.func.id} on {ast.unparse(node.args[0])}")
        for target in targets:
            if isinstance(target, (ast.Attribute, ast.Subscript)) and _root_name(target) in libs:
                found.append(f"{name}:{node.lineno}: assignment onto {ast.unparse(target)}")
    return found


def test_no_module_in_forum_patches_or_reaches_into_the_socketio_libraries():
    found = [p for path in _sources() for p in problems_in(path.read_text(), str(path.relative_to(ROOT)))]
    assert not found, "library internals used (public APIs and configuration only):\n" + "\n".join(found)


@pytest.mark.parametrize("snippet", [
    "from engineio.socket import Socket\nSocket.send = lambda self, pkt: None\n",
    "import engineio\nengineio.async_drivers.threading._async['websocket'] = object\n",
    "from forum.extensions import socketio\nsocketio.server.eio._async = {}\n",
    "from forum.extensions import socketio\nsocketio.server._send_eio_packet = print\n",
    "from forum.extensions import socketio\nsocketio.server.async_handlers = False\n",
    "import simple_websocket\nsetattr(simple_websocket.Server, 'send', print)\n",
    "import socketio as sio\nq = sio.Server()._handle_event\n",
    "import ctypes\n",
])
def test_the_scan_catches_each_kind_of_patch(snippet):
    assert problems_in(snippet, "example.py")


def test_the_scan_allows_public_use():
    public = ("from forum.extensions import socketio\nfrom flask_socketio import emit, join_room\n"
              "socketio.emit('x', {}, to='r')\nsocketio.server.disconnect('sid', namespace='/chat')\n"
              "socketio.init_app(None, async_mode='threading', async_handlers=False)\n")
    assert problems_in(public, "example.py") == []
