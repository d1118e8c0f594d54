"""A real rmstudio server for browser tests: `python -m rmstudio serve` in a subprocess over its own home.

The port is found free just before the start and may be taken by another process before the server binds
it (other test runs share the machine). So a server counts as started only when its own log says it is
listening on that port (never when something merely answers there), and a server that found its port
taken is started again on another one.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120  # seconds: importing gradio and torch on a busy 2-core machine
PORT_ATTEMPTS = 5
PORT_TAKEN = "Cannot find empty port"  # Gradio's error when the port it was given is in use
SETTINGS_TESTS_CHOOSE = ("RMSTUDIO_AUTH", "RMSTUDIO_ADMINS", "SPACE_ID")  # never inherited from the shell


@dataclass
class Server:
    """A running `python -m rmstudio serve` process."""

    url: str
    home: Path
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class PortTaken(Exception):
    """The server exited because another process bound its port first."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path, *, auth: list[str] | None = None, env: dict | None = None) -> Server:
    """Start the app over `home` (logins `auth`: ["user:pass", ...]; extra environment `env`) and return
    once it listens."""
    for _ in range(PORT_ATTEMPTS):
        try:
            return launch(home, free_port(), auth or [], env or {})
        except PortTaken:
            continue
    raise RuntimeError(f"no free port found in {PORT_ATTEMPTS} tries")


def launch(home: Path, port: int, auth: list[str], env: dict) -> Server:
    command = [sys.executable, "-m", "rmstudio", "serve", "--home", str(home), "--host", "127.0.0.1",
               "--port", str(port)]
    for login in auth:
        command += ["--auth", login]
    environment = {name: value for name, value in os.environ.items() if name not in SETTINGS_TESTS_CHOOSE}
    environment.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", **env)  # unbuffered: the log shows readiness
    home.mkdir(parents=True, exist_ok=True)
    log = home / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", home, process, log)
    wait_until_listening(server)
    return server


def wait_until_listening(server: Server) -> None:
    """Return when the server's log names its URL (Gradio prints it once its own socket is bound)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.url in server.log.read_text(errors="replace"):
            return
        if server.process.poll() is not None:
            if PORT_TAKEN in server.log.read_text(errors="replace"):
                raise PortTaken(server.url)
            raise RuntimeError(f"the server exited with {server.process.returncode}:\n{server.log_tail()}")
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"the server did not start within {START_TIMEOUT} s:\n{server.log_tail()}")
