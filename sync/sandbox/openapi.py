"""Writes the contract's OpenAPI document to sync/contract/openapi.json.

Run `make contract` after changing the API; a test fails while the copy in the
repository and the document the gateway serves differ.
"""

from __future__ import annotations

import json
from pathlib import Path

from sync.sandbox.api import create_app

CONTRACT = Path(__file__).resolve().parent.parent / "contract" / "openapi.json"


def render() -> str:
    return json.dumps(create_app(None).openapi(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    CONTRACT.write_text(render(), encoding="utf-8")
    print(f"Wrote {CONTRACT}")


if __name__ == "__main__":
    main()
