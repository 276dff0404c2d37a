"""Sandbox-only switches: faults, the simulation clock, compaction and restarts;
reconciliation breaks to seed and the providers' statements (sync/sandbox/breaks.py);
AML scenarios to seed, one per monitoring rule (sync/sandbox/aml_scenarios.py).

Not part of the gateway contract (a real gateway has none of this), so these routes
stay out of the OpenAPI document; they need an admin session.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from sync.sandbox import aml_scenarios, breaks
from sync.sandbox.api import ApiError, Caller, Gateway, caller, gateway
from sync.sandbox.broker import Refusal


async def admin(request: Request, who: Annotated[Caller, Depends(caller)]) -> Gateway:
    if who.user.role != "admin":
        raise ApiError(403, "forbidden", "Only an admin may drive the sandbox.")
    return await gateway(request)


AdminGateway = Annotated[Gateway, Depends(admin)]
router = APIRouter(prefix="/v1/control", include_in_schema=False)


@router.get("/faults")
async def get_faults(g: AdminGateway) -> Response:
    return JSONResponse(g.faults.as_dict())


@router.put("/faults")
async def set_faults(g: AdminGateway, values: Annotated[dict[str, Any], Body()]) -> Response:
    try:
        g.faults.update(values)
    except ValueError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from exc
    return JSONResponse(g.faults.as_dict())


@router.post("/advance")
async def advance(g: AdminGateway, steps: Annotated[int, Body(embed=True, ge=1, le=10_000)]
                  ) -> Response:
    g.sim.run(steps)
    return JSONResponse({"step": g.sim.step_no, "head_seq": g.store.head,
                         "stream_seq": g.hub.seq})


@router.post("/burst")
async def burst(g: AdminGateway, ticks: Annotated[int, Body(embed=True, ge=1, le=2_000_000)]
                ) -> Response:
    g.sim.burst(ticks)
    return JSONResponse({"stream_seq": g.hub.seq})


@router.post("/compact")
async def compact(g: AdminGateway) -> Response:
    """Forget every tombstone: cursors from before now become expired."""
    removed = g.store.compact(g.store.head)
    return JSONResponse({"removed": removed, "horizon": g.store.head})


@router.post("/restart")
async def restart(g: AdminGateway) -> Response:
    g.request_restart()
    return JSONResponse({"restarting": True})


@router.post("/inject")
async def inject(g: AdminGateway, kind: Annotated[str, Body(max_length=40)],
                 record_id: Annotated[str, Body(alias="id", max_length=64)],
                 data: Annotated[Any, Body()] = None) -> Response:
    """Put a record into the feed exactly as given, unchecked: how tests feed desks
    malformed payloads (wrong types, missing fields, unknown values, huge strings)."""
    with g.broker.transaction():
        record = g.store.put(kind, record_id, data)
    return JSONResponse({"seq": record.seq})


@router.post("/breaks/{name}")
async def seed_break(g: AdminGateway, name: Annotated[str, Path(max_length=40)],
                     options: Annotated[dict[str, Any] | None, Body()] = None) -> Response:
    """Seed one reconciliation break; says what it made (payment id, login, tickets)."""
    try:
        with g.broker.transaction():
            made = breaks.seed(g.broker, name, options or {})
    except Refusal as refusal:
        raise ApiError(refusal.status, refusal.code, refusal.message) from refusal
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiError(422, "invalid_request", str(exc)) from exc
    return JSONResponse(made)


@router.post("/aml/{name}")
async def seed_aml(g: AdminGateway, name: Annotated[str, Path(max_length=40)],
                   options: Annotated[dict[str, Any] | None, Body()] = None) -> Response:
    """Seed one AML scenario (named after the monitoring rule it should raise); says
    what it made (client ids, logins, payment ids, tickets)."""
    try:
        with g.broker.transaction():
            made = aml_scenarios.seed(g.broker, name, options or {})
    except Refusal as refusal:
        raise ApiError(refusal.status, refusal.code, refusal.message) from refusal
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiError(422, "invalid_request", str(exc)) from exc
    return JSONResponse(made)


@router.get("/statements/{provider}")
async def provider_statement(g: AdminGateway, provider: Annotated[str, Path(max_length=64)],
                             start: Annotated[date, Query(alias="from")],
                             end: Annotated[date, Query(alias="to")]) -> Response:
    """A provider's statement for a date range, as its portal would give it (CSV)."""
    return Response(breaks.statement(g.broker, provider, start, end), media_type="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="{provider}-{start}-{end}.csv"'})
