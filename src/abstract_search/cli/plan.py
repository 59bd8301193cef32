"""`abstract-search plan`: group talks into sessions, compare with the organizers' program, export."""

from __future__ import annotations

from abstract_search.cli.common import add_corpus_args, print_json


def add_plan(sub) -> None:
    p = sub.add_parser(
        "plan",
        help="group talks into coherent sessions; compare with the organizers' program; export",
        description="Group the corpus's talks (or all records if it has none) into sessions that maximise "
        "within-session similarity under hard constraints, and export the schedule. Default frame: the "
        "organizers' session sizes and times when the records carry a program.",
    )
    add_corpus_args(p)
    frame = p.add_mutually_exclusive_group()
    frame.add_argument("--sizes", default=None, metavar="3,4,4,...", help="exact session sizes, comma-separated")
    frame.add_argument("--sessions", type=int, default=None, metavar="N", help="number of sessions (sizes vary)")
    p.add_argument("--min-size", type=int, default=None, help="smallest session with --sessions (default 2)")
    p.add_argument("--max-size", type=int, default=None, help="largest session with --sessions (default: none)")
    p.add_argument("--parallel", type=int, default=None, metavar="K", help="K sessions run at once in every slot")
    p.add_argument(
        "--pin",
        action="append",
        default=[],
        metavar="ID=SESSION",
        help="keep an item in a session (1-based); repeatable",
    )
    p.add_argument(
        "--unavailable",
        action="append",
        default=[],
        metavar="SPEAKER=SLOT[,SLOT]",
        help="a speaker who cannot talk in these time slots (1-based); repeatable",
    )
    p.add_argument(
        "--within",
        default=None,
        metavar="FIELD",
        help="keep every session inside one value of a record field (e.g. kind, date, tags)",
    )
    p.add_argument(
        "--prefer-within",
        default=None,
        metavar="FIELD",
        help="rather not mix values of a record field in a session (the soft form of --within)",
    )
    p.add_argument(
        "--prefer-weight",
        type=float,
        default=0.1,
        metavar="W",
        help="how much a shared --prefer-within value counts, in cosine units (default 0.1)",
    )
    p.add_argument(
        "--compare-program",
        action="store_true",
        help="show the organizers' program next to the best plan with the same sizes",
    )
    p.add_argument(
        "--seed", "--random-state", dest="seed", type=int, default=0, help="random state (same seed, same plan)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", default=None, metavar="FILE", help="export the plan: .csv, .md, .json or .ics")
    p.set_defaults(run=_run_plan)


def _print_plan(plan, records) -> None:
    titles = {r.id: r.title for r in records}
    fits = {f.id: f for f in plan.fits}
    print(f"{len(plan.sessions)} sessions, mean coherence {plan.coherence:.3f} (objective {plan.objective:.4f})")
    for s in plan.sessions:
        when = " ".join(v for v in (s.place.date, f"{s.place.start}-{s.place.end}" if s.place.start else "") if v)
        print(
            f"\nSession {s.index + 1}: {s.title}  [slot {s.place.slot + 1}, track {s.place.track + 1}"
            f"{', ' + when if when else ''}; coherence {s.coherence:.3f}]"
        )
        if s.keywords:
            print(f"    shared terms: {', '.join(s.keywords)}")
        for item_id in s.item_ids:
            print(f"    {item_id:8s} fit {fits[item_id].fit:+.3f}  {titles[item_id][:80]}")
    odd = plan.odd_ones()
    if odd:
        print("\nodd ones out:")
        for f in odd:
            change = f"swap with {f.swap_with}" if f.swap_with else "move"
            print(
                f"    {f.id:8s} fit {f.fit:+.3f}: {change} into session {f.best_alternative + 1} (score +{f.gain:.4f})"
            )


def _run_plan(args) -> int:
    from abstract_search import service
    from abstract_search.plan.planner import compare_plans
    from abstract_search.plan.schedule import comparison_text, export_plan, fit_json, plan_json

    engine = service.open_engine(args.corpus, args.model, progress=not args.json)
    request = service.PlanRequest(
        sizes=args.sizes,
        sessions=args.sessions,
        min_size=args.min_size,
        max_size=args.max_size,
        parallel=args.parallel,
        pins=tuple(args.pin),
        unavailable=tuple(args.unavailable),
        within=args.within or "",
        prefer_within=args.prefer_within or "",
        prefer_weight=args.prefer_weight,
        seed=args.seed,
        in_program_frame=args.compare_program,
    )
    outcome = service.plan_corpus(engine, request)
    plan, items = outcome.plan, outcome.items
    if args.compare_program:
        comparison = compare_plans(outcome.organizers, plan)
        if args.json:
            print_json(
                {
                    "corpus": engine.corpus,
                    "items": len(items),
                    "organizers": plan_json(outcome.organizers, items),
                    "proposed": plan_json(plan, items),
                    "improving_moves": [fit_json(f) for f in comparison.improving_moves],
                }
            )
        else:
            print(comparison_text(comparison, items))
    elif args.json:
        print_json({"corpus": engine.corpus, "items": len(items), **plan_json(plan, items)})
    else:
        _print_plan(plan, items)
    if args.out:
        path = export_plan(plan, items, args.out)
        if not args.json:
            print(f"wrote the plan to {path}")
    return 0
