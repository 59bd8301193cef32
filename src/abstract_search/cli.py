"""The `abstract-search` command: a thin layer over the library.

Each subcommand imports what it needs when it runs, so `--help` never loads torch.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from abstract_search.records import CorpusError, UserError


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False))


# --- ingest -------------------------------------------------------------------------------


# The fields `--col` maps, as abstract_search.ingest.tables.FIELDS has them (kept literal so that
# `--help` imports nothing; a test checks the two agree).
COL_FIELDS = "title, abstract, speakers, affiliations, id, kind, number, session, date, start, end, tags, references"


def _add_ingest(sub) -> None:
    p = sub.add_parser(
        "ingest",
        help="turn an abstract book (.txt/.pdf) or a table (.csv/.tsv/.jsonl/.json/.xlsx) into a corpus",
        description="Turn an abstract book (text or PDF) or a table (CSV, TSV, JSON Lines, JSON list, XLSX) "
        "into corpus records. A table is strict: one bad row fails the import and nothing is written, "
        "unless --skip-bad-rows. Columns no field takes are kept on each record as extra columns.",
    )
    p.add_argument("source", help="abstract book (.txt, .pdf) or table (.csv, .tsv, .jsonl, .json, .xlsx)")
    p.add_argument("--out", required=True, help="where to write the records (.jsonl)")
    p.add_argument("--program", default=None, help="the program in a separate file (.pdf, .docx, .html, .xlsx, .csv)")
    p.add_argument(
        "--col",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help=f"table column feeding a record field ({COL_FIELDS}); repeatable, tags may take several "
        "columns; FIELD= maps none. Unset fields are guessed from the headers (see the report)",
    )
    for field, what in (("title", "the title"), ("abstract", "the abstract"), ("id", "a stable id")):
        p.add_argument(f"--{field}-col", default=None, help=f"table column holding {what} (same as --col {field}=)")
    p.add_argument("--speakers-col", default=None, help="table column holding authors/speakers (--col speakers=)")
    p.add_argument("--sheet", default=None, metavar="NAME", help="the sheet of an .xlsx workbook (default: the first)")
    p.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="import the rows that read and list every row left out with its reason (default: fail on the first)",
    )
    p.add_argument("--kind", default=None, help="kind for table rows: talk, poster or paper (default: paper)")
    p.add_argument("--json", action="store_true", help="print the ingestion report as JSON")
    p.set_defaults(run=_run_ingest)


def _ingest_columns(args) -> dict[str, list[str]]:
    """--col options with the older --title-col style aliases folded in."""
    from abstract_search.ingest.tables import parse_col_options

    columns = parse_col_options(args.col)
    for field in ("title", "abstract", "id", "speakers"):
        alias = getattr(args, f"{field}_col")
        if alias is None:
            continue
        if field in columns:
            raise CorpusError(f"--{field}-col and --col {field}= both name the {field} column; give one")
        columns[field] = [alias]
    return columns


def _run_ingest(args) -> int:
    from abstract_search.ingest import ingest_file
    from abstract_search.records import write_records

    result = ingest_file(
        args.source,
        program=args.program,
        columns=_ingest_columns(args),
        kind=args.kind,
        sheet=args.sheet,
        skip_bad_rows=args.skip_bad_rows,
    )
    write_records(result.records, args.out)
    if args.json:
        _print_json(result.report_json())
    else:
        print(result.report_text())
        print(f"wrote {len(result.records)} records to {args.out}")
    return 0


# --- build / search / related / eval (search stage) -----------------------------------------


def _add_corpus_args(p) -> None:
    p.add_argument("--corpus", default=None, help="corpus name (data/NAME.jsonl) or .jsonl path (default workshop2025)")
    p.add_argument("--model", default=None, help="embedding model (default: the bundled all-MiniLM-L6-v2)")


def _add_build(sub) -> None:
    p = sub.add_parser(
        "build",
        help="embed a corpus and write its search index under index/",
        description="Embed a corpus (cached per text) and write index/<corpus>/ atomically.",
    )
    _add_corpus_args(p)
    p.set_defaults(run=_run_build)


def _run_build(args) -> int:
    from abstract_search.search.engine import Engine

    engine = Engine.open(args.corpus, args.model, progress=True, build="stale")
    manifest = engine.index.manifest
    print(
        f"index of {manifest.corpus!r}: {manifest.records} records, {manifest.model}, "
        f"{manifest.dimension}-d, {manifest.index_type}"
    )
    return 0


def _add_search(sub) -> None:
    p = sub.add_parser(
        "search",
        help="hybrid (BM25 + dense) search with answer sentences",
        description="Search the corpus; each hit shows the sentences that best answer the query.",
    )
    p.add_argument("query", nargs="?", default=None, help="what to look for (words, a question, a name)")
    p.add_argument("--batch", default=None, metavar="FILE", help="one query per line; prints one JSON object per line")
    _add_corpus_args(p)
    p.add_argument("--top-k", type=int, default=10, help="number of hits (default 10)")
    for name in ("kind", "date", "session", "tag", "speaker", "affiliation"):
        p.add_argument(f"--{name}", default=None, help=f"only hits with this {name}")
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="only hits whose extra column (one kept from a table, e.g. track) has this value; repeatable",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=_run_search)


def _search_json(query: str, hits) -> dict:
    return {"query": query, "hits": [hit.to_json() for hit in hits]}


def _print_hits(hits) -> None:
    if not hits:
        print("no hits")
    for hit in hits:
        when = " ".join(part for part in (hit.date, hit.session) if part)
        people = ", ".join(hit.speakers)
        print(f"{hit.rank:2d}. {hit.id}  {hit.title}")
        print(f"    {hit.kind}{' | ' + people if people else ''}{' | ' + when if when else ''}")
        print(f"    score {hit.scores.fused:.3f} (lexical {hit.scores.lexical:.2f}, dense {hit.scores.dense:.3f})")
        if hit.snippet:
            print(f"    {hit.marked_snippet()}")
        elsewhere = [term for term in hit.matched_terms if term not in hit.snippet]
        if elsewhere:
            print(f"    also matched: {', '.join(elsewhere)}")


def _where_pairs(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """--where COLUMN=VALUE options as (column, value) pairs."""
    from abstract_search.search.fusion import QueryError

    pairs = []
    for value in values:
        column, sep, wanted = value.partition("=")
        if not sep or not column.strip() or not wanted.strip():
            raise QueryError(f"--where {value!r}: use COLUMN=VALUE, e.g. --where track=Summarization")
        pairs.append((column.strip(), wanted.strip()))
    return tuple(pairs)


def _run_search(args) -> int:
    from abstract_search.search.engine import Engine
    from abstract_search.search.fusion import Filters, QueryError

    if args.top_k < 1:
        raise QueryError("--top-k must be at least 1")
    if args.batch is None and args.query is None:
        raise QueryError("give a query, or --batch FILE with one query per line")
    filters = Filters(
        kind=args.kind,
        date=args.date,
        session=args.session,
        tag=args.tag,
        speaker=args.speaker,
        affiliation=args.affiliation,
        extra=_where_pairs(args.where),
    )
    if args.batch is not None:
        try:
            with open(args.batch, encoding="utf-8") as handle:
                queries = [line.rstrip("\n") for line in handle if line.strip()]
        except OSError as err:
            raise QueryError(f"{args.batch}: cannot read the batch file ({err.strerror})") from None
        except UnicodeDecodeError as err:
            raise QueryError(
                f"{args.batch}: not UTF-8 text (byte 0x{err.object[err.start]:02x}); re-save it as UTF-8"
            ) from None
        engine = Engine.open(args.corpus, args.model)
        for query, hits in zip(queries, engine.search_many(queries, args.top_k, filters), strict=True):
            _print_json(_search_json(query, hits))
        return 0
    engine = Engine.open(args.corpus, args.model)
    hits = engine.search(args.query, args.top_k, filters)
    if args.json:
        _print_json(_search_json(args.query, hits))
    else:
        _print_hits(hits)
    return 0


def _add_related(sub) -> None:
    p = sub.add_parser(
        "related",
        help="the talks/posters nearest to one, with the terms they share",
        description="Find the records nearest to a given one (by id, e.g. T27).",
    )
    p.add_argument("id", help="record id, e.g. T27")
    _add_corpus_args(p)
    p.add_argument("--top-k", type=int, default=5, help="number of related records (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=_run_related)


def _run_related(args) -> int:
    from abstract_search.search.engine import Engine

    engine = Engine.open(args.corpus, args.model)
    hits = engine.related(args.id, args.top_k)
    if args.json:
        _print_json({"id": args.id, "hits": [hit.to_json() for hit in hits]})
        return 0
    for hit in hits:
        print(f"{hit.rank:2d}. {hit.id}  {hit.title}  (similarity {hit.scores.dense:.3f})")
        if hit.matched_terms:
            print(f"    shared: {', '.join(hit.matched_terms)}")
    return 0


def _add_eval(sub) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate retrieval on a BEIR-format folder",
        description="nDCG@10, recall@100 and MRR@10 of the hybrid pipeline, BM25 and dense.",
    )
    p.add_argument("--beir", required=True, metavar="DIR", help="folder with corpus.jsonl, queries.jsonl, qrels/")
    p.add_argument("--split", default="test", help="qrels split (default: test)")
    p.add_argument("--model", default=None, help="embedding model (default: the bundled all-MiniLM-L6-v2)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=_run_eval)


def _run_eval(args) -> int:
    from abstract_search.evaluate import evaluate_beir

    result = evaluate_beir(args.beir, args.split, args.model, progress=not args.json)
    if args.json:
        _print_json(result)
        return 0
    print(f"{result['dataset']} {result['split']}: {result['queries']} queries, {result['documents']} documents")
    print(f"{'pipeline':10s} {'nDCG@10':>8s} {'R@100':>8s} {'MRR@10':>8s}")
    for name, figures in (("hybrid", result), ("bm25", result["bm25"]), ("dense", result["dense"])):
        print(f"{name:10s} {figures['ndcg@10']:8.4f} {figures['recall@100']:8.4f} {figures['mrr@10']:8.4f}")
    return 0


# --- topics / map (topics stage) --------------------------------------------------------------


def _add_topics(sub) -> None:
    p = sub.add_parser(
        "topics",
        help="labelled topic clusters of a corpus",
        description="Group the corpus into labelled topics (the number is chosen by silhouette unless given).",
    )
    _add_corpus_args(p)
    p.add_argument("--n-topics", type=int, default=None, metavar="K", help="fix the number of topics")
    p.add_argument("--seed", type=int, default=0, help="random state (same seed, same topics)")
    p.add_argument("--json", action="store_true", help="print the topics as one JSON object")
    p.set_defaults(run=_run_topics)


def _open_for_topics(args):
    from abstract_search import service

    if args.n_topics is not None and args.n_topics < 1:
        raise CorpusError(f"--n-topics must be at least 1, got {args.n_topics}")
    return service.open_engine(args.corpus, args.model, progress=not getattr(args, "json", False))


def _run_topics(args) -> int:
    from abstract_search import service

    engine = _open_for_topics(args)
    result = service.corpus_topics(engine, args.n_topics, args.seed)
    titles = {r.id: r.title for r in engine.records}
    if args.json:
        _print_json(
            {
                "corpus": engine.corpus,
                "n_topics": len(result.topics),
                "chosen_by": result.chosen_by,
                "topics": [
                    {
                        "id": t.id,
                        "label": t.label,
                        "keywords": list(t.keywords),
                        "size": t.size,
                        "members": list(t.members),
                        "representative_ids": list(t.representative_ids),
                        "parent": t.parent,
                    }
                    for t in result.topics
                ],
                "groups": [{"id": g.id, "label": g.label, "topic_ids": list(g.topic_ids)} for g in result.groups],
                "outliers": [
                    {"id": o.id, "nearest_topic": o.nearest_topic, "reason": o.reason} for o in result.outliers
                ],
            }
        )
        return 0
    print(f"{len(result.topics)} topics in {engine.corpus!r} ({result.chosen_by})")
    for topic in result.topics:
        print(f"\n[{topic.id}] {topic.label}  ({topic.size} items)")
        print(f"    keywords: {', '.join(topic.keywords)}")
        for member in topic.members:
            print(f"    {member:8s} {titles[member][:90]}")
    if result.outliers:
        print("\noutliers:")
        for outlier in result.outliers:
            print(f"    {outlier.id:8s} {titles[outlier.id][:90]}  ({outlier.reason})")
    return 0


def _add_map(sub) -> None:
    p = sub.add_parser(
        "map",
        help="write the topic map as standalone HTML or PNG",
        description="Draw the 2-D map of the corpus (UMAP), coloured by topic, to an .html or .png file.",
    )
    _add_corpus_args(p)
    p.add_argument("--out", required=True, help="FILE.html (interactive, offline) or FILE.png")
    p.add_argument("--n-topics", type=int, default=None, metavar="K", help="fix the number of topics")
    p.add_argument("--query", default=None, help="also place this query on the map and ring its nearest items")
    p.add_argument("--seed", type=int, default=0, help="random state for topics and layout")
    p.set_defaults(run=_run_map)


def _run_map(args) -> int:
    from pathlib import Path

    from abstract_search import service
    from abstract_search.topics.plots import save_figure

    if Path(args.out).suffix.lower() not in (".html", ".htm", ".png"):
        raise CorpusError(f"--out {args.out}: use a .html or .png file name")
    engine = _open_for_topics(args)
    figure = service.map_figure(engine, args.n_topics, args.query or "", random_state=args.seed)
    path = save_figure(figure, args.out)
    n_topics = len(service.corpus_topics(engine, args.n_topics, args.seed).topics)
    print(f"wrote the map of {len(engine.records)} items in {n_topics} topics to {path}")
    return 0


# --- plan (sessions) ------------------------------------------------------------------------


def _add_plan(sub) -> None:
    p = sub.add_parser(
        "plan",
        help="group talks into coherent sessions; compare with the organizers' program; export",
        description="Group the corpus's talks (or all records if it has none) into sessions that maximise "
        "within-session similarity under hard constraints, and export the schedule. Default frame: the "
        "organizers' session sizes and times when the records carry a program.",
    )
    _add_corpus_args(p)
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
    p.add_argument("--seed", type=int, default=0, help="random state (same seed, same plan)")
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
    from abstract_search.plan.planner import Constraints, PlanError, compare_plans, plan_sessions
    from abstract_search.plan.schedule import comparison_text, export_plan, fit_json, plan_json

    engine = service.open_engine(args.corpus, args.model, progress=not args.json)
    items, vectors = service.plan_items(engine)
    constraints = Constraints(
        pins=service.parse_pins(args.pin),
        unavailable=service.parse_unavailable(args.unavailable, items),
        within=args.within or "",
    )
    preference = {"prefer_within": args.prefer_within or "", "prefer_weight": args.prefer_weight}
    if args.compare_program:
        organizers = service.organizers_plan(items, vectors)
        if organizers is None:
            raise PlanError("--compare-program needs an organizers' program: every item needs a session label")
        plan = plan_sessions(items, vectors, organizers.frame, constraints, seed=args.seed, **preference)
        comparison = compare_plans(organizers, plan)
        if args.json:
            _print_json(
                {
                    "corpus": engine.corpus,
                    "items": len(items),
                    "organizers": plan_json(organizers, items),
                    "proposed": plan_json(plan, items),
                    "improving_moves": [fit_json(f) for f in comparison.improving_moves],
                }
            )
        else:
            print(comparison_text(comparison, items))
    else:
        frame = service.make_frame(
            items,
            sizes=args.sizes,
            sessions=args.sessions,
            min_size=args.min_size,
            max_size=args.max_size,
            parallel=args.parallel,
        )
        plan = plan_sessions(items, vectors, frame, constraints, seed=args.seed, **preference)
        if args.json:
            _print_json({"corpus": engine.corpus, "items": len(items), **plan_json(plan, items)})
        else:
            _print_plan(plan, items)
    if args.out:
        path = export_plan(plan, items, args.out)
        if not args.json:
            print(f"wrote the plan to {path}")
    return 0


COMMANDS = [_add_ingest, _add_build, _add_search, _add_related, _add_eval, _add_topics, _add_map, _add_plan]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="abstract-search",
        description="Semantic search, topics, maps and session planning for scientific abstracts.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for bad input, with a one-line reason)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as err:
        print(f"abstract-search: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("abstract-search: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
