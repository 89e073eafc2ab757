"""The built site in a real browser: every page loads offline, its math renders, its images load.

Runs once, under KERAS_BACKEND=jax (the backend the published site is built with): it builds the
site in quick mode into a temporary folder, serves it from 127.0.0.1 and opens every page of the
nav in headless Chromium.
"""

import re
import urllib.request
from pathlib import Path

import keras
import pytest
from browser import open_browser, page_report, require_chromium
from site_build import ROOT, build, nav_pages, serve

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="the site is built and browsed once, under KERAS_BACKEND=jax",
)

PAGES = nav_pages()
# Text left in the page outside code and rendered math: any of these is an unrendered formula.
RAW_MATH = ("$", "\\(", "\\)", "\\[", "\\]", "\\begin{")
# What nbconvert writes for an image that has no alternative text of its own.
NO_ALT = "No description has been provided for this image"
VISIBLE_TEXT = """
const body = document.querySelector('.md-content').cloneNode(true);
body.querySelectorAll('pre, code, script, style, .katex, .clipboard-copy-txt')
    .forEach(e => e.remove());
return body.textContent;
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("site")
    seconds = build(folder)
    print(f"quick build: {seconds:.0f} s")
    with serve(folder) as url, open_browser() as driver:
        yield url, driver


def html_name(page):
    return Path(page).with_suffix(".html").name


def source(page):
    return (ROOT / "tutorials" / page).read_text(encoding="utf-8")


def has_math(page):
    """Whether the page's text (code removed) has a $ formula, or the page includes docstrings."""
    prose = re.sub(r"```.*?```|`[^`\n]*`", "", source(page), flags=re.DOTALL)
    if page.endswith(".py"):  # a notebook: only the markdown cells, the "# " lines
        prose = "\n".join(line for line in prose.splitlines() if line.startswith("# "))
    return "$" in prose or ":::" in prose


@pytest.mark.parametrize("page", PAGES)
def test_page(site, page):
    url, driver = site
    report = page_report(driver, url + html_name(page))
    assert report.console_errors == []
    assert report.failures == []
    network = [r for r in report.requests if r.startswith(("http:", "https:", "ws:", "wss:"))]
    off_site = [r for r in network if not r.startswith(url)]  # (chrome:// and data: stay local)
    assert off_site == [], "requests that leave the site"

    katex = driver.execute_script("return document.querySelectorAll('.md-content .katex').length")
    unrendered = driver.execute_script(
        "return [...document.querySelectorAll('.arithmatex')].filter(e => "
        "!e.querySelector('.katex')).length"
    )
    errors = driver.execute_script("return document.querySelectorAll('.katex-error').length")
    assert (unrendered, errors) == (0, 0), "formulas KaTeX did not render"
    text = driver.execute_script(VISIBLE_TEXT)
    assert [m for m in RAW_MATH if m in text] == [], "raw TeX left in the page"
    if has_math(page):
        assert katex > 0, "the page has math but no KaTeX element"

    images = driver.execute_script(
        "return [...document.querySelectorAll('.md-content img')]"
        ".map(i => [i.src, i.complete && i.naturalWidth, i.alt])"
    )
    assert [src for src, width, _ in images if not width] == [], "images that did not load"
    assert [src[:80] for src, _, alt in images if not alt or alt == NO_ALT] == [], "no alt text"
    stderr = driver.execute_script(
        "return [...document.querySelectorAll('[data-mime-type$=\"jupyter.stderr\"]')]"
        ".map(e => e.textContent)"
    )
    assert stderr == [], "warnings or logs of the build in the page"
    page_source = driver.page_source
    assert str(ROOT) not in page_source and "site-packages" not in page_source, "a build path"
    code_blocks = driver.execute_script(
        "return document.querySelectorAll('.md-content pre').length"
    )
    if page.endswith(".py"):  # an executed notebook: code, outputs, figures
        assert code_blocks > 0 and len(images) > 0
    if "```" in source(page) or ":::" in source(page):
        assert code_blocks > 0


@pytest.mark.parametrize("page", [p for p in PAGES if p.endswith(".py")])
def test_notebook_download(site, page):
    url, driver = site
    page_report(driver, url + html_name(page))
    link = driver.execute_script(
        f"return document.querySelector('a[download][href$=\"{page}\"]')?.href"
    )
    assert link, "no download link to the notebook source"
    with urllib.request.urlopen(link) as response:
        assert response.read().decode() == source(page)


def test_search_finds_lstm(site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, driver = site
    page_report(driver, url + "index.html")
    search = driver.find_element(By.CSS_SELECTOR, "input.md-search__input")
    search.click()
    search.send_keys("LSTM")
    results = WebDriverWait(driver, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".md-search-result__item")
    )
    titles = " ".join(r.text for r in results)
    assert "LSTM" in titles
