"""The gateway's HTTP and WebSocket surface, as the sandbox serves it.

Handlers are `async def` on purpose: they run on the event loop thread, the only
thread that touches the sandbox database, so writes never race each other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from sync.contract import schemas as s
from sync.contract import wire
from sync.sandbox.broker import Broker, Refusal, change_json
from sync.sandbox.faults import Faults
from sync.sandbox.simulation import Simulation
from sync.sandbox.store import DeskUser, Record, SandboxStore, dumps, now_ms
from sync.sandbox.stream import CLOSE_UNAUTHORIZED, StreamHub, StreamSession
from sync.sandbox.vault import Vault

log = logging.getLogger("backdesk.sandbox")
MAX_DOCUMENT = 20 * 1024 * 1024
MONEY_ROLES = frozenset({"finance_officer", "manager", "admin"})
# Asking for a payment moves no money yet; clerks take clients' requests.
PAYMENT_ROLES = MONEY_ROLES | {"clerk"}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": s.Error, "description": text} for code, text in (
        (400, "Malformed request"), (401, "Not signed in"), (403, "Role not allowed"),
        (422, "Invalid or refused request"))}


@dataclass
class Gateway:
    """Everything a request handler needs, built once per server start."""

    store: SandboxStore
    broker: Broker
    sim: Simulation
    hub: StreamHub
    faults: Faults
    vault: Vault
    heartbeat_s: float
    rng: random.Random
    request_restart: Callable[[], None]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None,
                   current: Record | None = None) -> Response:
    body = dumps({"code": code, "message": message, "details": details or {}})
    if current is not None:
        body = body[:-1] + f',"current":{change_json(current)}}}'
    return Response(body, status_code=status, media_type="application/json")


# Dependencies are `async def` too: FastAPI runs plain `def` ones in a thread pool,
# and the sandbox database belongs to the event loop thread alone.
async def gateway(request: Request) -> Gateway:
    g: Gateway = request.app.state.gateway
    return g


bearer = HTTPBearer(auto_error=False, description="Token from POST /v1/auth/login")


@dataclass(frozen=True)
class Caller:
    user: DeskUser
    device: str


async def caller(request: Request,
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
           ) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthorized", "Sign in to the gateway first.")
    found = (await gateway(request)).store.session_device(credentials.credentials)
    if found is None:
        raise ApiError(401, "unauthorized", "Your gateway session has expired; sign in again.")
    return Caller(*found)


CallerDep = Annotated[Caller, Depends(caller)]
GatewayDep = Annotated[Gateway, Depends(gateway)]
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=8, max_length=128,
                                       pattern=r"^[A-Za-z0-9_.:-]+$")]
DeviceId = Annotated[str, Header(alias="X-Device-Id", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
DeviceSeq = Annotated[int, Header(alias="X-Device-Seq", ge=1, le=2**62)]

router = APIRouter(prefix=wire.API_PREFIX, responses=ERRORS)


@router.get("/info", response_model=s.GatewayInfo, summary="Who this gateway is")
async def info(g: GatewayDep) -> Response:
    return JSONResponse({"api_version": "v1", "broker_name": g.store.meta("broker_name"),
                         "server_time_ms": now_ms(), "epoch": g.store.meta("epoch"),
                         "head_seq": g.store.head, "stream_seq": g.hub.seq})


@router.post("/auth/login", response_model=s.LoginResponse, summary="Sign a desk user in")
async def login(body: s.LoginRequest, g: GatewayDep) -> Response:
    user = g.store.check_password(body.username, body.password)
    if user is None:
        raise ApiError(401, "wrong_credentials", "The user name or password is wrong.")
    with g.store.tx():
        token, expires = g.store.open_session(user, body.device_id)
    return JSONResponse({"token": token, "expires_ms": expires,
                         "user": {"username": user.username, "role": user.role,
                                  "display_name": user.display_name}})


def encode_cursor(epoch: str, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{epoch}|{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        epoch, _, seq = raw.rpartition("|")
        return epoch, int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(410, "cursor_invalid",
                       "The sync point is damaged; a full resync is needed.") from exc


@router.get("/changes", response_model=s.ChangesPage,
            responses={410: {"model": s.Error,
                             "description": "Cursor damaged, unknown or expired: resync"}},
            summary="Everything that changed since a cursor, in server order")
async def changes(g: GatewayDep, who: CallerDep,
                  cursor: Annotated[str, Query(max_length=200, pattern=r"^[A-Za-z0-9_-]*$")
                                    ] = "",
                  limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> Response:
    epoch = g.store.meta("epoch")
    after = 0
    if cursor:
        cursor_epoch, after = decode_cursor(cursor)
        if cursor_epoch != epoch or after > g.store.head or after < 0:
            raise ApiError(410, "cursor_unknown",
                           "This gateway does not know that sync point; a full resync is "
                           "needed.")
        if after < int(g.store.meta("horizon", "0")):
            raise ApiError(410, "cursor_expired",
                           "The sync point is too old for this gateway's history; a full "
                           "resync is needed.")
    items, last = g.store.page_json(after, limit + 1)
    more = len(items) > limit
    if more:
        items = items[:limit]
        last = int(items[-1][7:items[-1].index(",")])  # '{"seq":N,...'
    else:
        # Nothing lies between the last row and the head (compaction may have removed
        # tombstones there): the caller is up to date with the head, not just the row.
        last = max(last, g.store.head)
    body = (f'{{"changes":[{",".join(items)}],"next_cursor":"{encode_cursor(epoch, last)}",'
            f'"has_more":{"true" if more else "false"}}}')
    return Response(body, media_type="application/json")


KindPath = Annotated[s.Kind, Path()]


@router.get("/records/{kind}/{record_id}", response_model=s.Change,
            responses={404: {"model": s.Error, "description": "No such record"}},
            summary="One record as the gateway has it now")
async def record(kind: KindPath,
                 record_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")],
                 g: GatewayDep, who: CallerDep) -> Response:
    found = g.store.get(kind.value, record_id)
    if found is None:
        raise ApiError(404, "not_found", f"There is no {kind.value} {record_id}.")
    return Response(change_json(found), media_type="application/json")


# -- commands ---------------------------------------------------------------------------------

COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"model": s.Error, "description": "Version conflict; carries the current record"}}


def body_digest(name: str, body: BaseModel) -> str:
    return hashlib.sha256(f"{name}\n{body.model_dump_json()}".encode()).hexdigest()


def run_command(g: Gateway, who: Caller, name: str, body: BaseModel, key: str, device: str,
                device_seq: int, apply: Callable[[], list[Record]],
                roles: frozenset[str] | None = None) -> Response:
    """Apply a command at most once per idempotency key; replay the stored answer.

    Every answer the command itself gives (success, a refusal by role, order or the
    broker's rules) is stored under the key. Requests that never reach it (schema
    errors, a token from another device) are answered without being stored.
    """
    if device != who.device:
        raise ApiError(403, "device_mismatch",
                       "X-Device-Id is not the device this session signed in from.")
    # Sequences and keys belong to a user on a device, so nobody can jam another desk.
    sender = f"{who.user.username}@{device}"
    digest = body_digest(name, body)
    stored = g.store.stored_result(key)
    if stored is not None:
        if stored.body_sha256 != digest or stored.device != sender:
            raise ApiError(422, "idempotency_key_reused",
                           "This idempotency key was used for a different command.")
        return Response(stored.response, status_code=stored.status,
                        media_type="application/json", headers={"Idempotent-Replayed": "true"})

    def checked() -> list[Record]:
        if roles is not None and who.user.role not in roles:
            raise Refusal(403, "forbidden", f"A {who.user.role.replace('_', ' ')} cannot "
                                            f"{name.replace('-', ' ')}.")
        last = g.store.last_device_seq(sender)
        if device_seq <= last:
            raise Refusal(422, "device_seq_out_of_order",
                          f"Commands from this desk must arrive in order (got {device_seq} "
                          f"after {last}).", last_seq=last)
        return apply()

    try:
        with g.broker.transaction():
            records = checked()
            text = f'{{"command":"{name}","records":[{",".join(map(change_json, records))}]}}'
            g.store.store_result(key, sender, device_seq, name, digest, 200, text)
        return Response(text, media_type="application/json")
    except Refusal as refusal:
        refused = error_response(refusal.status, refusal.code, refusal.message,
                                 refusal.details, refusal.current)
        with g.store.tx():  # a refusal is an answer too: the same key replays it
            g.store.store_result(key, sender, device_seq, name, digest, refusal.status,
                                 bytes(refused.body).decode())
        return refused


@router.post("/commands/open-account", response_model=s.CommandResult,
             responses=COMMAND_RESPONSES, summary="Open a trading account for a client")
async def open_account(body: s.OpenAccount, g: GatewayDep, who: CallerDep,
                       key: IdempotencyKey, device: DeviceId, seq: DeviceSeq) -> Response:
    return run_command(g, who, "open-account", body, key, device, seq, lambda: g.broker
                       .open_account(body.client_id, body.group, body.currency, body.leverage))


@router.post("/commands/balance-operation", response_model=s.CommandResult,
             responses=COMMAND_RESPONSES,
             summary="Deposit, withdrawal, credit, correction, bonus or agent commission")
async def balance_operation(body: s.BalanceOperation, g: GatewayDep, who: CallerDep,
                            key: IdempotencyKey, device: DeviceId,
                            seq: DeviceSeq) -> Response:
    return run_command(g, who, "balance-operation", body, key, device, seq,
                       lambda: g.broker.balance_operation(body.login, body.operation,
                                                          body.amount, body.comment),
                       roles=MONEY_ROLES)


@router.post("/commands/update-client", response_model=s.CommandResult,
             responses=COMMAND_RESPONSES, summary="Change a client's platform data")
async def update_client(body: s.UpdateClient, g: GatewayDep, who: CallerDep,
                        key: IdempotencyKey, device: DeviceId, seq: DeviceSeq) -> Response:
    fields = body.model_dump(exclude={"client_id", "base_version"}, exclude_none=True)
    return run_command(g, who, "update-client", body, key, device, seq,
                       lambda: g.broker.update_client(body.client_id, body.base_version,
                                                      fields))


@router.post("/commands/withdrawal-decision", response_model=s.CommandResult,
             responses=COMMAND_RESPONSES, summary="Approve, reject or send a withdrawal")
async def withdrawal_decision(body: s.WithdrawalDecision, g: GatewayDep, who: CallerDep,
                              key: IdempotencyKey, device: DeviceId,
                              seq: DeviceSeq) -> Response:
    return run_command(g, who, "withdrawal-decision", body, key, device, seq,
                       lambda: g.broker.withdrawal_decision(body.payment_id, body.decision,
                                                            body.reason, who.user.username),
                       roles=MONEY_ROLES)


@router.post("/commands/request-payment", response_model=s.CommandResult,
             responses=COMMAND_RESPONSES,
             summary="Record a deposit or ask for a withdrawal on a client's behalf")
async def request_payment(body: s.RequestPayment, g: GatewayDep, who: CallerDep,
                          key: IdempotencyKey, device: DeviceId, seq: DeviceSeq) -> Response:
    def apply() -> list[Record]:
        records = g.broker.request_payment(body.model_dump(), who.user.username,
                                           g.sim.prices)
        g.sim.in_flight.append(body.payment_id)  # the providers move it on from here
        return records

    return run_command(g, who, "request-payment", body, key, device, seq, apply,
                       roles=PAYMENT_ROLES)


@router.post("/commands/put-record", response_model=s.CommandResult,
             responses=COMMAND_RESPONSES,
             summary="Create, change or delete a shared back office record")
async def put_record(body: s.PutRecord, g: GatewayDep, who: CallerDep, key: IdempotencyKey,
                     device: DeviceId, seq: DeviceSeq) -> Response:
    def apply() -> list[Record]:
        data: dict[str, Any] | None = None
        if not body.deleted:
            if body.data is None:
                raise Refusal(422, "invalid_record", "A record that is not deleted needs data.")
            try:
                data = s.OWNED_SCHEMAS[body.kind.value].model_validate(body.data).model_dump(
                    mode="json")
            except ValidationError as exc:
                raise Refusal(422, "invalid_record", _first_problem(exc.errors()),
                              errors=_problems(exc.errors())) from exc
        return g.broker.put_record(body.kind.value, body.id, body.base_version, body.deleted,
                                   data, who.user)

    return run_command(g, who, "put-record", body, key, device, seq, apply)


# -- document files --------------------------------------------------------------------------

DocId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]


@router.put("/documents/{doc_id}", response_model=s.DocumentStored,
            responses={409: {"model": s.Error, "description": "Another file has this id"}},
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string",
                                                        "format": "binary"}}}}},
            summary="Upload a document file (stored encrypted)")
async def put_document(doc_id: DocId, request: Request, g: GatewayDep, who: CallerDep,
                       sha256: Annotated[str, Header(alias="X-Content-SHA256",
                                                     pattern=r"^[0-9a-f]{64}$")]
                       ) -> Response:
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_DOCUMENT:
            raise ApiError(422, "document_too_large", "Document files are limited to 20 MB.")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ApiError(422, "checksum_mismatch",
                       "The file arrived damaged (its checksum does not match); send it again.")
    existing = g.store.document(doc_id)
    if existing is not None:
        if existing[1] != sha256:
            raise ApiError(409, "document_exists", f"Another file is already stored as {doc_id}.")
    else:
        nonce, sealed = g.vault.seal(doc_id, data)
        with g.store.tx():
            g.store.put_document(doc_id, request.headers.get("content-type",
                                                             "application/octet-stream"),
                                 sha256, len(data), nonce, sealed)
    return JSONResponse({"id": doc_id, "sha256": sha256, "size": len(data)})


@router.get("/documents/{doc_id}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {
                "schema": {"type": "string", "format": "binary"}}},
                "description": "The file; X-Content-SHA256 carries its checksum"},
                404: {"model": s.Error, "description": "No such document"}},
            summary="Download a document file")
async def get_document(doc_id: DocId, g: GatewayDep, who: CallerDep) -> Response:
    found = g.store.document(doc_id)
    if found is None:
        raise ApiError(404, "not_found", f"There is no document {doc_id}.")
    mime, sha256, _size, nonce, sealed = found
    return Response(g.vault.open(doc_id, nonce, sealed), media_type="application/octet-stream",
                    headers={"X-Content-SHA256": sha256, "X-Document-Type": mime})


# -- the stream -------------------------------------------------------------------------------

async def stream(websocket: WebSocket) -> None:
    g: Gateway = websocket.app.state.gateway
    await websocket.accept()
    auth = websocket.headers.get("authorization", "")
    found = g.store.session_device(auth[7:]) if auth.lower().startswith("bearer ") else None
    if found is None:
        await websocket.send_text(dumps({"type": "unauthorized",
                                         "message": "Sign in to the gateway first."}))
        await websocket.close(code=CLOSE_UNAUTHORIZED)
        return
    session = StreamSession(websocket, g.hub, g.faults.stream, g.heartbeat_s,
                            lambda: g.store.head, g.rng, g.store.meta("epoch"))
    await session.run()


# -- errors -----------------------------------------------------------------------------------

def _problems(errors: Any) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in e.get("loc", ())), "problem": str(e.get("msg"))}
            for e in errors][:20]


def _first_problem(errors: Any) -> str:
    problems = _problems(errors)
    if not problems:
        return "The request is not valid."
    first = problems[0]
    return f"{first['field'] or 'The request'}: {first['problem']}"


def allowed_methods(request: Request) -> set[str]:
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return methods


def install_error_handlers(app: FastAPI) -> None:
    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.code, exc.message, exc.details)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(422, "invalid_request", _first_problem(exc.errors()),
                              {"errors": _problems(exc.errors())})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = error_response(exc.status_code, code, str(exc.detail))
        if exc.status_code == 405:  # Starlette names only the first route's methods
            response.headers["Allow"] = ", ".join(sorted(allowed_methods(request)))
        return response

    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("gateway error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal_error",
                              "The gateway failed while handling this request; nothing was "
                              "changed. Try again, and report it if it keeps happening.")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(Exception, crashed)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus one schema per shared record kind, which travel as the
    free-form `data` of put-record and of changes but are validated against these, and
    the mirror kinds written down so far (the client record)."""
    if app.openapi_schema is None:
        doc = FastAPI.openapi(app)
        components = doc.setdefault("components", {}).setdefault("schemas", {})
        for kind, model in s.OWNED_SCHEMAS.items():
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schema["description"] = f"The data of a `{kind}` record."
            components.update(schema.pop("$defs", {}))
            components[f"Record_{kind}"] = schema
        for kind, mirror in s.MIRROR_SCHEMAS.items():
            schema = mirror.model_json_schema(ref_template="#/components/schemas/{model}")
            schema["description"] = (f"The data of a `{kind}` record in the changes feed "
                                     "(a mirror: the platform writes it, desks read it).")
            components.update(schema.pop("$defs", {}))
            components[f"Mirror_{kind}"] = schema
        app.openapi_schema = doc
    return app.openapi_schema


def create_app(g: Gateway | None) -> FastAPI:
    from sync.sandbox.control import router as control_router

    app = FastAPI(title="Backdesk gateway", version="1.0.0",
                  description=(
                      "The contract between Backdesk desks and a broker's gateway. See "
                      "sync/contract/README.md for the rules (cursors, idempotency, "
                      "conflicts) and stream.md for the WebSocket at /v1/stream."),
                  openapi_url="/v1/openapi.json", docs_url=None, redoc_url=None)
    app.state.gateway = g
    app.state.started = time.monotonic()
    install_error_handlers(app)
    app.include_router(router)
    app.include_router(control_router)
    app.add_api_websocket_route("/v1/stream", stream)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app
