"""Log output never carries a reporter's phone or ID number (MLPS personal-information
protection): the formatter masks anything shaped like one in the finished line, the
traceback included, whatever code logged it."""

from __future__ import annotations

import logging
import re

_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{4})\d{10}(\d{3}[\dXx])(?![\dA-Za-z])")


def mask_text(text: str) -> str:
    """Masks every mobile number (138****5678) and resident ID number (3202**********1234)
    inside free text."""
    text = _ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), text)
    return _MOBILE_IN_TEXT.sub(r"\1****\2", text)


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))
