"""The report in a real browser: headless Chromium (Debian's chromium + chromium-driver) via selenium.

Checks what a reader meets: every image loads, no console errors, every in-page link (table of
contents, cross-references) resolves, and an axe-core scan finds no serious or critical
accessibility violation. Skipped, with the reason, where the browser is not installed (.ci/run
installs it with apt-get).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Debian packages chromium and chromium-driver are not installed (.ci/run installs them)",
)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    # A 9 MB page and an axe scan of its DOM can take minutes on a loaded 2-core machine.
    drv.command_executor.client_config.timeout = 900
    drv.set_page_load_timeout(600)
    drv.set_script_timeout(600)
    yield drv
    drv.quit()


def _editions(built: Path) -> list[Path]:
    return sorted(p for p in (built / "reports").glob("*.html"))


def test_report_in_chromium(built, driver):
    from axe_selenium_python import Axe

    pages = _editions(built)
    assert pages, "no report HTML built"
    for page in pages:
        driver.get(page.as_uri())
        n_images = driver.execute_script("return document.images.length")
        broken = driver.execute_script(
            "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).length"
        )
        assert n_images > 0 and broken == 0, (page.name, n_images, broken)
        unresolved = driver.execute_script(
            "return Array.from(document.querySelectorAll('a[href^=\"#\"]'))"
            ".map(a => a.getAttribute('href').slice(1)).filter(id => !document.getElementById(id))"
        )
        assert unresolved == [], (page.name, unresolved[:10])
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], (page.name, errors[:5])
        axe = Axe(driver)
        axe.inject()
        result = axe.run()
        bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
        assert bad == [], (page.name, [(v["id"], v["impact"], len(v["nodes"])) for v in bad])
