"""Table rows: strict by default, --skip-bad-rows lists every row left out, values are normalised,
columns are mapped with --col, and extra columns survive the corpus file."""

from __future__ import annotations

import json

import pytest

from abstract_search.cli import main
from abstract_search.ingest import ingest_file
from abstract_search.records import Abstract, CorpusError, corpus_hash, read_records, write_records
from tests.conftest import import_error, write_file

BAD_CSV = "id,title,abstract\na,First,x\nb,,y\nc,Third\na,Again,z\nd,Fourth,w\n"
BAD_JSONL = (
    '{"id": "x1", "title": "Glass", "abstract": "Silica.", "authors": ["A", "B"], "tags": "MD|MC"}\n'
    "{not json\n"
    '["a list"]\n'
    '{"id": "x2", "abstract": "no title"}\n'
    '{"id": "x3", "title": "Poster", "kind": "poster"}\n'
)


def test_a_bad_row_fails_the_import_with_its_line(tmp_path):
    path = write_file(tmp_path, "t.csv", BAD_CSV)
    assert import_error(path) == (
        f"{path}:3: column 'title' is empty (and 2 more bad row(s)); nothing was imported "
        "(--skip-bad-rows imports the other rows and lists these)"
    )


def test_skip_bad_rows_lists_every_row_left_out(tmp_path):
    result = ingest_file(write_file(tmp_path, "t.csv", BAD_CSV), skip_bad_rows=True)
    assert [r.id for r in result.records] == ["a", "d"]
    assert result.skipped == [
        "t.csv:3: column 'title' is empty",
        "t.csv:4: has 2 fields, the header has 3",
        "t.csv:5: id 'a' repeats line 2",
    ]
    assert "skipped 3 row(s):\n  t.csv:3: column 'title' is empty\n" in result.report_text()


def test_jsonl_strict_and_skipped(tmp_path):
    path = write_file(tmp_path, "c.jsonl", BAD_JSONL)
    assert import_error(path) == (
        f"{path}:2: not valid JSON (Expecting property name enclosed in double quotes) (and 2 more bad row(s)); "
        "nothing was imported (--skip-bad-rows imports the other rows and lists these)"
    )
    result = ingest_file(path, skip_bad_rows=True)
    assert [(r.id, r.kind) for r in result.records] == [("x1", "paper"), ("x3", "poster")]
    assert result.records[0].speakers == ("A", "B") and result.records[0].tags == ("MD", "MC")
    assert result.skipped == [
        "c.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes)",
        "c.jsonl:3: expected a JSON object, got list",
        "c.jsonl:4: column 'title' is empty",
    ]


def test_cli_strict_exits_2_and_writes_nothing(tmp_path, capsys):
    src, out = write_file(tmp_path, "c.jsonl", BAD_JSONL), tmp_path / "out.jsonl"
    assert main(["ingest", str(src), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"abstract-search: error: {src}:2: not valid JSON (Expecting property name enclosed in double quotes) "
        "(and 2 more bad row(s)); nothing was imported (--skip-bad-rows imports the other rows and lists these)\n"
    )
    assert not out.exists()


def test_cli_skip_bad_rows_exits_0_and_reports(tmp_path, capsys):
    src, out = write_file(tmp_path, "t.csv", "title,abstract\nBoroxol rings,Rings.\n,missing\n"), tmp_path / "o.jsonl"
    assert main(["ingest", str(src), "--out", str(out), "--json", "--skip-bad-rows"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["records"] == 1 and report["skipped"] == ["t.csv:3: column 'title' is empty"]
    assert [r.title for r in read_records(out)] == ["Boroxol rings"]


def test_cli_missing_file_is_one_clear_line(tmp_path, capsys):
    assert main(["ingest", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert capsys.readouterr().err.strip() == f"abstract-search: error: {tmp_path / 'nope.csv'}: no such file"


# --- values ------------------------------------------------------------------------------------

DATES = (
    "title,Date,Start,End\n"
    "A,2020-11-17,14:30,15:00\n"
    "B,17/11/2020,2:30 PM,3 PM\n"
    'C,"Tuesday, 17 November 2020",14h30,\n'
    "D,17-Nov-2020,9:00 AM - 10:30 AM,\n"
    "E,17.11.2020,2020-11-17 14:30,\n"
    "F,17 Nov,09.15,\n"
)


def test_dates_and_times_in_common_forms_are_normalised(tmp_path):
    records = ingest_file(write_file(tmp_path, "when.csv", DATES)).records
    assert [r.date for r in records] == ["2020-11-17"] * 6
    assert [(r.start, r.end) for r in records] == [
        ("14:30", "15:00"),
        ("14:30", "15:00"),
        ("14:30", ""),
        ("09:00", "10:30"),
        ("14:30", ""),
        ("09:15", ""),
    ]


def test_a_date_column_reads_its_order_from_the_cells_that_show_it(tmp_path):
    text = "title,date\nA,03/04/2020\nB,25/04/2020\n"
    assert [r.date for r in ingest_file(write_file(tmp_path, "d.csv", text)).records] == ["2020-04-03", "2020-04-25"]
    text = "title,date\nA,03/04/2020\nB,04/25/2020\n"
    assert [r.date for r in ingest_file(write_file(tmp_path, "m.csv", text)).records] == ["2020-03-04", "2020-04-25"]


def test_an_unreadable_value_names_its_line_and_column(tmp_path):
    path = write_file(tmp_path, "t.csv", "title,When\nA,2020-11-17\nB,someday\n")
    assert import_error(path, columns={"date": "When"}).startswith(
        f"{path}:3: column 'When' (date): 'someday' is not a date; nothing was imported"
    )
    path = write_file(tmp_path, "s.csv", "title,start\nA,14:30\nB,after lunch\n")
    assert import_error(path, columns={"start": "start"}).startswith(
        f"{path}:3: column 'start': 'after lunch' is not a time (write it like 14:30 or 2:30 PM);"
    )
    path = write_file(tmp_path, "k.csv", "title,kind\nA,talk\nB,workshop\n")
    assert import_error(path, columns={"kind": "kind"}).startswith(
        f"{path}:3: column 'kind': 'workshop' is not a kind; kinds: talk, poster, keynote, paper, oral, "
        "presentation, plenary;"
    )


def test_a_guess_the_cells_do_not_bear_out_stays_an_extra_column(tmp_path):
    path = write_file(tmp_path, "t.csv", "title,Day,Type\nA,Day 1,Long\nB,Day 2,Short\n")
    result = ingest_file(path)
    assert [r.date for r in result.records] == ["", ""] and result.records[0].kind == "paper"
    assert result.records[0].extra == (("Day", "Day 1"), ("Type", "Long"))
    assert result.warnings[:2] == [
        f"{path}: column 'Type' is not read as kind: line 2: 'Long' is not a kind; kinds: talk, poster, keynote, "
        "paper, oral, presentation, plenary; it is kept as an extra column (--col kind=Type reads it as kind and "
        "stops on such cells)",
        f"{path}: column 'Day' is not read as date: line 2: 'Day 1' is not a date; it is kept as an extra column "
        "(--col date=Day reads it as date and stops on such cells)",
    ]


def test_kinds_and_numbers(tmp_path):
    text = "title,Presentation Type,No.\nA,Oral,1\nB,poster,12\nC,,\n"
    records = ingest_file(write_file(tmp_path, "t.csv", text), kind="talk").records
    assert [(r.kind, r.number) for r in records] == [("talk", 1), ("poster", 12), ("talk", None)]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (['"Lee, Ann; Chen, Bo"', '"Dee, Cy"'], [("Lee, Ann", "Chen, Bo"), ("Dee, Cy",)]),
        (['"Ann Lee, Bo Chen and Cy Dee"', "Ed Fox"], [("Ann Lee", "Bo Chen", "Cy Dee"), ("Ed Fox",)]),
        (['"Lee, Ann"', '"Chen, Bo"'], [("Lee, Ann",), ("Chen, Bo",)]),
        (['"Lee, A. and Chen, B."', "Ed Fox"], [("Lee, A.", "Chen, B."), ("Ed Fox",)]),
        (["Ann Lee|Bo Chen", '"Dee, Cy"'], [("Ann Lee", "Bo Chen"), ("Dee, Cy",)]),
    ],
)
def test_names_split_on_the_separator_the_column_uses(tmp_path, cells, expected):
    text = "title,authors\n" + "".join(f"T{i},{c}\n" for i, c in enumerate(cells))
    assert [r.speakers for r in ingest_file(write_file(tmp_path, "t.csv", text)).records] == expected


def test_affiliations_never_split_on_commas_or_and(tmp_path):
    text = 'title,affiliation\nA,"Department of Physics and Astronomy, University of Leeds"\n'
    (record,) = ingest_file(write_file(tmp_path, "t.csv", text)).records
    assert record.affiliations == ("Department of Physics and Astronomy, University of Leeds",)


# --- mapping with --col ------------------------------------------------------------------------

SUBMISSIONS = (
    "Paper,Summary,Who,Where,Room,Keywords,Area\n"
    'Glass,Rings.,Ann Lee,Leeds,"Hall A",silica|boron,Oxides\n'
    'Melts,Flow.,Bo Chen,Jena,"Hall B",viscosity,Oxides\n'
)


def test_cli_col_maps_any_field_and_several_tag_columns(tmp_path, capsys):
    src, out = write_file(tmp_path, "s.csv", SUBMISSIONS), tmp_path / "o.jsonl"
    argv = ["ingest", str(src), "--out", str(out), "--title-col", "Paper", "--col", "abstract=Summary"]
    argv += ["--col", "speakers=Who", "--col", "affiliations=Where", "--col", "session=Room"]
    argv += ["--col", "tags=Keywords", "--col", "tags=Area"]
    assert main(argv) == 0
    first, second = read_records(out)
    assert (first.title, first.abstract) == ("Glass", "Rings.")
    assert (first.speakers, first.affiliations) == (("Ann Lee",), ("Leeds",))
    assert first.session == "Hall A" and first.tags == ("silica", "boron", "Oxides")
    assert first.extra == (("Area", "Oxides"),)  # a tag column with one value a row stays a facet
    assert second.tags == ("viscosity", "Oxides")
    report = capsys.readouterr().out
    assert "  tags         <- 'Keywords' (split on '|') + 'Area'\n" in report
    assert "  title        <- 'Paper'\n" in report


def test_cli_col_none_keeps_a_guessed_column_as_extra(tmp_path):
    src, out = write_file(tmp_path, "s.csv", "title,track\nGlass,Oxides\n"), tmp_path / "o.jsonl"
    assert main(["ingest", str(src), "--out", str(out), "--col", "tags="]) == 0
    (record,) = read_records(out)
    assert record.tags == () and record.extra == (("track", "Oxides"),)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--col", "colour=Area"], "--col 'colour=Area': 'colour' is not a field; fields: title, abstract, speakers"),
        (["--col", "Paper"], "--col 'Paper': use FIELD=COLUMN, e.g. --col tags=Keywords"),
        (["--col", "title=Paper", "--col", "title=Summary"], "--col title= is given twice; only tags take several"),
        (["--col", "title=Paper", "--title-col", "Paper"], "--title-col and --col title= both name the title column"),
        (["--sheet", "One"], "--sheet is for .xlsx workbooks"),
    ],
)
def test_cli_col_errors(tmp_path, capsys, options, message):
    src = write_file(tmp_path, "s.csv", SUBMISSIONS)
    assert main(["ingest", str(src), "--out", str(tmp_path / "o.jsonl"), *options]) == 2
    assert message in capsys.readouterr().err


# --- extra columns on records ------------------------------------------------------------------


def test_extra_columns_survive_the_corpus_file(tmp_path):
    record = Abstract(id="p1", title="Glass", extra={"track": "Oxides", "decision": "accept"})
    assert record.extra == (("track", "Oxides"), ("decision", "accept"))
    path = write_records([record, Abstract(id="p2", title="Melts")], tmp_path / "c.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["extra"] == {"track": "Oxides", "decision": "accept"}
    assert "extra" not in json.loads(lines[1])
    assert read_records(path) == [record, Abstract(id="p2", title="Melts")]


def test_extra_must_map_names_to_text(tmp_path):
    path = write_file(tmp_path, "c.jsonl", '{"id": "p1", "title": "Glass", "extra": {"score": 4}}\n')
    with pytest.raises(CorpusError) as err:
        read_records(path)
    assert str(err.value) == f"{path}:1: field 'extra' must be an object of strings (column: text)"


def test_corpus_hash_is_the_hash_of_each_records_json(workshop_records):
    import hashlib

    digest = hashlib.sha256()
    for record in workshop_records:
        digest.update(json.dumps(record.to_json(), sort_keys=True, ensure_ascii=False).encode() + b"\n")
    assert corpus_hash(workshop_records) == digest.hexdigest()
    changed = [workshop_records[0].__class__(**{**workshop_records[0].to_json(), "title": "x"}), *workshop_records[1:]]
    assert corpus_hash(changed) != corpus_hash(workshop_records)
    with_extra = Abstract(id="p1", title="Glass", extra={"track": "Oxides"})
    other_extra = Abstract(id="p1", title="Glass", extra={"track": "Melts"})
    assert corpus_hash([with_extra]) != corpus_hash([other_extra])
    assert corpus_hash([with_extra]) != corpus_hash([Abstract(id="p1", title="Glass")])
