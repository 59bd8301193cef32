"""The build/search/related/eval commands through main(argv), with the fake embedder."""

from __future__ import annotations

import json

import pytest

from abstract_search.cli import main


def _json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_build_then_search_json_shape(fake_cli, mini_corpus, capsys):
    assert main(["build", "--corpus", str(mini_corpus)]) == 0
    assert "4 records" in capsys.readouterr().out
    assert main(["search", "boroxol rings", "--corpus", str(mini_corpus), "--top-k", "2", "--json"]) == 0
    (result,) = _json_lines(capsys.readouterr().out)
    assert result["query"] == "boroxol rings" and len(result["hits"]) == 2
    hit = result["hits"][0]
    assert {"id", "title", "speakers", "kind", "score", "scores", "snippet"} <= set(hit)
    assert set(hit["scores"]) == {"lexical", "dense", "fused"} and hit["score"] == hit["scores"]["fused"]
    assert hit["id"] == "T01" and isinstance(hit["speakers"], list)
    assert "«" in hit["snippet_marked"] and "«" not in hit["snippet"]


def test_human_output_and_first_use_builds_with_progress_on_stderr(fake_cli, mini_corpus, capsys):
    assert main(["search", "boroxol", "--corpus", str(mini_corpus), "--kind", "talk"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(" 1. T01  Certification of boroxol")
    assert "«boroxol»" in captured.out
    assert "building the index" in captured.err


def test_batch_mode_prints_one_object_per_query_in_order(fake_cli, mini_corpus, tmp_path, capsys):
    batch = tmp_path / "queries.txt"
    batch.write_text("boroxol rings\n\nalkali silicates\nglass ceramics\n")
    assert main(["search", "--batch", str(batch), "--corpus", str(mini_corpus), "--top-k", "3", "--json"]) == 0
    results = _json_lines(capsys.readouterr().out)
    assert [r["query"] for r in results] == ["boroxol rings", "alkali silicates", "glass ceramics"]
    assert all(len(r["hits"]) == 3 for r in results)


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_is_a_clear_error(fake_cli, mini_corpus, capsys, query):
    assert main(["search", query, "--corpus", str(mini_corpus)]) == 2
    assert "query is empty" in capsys.readouterr().err


def test_long_query_is_truncated_with_a_notice(fake_cli, mini_corpus, capsys):
    query = ("boroxol rings in vitreous borate glass " * 300)[:10_000]
    assert main(["search", query, "--corpus", str(mini_corpus), "--json"]) == 0
    captured = capsys.readouterr()
    assert "note: the query was 10000 characters" in captured.err
    assert _json_lines(captured.out)[0]["hits"][0]["id"] == "T01"


def test_unknown_filter_value_lists_valid_values(fake_cli, mini_corpus, capsys):
    assert main(["search", "glass", "--corpus", str(mini_corpus), "--kind", "keynote"]) == 2
    assert "valid kind values: poster, talk" in capsys.readouterr().err
    assert main(["search", "glass", "--corpus", str(mini_corpus), "--tag", "XYZ"]) == 2
    assert "valid tag values: MD, MLIP" in capsys.readouterr().err


def test_related_json_and_unknown_id(fake_cli, mini_corpus, capsys):
    assert main(["related", "T01", "--corpus", str(mini_corpus), "--top-k", "2", "--json"]) == 0
    result = _json_lines(capsys.readouterr().out)[0]
    assert result["id"] == "T01" and len(result["hits"]) == 2
    assert all(h["id"] != "T01" and "scores" in h for h in result["hits"])
    assert main(["related", "NOPE", "--corpus", str(mini_corpus)]) == 2
    assert "no record with id 'NOPE'" in capsys.readouterr().err


def test_eval_beir_reports_hybrid_bm25_and_dense(fake_cli, tmp_path, capsys):
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    docs = [
        ("d1", "Boroxol rings", "Boroxol rings in B2O3 glass."),
        ("d2", "Silica", "Silica under pressure."),
        ("d3", "Sodium", "Sodium diffusion in electrolytes."),
    ]
    (beir / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in docs)
    )
    (beir / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "boroxol"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "sodium diffusion"})
        + "\n"
    )
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n")
    assert main(["eval", "--beir", str(beir), "--json"]) == 0
    result = _json_lines(capsys.readouterr().out)[0]
    assert {"ndcg@10", "recall@100", "mrr@10", "bm25", "dense"} <= set(result)
    assert result["bm25"]["ndcg@10"] == 1.0 and result["queries"] == 2
    assert main(["eval", "--beir", str(beir), "--split", "dev"]) == 2
    assert "splits here: test" in capsys.readouterr().err
