"""Who may do what. Services call `require`; the UI only mirrors it to hide buttons."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.errors import PermissionDenied
from app.models.users import Role


class Permission(enum.StrEnum):
    VIEW = "view the back office"
    EDIT_CLIENTS = "create and edit clients"
    REVIEW_KYC = "review KYC documents and cases"
    REQUEST_PAYMENTS = "request deposits and withdrawals"
    APPROVE_PAYMENTS = "approve withdrawals"
    POST_LEDGER = "post and reverse ledger entries"
    MANAGE_PARTNERS = "manage partners and commission plans"
    APPROVE_PAYOUTS = "approve commission payouts"
    WORK_ALERTS = "work compliance alerts and cases"
    RUN_REPORTS = "run reports"
    MANAGE_USERS = "manage users and roles"
    MANAGE_WORKSPACE = "change workspace settings"
    LOAD_DEMO = "load demo data"
    DISCARD_OUTBOX = "discard unsent commands"
    VERIFY_AUDIT = "verify the audit log"
    IMPORT_CLIENTS = "import clients from files"
    EXPORT_CLIENTS = "export client lists"
    IMPORT_LISTS = "import sanctions and PEP lists"
    REVIEW_SCREENING = "review screening hits and freeze clients"
    APPROVE_HIGH_RISK = "approve high-risk clients (second signature)"
    EDIT_RISK_SETTINGS = "edit risk settings (FATF lists, review periods)"


P = Permission
_CLERK = {P.VIEW, P.EDIT_CLIENTS, P.REQUEST_PAYMENTS, P.IMPORT_CLIENTS, P.EXPORT_CLIENTS}
_COMPLIANCE = {P.VIEW, P.REVIEW_KYC, P.WORK_ALERTS, P.RUN_REPORTS, P.VERIFY_AUDIT,
               P.EXPORT_CLIENTS, P.IMPORT_LISTS, P.REVIEW_SCREENING, P.APPROVE_HIGH_RISK,
               P.EDIT_RISK_SETTINGS}
_FINANCE = {P.VIEW, P.REQUEST_PAYMENTS, P.APPROVE_PAYMENTS, P.POST_LEDGER, P.MANAGE_PARTNERS,
            P.APPROVE_PAYOUTS, P.RUN_REPORTS}
_MANAGER = _CLERK | _COMPLIANCE | _FINANCE | {P.DISCARD_OUTBOX}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset(_CLERK),
    Role.COMPLIANCE: frozenset(_COMPLIANCE),
    Role.FINANCE: frozenset(_FINANCE),
    Role.MANAGER: frozenset(_MANAGER),
    Role.ADMIN: frozenset(Permission),
}


@dataclass(frozen=True)
class Actor:
    """The person a service acts for: a snapshot, safe to pass between threads."""

    id: int
    username: str
    full_name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


def require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise PermissionDenied(
            f"{actor.full_name} ({actor.role.label}) is not allowed to {permission.value}. "
            "Ask a colleague with that permission or an administrator."
        )
