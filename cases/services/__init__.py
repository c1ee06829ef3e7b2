"""The case services: every write of the workflow, one function each (DOMAIN §3).

Callers write `from cases import services; services.case_accept(...)`; this is the package's
API. Its modules: `transitions` (the moves of the action registry, cases.workflow), `filing`
(a new report and its checks; `filing_sql`, the one statement that writes it), `deadlines`
(the beat jobs' overdue escalation and warnings) and `notifications` (who is told what).
"""

from __future__ import annotations

from cases.services.deadlines import cases_escalate_overdue, cases_warn_near_deadline
from cases.services.filing import case_report, case_report_or_replay
from cases.services.notifications import (
    notification_mark_read,
    notifications_mark_all_read,
    notifications_muted,
    notify_next_actors,
)
from cases.services.transitions import (
    case_accept,
    case_decide_extension,
    case_dispatch,
    case_escalate,
    case_evaluate,
    case_reassign,
    case_reject,
    case_reopen,
    case_report_handled,
    case_report_part,
    case_request_extension,
    case_resolve_on_spot,
    case_return,
    case_sign_for,
    case_urge,
    case_verify,
)

__all__ = [
    "case_accept",
    "case_decide_extension",
    "case_dispatch",
    "case_escalate",
    "case_evaluate",
    "case_reassign",
    "case_reject",
    "case_reopen",
    "case_report",
    "case_report_handled",
    "case_report_or_replay",
    "case_report_part",
    "case_request_extension",
    "case_resolve_on_spot",
    "case_return",
    "case_sign_for",
    "case_urge",
    "case_verify",
    "cases_escalate_overdue",
    "cases_warn_near_deadline",
    "notification_mark_read",
    "notifications_mark_all_read",
    "notifications_muted",
    "notify_next_actors",
]
