"""Keys generated into instance/ are created once, owner-only, and reused."""
import ast
import stat
from pathlib import Path

import config
from config import instance_key, load_or_create_secret_key


def test_instance_key_is_created_once_with_owner_only_permissions(tmp_path):
    first = instance_key(tmp_path, "k", lambda: "generated-1")
    second = instance_key(tmp_path, "k", lambda: "generated-2")
    assert first == second == "generated-1"
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600


def test_secret_key_prefers_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert load_or_create_secret_key(tmp_path) == "from-env"
    assert not (tmp_path / "secret_key").exists()
    monkeypatch.delenv("SECRET_KEY")
    generated = load_or_create_secret_key(tmp_path)
    assert len(generated) >= 48 and load_or_create_secret_key(tmp_path) == generated


ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_readme():
    """An operator learns what they can set from README's table alone."""
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in config.SETTINGS if f"`{name}`" not in readme)
    assert not missing, f"settings missing from README's configuration table: {missing}"


def test_forum_reads_settings_only_through_config():
    """Settings are read in config.py alone (issue 19, finding 5): a second
    reader elsewhere drifts from the validated, documented value."""
    readers = []
    for path in sorted((ROOT / "forum").rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if "os.environ" in line or "os.getenv" in line:
                readers.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not readers, "read these settings in config.py and pass them down:\n" + "\n".join(readers)


def test_moderation_reads_no_kindred_setting():
    """moderation/ takes its settings through ScreeningConfig (issue 19,
    finding 5): none of its modules reads a KINDRED_ variable. (It may set
    a library's own variables, such as HF_HUB_OFFLINE.)"""
    readers = []
    for path in sorted((ROOT / "moderation").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            name = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                f = node.func
                if (f.attr == "get" and ast.unparse(f.value) == "os.environ") or ast.unparse(f) == "os.getenv":
                    name = node.args[0]
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ" \
                    and isinstance(node.ctx, ast.Load):
                name = node.slice
            if isinstance(name, ast.Constant) and str(name.value).startswith("KINDRED_"):
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno} {name.value}")
    assert not readers, "read these in config.py and pass them down:\n" + "\n".join(readers)

