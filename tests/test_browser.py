"""End to end in a real browser: Streamlit serves app.py on localhost, headless Chromium uses it.

Skipped (with the reason) where Debian's chromium or the playwright package is missing;
`.ci/run` installs chromium, so CI runs it. Screenshots go to tests/artifacts/ for a person.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The map is an ECharts canvas: it is drawn when the canvas holds coloured pixels (the frame shown
# while the map is computed holds none). `MAP_DOT` finds one dot, left of the legend, to click.
_COLOURED_PIXELS = """(canvas, right) => {
  const scale = canvas.width / canvas.clientWidth, width = Math.floor(canvas.width - right * scale);
  if (!canvas.width || !canvas.height || width <= 0) return [];
  const data = canvas.getContext('2d').getImageData(0, 0, width, canvas.height).data, found = [];
  for (let i = 0; i < data.length; i += 16) {
    const rgb = [data[i], data[i + 1], data[i + 2]];  // a colour, not white, grey or black
    if (data[i + 3] > 200 && Math.max(...rgb) - Math.min(...rgb) > 60) {
      const pixel = i / 4;
      found.push([(pixel % width) / scale, Math.floor(pixel / width) / scale]);
    }
  }
  return found;
}"""
MAP_DRAWN = f"""() => Array.from(document.querySelectorAll('[data-testid="stEChartsChart"] canvas'))
  .some(canvas => ({_COLOURED_PIXELS})(canvas, 0).length > 20)"""
MAP_DOT = f"""() => {{
  const canvas = document.querySelector('[data-testid="stEChartsChart"] canvas');
  const found = ({_COLOURED_PIXELS})(canvas, 280), box = canvas.getBoundingClientRect();
  return found.length ? [box.left + found[0][0] + 3, box.top + found[0][1] + 3] : null;
}}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(root: Path = ROOT, port: int | None = None, flags: tuple[str, ...] = ()):
    """Serves app.py with Streamlit on localhost (a free port unless given; `flags` are more
    `streamlit run` options); yields its URL once it is healthy."""
    port = port or _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(root / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            *flags,
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("streamlit did not start within 60 s")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)


def launch_chromium_profile(playwright, profile: Path):
    """A browser context that keeps its cache in `profile`, as a person's browser does between visits."""
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
    )


@pytest.fixture(scope="module")
def app_url():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    with running_app() as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        yield page
        browser.close()


def test_search_shows_the_boroxol_talk_first(page, app_url):
    page.goto(app_url)
    box = page.get_by_label("Ask a question or type terms, names, affiliations")
    box.fill("boroxol rings")
    box.press("Enter")
    first = page.locator("h5").filter(has_text="1.").first
    first.wait_for()
    assert "boroxol ring population" in first.inner_text()
    assert "q=boroxol+rings" in page.url or "q=boroxol%20rings" in page.url  # shareable
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)


def test_topic_map_page_draws_the_map(page, app_url):
    page.goto(f"{app_url}/?page=Topic+map&q=boroxol+rings")
    page.wait_for_function(MAP_DRAWN, polling=100)  # not the empty frame drawn first
    page.screenshot(path=str(ARTIFACTS / "topic_map.png"), full_page=True)


def settled_dot(page, tries: int = 20) -> list[float]:
    """A dot's position once two readings 0.3 s apart agree: as a person, click a map that stays put."""
    last = page.evaluate(MAP_DOT)
    for _ in range(tries):
        page.wait_for_timeout(300)
        now = page.evaluate(MAP_DOT)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the map's dots kept moving for {tries * 0.3:.0f} s")


def test_a_dot_clicked_on_the_map_shows_its_talk(page, app_url, workshop_records):
    page.goto(f"{app_url}/?page=Topic+map")
    page.wait_for_function(MAP_DRAWN, polling=100)
    x, y = settled_dot(page)
    page.mouse.click(x, y)
    shown = page.locator("[class*='st-key-clicked_']").first
    try:
        shown.wait_for(timeout=30_000)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "topic_map_click_failed.png"), full_page=True)
        raise
    titles = [r.title for r in workshop_records]  # the served corpus, read without a second index
    assert any(title in shown.inner_text() for title in titles)
    page.screenshot(path=str(ARTIFACTS / "topic_map_clicked.png"), full_page=True)


def test_the_map_is_ready_at_the_first_visit_after_build(page):
    """`build` computes the topics and the map, so a just-started server's first visit only reads them.

    (How fast that visit is, is measured by benchmarks/app_render.py, not timed here.)
    """
    from abstract_search import service
    from abstract_search.cli import main
    from abstract_search.search.index import index_folder

    assert main(["build"]) == 0
    saved = {p: p.stat().st_mtime_ns for p in index_folder(service.DEFAULT_CORPUS).glob("*/stamp.json")}
    assert {p.parent.name for p in saved} >= {"topics_auto", "map"}
    with running_app() as url:
        context = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})  # empty cache
        first = context.new_page()
        first.set_default_timeout(120_000)
        first.goto(f"{url}/?page=Topic+map")
        first.wait_for_function(MAP_DRAWN, polling=100)
        first.screenshot(path=str(ARTIFACTS / "topic_map_first_visit.png"), full_page=True)
        context.close()
    assert {p: p.stat().st_mtime_ns for p in saved} == saved  # read, not recomputed


def test_a_table_uploaded_in_the_browser_is_built_and_searchable(page, app_url, tmp_path):
    """The upload route of the server (not AppTest's): a CSV goes in, a corpus comes out."""
    table = tmp_path / "my_meeting.csv"
    table.write_text(
        "title,abstract,speaker\n"
        "Boron speciation by NMR,Borate glasses studied with solid-state NMR of boron-11.,Ada Lovelace\n"
        "Crack growth in silica,Subcritical crack growth in silica glass under humid conditions.,Alan Turing\n"
        "Ion transport in sulfide glasses,Sodium conduction in sulfide glass electrolytes.,Grace Hopper\n",
        encoding="utf-8",
    )
    page.goto(f"{app_url}/?page=Corpus")
    page.locator('input[type="file"]').first.set_input_files(str(table))
    page.get_by_label("Name for this corpus").wait_for()
    page.get_by_role("button", name="Build").click()
    page.get_by_text("Built my_meeting").wait_for()
    page.screenshot(path=str(ARTIFACTS / "corpus_upload.png"), full_page=True)
    page.get_by_role("button", name="Search my_meeting").click()
    box = page.get_by_label("Ask a question or type terms, names, affiliations")
    page.get_by_text("3 items in my_meeting").wait_for()
    box.fill("boron nmr")
    box.press("Enter")
    first = page.locator("h5").filter(has_text="1.").first
    first.wait_for()
    assert "Boron speciation by NMR" in first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "corpus_upload_searched.png"), full_page=True)


def test_the_planned_program_downloads_as_a_calendar(page, app_url):
    """The server's media route: the planner's export arrives as a file a calendar can read."""
    page.goto(f"{app_url}/?page=Session+planner")
    button = page.get_by_role("button", name="iCalendar")
    button.wait_for()
    with page.expect_download() as download:
        button.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == "plan.ics"
    assert text.startswith("BEGIN:VCALENDAR") and text.count("BEGIN:VEVENT") >= 5
