"""Client search on 100,000 clients: the term index against a raw LIKE scan.

Builds a real encrypted workspace with 100,000 demo clients (names in Latin, Greek,
Cyrillic and Arabic script; trading accounts, KYC documents), fills the search terms
(the backfill an existing workspace gets when it opens), then times what the client
list does for a search: the row count and the first page of 200, sorted by name.

Per query type: median and p95 over distinct queries of that type, and the same
query through the raw baseline -- the list's previous search, `LIKE '%text%'` over
clients.search_name, email and phone (a full scan) -- with the ratio baseline/index.
Target: every median and p95 under 50 ms.

Also times bulk tagging of 10,000 clients (a whole filter result) and the segment
counts.  Usage: python bench/search.py [clients]
"""

from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from app.crm.bulk import bulk_tag
from app.crm.filters import ClientFilter, client_listing
from app.crm.search_index import ensure_search_terms
from app.crm.segments import seed_default_segments, segment_counts
from app.demo.generator import fill
from app.models.crm import ClientStatus
from app.queries.catalogue import CLIENTS as LIKE_LISTING
from app.queries.listing import Listing
from app.screening.names import latin
from app.services.workspace import init_workspace

N_CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
PAGE = 200
RUNS = 25


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def list_query(store, listing: Listing, query: str) -> Callable[[], tuple[int, int]]:
    def run() -> tuple[int, int]:
        with store.read() as s:
            count = listing.count(s, query)
            rows = listing.page(s, query, None, False, 0, PAGE)
        return count, len(rows)
    return run


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="backdesk-search-"))
    try:
        desk = init_workspace(tmp / "ws", password="bench-password", broker_name="Bench",
                              base_currency="USD", admin_username="admin",
                              admin_full_name="Bench Admin")
        print(f"building {N_CLIENTS:,} clients with accounts, payments, KYC (not timed)…",
              flush=True)
        fill(desk, clients=N_CLIENTS, deals=0, seed=3)
        start = time.perf_counter()
        rebuilt = ensure_search_terms(desk.store)
        seconds = time.perf_counter() - start
        assert rebuilt is not None
        print(f"backfill: {rebuilt.terms:,} terms for {rebuilt.clients:,} clients in "
              f"{seconds:.1f} s ({rebuilt.clients / seconds:,.0f} clients/s)")

        rng = random.Random(4)
        with desk.store.read() as s:
            people = s.execute(text(
                "SELECT first_name, last_name, email, phone, country FROM clients"
                " WHERE kind = 'person'")).all()
            logins = [r[0] for r in s.execute(text("SELECT login FROM trading_accounts"))]
            numbers = [r[0] for r in s.execute(text(
                "SELECT number FROM kyc_documents WHERE number != ''"))]
        by_script = {
            "name, Latin script": [p for p in people if p.country in ("GB", "DE", "FR", "ES")],
            "name, Greek typed in Greek": [p for p in people if p.country == "GR"],
            "name, Cyrillic typed in Latin": [p for p in people if p.country in ("RU", "UA")],
            "name, Arabic typed in Arabic": [p for p in people if p.country == "AE"],
        }
        queries: dict[str, list[str]] = {}
        for label, pool in by_script.items():
            picks = rng.sample(pool, RUNS)
            if "Cyrillic" in label:
                queries[label] = [latin(p.last_name) for p in picks]
            else:
                queries[label] = [p.last_name for p in picks]
        picks = rng.sample(people, RUNS)
        queries["first + last name, two words"] = [f"{p.first_name} {p.last_name}"
                                                   for p in picks]
        queries["name prefix, 3 letters"] = [latin(p.last_name)[:3] for p in picks]
        queries["broad prefix, 1-2 letters"] = [latin(p.last_name)[:1 + i % 2]
                                                for i, p in enumerate(picks)]
        queries["email, whole"] = [p.email for p in picks]
        queries["phone, national digits"] = [p.phone[-9:] for p in picks]
        queries["trading account login"] = [str(x) for x in rng.sample(logins, RUNS)]
        queries["ID document number"] = rng.sample(numbers, min(RUNS, len(numbers)))

        index_listing = client_listing(desk, ClientFilter())
        print(f"\nsearch: count + first page of {PAGE} by name, {RUNS} queries per type "
              "(ms)")
        print(f"{'query type':34} {'index med':>9} {'p95':>7} {'LIKE med':>9} {'p95':>7} "
              f"{'ratio':>6} {'rows':>6}")
        worst = 0.0
        for label, qs in queries.items():
            ours, raw, rows = [], [], []
            for q in qs:
                run = list_query(desk.store, index_listing, q)
                run()  # first touch: the page cache, not the search, would be measured
                ours.append(timed(run))
                rows.append(run()[0])
                base = list_query(desk.store, LIKE_LISTING, q)
                raw.append(timed(base))
            worst = max(worst, p95(ours))
            print(f"{label:34} {statistics.median(ours):9.1f} {p95(ours):7.1f} "
                  f"{statistics.median(raw):9.1f} {p95(raw):7.1f} "
                  f"{statistics.median(raw) / statistics.median(ours):6.0f}x "
                  f"{statistics.median(rows):6.0f}")
        print(f"worst p95 {worst:.1f} ms (target < 50 ms)")

        filtered = client_listing(desk, ClientFilter(statuses=(ClientStatus.ACTIVE,),
                                                     countries=("DE", "GB")))
        times = [timed(list_query(desk.store, filtered, q)) for q in queries["name prefix, "
                                                                             "3 letters"]]
        print(f"filter (active, DE or GB) + 3-letter prefix: median "
              f"{statistics.median(times):.1f} ms, p95 {p95(times):.1f} ms")

        with desk.store.write() as s:
            seed_default_segments(s)
        took = timed(lambda: segment_counts(desk))
        print(f"segment counts ({len(segment_counts(desk))} default segments): {took:.0f} ms")
        target = ClientFilter(countries=("GB",))
        with desk.store.read() as s:
            n = s.scalar(text("SELECT count(*) FROM clients WHERE country = 'GB'"))
        if n and n <= 25_000:
            took = timed(lambda: bulk_tag(desk, target, add=["bench"]))
            print(f"bulk tag of a filter result ({n:,} clients, audited, one transaction): "
                  f"{took / 1000:.1f} s")
        desk.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
