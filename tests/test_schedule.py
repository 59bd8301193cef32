"""Programs in and out: loading the organizers' blocks, exports that parse back, the `plan` command."""

from __future__ import annotations

import csv
import json
from types import SimpleNamespace

import numpy as np
import pytest

from abstract_search import cli, service
from abstract_search.embed.backends import normalize_rows
from abstract_search.plan.planner import Frame, PlanError, describe_plan, plan_sessions
from abstract_search.plan.schedule import EXPORTERS, export_plan, has_program, load_program, talk_times
from abstract_search.records import Abstract

BLOCKS = [  # (label, date, start, end, talks): B and C run in parallel
    ("Day 1 morning", "2025-08-06", "09:00", "10:30", 3),
    ("Day 1 afternoon A", "2025-08-06", "13:00", "14:00", 2),
    ("Day 1 afternoon B", "2025-08-06", "13:00", "14:00", 2),
    ("Day 2 morning", "2025-08-07", "09:00", "10:00", 2),
]
WORDS = ["glass silica network", "crack fracture load", "neural potential learning", "diffusion ions sodium"]


def program_records():
    records, n = [], 0
    for label, date, start, end, talks in reversed(BLOCKS):  # file order must not matter
        for _ in range(talks):
            records.append(
                Abstract(
                    id=f"T{n:02d}",
                    title=f"{WORDS[n % 4]} study {n}",
                    kind="talk",
                    speakers=(f"Speaker {n}",),
                    abstract=f"We study {WORDS[n % 4]} with simulations.",
                    date=date,
                    start=start,
                    end=end,
                    session=label,
                )
            )
            n += 1
    records.append(
        Abstract(
            id="P01", title="a poster", kind="poster", session="Posters", date="2025-08-06", start="17:00", end="18:00"
        )
    )
    return records


def embed(records, fake_embedder):
    return fake_embedder.encode([r.text for r in records])


def test_load_program_orders_blocks_and_finds_parallel_ones():
    talks = [r for r in program_records() if r.kind == "talk"]
    program = load_program(talks)
    assert [p.name for p in program.frame.places] == [b[0] for b in BLOCKS]
    assert program.frame.sizes == (3, 2, 2, 2)
    assert [(p.slot, p.track) for p in program.frame.places] == [(0, 0), (1, 0), (1, 1), (2, 0)]
    assert program.frame.places[0].start == "09:00" and program.frame.places[0].end == "10:30"
    assert all(program.frame.places[program.labels[i]].name == r.session for i, r in enumerate(talks))


def test_load_program_refuses_records_without_sessions():
    records = [Abstract(id="A", title="x"), Abstract(id="B", title="y", session="S")]
    assert not has_program(records)
    with pytest.raises(PlanError, match="1 items have no session label"):
        load_program(records)


def test_talk_times_split_the_session_evenly():
    place = load_program([r for r in program_records() if r.kind == "talk"]).frame.places[0]
    times = talk_times(place, 3)
    clock = [t.strftime("%H:%M") for pair in times for t in pair]
    assert clock == ["09:00", "09:30", "09:30", "10:00", "10:00", "10:30"]


def test_within_date_keeps_talks_on_their_own_day(fake_embedder):
    from abstract_search.plan.planner import Constraints

    talks = [r for r in program_records() if r.kind == "talk"]
    program = load_program(talks)
    plan = plan_sessions(talks, embed(talks, fake_embedder), program.frame, Constraints(within="date"))
    date_of = {r.id: r.date for r in talks}
    for session in plan.sessions:
        assert {date_of[i] for i in session.item_ids} == {session.place.date}


@pytest.fixture(scope="module")
def planned(fake_embedder):
    talks = [r for r in program_records() if r.kind == "talk"]
    program = load_program(talks)
    embeddings = embed(talks, fake_embedder)
    plan = plan_sessions(talks, embeddings, program.frame, seed=0)
    return talks, plan


def test_csv_export_parses_back(planned, tmp_path):
    talks, plan = planned
    path = export_plan(plan, talks, tmp_path / "plan.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["id"] for row in rows) == sorted(r.id for r in talks)
    first = rows[0]
    assert first["session"] == "1" and first["start"] == "2025-08-06 09:00" and first["block"] == "Day 1 morning"


def test_json_export_parses_back(planned, tmp_path):
    talks, plan = planned
    data = json.loads(export_plan(plan, talks, tmp_path / "plan.json").read_text())
    assert [len(s["items"]) for s in data["sessions"]] == [3, 2, 2, 2]
    assert data["coherence"] == pytest.approx(plan.coherence, abs=1e-4)
    assert {"session", "slot", "track", "title", "keywords", "coherence", "items", "date", "start", "end"} <= set(
        data["sessions"][0]
    )


def test_markdown_export_lists_every_talk(planned, tmp_path):
    talks, plan = planned
    text = export_plan(plan, talks, tmp_path / "plan.md").read_text()
    assert text.startswith("# Program (proposed)")
    assert all(f"**{r.id}**" in text for r in talks)
    assert text.count("\n## Session ") == 4


def test_ics_export_parses_back_with_icalendar(planned, tmp_path):
    from icalendar import Calendar

    talks, plan = planned
    calendar = Calendar.from_ical(export_plan(plan, talks, tmp_path / "plan.ics").read_bytes())
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == len(talks)
    titles = {str(e["summary"]) for e in events}
    assert titles == {r.title for r in talks}
    first = min(events, key=lambda e: e.decoded("dtstart"))
    assert first.decoded("dtstart").strftime("%Y-%m-%d %H:%M") == "2025-08-06 09:00"
    assert first.decoded("dtend").strftime("%H:%M") == "09:30"


def test_exports_refuse_what_they_cannot_write(tmp_path):
    records = [Abstract(id=f"X{i}", title=f"t {i}") for i in range(4)]
    embeddings = normalize_rows(np.random.default_rng(0).normal(size=(4, 8)))
    plan = describe_plan(records, embeddings, [0, 0, 1, 1], Frame.fixed([2, 2]))
    with pytest.raises(PlanError, match="have no date/start/end"):
        export_plan(plan, records, tmp_path / "plan.ics")
    with pytest.raises(PlanError, match=f"valid suffixes: {', '.join(EXPORTERS)}"):
        export_plan(plan, records, tmp_path / "plan.xlsx")


# --- the `plan` command ---------------------------------------------------------------------


@pytest.fixture
def cli_corpus(monkeypatch, fake_embedder):
    records = program_records()
    embeddings = embed(records, fake_embedder)
    engine = SimpleNamespace(corpus="synthetic", records=records, embeddings=embeddings)
    monkeypatch.setattr(service, "open_engine", lambda corpus, model=None, progress=False: engine)
    return records


def test_cli_plan_json_shape(cli_corpus, capsys):
    assert cli.main(["plan", "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["corpus"] == "synthetic" and data["items"] == 9  # talks only, the poster is left out
    assert {"objective", "coherence", "sessions", "odd_ones"} <= set(data)
    assert [len(s["items"]) for s in data["sessions"]] == [3, 2, 2, 2]  # the organizers' sizes by default
    assert data["sessions"][1]["block"] == "Day 1 afternoon A"


def test_cli_plan_frame_pins_and_export(cli_corpus, capsys, tmp_path):
    out = tmp_path / "plan.csv"
    args = [
        "plan",
        "--sessions",
        "3",
        "--min-size",
        "2",
        "--max-size",
        "4",
        "--parallel",
        "3",
        "--pin",
        "T00=2",
        "--within",
        "kind",
        "--seed",
        "3",
        "--json",
        "--out",
        str(out),
    ]
    assert cli.main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert all(2 <= len(s["items"]) <= 4 for s in data["sessions"])
    assert "T00" in [i["id"] for i in data["sessions"][1]["items"]]
    assert {s["slot"] for s in data["sessions"]} == {1}
    assert len(list(csv.DictReader(out.open()))) == 9


def test_cli_compare_program(cli_corpus, capsys):
    assert cli.main(["plan", "--compare-program", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"organizers", "proposed", "improving_moves"}
    assert data["proposed"]["coherence"] >= data["organizers"]["coherence"] - 1e-9
    assert [len(s["items"]) for s in data["organizers"]["sessions"]] == [3, 2, 2, 2]
    assert cli.main(["plan", "--compare-program"]) == 0
    text = capsys.readouterr().out
    assert "organizers coherence" in text and "mean coherence: organizers" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "--sizes", "3,3"], "sizes add up to 6 but there are 9 items"),
        (["plan", "--pin", "T00"], "use ID=SESSION"),
        (["plan", "--sizes", "3,x"], "whole numbers"),
        (["plan", "--min-size", "2"], "go with --sessions"),
        (["plan", "--out", "plan.xlsx"], "valid suffixes"),
        (["plan", "--prefer-within", "room"], "--prefer-within 'room' is not a record field"),
    ],
)
def test_cli_plan_errors_exit_2_with_a_reason(cli_corpus, capsys, argv, message):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_plan_honours_unavailable_speakers(cli_corpus, capsys):
    assert cli.main(["plan", "--json", "--unavailable", "Speaker 0=1,2", "--unavailable", "speaker 3 = 3"]) == 0
    data = json.loads(capsys.readouterr().out)
    slot_of = {
        item["id"] if isinstance(item, dict) else item: s["slot"] for s in data["sessions"] for item in s["items"]
    }
    assert slot_of["T00"] not in (1, 2) and slot_of["T03"] != 3  # slots are numbered from 1 in and out


def test_cli_plan_unknown_unavailable_speaker_is_a_clear_error(cli_corpus, capsys):
    assert cli.main(["plan", "--unavailable", "Nobody=1"]) == 2
    err = capsys.readouterr().err
    assert "unavailable 'Nobody=1': no talk has speaker 'Nobody'; speakers: Speaker 0, Speaker 1" in err
