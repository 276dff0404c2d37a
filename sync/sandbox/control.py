"""Sandbox-only switches: faults, the simulation clock, compaction and restarts.

Not part of the gateway contract (a real gateway has none of this), so these routes
stay out of the OpenAPI document; they need an admin session.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response

from sync.sandbox.api import ApiError, Caller, Gateway, caller, gateway


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
