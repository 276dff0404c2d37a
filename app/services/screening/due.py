"""How many clients wait to be screened against the lists in use: clients that came
from the platform or an import since the last screening of everyone, or were never
screened because no list existed yet."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from app.models.crm import Client
from app.models.kyc import SanctionList
from app.roles import Permission, require
from app.services.workspace import Desk


def unscreened_clients(desk: Desk) -> int:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        newest = s.scalar(select(func.max(SanctionList.imported_at))
                          .where(SanctionList.active))
        if newest is None:
            return 0  # nothing to screen against
        return s.scalar(select(func.count()).select_from(Client).where(
            or_(Client.screened_at.is_(None), Client.screened_at < newest))) or 0
