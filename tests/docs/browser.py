"""Headless Chromium (Debian's `chromium` + `chromedriver`) driven by Selenium, with its logs.

`open_browser()` yields a driver whose console messages and network events can be read per page:
`page_report(driver, url)` loads `url` and returns the console errors and the requests it made.
"""

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)


def require_chromium():
    """Skip with the install command when Chromium is missing; in CI (CI=true) fail instead."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(path)]
    if not missing:
        return
    message = (
        f"{', '.join(missing)} not found: install with `apt-get install chromium chromium-driver`"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def open_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="keraseq-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class PageReport:
    console_errors: list = field(default_factory=list)
    requests: list = field(default_factory=list)  # every URL the page requested
    failures: list = field(default_factory=list)  # "URL: reason" for failed or >= 400 responses


BROWSER_PAGES = ("chrome://", "chrome-untrusted://", "devtools://")  # Chromium's, not the site


def page_report(driver, url, ready_script="return document.readyState === 'complete'"):
    """Load `url`, wait until `ready_script` is true, and collect what the page logged."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser"), driver.get_log("performance")  # drop the previous page's entries
    driver.get(url)
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(ready_script))
    report = PageReport()
    report.console_errors = [
        e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
    ]
    urls = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
            report.requests.append(params["request"]["url"])
        elif (
            message["method"] == "Network.loadingFailed"
            and params["requestId"] in urls
            and not urls[params["requestId"]].startswith(BROWSER_PAGES)
        ):
            # (a failure of a request this page did not make belongs to the browser's start-up,
            # e.g. its new-tab page's "chrome-untrusted://new-tab-page/...: net::ERR_ABORTED")
            report.failures.append(f"{urls[params['requestId']]}: {params.get('errorText')}")
        elif (
            message["method"] == "Network.responseReceived" and params["response"]["status"] >= 400
        ):
            report.failures.append(
                f"{params['response']['url']}: HTTP {params['response']['status']}"
            )
    return report
