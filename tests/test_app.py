"""The Streamlit app through Streamlit's AppTest: every page renders, search, filters, downloads."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from abstract_search.records import read_records
from abstract_search.settings import BUNDLED_DATA
from tests.conftest import WORKSHOP

pytestmark = pytest.mark.slow

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run_app(page: str | None = None, **params):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=300)
    if page:
        at.query_params["page"] = page
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def card_titles(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("#####")]


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_search_page_offers_examples_when_empty():
    at = run_app()
    assert_clean(at)
    assert any(b.label == "boroxol rings" for b in at.button)


def test_query_shows_the_boroxol_talk_first_and_lives_in_the_url():
    at = run_app()
    at.text_input(key="query").set_value("boroxol rings").run()
    assert_clean(at)
    assert "Certification of boroxol ring population" in card_titles(at)[0]
    assert at.query_params["q"] == "boroxol rings"
    highlighted = [m.value for m in at.markdown if ":orange-background[" in m.value]
    assert highlighted and "boroxol" in highlighted[0]


def test_filters_change_the_results():
    at = run_app(q="machine learning potentials")
    everything = card_titles(at)
    at.sidebar.selectbox(key="filter_kind").set_value("poster").run()
    assert_clean(at)
    posters = card_titles(at)
    assert posters and posters != everything
    assert at.query_params["kind"] == "poster"
    at.sidebar.selectbox(key="filter_kind").set_value("any").run()
    at.sidebar.text_input(key="filter_affiliation").set_value("Alfred").run()
    titles = card_titles(at)
    assert len(titles) == 2 and any("Mixed Lithium-Sodium" in t.replace("\\", "") for t in titles)


def test_corpus_text_is_escaped():
    from app_pages.common import md  # noqa: PLC0415 - the pages' own escaping helper

    assert md("<script>alert(1)</script> $x$ *b*") == r"\<script\>alert\(1\)\</script\> \$x\$ \*b\*"


@pytest.mark.parametrize("page", ["Topic map", "Topics", "Session planner", "Corpus"])
def test_every_page_renders(page):
    at = run_app(page)
    assert_clean(at)
    assert at.title[0].value


def test_topic_map_draws_a_figure_and_lists_a_topic():
    at = run_app("Topic map", q="boroxol rings")
    assert_clean(at)
    (chart,) = at.get("echarts_chart")
    assert '"hits"' in chart.proto.spec and '"query"' in chart.proto.spec
    assert any(m.value.startswith("- **T") for m in at.markdown)


def test_a_click_on_the_map_names_its_items():
    from abstract_search.topics.plots import MapItems, topic_map_chart
    from app_pages.topics import clicked_rows  # noqa: PLC0415 - the page's own helper

    chart = topic_map_chart(MapItems([[0, 0], [1, 1], [2, 2]], ["a", "b", "a"], ["x", "y", "z"], hits=[1]))
    picked = {
        "selection": {"selected": [{"series_index": 0, "data_indices": [1]}, {"series_index": 2, "data_indices": [0]}]}
    }
    assert clicked_rows(chart, picked) == [2, 1]  # series "a" position 1 is row 2; the first hit is row 1
    stale = {
        "selection": {"selected": [{"series_index": 7, "data_indices": [0]}, {"series_index": 1, "data_indices": [9]}]}
    }
    assert clicked_rows(chart, stale) == [] and clicked_rows(chart, None) == []


def test_planner_downloads_are_valid_files():
    from icalendar import Calendar

    at = run_app("Session planner")
    assert_clean(at)
    buttons = {b.label: b for b in at.get("download_button")}
    assert set(buttons) == {"CSV", "Markdown", "JSON", "iCalendar"}
    data = {label: button.proto.url for label, button in buttons.items()}
    assert all(data.values())
    # The exports themselves, as the page builds them:
    from abstract_search import service
    from abstract_search.plan.planner import plan_sessions
    from abstract_search.plan.schedule import EXPORTERS

    engine = service.open_engine()
    items, vectors = service.plan_items(engine)
    plan = plan_sessions(items, vectors, service.make_frame(items), seed=0)
    rows = list(csv.DictReader(io.StringIO(EXPORTERS[".csv"](plan, items))))
    assert len(rows) == 27
    assert len(json.loads(EXPORTERS[".json"](plan, items))["sessions"]) == 9
    calendar = Calendar.from_ical(EXPORTERS[".ics"](plan, items))
    assert len([c for c in calendar.walk() if c.name == "VEVENT"]) >= 9


def test_planner_takes_a_soft_preference_and_explains_a_hard_grouping_that_cannot_fit():
    at = run_app("Session planner")
    at.selectbox(key="prefer_within").set_value("tags").run()
    assert_clean(at)
    assert 0.0 < float(at.metric[0].value) <= 1.0  # a mean cosine
    at.selectbox(key="prefer_within").set_value("").run()
    at.selectbox(key="within").set_value("date").run()  # the program's blocks fit inside days
    assert_clean(at)
    dates = {r.id: r.date for r in read_records(WORKSHOP)}
    sessions: list[set[str]] = []
    for text in (m.value for m in at.markdown):
        if text.startswith("**") and "coherence" in text:
            sessions.append(set())
        elif text.startswith("- ") and sessions:
            sessions[-1].add(dates[text.split()[1]])
    # The proposed plan's 9 sessions, then the organizers' 9 blocks (two tabs): none spans two days.
    assert len(sessions) == 18 and all(len(days) == 1 for days in sessions[:9])
    # Ten method-tag groups cannot fill the program's 9 blocks: the page says why.
    at.selectbox(key="within").set_value("tags").run()
    assert not at.exception
    assert "cannot be split into sessions of sizes" in at.error[0].value


@pytest.fixture()
def private_data(tmp_path, monkeypatch):
    """data/ and index/ in tmp_path, with the bundled corpus copied in."""

    monkeypatch.setenv("ABSTRACT_SEARCH_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ABSTRACT_SEARCH_INDEX", str(tmp_path / "index"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "workshop2025.jsonl").write_bytes((BUNDLED_DATA / "workshop2025.jsonl").read_bytes())
    return tmp_path


def test_corpus_upload_maps_columns_builds_and_reports(private_data):
    from abstract_search import service

    tmp_path = private_data
    table = (
        "Paper,Summary,Authors\n"
        '"Boroxol rings in B2O3 glass","Rings of three BO3 units dominate vitreous B2O3.","A. One"\n'
        '"Fracture of silica nanowires","Nanowires break in a brittle way.","B. Two"\n'
        ',"a row without a title",C. Three\n'
    )
    at = run_app("Corpus")
    at.file_uploader(key="upload").upload("My Meeting.csv", table.encode(), "text/csv").run()
    assert_clean(at)
    assert at.text_input(key="new_name").value == "my-meeting"
    assert at.selectbox(key="col_speakers").value == "Authors"  # guessed from a common name
    assert at.selectbox(key="col_title").value == "(none)"
    at.selectbox(key="col_title").set_value("Paper")
    at.selectbox(key="col_abstract").set_value("Summary")
    at.button(key="build").click().run()
    assert not at.exception and not at.success  # strict: the bad row stops the import
    assert at.error[0].value.endswith(
        "My Meeting.csv:4: column 'Paper' (title) is empty; nothing was imported "
        "(--skip-bad-rows imports the other rows and lists these)"
    )
    assert not (tmp_path / "data" / "my-meeting.jsonl").exists()
    at.checkbox(key="skip_bad_rows").check()
    at.button(key="build").click().run()
    assert_clean(at)
    assert any("Built **my\\-meeting**: 2 papers; 1 row(s) skipped" in s.value for s in at.success)
    assert (tmp_path / "data" / "my-meeting.jsonl").is_file()
    assert (tmp_path / "index" / "my-meeting" / "manifest.json").is_file()
    hits = service.search(service.open_engine("my-meeting"), "boroxol", top_k=1)
    assert hits[0].title == "Boroxol rings in B2O3 glass"
    at.button(key="open_built").click().run()  # straight to searching it
    assert_clean(at)
    assert at.sidebar.selectbox(key="corpus").value == "my-meeting"
    assert at.sidebar.radio(key="page").value == "Search" and not at.warning
    offered = {s.key for s in at.sidebar.selectbox}
    assert "filter_date" not in offered and "filter_session" not in offered  # no days or sessions here
    assert at.query_params["corpus"] == "my-meeting" and "page" not in at.query_params
    assert any("2 items in **my\\-meeting**" in c.value for c in at.caption)


TRACKS = (
    "Title,Abstract,Authors,Track,Decision,Slides\n"
    "Boroxol rings in B2O3 glass,Rings of three BO3 units dominate vitreous B2O3.,Ann Lee,Oxides,accept,s1.pdf\n"
    "Silica under pressure,Silica glass densifies when compressed.,Bo Chen,Oxides,accept,s2.pdf\n"
    "Metallic glass ductility,Shear bands carry the plastic flow of metallic glass.,Cy Dee,Metals,reject,s3.pdf\n"
    "Copper zirconium glass,Cu-Zr glass forms icosahedral clusters.,Ed Fox,Metals,accept,s4.pdf\n"
)


def test_extra_columns_are_mapped_kept_and_become_filters(private_data):
    at = run_app("Corpus")
    at.file_uploader(key="upload").upload("glass.csv", TRACKS.encode(), "text/csv").run()
    assert_clean(at)
    assert at.multiselect(key="col_tags").value == ["Track"]
    kept = next(c.value for c in at.caption if c.value.startswith("Kept as extra columns"))
    assert kept.endswith("**Track**, **Decision**, **Slides**")
    at.button(key="build").click().run()
    assert_clean(at)
    at = run_app(None, corpus="glass", q="glass")
    assert_clean(at)
    assert at.sidebar.selectbox(key="filter_extra_Track").options == ["any", "Metals", "Oxides"]
    assert at.sidebar.selectbox(key="filter_extra_Decision").options == ["any", "accept", "reject"]
    assert "filter_extra_Slides" not in [s.key for s in at.sidebar.selectbox]  # every value differs
    at.sidebar.selectbox(key="filter_extra_Track").set_value("Metals").run()
    assert_clean(at)
    titles = sorted(t.split(". ", 1)[1] for t in card_titles(at))
    assert titles == ["Copper zirconium glass", "Metallic glass ductility"]
    assert at.query_params["where.Track"] == "Metals"
    assert any(c.value.startswith("Track: Metals · Decision: ") for c in at.caption)
    at = run_app("Session planner", corpus="glass")
    assert_clean(at)
    assert "Track" in at.selectbox(key="within").options
