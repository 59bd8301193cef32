"""App speed as a person sees it: first page render, first map, first search, warm searches
(headless Chromium).

Starts `streamlit run app.py` on localhost (the index must exist: run `make index` or `make app`
once, which also computes the topics and the map), opens the page in Debian's Chromium through
Playwright and times: server start to healthy, first render of the search page, the first
query's first card (loads the query encoder), and warm queries (median and p95 of the page
update, and of the library call alone in this process, for comparison). The first visit to the
Topic map page is timed on a server of its own, just started (cold), from the page request to
the drawn map; the same for a page of one line of text (an app of its own) is the floor every
page has on this machine. Prints a table and one JSON line.
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

from tests.test_browser import launch_chromium, running_app  # noqa: E402

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


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from abstract_search import service

    with tempfile.TemporaryDirectory() as empty, sync_playwright() as playwright:
        # The floor any page has here: a just-started Streamlit server's first render of one line.
        (Path(empty) / "app.py").write_text('import streamlit as st\nst.write("ready")\n')
        with running_app(Path(empty)) as url:
            browser = launch_chromium(playwright)
            page = browser.new_page()
            page.set_default_timeout(120_000)
            t = time.perf_counter()
            page.goto(url)
            page.get_by_text("ready").wait_for()
            empty_page = time.perf_counter() - t
            browser.close()

    with running_app() as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.set_default_timeout(120_000)
        t = time.perf_counter()
        page.goto(f"{url}/?page=Topic+map")
        page.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for()
        first_map = time.perf_counter() - t
        browser.close()

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

        results_text = "() => Array.from(document.querySelectorAll('h5')).map(e => e.textContent).join('|')"

        def search(query: str) -> float:
            """Seconds from Enter until the result cards have been replaced by the new query's."""
            before = page.evaluate(results_text)
            t = time.perf_counter()
            box.fill(query)
            box.press("Enter")
            page.wait_for_function(f"before => ({results_text})() !== before && ({results_text})() !== ''", arg=before)
            return time.perf_counter() - t

        first_query = search(QUERIES[0])
        warm = [search(q) for q in QUERIES[1:] * 2]
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
        "first_map_cold_s": round(first_map, 2),
        "empty_page_cold_s": round(empty_page, 2),
        "first_query_s": round(first_query, 2),
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
