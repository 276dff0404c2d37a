"""The wire: gateway contract, REST and WebSocket clients, outbox and sync engine.

Imports `app`, never `ui` or Qt. Filled in by the gateway and sync-engine issues.
"""
