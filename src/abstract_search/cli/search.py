"""The search stage's commands: `build`, `search`, `related` and `eval`."""

from __future__ import annotations

from collections.abc import Sequence

from abstract_search.cli.common import add_corpus_args, print_json


def add_build(sub) -> None:
    p = sub.add_parser(
        "build",
        help="embed a corpus, write its search index, and compute its topics and map",
        description=(
            "Embed a corpus (cached per text), write index/<corpus>/ atomically, then compute the default "
            "topics and the 2-D map, so the app opens on them at once."
        ),
    )
    add_corpus_args(p)
    p.add_argument(
        "--no-topics",
        action="store_true",
        help="only the search index: leave the topics and the map to their first use",
    )
    p.set_defaults(run=_run_build)


def _run_build(args) -> int:
    from abstract_search import service

    engine = service.open_engine(args.corpus, args.model, progress=True, build="stale")
    manifest = engine.index.manifest
    print(
        f"index of {manifest.corpus!r}: {manifest.records} records, {manifest.model}, "
        f"{manifest.dimension}-d, {manifest.index_type}"
    )
    if not args.no_topics:
        from tqdm.auto import tqdm

        with tqdm(total=2, desc="topics and map", unit="step") as bar:

            def step(name: str) -> None:
                if name != "topics":
                    bar.update(1)
                bar.set_postfix_str(name)

            service.prepare_browsing(engine, step)
            bar.update(1)
        print("topics and the map are ready for the app")
    return 0


def add_search(sub) -> None:
    p = sub.add_parser(
        "search",
        help="hybrid (BM25 + dense) search with answer sentences",
        description="Search the corpus; each hit shows the sentences that best answer the query.",
    )
    p.add_argument("query", nargs="?", default=None, help="what to look for (words, a question, a name)")
    p.add_argument("--batch", default=None, metavar="FILE", help="one query per line; prints one JSON object per line")
    add_corpus_args(p)
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
    from abstract_search import service
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
        engine = service.open_engine(args.corpus, args.model, progress=True, build="missing")
        for query, hits in zip(queries, engine.search_many(queries, args.top_k, filters), strict=True):
            print_json(_search_json(query, hits))
        return 0
    engine = service.open_engine(args.corpus, args.model, progress=True, build="missing")
    hits = engine.search(args.query, args.top_k, filters)
    if args.json:
        print_json(_search_json(args.query, hits))
    else:
        _print_hits(hits)
    return 0


def add_related(sub) -> None:
    p = sub.add_parser(
        "related",
        help="the talks/posters nearest to one, with the terms they share",
        description="Find the records nearest to a given one (by id, e.g. T27).",
    )
    p.add_argument("id", help="record id, e.g. T27")
    add_corpus_args(p)
    p.add_argument("--top-k", type=int, default=5, help="number of related records (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=_run_related)


def _run_related(args) -> int:
    from abstract_search import service

    engine = service.open_engine(args.corpus, args.model, progress=True, build="missing")
    hits = engine.related(args.id, args.top_k)
    if args.json:
        print_json({"id": args.id, "hits": [hit.to_json() for hit in hits]})
        return 0
    for hit in hits:
        print(f"{hit.rank:2d}. {hit.id}  {hit.title}  (similarity {hit.scores.dense:.3f})")
        if hit.matched_terms:
            print(f"    shared: {', '.join(hit.matched_terms)}")
    return 0


def add_eval(sub) -> None:
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
        print_json(result)
        return 0
    print(f"{result['dataset']} {result['split']}: {result['queries']} queries, {result['documents']} documents")
    print(f"{'pipeline':10s} {'nDCG@10':>8s} {'R@100':>8s} {'MRR@10':>8s}")
    for name, figures in (("hybrid", result), ("bm25", result["bm25"]), ("dense", result["dense"])):
        print(f"{name:10s} {figures['ndcg@10']:8.4f} {figures['recall@100']:8.4f} {figures['mrr@10']:8.4f}")
    return 0
