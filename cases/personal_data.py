"""Reporters' personal data (DOMAIN §8, MLPS personal-information protection): checking,
masking, and who may see it unmasked.

Name, phone and ID number are stored encrypted (Case.reporter_*, django-fernet-encrypted-
fields); every page, API answer, export and log line shows them masked; the few roles that
need to call a reporter back reveal them one case at a time, and each reveal is audited
(cases.services.reveal_contact).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEntry
from cases.errors import InvalidInput, NotPermitted
from cases.permissions import is_handling_centre, roles_of

if TYPE_CHECKING:
    from django.http import HttpRequest

    from cases.models import Case
    from cases.permissions import AnyUser

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")
_ID_NUMBER = re.compile(r"\d{17}[\dX]")
# GB 11643-1999: the 18th character is a checksum over the first 17 digits.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"



def normalize_phone(value: str) -> str:
    """Digits only, without +86; a mobile (11 digits) or a landline with its area code."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not digits:
        return ""
    if not (_MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits)):
        raise InvalidInput(
            _("Enter a mobile number (11 digits) or a landline with its area code."), field="reporter_phone"
        )
    return digits


def normalize_id_number(value: str) -> str:
    """An 18-character resident ID number with a valid check character (GB 11643)."""
    number = re.sub(r"\s", "", value or "").upper()
    if not number:
        return ""
    if not _ID_NUMBER.fullmatch(number):
        raise InvalidInput(_("An ID number has 17 digits and a last digit or X."), field="reporter_id_number")
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        raise InvalidInput(_("This ID number's check digit is wrong: please check it."), field="reporter_id_number")
    return number


def mask_phone(phone: str) -> str:
    """138****5678; a landline keeps its area code and last four digits."""
    if not phone:
        return ""
    if len(phone) == 11 and phone.startswith("1"):
        return f"{phone[:3]}****{phone[-4:]}"
    return phone[:4] + "*" * max(len(phone) - 8, 1) + phone[-4:]


def mask_id_number(number: str) -> str:
    """3202**********1234: region of issue and the last four, never the birth date."""
    if not number:
        return ""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    """张*, 欧阳**: the surname's first character only."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    id_number: str

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.phone or self.id_number)

    def masked(self) -> Contact:
        return Contact(mask_name(self.name), mask_phone(self.phone), mask_id_number(self.id_number))


def contact_of(case: Case) -> Contact:
    return Contact(case.reporter_name or "", case.reporter_phone or "", case.reporter_id_number or "")


def reveal_contact(*, user: AnyUser, case: Case, request: HttpRequest | None = None) -> Contact:
    """The contact in full for someone who needs it (NotPermitted otherwise), with an
    unmasked_view entry on the audit trail naming the case and the fields shown, never
    their values."""
    if not may_reveal_contact(user, case):
        raise NotPermitted(_("Your role sees the reporter's contact masked."))
    contact = contact_of(case)
    shown = [name for name, value in (("name", contact.name), ("phone", contact.phone),
                                      ("id_number", contact.id_number)) if value]
    audit.record(AuditEntry.Kind.UNMASKED_VIEW, actor=user, target=case,
                 detail={"case_number": case.number, "fields": shown}, request=request)
    return contact


def may_reveal_contact(user: AnyUser, case: Case) -> bool:
    """Who needs to call the reporter back: the centre that handles the case (or one above
    it, which may act on it), staff of the unit it is dispatched to, the person who filed
    it, and administrators. Supervisors, co-handlers and grid workers of the cell see the
    masked form only."""
    if not user.is_authenticated:
        return False
    roles = roles_of(user)
    return (
        roles.is_admin
        or case.reporter_id == user.pk
        or (case.unit_id is not None and case.unit_id in roles.unit_ids)
        or is_handling_centre(roles, case)
    )
