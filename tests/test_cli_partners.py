"""`backdesk partners` and `backdesk commissions` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import _run


def test_partner_plan_accrual_and_a_run_that_needs_a_second_person(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    pw = {"BACKDESK_PASSWORD": "a-password"}
    assert _run("init", "--workspace", ws, "--broker", "Cedar FX", env=pw).returncode == 0
    assert _run("demo", "--workspace", ws, "--clients", "120", env=pw).returncode == 0
    r = _run("partners", "tree", "--workspace", ws, env=pw)
    assert r.returncode == 0, r.stderr
    top = r.stdout.splitlines()[0]
    code = top.split("[")[1].split("]")[0]
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"per_lot": [{"symbols": "*", "rate": "7.00"}]}))
    r = _run("partners", "plan", "Standard", "--kind", "per_lot", "--rules", str(rules),
             "--tiers", "2000,1000", "--workspace", ws, env=pw)
    assert r.returncode == 0 and "Plan #1" in r.stdout, r.stderr
    rules.write_text(json.dumps({"per_lot": [{"symbols": "*", "rate": 7.0}]}))
    r = _run("partners", "plan", "Float", "--kind", "per_lot", "--rules", str(rules),
             "--workspace", ws, env=pw)
    assert r.returncode == 2 and "never a float" in r.stderr
    r = _run("partners", "tree", "--workspace", ws, env=pw)
    for line in r.stdout.splitlines():  # every partner earns under the plan
        c = line.split("[")[1].split("]")[0]
        done = _run("partners", "assign", c, "--plan", "1", "--from", "2000-01-01",
                    "--workspace", ws, env=pw)
        assert done.returncode == 0, done.stderr
    r = _run("commissions", "accrue", "--workspace", ws, env=pw)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.split()[0].replace(",", "")) > 0
    assert _run("commissions", "accrue", "--workspace", ws, env=pw).stdout.startswith("0 ")
    r = _run("commissions", "run", "--from", "2000-01-01", "--to", "2099-12-31",
             "--workspace", ws, env=pw)
    assert r.returncode == 0 and "payouts proposed" in r.stdout, r.stderr
    r = _run("commissions", "payouts", "--workspace", ws, env=pw)
    assert "proposed" in r.stdout and "prepared by" in r.stdout
    payout = r.stdout.split("#", 1)[1].split()[0]
    r = _run("commissions", "approve", payout, "--workspace", ws, env=pw)
    assert r.returncode == 2 and "another finance officer" in r.stderr
    r = _run("partners", "move", code, "--under", code, "--from", "2099-01-01",
             "--workspace", ws, env=pw)
    assert r.returncode == 2 and "is in a payout run" in r.stderr  # paid history stays
