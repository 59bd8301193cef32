"""The Topics page's steering through Streamlit's AppTest: seeds, rename, merge and move, saved with the corpus."""

from __future__ import annotations

import pytest

from abstract_search import service
from tests.test_app import assert_clean, run_app

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def fresh_settings():
    """Each test starts from the computed topics: no saved seeds or edits, no cached topics."""
    from app_pages.common import get_topics

    service.set_topic_seeds("workshop2025", [])
    service.clear_topic_edits("workshop2025")
    get_topics.clear()
    yield
    service.set_topic_seeds("workshop2025", [])
    service.clear_topic_edits("workshop2025")
    get_topics.clear()


def topic_headings(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**") and " items" in m.value]


def test_seeds_typed_in_the_box_become_topics_and_are_saved():
    at = run_app("Topics")
    assert_clean(at)
    at.text_area(key="seed_text").set_value("glass-ceramics\nmedieval poetry").run()
    at.button(key="apply_seeds").click().run()
    assert_clean(at)
    assert service.topic_settings("workshop2025").seeds == ("glass-ceramics", "medieval poetry")
    assert any(h.startswith("**glass\\-ceramics**") and "seed" in h for h in topic_headings(at))
    assert any("medieval poetry" in w.value for w in at.warning)  # a seed that took nothing is reported


def test_rename_merge_and_move_change_the_page_and_persist():
    at = run_app("Topics")
    before = service.corpus_topics(service.open_engine("workshop2025"))
    first, second = before.topics[0], before.topics[1]
    at.text_input(key="rename_label").set_value("Renamed by a person").run()
    at.button(key="rename_go").click().run()
    assert_clean(at)
    assert any("Renamed by a person" in h for h in topic_headings(at))

    names = at.selectbox(key="merge_topic").options
    at.selectbox(key="merge_topic").set_value(names[1]).run()
    at.selectbox(key="merge_into").set_value(names[0]).run()
    at.button(key="merge_go").click().run()
    assert_clean(at)
    after = service.corpus_topics(service.open_engine("workshop2025"))
    assert len(after.topics) == len(before.topics) - 1
    merged = next(t for t in after.topics if t.label == "Renamed by a person")
    assert set(merged.members) == set(first.members) | set(second.members)

    outsider = next(i for i in after.record_ids if i not in merged.members)
    item = next(o for o in at.selectbox(key="move_item").options if o.startswith(f"{outsider} "))
    at.selectbox(key="move_item").set_value(item).run()
    at.selectbox(key="move_into").set_value(
        next(n for n in at.selectbox(key="move_into").options if "Renamed by a person" in n)
    ).run()
    at.button(key="move_go").click().run()
    assert_clean(at)
    moved = service.corpus_topics(service.open_engine("workshop2025"))
    assert outsider in next(t for t in moved.topics if t.label == "Renamed by a person").members
    assert [e.action for e in service.topic_settings("workshop2025").edits] == ["rename", "merge", "move"]
