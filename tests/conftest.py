"""Shared fixtures. Tests run Qt on the offscreen platform: no screen needed."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.workspace import Desk, init_workspace

PASSWORD = "correct horse battery"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = init_workspace(tmp_path / "ws", password=PASSWORD, broker_name="Test Markets Ltd",
                       base_currency="USD", admin_username="admin",
                       admin_full_name="Ada Admin")
    yield d
    d.close()


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace with demo data, shared read-only by the tests that only look."""
    from app.demo.generator import fill

    folder = tmp_path_factory.mktemp("demo") / "ws"
    d = init_workspace(folder, password=PASSWORD, broker_name="Demo Markets Ltd",
                       base_currency="USD", admin_username="admin",
                       admin_full_name="Ada Admin")
    fill(d, clients=400, seed=11)
    d.close()
    return folder
