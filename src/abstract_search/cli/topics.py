"""The topics stage's commands: `topics` (labelled clusters) and `map` (the 2-D picture)."""

from __future__ import annotations

from abstract_search.cli.common import add_corpus_args, print_json
from abstract_search.records import CorpusError


def add_topics(sub) -> None:
    p = sub.add_parser(
        "topics",
        help="labelled topic clusters of a corpus",
        description="Group the corpus into labelled topics (the number is chosen by silhouette unless given).",
    )
    add_corpus_args(p)
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
        print_json(
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


def add_map(sub) -> None:
    p = sub.add_parser(
        "map",
        help="write the topic map as standalone HTML or PNG",
        description="Draw the 2-D map of the corpus (UMAP), coloured by topic, to an .html or .png file.",
    )
    add_corpus_args(p)
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
