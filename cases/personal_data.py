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

from access.errors import InvalidInput, NotPermitted
from access.roles import roles_of
from audit import services as audit
from audit.models import AuditEntry
from cases.permissions import is_handling_centre

if TYPE_CHECKING:
    from django.http import HttpRequest

    from access.roles import AnyUser
    from cases.models import Case

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
    """138****5678; a landline keeps its area code and at most its last four digits, hiding
    at least four as a mobile's mask does: 0510****1234, 010****567 (a 7-digit number)."""
    if not phone:
        return ""
    if len(phone) == 11 and phone.startswith("1"):
        return f"{phone[:3]}****{phone[-4:]}"
    # Area codes: 010 and 02x have three digits with the 0, every other one four (0510).
    area = 3 if phone[1:2] in ("1", "2") else 4
    shown = max(min(4, len(phone) - area - 4), 0)
    return phone[:area] + "*" * (len(phone) - area - shown) + phone[len(phone) - shown:]


# Phone and ID numbers inside free text, as people type them: an ID number (18 characters,
# perhaps grouped 6-8-4), a mobile (perhaps after +86, grouped 3-4-4), a landline with its area
# code (perhaps in brackets or before a hyphen); in ASCII or full-width digits (Chinese input
# methods type both). Never inside a longer run of digits, so grid codes (15 digits), case
# numbers and order numbers are left alone. One alternation: each text is scanned once (the
# case list masks 50 descriptions a page).
_D = "[0-9\uff10-\uff19]"
_IN_TEXT = re.compile(
    rf"(?<!{_D})(?:"
    rf"(?P<id>{_D}{{6}} ?{_D}{{8}} ?{_D}{{3}}[0-9\uff10-\uff19Xx\uff38\uff58])"
    rf"|(?P<mobile>(?:(?:\+|00)86[-\s]?)?[1\uff11][3-9\uff13-\uff19]{_D}(?:[-\s]?{_D}{{4}}){{2}})"
    rf"|(?P<landline>(?:\([0\uff10]{_D}{{2,3}}\)\s?|[0\uff10]{_D}{{2,3}}[-\s]?){_D}{{7,8}})"
    rf")(?!{_D})"
)
# Full-width digits and X to ASCII, and everything else in a match (spaces, +, -, brackets) out.
_TO_ASCII = {**{0xFF10 + n: str(n) for n in range(10)}, 0xFF38: "X", 0xFF58: "X", ord("x"): "X"}


def _mask_match(match: re.Match[str]) -> str:
    typed = match.group().translate(_TO_ASCII)
    digits = "".join(ch for ch in typed if ch in "0123456789X")
    if match.lastgroup == "id":
        return mask_id_number(digits)
    if match.lastgroup == "mobile":
        return mask_phone(digits[-11:])
    return mask_phone(digits)


def mask_numbers_in_text(text: str) -> str:
    """Every phone and ID number in a free text (a description, a timeline note) masked as
    the contact's own fields are; the rest as typed."""
    return _IN_TEXT.sub(_mask_match, text) if text else text


def free_text_for(user: AnyUser, case: Case, text: str) -> str:
    """A case's free text for this viewer: as typed for those who may reveal the reporter's
    contact (they call back anyway), with phone and ID numbers masked for everyone else. The
    stored text is never changed. No query: roles_of reads once per request."""
    if not text or may_reveal_contact(user, case):
        return text
    return mask_numbers_in_text(text)


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
