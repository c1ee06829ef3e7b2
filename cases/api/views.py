"""Case API. Reads start from case_list_visible_to; every write is an action endpoint that
calls one service (STYLE.md: no PATCH of status, no ModelViewSet on cases)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from access.errors import InvalidInput
from access.roles import person
from cases import services, workflow
from cases.api.fields import query_id
from cases.api.schema import CASE_LIST_PARAMETERS, NOTIFICATION_LIST_PARAMETERS
from cases.api.serializers import (
    CaseDetailSerializer,
    CaseEventSerializer,
    CaseReportInputSerializer,
    CaseSerializer,
    CategorySerializer,
    ContactSerializer,
    NotificationSerializer,
)
from cases.models import Attachment, Case, Category, Notification
from cases.personal_data import reveal_contact
from cases.selectors import (
    OPEN_STATUSES,
    access_case,
    case_list_visible_to,
    case_timeline,
    leaf_categories,
    notifications_for,
)
from cases.services import notification_mark_read


class CategoryViewSet(viewsets.ReadOnlyModelViewSet[Category]):
    serializer_class = CategorySerializer
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self) -> QuerySet[Category]:
        return leaf_categories().select_related("default_department")


@extend_schema_view(list=extend_schema(parameters=CASE_LIST_PARAMETERS))
class CaseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Case]):
    serializer_class = CaseSerializer

    def get_queryset(self) -> QuerySet[Case]:
        qs = case_list_visible_to(user=self.request.user)
        params = self.request.query_params
        if params.get("status"):
            statuses = params["status"].split(",")
            if not set(statuses) <= set(Case.Status.values):
                raise InvalidInput(_("status must be one or more of %(choices)s, comma-separated.")
                                   % {"choices": ", ".join(Case.Status.values)}, field="status")
            qs = qs.filter(status__in=statuses)
        if params.get("category"):
            qs = qs.filter(category__code=params["category"])
        if params.get("cell"):
            qs = qs.filter(cell_code__startswith=params["cell"])
        if params.get("unit"):
            qs = qs.filter(unit_id=query_id(params["unit"], name="unit"))
        if params.get("overdue") in ("1", "true"):
            qs = qs.filter(status__in=OPEN_STATUSES, handle_deadline__lt=timezone.now())
        for name, lookup in (("reported_after", "reported_at__date__gte"), ("reported_before", "reported_at__date__lte")):
            if params.get(name):
                try:
                    qs = qs.filter(**{lookup: dt.date.fromisoformat(params[name])})
                except ValueError:
                    raise InvalidInput(_("%(name)s must be a date like 2026-11-24.") % {"name": name},
                                       field=name) from None
        return qs.order_by("-reported_at", "-id")

    def _detail(
        self, request: Request, case: Case, code: int = status.HTTP_200_OK, *, reread: bool = True
    ) -> Response:
        if reread:
            case = access_case(user=request.user, case_id=case.pk)
        context = {"request": request, "allowed_actions": workflow.available_actions(request.user, case)}
        return Response(CaseDetailSerializer(case, context=context).data, status=code)

    @extend_schema(responses=CaseDetailSerializer)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(request, access_case(user=request.user, case_id=_id(pk)))

    @extend_schema(request=CaseReportInputSerializer, responses=CaseDetailSerializer)
    def create(self, request: Request) -> Response:
        data = CaseReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        case, created = services.case_report_or_replay(
            actor=person(request.user), category=v["category"], location=v["location"], description=v["description"],
            address=v["address"], client_key=v["client_key"] or None, photos=v["photos"], source=Case.Source.API,
            reporter_name=v["reporter_name"], reporter_phone=v["reporter_phone"],
            reporter_id_number=v["reporter_id_number"],
        )
        if created and not v["photos"]:
            # A case filed just now without photos has no attachments: say so rather than ask,
            # as prefetch_related fills the cache (even .none() costs a compiled query).
            none = Attachment.objects.none()
            none._result_cache = []
            none._prefetch_done = True  # type: ignore[attr-defined]
            case._prefetched_objects_cache = {"attachments": none}  # type: ignore[attr-defined]
        # The reporter always sees their own case: answer from the row the service returned
        # instead of reading it again through the visibility joins (bench/intake.py).
        return self._detail(request, case, status.HTTP_201_CREATED if created else status.HTTP_200_OK, reread=False)

    @extend_schema(responses=ContactSerializer)
    @action(detail=True, methods=["get"])
    def contact(self, request: Request, pk: str | None = None) -> Response:
        """The reporter's contact in full, for those who call back (the handling centre, the
        unit holding the case, the reporter, admins; 403 for others who see the case). Each
        answer is an unmasked_view entry on the audit trail; never cached."""
        case = access_case(user=request.user, case_id=_id(pk))
        contact = reveal_contact(user=request.user, case=case, request=request)
        response = Response({"name": contact.name, "phone": contact.phone, "id_number": contact.id_number})
        add_never_cache_headers(response)
        return response

    @extend_schema(responses=CaseEventSerializer(many=True))
    # The whole timeline in one list (a case has tens of events), so no paging parameters.
    @action(detail=True, methods=["get"], pagination_class=None)
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        case = access_case(user=request.user, case_id=_id(pk))
        context = {"request": request, "case": case}
        return Response(CaseEventSerializer(case_timeline(case=case), many=True, context=context).data)

    def _act(self, request: Request, pk: str | None, spec: workflow.ActionDef) -> Response:
        case = access_case(user=request.user, case_id=_id(pk))
        data = spec.serializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._detail(request, spec.run(case.pk, person(request.user), data.validated_data))


def _action_route(spec: workflow.ActionDef) -> Callable[..., Response]:
    """The API route of one registry entry: POST /api/cases/{id}/<api_path>/, its input
    serializer and a stable operationId in the schema."""

    def route(self: CaseViewSet, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, spec)

    route.__name__ = spec.api_route
    # The operationId drf-spectacular gave the hand-written routes, kept for clients.
    # action() first: it replaces the function's `kwargs`, where extend_schema keeps its schema.
    route = action(detail=True, methods=["post"], url_path=spec.api_path,
                   url_name=spec.api_route.replace("_", "-"))(route)
    return extend_schema(request=spec.serializer, responses=CaseDetailSerializer,
                         operation_id=f"cases_{spec.api_path.replace('-', '_')}_create")(route)


for _spec in workflow.api_routes().values():
    setattr(CaseViewSet, _spec.api_route, _action_route(_spec))


def _id(pk: str | None) -> int:
    try:
        return int(pk or "")
    except ValueError:
        raise Http404("No such case") from None


@extend_schema_view(list=extend_schema(parameters=NOTIFICATION_LIST_PARAMETERS))
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Notification]):
    """The signed-in person's in-app notifications; `?unread=1` for the badge."""

    serializer_class = NotificationSerializer
    # Never read for requests (get_queryset is per person); the schema takes the id's type from it.
    queryset = Notification.objects.none()

    def get_queryset(self) -> QuerySet[Notification]:
        qs = notifications_for(user=person(self.request.user))
        # As the notifications page reads it: ?unread=0 (or false) lists them all.
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = notification_mark_read(notification_id=_id(pk), user=person(request.user))
        return Response(NotificationSerializer(notification).data)
