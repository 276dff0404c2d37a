"""Runs `backdesk sandbox` as a child process: for the desktop's built-in demo
gateway and for the tests, which both need a real server on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

READY = "listening on "


def program() -> list[str]:
    """How to run `backdesk`: our interpreter on our package, or, in an installed
    (frozen) build, which has no interpreter to run, the program itself."""
    if not getattr(sys, "frozen", False):
        return [sys.executable, "-m", "app"]
    console = Path(sys.executable).with_name("backdesk-cli.exe")
    # Windows' desktop program has no console, so nothing it prints reaches the pipe
    # this reads; the installer ships a console twin of it for that.
    return [str(console if console.is_file() else sys.executable)]


class SandboxProcess:
    def __init__(self, data_dir: Path, *args: str, port: int = 0) -> None:
        self.data_dir, self.args, self.port = data_dir, list(args), port
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.lines: list[str] = []  # what it printed up to being ready
        self.output = ""            # what it printed after, read when it stops

    def command(self) -> Sequence[str]:
        return [*program(), "sandbox", "--data", str(self.data_dir),
                "--port", str(self.port), *self.args]

    def start(self) -> str:
        """Start and wait until it accepts connections; returns its base URL."""
        # our own interpreter running our own module; no shell, no outside input
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,  # noqa: S603
                                     stderr=subprocess.STDOUT, text=True,
                                     # the workspace's password is not the sandbox's
                                     env={**{k: v for k, v in os.environ.items()
                                             if not k.startswith("BACKDESK_")},
                                          "PYTHONUNBUFFERED": "1"},
                                     # no console window popping up behind the desktop
                                     creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        assert self.proc.stdout is not None
        self.lines = []
        for line in self.proc.stdout:
            self.lines.append(line)
            if READY in line:
                self.url = line.split(READY)[1].split()[0]
                self.port = int(self.url.rsplit(":", 1)[1])  # restarts reuse the port
                return self.url
        code = self.proc.wait()
        self.proc = None
        raise RuntimeError(f"the sandbox gateway did not start (exit {code}): "
                           + "".join(self.lines[-5:]).strip())

    def readline(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        return self.proc.stdout.readline()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30) -> int:
        """Ctrl+C by default (a clean stop); SIGKILL to simulate a crash."""
        if self.proc is None:
            return 0
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(sig)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        assert proc.stdout is not None
        self.output = proc.stdout.read()
        proc.stdout.close()
        return code
