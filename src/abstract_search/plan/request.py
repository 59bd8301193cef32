"""A plan as a person asks for it: sizes or a count, tracks, pins, unavailable speakers, groupings.

The CLI's flags and the app's planner page both fill a `PlanRequest` and call `plan_corpus`, so
planning is orchestrated once: the frame is chosen, constraints are read and checked, the plan is
searched, and the organizers' program (when the records carry one) is described beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from abstract_search.records import Abstract


@dataclass(frozen=True)
class PlanRequest:
    """What to plan; every field has the default a person gets by asking for nothing."""

    sizes: str | tuple[int, ...] | None = None  # exact sizes, "3,4,4"
    sessions: int | None = None  # or a count, with optional size bounds
    min_size: int | None = None
    max_size: int | None = None
    parallel: int | None = None  # tracks run side by side
    pins: tuple[str, ...] = ()  # "T27=9": item 27 in session 9 (numbered from 1)
    unavailable: tuple[str, ...] = ()  # "Volker Deringer=1,2": that speaker not in slots 1 and 2
    within: str = ""  # a hard grouping: every session inside one value of this field
    prefer_within: str = ""  # the soft form
    prefer_weight: float = 0.1
    seed: int = 0
    in_program_frame: bool = False  # plan into the organizers' own sessions (to compare with them)


@dataclass(frozen=True)
class PlanOutcome:
    items: list[Abstract]
    plan: object  # plan.planner.Plan
    organizers: object | None  # the organizers' program as a Plan, when the records carry one


def plan_items(engine):
    """What a plan groups: the corpus's talks (all records if it has none), with their vectors."""
    rows = [i for i, r in enumerate(engine.records) if r.kind == "talk"] or list(range(len(engine.records)))
    return [engine.records[i] for i in rows], engine.embeddings[rows]


def plan_corpus(engine, request: PlanRequest) -> PlanOutcome:
    """Plans the corpus's talks as asked; a request that cannot hold is a PlanError saying why."""
    from abstract_search.plan.frame import Constraints, PlanError
    from abstract_search.plan.planner import plan_sessions

    items, vectors = plan_items(engine)
    organizers = organizers_plan(items, vectors)
    if request.in_program_frame:
        if organizers is None:
            raise PlanError("--compare-program needs an organizers' program: every item needs a session label")
        frame = organizers.frame
    else:
        frame = make_frame(
            items,
            sizes=request.sizes,
            sessions=request.sessions,
            min_size=request.min_size,
            max_size=request.max_size,
            parallel=request.parallel,
        )
    constraints = Constraints(
        pins=parse_pins(request.pins),
        unavailable=parse_unavailable(request.unavailable, items),
        within=request.within,
    )
    plan = plan_sessions(
        items,
        vectors,
        frame,
        constraints,
        prefer_within=request.prefer_within,
        prefer_weight=request.prefer_weight,
        seed=request.seed,
    )
    return PlanOutcome(items, plan, organizers)


def make_frame(
    items: Sequence[Abstract],
    *,
    sizes: str | Sequence[int] | None = None,
    sessions: int | None = None,
    min_size: int | None = None,
    max_size: int | None = None,
    parallel: int | None = None,
):
    """The session frame: exact sizes, or a count with size bounds, or the organizers' program."""
    from abstract_search.plan.frame import Frame, PlanError
    from abstract_search.plan.schedule import has_program, load_program

    if (min_size is not None or max_size is not None) and sessions is None:
        raise PlanError("--min-size/--max-size go with --sessions N")
    tracks = parallel or 1
    if sizes:
        if isinstance(sizes, str):
            try:
                sizes = [int(v) for v in sizes.replace(" ", "").split(",") if v]
            except ValueError:
                raise PlanError(f"sizes {sizes!r}: give whole numbers separated by commas, e.g. 3,4,4") from None
        return Frame.fixed(list(sizes), tracks)
    if sessions is not None:
        return Frame.flexible(sessions, min_size or min(2, len(items)), max_size or 0, tracks)
    if has_program(items):
        program = load_program(items)
        return program.frame if parallel is None else Frame.fixed(program.frame.sizes, tracks)
    n_sessions = max(1, math.ceil(len(items) / 4))
    return Frame.flexible(n_sessions, min(2, len(items) // n_sessions), 6, tracks)


def parse_pins(values: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """'T05=2' pins to (T05, session index 1); sessions are numbered from 1 for people."""
    from abstract_search.plan.frame import PlanError

    pins = []
    for value in values:
        item_id, sep, session = value.partition("=")
        if not sep or not item_id.strip() or not session.strip().isdigit() or int(session) < 1:
            raise PlanError(f"pin {value!r}: use ID=SESSION with a session number from 1, e.g. T05=2")
        pins.append((item_id.strip(), int(session) - 1))
    return tuple(pins)


def parse_unavailable(values: Sequence[str], items: Sequence[Abstract]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """'Volker Deringer=1,2' says that speaker cannot talk in time slots 1 and 2 (numbered from 1)."""
    from abstract_search.plan.frame import PlanError

    speakers = sorted({s for r in items for s in r.speakers})
    known = {" ".join(s.casefold().split()) for s in speakers}
    rules = []
    for value in values:
        name, sep, slots = value.rpartition("=")
        try:
            numbers = tuple(int(v) - 1 for v in slots.replace(" ", "").split(",") if v)
        except ValueError:
            numbers = ()
        if not sep or not name.strip() or not numbers or min(numbers) < 0:
            raise PlanError(f"unavailable {value!r}: use SPEAKER=SLOT[,SLOT] with slots numbered from 1")
        if " ".join(name.casefold().split()) not in known:
            raise PlanError(
                f"unavailable {value!r}: no talk has speaker {name.strip()!r}; speakers: {', '.join(speakers)}"
            )
        rules.append((name.strip(), numbers))
    return tuple(rules)


def organizers_plan(items: Sequence[Abstract], vectors):
    """The organizers' program described as a plan (None when the records carry no program)."""
    from abstract_search.plan.planner import describe_plan
    from abstract_search.plan.schedule import has_program, load_program

    if not has_program(items):
        return None
    program = load_program(items)
    return describe_plan(items, vectors, program.labels, program.frame, name="organizers")
