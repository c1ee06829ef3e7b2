"""What the OpenAPI schema promises beyond each success answer (issue 12), and the answers
that had to change to keep the promise."""

from __future__ import annotations

from django.utils import timezone

from cases.models import Notification
from tests.api.openapi import served_schema
from tests.builders import api_client
from tests.factories import UserFactory


def test_the_schema_names_the_filters_and_errors_it_is_tested_with():
    document = served_schema()
    cases_list = document["paths"]["/api/cases/"]["get"]
    names = {p["name"] for p in cases_list["parameters"]}
    assert names >= {"status", "category", "cell", "unit", "overdue", "reported_after", "reported_before",
                     "limit", "offset"}
    unread = document["paths"]["/api/notifications/"]["get"]["parameters"]
    assert "unread" in {p["name"] for p in unread}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            assert codes >= {"400", "403", "404"}, (method, path)
            if method != "get":
                assert codes >= {"409", "415"}, (method, path)
    assert "413" in document["paths"]["/api/cases/"]["post"]["responses"]
    assert "413" in document["paths"]["/api/cases/{id}/report-handled/"]["post"]["responses"]
    assert "413" not in document["paths"]["/api/cases/{id}/accept/"]["post"]["responses"]
    timeline = document["paths"]["/api/cases/{id}/timeline/"]["get"]
    assert timeline["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert "limit" not in {p["name"] for p in timeline.get("parameters", [])}
    assert {} in document["paths"]["/api/auth/token/"]["post"]["security"]
    assert {} not in document["paths"]["/api/cases/"]["get"]["security"]


def test_the_schema_says_which_case_fields_may_be_blank_or_null():
    case = served_schema()["components"]["schemas"]["Case"]["properties"]
    assert case["unit_name"]["nullable"] is True
    kinds = [option["$ref"].rsplit("/", 1)[1] for option in case["reject_kind"]["oneOf"]]
    assert kinds == ["RejectKindEnum", "BlankEnum"]


def test_an_api_url_no_route_matches_is_a_json_404(town, grid_worker):
    # A float where the case id goes matches no route: the API's JSON, not the people's page.
    for url in ("/api/cases/1.5/", "/api/cases/1.5/timeline/", "/api/categories/a%2Fb/", "/api/nothing-here/"):
        response = api_client(grid_worker).get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json", url
        assert response.json() == {"detail": "Not found."}, url
    page = api_client(grid_worker).get("/nothing-here/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_unread_0_lists_every_notification_as_the_page_does(town, grid_worker):
    from cases import services
    from tests.factories import centre_of

    case = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                description="人行道被摊位占用")
    other = UserFactory(username="someone_else")
    read = Notification.objects.create(recipient=grid_worker, case=case, kind=Notification.Kind.ACTION_NEEDED,
                                       key="a", created_at=timezone.now(), read_at=timezone.now())
    unread = Notification.objects.create(recipient=grid_worker, case=case, kind=Notification.Kind.CASE_CLOSED,
                                         key="b", created_at=timezone.now())
    Notification.objects.create(recipient=other, case=case, kind=Notification.Kind.OVERDUE, key="c",
                                created_at=timezone.now())
    client = api_client(grid_worker)

    def ids(query: str) -> set[int]:
        return {n["id"] for n in client.get(f"/api/notifications/{query}").json()["results"]}

    assert ids("") == ids("?unread=0") == ids("?unread=false") == {read.pk, unread.pk}
    assert ids("?unread=1") == ids("?unread=true") == {unread.pk}


def test_an_unknown_status_in_the_case_list_filter_is_400(town, grid_worker):
    # It listed nothing before, as if no case were in that state.
    client = api_client(grid_worker)
    assert client.get("/api/cases/?status=reported,accepted").status_code == 200
    response = client.get("/api/cases/?status=reported,opened")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and response.json()["field"] == "status"
    assert "reported, accepted" in response.json()["detail"]
