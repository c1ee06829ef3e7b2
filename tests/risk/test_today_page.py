"""The grid worker's Today page and its tasks through the web (risk's views): open tasks
with warnings first and the cases to verify, a task done with a note then again (409), and
another cell's task answering 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from risk.models import PatrolTask
from tests.builders import advance, patrol_task
from tests.cases.test_report_page import URL

pytestmark = pytest.mark.usefixtures("media_in_tmp")

TODAY = reverse("worker-today")


def test_today_lists_my_open_tasks_warnings_first_and_cases_to_verify(
    login, town, grid_worker, centre_operator, dept_officer, file_case
) -> None:
    patrol = patrol_task(town, 0, title="例行巡查县前1")
    warning = patrol_task(town, 1, kind=PatrolTask.Kind.RISK_WARNING, risk_level="red",
                          horizon_start=timezone.localdate(), due_date=timezone.localdate() + dt.timedelta(days=1))
    patrol_task(town, 4, title="别人的任务")
    handled = advance(file_case(), Case.Status.HANDLED, town=town, centre_operator=centre_operator,
                      dept_officer=dept_officer)
    still_open = file_case()
    response = login(grid_worker).get(TODAY)
    assert response.status_code == 200
    html = response.text
    assert "Red risk warning: patrol this cell" in html
    assert html.index(f'id="task-{warning.pk}"') < html.index(f'id="task-{patrol.pk}"')
    assert "别人的任务" not in html
    assert handled.number in html and still_open.number not in html
    assert f'href="{URL}"' in html and "Report a problem" in html


def test_task_done_with_a_note_then_again_is_409(login, town, grid_worker) -> None:
    task = patrol_task(town)
    client = login(grid_worker)
    url = reverse("task-done", args=[task.pk])
    assert client.post(url, {"note": ""}).status_code == 400
    response = client.post(url, {"note": "消防通道畅通"})
    assert response.status_code == 302 and response["Location"] == TODAY
    task.refresh_from_db()
    assert task.status == PatrolTask.Status.DONE and task.done_by == grid_worker
    again = client.post(url, {"note": "再来一次"})
    assert again.status_code == 409
    assert "already marked done" in again.text
    task.refresh_from_db()
    assert task.done_note == "消防通道畅通"


def test_worker_of_another_cell_gets_404_for_the_task(login, town, grid_worker, outsider) -> None:
    task = patrol_task(town, 0)
    response = login(outsider).post(reverse("task-done", args=[task.pk]), {"note": "x"})
    assert response.status_code == 404
    assert f"task-{task.pk}" not in login(outsider).get(TODAY).text
    task.refresh_from_db()
    assert task.status == PatrolTask.Status.OPEN
