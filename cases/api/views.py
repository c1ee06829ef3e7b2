"""Case API. Reads start from case_list_visible_to; every write is an action endpoint that
calls one service (STYLE.md: no PATCH of status, no ModelViewSet on cases)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cases import services
from cases.api.fields import query_id
from cases.api.serializers import (
    ApproveExtensionInputSerializer,
    CaseDetailSerializer,
    CaseEventSerializer,
    CaseReportInputSerializer,
    CaseSerializer,
    CategorySerializer,
    ContactSerializer,
    DispatchInputSerializer,
    EvaluateInputSerializer,
    ExtensionInputSerializer,
    HandledInputSerializer,
    NoteInputSerializer,
    NotificationSerializer,
    ReasonInputSerializer,
    ReassignInputSerializer,
    RejectInputSerializer,
    ResolveInputSerializer,
    ResultInputSerializer,
    VerifyInputSerializer,
)
from cases.errors import InvalidInput
from cases.models import Attachment, Case, Category, Notification
from cases.permissions import acting_role, person, report_cells, roles_of
from cases.personal_data import reveal_contact
from cases.selectors import (
    OPEN_STATUSES,
    access_case,
    case_list_visible_to,
    case_timeline,
    leaf_categories,
    notifications_for,
    proposed_unit,
)
from cases.services import notification_mark_read


class CategoryViewSet(viewsets.ReadOnlyModelViewSet[Category]):
    serializer_class = CategorySerializer
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self) -> QuerySet[Category]:
        return leaf_categories().select_related("default_department")


def allowed_for(user: Any, case: Case) -> list[str]:
    """Actions the user may take on the case now: allowed by state and by role."""
    return [a for a in services.allowed_actions(case.status) if acting_role(user, case, a) is not None]


class CaseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Case]):
    serializer_class = CaseSerializer

    def get_queryset(self) -> QuerySet[Case]:
        qs = case_list_visible_to(user=self.request.user)
        params = self.request.query_params
        if params.get("status"):
            qs = qs.filter(status__in=params["status"].split(","))
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
        context = {"request": request, "allowed_actions": allowed_for(request.user, case)}
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
            within_cells=report_cells(roles_of(request.user)),
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
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        case = access_case(user=request.user, case_id=_id(pk))
        return Response(CaseEventSerializer(case_timeline(case=case), many=True).data)

    def _act(
        self, request: Request, pk: str | None, serializer_class: type[serializers.Serializer[Any]],
        perform: Callable[[Case, dict[str, Any]], Case],
    ) -> Response:
        case = access_case(user=request.user, case_id=_id(pk))
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        return self._detail(request, perform(case, data.validated_data))

    @extend_schema(request=NoteInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, NoteInputSerializer, lambda c, v: services.case_accept(
            case_id=c.pk, actor=person(request.user), note=v["note"]))

    @extend_schema(request=RejectInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, RejectInputSerializer, lambda c, v: services.case_reject(
            case_id=c.pk, actor=person(request.user), reason=v["reason"], kind=v["kind"],
            duplicate_of=v["duplicate_of"]))

    @extend_schema(request=NoteInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, NoteInputSerializer, lambda c, v: services.case_escalate(
            case_id=c.pk, actor=person(request.user), note=v["note"]))

    @extend_schema(request=ExtensionInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="request-extension")
    def request_extension(self, request: Request, pk: str | None = None) -> Response:
        def perform(case: Case, v: dict[str, Any]) -> Case:
            services.case_request_extension(case_id=case.pk, actor=person(request.user), days=v["days"],
                                            reason=v["reason"])
            return case

        return self._act(request, pk, ExtensionInputSerializer, perform)

    @extend_schema(request=ApproveExtensionInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="approve-extension")
    def approve_extension(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, ApproveExtensionInputSerializer, lambda c, v: services.case_decide_extension(
            case_id=c.pk, actor=person(request.user), approve=True, note=v["note"], pause_clock=v["pause_clock"]))

    @extend_schema(request=NoteInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="deny-extension")
    def deny_extension(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, NoteInputSerializer, lambda c, v: services.case_decide_extension(
            case_id=c.pk, actor=person(request.user), approve=False, note=v["note"]))

    @extend_schema(request=EvaluateInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def evaluate(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, EvaluateInputSerializer, lambda c, v: services.case_evaluate(
            case_id=c.pk, actor=person(request.user), satisfaction=v["satisfaction"], comment=v["comment"]))

    @extend_schema(request=ReasonInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, ReasonInputSerializer, lambda c, v: services.case_reopen(
            case_id=c.pk, actor=person(request.user), reason=v["reason"]))

    @extend_schema(request=DispatchInputSerializer, responses=CaseDetailSerializer)
    # Not named `dispatch`: that is APIView's request entry point.
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_case(self, request: Request, pk: str | None = None) -> Response:
        def perform(case: Case, v: dict[str, Any]) -> Case:
            unit = v["unit"] or proposed_unit(case=case)
            if unit is None:
                raise InvalidInput(_("Choose a department unit: the category has no default."), field="unit")
            return services.case_dispatch(case_id=case.pk, actor=person(request.user), unit=unit,
                                          co_handlers=v["co_handlers"], note=v["note"])

        return self._act(request, pk, DispatchInputSerializer, perform)

    @extend_schema(request=None, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="sign-for")
    def sign_for(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, NoteInputSerializer, lambda c, v: services.case_sign_for(
            case_id=c.pk, actor=person(request.user)))

    @extend_schema(request=ReassignInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, ReassignInputSerializer, lambda c, v: services.case_reassign(
            case_id=c.pk, actor=person(request.user), unit=v["unit"], reason=v["reason"]))

    @extend_schema(request=ResultInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="report-part")
    def report_part(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, ResultInputSerializer, lambda c, v: services.case_report_part(
            case_id=c.pk, actor=person(request.user), result=v["result"]))

    @extend_schema(request=ReasonInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, ReasonInputSerializer, lambda c, v: services.case_return(
            case_id=c.pk, actor=person(request.user), reason=v["reason"]))

    @extend_schema(request=HandledInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="report-handled")
    def report_handled(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, HandledInputSerializer, lambda c, v: services.case_report_handled(
            case_id=c.pk, actor=person(request.user), result=v["result"], photos=v["photos"]))

    @extend_schema(request=VerifyInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, VerifyInputSerializer, lambda c, v: services.case_verify(
            case_id=c.pk, actor=person(request.user), passed=v["passed"], note=v["note"]))

    @extend_schema(request=NoteInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def urge(self, request: Request, pk: str | None = None) -> Response:
        """督办: a supervisor of the case's area presses its unit (a note is required)."""
        return self._act(request, pk, NoteInputSerializer, lambda c, v: services.case_urge(
            case_id=c.pk, actor=person(request.user), note=v["note"]))

    @extend_schema(request=ResolveInputSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="resolve-on-spot")
    def resolve_on_spot(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, pk, ResolveInputSerializer, lambda c, v: services.case_resolve_on_spot(
            case_id=c.pk, actor=person(request.user), note=v["note"], photos=v["photos"]))


def _id(pk: str | None) -> int:
    try:
        return int(pk or "")
    except ValueError:
        raise Http404("No such case") from None


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Notification]):
    """The signed-in person's in-app notifications; `?unread=1` for the badge."""

    serializer_class = NotificationSerializer
    # Never read for requests (get_queryset is per person); the schema takes the id's type from it.
    queryset = Notification.objects.none()

    def get_queryset(self) -> QuerySet[Notification]:
        qs = notifications_for(user=person(self.request.user))
        if self.request.query_params.get("unread"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = notification_mark_read(notification_id=_id(pk), user=person(request.user))
        return Response(NotificationSerializer(notification).data)
