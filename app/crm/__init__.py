"""CRM services: client search and filters, segments, lifecycle, imports and exports,
the client page and its timeline, contacts and tasks.

Plain Python over the store: every function here is meant to be called from the UI's
database worker thread and returns plain dataclasses or rows.
"""
