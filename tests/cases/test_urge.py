"""督办 by a supervisor: only over their own area, once per deadline, told to the unit."""

from __future__ import annotations

import pytest
from django.test import Client

from access.errors import Conflict, InvalidInput, NotPermitted
from access.models import RoleAssignment
from cases import services
from cases.models import Case, CaseEvent, Notification, Supervision
from tests.factories import UserFactory, centre_of


@pytest.fixture
def dispatched(case_at):
    return case_at(Case.Status.DISPATCHED)


def test_supervisor_urges_the_unit_once_per_deadline(dispatched, supervisor, dept_officer):
    services.case_urge(case_id=dispatched.pk, actor=supervisor, note="三天内办结")
    row = Supervision.objects.get(case=dispatched)
    assert (row.kind, row.unit_id, row.deadline) == ("urged", dispatched.unit_id, dispatched.handle_deadline)
    event = dispatched.events.latest("id")
    assert (event.action, event.role, event.note, event.to_status) == ("urge", "supervisor", "三天内办结", "dispatched")
    Notification.objects.all().delete()
    assert services.notify_next_actors(event_id=event.pk) == 1
    assert Notification.objects.get().recipient == dept_officer
    with pytest.raises(Conflict):
        services.case_urge(case_id=dispatched.pk, actor=supervisor, note="again")
    assert dispatched.events.filter(action=CaseEvent.Action.URGE).count() == 1


def test_urge_needs_a_note(dispatched, supervisor):
    with pytest.raises(InvalidInput):
        services.case_urge(case_id=dispatched.pk, actor=supervisor, note=" ")


@pytest.mark.parametrize("who", ["centre_operator", "dept_officer", "grid_worker"])
def test_only_supervisors_urge(dispatched, who, request):
    with pytest.raises(NotPermitted):
        services.case_urge(case_id=dispatched.pk, actor=request.getfixturevalue(who), note="n")


def test_a_supervisor_of_another_area_cannot_urge_and_sees_404(town, dispatched, verify_otp):
    elsewhere = UserFactory()
    RoleAssignment.objects.create(user=elsewhere, role=RoleAssignment.Role.SUPERVISOR, area=town.other_community)
    with pytest.raises(NotPermitted):
        services.case_urge(case_id=dispatched.pk, actor=elsewhere, note="n")
    client = Client()
    client.force_login(elsewhere)
    verify_otp(client, elsewhere)
    assert client.post(f"/api/cases/{dispatched.pk}/urge/", {"note": "n"}, content_type="application/json").status_code == 404


def test_urge_through_the_api_and_the_case_page(dispatched, supervisor, verify_otp):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(supervisor)
    verify_otp(client, supervisor)
    page = client.get(f"/cases/{dispatched.pk}/")
    assert b'action="/cases/%d/urge/"' % dispatched.pk in page.content
    assert client.post(f"/cases/{dispatched.pk}/urge/", {"note": ""}).status_code == 400
    assert client.post(f"/cases/{dispatched.pk}/urge/", {"note": "hurry"}).status_code == 302
    again = client.post(f"/api/cases/{dispatched.pk}/urge/", {"note": "hurry"}, content_type="application/json")
    assert again.status_code == 409


def test_urge_on_a_case_not_yet_dispatched_is_409(town, grid_worker, supervisor, verify_otp):
    case = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0), description="x")
    client = Client()
    client.force_login(supervisor)
    verify_otp(client, supervisor)
    response = client.post(f"/api/cases/{case.pk}/urge/", {"note": "n"}, content_type="application/json")
    assert response.status_code == 409
