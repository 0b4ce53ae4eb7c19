"""The instance folder is 0700 and its database, job-queue and key files 0600.

Each test starts a real Python process with the production defaults
(SQLite and SqliteHuey in the instance folder, keys generated there) and a
common umask, 022, under which SQLite and huey used to create their files
world-readable (0644).
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Runs in the child: start the app as `make run` does, write through the
# database and the job queue, and report every mode while the SQLite
# connections (and so their -wal and -shm files) are still open.
CHILD = r"""
import json, os, stat, sys
from pathlib import Path
from sqlalchemy import text
from forum import create_app
from forum.extensions import db
from forum.jobs import huey

app = create_app()
with app.app_context():
    db.create_all()
    db.session.execute(text("CREATE TABLE IF NOT EXISTS perm_probe (x INTEGER)"))
    db.session.execute(text("INSERT INTO perm_probe VALUES (1)"))
    db.session.commit()
    from forum.staff import seal
    seal._key()  # generates instance/seal_key, as the first sealed contact does
    huey.storage.enqueue(b"probe")
    instance = Path(os.environ["KINDRED_INSTANCE_DIR"])
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in instance.iterdir()}
    modes["."] = stat.S_IMODE(instance.stat().st_mode)
    print(json.dumps(modes))
"""


def _run(instance: Path) -> dict[str, int]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "KINDRED_SEAL_KEY", "TEST_DATABASE_URL")}
    env.update(KINDRED_INSTANCE_DIR=str(instance), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, umask=0o022)
    assert proc.returncode == 0, f"the app did not start:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _octal(modes: dict[str, int]) -> dict[str, str]:
    return {k: oct(v) for k, v in modes.items()}


def test_a_fresh_instance_folder_is_private(tmp_path):
    modes = _run(tmp_path / "instance")
    for name in ("kindred.sqlite3", "huey.sqlite3", "secret_key", "seal_key"):
        assert name in modes, f"{name} was not created: {sorted(modes)}"
    assert any(name.endswith("-wal") for name in modes), f"expected SQLite's WAL file: {sorted(modes)}"
    assert modes.pop(".") == 0o700, _octal(modes)
    assert all(mode == 0o600 for mode in modes.values()), _octal(modes)


def test_an_existing_open_instance_folder_is_tightened(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    old = instance / "kindred.sqlite3"
    old.touch()
    old.chmod(0o644)
    modes = _run(instance)
    assert modes.pop(".") == 0o700, _octal(modes)
    assert modes["kindred.sqlite3"] == 0o600
    assert all(mode == 0o600 for mode in modes.values()), _octal(modes)
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
