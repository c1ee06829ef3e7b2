"""zh-hans is the default language: every message in the catalogue is translated, none is
a fuzzy guess, and placeholders survive translation."""

from __future__ import annotations

import re
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%\(\w+\)\.\d+f|\{\w*\}")


def entries() -> list[tuple[str, str, str]]:
    """(flags, msgid, msgstr) for each entry but the header."""
    found = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        msgid = "".join(re.findall(r'^(?:msgid|msgid_plural)? ?"(.*)"$', block.split("msgstr")[0], re.M))
        msgstr = "".join(re.findall(r'"(.*)"$', "msgstr".join(block.split("msgstr")[1:]), re.M))
        if msgid:
            found.append((flags, msgid, msgstr))
    return found


def test_catalogue_is_complete_and_not_fuzzy():
    rows = entries()
    assert len(rows) > 300
    assert [m for f, m, _ in rows if "fuzzy" in f] == []
    assert [m for _, m, t in rows if not t] == []


def test_placeholders_survive_translation():
    for _, msgid, msgstr in entries():
        # Sets: a plural entry repeats its placeholders in the singular and plural msgids.
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(msgstr)), msgid
