"""Topic labels against the EMNLP 2020 track names: our labeller vs the c-TF-IDF one vs BERTopic's.

Our topics are fitted on the bundled-model embeddings of the main papers (those with one of the
20 tracks). A topic whose members are at least half from one track is scored: its label is right
when, among the 20 track names, the majority track's name is the nearest to the label (cosine,
bundled model); `label_track_cosine` is the mean cosine between label and majority-track name.
Track names are used only to score; no labeller sees them. "keyword_ceiling" (ours only) is the
share of those topics that our label or one of our keywords would name right: the most a better
choice among our own phrases could reach.

Three labellers name the same topics: "ours" (labels.describe_groups with document and phrase
embeddings), "current" (labels_ctfidf.describe_groups_ctfidf, the previous default) and
"bertopic" (BERTopic's default topic names on our clusters: manual topic modelling with an
empty dimensionality reduction and clustering).

The labeller's settings were chosen on the "tune" half only: the main papers are split by a
stable hash of their UID, topics are fitted on each half separately, and `--tune` prints the grid
of settings on that half. "splits" reports all three labellers on both halves; the top-level
figures are on all main papers. The labels of the bundled glass-science workshop are printed for
reading (not scored, not tuned on).

Usage: .venv/bin/python benchmarks/topic_labels_emnlp2020.py [--json] [--tune] [--skip-bertopic]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _emnlp2020 import Paper, in_tuning_half, load_papers, paper_embeddings  # noqa: E402
from _machine import machine, save_result  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "topic_labels_emnlp2020.json"
WORKSHOP = Path(__file__).resolve().parents[1] / "src" / "abstract_search" / "bundled" / "workshop2025.jsonl"
MAJORITY = 0.5
Labeller = Callable[[list[str], np.ndarray, np.ndarray], dict[int, str]]


class MemoEmbedder:
    """The bundled model, remembering every text it embedded (the grid re-embeds the same phrases)."""

    def __init__(self):
        from abstract_search.embed.backends import load_embedder

        self.model = load_embedder(None)
        self.seen: dict[str, np.ndarray] = {}
        self.calls = 0

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        new = [t for t in dict.fromkeys(texts) if t not in self.seen]
        if new:
            self.seen.update(zip(new, self.model.encode(new), strict=True))
        return np.vstack([self.seen[t] for t in texts]) if texts else np.zeros((0, self.model.dimension))


def half_of(uid: str) -> str:
    """A paper's half, from a stable hash of its UID."""
    return "tune" if in_tuning_half(uid) else "heldout"


def fit_topics(vectors: np.ndarray, n_topics: int | None = None) -> np.ndarray:
    from abstract_search.topics.model import TopicModel

    return TopicModel(n_topics, random_state=0).fit(vectors).labels_


def ours(embed: MemoEmbedder, settings=None) -> Labeller:
    """Our labeller as the library calls it, or with other settings (for the grid)."""
    phrases = our_phrases(embed, settings)
    return lambda texts, topics, vectors: {g: found[0] for g, found in phrases(texts, topics, vectors).items()}


def our_phrases(
    embed: MemoEmbedder, settings=None
) -> Callable[[list[str], np.ndarray, np.ndarray], dict[int, list[str]]]:
    """Our label, then keywords, of each topic: the phrases a better choice of label could have taken."""
    from abstract_search.topics.labels import DEFAULT_SETTINGS, describe_groups_with

    def phrases(texts, topics, vectors):
        found = describe_groups_with(
            texts, topics.tolist(), settings or DEFAULT_SETTINGS, embeddings=vectors, embed=embed
        )
        return {d.group: [d.label, *d.keywords] for d in found}

    return phrases


def current(texts, topics, vectors) -> dict[int, str]:
    from abstract_search.topics.labels_ctfidf import describe_groups_ctfidf

    return {d.group: d.label for d in describe_groups_ctfidf(texts, topics.tolist())}


def bertopic(texts, topics, vectors, stop_words: str | None = None) -> dict[int, str]:
    """BERTopic's default names ("3_word_word_word_word") of our topics, number dropped."""
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction
    from sklearn.feature_extraction.text import CountVectorizer

    model = BERTopic(
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=BaseCluster(),
        vectorizer_model=CountVectorizer(stop_words=stop_words) if stop_words else None,
    )
    assigned, _ = model.fit_transform(texts, vectors, y=topics)
    names = {}
    for ours_id, theirs in zip(topics.tolist(), assigned, strict=True):  # BERTopic renumbers by size
        names[ours_id] = model.topic_labels_[theirs].split("_", 1)[1].replace("_", " ")
    return names


def topic_tracks(topics: np.ndarray, tracks: np.ndarray) -> list[tuple[int, int, str, float]]:
    """Each topic (outliers aside) with its size, its most frequent track and that track's share."""
    rows = []
    for topic in sorted(t for t in set(topics.tolist()) if t >= 0):
        members = tracks[topics == topic]
        track, count = Counter(members.tolist()).most_common(1)[0]
        rows.append((topic, int(len(members)), track, round(count / len(members), 3)))
    return rows


def score(labels: dict[int, str], topics: np.ndarray, tracks: np.ndarray, embed: MemoEmbedder) -> dict:
    """Label accuracy and label-to-track cosine over the topics with a majority track."""
    names = sorted(set(tracks.tolist()))
    name_vectors = embed(names)
    rows = []
    for topic, size, track, share in topic_tracks(topics, tracks):
        row = {"topic": topic, "size": size, "label": labels[topic], "track": track, "share": share}
        if share >= MAJORITY:
            cosines = name_vectors @ embed([labels[topic]])[0]
            row["right"] = bool(names[int(np.argmax(cosines))] == track)
            row["cosine"] = round(float(cosines[names.index(track)]), 4)
        rows.append(row)
    scored = [r for r in rows if "right" in r]
    return {
        "label_accuracy": round(float(np.mean([r["right"] for r in scored])), 4) if scored else 0.0,
        "label_track_cosine": round(float(np.mean([r["cosine"] for r in scored])), 4) if scored else 0.0,
        "topics_scored": len(scored),
        "n_topics": len(rows),
        "topics": rows,
    }


def keyword_ceiling(phrases: dict[int, list[str]], topics: np.ndarray, tracks: np.ndarray, embed) -> list[bool]:
    """Per topic with a majority track: whether its label or any of its keywords would be scored right.

    The most any choice of label among our own keywords could reach (choosing by the track
    names, which no labeller may see): the gap between it and our accuracy is the choice's.
    """
    names = sorted(set(tracks.tolist()))
    name_vectors = embed(names)
    right = []
    for topic, _, track, share in topic_tracks(topics, tracks):
        if share >= MAJORITY:
            nearest = np.argmax(embed(phrases[topic]) @ name_vectors.T, axis=1)
            right.append(any(names[int(i)] == track for i in nearest))
    return right


def evaluate(papers: list[Paper], vectors: np.ndarray, labellers: dict[str, Labeller], embed) -> dict:
    """Every labeller on the same topics of these papers."""
    texts = [p.text for p in papers]
    tracks = np.array([p.track for p in papers])
    topics = fit_topics(vectors)
    results = {}
    for name, labeller in labellers.items():
        start = time.perf_counter()
        labels = labeller(texts, topics, vectors)
        results[name] = {**score(labels, topics, tracks, embed), "seconds": round(time.perf_counter() - start, 2)}
    ceiling = keyword_ceiling(our_phrases(embed)(texts, topics, vectors), topics, tracks, embed)
    results["ours"]["keyword_ceiling"] = round(float(np.mean(ceiling)), 4) if ceiling else 0.0
    return results


def evaluate_pooled(papers: list[Paper], vectors: np.ndarray, labellers: dict[str, Labeller], embed) -> dict:
    """Every labeller over the topics of several fits (TUNE_TOPIC_COUNTS) of these papers, pooled.

    One fit has only a dozen topics with a majority track, so one topic moves accuracy by 0.08 or
    more; pooling the fits gives finer (though correlated) figures. Not part of the contract.
    Every labeller names the same topics, so "paired" compares ours with each other labeller
    topic by topic: the topics only one of the two names right, and the exact two-sided sign test
    of those (a small p: the difference is unlikely to be luck of the topics).
    """
    from scipy.stats import binomtest

    texts = [p.text for p in papers]
    tracks = np.array([p.track for p in papers])
    fits = [fit_topics(vectors, k) for k in TUNE_TOPIC_COUNTS]
    pooled, right = {}, {}
    for name, labeller in labellers.items():
        rows = [r for topics in fits for r in score(labeller(texts, topics, vectors), topics, tracks, embed)["topics"]]
        scored = [r for r in rows if "right" in r]
        right[name] = [r["right"] for r in scored]
        pooled[name] = {
            "label_accuracy": round(float(np.mean([r["right"] for r in scored])), 4),
            "label_track_cosine": round(float(np.mean([r["cosine"] for r in scored])), 4),
            "topics_scored": len(scored),
            "n_topics": len(rows),
        }
    paired = {}
    for name in (n for n in labellers if n != "ours"):
        ours_only = sum(a and not b for a, b in zip(right["ours"], right[name], strict=True))
        theirs_only = sum(b and not a for a, b in zip(right["ours"], right[name], strict=True))
        test = binomtest(ours_only, ours_only + theirs_only) if ours_only + theirs_only else None
        paired[name] = {
            "ours_only_right": ours_only,
            "theirs_only_right": theirs_only,
            "sign_test_p": round(float(test.pvalue), 4) if test else 1.0,
        }
    pooled["paired"] = paired
    phrases = our_phrases(embed)
    ceiling = [r for topics in fits for r in keyword_ceiling(phrases(texts, topics, vectors), topics, tracks, embed)]
    pooled["ours"]["keyword_ceiling"] = round(float(np.mean(ceiling)), 4)
    return pooled


GRID = {
    "closeness_weight": [0.0, 0.25, 0.5, 0.75, 1.0],
    "centre_on_corpus": [False, True],
    "min_head_share": [0.0, 0.25, 0.5],
    "min_label_words": [1, 2],
    "pair_ratio": [0.5, 0.8, 2.0],
    "specific_ratio": [0.5, 2.0],
}


# Topic counts the grid is scored on: the model's own choice gives only a dozen topics with a
# majority track on half the papers, too few to tell settings apart, so coarser and finer
# fits of the same half are scored too.
TUNE_TOPIC_COUNTS = (None, 10, 15, 20, 25, 30, 40)


def tune(papers: list[Paper], vectors: np.ndarray, embed: MemoEmbedder, grid: dict = GRID) -> list[dict]:
    """Our labeller over the settings grid, on the tune half only, best first."""
    from abstract_search.topics.labels import DEFAULT_SETTINGS

    texts = [p.text for p in papers]
    tracks = np.array([p.track for p in papers])
    fits = [fit_topics(vectors, k) for k in TUNE_TOPIC_COUNTS]
    rows = []
    for values in itertools.product(*grid.values()):
        settings = replace(DEFAULT_SETTINGS, **dict(zip(grid, values, strict=True)))
        right, cosines = [], []
        for topics in fits:
            figures = score(ours(embed, settings)(texts, topics, vectors), topics, tracks, embed)
            right += [r["right"] for r in figures["topics"] if "right" in r]
            cosines += [r["cosine"] for r in figures["topics"] if "right" in r]
        accuracy, cosine = round(float(np.mean(right)), 4), round(float(np.mean(cosines)), 4)
        rows.append({**dict(zip(grid, values, strict=True)), "label_accuracy": accuracy, "label_track_cosine": cosine})
    rows.sort(key=lambda r: (-r["label_accuracy"], -r["label_track_cosine"]))
    return rows


def workshop_labels(embed: MemoEmbedder) -> list[dict]:
    """Our and the current labels of the bundled workshop's topics, to read."""
    from abstract_search.records import read_records
    from abstract_search.topics.labels import describe_groups
    from abstract_search.topics.labels_ctfidf import describe_groups_ctfidf

    records = read_records(WORKSHOP)
    texts = [r.text for r in records]
    vectors = embed.model.encode(texts)
    topics = fit_topics(vectors)
    new = describe_groups(texts, topics.tolist(), embeddings=vectors, embed=embed)
    old = describe_groups_ctfidf(texts, topics.tolist())
    return [
        {
            "topic": n.group,
            "size": int((topics == n.group).sum()),
            "ours": n.label,
            "current": o.label,
            "keywords": list(n.keywords),
            "titles": [r.title for r, t in zip(records, topics, strict=True) if t == n.group],
        }
        for n, o in zip(new, old, strict=True)
    ]


def print_table(results: dict) -> None:
    header = f"{'part':8s} {'labeller':20s} {'accuracy':>8s} {'cosine':>7s} {'scored':>6s} {'topics':>6s}"
    print(f"{header} {'sec':>6s} {'keyword ceiling':>15s}")
    for part, figures in results.items():
        for name, f in figures.items():
            ceiling = f"{f['keyword_ceiling']:15.3f}" if "keyword_ceiling" in f else ""
            print(
                f"{part:8s} {name:20s} {f['label_accuracy']:8.3f} {f['label_track_cosine']:7.3f} "
                f"{f['topics_scored']:6d} {f['n_topics']:6d} {f['seconds']:6.1f} {ceiling}"
            )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the table, then the JSON result as the last line")
    parser.add_argument("--tune", action="store_true", help="print the settings grid on the tune half first")
    parser.add_argument("--skip-bertopic", action="store_true")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    papers = load_papers()
    vectors = paper_embeddings(papers)
    main_rows = [i for i, p in enumerate(papers) if p.track]
    papers, vectors = [papers[i] for i in main_rows], vectors[main_rows]
    embed = MemoEmbedder()
    halves = {h: [i for i, p in enumerate(papers) if half_of(p.uid) == h] for h in ("tune", "heldout")}
    grid_rows = []
    counts = ", ".join("own choice" if k is None else str(k) for k in TUNE_TOPIC_COUNTS)
    if args.tune:
        grid_rows = tune([papers[i] for i in halves["tune"]], vectors[halves["tune"]], embed)
        print(f"Settings grid on the tune half ({len(grid_rows)} settings; topic counts {counts}), best first:")
        print(" ".join(f"{k[:10]:>10s}" for k in grid_rows[0]))
        for row in grid_rows[:20]:
            print(" ".join(f"{v!s:>10s}" for v in row.values()))
    labellers: dict[str, Labeller] = {"ours": ours(embed), "current": current}
    if not args.skip_bertopic:
        labellers["bertopic"] = bertopic
        # Not in the contract: BERTopic as its documentation advises, with English stop words removed.
        labellers["bertopic_stop_words"] = lambda texts, topics, vectors: bertopic(texts, topics, vectors, "english")
    parts = {"all": evaluate(papers, vectors, labellers, embed)}
    for half, rows in halves.items():
        parts[half] = evaluate([papers[i] for i in rows], vectors[rows], labellers, embed)
    pooled = {"all": evaluate_pooled(papers, vectors, labellers, embed)}
    for half, rows in halves.items():
        pooled[half] = evaluate_pooled([papers[i] for i in rows], vectors[rows], labellers, embed)
    print(f"EMNLP 2020 main papers: {len(papers)} (tune {len(halves['tune'])}, heldout {len(halves['heldout'])})")
    print_table(parts)
    print(f"\nPooled over fits with topic counts {counts} (finer, not the contract figures):")
    tables = {part: {n: f for n, f in figures.items() if n != "paired"} for part, figures in pooled.items()}
    print_table({part: {n: {**f, "seconds": 0.0} for n, f in table.items()} for part, table in tables.items()})
    print("Topics only one of the pair names right (ours vs other), and the sign test's p:")
    for part, figures in pooled.items():
        for name, f in figures["paired"].items():
            wins, losses = f["ours_only_right"], f["theirs_only_right"]
            print(f"  {part:8s} ours vs {name:20s} {wins:3d} vs {losses:3d}  p={f['sign_test_p']}")
    workshop = workshop_labels(embed)
    print("\nBundled workshop (glass science): ours | current")
    for row in workshop:
        print(f"  {row['topic']:3d} ({row['size']:2d})  {row['ours']:40s} | {row['current']}")
    summary = {name: {k: v for k, v in f.items() if k not in ("topics", "seconds")} for name, f in parts["all"].items()}
    result = {
        **summary,
        "splits": {
            half: {name: {k: v for k, v in f.items() if k != "topics"} for name, f in parts[half].items()}
            for half in ("tune", "heldout")
        },
        "pooled_over_topic_counts": {"topic_counts": list(TUNE_TOPIC_COUNTS), **pooled},
        "per_topic": {part: {name: f["topics"] for name, f in figures.items()} for part, figures in parts.items()},
        "workshop": workshop,
        "tuning": {"grid": GRID, "topic_counts": list(TUNE_TOPIC_COUNTS), "rows": grid_rows} if grid_rows else None,
        "machine": machine(),
    }
    save_result(RESULTS, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
