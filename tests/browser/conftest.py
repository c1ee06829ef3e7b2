"""The browser every browser test drives: Debian's chromium through Playwright."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from PIL import Image

from tests.browser.helpers import CHROMIUM

# Playwright's sync API runs an event loop in this thread; Django's ORM (fixtures, the
# assertions below) would otherwise refuse to run next to it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            # While Playwright's loop runs, asyncio counts this thread as async, so Django
            # keeps the test's ORM connection in a context variable that its own teardown
            # never sees: close it here, or dropping the test database finds it open.
            connections.close_all()
            browser.close()


@pytest.fixture
def photo_file(tmp_path: Path) -> Path:
    """A small real JPEG to choose in a file input."""
    path = tmp_path / "scene.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 60)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path
