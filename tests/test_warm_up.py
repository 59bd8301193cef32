"""What the app's server does as it starts (service.warm_up), and what opening an index defers."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_python


def _files(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_warm_up_builds_nothing_for_a_corpus_without_an_index(fake_cli, mini_corpus):
    from abstract_search import service

    skipped = service.warm_up(str(mini_corpus))  # no index: left to the first visit, and no error
    assert skipped and "no index" in skipped and "abstract-search build" in skipped
    assert not (fake_cli / "index").exists() or not any((fake_cli / "index").rglob("manifest.json"))


def test_warm_up_only_reads_the_saved_topics_and_map(fake_cli, mini_corpus):
    from abstract_search import service

    engine = service.open_engine(str(mini_corpus))
    service.prepare_browsing(engine)
    before = _files(fake_cli / "index")
    assert any("topics" in name for name in before) and any("map" in name for name in before)
    assert service.warm_up(str(mini_corpus)) is None
    assert _files(fake_cli / "index") == before


def test_the_bm25_fields_open_at_their_first_use(mini_engine, mini_corpus, tmp_path, fake_embedder):
    code = f"""
import sys
import abstract_search.search.engine as engine
engine.index_model_id = lambda model=None: {fake_embedder.model_id!r}
opened = engine.Engine.open({str(mini_corpus)!r}, root={str(tmp_path / "index")!r}, build="never", progress=False)
print("bm25s" in sys.modules)
print(opened.lexical.scores(["glass"]).shape[0] == len(opened.records))
print("bm25s" in sys.modules)
"""
    assert run_python(code).split() == ["False", "True", "True"]


def test_queries_are_prepared_once_across_threads_and_failures_are_returned(fake_cli, mini_corpus, monkeypatch):
    import threading
    import time

    import abstract_search.search.engine as engine_module
    from abstract_search import service
    from abstract_search.embed.models import EmbedError
    from tests.conftest import FakeEmbedder

    service.open_engine(str(mini_corpus))  # builds the index
    loads = []

    def slow_load(model=None, **_):  # slow enough that unlocked threads would each load it
        loads.append(1)
        time.sleep(0.2)
        return FakeEmbedder()

    monkeypatch.setattr(engine_module, "load_embedder", slow_load)
    engine = service.open_engine(str(mini_corpus))
    threads = [threading.Thread(target=service.prepare_queries, args=(engine,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == [1]
    assert service.search(engine, "glass")  # the prepared engine answers

    def no_model(model=None, **_):
        raise EmbedError("the model folder is missing")

    monkeypatch.setattr(engine_module, "load_embedder", no_model)
    assert service.prepare_queries(service.open_engine(str(mini_corpus))) == "EmbedError: the model folder is missing"
