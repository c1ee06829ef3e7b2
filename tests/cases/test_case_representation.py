"""CaseSerializer and CaseDetailSerializer write their output out by hand (for speed: every
case endpoint answers with them). Held here to what DRF's generic walk over their declared
fields gives, for cases in every state the workflow reaches, as Python and as JSON."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from access.models import RoleAssignment
from cases import services
from cases.api.serializers import CaseDetailSerializer, CaseSerializer
from cases.models import Case
from cases.selectors import access_case
from cases.workflow import available_actions as allowed_for
from tests.builders import api_client
from tests.cases.photos import jpeg
from tests.factories import UserFactory, centre_of

S = Case.Status


def generic(serializer: serializers.Serializer, case: Case) -> dict:
    """What DRF's Serializer.to_representation makes of it, field by field."""
    return serializers.Serializer.to_representation(serializer, case)


def request_as(user) -> Request:
    request = Request(APIRequestFactory().get("/api/cases/", HTTP_HOST="testserver"))
    request.user = user
    return request


def assert_same_both_ways(case_id: int, user) -> None:
    case = access_case(user=user, case_id=case_id)
    context = {"request": request_as(user), "allowed_actions": allowed_for(user, case)}
    for serializer_class, ctx in ((CaseSerializer, {}), (CaseDetailSerializer, context)):
        fast = serializer_class(case, context=ctx).data
        slow = generic(serializer_class(case, context=ctx), case)
        assert list(fast) == list(slow) == list(serializer_class().fields)
        assert fast == slow
        assert JSONRenderer().render(fast) == JSONRenderer().render(slow)


@pytest.fixture
def hb_officer(town):
    user = UserFactory(username="dept_hb")
    RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.DEPARTMENT_STAFF, unit=town.other_unit)
    return user


def test_reported_with_photo_and_address(case_at, town, grid_worker, centre_operator):
    case = case_at(S.REPORTED, address="县前街 1 号", photos=[jpeg()], client_key="k")
    for user in (grid_worker, centre_operator):
        assert_same_both_ways(case.pk, user)


def test_reported_with_possible_duplicates_for_the_centre(case_at, town, grid_worker, centre_operator):
    case_at(S.REPORTED)
    second = case_at(S.REPORTED)
    detail = CaseDetailSerializer(access_case(user=centre_operator, case_id=second.pk), context={
        "request": request_as(centre_operator), "allowed_actions": ["accept", "reject"]}).data
    assert len(detail["possible_duplicates"]) == 1
    assert_same_both_ways(second.pk, centre_operator)


def test_dispatched_with_co_handler_and_pending_extension(case_at, town, grid_worker, centre_operator, dept_officer,
                                                          hb_officer):
    case = case_at(S.IN_PROGRESS, co_handlers=[town.other_unit], extension=(2, "等待材料"))
    services.case_report_part(case_id=case.pk, actor=hb_officer, result="已查验")
    for user in (centre_operator, dept_officer, hb_officer, grid_worker):
        assert_same_both_ways(case.pk, user)


def test_closed_after_rework_and_evaluated(case_at, town, grid_worker, centre_operator, dept_officer):
    case = case_at(S.HANDLED, result="已清理", handled_photos=[jpeg()])
    services.case_verify(case_id=case.pk, actor=centre_operator, passed=False, note="仍有摊位")
    services.case_report_handled(case_id=case.pk, actor=dept_officer, result="已清理")
    services.case_verify(case_id=case.pk, actor=centre_operator, passed=True)
    services.case_evaluate(case_id=case.pk, actor=grid_worker, satisfaction=4)
    closed = Case.objects.get(pk=case.pk)
    assert (closed.status, closed.rework_count, closed.satisfaction) == (Case.Status.CLOSED, 1, 4)
    for user in (centre_operator, dept_officer, grid_worker):
        assert_same_both_ways(case.pk, user)


def test_rejected_as_duplicate_and_resolved_on_the_spot(case_at, town, grid_worker, centre_operator):
    original = case_at(S.REPORTED)
    duplicate = case_at(S.REPORTED)
    services.case_reject(case_id=duplicate.pk, actor=centre_operator, reason="重复", kind=Case.RejectKind.DUPLICATE,
                         duplicate_of=original.pk)
    spot = services.case_report(actor=grid_worker, category=town.spot_category, location=centre_of(1, 0),
                                description="杂物", at=timezone.now() - dt.timedelta(days=3))
    services.case_resolve_on_spot(case_id=spot.pk, actor=grid_worker, note="已清", photos=[jpeg()])
    for case in (original, duplicate, spot):
        assert_same_both_ways(case.pk, centre_operator)


def test_the_list_is_the_same_field_by_field(case_at, town, grid_worker, centre_operator):
    case_at(S.DISPATCHED)
    case_at(S.REPORTED)
    client = api_client(centre_operator, language=None)
    listed = client.get("/api/cases/").json()["results"]
    assert len(listed) == 2
    for row in listed:
        case = access_case(user=centre_operator, case_id=row["id"])
        slow = generic(CaseSerializer(case), case)
        assert row == json.loads(JSONRenderer().render(slow))
