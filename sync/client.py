"""The desk's REST client for the gateway contract (sync/contract/README.md).

Turns HTTP into three kinds of outcome the engine acts on: an answer, a refusal
(4xx: the gateway said no, with its code and words) and "unreachable" (network
faults, timeouts, 5xx: nothing is known, try again later with the same key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import requests

TIMEOUT_S = 30.0


class GatewayError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unreachable(GatewayError):
    """No usable answer: retry later, with the same idempotency key."""


class Refused(GatewayError):
    """The gateway answered no (4xx)."""

    def __init__(self, status: int, code: str, message: str,
                 details: dict[str, Any] | None = None,
                 current: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code = status, code
        self.details, self.current = details or {}, current


class CursorGone(Refused):
    """410: the pull must start again from nothing (the outbox stays)."""


@dataclass
class Credentials:
    url: str
    username: str
    password: str
    device_id: str
    verify: bool | str = True  # or the path of a pinned certificate


@dataclass
class GatewayClient:
    creds: Credentials
    timeout: float = TIMEOUT_S
    http: requests.Session = field(default_factory=requests.Session)
    token: str = ""
    user: dict[str, Any] = field(default_factory=dict)
    broker_name: str = ""

    def close(self) -> None:
        self.http.close()

    def _request(self, method: str, path: str, *, auth: bool = True, retry_login: bool = True,
                 **kwargs: Any) -> requests.Response:
        if auth and not self.token:
            self.login()
        extra = dict(kwargs.pop("headers", {}))
        headers = {**extra, "Authorization": f"Bearer {self.token}"} if auth else extra
        try:
            r = self.http.request(method, self.creds.url + path, headers=headers,
                                  timeout=self.timeout, verify=self.creds.verify, **kwargs)
            content = r.content  # a cut-off body raises here, not later
        except requests.exceptions.SSLError as exc:
            raise Unreachable(f"The gateway at {self.creds.url} did not prove who it is "
                              "(certificate check failed).") from exc
        except requests.RequestException as exc:
            raise Unreachable(f"The gateway at {self.creds.url} did not answer "
                              f"({type(exc).__name__}).") from exc
        if r.status_code == 401 and auth and retry_login:
            self.token = ""
            return self._request(method, path, auth=auth, retry_login=False, headers=extra,
                                 **kwargs)
        if r.status_code >= 500:
            raise Unreachable(f"The gateway is having trouble (HTTP {r.status_code}); "
                              "it will be tried again.")
        if r.status_code >= 400:
            raise refusal(r.status_code, content)
        return r

    def login(self) -> None:
        r = self._request("POST", "/v1/auth/login", auth=False, json={
            "username": self.creds.username, "password": self.creds.password,
            "device_id": self.creds.device_id})
        body = orjson.loads(r.content)
        self.token, self.user = body["token"], body["user"]

    def info(self) -> dict[str, Any]:
        result: dict[str, Any] = orjson.loads(self._request("GET", "/v1/info", auth=False)
                                              .content)
        self.broker_name = str(result.get("broker_name", ""))
        return result

    def changes(self, cursor: str, limit: int) -> bytes:
        """One page of the changes feed, as the raw JSON body (parsed by the caller)."""
        return self._request("GET", "/v1/changes",
                             params={"cursor": cursor, "limit": limit}).content

    def command(self, name: str, body: dict[str, Any], key: str,
                device_seq: int) -> dict[str, Any]:
        r = self._request("POST", f"/v1/commands/{name}", data=orjson.dumps(body), headers={
            "Content-Type": "application/json", "Idempotency-Key": key,
            "X-Device-Id": self.creds.device_id, "X-Device-Seq": str(device_seq)})
        result: dict[str, Any] = orjson.loads(r.content)
        return result

    def document(self, doc_id: str) -> tuple[bytes, str]:
        r = self._request("GET", f"/v1/documents/{doc_id}")
        return r.content, r.headers.get("X-Content-SHA256", "")


def refusal(status: int, content: bytes) -> Refused:
    try:
        body = orjson.loads(content)
        code, message = str(body["code"]), str(body["message"])
        details, current = body.get("details") or {}, body.get("current")
    except (orjson.JSONDecodeError, KeyError, TypeError):
        code, message, details, current = "http_error", f"The gateway refused (HTTP {status}).", \
            {}, None
    kind = CursorGone if status == 410 else Refused
    return kind(status, code, message, details, current)
