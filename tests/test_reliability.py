"""Builds that are killed, run twice at once, or find a stale, foreign or damaged index; no pickle."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from abstract_search.records import read_records
from abstract_search.search.engine import Engine
from abstract_search.search.index import IndexMismatchError, index_folder, load_index, read_manifest

ROOT = Path(__file__).resolve().parents[1]
SAFE_SUFFIXES = {".json", ".npy", ".faiss"}

# A build in a child process, with the fake embedder, that can die at a chosen point:
# "embedding" (inside the model call), "writing" (files written, manifest not yet),
# "swap" (old index moved aside, new one not yet renamed in), or "never".
BUILD_SCRIPT = """
import os, signal, sys, time
import abstract_search.search.index as index
import abstract_search.search.storage as storage
from abstract_search.search.engine import Engine
from tests.conftest import FakeEmbedder

corpus, root, die_at, slow = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
die = lambda: os.kill(os.getpid(), signal.SIGKILL)

class Embedder(FakeEmbedder):
    def encode(self, texts, **kwargs):
        if die_at == "embedding":
            die()
        time.sleep(slow)
        return super().encode(texts, **kwargs)

if die_at == "writing":
    seal = index.seal_manifest  # build_index looks it up here, in abstract_search.search.index
    index.seal_manifest = lambda folder, manifest: (
        die() if (folder / "embeddings.npy").exists() else seal(folder, manifest)
    )
if die_at == "swap":
    replace, calls = os.replace, []
    def killing_replace(src, dst):
        replace(src, dst)
        calls.append(src)
        if ".old-" in str(dst):
            die()
    storage.os.replace = killing_replace  # the swap's renames are in storage.swap_into_place
print("started", flush=True)
Engine.open(corpus, embedder=Embedder(), root=root, build="stale", progress=False)
print("built", flush=True)
"""


def _edit_corpus(path: Path, title: str) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["title"] = title
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _start_build(tmp_path: Path, corpus: Path, root: Path, die_at: str, slow: float = 0.0) -> subprocess.Popen:
    script = tmp_path / "build.py"
    script.write_text(BUILD_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    command = [sys.executable, str(script), str(corpus), str(root), die_at, str(slow)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
@pytest.mark.parametrize("die_at", ["embedding", "writing", "swap", "external"])
def test_a_killed_build_leaves_the_previous_index_served(die_at, mini_corpus, tmp_path, fake_embedder):
    root = tmp_path / "index"
    original = Engine.open(mini_corpus, embedder=fake_embedder, root=root, progress=False)
    before = original.index.manifest
    old_records = read_records(mini_corpus)
    _edit_corpus(mini_corpus, "A new title that forces a rebuild")
    if die_at == "external":  # killed by someone else, in the middle of a slow model call
        process = _start_build(tmp_path, mini_corpus, root, "never", slow=5.0)
        assert process.stdout.readline().strip() == "started"
        time.sleep(0.5)
        process.send_signal(signal.SIGKILL)
    else:
        process = _start_build(tmp_path, mini_corpus, root, die_at)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    # The previous index is still served, whole, to a reader of the old corpus...
    assert read_manifest("mini", root) == before
    served = load_index(old_records, "mini", fake_embedder.model_id, root)
    assert np.array_equal(served.embeddings, original.embeddings)
    # ...refused, with the command to run, for the edited corpus...
    with pytest.raises(IndexMismatchError, match="abstract-search build --corpus mini"):
        Engine.open(mini_corpus, embedder=fake_embedder, root=root, progress=False)
    # ...and the next build succeeds and leaves nothing behind.
    engine = Engine.open(mini_corpus, embedder=fake_embedder, root=root, build="stale", progress=False)
    assert engine.records[0].title == "A new title that forces a rebuild"
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".mini.")) == [".mini.lock"]


@pytest.mark.slow
def test_two_builds_at_once_both_finish_and_leave_one_intact_index(mini_corpus, tmp_path, fake_embedder):
    root = tmp_path / "index"
    builds = [_start_build(tmp_path, mini_corpus, root, "never", slow=0.3) for _ in range(2)]
    for process in builds:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert out.split() == ["started", "built"]
    engine = Engine.open(mini_corpus, embedder=fake_embedder, root=root, build="never", progress=False)
    assert [hit.id for hit in engine.search("boroxol rings", 1)] == ["T01"]
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".mini.")) == [".mini.lock"]


def _damage(folder: Path, how: str) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    if how == "truncated":
        data = (folder / "embeddings.npy").read_bytes()
        (folder / "embeddings.npy").write_bytes(data[: len(data) // 2])
    elif how == "flipped byte":
        data = bytearray((folder / "embeddings.npy").read_bytes())
        data[-5] ^= 0xFF
        (folder / "embeddings.npy").write_bytes(bytes(data))
    elif how == "missing file":
        (folder / "sentences.json").unlink()
    elif how == "garbage manifest":
        (folder / "manifest.json").write_text("{not json")
    elif how == "unknown manifest field":
        manifest["colour"] = "blue"
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif how == "other dimension":
        manifest["dimension"] = 128
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif how == "old format":
        manifest["format"] = 3
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif how == "other model":
        manifest["model"] = "someone/else"
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif how == "other corpus":
        manifest["corpus_hash"] = "0" * 64
        (folder / "manifest.json").write_text(json.dumps(manifest))


DAMAGE = {
    "truncated": "embeddings.npy is truncated",
    "flipped byte": "embeddings.npy is damaged",
    "missing file": "sentences.json is missing",
    "garbage manifest": "unreadable manifest",
    "unknown manifest field": "unknown manifest field.*colour",
    "other dimension": "inconsistent: embeddings are float32.*expected float32\\[4, 128\\]",
    "old format": "format 3, expected",
    "other model": "built with model 'someone/else'",
    "other corpus": "different version of the corpus",
}


@pytest.mark.parametrize("how", list(DAMAGE))
def test_a_stale_foreign_or_damaged_index_is_refused_then_rebuilt(how, mini_corpus, tmp_path, fake_embedder):
    root = tmp_path / "index"
    built = Engine.open(mini_corpus, embedder=fake_embedder, root=root, progress=False)
    _damage(index_folder("mini", root), how)
    with pytest.raises(IndexMismatchError, match=DAMAGE[how]) as refused:
        Engine.open(mini_corpus, embedder=fake_embedder, root=root, progress=False)
    assert "run `abstract-search build --corpus mini`" in str(refused.value)
    engine = Engine.open(mini_corpus, embedder=fake_embedder, root=root, build="stale", progress=False)
    assert np.array_equal(engine.embeddings, built.embeddings)
    assert Engine.open(mini_corpus, embedder=fake_embedder, root=root, build="never", progress=False)


def test_the_cli_names_the_damage_and_the_command(mini_corpus, tmp_path, fake_embedder, monkeypatch, capsys):
    import abstract_search.search.engine as engine
    from abstract_search.cli import main

    monkeypatch.setenv("ABSTRACT_SEARCH_INDEX", str(tmp_path / "index"))
    monkeypatch.setattr(engine, "load_embedder", lambda model=None: fake_embedder)
    monkeypatch.setattr(engine, "index_model_id", lambda model=None: fake_embedder.model_id)
    assert main(["build", "--corpus", str(mini_corpus)]) == 0
    _damage(index_folder("mini", tmp_path / "index"), "truncated")
    capsys.readouterr()
    assert main(["search", "boroxol", "--corpus", str(mini_corpus)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("abstract-search: error: index of 'mini':") and "Traceback" not in err
    assert "embeddings.npy is truncated" in err and "abstract-search build --corpus mini" in err
    assert main(["build", "--corpus", str(mini_corpus)]) == 0
    assert "rebuilding: index of 'mini'" in capsys.readouterr().err
    assert main(["search", "boroxol", "--corpus", str(mini_corpus), "--json"]) == 0


def test_a_rebuild_after_one_edit_embeds_only_that_record(mini_corpus, tmp_path, fake_embedder):
    class Counting(type(fake_embedder)):
        seen: list = []

        def encode(self, texts, **kwargs):
            self.seen.extend(texts)
            return super().encode(texts, **kwargs)

    root = tmp_path / "index"
    counting = Counting()
    Engine.open(mini_corpus, embedder=counting, root=root, progress=False)
    first = len(counting.seen)
    counting.seen.clear()
    _edit_corpus(mini_corpus, "Boroxol rings, revisited")
    engine = Engine.open(mini_corpus, embedder=counting, root=root, build="stale", progress=False)
    assert first > 4 and counting.seen == [engine.records[0].text]


def test_bm25_is_saved_with_the_index_and_gives_the_same_scores(mini_corpus, tmp_path, fake_embedder):
    from abstract_search.search.lexical import build_lexical_index

    root = tmp_path / "index"
    Engine.open(mini_corpus, embedder=fake_embedder, root=root, progress=False)
    assert (index_folder("mini", root) / "bm25" / "lexical.json").is_file()
    engine = Engine.open(mini_corpus, embedder=fake_embedder, root=root, build="never", progress=False)
    refit = build_lexical_index(engine.records)
    for query in ("boroxol rings", "Urata", "lithium sodium glass", "zzz"):
        assert np.allclose(engine.lexical.scores(query), refit.scores(query))


def test_index_folders_hold_only_json_numpy_and_faiss_files(mini_corpus, tmp_path, fake_embedder):
    root = tmp_path / "index"
    Engine.open(mini_corpus, embedder=fake_embedder, root=root, progress=False)
    files = [p for p in root.rglob("*") if p.is_file() and p.name not in (".lock", ".mini.lock")]
    assert files and {p.suffix for p in files} <= SAFE_SUFFIXES
    for path in files:
        if path.suffix == ".npy":
            assert np.load(path, allow_pickle=False).dtype != object


def test_no_library_code_unpickles():
    """Every np.load passes allow_pickle=False; nothing imports pickle, joblib or calls torch.load."""
    for path in sorted((ROOT / "src" / "abstract_search").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
                assert not {"pickle", "joblib", "dill", "cloudpickle"} & set(names), path
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = ast.unparse(node.func.value)
                if node.func.attr == "load" and owner in ("np", "numpy"):
                    flags = {k.arg: ast.unparse(k.value) for k in node.keywords}
                    assert flags.get("allow_pickle") == "False", f"{path}:{node.lineno}"
                if node.func.attr == "load" and owner in ("torch", "pickle", "joblib"):
                    raise AssertionError(f"{path}:{node.lineno} calls {owner}.load")
                if owner == "bm25s.BM25" and node.func.attr == "load":
                    flags = {k.arg: ast.unparse(k.value) for k in node.keywords}
                    assert flags.get("allow_pickle") == "False", f"{path}:{node.lineno}"


def test_a_cache_save_killed_between_its_two_renames_keeps_the_cache(tmp_path, fake_embedder):
    from abstract_search.embed.cache import embed_with_cache, model_folder

    texts = ["boroxol rings", "silica glass"]
    first = embed_with_cache(texts, fake_embedder, tmp_path)
    folder = model_folder(tmp_path, fake_embedder.model_id)
    # vectors.npy already holds a third row whose key never made it to keys.json
    np.save(folder / "vectors.npy", np.concatenate([first, first[:1]]), allow_pickle=False)

    class Refusing(type(fake_embedder)):
        def encode(self, texts, **kwargs):
            raise AssertionError(f"re-embedded {texts}")

    assert np.array_equal(embed_with_cache(texts, Refusing(), tmp_path), first)


def test_large_corpora_get_whole_text_vectors_and_lexical_snippets(mini_corpus, tmp_path, fake_embedder):
    from abstract_search.search.index import IndexConfig

    config = IndexConfig(sentence_vectors_up_to=2)  # the mini corpus (4 records) counts as large
    engine = Engine.open(mini_corpus, embedder=fake_embedder, root=tmp_path, index_config=config, progress=False)
    assert engine.index.manifest.window_tokens == 0 and engine.index.sentences.vectors is None
    assert np.allclose(engine.embeddings, fake_embedder.encode([r.text for r in engine.records]), atol=1e-6)
    (hit,) = engine.search("boroxol ring population", 1)
    assert hit.id == "T01" and "boroxol" in hit.snippet.lower() and hit.highlights
    assert engine.index.manifest.model == fake_embedder.model_id  # an explicit embedder is never swapped


def test_an_int8_index_is_queried_with_the_int8_model(monkeypatch):
    import abstract_search.search.engine as engine_module

    calls = []
    monkeypatch.setattr(engine_module, "load_embedder", lambda model=None, **kw: calls.append((model, kw)))
    engine_module.embedder_for(None, "bundled:all-MiniLM-L6-v2" + engine_module.INT8_SUFFIX)
    engine_module.embedder_for(None, "bundled:all-MiniLM-L6-v2")
    assert calls == [(None, {"backend": "onnx-int8"}), (None, {})]
