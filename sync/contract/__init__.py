"""The gateway contract Backdesk speaks: record kinds, wire formats and error codes.

The REST side is described by `openapi.json` next to this file (served by every
gateway at `/v1/openapi.json`); the stream by `stream.md`. A bridge to a real
trading platform implements both.
"""
