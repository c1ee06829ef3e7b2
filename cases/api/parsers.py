"""The API's JSON parser (settings.REST_FRAMEWORK's only JSON parser): DRF's, refusing with
a 400 what PostgreSQL or the interpreter would otherwise turn into a 500.

- Nesting: Python's decoder recurses once per level, so a body of 100,000 `[` raised
  RecursionError. No request of ours nests more than a few levels (GeoJSON, the deepest
  format we might take, needs seven); deeper is refused.
- NUL: PostgreSQL text cannot hold U+0000, and a JSON string may spell it `\\u0000`; any
  string, key or value, holding one is refused here (a 400 naming the field) rather than
  by each field. So is a lone surrogate (`\\ud800`), which no UTF-8 text can hold.
- Numbers: `1e999` decodes to infinity, which no field of ours means; NaN and Infinity
  literals are refused as DRF's strict mode does."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from access.errors import InvalidInput

MAX_JSON_DEPTH = 32
# NUL, and the halves of a UTF-16 surrogate pair, which JSON may spell alone (`\\ud800`) but
# no UTF-8 text, PostgreSQL's or a response's, can hold: they were a 500 in the encoder.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class _NotFinite(ValueError):
    pass


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value


def _refuse_constant(text: str) -> None:
    raise _NotFinite(text)


def check_json_value(value: Any, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raises ParseError for a decoded JSON value nested deeper than max_depth, and
    InvalidInput naming the field for a NUL in any string (key or value). Walks with its
    own stack: the value may be as deep as the decoder allowed, deeper than a recursive
    walk could go."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                field = path or "body"
                if "\x00" in item:
                    message = _("Text in the request may not contain NUL characters (\\u0000): %(field)s.")
                else:
                    message = _("Text in the request may not contain lone surrogates (\\ud800-\\udfff), which are "
                                "not characters: %(field)s.")
                raise InvalidInput(message % {"field": field}, field=field)
            continue
        if not isinstance(item, (list, dict)):
            continue
        if depth > max_depth:
            raise ParseError(_("The JSON body is nested deeper than %(max)d levels.") % {"max": max_depth})
        if isinstance(item, dict):
            for key, child in item.items():
                # The key is pushed last, so checked before anything under it: a key with
                # a NUL is named by where it sits, never quoted into a path.
                stack.append((child, depth + 1, f"{path}.{key}" if path else str(key)))
                stack.append((key, depth, path))
        else:
            stack.extend((child, depth + 1, f"{path}[{i}]") for i, child in enumerate(item))


class StrictJSONParser(JSONParser):
    def parse(self, stream: IO[Any], media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        # DRF hands JSON parsers request.body, which Django already held to
        # DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig: a 413 in cases.api.errors).
        encoding = str((parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET)
        try:
            # Text codecs only: "bz2_codec" and the like would decompress the body after
            # Django checked its size (str.encode refuses those, as DRF's own parser does).
            "".encode(encoding)
        except (LookupError, UnicodeError):
            raise ParseError(_("The request body is not valid %(encoding)s text.") % {"encoding": encoding[:40]}) from None
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(_("The request body is not valid %(encoding)s text.") % {"encoding": encoding[:40]}) from None
        try:
            value = json.loads(text, parse_float=_finite, parse_constant=_refuse_constant)
        except _NotFinite as error:
            raise ParseError(
                _("Numbers must be finite: %(number)s is out of range.") % {"number": str(error)[:40]}
            ) from None
        except RecursionError:
            raise ParseError(
                _("The JSON body is nested deeper than %(max)d levels.") % {"max": MAX_JSON_DEPTH}
            ) from None
        except ValueError as error:
            # Python's own words say where the body broke (line, column); they name no data.
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": error}) from None
        check_json_value(value)
        return value
