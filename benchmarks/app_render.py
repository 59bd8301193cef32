"""App speed as a person sees it: first page render, first map, first search, warm searches
(headless Chromium).

Starts `streamlit run app.py` on localhost (the index must exist: run `make index` or `make app`
once, which also computes the topics and the map), opens the page in Debian's Chromium through
Playwright and times: server start to healthy, first render of the search page, the first
query's first card (typed at once, and on another new server typed READING_S after the page
appears, as a person would: the page loads the query encoder meanwhile), and warm queries
(median and p95 of the page update, and of the library call alone in this process, for
comparison). The first visit to the Topic map page is timed on servers of their own, just
started (cold), from the page request to the drawn map, `--repeats` times (median and maximum),
in a new browser and in one that has seen the app before; the same for a page of one line of
text and a page of one small chart (plotly's, and ECharts', which the map is drawn with; apps of
their own) are the floors such pages have on this machine. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))

from _machine import machine, save_result  # noqa: E402

from tests.test_browser import MAP_DRAWN, _free_port, launch_chromium, launch_chromium_profile, running_app  # noqa: E402

QUERIES = [
    "boroxol rings",
    "how does the quench rate change the glass?",
    "Deringer",
    "glass-ceramics",
    "solid-state NMR",
    "talks from Alfred University",
    "machine learning potentials",
    "crack growth",
]


# Each page is ready when its predicate (run in the page) holds; the map's is in tests/test_browser.py.
TEXT_SHOWN = "() => document.body.innerText.includes('ready')"
PLOTLY_DRAWN = "() => document.querySelector('.js-plotly-plot .scatterlayer .trace') !== null"
ONE_LINE_APP = 'import streamlit as st\nst.write("ready")\n'
ONE_PLOTLY_CHART_APP = (
    "import plotly.graph_objects as go\nimport streamlit as st\n"
    "st.plotly_chart(go.Figure(go.Scatter(x=[1, 2, 3], y=[1, 3, 2], mode='markers')))\n"
)
ONE_ECHARTS_CHART_APP = (
    "import streamlit as st\n"
    "st.echarts_chart({'animation': False, 'xAxis': {'scale': True}, 'yAxis': {'scale': True},\n"
    "    'series': [{'type': 'scatter', 'symbolSize': 10, 'data': [[1, 1], [2, 3], [3, 2]]}]})\n"
)


WATCHING = ("--server.fileWatcherType", "auto")


def cold_visit(playwright, root: Path, path: str, ready: str, profile=None, port=None, flags=()) -> float:
    """Seconds from the page request to `ready` on a just-started server, in a new browser
    (`profile` None) or in one that keeps its cache in `profile` between visits."""
    with running_app(root, port, flags) as url:
        browser = launch_chromium(playwright) if profile is None else launch_chromium_profile(playwright, profile)
        page = browser.new_page()
        page.set_default_timeout(120_000)
        t = time.perf_counter()
        page.goto(url + path)
        page.wait_for_function(ready, polling=50)
        seconds = time.perf_counter() - t
        browser.close()
    return seconds


def cold_visits(playwright, scratch: Path, repeats: int) -> dict:
    """The first visit of the Topic map on a just-started server, and the same for the floors every
    page has here: a one-line page and a page of one small chart, plotly's or ECharts' (the map's),
    each an app of its own. Each is measured in a new browser (a person's first visit ever) and in a
    browser that has seen the page before, on the same port (a person who starts the app again:
    Streamlit's bundles come from its cache)."""
    floors = {"empty_page": ONE_LINE_APP, "plotly_page": ONE_PLOTLY_CHART_APP, "echarts_page": ONE_ECHARTS_CHART_APP}
    apps = {name: scratch / name for name in floors} | {"first_map": ROOT}
    for name, text in floors.items():
        apps[name].mkdir()
        (apps[name] / "app.py").write_text(text)
    targets = {
        "empty_page": ("/", TEXT_SHOWN),
        "plotly_page": ("/", PLOTLY_DRAWN),
        "echarts_page": ("/", MAP_DRAWN),
        "first_map": ("/?page=Topic+map", MAP_DRAWN),
    }
    result = {"cold_repeats": repeats}
    for name, (path, ready) in targets.items():
        fresh = [cold_visit(playwright, apps[name], path, ready, None, None) for _ in range(repeats)]
        port, profile = _free_port(), scratch / f"profile-{name}"
        cold_visit(playwright, apps[name], path, ready, profile, port)  # the visit before
        returning = [cold_visit(playwright, apps[name], path, ready, profile, port) for _ in range(repeats)]
        result[f"{name}_cold_s"] = round(statistics.median(fresh), 2)
        result[f"{name}_cold_max_s"] = round(max(fresh), 2)
        result[f"{name}_returning_s"] = round(statistics.median(returning), 2)
        result[f"{name}_returning_max_s"] = round(max(returning), 2)
    # What the app's .streamlit/config.toml turns off: Streamlit watching the source tree.
    path, ready = targets["first_map"]
    watching = [cold_visit(playwright, ROOT, path, ready, flags=WATCHING) for _ in range(repeats)]
    result["first_map_cold_watching_files_s"] = round(statistics.median(watching), 2)
    return result


RESULTS_TEXT = "() => Array.from(document.querySelectorAll('h5')).map(e => e.textContent).join('|')"
READING_S = 3.0  # a person reads the search page and types a query; the page loads the encoder meanwhile


def timed_search(page, box, query: str) -> float:
    """Seconds from Enter until the result cards have been replaced by the new query's."""
    before = page.evaluate(RESULTS_TEXT)
    t = time.perf_counter()
    box.fill(query)
    box.press("Enter")
    page.wait_for_function(f"before => ({RESULTS_TEXT})() !== before && ({RESULTS_TEXT})() !== ''", arg=before)
    return time.perf_counter() - t


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    parser.add_argument("--repeats", type=int, default=5, help="cold visits of each page (the median is reported)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from abstract_search import service

    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        cold = cold_visits(playwright, Path(scratch), args.repeats)

    started = time.perf_counter()
    with running_app() as url, sync_playwright() as playwright:
        healthy = time.perf_counter() - started
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.set_default_timeout(120_000)
        t = time.perf_counter()
        page.goto(url)
        box = page.get_by_label("Ask a question or type terms, names, affiliations")
        box.wait_for()
        first_render = time.perf_counter() - t

        first_query = timed_search(page, box, QUERIES[0])
        warm = [timed_search(page, box, q) for q in QUERIES[1:] * 2]
        browser.close()

    with running_app() as url, sync_playwright() as playwright:  # the first query of a person
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        box = page.get_by_label("Ask a question or type terms, names, affiliations")
        box.wait_for()
        time.sleep(READING_S)
        first_query_after_reading = timed_search(page, box, QUERIES[0])
        browser.close()

    engine = service.open_engine()
    service.search(engine, "warm up")
    library = []
    for query in QUERIES * 5:
        t = time.perf_counter()
        service.search(engine, query)
        library.append(time.perf_counter() - t)
    result = {
        "server_start_s": round(healthy, 2),
        "first_render_s": round(first_render, 2),
        **cold,
        "first_query_s": round(first_query, 2),
        "first_query_after_reading_s": round(first_query_after_reading, 2),
        "warm_query_page_p50_s": round(statistics.median(warm), 3),
        "warm_query_page_p95_s": round(percentile(warm, 0.95), 3),
        "warm_query_library_p50_ms": round(1000 * statistics.median(library), 2),
        "warm_query_library_p95_ms": round(1000 * percentile(library, 0.95), 2),
    }
    if not args.json:
        for key, value in result.items():
            print(f"{key:32s} {value}")
    result["machine"] = machine()
    save_result(ROOT / "benchmarks" / "results" / "app_render.json", result)


if __name__ == "__main__":
    main()
