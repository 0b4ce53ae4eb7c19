"""Start real Kindred server processes for browser and multi-process tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(env: dict[str, str], log_dir: Path, port: int | None = None, timeout: float = 60,
                 extra_args: tuple[str, ...] = (), module: str = "forum.serve") -> LiveServer:
    """Start ``python -m forum.serve`` (or a wrapper ``module``) with ``env`` and wait until it answers."""
    port = port or free_port()
    log_path = log_dir / f"server-{port}.log"
    full_env = {**os.environ, "KINDRED_RATELIMIT": "0", "HF_HUB_OFFLINE": "1", **env}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", module, "--port", str(port), *extra_args],
            cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", port, process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server did not start within {timeout}s:\n{server.log()}")
