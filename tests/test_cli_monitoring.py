"""`backdesk monitoring` as a compliance officer runs it from a terminal."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import _run


def test_rules_set_and_run(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    pw = {"BACKDESK_PASSWORD": "a-password"}
    assert _run("init", "--workspace", ws, "--broker", "Cedar FX", env=pw).returncode == 0
    assert _run("demo", "--workspace", ws, "--clients", "150", env=pw).returncode == 0

    r = _run("monitoring", "rules", "--workspace", ws, env=pw)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("[on, ") == 9
    assert ("little_trading  [on, medium, review within 10 days]  Deposits withdrawn with "
            "little trading") in r.stdout
    assert ("Deposits of at least 1,000.00 USD followed within 7 days by withdrawals of at "
            "least 80% of them, with fewer than 0.10 lots traded in between.") in r.stdout
    assert "min_deposit=1000.00  window_days=7  withdrawn_pct=80  max_lots=0.10" in r.stdout

    r = _run("monitoring", "set", "little_trading", "--threshold", "min_deposit=2,500",
             "--threshold", "window_days=10", "--severity", "high", "--days-to-review", "3",
             "--workspace", ws, env=pw)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == (
        "little_trading is on (high, review within 3 days): Deposits of at least 2,500.00 "
        "USD followed within 10 days by withdrawals of at least 80% of them, with fewer "
        "than 0.10 lots traded in between.")
    r = _run("monitoring", "set", "structuring", "--disable", "--workspace", ws, env=pw)
    assert r.returncode == 0 and r.stdout.startswith("structuring is off"), r.stderr
    assert "structuring  [OFF, high" in _run("monitoring", "rules", "--workspace", ws,
                                             env=pw).stdout
    for args, words in (
            (("--threshold", "min_deposit=1e3.5"), "is an amount like"),
            (("--threshold", "window_days=0"), "from 1 days to 365 days"),
            (("--threshold", "min_deposit"), "name=value"),
            (("--threshold", "colour=red"), "has no threshold 'colour'"),
            (("--days-to-review", "400"), "from 1 to 365"),
            ((), "Say what to change")):
        r = _run("monitoring", "set", "little_trading", *args, "--workspace", ws, env=pw)
        assert r.returncode == 2 and words in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    r = _run("monitoring", "set", "no_such_rule", "--enable", "--workspace", ws, env=pw)
    assert r.returncode == 2 and "There is no monitoring rule 'no_such_rule'" in r.stderr

    r = _run("monitoring", "run", "--workspace", ws, env=pw)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Run #1: 150 clients checked in ")
    raised = int(r.stdout.split("hit(s), ")[1].split()[0])
    assert raised >= 0 and "new alert(s)" in r.stdout
    again = _run("monitoring", "run", "--workspace", ws, env=pw)
    assert again.returncode == 0 and ", 0 new alert(s) (none)." in again.stdout
    r = _run("monitoring", "run", "--from", "2026-03-02", "--to", "2026-03-01",
             "--workspace", ws, env=pw)
    assert r.returncode == 2 and "ends before it starts" in r.stderr
    r = _run("monitoring", "run", "--from", "1990-01-01", "--to", "1990-12-31",
             "--workspace", ws, env=pw)
    assert r.returncode == 0 and "0 hit(s)" in r.stdout
