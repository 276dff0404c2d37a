"""The drill-down panel's text: a journal entry, its postings and the record it was
posted from (the platform's deal, the payment and its status history, or the entry a
reversal undid), as HTML for a read-only text browser."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape

from app.ledger.views import DealRecord, EntryDetail, PaymentRecord, SourceRecord
from app.money import format_money, lots

_WHEN = "%Y-%m-%d %H:%M:%S UTC"


def _when(at: datetime) -> str:
    return f"{at:{_WHEN}}"


def _pairs(rows: Iterable[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td style='color:#555;padding-right:10px'>{escape(k)}</td>"
                    f"<td>{escape(v)}</td></tr>" for k, v in rows if v)
    return f"<table cellspacing='0' cellpadding='2'>{cells}</table>"


def _postings(entry: EntryDetail) -> str:
    rows = "".join(
        f"<tr><td>{escape(line.name)}<br><small style='color:#555'>{escape(line.code)}"
        f"</small></td><td align='right'>"
        f"{escape(format_money(line.amount, line.currency)) if line.amount > 0 else ''}</td>"
        f"<td align='right'>"
        f"{escape(format_money(-line.amount, line.currency)) if line.amount < 0 else ''}</td>"
        "</tr>" for line in entry.lines)
    return ("<table cellspacing='0' cellpadding='3' width='100%'><tr><th align='left'>Account"
            "</th><th align='right'>Debit</th><th align='right'>Credit</th></tr>"
            f"{rows}</table>")


def _entry(entry: EntryDetail) -> str:
    facts = [("Posted", _when(entry.posted_at)), ("Memo", entry.memo),
             ("Source", f"{entry.source_kind} {entry.source_ref}"),
             ("Reason", entry.reason), ("Made by", entry.created_by)]
    if entry.reverses is not None:
        facts.append(("Reverses", f"entry #{entry.reverses}"))
    if entry.reversed_by is not None:
        facts.append(("Reversed by", f"entry #{entry.reversed_by}"))
    return _pairs(facts) + _postings(entry)


def _deal(d: DealRecord) -> str:
    money = d.currency
    return "<h4>Deal on the trading platform</h4>" + _pairs([
        ("Ticket", f"{d.platform}:{d.ticket}"), ("Account", f"{d.login} ({d.currency})"),
        ("Client", d.client), ("Time", _when(d.time)),
        ("Action", f"{d.action} {d.symbol}".strip() + (f" ({d.entry})" if d.entry else "")),
        ("Volume", f"{lots(d.volume)} lots" if d.volume else ""),
        ("Price", f"{d.price.normalize():f}" if d.price else ""),
        ("Profit", format_money(d.profit, money)),
        ("Commission", format_money(d.commission, money) if d.commission else ""),
        ("Swap", format_money(d.swap, money) if d.swap else ""),
        ("Fee", format_money(d.fee, money) if d.fee else ""),
        ("Reason", d.reason), ("Comment", d.comment)])


def _payment(p: PaymentRecord) -> str:
    booked = ""
    if p.account_amount is not None and p.account_currency:
        booked = format_money(p.account_amount, p.account_currency)
    history = "".join(
        f"<tr><td>{escape(_when(c.at))}</td><td><b>{escape(c.status.replace('_', ' '))}</b>"
        f"</td><td>{escape(c.by)}</td><td>{escape(c.note)}</td></tr>" for c in p.history)
    return (f"<h4>{escape(p.direction.capitalize())} {escape(p.external_id)}</h4>" + _pairs([
        ("This entry", f"the payment {p.event.replace('_', ' ')}"),
        ("Client", p.client), ("Account", str(p.login) if p.login is not None else ""),
        ("Method", p.method.replace("_", " ")), ("Provider", p.provider),
        ("Provider ref.", p.provider_ref), ("Amount", format_money(p.amount, p.currency)),
        ("Fee", format_money(p.fee, p.currency) if p.fee else ""),
        ("Booked on account", booked),
        ("Rate applied", f"{p.fx_rate} {p.account_currency} per {p.currency}"
         if p.fx_rate else ""),
        ("Status now", p.status.replace("_", " ")), ("Requested", _when(p.created_at))])
        + "<h4>Status history</h4>"
        + (f"<table cellspacing='0' cellpadding='2'>{history}</table>" if history
           else "<p>No status changes recorded.</p>"))


def describe(record: SourceRecord) -> str:
    entry = record.entry
    out = [f"<h3>Journal entry #{entry.id}</h3>", _entry(entry)]
    if record.deal is not None:
        out.append(_deal(record.deal))
    elif record.payment is not None:
        out.append(_payment(record.payment))
    elif record.reversed_entry is not None:
        out += [f"<h4>The reversed entry #{record.reversed_entry.id}</h4>",
                _entry(record.reversed_entry)]
    elif entry.source_kind in ("deal", "payment"):
        out.append(f"<p><i>The {escape(entry.source_kind)} {escape(entry.source_ref)} is not in "
                   "this workspace (yet): it arrives with the next sync.</i></p>")
    return "".join(out)
