"""Third-party payers: a deposit paid from an account in someone else's name, or a
withdrawal to one.

Names are compared as words, whatever their order, accents or script and however they
were transliterated (the screening's name forms): "BERG ANNA", "Anna Berg" and
"Анна Берг" are the same person; a joint account holding the client's name ("Anna
Berg & Jon Berg") is the client's own. SQL leaves out the payments whose payer name is
written exactly as the client's; only the rest are compared word by word. One alert
per client and payer: later payments from the same payer raise nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal

from app.models.compliance import Severity
from app.monitoring import thresholds as t
from app.monitoring.context import Context, Hit, plain, usd_text
from app.monitoring.spec import RuleSpec, Settings
from app.screening.names import name_form, spoken


def words(name: str) -> frozenset[str]:
    return frozenset(spoken(w) for w in name_form(name).tokens if w)


def same_person(payer: str, own: str) -> bool:
    """The payer's name holds the client's (joint accounts, middle names), or the
    reverse with at least two words ('Anna Berg' for 'Anna Maria Berg')."""
    theirs, mine = words(payer), words(own)
    if not theirs or not mine:
        return True  # nothing to compare: not evidence of a third party
    return mine <= theirs or (len(theirs) >= 2 and theirs <= mine)


def legal_name(first: str, last: str, company: str, display: str) -> str:
    if company:
        return company
    return " ".join(x for x in (first, last) if x) or display


def find(ctx: Context, cfg: Settings) -> list[Hit]:
    groups: dict[tuple[int, frozenset[str]], list[tuple[int, int, str, str]]] = {}
    checked: dict[tuple[str, str], bool] = {}
    for pid, cid, ms, payer, first, last, company, display, direction in ctx.db.execute(
            "SELECT p.id, p.client_id, p.ms, p.payer_name, c.first_name, c.last_name,"
            " c.company_name, c.display_name, p.direction FROM mon_pay p"
            " JOIN clients c ON c.id = p.client_id WHERE trim(p.payer_name) <> ''"
            " AND p.usd >= ? AND " + ctx.in_period("p.ms") +
            " AND p.payer_name NOT IN (c.first_name || ' ' || c.last_name,"
            "   c.last_name || ' ' || c.first_name, c.display_name, c.company_name)",
            (cfg.usd_cents("min_amount"),)):
        own = legal_name(first, last, company, display)
        verdict = checked.get((payer, own))
        if verdict is None:
            verdict = checked[(payer, own)] = same_person(payer, own)
        if not verdict:
            groups.setdefault((int(cid), words(payer)), []).append(
                (int(pid), int(ms), str(payer), str(direction)))
    return [_hit(ctx, cfg, cid, payer_words, rows)
            for (cid, payer_words), rows in groups.items()]


def _hit(ctx: Context, cfg: Settings, cid: int, payer_words: frozenset[str],
         rows: list[tuple[int, int, str, str]]) -> Hit:
    records = ctx.payments([r[0] for r in rows])
    digest = hashlib.sha256(" ".join(sorted(payer_words)).encode()).hexdigest()[:16]
    payer = rows[0][2].strip()
    total = sum(int(Decimal(r["usd"]).scaleb(2)) for r in records if r["usd"] is not None)
    ins = sum(1 for r in records if r["direction"] == "deposit")
    outs = len(records) - ins
    parts = []
    if ins:
        parts.append(f"{ins} deposit{'s' if ins > 1 else ''} paid from an account of {payer}")
    if outs:
        parts.append(f"{outs} withdrawal{'s' if outs > 1 else ''} to an account of {payer}")
    hit = ctx.hit(cfg.spec.rule, cid, [f"payer-{digest}"], "", {}, max(r[1] for r in rows))
    hit.summary = (f"{ctx.name(cid)}: {' and '.join(parts)} ({usd_text(total)}), a name that "
                   "is not the client's.")
    hit.evidence = {**ctx.client_evidence(cid), "payer_name": payer,
                    "payer_accounts": sorted({r["payer_account"] for r in records
                                              if r["payer_account"]}),
                    "payments": records, "total_usd": plain(total),
                    "thresholds": {k: cfg.shown(k) for k in cfg.values}}
    return hit


def _words(v: Mapping[str, str]) -> str:
    return (f"Deposits or withdrawals of at least {v['min_amount']} paid from, or to, an "
            "account in another person's name (names compared in any order, script or "
            "spelling; a joint account that holds the client's name is the client's).")


THIRD_PARTY = RuleSpec(
    "third_party_payer", "Third-party payer", Severity.MEDIUM, 10,
    (t.usd("min_amount", "Payments of at least", "100.00"),),
    _words, find)
