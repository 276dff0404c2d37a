"""Everything that happened to a client, newest first, paged.

Merged in SQL from the audit log (changes made on this desk) and the records and
mirrors (which also hold what other desks and the platform did): the client record,
trading accounts opened, trades summarised per account and day, balance operations,
payment status changes, KYC cases and documents, notes and tasks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models.crm import Client
from app.money import format_money, lots
from app.roles import Permission, require
from app.services.workspace import Desk


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime  # UTC
    kind: str  # change, created, account, trades, balance, payment, kyc, document, note, task
    title: str
    detail: str
    who: str  # the desk user, when the event was theirs


_TS = "strftime('%Y-%m-%d %H:%M:%f', {})"
_MS = "strftime('%Y-%m-%d %H:%M:%f', {} / 1000.0, 'unixepoch')"
# Each part gives (at, kind, t1, t2, t3, n1, n2, n3, who). Notes, tasks, KYC and the
# client's creation come from their tables (complete across desks), so the audit
# entries that say the same are left out.
_PARTS = [
    f"""SELECT {_TS.format('at')}, 'change', action, before, after, NULL, NULL, NULL,
               actor_name
        FROM audit_entries WHERE entity = 'client' AND entity_id = :cid_text
        AND action NOT IN ('client.create', 'note.add', 'task.create', 'task.complete')""",
    f"""SELECT {_TS.format('created_at')}, 'created', display_name, NULL, NULL, NULL, NULL,
               NULL, '' FROM clients WHERE id = :cid""",
    f"""SELECT {_TS.format('opened_at')}, 'account', "group", currency, NULL, login,
               leverage, NULL, '' FROM trading_accounts WHERE client_id = :cid""",
    f"""SELECT {_MS.format('max(d.time_ms)')}, 'trades', a.currency, NULL, NULL, a.login,
               count(*), sum(d.volume), ''
        FROM trading_accounts a JOIN deals d ON d.account_id = a.id
        WHERE a.client_id = :cid AND d.action IN ('buy', 'sell')
        GROUP BY a.id, d.time_ms / 86400000""",
    f"""SELECT {_MS.format('d.time_ms')}, 'balance', a.currency, d.action, d.comment, a.login,
               d.profit_minor, NULL, ''
        FROM trading_accounts a JOIN deals d ON d.account_id = a.id
        WHERE a.client_id = :cid AND d.action NOT IN ('buy', 'sell')""",
    f"""SELECT {_TS.format('h.at')}, 'payment', p.currency, p.direction,
               p.method || ' · ' || p.provider || ' · ' || h.status, p.amount_minor, NULL,
               NULL, coalesce(u.username, '')
        FROM payment_requests p JOIN payment_status_changes h ON h.payment_id = p.id
        LEFT JOIN users u ON u.id = h.actor_id WHERE p.client_id = :cid""",
    f"""SELECT {_TS.format('p.created_at')}, 'payment', p.currency, p.direction,
               p.method || ' · ' || p.provider || ' · ' || p.status, p.amount_minor, NULL,
               NULL, '' FROM payment_requests p WHERE p.client_id = :cid AND NOT EXISTS
        (SELECT 1 FROM payment_status_changes h WHERE h.payment_id = p.id)""",
    f"""SELECT {_TS.format('created_at')}, 'kyc', 'opened', NULL, NULL, NULL, NULL, NULL, ''
        FROM kyc_cases WHERE client_id = :cid""",
    f"""SELECT {_TS.format('k.decided_at')}, 'kyc', k.status, k.notes, NULL, NULL, NULL,
               NULL, coalesce(u.username, '')
        FROM kyc_cases k LEFT JOIN users u ON u.id = k.decided_by
        WHERE k.client_id = :cid AND k.decided_at IS NOT NULL""",
    f"""SELECT {_TS.format('d.created_at')}, 'document', d.doc_type, 'received', NULL, NULL,
               NULL, NULL, '' FROM kyc_documents d JOIN kyc_cases k ON k.id = d.case_id
        WHERE k.client_id = :cid""",
    f"""SELECT {_TS.format('d.reviewed_at')}, 'document', d.doc_type, d.status,
               d.reject_reason, NULL, NULL, NULL, coalesce(u.username, '')
        FROM kyc_documents d JOIN kyc_cases k ON k.id = d.case_id
        LEFT JOIN users u ON u.id = d.reviewed_by
        WHERE k.client_id = :cid AND d.reviewed_at IS NOT NULL""",
    f"""SELECT {_TS.format('n.created_at')}, 'note', n.body, NULL, NULL, NULL, NULL, NULL,
               coalesce(u.username, '')
        FROM notes n LEFT JOIN users u ON u.id = n.author_id WHERE n.client_id = :cid""",
    f"""SELECT {_TS.format('t.created_at')}, 'task', t.title, 'created', t.due_date, NULL,
               NULL, NULL, '' FROM tasks t WHERE t.client_id = :cid""",
    f"""SELECT {_TS.format('t.done_at')}, 'task', t.title, 'done', NULL, NULL, NULL, NULL, ''
        FROM tasks t WHERE t.client_id = :cid AND t.done_at IS NOT NULL""",
]
_QUERY = text("SELECT * FROM (" + "\nUNION ALL\n".join(_PARTS) + ")"
              " ORDER BY 1 DESC, 2, 3, 4, 5, 6, 7, 8, 9 LIMIT :limit OFFSET :offset")

_ACTIONS = {
    "client.update": "Client details changed", "client.status": "Status changed",
    "client.dormancy": "Status changed by the dormancy sweep", "client.tags": "Tags changed",
    "client.assign_manager": "Manager assigned", "contact.add": "Contact added",
    "contact.remove": "Contact removed", "contact.primary": "Preferred contact set",
    "task.reopen": "Task reopened", "outbox.open_account": "Trading account requested",
}


def _json(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    value = json.loads(raw) if isinstance(raw, str) else raw
    return value if isinstance(value, dict) else {}


def _change(action: str, before: dict[str, Any], after: dict[str, Any],
            users: dict[int, str]) -> tuple[str, str]:
    title = _ACTIONS.get(action, action.replace("_", " ").replace(".", ": "))
    if action == "client.assign_manager":
        def who(v: Any) -> str:
            return users.get(v, "nobody") if v is not None else "nobody"
        return title, f"{who(before.get('manager_id'))} → {who(after.get('manager_id'))}"
    if action in ("client.status", "client.dormancy"):
        reason = f" ({after['reason']})" if after.get("reason") else ""
        return title, f"{before.get('status', '?')} → {after.get('status', '?')}{reason}"
    if action == "client.tags":
        return title, (f"{', '.join(before.get('tags', [])) or 'none'} → "
                       f"{', '.join(after.get('tags', [])) or 'none'}")
    if action.startswith("contact."):
        data = after or before
        return title, f"{data.get('kind', '')}: {data.get('value', '')}"
    keys = list(dict.fromkeys([*before, *after]))
    return title, "; ".join(f"{k}: {before.get(k, '')} → {after.get(k, '')}"
                            if k in before else f"{k}: {after[k]}" for k in keys)


def _event(row: Any, users: dict[int, str]) -> TimelineEvent:
    at_text, kind, t1, t2, t3, n1, n2, n3, who = row
    at = datetime.fromisoformat(at_text).replace(tzinfo=UTC)
    if kind == "change":
        title, detail = _change(t1, _json(t2), _json(t3), users)
    elif kind == "created":
        title, detail = "Client record created", t1
    elif kind == "account":
        title, detail = f"Trading account {n1} opened", f"{t1}, {t2}, 1:{n2}"
    elif kind == "trades":
        title = f"{n2} trade{'s' if n2 != 1 else ''} on {n1}"
        detail = f"{lots(int(n3 or 0))} lots opened or closed"
    elif kind == "balance":
        title = f"{str(t2).capitalize()} on {n1}: {format_money(int(n2), t1)}"
        detail = t3 or ""
    elif kind == "payment":
        title = f"{str(t2).capitalize()} of {format_money(int(n1), t1)}"
        detail = t3 or ""
    elif kind == "kyc":
        title = "KYC case opened" if t1 == "opened" else f"KYC case {t1}"
        detail = t2 or ""
    elif kind == "document":
        title = f"Document {str(t1).replace('_', ' ')} {t2}"
        detail = t3 or ""
    elif kind == "note":
        title, detail = "Note", t1
    else:
        title = f"Task {t2}: {t1}"
        detail = f"due {t3}" if t3 else ""
    return TimelineEvent(at, kind, title, detail, who or "")


def client_timeline(desk: Desk, client_id: int, offset: int = 0,
                    limit: int = 100) -> list[TimelineEvent]:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return timeline_in(s, client_id, offset, limit)


def timeline_in(s: Session, client_id: int, offset: int = 0,
                limit: int = 100) -> list[TimelineEvent]:
    if s.get(Client, client_id) is None:
        raise NotFound("This client no longer exists.")
    rows = s.execute(_QUERY, {"cid": client_id, "cid_text": str(client_id),
                              "limit": limit, "offset": offset}).all()
    users = {uid: name for uid, name in s.execute(text("SELECT id, full_name FROM users"))}
    return [_event(r, users) for r in rows if r[0] is not None]
