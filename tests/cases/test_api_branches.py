"""The workflow branches over HTTP: each action endpoint, its 400/403/409 answers."""

from __future__ import annotations

from cases import services
from cases.models import Case
from tests.builders import api_client

S = Case.Status


def test_reject_as_duplicate_over_http(case_at, town, grid_worker, centre_operator):
    first, second = case_at(S.REPORTED), case_at(S.REPORTED)
    centre = api_client(centre_operator)
    missing = centre.post(f"/api/cases/{second.pk}/reject/", {"reason": "重复", "kind": "duplicate"})
    assert missing.status_code == 400 and missing.json()["field"] == "duplicate_of"
    bad_kind = centre.post(f"/api/cases/{second.pk}/reject/", {"reason": "重复", "kind": "spam"})
    assert bad_kind.status_code == 400
    done = centre.post(f"/api/cases/{second.pk}/reject/",
                       {"reason": "重复", "kind": "duplicate", "duplicate_of": first.pk})
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["duplicate_of"]) == ("rejected", first.pk)


def test_escalate_over_http_and_the_community_loses_the_action(town, grid_worker, centre_operator, street_operator,
                                                               case_at):
    case = case_at(S.REPORTED)
    community, street = api_client(centre_operator), api_client(street_operator)
    assert "escalate" in community.get(f"/api/cases/{case.pk}/").json()["allowed_actions"]
    response = community.post(f"/api/cases/{case.pk}/escalate/", {"note": "需街道协调"})
    assert response.status_code == 200 and response.json()["centre"] == town.street.code
    assert community.post(f"/api/cases/{case.pk}/accept/").status_code == 403
    assert street.post(f"/api/cases/{case.pk}/accept/").status_code == 200


def test_extension_round_trip_over_http(case_at, town, grid_worker, centre_operator, dept_officer):
    case = case_at(S.IN_PROGRESS)
    dept, centre = api_client(dept_officer), api_client(centre_operator)
    assert dept.post(f"/api/cases/{case.pk}/request-extension/", {"days": 40, "reason": "x"}).status_code == 400
    asked = dept.post(f"/api/cases/{case.pk}/request-extension/", {"days": 2, "reason": "需协调"})
    assert asked.status_code == 200 and asked.json()["pending_extension"]["days"] == 2
    assert dept.post(f"/api/cases/{case.pk}/request-extension/", {"days": 1, "reason": "再次"}).status_code == 409
    assert centre.post(f"/api/cases/{case.pk}/deny-extension/", {"note": ""}).status_code == 400
    approved = centre.post(f"/api/cases/{case.pk}/approve-extension/")
    assert approved.status_code == 200 and approved.json()["pending_extension"] is None
    assert approved.json()["handle_deadline"] > asked.json()["handle_deadline"]
    assert centre.post(f"/api/cases/{case.pk}/approve-extension/").status_code == 409


def test_evaluate_and_reopen_over_http(case_at, town, grid_worker, centre_operator, dept_officer):
    case = case_at(S.HANDLED)
    worker, centre = api_client(grid_worker), api_client(centre_operator)
    assert worker.post(f"/api/cases/{case.pk}/evaluate/", {"satisfaction": 5}).status_code == 409  # not closed
    services.case_verify(case_id=case.pk, actor=centre_operator, passed=True)
    assert worker.post(f"/api/cases/{case.pk}/evaluate/", {"satisfaction": 0}).status_code == 400
    rated = worker.post(f"/api/cases/{case.pk}/evaluate/", {"satisfaction": 5, "comment": "满意"})
    assert rated.status_code == 200 and rated.json()["satisfaction"] == 5
    assert centre.post(f"/api/cases/{case.pk}/reopen/", {"reason": ""}).status_code == 400
    reopened = centre.post(f"/api/cases/{case.pk}/reopen/", {"reason": "问题复发"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "accepted"


def test_outsider_gets_404_on_every_new_action(case_at, town, grid_worker, outsider):
    case = case_at(S.REPORTED)
    other = api_client(outsider)
    for action in ["escalate", "request-extension", "approve-extension", "deny-extension", "evaluate", "reopen"]:
        assert other.post(f"/api/cases/{case.pk}/{action}/", {}).status_code == 404, action


def test_case_list_filters(case_at, town, grid_worker, centre_operator, dept_officer):
    import datetime as dt

    from django.utils import timezone

    long_ago = timezone.now() - dt.timedelta(days=20)
    old = case_at(S.DISPATCHED, times=dict.fromkeys((S.REPORTED, S.ACCEPTED, S.DISPATCHED), long_ago))
    fresh = case_at(S.REPORTED)
    api = api_client(centre_operator)

    def ids(query: str) -> list[int]:
        response = api.get(f"/api/cases/?{query}")
        assert response.status_code == 200, response.content
        return [c["id"] for c in response.json()["results"]]

    assert ids("overdue=1") == [old.pk]
    assert ids(f"unit={town.unit.pk}") == [old.pk]
    assert ids("status=reported") == [fresh.pk]
    since = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert ids(f"reported_after={since}") == [fresh.pk]
    assert ids(f"reported_before={since}") == [old.pk]
    bad = api.get("/api/cases/?reported_after=yesterday")
    assert bad.status_code == 400 and bad.json()["field"] == "reported_after"
    assert api.get("/api/cases/?unit=abc").status_code == 400
