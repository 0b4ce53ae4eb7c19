"""A throwaway PostgreSQL cluster on a free port, for tests (and the soak)
that stop or restart the database. The shared server is never touched.

initdb refuses to run as root, so as root the cluster belongs to the
postgres user.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.live import free_port


class MissingPostgres(RuntimeError):
    """The server binaries are not installed (the message says how to get them)."""


class PrivatePostgres:
    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            raise MissingPostgres("PostgreSQL server binaries are missing: apt-get install -y postgresql")
        self.bin = bins[-1].parent
        self.port = free_port()
        # Its own temp dir: a test's is private to root, and the server must reach this one.
        self.dir = Path(tempfile.mkdtemp(prefix="kindred-pg-"))
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.prefix:
            shutil.chown(self.dir, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/kindred"

    def _ctl(self, *args: str) -> None:
        subprocess.run([*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-w", "-t", "120",
                        "-l", str(self.dir / "log"), "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                        *args], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> PrivatePostgres:
        if not (self.dir / "data").exists():
            subprocess.run([*self.prefix, str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
                            "--auth=trust", "-E", "UTF8"], check=True, stdout=subprocess.DEVNULL)
            self._ctl("start")
            subprocess.run([*self.prefix, str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "postgres", "kindred"], check=True)
        else:
            self._ctl("start")
        return self

    def restart(self) -> None:
        self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)
