"""Tasks with due dates: for a client or general, assigned to a desk user.

Tasks about a client on the trading platform are shared with the other desks through
the gateway (the `task` record), like notes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app import audit
from app.errors import NotFound, ValidationFailed
from app.models.crm import Client, Task
from app.models.users import User
from app.roles import Actor, Permission, require
from app.services.outbox import put_record
from app.services.workspace import Desk


@dataclass(frozen=True)
class TaskRow:
    id: int
    title: str
    due_date: date | None
    done: bool
    done_at: datetime | None
    client_id: int | None
    client_name: str
    assignee_id: int | None
    assignee_name: str
    overdue: bool


def _share(s: Session, actor: Actor, task: Task) -> None:
    """Send the task to the gateway when its client is there. No revert: the outbox
    cannot put a task back yet, so a refused task stays here and shows as refused."""
    client = s.get(Client, task.client_id) if task.client_id is not None else None
    if client is None or client.external_id is None:
        return
    assignee = s.get(User, task.assignee_id) if task.assignee_id is not None else None
    put_record(s, actor, "task", task.uid, task.server_version, {
        "client_id": client.external_id, "assignee": assignee.username if assignee else None,
        "title": task.title, "due_date": None if task.due_date is None else
        task.due_date.isoformat(), "done": task.done}, revert=None)


def _audit(s: Session, actor: Actor, action: str, task: Task, **after: object) -> None:
    entity, entity_id = ("client", task.client_id) if task.client_id is not None \
        else ("task", task.id)
    audit.record(s, actor, action, entity, entity_id,
                 after={"task": task.uid, "title": task.title, **after})


def create_task(desk: Desk, title: str, *, client_id: int | None = None,
                due_date: date | None = None, assignee_id: int | None = None,
                today: date | None = None) -> int:
    require(desk.actor, Permission.VIEW)
    title = " ".join(title.split())
    if not title or len(title) > 300:
        raise ValidationFailed("A task needs a title of at most 300 characters.", "title")
    if due_date is not None and due_date < (today or date.today()):
        raise ValidationFailed("The due date is in the past; choose today or later.",
                               "due_date")
    with desk.store.write() as s:
        if client_id is not None and s.get(Client, client_id) is None:
            raise NotFound("This client no longer exists.")
        assignee_id = desk.actor.id if assignee_id is None else assignee_id
        assignee = s.get(User, assignee_id)
        if assignee is None or not assignee.active:
            raise ValidationFailed("Assign the task to an active user.", "assignee")
        task = Task(uid=str(uuid.uuid4()), client_id=client_id, assignee_id=assignee_id,
                    title=title, due_date=due_date, done=False)
        s.add(task)
        s.flush()
        _share(s, desk.actor, task)
        _audit(s, desk.actor, "task.create", task, due_date=due_date,
               assignee=assignee.username)
        return task.id


def _set_done(desk: Desk, task_id: int, done: bool) -> None:
    require(desk.actor, Permission.VIEW)
    with desk.store.write() as s:
        task = s.get(Task, task_id)
        if task is None:
            raise NotFound("This task no longer exists.")
        if task.done is done:
            state = "done" if done else "open"
            raise ValidationFailed(f"This task is already {state}.", "task")
        task.done = done
        task.done_at = datetime.now(UTC) if done else None
        task.version += 1
        _share(s, desk.actor, task)
        _audit(s, desk.actor, "task.complete" if done else "task.reopen", task)


def complete_task(desk: Desk, task_id: int) -> None:
    _set_done(desk, task_id, True)


def reopen_task(desk: Desk, task_id: int) -> None:
    _set_done(desk, task_id, False)


_assignee = aliased(User)


def _rows(s: Session, where: list[object], today: date) -> list[TaskRow]:
    stmt = (select(Task, Client.display_name, _assignee.full_name)
            .outerjoin(Client, Client.id == Task.client_id)
            .outerjoin(_assignee, _assignee.id == Task.assignee_id)
            .where(*where)  # type: ignore[arg-type]
            .order_by(Task.done, Task.due_date.is_(None), Task.due_date, Task.id))
    return [TaskRow(t.id, t.title, t.due_date, t.done, t.done_at, t.client_id, name or "",
                    t.assignee_id, assignee or "",
                    not t.done and t.due_date is not None and t.due_date < today)
            for t, name, assignee in s.execute(stmt)]


def client_tasks(desk: Desk, client_id: int, today: date | None = None) -> list[TaskRow]:
    """Open tasks first (soonest due first), then done ones."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return _rows(s, [Task.client_id == client_id], today or date.today())


def overdue_tasks(desk: Desk, *, assignee_id: int | None = None,
                  today: date | None = None) -> list[TaskRow]:
    """Open tasks whose due date has passed, oldest first; one person's or everyone's."""
    require(desk.actor, Permission.VIEW)
    today = today or date.today()
    where: list[object] = [Task.done.is_(False), Task.due_date < today]
    if assignee_id is not None:
        where.append(Task.assignee_id == assignee_id)
    with desk.store.read() as s:
        return _rows(s, where, today)
