"""Demo back office work: payments with status history, KYC cases and documents,
notes, tasks, alerts and pending approvals."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING

from app.models import compliance, crm, kyc, payments
from app.monitoring.context import alert_key, alert_uid
from app.monitoring.registry import RULES
from app.workspace.bulk import insert_rows

if TYPE_CHECKING:
    from app.demo.generator import AccountRow, ClientRow, _Builder

PROVIDERS = {"card": ("Stripe", "Worldpay", "Nuvei"), "bank_wire": ("Barclays", "Eurobank"),
             "e_wallet": ("Skrill", "Neteller"), "crypto": ("Coinspaid",)}
FINAL = ["completed"] * 16 + ["failed", "cancelled", "charged_back", "refunded"]
REQUIRED_DOCS = ("passport", "proof_of_address", "selfie")


def fill(b: _Builder, clients: list[ClientRow], accounts: list[AccountRow],
         managers: list[int]) -> None:
    first_account: dict[int, AccountRow] = {}
    for row in accounts:
        first_account.setdefault(row[1], row)
    _payments(b, first_account, managers)
    _kyc(b, clients, managers)
    _notes_tasks_alerts(b, clients, managers)


def _payments(b: _Builder, first_account: dict[int, AccountRow], managers: list[int]) -> None:
    from app.demo.generator import ts

    rng, rows, history, pid = b.rng, [], [], 0
    for cid, (aid, _cid, currency, opened) in first_account.items():
        for _ in range(rng.choices([1, 2, 3, 5], [40, 30, 20, 10])[0]):
            pid += 1
            method = rng.choices(list(PROVIDERS), [55, 20, 20, 5])[0]
            direction = "withdrawal" if rng.random() < 0.3 else "deposit"
            amount = rng.choice([100, 250, 500, 1000, 2500, 5000]) * 100
            created = opened + timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 999))
            created = min(created, b.now - timedelta(minutes=5))
            recent = (b.now - created).days < 3
            if direction == "withdrawal" and recent:
                status = "requested"
            else:
                status = rng.choice(["pending", "processing"]) if recent else rng.choice(FINAL)
            third_party = direction == "deposit" and rng.random() < 0.02
            rows.append((pid, b.uid(), cid, aid, direction, method,
                         rng.choice(PROVIDERS[method]), amount, currency,
                         amount * 15 // 1000 if method == "card" else 0, status,
                         f"PR-{rng.getrandbits(40):010x}",
                         "Third Party Payer" if third_party else "", "",
                         rng.choice(managers), 1, ts(created), ts(created)))
            steps = ["requested"] + (["pending", "processing"] if status not in
                                     ("requested", "pending") else []) + [status]
            for i, step in enumerate(dict.fromkeys(steps)):
                history.append((pid, step, ts(created + timedelta(minutes=7 * i)), None, ""))
    insert_rows(b.s, payments.PaymentRequest.__table__,
                ["id", "uid", "client_id", "account_id", "direction", "method", "provider",
                 "amount_minor", "currency", "fee_minor", "status", "provider_ref", "payer_name",
                 "payer_account", "requested_by", "version", "created_at", "updated_at"], rows)
    insert_rows(b.s, payments.PaymentStatusChange.__table__,
                ["payment_id", "status", "at", "actor_id", "note"], history)
    b.counts.payments = len(rows)


def _kyc(b: _Builder, clients: list[ClientRow], managers: list[int]) -> None:
    from app.demo.generator import ts

    rng = b.rng
    cases: list[tuple[object, ...]] = []
    docs: list[tuple[object, ...]] = []
    contents: list[tuple[object, ...]] = []
    case_status = {"kyc_pending": "in_review", "verified": "approved", "active": "approved",
                   "dormant": "approved", "closed": "approved", "registered": "open"}
    doc_id = 0
    for cid, status, _currency, created in clients:
        if status not in case_status:
            continue
        case_id = len(cases) + 1
        decided = created + timedelta(days=2)
        approved = case_status[status] == "approved"
        cases.append((case_id, b.uid(), cid, case_status[status], 0,
                      rng.choice(managers) if approved else None, ts(decided) if approved else None,
                      (decided.date() + timedelta(days=365 * 2)).isoformat() if approved else None,
                      "", 1, ts(created), ts(created)))
        # Documents with content only for a sample: enough to review, small enough to ship.
        if status == "registered" or rng.random() > 0.15:
            continue
        for doc_type in REQUIRED_DOCS:
            doc_id += 1
            data = f"%PDF-1.4\n% demo scan {doc_type} of client {cid}\n".encode() * 8
            expiry = created.date() + timedelta(days=rng.randint(-30, 3000))
            docs.append((doc_id, b.uid(), case_id, doc_type, "", f"X{rng.getrandbits(32):08d}",
                         None, expiry.isoformat() if doc_type == "passport" else None,
                         "approved" if approved else "new", "", f"{doc_type}.pdf",
                         "application/pdf", hashlib.sha256(data).hexdigest(), len(data), None,
                         1, ts(created), ts(created)))
            contents.append((doc_id, data))
    insert_rows(b.s, kyc.KycCase.__table__,
                ["id", "uid", "client_id", "status", "enhanced", "decided_by", "decided_at",
                 "next_review", "notes", "version", "created_at", "updated_at"], cases)
    insert_rows(b.s, kyc.KycDocument.__table__,
                ["id", "uid", "case_id", "doc_type", "issuing_country", "number", "issue_date",
                 "expiry_date", "status", "reject_reason", "file_name", "mime_type", "sha256",
                 "size", "reviewed_by", "version", "created_at", "updated_at"], docs)
    insert_rows(b.s, kyc.DocumentContent.__table__, ["document_id", "data"], contents)
    b.counts.kyc_documents = len(docs)


NOTES = ("Called the client about the pending documents; will upload tonight.",
         "Client asked about swap-free accounts.", "Prefers contact by email, not phone.",
         "Explained the leverage limits for retail clients.",
         "Client complained about slippage on GBPJPY; forwarded to dealing.")
TASKS = ("Request an updated proof of address", "Follow up on the first deposit",
         "Annual KYC review", "Call back about the withdrawal", "Offer the pro account upgrade")


def _notes_tasks_alerts(b: _Builder, clients: list[ClientRow], managers: list[int]) -> None:
    from app.demo.generator import ts

    rng = b.rng
    notes: list[tuple[object, ...]] = []
    tasks: list[tuple[object, ...]] = []
    alerts: list[tuple[object, ...]] = []
    for cid, status, _currency, created in clients:
        if rng.random() < 0.25:
            notes.append((len(notes) + 1, b.uid(), cid, rng.choice(managers), rng.choice(NOTES),
                          1, ts(created + timedelta(days=1)), ts(created + timedelta(days=1))))
        if rng.random() < 0.08:
            due = (b.now + timedelta(days=rng.randint(-5, 20))).date().isoformat()
            tasks.append((len(tasks) + 1, b.uid(), cid, rng.choice(managers), rng.choice(TASKS),
                          due, 0, None, 1, ts(b.now), ts(b.now)))
        if status == "active" and rng.random() < 0.02:
            rule, summary = rng.choice([
                ("little_trading", "Deposit followed by a withdrawal with little trading"),
                ("third_party_payer", "Deposit from a third-party payer"),
                ("structuring", "Deposits split just under the reporting threshold")])
            # Drawn as before (an id and a severity), so the rest of the demo stays what
            # the seed made; the alert takes its id from its key and the rule's severity.
            b.uid()
            rng.choice(["medium", "high"])
            spec = RULES[rule]
            key = alert_key(rule, f"L{cid}", "demo")
            alerts.append((len(alerts) + 1, alert_uid(key), rule, spec.severity.value, cid,
                           "open", summary, b.json({"client": f"L{cid}", "demo": True,
                                                    "rule": spec.title}),
                           key, (b.now + timedelta(days=spec.days_to_review)).date().isoformat(),
                           1, ts(b.now), ts(b.now)))
    insert_rows(b.s, crm.Note.__table__, ["id", "uid", "client_id", "author_id", "body",
                                          "version", "created_at", "updated_at"], notes)
    insert_rows(b.s, crm.Task.__table__, ["id", "uid", "client_id", "assignee_id", "title",
                                          "due_date", "done", "done_at", "version",
                                          "created_at", "updated_at"], tasks)
    insert_rows(b.s, compliance.Alert.__table__,
                ["id", "uid", "rule", "severity", "client_id", "status", "summary", "evidence",
                 "key", "due_date", "version", "created_at", "updated_at"], alerts)
    b.counts.notes, b.counts.tasks, b.counts.alerts = len(notes), len(tasks), len(alerts)
