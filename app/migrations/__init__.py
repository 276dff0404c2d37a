"""Alembic migrations for the workspace schema.

SCHEMA_HEAD lets a workspace open without importing Alembic when it is current;
a test keeps it equal to the script directory's head.
"""

SCHEMA_HEAD = "0009"
KNOWN_REVISIONS = frozenset({"0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008",
                             "0009"})
