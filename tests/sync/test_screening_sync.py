"""Clients that arrive from the platform are screened by the desk without anyone
asking, and screened again when the platform changes their name."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from app.models.crm import Client
from app.models.kyc import ScreeningHit, ScreeningRun
from app.services import screening
from app.services.gateway import gateway_config, set_gateway
from app.services.workspace import init_workspace
from sync.engine import SyncEngine
from tests.conftest import PASSWORD
from tests.sync.conftest import Sandbox

LIST = Path(__file__).resolve().parents[2] / "resources" / "sanctions" / (
    "opensanctions-targets.simple.csv")


def test_platform_clients_are_screened_after_sync_and_again_after_a_rename(
        own_sandbox: list[Sandbox], tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=150).start()
    own_sandbox.append(box)
    gw = box.desk("admin")
    changes, _ = gw.pull_all(limit=5000)
    model = next(c["data"] for c in changes if c["kind"] == "client" and not c["deleted"])
    listed = {**model, "client_id": "C7700001", "first_name": "Dmitri",
              "last_name": "Petroff", "date_of_birth": "1969-11-11", "country": "RU"}

    def inject(data: dict[str, object]) -> None:
        r = gw.http.post(box.base + "/v1/control/inject", timeout=30,
                         json={"kind": "client", "id": "C7700001", "data": data})
        assert r.status_code == 200, r.text

    inject({**listed, "first_name": "Anna", "last_name": "Quietley"})
    desk = init_workspace(tmp_path / "ws", password=PASSWORD, broker_name="Sandbox",
                          base_currency="USD", admin_username="admin",
                          admin_full_name="Ada Admin")
    set_gateway(desk, box.base, "admin", "sandbox")
    screening.import_list(desk, "opensanctions", [LIST])
    config = gateway_config(desk)
    assert config is not None
    engine = SyncEngine(desk.store, config)
    try:
        assert engine.once().online
        with desk.store.read() as s:
            total = s.scalar(select(func.count()).select_from(Client))
            waiting = s.scalar(select(func.count()).select_from(Client)
                               .where(Client.screened_at.is_(None)))
            client = s.scalars(select(Client).where(Client.external_id == "C7700001")).one()
            first_screened = client.screened_at
            assert s.scalar(select(func.count()).select_from(ScreeningHit)
                            .where(ScreeningHit.client_id == client.id)) == 0
            runs = s.scalar(select(func.sum(ScreeningRun.clients))
                            .where(ScreeningRun.trigger == "onboarding"))
        assert total and total > 150 and waiting == 0 and runs == total
        assert first_screened is not None
        assert screening.unscreened_clients(desk) == 0

        inject(listed)  # the platform renames the client to a listed person
        assert engine.once().online
        with desk.store.read() as s:
            renamed = s.get(Client, client.id)
            assert renamed is not None and renamed.first_name == "Dmitri"
            assert renamed.screened_at is not None and renamed.screened_at > first_screened
            hits = s.scalars(select(ScreeningHit)
                             .where(ScreeningHit.client_id == client.id)).all()
        assert [h.entry_ref for h in hits] == ["NK-fict-dvp01"]

        inject({**listed, "email": "dmitri@example.org"})  # not a change that matters
        assert engine.once().online
        with desk.store.read() as s:
            again = s.get(Client, client.id)
            assert again is not None and again.screened_at == renamed.screened_at
    finally:
        engine.close()
        desk.close()
