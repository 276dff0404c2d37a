"""The screening page: import a list, every client screened on a thread, the hit
queue, and a review (false positive needs a reason; true match freezes)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.models.crm import ClientKind
from app.services.clients import ClientData, create_client, get_client
from app.services.workspace import Desk
from tests.ui.conftest import not_blank
from ui.views.screening_view import ScreeningPage
from ui.worker import DbWorker

OFAC = Path(__file__).resolve().parents[2] / "resources" / "sanctions" / "ofac"
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def person(first: str, last: str, country: str) -> ClientData:
    return ClientData(kind=ClientKind.PERSON, first_name=first, last_name=last,
                      country=country)


def test_import_screen_and_review(qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    ivanov = create_client(desk, person("Sergey", "Ivanov", "RU"))
    karimov = create_client(desk, person("Rustam", "Karimov", "UZ"))
    create_client(desk, person("Maria", "Lopez", "ES"))
    page = ScreeningPage(desk, worker)
    qtbot.addWidget(page)
    page.resize(1200, 760)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: "No lists imported" in page.message.text(), timeout=10000)

    page.import_files("ofac", [OFAC / "sdn.csv", OFAC / "alt.csv", OFAC / "add.csv"])
    qtbot.waitUntil(lambda: page.operation is None and "Screened" in page.message.text(),
                    timeout=60000)
    assert page.list_table.rowCount() == 1
    qtbot.waitUntil(lambda: page.hit_table.rowCount() >= 2, timeout=10000)
    names = {h.client_name for h in page.hits}
    assert {"Ivanov, Sergey", "Karimov, Rustam"} <= names
    assert "Lopez, Maria" not in names

    row = next(i for i, h in enumerate(page.hits) if h.client_id == karimov)
    page.hit_table.selectRow(row)
    assert "Why it was found" in page.detail.text() and "KARIMOV" in page.detail.text()
    SHOTS.mkdir(exist_ok=True)
    page.grab().save(str(SHOTS / "screening_review.png"))
    assert not_blank(SHOTS / "screening_review.png") > 20

    page.review(False)  # no reason: refused, the hit stays in the queue
    qtbot.waitUntil(lambda: "Say why" in page.message.text(), timeout=10000)
    assert any(h.client_id == karimov for h in page.hits)
    page.reason.setText("Different date of birth and nationality (passport seen)")
    page.review(False)
    qtbot.waitUntil(lambda: not any(h.client_id == karimov for h in page.hits), timeout=10000)

    row = next(i for i, h in enumerate(page.hits) if h.client_id == ivanov)
    page.hit_table.selectRow(row)
    page.review(True)
    qtbot.waitUntil(lambda: "frozen" in page.message.text(), timeout=10000)
    _data, _version, extra = get_client(desk, ivanov)
    from app.models.crm import Client

    with desk.store.read() as s:
        frozen = s.get(Client, ivanov)
        assert frozen is not None and frozen.frozen and "OFAC" in frozen.frozen_reason
    assert extra["display_name"] == "Ivanov, Sergey"


def test_importing_the_same_files_twice_says_so(qtbot: QtBot, desk: Desk,
                                                worker: DbWorker) -> None:
    create_client(desk, person("Sergey", "Ivanov", "RU"))
    page = ScreeningPage(desk, worker)
    qtbot.addWidget(page)
    files = [OFAC / "sdn.csv", OFAC / "alt.csv", OFAC / "add.csv"]
    page.import_files("ofac", files)
    qtbot.waitUntil(lambda: page.operation is None and "Screened" in page.message.text(),
                    timeout=60000)
    page.import_files("ofac", files)
    qtbot.waitUntil(lambda: "already imported" in page.message.text(), timeout=10000)
    assert page.operation is None


def test_a_cancelled_screening_continues_later(qtbot: QtBot, desk: Desk,
                                               worker: DbWorker) -> None:
    from app.services import screening

    for n in range(30):
        create_client(desk, person(f"Client{n}", "Ivanov", "RU"))
    screening.import_list(desk, "ofac", [OFAC / "sdn.csv", OFAC / "alt.csv", OFAC / "add.csv"])
    page = ScreeningPage(desk, worker)
    qtbot.addWidget(page)
    page.start_rescreen("manual")
    assert page.operation is not None
    page.cancel_rescreen()
    qtbot.waitUntil(lambda: page.operation is None, timeout=60000)
    assert "Stopped after" in page.message.text() or "Screened" in page.message.text()
    page.start_rescreen("manual")
    qtbot.waitUntil(lambda: page.operation is None and "Screened" in page.message.text(),
                    timeout=60000)
    assert not screening.rescreen_needed(desk)


def test_clients_waiting_for_a_screening_are_counted(qtbot: QtBot, desk: Desk,
                                                     worker: DbWorker) -> None:
    from app.services import screening

    create_client(desk, person("Sergey", "Ivanov", "RU"))  # no list yet: not screened
    create_client(desk, person("Maria", "Lopez", "ES"))
    screening.import_list(desk, "ofac", [OFAC / "sdn.csv", OFAC / "alt.csv", OFAC / "add.csv"])
    assert screening.unscreened_clients(desk) == 2
    page = ScreeningPage(desk, worker)
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: "2 client(s) have not been screened" in page.notice.text()
                    and not page.notice.isHidden(), timeout=10000)
    page.start_rescreen("manual")
    qtbot.waitUntil(lambda: page.operation is None and "Screened 2" in page.message.text(),
                    timeout=60000)
    assert screening.unscreened_clients(desk) == 0
    qtbot.waitUntil(lambda: page.hit_table.rowCount() == 1 and page.notice.isHidden(),
                    timeout=10000)
