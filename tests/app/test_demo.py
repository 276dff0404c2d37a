"""Demo data is realistic and internally consistent: every balance is its deals' sum."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app import audit
from app.demo.generator import fill
from app.errors import PermissionDenied, ValidationFailed
from app.models.crm import Client
from app.models.users import Role
from app.services import users
from app.services.workspace import Desk, open_workspace
from tests.conftest import PASSWORD


def test_demo_balances_equal_the_sum_of_their_deals(demo_folder: Path) -> None:
    desk = open_workspace(demo_folder, PASSWORD)
    with desk.store.read() as s:
        mismatches = s.execute(text("""
            SELECT st.account_id, st.balance_minor, COALESCE(SUM(d.profit_minor
                   + d.commission_minor + d.swap_minor + d.fee_minor), 0) AS deals
            FROM account_states st LEFT JOIN deals d ON d.account_id = st.account_id
            GROUP BY st.account_id HAVING st.balance_minor != deals""")).all()
        n_accounts = s.scalar(text("SELECT count(*) FROM account_states"))
        scripts = s.scalars(select(Client.display_name)).all()
        result = audit.verify(s)
    desk.close()
    assert n_accounts and not mismatches
    assert result.ok
    joined = "".join(scripts)
    assert any("\u0400" <= ch <= "\u04ff" for ch in joined), "no Cyrillic names"
    assert any("\u0370" <= ch <= "\u03ff" for ch in joined), "no Greek names"
    assert any("\u0600" <= ch <= "\u06ff" for ch in joined), "no Arabic names"


def test_demo_is_deterministic_and_needs_a_fresh_workspace(desk: Desk, tmp_path: Path) -> None:
    from app.services.workspace import init_workspace

    first = fill(desk, clients=50, seed=3)
    other = init_workspace(tmp_path / "o", password=PASSWORD, broker_name="B",
                           base_currency="USD", admin_username="admin", admin_full_name="A")
    second = fill(other, clients=50, seed=3)
    assert first == second
    with pytest.raises(ValidationFailed, match="fresh workspace"):
        fill(other, clients=50)
    with other.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Client)) == 50
    other.close()


def test_only_an_admin_loads_demo_data(desk: Desk) -> None:
    manager = Desk(desk.store, users.add_user(desk, "m", "M", Role.MANAGER))
    with pytest.raises(PermissionDenied):
        fill(manager, clients=10)
