"""Background jobs are enqueued through one helper, core.tasks.enqueue: the task function itself
(never a dotted name), handed to django-q2 only once the transaction commits."""

from pathlib import Path

import pytest
from django.db import transaction

from core import tasks

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue(monkeypatch):
    calls = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, *args, **options: calls.append((func, args, options)))
    return calls


def test_a_task_is_enqueued_once_the_transaction_commits(db, queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.enqueue(tasks.check_payment, 42, group="payments")
        assert queue == []  # not before the commit
    assert len(callbacks) == 1
    assert queue == [(tasks.check_payment, (42,), {"group": "payments"})]


def test_a_task_enqueued_in_a_rolled_back_transaction_never_runs(db, queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            tasks.enqueue(tasks.send_email, 7, group="emails", task_name="email-7")
            raise RuntimeError
    assert callbacks == [] and queue == []


@pytest.mark.parametrize("task", ["core.tasks.check_payment", print], ids=["dotted name", "not a task"])
def test_only_a_task_function_of_core_tasks_is_accepted(db, queue, task):
    with pytest.raises(TypeError):
        tasks.enqueue(task, 1, group="payments")


def test_no_code_enqueues_a_task_but_through_the_helper():
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("core", "portail", "admin_ext", "fixtures", "config")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and path != ROOT / "core" / "tasks.py"
        and ("async_task" in path.read_text() or '"core.tasks.' in path.read_text())
    ]
    assert offenders == []
