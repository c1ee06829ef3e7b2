"""Dispatch with co-handling units: each sees the case, reports its part once; the lead
unit still reports the case handled. Over the services, the API and the case page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from access.errors import Conflict, NotPermitted
from access.models import RoleAssignment
from cases import services
from cases.models import Case, CaseEvent, CoHandler
from cases.selectors import case_list_visible_to, unit_queue
from tests.builders import api_client
from tests.factories import UserFactory


@pytest.fixture
def hb_officer(town):
    user = UserFactory(username="dept_hb")
    RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.DEPARTMENT_STAFF, unit=town.other_unit)
    return user


@pytest.fixture
def co_handled(town, case_at) -> Case:
    # The lead unit named among the co-handlers too: it is dropped from them.
    return case_at(Case.Status.DISPATCHED, co_handlers=[town.other_unit, town.unit])


def test_co_handler_sees_queues_and_reports_its_part_once(town, co_handled, hb_officer, dept_officer):
    assert list(CoHandler.objects.values_list("unit_id", flat=True)) == [town.other_unit.pk]
    assert co_handled in case_list_visible_to(user=hb_officer)
    assert co_handled in unit_queue(user=hb_officer)
    services.case_report_part(case_id=co_handled.pk, actor=hb_officer, result="已查验排污口")
    assert co_handled not in unit_queue(user=hb_officer)  # its part is done
    with pytest.raises(Conflict):
        services.case_report_part(case_id=co_handled.pk, actor=hb_officer, result="again")
    event = CaseEvent.objects.filter(case=co_handled, action=CaseEvent.Action.REPORT_PART).get()
    assert event.unit == town.other_unit and event.note == "已查验排污口"
    with pytest.raises(NotPermitted):  # the lead unit is not a co-handler
        services.case_report_part(case_id=co_handled.pk, actor=dept_officer, result="x")
    with pytest.raises(NotPermitted):  # and the co-handler cannot sign for the lead
        services.case_sign_for(case_id=co_handled.pk, actor=hb_officer)


def test_return_clears_co_handlers_and_redispatch_names_them_afresh(town, co_handled, dept_officer,
                                                                    centre_operator, hb_officer):
    services.case_return(case_id=co_handled.pk, actor=dept_officer, reason="非本单位")
    assert not CoHandler.objects.exists()
    assert co_handled not in case_list_visible_to(user=hb_officer)
    services.case_dispatch(case_id=co_handled.pk, actor=centre_operator, unit=town.other_unit)
    assert not CoHandler.objects.exists()


def test_co_handlers_over_http(town, grid_worker, centre_operator, hb_officer, case_at, login):
    case = case_at(Case.Status.ACCEPTED)
    centre = api_client(centre_operator, language=None)
    body = centre.post(f"/api/cases/{case.pk}/dispatch/", {"co_handlers": [town.other_unit.pk]},
                       format="json").json()
    assert [c["unit"] for c in body["co_handlers"]] == [town.other_unit.pk]
    web = login(hb_officer)
    page = web.get(reverse("case-detail", args=[case.pk])).text
    assert 'data-action="report_part"' in page and 'data-action="sign_for"' not in page
    assert web.post(reverse("case-action", args=[case.pk, "report_part"]), {"result": ""}).status_code == 400
    assert web.post(reverse("case-action", args=[case.pk, "report_part"]), {"result": "已配合"}).status_code == 302
    assert CoHandler.objects.get().reported_at is not None
