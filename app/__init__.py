"""Backdesk core: domain model, encrypted store, services, audit. No Qt, no network."""
