"""The screening service on a real encrypted workspace: list import, screening of all
clients (resumable, never doubling a hit), review with freeze, and permissions."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.demo.generator import fill
from app.errors import PermissionDenied, ValidationFailed
from app.models.audit import AuditEntry
from app.models.crm import Client, ClientKind
from app.models.kyc import HitStatus, SanctionList, ScreeningHit, ScreeningRun
from app.models.sync_state import OutboxCommand
from app.models.users import Role
from app.services import screening
from app.services.clients import ClientData, create_client, get_client, update_client
from app.services.screening.active import FACT_COLUMNS, active_lists, facts_of
from app.services.workspace import Desk
from sync.contract.schemas import ScreeningReview
from tests.app.test_roles_and_clients import _as

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "sanctions"
OFAC = [SAMPLES / "ofac" / n for n in ("sdn.csv", "alt.csv", "add.csv")]
ALL = {"ofac": OFAC, "un": [SAMPLES / "un-consolidated.xml"],
       "eu": [SAMPLES / "eu-financial-sanctions.xml"],
       "opensanctions": [SAMPLES / "opensanctions-targets.simple.csv"]}


def person(desk: Desk, first: str, last: str, country: str, dob: str | None = None) -> int:
    from datetime import date

    return create_client(desk, ClientData(
        first_name=first, last_name=last, country=country,
        date_of_birth=date.fromisoformat(dob) if dob else None))


def hit_rows(desk: Desk) -> list[ScreeningHit]:
    with desk.store.read() as s:
        return list(s.scalars(select(ScreeningHit).order_by(ScreeningHit.id)))


def keys(desk: Desk) -> list[tuple[int, str, str]]:
    return sorted((h.client_id, h.list_name, h.entry_ref) for h in hit_rows(desk))


def expected_keys(desk: Desk) -> list[tuple[int, str, str]]:
    """What the matcher finds for every client, computed apart from the service."""
    with desk.store.read() as s:
        active = active_lists(s)
        clients = [facts_of(r) for r in s.execute(
            select(*[getattr(Client, c) for c in FACT_COLUMNS]))]
    return sorted((c.id, active.info(h.entry).name, h.entry.entry_id) for c in clients
                  for h in active.screener.screen(c.subject()))


def test_import_and_screening_of_all_clients_find_the_listed_ones(desk: Desk) -> None:
    ivanov = person(desk, "Sergey", "Ivanov", "RU", "1980-05-05")
    clarke = person(desk, "Emily", "Clarke", "GB", "1990-01-01")
    baltic = create_client(desk, ClientData(kind=ClientKind.COMPANY,
                                            company_name="Baltic Trading Ltd", country="CY"))
    assert not screening.rescreen_needed(desk)
    ids = {source: screening.import_list(desk, source, paths) for source, paths in ALL.items()}
    assert screening.rescreen_needed(desk)  # a list update owes a screening of everyone
    result = screening.rescreen_all(desk)
    assert result.finished and result.tally.clients == 3 and not screening.rescreen_needed(desk)
    assert keys(desk) == [(ivanov, "OFAC SDN", "10001"), (baltic, "EU Consolidated", "900102"),
                          (baltic, "OFAC SDN", "10005"),
                          (baltic, "OpenSanctions", "NK-fict-btl11")]
    assert screening.hits_for_client(desk, clarke) == []
    view = screening.hits_for_client(desk, ivanov)[0]
    assert view.score == 100 and view.status is HitStatus.OPEN
    assert view.listed_name == "IVANOV, Sergey" and view.matched_name == "IVANOV, Sergey"
    assert "country matches" in view.why and view.programs == ("RUSSIA-EO14024",)
    with desk.store.read() as s:
        assert all(c.screened_at is not None for c in s.scalars(select(Client)))
        run = s.get(ScreeningRun, result.run_id)
        assert run is not None and run.finished_at is not None
        assert run.trigger == "list_update" and run.clients == 3 and run.hits == 4
        assert [i["name"] for i in run.lists["lists"]] == [
            "OFAC SDN", "UN Consolidated", "EU Consolidated", "OpenSanctions"]
        actions = list(s.scalars(select(AuditEntry.action)))
    assert actions.count("sanction_list.import") == 4 and "screening.rescreen" in actions
    versions = {v.source: v for v in screening.lists(desk)}
    assert versions["ofac"].id == ids["ofac"] and versions["ofac"].entry_count == 25
    assert not versions["ofac"].dated_by_file and versions["un"].dated_by_file


def test_the_same_files_twice_are_refused_and_a_new_version_replaces_the_old(
        desk: Desk, tmp_path: Path) -> None:
    first = screening.import_list(desk, "ofac", OFAC)
    with pytest.raises(ValidationFailed, match=r"already imported on .* as OFAC SDN version"):
        screening.import_list(desk, "ofac", list(reversed(OFAC)))
    for path in OFAC:
        shutil.copy(path, tmp_path / path.name)
    sdn = tmp_path / "sdn.csv"
    sdn.write_bytes(sdn.read_bytes().replace(b"DOB 14 Feb 1971", b"DOB 15 Feb 1971"))
    second = screening.import_list(desk, "ofac", [tmp_path / p.name for p in OFAC])
    listed = {v.id: v for v in screening.lists(desk)}
    assert not listed[first].active and listed[second].active
    with desk.store.read() as s:
        assert s.scalar(select(func.count()).select_from(SanctionList)) == 2
        assert s.scalar(text("SELECT count(*) FROM sanction_entries")) == 50


def test_screening_again_never_doubles_a_hit(desk: Desk, tmp_path: Path) -> None:
    fill(desk, clients=299, seed=11)
    person(desk, "Sergey", "Ivanov", "RU")
    for source, paths in ALL.items():
        screening.import_list(desk, source, paths)
    screening.rescreen_all(desk)
    once = [(h.id, h.client_id, h.list_name, h.entry_ref) for h in hit_rows(desk)]
    assert once and keys(desk) == expected_keys(desk)
    again = screening.rescreen_all(desk, trigger="manual")
    assert again.finished and again.tally.clients == 300 and again.tally.new == 0
    assert [(h.id, h.client_id, h.list_name, h.entry_ref) for h in hit_rows(desk)] == once
    # A new version of a list: the same entries keep their hits, now on the new version.
    for path in OFAC:
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "sdn.csv").write_bytes((tmp_path / "sdn.csv").read_bytes().replace(
        b"Gender Male.", b"Gender Male; updated."))
    screening.import_list(desk, "ofac", [tmp_path / p.name for p in OFAC])
    screening.rescreen_all(desk)
    after = hit_rows(desk)
    assert [(h.id, h.client_id, h.list_name, h.entry_ref) for h in after] == once
    assert {h.list_version for h in after if h.list_name == "OFAC SDN"} == {
        v.version for v in screening.lists(desk) if v.source == "ofac" and v.active}


def test_a_false_positive_stays_closed_until_the_match_gets_stronger(
        desk: Desk, tmp_path: Path) -> None:
    karimov = person(desk, "Rustam", "Karimov", "UZ", "1971-02-15")
    screening.import_list(desk, "ofac", OFAC)
    screening.rescreen_all(desk)
    [hit] = screening.hits_for_client(desk, karimov)
    assert hit.score == 87 and "date of birth differs (listed 1971-02-14)" in hit.why
    with pytest.raises(ValidationFailed, match="Say why"):
        screening.review_hit(desk, hit.id, False, "  ")
    screening.review_hit(desk, hit.id, False, "Born a day later; passport seen.")
    assert screening.open_hits(desk) == []
    screening.rescreen_all(desk, trigger="manual")
    [closed] = screening.hits_for_client(desk, karimov)
    assert closed.status is HitStatus.FALSE_POSITIVE and closed.review_reason.startswith("Born")
    assert closed.reviewed_by == "Ada Admin"
    # The list corrects the date of birth: the score rises, the hit opens again.
    for path in OFAC:
        shutil.copy(path, tmp_path / path.name)
    sdn = tmp_path / "sdn.csv"
    sdn.write_bytes(sdn.read_bytes().replace(b"DOB 14 Feb 1971", b"DOB 15 Feb 1971"))
    screening.import_list(desk, "ofac", [tmp_path / p.name for p in OFAC])
    screening.rescreen_all(desk)
    [reopened] = screening.open_hits(desk)
    assert reopened.id == hit.id and reopened.score == 100
    assert reopened.why[0] == ("Reopened: the score rose from 87 to 100 since it was marked "
                               "a false positive.")
    with desk.store.read() as s:
        row = s.get(ScreeningHit, hit.id)
        assert row is not None and row.reasons["earlier_review"]["score"] == 87
        assert row.reviewed_by is None and row.review_reason == ""


def test_a_true_match_freezes_the_client_and_goes_to_the_gateway(desk: Desk) -> None:
    screening.import_list(desk, "ofac", OFAC)
    cid = person(desk, "Sergey", "Ivanov", "RU", "1980-05-05")  # screened at onboarding
    other = person(desk, "Andriy", "Shevchenko", "UA", "1989-03-17")
    with desk.store.write() as s:
        s.execute(text("UPDATE clients SET external_id = 'C' || id, server_version = 2"))
    [hit] = screening.hits_for_client(desk, cid)
    screening.review_hit(desk, hit.id, True, "Same passport number as the listing.")
    with pytest.raises(ValidationFailed, match="already reviewed as true match"):
        screening.review_hit(desk, hit.id, False, "changed my mind")
    [fp] = screening.hits_for_client(desk, other)
    screening.review_hit(desk, fp.id, False, "Different date of birth and town.")
    with desk.store.read() as s:
        client = s.get(Client, cid)
        assert client is not None and client.frozen
        assert client.frozen_reason == ("Confirmed match on OFAC SDN "
                                        f"{hit.list_version}, entry 10001 (IVANOV, Sergey)")
        cleared_client = s.get(Client, other)
        assert cleared_client is not None and not cleared_client.frozen
        sent = list(s.scalars(select(OutboxCommand).order_by(OutboxCommand.device_seq)))
        actions = list(s.scalars(select(AuditEntry.action)))
    assert [c.payload["kind"] for c in sent] == ["screening_review", "screening_review"]
    confirmed, cleared = (ScreeningReview.model_validate(c.payload["data"]) for c in sent)
    assert confirmed.status == "confirmed" and confirmed.client_id == f"C{cid}"
    assert confirmed.entry_ref == "10001" and confirmed.reviewed_by == "admin"
    assert cleared.status == "false_positive"
    assert cleared.review_reason == "Different date of birth and town."
    assert {"client.freeze", "screening_hit.review"} <= set(actions)
    with pytest.raises(ValidationFailed, match="Say why the freeze is lifted"):
        screening.lift_freeze(desk, cid, " ")
    screening.lift_freeze(desk, cid, "Delisted on 2026-12-01 (OFAC recent actions).")
    with pytest.raises(ValidationFailed, match="is not frozen"):
        screening.lift_freeze(desk, cid, "again")
    with desk.store.read() as s:
        client = s.get(Client, cid)
        assert client is not None and not client.frozen and client.frozen_reason == ""
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None and last.action == "client.unfreeze"
    assert last.before == {"frozen_reason": f"Confirmed match on OFAC SDN {hit.list_version}, "
                                            "entry 10001 (IVANOV, Sergey)"}


def test_who_may_do_what(desk: Desk) -> None:
    screening.import_list(desk, "ofac", OFAC)
    cid = person(desk, "Sergey", "Ivanov", "RU")
    [hit] = screening.hits_for_client(desk, cid)
    clerk = _as(desk, Role.CLERK, "chris")
    finance = _as(desk, Role.FINANCE, "fiona")
    for actor in (clerk, finance):
        with pytest.raises(PermissionDenied, match="review screening hits"):
            screening.review_hit(actor, hit.id, True)
        with pytest.raises(PermissionDenied):
            screening.lift_freeze(actor, cid, "no")
        with pytest.raises(PermissionDenied):
            screening.open_hits(actor)
        with pytest.raises(PermissionDenied):
            screening.rescreen_all(actor)
    with pytest.raises(PermissionDenied, match="import sanctions and PEP lists"):
        screening.import_list(clerk, "un", ALL["un"])
    assert [h.id for h in screening.hits_for_client(clerk, cid)] == [hit.id]  # may look
    officer = _as(desk, Role.COMPLIANCE, "nadia")
    screening.import_list(officer, "un", ALL["un"])
    screening.rescreen_all(officer)
    screening.review_hit(officer, hit.id, False, "Different person: born 1990.")
    assert screening.hits_for_client(desk, cid)[0].reviewed_by == "Nadia"


def test_a_cancelled_or_killed_screening_resumes_without_doubles(desk: Desk) -> None:
    fill(desk, clients=700, seed=5)
    for source, paths in ALL.items():
        screening.import_list(desk, source, paths)
    asked = []
    paused = screening.rescreen_all(desk, cancelled=lambda: asked.append(1) or len(asked) > 1)
    assert not paused.finished and 0 < paused.tally.clients < 700
    assert screening.rescreen_needed(desk)
    with desk.store.read() as s:
        run = s.get(ScreeningRun, paused.run_id)
        assert run is not None and run.finished_at is None and run.lists["state"] == "paused"
        screened = s.scalar(select(func.count()).where(Client.screened_at.is_not(None)))
    assert screened == paused.tally.clients == run.clients

    def crash(done: int, total: int) -> None:
        raise RuntimeError("the desk lost power")

    with pytest.raises(RuntimeError):
        screening.rescreen_all(desk, progress=crash)
    result = screening.rescreen_all(desk)
    assert result.finished and result.run_id == paused.run_id
    with desk.store.read() as s:
        run = s.get(ScreeningRun, result.run_id)
        assert run is not None and run.clients == 700 and run.lists["state"] == "done"
        # One run per list update; the first three were superseded by the next import.
        assert sorted(s.scalars(select(ScreeningRun.lists["state"].as_string()))) == [
            "done", "superseded", "superseded", "superseded"]
    assert keys(desk) == expected_keys(desk) and len(set(keys(desk))) == len(keys(desk))
    assert not screening.rescreen_needed(desk)


def test_every_core_finds_the_same_hits(desk: Desk) -> None:
    fill(desk, clients=300, seed=8)
    for source, paths in ALL.items():
        screening.import_list(desk, source, paths)
    result = screening.rescreen_all(desk, workers=2)
    assert result.finished and result.tally.clients == 300
    assert keys(desk) == expected_keys(desk) and keys(desk)


def test_the_demo_clients_give_hits_to_review(desk: Desk) -> None:
    fill(desk, clients=1000, seed=11)
    for source, paths in ALL.items():
        screening.import_list(desk, source, paths)
    screening.rescreen_all(desk)
    queue = screening.open_hits(desk)
    assert len(queue) >= 5 and len({h.list_name for h in queue}) >= 3
    assert [h.score for h in queue] == sorted((h.score for h in queue), reverse=True)


def test_one_client_inside_a_transaction_and_the_shared_matcher(desk: Desk) -> None:
    with desk.store.write() as s:
        lone = Client(kind=ClientKind.PERSON, first_name="Sergey", last_name="Ivanov",
                      display_name="Ivanov, Sergey", search_name="ivanov sergey", country="RU")
        s.add(lone)
        assert screening.screen_client_in(s, desk.actor, lone).hits == 0  # no list yet
        assert lone.screened_at is None
    screening.import_list(desk, "ofac", OFAC)
    with desk.store.read() as s:
        first, again = active_lists(s), active_lists(s)
    assert first is again  # built once per change of the active lists
    tally = screening.screen_client(desk, lone.id)
    assert tally.new == 1 and len(tally.opened) == 1
    screening.import_list(desk, "un", ALL["un"])
    with desk.store.read() as s:
        assert active_lists(s) is not first and len(active_lists(s).lists) == 2
        runs = list(s.scalars(select(ScreeningRun.trigger).where(
            ScreeningRun.clients == 1)))
    assert runs == ["manual"]
    data, version, _ = get_client(desk, lone.id)
    update_client(desk, lone.id, replace(data, first_name="Serhiy"), version)
    assert [h.entry_ref for h in screening.hits_for_client(desk, lone.id)] == ["10001"]


def test_nothing_to_screen_against_is_said_plainly(desk: Desk) -> None:
    person(desk, "Emily", "Clarke", "GB")
    with pytest.raises(ValidationFailed, match="Import a sanctions or PEP list first"):
        screening.rescreen_all(desk)
