"""Dormancy: active clients with no activity for the configured period become dormant,
dormant clients with new activity become active again.

Activity is what the mirrors show of the client: a deal, an open position, a payment
(requested or moving), a trading account opened; a client record created within the
period counts too. The sweep is run by a person (or a scheduled job acting for one);
each move is audited and, for platform clients, sent to the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from app import audit
from app.crm.lifecycle import apply_status, refusal
from app.errors import ValidationFailed
from app.models.crm import Client, ClientStatus
from app.roles import Permission, require
from app.services.workspace import Desk, get_setting, set_setting

SETTING = "crm.dormant_after_days"
DEFAULT_DAYS = 180

# One row per active or dormant client with the time of its newest activity (naive UTC
# text, or NULL). Deals are found through the (account_id, time_ms) index.
_LAST_ACTIVITY = text("""
SELECT c.id, c.status,
  max(coalesce((SELECT strftime('%Y-%m-%d %H:%M:%f', max(d.time_ms) / 1000.0, 'unixepoch')
                FROM trading_accounts a JOIN deals d ON d.account_id = a.id
                WHERE a.client_id = c.id), ''),
      coalesce((SELECT max(p.updated_at) FROM payment_requests p WHERE p.client_id = c.id), ''),
      coalesce((SELECT max(a.opened_at) FROM trading_accounts a WHERE a.client_id = c.id), ''),
      c.created_at) AS last_at,
  EXISTS (SELECT 1 FROM trading_accounts a JOIN positions p ON p.account_id = a.id
          WHERE a.client_id = c.id) AS holding
FROM clients c WHERE c.status IN ('active', 'dormant')
""")


def dormant_after_days(desk: Desk) -> int:
    with desk.store.read() as s:
        return int(get_setting(s, SETTING, str(DEFAULT_DAYS)))


def set_dormant_after_days(desk: Desk, days: int) -> None:
    require(desk.actor, Permission.MANAGE_WORKSPACE)
    if not 30 <= days <= 3650:
        raise ValidationFailed("The inactivity period is between 30 and 3,650 days.",
                               "dormant_after_days")
    with desk.store.write() as s:
        before = get_setting(s, SETTING, str(DEFAULT_DAYS))
        set_setting(s, SETTING, str(days))
        audit.record(s, desk.actor, "settings.update", "setting", SETTING,
                     before={"value": before}, after={"value": str(days)})


@dataclass
class SweepResult:
    cutoff: datetime
    checked: int = 0
    dormant: list[int] = field(default_factory=list)
    reactivated: list[int] = field(default_factory=list)
    # Clients that should move but may not (e.g. frozen), with the reason.
    held: list[tuple[int, str]] = field(default_factory=list)


def sweep(desk: Desk, now: datetime | None = None) -> SweepResult:
    require(desk.actor, Permission.EDIT_CLIENTS)
    now = now or datetime.now(UTC)
    with desk.store.write() as s:
        days = int(get_setting(s, SETTING, str(DEFAULT_DAYS)))
        cutoff = now - timedelta(days=days)
        mark = cutoff.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        result = SweepResult(cutoff)
        moves: list[tuple[int, ClientStatus, str]] = []
        for cid, status, last_at, holding in s.execute(_LAST_ACTIVITY):
            result.checked += 1
            recent = bool(holding) or str(last_at) >= mark
            if status == "active" and not recent:
                moves.append((cid, ClientStatus.DORMANT,
                              f"no activity since {str(last_at)[:10]} ({days} days or more)"))
            elif status == "dormant" and recent:
                why = "holds open positions" if holding else f"activity on {str(last_at)[:10]}"
                moves.append((cid, ClientStatus.ACTIVE, f"new activity: {why}"))
        for cid, new, reason in moves:
            client = s.get(Client, cid)
            assert client is not None
            held = refusal(s, client, new, reason)
            if held:
                result.held.append((cid, held))
                continue
            apply_status(s, desk.actor, client, new, reason, action="client.dormancy")
            (result.dormant if new is ClientStatus.DORMANT else result.reactivated).append(cid)
        return result
