"""Cold start to an unlocked main window on 100k clients and 1M deals.

Builds the workspace once under .bench/ (kept between runs), then starts the real
`backdesk` process offscreen five times, unlocking from BACKDESK_PASSWORD, and
prints: process start -> main window shown, and -> first page of clients listed.
Baseline named in DESIGN.md: PySide6 process start to a shown window ~0.3 s.
Target: under 2 s to the unlocked main window.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WS = ROOT / ".bench" / "startup-100k"
PASSWORD = "bench-password"
ENV = {**os.environ, "BACKDESK_PASSWORD": PASSWORD, "QT_QPA_PLATFORM": "offscreen"}
BACKDESK = [sys.executable, "-m", "app"]


def build() -> None:
    if (WS / "backdesk.db").exists():
        return
    print("building the workspace: 100,000 clients, 1,000,000 deals (once)…", flush=True)
    t = time.perf_counter()
    subprocess.run([*BACKDESK, "--workspace", str(WS), "demo", "--clients", "100000",
                    "--deals", "1000000"], env=ENV, check=True, cwd=ROOT)
    print(f"built in {time.perf_counter() - t:.1f} s")


def bare_qt() -> float:
    code = ("import time; t=time.perf_counter();"
            "from PySide6.QtWidgets import QApplication, QMainWindow;"
            "a=QApplication([]); w=QMainWindow(); w.show(); a.processEvents();"
            "print(time.perf_counter()-t)")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=ENV, check=True, capture_output=True)
    return time.perf_counter() - t


def once() -> tuple[float, float]:
    t = time.perf_counter()
    proc = subprocess.Popen([*BACKDESK, "--workspace", str(WS), "gui", "--exit-after-show"],
                            env=ENV, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    wall = time.perf_counter() - t
    proc.wait(timeout=60)
    m = re.search(r"shown ([\d.]+) s, clients listed ([\d.]+) s", line)
    if not m or proc.returncode != 0:
        raise SystemExit(f"startup failed: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    in_process_shown, in_process_listed = float(m.group(1)), float(m.group(2))
    # The in-process clock starts after Python and imports; add what came before it.
    before = wall - in_process_listed
    return before + in_process_shown, wall


def main() -> None:
    build()
    bare = statistics.median(bare_qt() for _ in range(3))
    runs = [once() for _ in range(5)]
    shown = statistics.median(r[0] for r in runs)
    listed = statistics.median(r[1] for r in runs)
    print(f"bare PySide6 process to shown window (baseline): {bare:.2f} s")
    print(f"backdesk process start -> unlocked main window shown: median {shown:.2f} s "
          f"(target < 2 s; {shown / bare:.1f}x bare Qt)")
    print(f"backdesk process start -> first page of 100k clients listed: median {listed:.2f} s")


if __name__ == "__main__":
    main()
