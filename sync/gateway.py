"""Asks a gateway who it is: the desktop's online/offline indicator until the sync
engine takes over that job."""

from __future__ import annotations

from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class GatewayStatus:
    online: bool
    text: str  # one line for the status bar, in a clerk's words


def probe(url: str, timeout: float = 5.0) -> GatewayStatus:
    try:
        r = requests.get(f"{url}/v1/info", timeout=timeout)
    except requests.RequestException:
        return GatewayStatus(False, f"Offline: the gateway at {url} does not answer")
    if r.status_code != 200:
        return GatewayStatus(False, f"Offline: the gateway at {url} answered {r.status_code}")
    try:
        broker = str(r.json()["broker_name"])
    except (ValueError, KeyError, TypeError):
        return GatewayStatus(False, f"Offline: {url} is not a Backdesk gateway")
    return GatewayStatus(True, f"Online: {broker} gateway at {url}")
