"""manage.py demo_accounts: who to log in as in the demo, and with which password."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo.people import BACKGROUND_PREFIX, account_rows, reset_passwords


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "Prints the demo accounts of load_demo_city: username, role, scope and password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="set the demo password on every demo account again (to be changed at the next sign-in)")

    def handle(self, *args: Any, reset: bool, **options: Any) -> None:
        if reset:
            self.stdout.write(f"Reset the password of {reset_passwords()} demo accounts.")
        rows = account_rows()
        if not rows:
            self.stdout.write("No demo accounts: run manage.py load_demo_city first.")
            return
        header = ("username", "role", "scope", "password")
        widths = [max(_width(r[i]) for r in (header, *rows)) for i in range(len(header))]
        for i, row in enumerate((header, *rows)):
            self.stdout.write("  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
            if i == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write(
            "\nThe first sign-in with the demo password asks for a new one (the demo password is public); "
            "administrators and supervisors also set up an authenticator app (TOTP) then. "
            "--reset sets the demo password again, to be changed again."
        )
        self.stdout.write(
            f"\nEvery grid cell and department unit also has a background account ({BACKGROUND_PREFIX}…) "
            "that cannot log in; it only names the people in the case history."
        )
