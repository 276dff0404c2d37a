"""The OpenAPI contract: kept in the repository, valid, and honoured by the gateway."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import requests
from openapi_spec_validator import validate

from sync.contract import wire
from sync.sandbox.openapi import CONTRACT
from tests.sync.conftest import Sandbox

HERE = Path(__file__).parent


def test_repository_copy_is_what_the_gateway_serves(sandbox: Sandbox) -> None:
    served = requests.get(sandbox.base + "/v1/openapi.json", timeout=10).json()
    kept = json.loads(CONTRACT.read_text(encoding="utf-8"))
    assert served == kept, "sync/contract/openapi.json is stale: run `make contract`"


def test_document_is_valid_openapi_and_complete() -> None:
    doc = json.loads(CONTRACT.read_text(encoding="utf-8"))
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    paths = set(doc["paths"])
    assert {"/v1/changes", "/v1/auth/login", "/v1/commands/balance-operation",
            "/v1/commands/withdrawal-decision", "/v1/commands/put-record",
            "/v1/documents/{doc_id}"} <= paths
    assert not any(p.startswith("/v1/control") for p in paths), "sandbox-only routes leak"
    schemas = doc["components"]["schemas"]
    for kind in wire.OWNED_KINDS:
        assert f"Record_{kind}" in schemas
    balance = doc["paths"]["/v1/commands/balance-operation"]["post"]
    headers = {p["name"] for p in balance["parameters"] if p["in"] == "header"}
    assert {"Idempotency-Key", "X-Device-Id", "X-Device-Seq"} <= headers
    assert "409" in balance["responses"] and "422" in balance["responses"]


def test_property_based_api_run_finds_no_failures(own_sandbox: list[Sandbox],
                                                 tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=100).start()
    own_sandbox.append(box)
    admin = box.desk("admin")
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st, "schemathesis is installed with the test extras"
    run = subprocess.run(
        # the session's own device id, so commands get past the device check to the rules
        [st, "run", f"{box.base}/v1/openapi.json", "-H", f"Authorization: Bearer {admin.token}",
         "-H", f"X-Device-Id: {admin.device}",
         "--checks", "all", "--max-examples", "40", "--workers", "1",
         "--seed", "20261124"],
        cwd=HERE, capture_output=True, text=True, timeout=600)
    report = run.stdout[-4000:]
    assert run.returncode == 0, report
    assert "Tested: 12" in report  # every operation in the document was exercised
    assert "No issues found" in report or "passed" in report.split("SUMMARY")[-1], report
