"""Takes the README's screenshots from a running wangge with the demo city loaded.

    .venv/bin/python scripts/readme_screenshots.py [--base http://127.0.0.1:8000]

Drives Debian's chromium through Playwright; writes docs/screenshots/*.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "wangge-demo-2026"


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = desktop.new_page()
        login(page, args.base, "supervisor_city")
        page.goto(f"{args.base}/supervisor/map/")
        page.wait_for_timeout(2500)
        page.screenshot(path=OUT / "supervisor-map.png")
        desktop.close()

        centre = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = centre.new_page()
        login(page, args.base, "centre_district")
        page.goto(f"{args.base}/centre/queue/")
        page.screenshot(path=OUT / "centre-queue.png")
        link = page.locator("main a[href*='/cases/']").first
        link.click()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(800)
        page.screenshot(path=OUT / "case-page.png", full_page=True)
        centre.close()

        phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", device_scale_factor=2)
        page = phone.new_page()
        login(page, args.base, "gw_liangxi")
        page.goto(f"{args.base}/cases/report/")
        page.wait_for_timeout(1500)
        page.screenshot(path=OUT / "grid-worker-report.png")
        phone.close()
        browser.close()


if __name__ == "__main__":
    main()
