"""The action registry: every workflow action of DOMAIN §3, once.

An entry says from which statuses the action starts and where it leads, who may take it
(role and scope), the conditions on the case that must hold, the service that performs it,
the web form and API serializer that take its input, and how the web shows it. Everything
else reads it:

- the services (cases.services.transitions._begin) check status, actor and conditions
  under the row lock, so the shell, admin, a Celery task and the API meet the rules the
  web form meets;
- `available_actions(user, case)` is the one answer to "what may I do now": the case
  page's panels, the queues' row buttons, the API's `allowed_actions` and the 409 message;
- the web's `/cases/<id>/<action>/` and the API's `POST /api/cases/<id>/<route>/` are
  generated from it (cases.views, cases.api.views).

A new action is one entry here plus one service.

Conditions on the *input* (a reason given, a photo attached, a unit that serves the case's
district or is city-wide) are named in an entry's `needs` and checked by the service itself,
the one place the input arrives at from every caller (tests/cases/test_parity.py holds
the two together).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from access.codes import covers
from access.errors import Conflict, DomainError, InvalidInput, InvalidTransition, NotPermitted
from access.roles import Roles, roles_of
from cases.api.serializers import (
    ApproveExtensionInputSerializer,
    DispatchInputSerializer,
    EvaluateInputSerializer,
    ExtensionInputSerializer,
    HandledInputSerializer,
    NoteInputSerializer,
    ReasonInputSerializer,
    ReassignInputSerializer,
    RejectInputSerializer,
    ResolveInputSerializer,
    ResultInputSerializer,
    VerifyInputSerializer,
)
from cases.forms import (
    DispatchForm,
    EmptyForm,
    EvaluateForm,
    ExtensionDecisionForm,
    ExtensionForm,
    HandledForm,
    NoteForm,
    PartForm,
    ReasonForm,
    ReassignForm,
    RejectForm,
    RequiredNoteForm,
    ResolveOnSpotForm,
    VerifyFailForm,
    VerifyForm,
)
from cases.models import Case, CaseEvent, ExtensionRequest, Supervision
from cases.permissions import reporter_role

if TYPE_CHECKING:
    from access.roles import AnyUser

S = Case.Status
A = CaseEvent.Action


@dataclass(frozen=True)
class Attempt:
    """One person (None: the system) about to act on one case at one moment."""

    case: Case
    user: AnyUser | None
    roles: Roles
    at: dt.datetime

    # Read once per attempt: several actions' actors and conditions ask the same question,
    # and the case page asks about every action at once. (cached_property writes the
    # instance's __dict__ directly, which a frozen dataclass allows.)
    @cached_property
    def has_pending_extension(self) -> bool:
        return self.case.extensions.filter(status=ExtensionRequest.Status.PENDING).exists()

    @cached_property
    def own_co_handler_parts(self) -> list[bool]:
        """For each co-handling row of the user's units: whether its part is reported."""
        if not self.roles.unit_ids:
            return []
        return [reported is not None for reported in self.case.co_handlers.filter(
            unit_id__in=self.roles.unit_ids).values_list("reported_at", flat=True)]


# --- who may act: each answers the role the user acts in, or None ------------------------

Actor = Callable[[Attempt], "str | None"]


def centre(t: Attempt) -> str | None:
    """The case's handling centre, or one above it. Once escalated from a community to its
    street, the community no longer acts on it (but still sees it)."""
    return "centre_operator" if covers(t.roles.centre_prefixes, t.case.centre.code) else None


def holding_unit(t: Attempt) -> str | None:
    return "department_staff" if t.case.unit_id is not None and t.case.unit_id in t.roles.unit_ids else None


def co_handling_unit(t: Attempt) -> str | None:
    return "department_staff" if t.own_co_handler_parts else None


def reporting_grid_worker(t: Attempt) -> str | None:
    """The grid worker who filed it, still holding its cell (自办自结)."""
    user_id = t.user.pk if t.user is not None else None
    if t.case.reporter_id == user_id and t.case.grid_cell_id in t.roles.cell_ids:
        return "grid_worker"
    return None


def cell_grid_worker(t: Attempt) -> str | None:
    """A grid worker of the case's cell, who can verify on site."""
    return "grid_worker" if t.case.grid_cell_id in t.roles.cell_ids else None


def reporter(t: Attempt) -> str | None:
    user_id = t.user.pk if t.user is not None else None
    return reporter_role(t.user) if user_id is not None and t.case.reporter_id == user_id else None


def area_supervisor(t: Attempt) -> str | None:
    return "supervisor" if covers(t.roles.supervisor_prefixes, t.case.cell_code) else None


# --- conditions on the case -----------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """Must hold for the action to be offered and taken; `refusal` is what the service
    raises when it does not (the same error whoever calls)."""

    holds: Callable[[Attempt], bool]
    refusal: Callable[[Attempt], DomainError]


def _pending(t: Attempt) -> bool:
    return t.has_pending_extension


SELF_RESOLVABLE = Condition(
    lambda t: t.case.category.self_resolvable,
    lambda t: InvalidInput(_("This category cannot be resolved on the spot."), field="category"),
)
NO_PENDING_EXTENSION = Condition(
    lambda t: not _pending(t),
    lambda t: Conflict(_("An extension request is already waiting for the centre.")),
)
PENDING_EXTENSION = Condition(
    _pending,
    lambda t: Conflict(_("No extension request is waiting for a decision.")),
)
NOT_EVALUATED = Condition(
    lambda t: t.case.satisfaction is None,
    lambda t: Conflict(_("This case has already been evaluated.")),
)
WITHIN_REOPEN_WINDOW = Condition(
    lambda t: t.case.closed_at is not None and t.at - t.case.closed_at <= dt.timedelta(days=settings.REOPEN_DAYS),
    lambda t: Conflict(
        _("Only a case closed within the last %(days)d days can be reopened.") % {"days": settings.REOPEN_DAYS}
    ),
)
HAS_UPPER_CENTRE = Condition(
    lambda t: t.case.centre.parent_id is not None,
    lambda t: Conflict(_("The case is already with the city centre; there is no level above.")),
)
def _part_refusal(t: Attempt) -> DomainError:
    # An administrator (or the system) holds no co-handling unit: there is no part to report.
    if not t.own_co_handler_parts:
        return NotPermitted(_("Your unit is not a co-handler of this case."))
    return Conflict(_("Your unit has already reported its part."))


PART_OPEN = Condition(
    lambda t: not all(t.own_co_handler_parts),
    _part_refusal,
)
NOT_URGED_FOR_DEADLINE = Condition(
    lambda t: t.case.handle_deadline is None or not Supervision.objects.filter(
        case=t.case, kind=Supervision.Kind.URGED, deadline=t.case.handle_deadline).exists(),
    lambda t: Conflict(_("This case has already been urged for its current deadline.")),
)


# --- the registry ---------------------------------------------------------------------

# The service's keyword arguments (beside case_id and actor) from the cleaned input of the
# web form or the API serializer.
Inputs = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class ActionDef:
    action: str  # a CaseEvent.Action
    sources: frozenset[str]
    target: str | None  # None: the status stays (escalate, extensions, evaluate, urge)
    actors: tuple[Actor, ...]  # tried in order; an administrator may take every action
    # The service that performs it, by its name in cases.services: the services import this
    # module for its rules, so it does not import them back (the `registry-below-services`
    # contract in pyproject.toml); tests/cases/test_registry_services.py holds each name to a
    # public service and its keywords.
    service: str
    inputs: Inputs
    form: type[forms.Form]
    serializer: type[serializers.Serializer[Any]]
    api_route: str  # the API method (its URL name is this with "-" for "_")
    api_path: str
    panel: str  # actions sharing a panel share its form (verify pass / fail)
    panel_title: Promise
    button: Promise
    done: Promise  # the flash message after success
    conditions: tuple[Condition, ...] = ()
    # Input the service refuses (InvalidInput naming the field) when missing or out of
    # range: a text, the photos, the days or rating, a unit serving the case's district.
    needs: tuple[str, ...] = ()
    danger: bool = False
    folded: bool = False  # rarer or destructive: the panel starts folded

    def run(self, case_id: int, actor: AnyUser | None, data: Mapping[str, Any]) -> Case:
        """Takes the action: calls its service with the cleaned input (the web view, the API
        view and tests/cases/test_parity.py all come through here)."""
        service = import_string(f"cases.services.{self.service}")
        done = service(case_id=case_id, actor=actor, **self.inputs(data))
        # case_request_extension answers the request it filed; the caller shows the case.
        return done.case if isinstance(done, ExtensionRequest) else done


def _photos(d: Mapping[str, Any]) -> list[Any]:
    # The web form's field is "photo", the API's "photos".
    return list(d.get("photos") or d.get("photo") or [])


ACTIONS: dict[str, ActionDef] = {a.action: a for a in (
    ActionDef(
        A.RESOLVE_ON_SPOT, frozenset({S.REPORTED}), S.CLOSED, (reporting_grid_worker,),
        "case_resolve_on_spot", lambda d: dict(note=d["note"], photos=_photos(d)),
        ResolveOnSpotForm, ResolveInputSerializer, "resolve_on_spot", "resolve-on-spot",
        "resolve_on_spot", gettext_lazy("Resolve on the spot"), gettext_lazy("Resolve and close"),
        gettext_lazy("Resolved on the spot and closed."), conditions=(SELF_RESOLVABLE,), needs=("photos",),
    ),
    ActionDef(
        A.ACCEPT, frozenset({S.REPORTED}), S.ACCEPTED, (centre,),
        "case_accept", lambda d: dict(note=d["note"]),
        NoteForm, NoteInputSerializer, "accept", "accept",
        "accept", gettext_lazy("Accept"), gettext_lazy("Accept"), gettext_lazy("Accepted."),
    ),
    ActionDef(
        A.DISPATCH, frozenset({S.ACCEPTED}), S.DISPATCHED, (centre,),
        "case_dispatch", lambda d: dict(unit=d.get("unit"), co_handlers=list(d.get("co_handlers") or []), note=d["note"]),
        # Not named `dispatch` in the API: that is APIView's request entry point.
        DispatchForm, DispatchInputSerializer, "dispatch_case", "dispatch",
        "dispatch", gettext_lazy("Dispatch"), gettext_lazy("Dispatch"), gettext_lazy("Dispatched."),
        needs=("unit",),
    ),
    ActionDef(
        A.REJECT, frozenset({S.REPORTED}), S.REJECTED, (centre,),
        "case_reject", lambda d: dict(reason=d["reason"], kind=d["kind"], duplicate_of=d.get("duplicate_of")),
        RejectForm, RejectInputSerializer, "reject", "reject",
        "reject", gettext_lazy("Reject"), gettext_lazy("Reject"), gettext_lazy("Rejected."),
        needs=("reason",), danger=True, folded=True,
    ),
    ActionDef(
        A.SIGN_FOR, frozenset({S.DISPATCHED}), S.IN_PROGRESS, (holding_unit,),
        "case_sign_for", lambda d: dict(),
        EmptyForm, NoteInputSerializer, "sign_for", "sign-for",
        "sign_for", gettext_lazy("Sign for"), gettext_lazy("Sign for"), gettext_lazy("Signed for."),
    ),
    ActionDef(
        A.REPORT_HANDLED, frozenset({S.IN_PROGRESS}), S.HANDLED, (holding_unit,),
        "case_report_handled", lambda d: dict(result=d["result"], photos=_photos(d)),
        HandledForm, HandledInputSerializer, "report_handled", "report-handled",
        "report_handled", gettext_lazy("Report handled"), gettext_lazy("Report handled"),
        gettext_lazy("Reported as handled."), needs=("result",),
    ),
    ActionDef(
        A.REPORT_PART, frozenset({S.DISPATCHED, S.IN_PROGRESS}), None, (co_handling_unit,),
        "case_report_part", lambda d: dict(result=d["result"]),
        PartForm, ResultInputSerializer, "report_part", "report-part",
        "report_part", gettext_lazy("Report your unit's part"), gettext_lazy("Report our part"),
        gettext_lazy("Your unit's part is reported."), conditions=(PART_OPEN,),
        needs=("result",),
    ),
    ActionDef(
        A.RETURN, frozenset({S.DISPATCHED, S.IN_PROGRESS}), S.ACCEPTED, (holding_unit,),
        "case_return", lambda d: dict(reason=d["reason"]),
        ReasonForm, ReasonInputSerializer, "return_", "return",
        "return", gettext_lazy("Return"), gettext_lazy("Return to centre"), gettext_lazy("Returned to the centre."),
        needs=("reason",), danger=True, folded=True,
    ),
    ActionDef(
        A.VERIFY_PASS, frozenset({S.HANDLED}), S.CLOSED, (centre, cell_grid_worker),
        # The API's one verify route says pass or fail in `passed`; the web has a button each.
        "case_verify", lambda d: dict(passed=d.get("passed", True), note=d["note"], photos=_photos(d)),
        VerifyForm, VerifyInputSerializer, "verify", "verify",
        "verify", gettext_lazy("Verify"), gettext_lazy("Pass: close"), gettext_lazy("Verified and closed."),
    ),
    ActionDef(
        A.VERIFY_FAIL, frozenset({S.HANDLED}), S.IN_PROGRESS, (centre, cell_grid_worker),
        "case_verify", lambda d: dict(passed=d.get("passed", False), note=d["note"], photos=_photos(d)),
        VerifyFailForm, VerifyInputSerializer, "verify", "verify",
        "verify", gettext_lazy("Verify"), gettext_lazy("Fail: rework"), gettext_lazy("Sent back for rework."),
        needs=("note",), danger=True,
    ),
    ActionDef(
        A.APPROVE_EXTENSION, frozenset({S.DISPATCHED, S.IN_PROGRESS}), None, (centre,),
        "case_decide_extension", lambda d: dict(approve=True, note=d["note"], pause_clock=bool(d.get("pause_clock"))),
        ExtensionDecisionForm, ApproveExtensionInputSerializer, "approve_extension", "approve-extension",
        "extension_decision", gettext_lazy("Extension request"), gettext_lazy("Approve"),
        gettext_lazy("Extension approved."), conditions=(PENDING_EXTENSION,),
    ),
    ActionDef(
        A.DENY_EXTENSION, frozenset({S.DISPATCHED, S.IN_PROGRESS}), None, (centre,),
        "case_decide_extension", lambda d: dict(approve=False, note=d["note"]),
        ExtensionDecisionForm, NoteInputSerializer, "deny_extension", "deny-extension",
        "extension_decision", gettext_lazy("Extension request"), gettext_lazy("Deny"),
        gettext_lazy("Extension denied."), conditions=(PENDING_EXTENSION,), needs=("note",), danger=True,
    ),
    ActionDef(
        A.REQUEST_EXTENSION, frozenset({S.DISPATCHED, S.IN_PROGRESS}), None, (holding_unit,),
        "case_request_extension", lambda d: dict(days=d["days"], reason=d["reason"]),
        ExtensionForm, ExtensionInputSerializer, "request_extension", "request-extension",
        "request_extension", gettext_lazy("Request extension"), gettext_lazy("Request extension"),
        gettext_lazy("Extension requested."), conditions=(NO_PENDING_EXTENSION,), needs=("reason", "days"),
        folded=True,
    ),
    ActionDef(
        A.ESCALATE, frozenset({S.REPORTED, S.ACCEPTED}), None, (centre,),
        "case_escalate", lambda d: dict(note=d["note"]),
        NoteForm, NoteInputSerializer, "escalate", "escalate",
        "escalate", gettext_lazy("Escalate"), gettext_lazy("Escalate to the next centre"),
        gettext_lazy("Escalated to the next centre."), conditions=(HAS_UPPER_CENTRE,), folded=True,
    ),
    ActionDef(
        A.REASSIGN, frozenset({S.DISPATCHED, S.IN_PROGRESS}), S.DISPATCHED, (centre,),
        "case_reassign", lambda d: dict(unit=d["unit"], reason=d["reason"]),
        ReassignForm, ReassignInputSerializer, "reassign", "reassign",
        "reassign", gettext_lazy("Reassign"), gettext_lazy("Reassign"), gettext_lazy("Reassigned."),
        needs=("reason", "unit"), danger=True, folded=True,
    ),
    ActionDef(
        A.URGE, frozenset({S.DISPATCHED, S.IN_PROGRESS}), None, (area_supervisor,),
        "case_urge", lambda d: dict(note=d["note"]),
        RequiredNoteForm, NoteInputSerializer, "urge", "urge",
        "urge", gettext_lazy("Urge the unit"), gettext_lazy("Urge"), gettext_lazy("The unit has been urged."),
        conditions=(NOT_URGED_FOR_DEADLINE,), needs=("note",),
    ),
    ActionDef(
        A.EVALUATE, frozenset({S.CLOSED}), None, (centre, reporter),
        "case_evaluate", lambda d: dict(satisfaction=d["satisfaction"], comment=d["comment"]),
        EvaluateForm, EvaluateInputSerializer, "evaluate", "evaluate",
        "evaluate", gettext_lazy("Evaluate"), gettext_lazy("Submit evaluation"),
        gettext_lazy("Thank you for the evaluation."), conditions=(NOT_EVALUATED,), needs=("satisfaction",),
    ),
    ActionDef(
        A.REOPEN, frozenset({S.CLOSED}), S.ACCEPTED, (centre,),
        "case_reopen", lambda d: dict(reason=d["reason"]),
        ReasonForm, ReasonInputSerializer, "reopen", "reopen",
        "reopen", gettext_lazy("Reopen"), gettext_lazy("Reopen"), gettext_lazy("Reopened."),
        conditions=(WITHIN_REOPEN_WINDOW,), needs=("reason",), danger=True, folded=True,
    ),
)}

# Actions only the system takes (the deadline job's 督办 row): a status rule, no person.
SYSTEM_ONLY: dict[str, frozenset[str]] = {A.SUPERVISE: frozenset({S.DISPATCHED, S.IN_PROGRESS})}

# The panels of the case page, in the order they appear.
PANELS: tuple[str, ...] = tuple(dict.fromkeys(a.panel for a in ACTIONS.values()))


def sources(action: str) -> frozenset[str]:
    return ACTIONS[action].sources if action in ACTIONS else SYSTEM_ONLY[action]


def target(action: str) -> str | None:
    return ACTIONS[action].target if action in ACTIONS else None


def _attempt(user: AnyUser | None, case: Case, at: dt.datetime | None) -> Attempt:
    return Attempt(case, user, roles_of(user), at or timezone.now())


def _role(spec: ActionDef, t: Attempt) -> str | None:
    if t.user is None:
        return "system"
    for actor in spec.actors:
        role = actor(t)
        if role is not None:
            return role
    return "administrator" if t.roles.is_admin else None


def available_actions(user: AnyUser | None, case: Case, *, at: dt.datetime | None = None,
                      among: Collection[str] | None = None) -> list[str]:
    """What the user may do now: the status allows it, their role and scope do, and every
    condition holds, so nothing offered leads to a sure refusal. The one answer for the
    case page, the queues, the API's allowed_actions and the 409 message. `among` narrows
    the question (a queue row asks only about its quick action, without the queries the
    other actions' conditions make)."""
    t = _attempt(user, case, at)
    return [
        spec.action
        for spec in ACTIONS.values()
        if (among is None or spec.action in among) and case.status in spec.sources
        and _role(spec, t) is not None and all(c.holds(t) for c in spec.conditions)
    ]


def check(case: Case, action: str, user: AnyUser | None, *, at: dt.datetime | None = None) -> str:
    """The services' gate, under the case's row lock: the status allows the action (else
    InvalidTransition, 409, naming what the user may do instead), the user may take it
    (NotPermitted, 403), and its conditions hold (each its own refusal). Returns the role."""
    t = _attempt(user, case, at)
    if case.status not in sources(action):
        raise InvalidTransition(
            _("“%(action)s” is not possible: the case is %(status)s.")
            % {"action": CaseEvent.Action(action).label, "status": Case.Status(case.status).label},
            status=case.status,
            allowed_actions=available_actions(user, case, at=t.at),
        )
    if action not in ACTIONS:
        if user is not None:
            raise NotPermitted(_("You may not take the action “%(action)s” on this case.") % {"action": CaseEvent.Action(action).label})
        return "system"
    spec = ACTIONS[action]
    role = _role(spec, t)
    if role is None:
        raise NotPermitted(_("You may not take the action “%(action)s” on this case.") % {"action": CaseEvent.Action(action).label})
    for condition in spec.conditions:
        if not condition.holds(t):
            raise condition.refusal(t)
    return role


def api_routes() -> dict[str, ActionDef]:
    """One API route per method name; verify pass and fail share `verify`."""
    routes: dict[str, ActionDef] = {}
    for spec in ACTIONS.values():
        routes.setdefault(spec.api_route, spec)
    return routes
