"""`backdesk exceptions`: being built (issue 8); the command answers that it is not ready."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.errors import ValidationFailed


def add_parser(sub: Any) -> argparse.ArgumentParser:
    cmd: argparse.ArgumentParser = sub.add_parser("exceptions", help="(not built yet)")
    cmd.add_argument("--workspace", type=Path, default=argparse.SUPPRESS)
    return cmd


def run(folder: Path, args: argparse.Namespace) -> int:
    raise ValidationFailed("This command is not built yet.", "command")
