"""The topics stage's commands: `topics` (labelled clusters, seeds, over time) and `map` (the 2-D picture)."""

from __future__ import annotations

from abstract_search.cli.common import add_corpus_args, print_json
from abstract_search.records import CorpusError


def _add_topic_choice(p) -> None:
    p.add_argument("--n-topics", type=int, default=None, metavar="K", help="fix the number of clustered topics")
    p.add_argument(
        "--seed",
        action="append",
        default=None,
        metavar="TEXT",
        help="a topic you want (repeatable): it collects the items clearly about it; default: the saved seeds",
    )
    p.add_argument("--no-seeds", action="store_true", help="ignore the saved seeds for this run")
    p.add_argument("--random-state", type=int, default=0, metavar="N", help="same number, same topics and map")


def add_topics(sub) -> None:
    p = sub.add_parser(
        "topics",
        help="labelled topic clusters of a corpus",
        description=(
            "Group the corpus into labelled topics (seed topics first, then clusters whose number is chosen "
            "by silhouette unless given). Saved seeds and the app's edits (rename, merge, move) are applied."
        ),
    )
    add_corpus_args(p)
    _add_topic_choice(p)
    p.add_argument("--save-seeds", action="store_true", help="save the --seed topics as the corpus's seeds")
    p.add_argument("--no-edits", action="store_true", help="show the topics as computed, without saved edits")
    p.add_argument("--over-time", action="store_true", help="also the share of each topic per year (or day)")
    p.add_argument("--period", choices=("auto", "year", "date"), default="auto", help="period for --over-time")
    p.add_argument("--json", action="store_true", help="print the topics as one JSON object")
    p.set_defaults(run=_run_topics)


def _open_for_topics(args):
    from abstract_search import service

    if args.n_topics is not None and args.n_topics < 1:
        raise CorpusError(f"--n-topics must be at least 1, got {args.n_topics}")
    return service.open_engine(args.corpus, args.model, progress=not getattr(args, "json", False))


def _seeds(args) -> list[str] | None:
    """The seeds for this run: given, none (--no-seeds), or None for the saved ones."""
    if args.no_seeds:
        if args.seed:
            raise CorpusError("--seed and --no-seeds contradict each other; give one")
        return []
    return args.seed


def _run_topics(args) -> int:
    from abstract_search import service

    engine = _open_for_topics(args)
    seeds = _seeds(args)
    if args.save_seeds:
        if seeds is None:
            raise CorpusError("--save-seeds saves the --seed topics; give at least one --seed (or --no-seeds)")
        service.set_topic_seeds(engine.corpus, seeds)
    result = service.corpus_topics(engine, args.n_topics, args.random_state, seeds=seeds, edits=not args.no_edits)
    shares = None
    if args.over_time:
        from abstract_search.topics.over_time import topic_shares_over_time

        shares = topic_shares_over_time(engine.records, result, period=args.period)
    if args.json:
        print_json(_topics_json(engine.corpus, result, shares))
        return 0
    _print_topics(engine, result)
    if shares is not None:
        _print_shares(shares)
    return 0


def _topics_json(corpus: str, result, shares) -> dict:
    data = {
        "corpus": corpus,
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
                **({"seed": t.seed} if t.seed else {}),
            }
            for t in result.topics
        ],
        "groups": [{"id": g.id, "label": g.label, "topic_ids": list(g.topic_ids)} for g in result.groups],
        "outliers": [{"id": o.id, "nearest_topic": o.nearest_topic, "reason": o.reason} for o in result.outliers],
        "unmatched_seeds": list(result.unmatched_seeds),
        "edit_notes": list(result.notes),
    }
    if shares is not None:
        from abstract_search.topics.over_time import shares_table_rows

        data["over_time"] = {
            "period": shares.period,
            "undated": shares.undated,
            "topics": [{"id": i, "label": label} for i, label in zip(shares.topic_ids, shares.labels, strict=True)],
            "rows": shares_table_rows(shares),
        }
    return data


def _print_topics(engine, result) -> None:
    titles = {r.id: r.title for r in engine.records}
    print(f"{len(result.topics)} topics in {engine.corpus!r} ({result.chosen_by})")
    for topic in result.topics:
        seeded = f"  [seed {topic.seed!r}]" if topic.seed else ""
        print(f"\n[{topic.id}] {topic.label}  ({topic.size} items){seeded}")
        print(f"    keywords: {', '.join(topic.keywords)}")
        for member in topic.members:
            print(f"    {member:8s} {titles[member][:90]}")
    if result.outliers:
        print("\noutliers:")
        for outlier in result.outliers:
            print(f"    {outlier.id:8s} {titles[outlier.id][:90]}  ({outlier.reason})")
    for note in (*result.unmatched_seeds, *result.notes):
        print(f"note: {note}")


def _print_shares(shares) -> None:
    print(f"\nshare of each topic per {shares.period}:")
    width = max(len(label) for label in shares.labels)
    print(f"    {'topic':{width}s} " + " ".join(f"{p:>10s}" for p in shares.periods))
    print(f"    {'items':{width}s} " + " ".join(f"{n:10d}" for n in shares.totals))
    for column, label in enumerate(shares.labels):
        print(f"    {label:{width}s} " + " ".join(f"{s:10.1%}" for s in shares.shares[:, column]))
    if shares.undated:
        print(f"    ({shares.undated} items without a usable date were left out)")


def add_map(sub) -> None:
    p = sub.add_parser(
        "map",
        help="write the topic map as standalone HTML or PNG",
        description="Draw the 2-D map of the corpus (UMAP), coloured by topic, to an .html or .png file.",
    )
    add_corpus_args(p)
    p.add_argument("--out", required=True, help="FILE.html (interactive, offline) or FILE.png")
    _add_topic_choice(p)
    p.add_argument("--query", default=None, help="also place this query on the map and ring its nearest items")
    p.set_defaults(run=_run_map)


def _run_map(args) -> int:
    from pathlib import Path

    from abstract_search import service
    from abstract_search.topics.plots import save_figure

    if Path(args.out).suffix.lower() not in (".html", ".htm", ".png"):
        raise CorpusError(f"--out {args.out}: use a .html or .png file name")
    engine = _open_for_topics(args)
    seeds = _seeds(args)
    topics = service.corpus_topics(engine, args.n_topics, args.random_state, seeds=seeds)
    figure = service.map_figure(engine, topics=topics, query=args.query or "", random_state=args.random_state)
    path = save_figure(figure, args.out)
    print(f"wrote the map of {len(engine.records)} items in {len(topics.topics)} topics to {path}")
    return 0
