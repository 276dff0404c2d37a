"""Bulk changes to many clients at once: tags and the assigned manager.

The target is either a selection (client ids) or a whole filter result. Everything
happens in one transaction: each changed client gets its audit entry (so its timeline
shows it) and, when the client is on the trading platform, its profile goes to the
gateway through the outbox. A failure changes nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app import audit
from app.crm.filters import ClientFilter, matching_ids
from app.errors import NotFound, ValidationFailed
from app.models.crm import Client, ClientTag
from app.models.users import User
from app.roles import Actor, Permission, require
from app.services.outbox import queue_client_changes
from app.services.workspace import Desk

Target = Sequence[int] | ClientFilter
# One transaction holds the write lock for its length; beyond this a clerk narrows the
# filter (about 10 s of work on the reference machine, see bench/search.py).
MAX_CLIENTS = 25_000


@dataclass(frozen=True)
class BulkResult:
    matched: int  # clients the target named
    changed: int  # of those, clients whose record changed


def clean_tag(tag: str) -> str:
    tag = " ".join(tag.split()).lower()
    if not tag or len(tag) > 40:
        raise ValidationFailed("A tag is 1 to 40 characters.", "tag")
    return tag


def target_ids(s: Session, target: Target) -> list[int]:
    if isinstance(target, ClientFilter):
        ids = sorted(s.scalars(matching_ids(s, target)))
    else:
        ids = sorted(set(target))
        found = set(s.scalars(select(Client.id).where(Client.id.in_(ids)))) if ids else set()
        if missing := [i for i in ids if i not in found]:
            raise NotFound(f"Client {missing[0]} no longer exists; refresh the list and "
                           "select again.")
    if not ids:
        raise ValidationFailed("No clients are selected.", "clients")
    if len(ids) > MAX_CLIENTS:
        raise ValidationFailed(f"This would change {len(ids):,} clients; a bulk change takes "
                               f"at most {MAX_CLIENTS:,} at a time. Narrow the filter (e.g. by "
                               "country or status) and repeat.", "clients")
    return ids


def _send_profile(s: Session, actor: Actor, client: Client, before: dict[str, object]) -> None:
    # Tags travel in the client profile record but are not one of its revertible fields;
    # naming the unchanged segment makes queue_client_changes send the whole profile,
    # and putting back an unchanged segment on refusal changes nothing.
    queue_client_changes(s, actor, client, before or {"segment": client.segment})


def bulk_tag(desk: Desk, target: Target, *, add: Sequence[str] = (),
             remove: Sequence[str] = ()) -> BulkResult:
    require(desk.actor, Permission.EDIT_CLIENTS)
    adding, removing = {clean_tag(t) for t in add}, {clean_tag(t) for t in remove}
    if not adding and not removing:
        raise ValidationFailed("Choose a tag to add or remove.", "tag")
    if both := adding & removing:
        raise ValidationFailed(f"The tag {sorted(both)[0]} cannot be added and removed at "
                               "once.", "tag")
    with desk.store.write() as s:
        ids = target_ids(s, target)
        tags: dict[int, set[str]] = {i: set() for i in ids}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for cid, tag in s.execute(select(ClientTag.client_id, ClientTag.tag)
                                      .where(ClientTag.client_id.in_(chunk))):
                tags[cid].add(tag)
        changed = [i for i in ids if (tags[i] | adding) - removing != tags[i]]
        for start in range(0, len(changed), 500):
            chunk = changed[start:start + 500]
            if removing:
                s.execute(delete(ClientTag).where(ClientTag.client_id.in_(chunk),
                                                  ClientTag.tag.in_(removing)))
            new = [{"client_id": cid, "tag": t} for cid in chunk for t in adding
                   if t not in tags[cid]]
            if new:
                s.execute(insert(ClientTag), new)
            clients = {c.id: c for c in s.scalars(select(Client).where(Client.id.in_(chunk)))}
            for cid in chunk:
                after = (tags[cid] | adding) - removing
                audit.record(s, desk.actor, "client.tags", "client", cid,
                             before={"tags": sorted(tags[cid])}, after={"tags": sorted(after)})
                _send_profile(s, desk.actor, clients[cid], {})
        return BulkResult(len(ids), len(changed))


def bulk_assign_manager(desk: Desk, target: Target, manager_id: int | None) -> BulkResult:
    """Assign (or, with None, unassign) the account manager of many clients."""
    require(desk.actor, Permission.EDIT_CLIENTS)
    with desk.store.write() as s:
        if manager_id is not None:
            manager = s.get(User, manager_id)
            if manager is None or not manager.active:
                raise ValidationFailed("Choose an active user as the manager.", "manager")
        ids = target_ids(s, target)
        changed = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for client in s.scalars(select(Client).where(Client.id.in_(chunk),
                                                         Client.manager_id.is_distinct_from(
                                                             manager_id))):
                old = client.manager_id
                client.manager_id = manager_id
                client.version += 1  # an edit form opened before this must not undo it
                _send_profile(s, desk.actor, client, {"manager_id": old})
                audit.record(s, desk.actor, "client.assign_manager", "client", client.id,
                             before={"manager_id": old}, after={"manager_id": manager_id})
                changed += 1
        return BulkResult(len(ids), changed)
