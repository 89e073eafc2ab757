"""The built site in a real browser: every page loads offline, its math renders, its images load,
its code is highlighted and its lines keep their shape at 1280 px.

Runs once, under KERAS_BACKEND=jax (the backend the published site is built with): it builds the
site in quick mode into a temporary folder, serves it from 127.0.0.1 and opens every page of the
nav in headless Chromium.
"""

import re
import sys
import urllib.request
from pathlib import Path

import keras
import pytest
from browser import open_browser, page_report, require_chromium
from site_build import ROOT, build, nav_pages, serve

sys.path.insert(0, str(ROOT / "docs_hooks"))
from home_figure import FIGURE  # noqa: E402

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
# Every <pre> of the page: its class chain, white-space, widths, and whether it has coloured tokens.
PRE_BLOCKS = """
return [...document.querySelectorAll('.md-content pre')].map(p => ({
  where: p.parentElement.className,
  whiteSpace: getComputedStyle(p).whiteSpace,
  overflowX: getComputedStyle(p).overflowX,
  scrollWidth: p.scrollWidth,
  clientWidth: p.clientWidth,
  tokens: p.querySelectorAll('span[class]').length,
}));
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

    blocks = driver.execute_script(PRE_BLOCKS)
    # No line wraps, let alone mid-word: a long one scrolls sideways (the window is 1280 px wide).
    assert [b for b in blocks if b["whiteSpace"] != "pre"] == [], "blocks that wrap their lines"
    too_wide = [b for b in blocks if b["scrollWidth"] > b["clientWidth"]]
    assert [b for b in too_wide if b["overflowX"] not in ("auto", "scroll")] == []
    # The code cells (100 characters a line at most, ruff) fit the content column.
    cells = [b for b in blocks if "highlight-ipynb" in b["where"]]
    assert [b for b in cells if b["scrollWidth"] > b["clientWidth"]] == [], "code cells too wide"
    assert [b for b in cells if b["tokens"] == 0] == [], "code cells not highlighted"
    # Sources shown by keraseq.tutorial.show_source: highlighted Python in the cell's output.
    shown = [b for b in blocks if "highlight" in b["where"].split()]
    assert len([b for b in shown if b["tokens"] > 0]) >= source(page).count("show_source(")


def test_home_page_shows_the_evolution_figure(site):
    url, driver = site
    page_report(driver, url + "index.html")
    figure = driver.execute_script(
        f"const i = document.querySelector('.md-content img[src$=\"{FIGURE}\"]');"
        "return i && [i.naturalWidth, i.alt];"
    )
    assert figure, f"no {FIGURE} on the home page"
    width, alt = figure
    assert width > 0 and alt.startswith("The evolution measured")


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
