"""CSV and JSONL loaders: good files load, malformed input gets an exact, specific message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from abstract_search.cli import main
from abstract_search.ingest import ingest_file
from abstract_search.records import CorpusError, read_records
from tests.conftest import run_python


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_csv_loads_with_column_mapping(tmp_path):
    path = write(tmp_path, "talks.csv", 'Paper,Summary,Who\n"Boroxol rings","Rings in B2O3.","A. B; C. D"\n')
    result = ingest_file(path, columns={"title": "Paper", "abstract": "Summary", "speakers": "Who"})
    (record,) = result.records
    assert (record.id, record.title, record.abstract) == ("R00002", "Boroxol rings", "Rings in B2O3.")
    assert record.speakers == ("A. B", "C. D") and record.kind == "paper"


def test_csv_bad_rows_are_skipped_and_reported(tmp_path):
    path = write(tmp_path, "t.csv", "id,title,abstract\na,First,x\nb,,y\nc,Third\na,Again,z\nd,Fourth,w\n")
    result = ingest_file(path)
    assert [r.id for r in result.records] == ["a", "d"]
    assert result.skipped == [
        "t.csv:3: field 'title' is missing or empty",
        "t.csv:4: has 2 fields, the header has 3",
        "t.csv:5: id 'a' repeats line 2",
    ]
    assert "skipped 3 row(s)" in result.report_text()


def test_csv_without_title_column(tmp_path):
    path = write(tmp_path, "t.csv", "name,abstract\nx,y\n")
    with pytest.raises(CorpusError) as err:
        ingest_file(path)
    assert str(err.value) == (
        f"{path}: no title column (looked for title); columns are: name, abstract; name it with --title-col"
    )


def test_named_column_missing(tmp_path):
    path = write(tmp_path, "t.csv", "title,abstract\nx,y\n")
    with pytest.raises(CorpusError) as err:
        ingest_file(path, columns={"abstract": "Summary"})
    assert str(err.value) == f"{path}: no abstract column 'Summary'; columns are: title, abstract"


def test_empty_file(tmp_path):
    path = write(tmp_path, "t.csv", "")
    with pytest.raises(CorpusError) as err:
        ingest_file(path)
    assert str(err.value) == f"{path}: the file is empty"


def test_binary_file(tmp_path):
    path = write(tmp_path, "t.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(CorpusError) as err:
        ingest_file(path)
    assert str(err.value) == f"{path}: looks like a binary file, not CSV/JSONL text"


def test_wrong_encoding(tmp_path):
    path = write(tmp_path, "t.csv", "title,abstract\nGlass,ok\nVerre,caf\xe9\n".encode("latin-1"))
    with pytest.raises(CorpusError) as err:
        ingest_file(path)
    assert str(err.value) == f"{path}:3: not UTF-8 text (byte 0xe9); re-save the file as UTF-8"


def test_jsonl_loads_and_reports_bad_lines(tmp_path):
    lines = [
        json.dumps({"id": "x1", "title": "Glass", "abstract": "Silica.", "authors": ["A", "B"], "tags": "MD|MC"}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"id": "x2", "abstract": "no title"}),
        json.dumps({"id": "x3", "title": "Poster", "kind": "poster"}),
    ]
    result = ingest_file(write(tmp_path, "c.jsonl", "\n".join(lines) + "\n"))
    assert [(r.id, r.kind) for r in result.records] == [("x1", "paper"), ("x3", "poster")]
    assert result.records[0].speakers == ("A", "B") and result.records[0].tags == ("MD", "MC")
    assert result.skipped == [
        "c.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes)",
        "c.jsonl:3: expected a JSON object, got list",
        "c.jsonl:4: field 'title' is missing or empty",
    ]


def test_unsupported_type(tmp_path):
    path = write(tmp_path, "t.xlsx", "x")
    with pytest.raises(CorpusError, match=r"unsupported file type \.xlsx"):
        ingest_file(path)


def test_cli_ingest_writes_records_and_reports(tmp_path, capsys):
    src = write(tmp_path, "t.csv", "title,abstract\nBoroxol rings,Rings.\n,missing\n")
    out = tmp_path / "out.jsonl"
    assert main(["ingest", str(src), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["records"] == 1 and report["skipped"] == ["t.csv:3: field 'title' is missing or empty"]
    assert read_records(out)[0].title == "Boroxol rings"


def test_cli_error_is_one_clear_line(tmp_path, capsys):
    assert main(["ingest", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert capsys.readouterr().err.strip() == f"abstract-search: error: {tmp_path / 'nope.csv'}: no such file"


def test_help_is_fast_and_does_not_import_torch():
    code = (
        "import sys, contextlib, io\n"
        "from abstract_search.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['--help'])\n"
        "    except SystemExit: pass\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'faiss', 'umap', 'sklearn') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = run_python(code)
    assert out.strip() == "[]"
    script = Path(sys.executable).parent / "abstract-search"
    console = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert console.returncode == 0 and "ingest" in console.stdout


def test_corpus_hash_is_the_hash_of_each_records_json(workshop_records):
    import hashlib

    from abstract_search.records import corpus_hash

    digest = hashlib.sha256()
    for record in workshop_records:
        digest.update(json.dumps(record.to_json(), sort_keys=True, ensure_ascii=False).encode() + b"\n")
    assert corpus_hash(workshop_records) == digest.hexdigest()
    changed = [workshop_records[0].__class__(**{**workshop_records[0].to_json(), "title": "x"}), *workshop_records[1:]]
    assert corpus_hash(changed) != corpus_hash(workshop_records)
