"""Topics of a corpus: labelled clusters, a two-level hierarchy, and saving them as JSON + NumPy.

`compute_topics(records, embeddings)` runs the TopicModel (topic_model.py), names topics
with c-TF-IDF (topic_labels.py), merges topics into broader groups, and returns a frozen
TopicResult. `save_topics`/`load_topics` write and read it as topics.json plus
topic_centres.npy in a folder; nothing is pickled.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from abstract_search.embed.backends import normalize_rows
from abstract_search.records import Abstract
from abstract_search.topics.model import OUTLIER, TopicModel
from abstract_search.topics.seeds import (
    NO_SEED,
    SEED_MIN_RAW_SIMILARITY,
    SEED_MIN_SIMILARITY,
    clean_seeds,
    match_seeds,
    titles_naming,
)

__all__ = [
    "Outlier",
    "Topic",
    "TopicGroup",
    "TopicResult",
    "TopicModel",
    "compute_topics",
    "load_topics",
    "save_topics",
]

FORMAT_VERSION = 5  # 4: labels from the labeller of topics/labels.py; 5: its labels pair phrases more often
N_REPRESENTATIVES = 3


@dataclass(frozen=True)
class Topic:
    """One topic: its label, keywords, members (record ids) and most representative members."""

    id: int
    label: str
    keywords: tuple[str, ...]
    size: int
    members: tuple[str, ...]
    representative_ids: tuple[str, ...]
    parent: int
    seed: str = ""  # the seed text this topic was asked for, "" when clustering found it


@dataclass(frozen=True)
class TopicGroup:
    """A broader group of topics (the upper level of the hierarchy)."""

    id: int
    label: str
    keywords: tuple[str, ...]
    topic_ids: tuple[int, ...]


@dataclass(frozen=True)
class Outlier:
    """An item that belongs to no topic, with why and which topic it is closest to."""

    id: str
    nearest_topic: int
    similarity: float
    reason: str


@dataclass(frozen=True, eq=False)
class TopicResult:
    """Everything computed about a corpus's topics; `centres` place new texts on them."""

    topics: tuple[Topic, ...]
    groups: tuple[TopicGroup, ...]
    outliers: tuple[Outlier, ...]
    record_ids: tuple[str, ...]
    assignments: tuple[int, ...]  # topic id per record (-1 for outliers)
    confidence: tuple[float, ...]  # per record, in [0, 1]
    centres: np.ndarray  # (n_topics, dim), unit rows, in the centred space
    floors: np.ndarray  # (n_topics,) similarity below which an item is an outlier
    chosen_by: str  # how n_topics was decided, for people reading the result
    random_state: int
    mean: np.ndarray | None = None  # (dim,) corpus mean removed before comparing with centres
    unmatched_seeds: tuple[str, ...] = ()  # seeds no item was clearly about, each with why
    notes: tuple[str, ...] = ()  # a person's edits that no longer apply, each with why

    def topic_of(self, record_id: str) -> int:
        return self.assignments[self.record_ids.index(record_id)]

    def assign(self, embeddings: np.ndarray, *, allow_outliers: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Topics and similarities of new texts or queries: each gets its most similar topic.

        With allow_outliers, a text less similar to its nearest topic than every member of
        that topic gets -1, the rule that made the corpus's own outliers. Off by default:
        a short query is rarely as similar to a centre as a whole abstract, yet still belongs.
        """
        vectors = normalize_rows(embeddings)
        if self.mean is not None:
            vectors = normalize_rows(vectors - self.mean)
        similarity = vectors @ self.centres.T
        nearest = similarity.argmax(axis=1)
        best = similarity[np.arange(len(nearest)), nearest]
        if allow_outliers:
            nearest = np.where(best >= self.floors[nearest] - 1e-6, nearest, OUTLIER)
        return nearest.astype(np.int64), best


def group_topics(centres: np.ndarray, n_groups: int | None = None) -> np.ndarray:
    """Merges topics into broader groups: average-linkage on cosine distance between centres.

    The default number of groups is round(sqrt(n_topics)), so 20 topics make 4 broad groups.
    """
    n_topics = len(centres)
    if n_topics <= 2:
        return np.zeros(n_topics, dtype=np.int64)
    from sklearn.cluster import AgglomerativeClustering

    n_groups = n_groups or max(2, int(round(np.sqrt(n_topics))))
    merged = AgglomerativeClustering(n_clusters=min(n_groups, n_topics), metric="cosine", linkage="average")
    return merged.fit_predict(centres).astype(np.int64)


@dataclass(frozen=True, eq=False)
class _Clusters:
    """What clustering decided, before topics are named: arrays over the corpus's rows."""

    labels: np.ndarray  # topic per row, -1 for outliers
    centres: np.ndarray
    floors: np.ndarray
    confidence: np.ndarray
    mean: np.ndarray
    chosen_by: str
    seeds: tuple[str, ...] = ()  # the seed of topic t for t < len(seeds)
    unmatched_seeds: tuple[str, ...] = ()
    min_topic_size: int = 2


def _chosen_by(model: TopicModel, n_topics: int | None) -> str:
    if n_topics is not None:
        return f"fixed by the caller (n_topics={n_topics})"
    scores = model.topic_count_scores_
    return (
        f"best silhouette among {min(scores)}..{max(scores)} topics"
        if scores
        else "corpus too small to choose (one topic)"
    )


def _cluster(embeddings, n_topics, random_state, model_options) -> _Clusters:
    model = TopicModel(n_topics, random_state=random_state, **model_options).fit(embeddings)
    return _Clusters(
        model.labels_,
        model.centres_,
        model.floors_,
        model.confidence_,
        model.mean_,
        _chosen_by(model, n_topics),
        min_topic_size=model.min_topic_size,
    )


def _cluster_with_seeds(embeddings, titles, seeds, seed_vectors, n_topics, random_state, model_options) -> _Clusters:
    """Seed topics first (in the order given), then k-means topics of the items no seed took.

    Centres and floors are recomputed for every topic in one space (the whole corpus's mean
    removed), so seeded and clustered topics place new texts by the same rule.
    """
    vectors = normalize_rows(embeddings)
    mean = vectors.mean(axis=0)
    found = match_seeds(vectors, seed_vectors, mean, named=titles_naming(titles, seeds))
    taken = [s for s in range(len(seeds)) if (found.assignments == s).any()]
    labels = np.full(len(vectors), OUTLIER, dtype=np.int64)
    for topic, s in enumerate(taken):
        labels[found.assignments == s] = topic
    rest = np.flatnonzero(found.assignments == NO_SEED)
    model = None
    if len(rest):
        model = TopicModel(n_topics, random_state=random_state, **model_options).fit(vectors[rest])
        labels[rest] = np.where(model.labels_ >= 0, model.labels_ + len(taken), OUTLIER)
    centred = normalize_rows(vectors - mean)
    n_total = int(labels.max()) + 1 if (labels >= 0).any() else 0
    centres = normalize_rows(np.vstack([centred[labels == t].mean(axis=0) for t in range(n_total)]))
    similarity = centred @ centres.T
    floors = np.array([float(similarity[labels == t, t].min()) for t in range(n_total)])
    confidence = TopicModel.centroid_confidence(similarity)
    unmatched = tuple(
        f"seed {seeds[s]!r}: no item is clearly about it (the closest has similarity {found.best[s]:.2f} "
        f"with the corpus mean removed and {found.best_raw[s]:.2f} without; a seed topic needs "
        f"{SEED_MIN_SIMILARITY:.2f} and {SEED_MIN_RAW_SIMILARITY:.2f})"
        for s in range(len(seeds))
        if s not in taken
    )
    rest_how = _chosen_by(model, n_topics) if model is not None else "every item joined a seed"
    return _Clusters(
        labels,
        centres,
        floors,
        confidence,
        mean,
        f"{len(taken)} seed topic(s), the rest: {rest_how}",
        tuple(seeds[s] for s in taken),
        unmatched,
        TopicModel(**model_options).min_topic_size,
    )


def compute_topics(
    records: Sequence[Abstract],
    embeddings: np.ndarray,
    n_topics: int | None = None,
    random_state: int = 0,
    *,
    seeds: Sequence[str] = (),
    embed: Callable[[list[str]], np.ndarray] | None = None,
    **model_options,
) -> TopicResult:
    """Topics, broader groups, outliers and per-item confidence for a corpus.

    Args:
        records: the corpus; their `text` (title + abstract) names the topics.
        embeddings: one unit row per record, from the index's embedder.
        n_topics: fix the number of topics found by clustering (None: chosen by silhouette).
        random_state: the one seed; the same input gives the same topics and labels.
        seeds: names of topics the user wants; each collects the items clearly about it
            (seeds.py) before the rest is clustered. A seed no item is about is reported.
        embed: embeds texts with the index's model: seeds need it, and labels use it to prefer
            phrases near the topic's centre (without it they are ranked by c-TF-IDF alone).
        **model_options: passed to TopicModel (min_topics, max_topics, min_topic_size, ...).
    """
    if len(records) != len(embeddings):
        raise ValueError(f"got {len(records)} records but {len(embeddings)} embeddings")
    seeds = clean_seeds(seeds)
    if seeds and embed is None:
        raise ValueError("seed topics need `embed`, the index's text encoder")
    if seeds:
        titles = [r.title for r in records]
        found = _cluster_with_seeds(
            embeddings, titles, seeds, embed(list(seeds)), n_topics, random_state, model_options
        )
    else:
        found = _cluster(embeddings, n_topics, random_state, model_options)
    texts = [r.text for r in records]
    labels = found.labels
    similarity = normalize_rows(normalize_rows(embeddings) - found.mean) @ found.centres.T
    parents = group_topics(found.centres)
    names = {"embeddings": normalize_rows(embeddings), "embed": embed}  # labels near the topic's centre
    topics = _named_topics(records, texts, found, similarity, parents, names)
    groups = _describe_groups_of_topics(texts, labels, parents, names)
    outliers = _outliers(records, found, similarity)
    return TopicResult(
        topics=tuple(topics),
        groups=groups,
        outliers=tuple(outliers),
        record_ids=tuple(r.id for r in records),
        assignments=tuple(int(t) for t in labels),
        confidence=tuple(round(float(c), 4) for c in found.confidence),
        centres=found.centres.astype(np.float32),
        floors=found.floors.astype(np.float32),
        chosen_by=found.chosen_by,
        random_state=random_state,
        mean=found.mean.astype(np.float32),
        unmatched_seeds=found.unmatched_seeds,
    )


def _named_topics(records, texts, found: _Clusters, similarity, parents, names: dict) -> list[Topic]:
    """The topics with labels (a seed topic keeps its seed), keywords and representative members."""
    from abstract_search.topics.labels import describe_groups  # scipy: only when topics are computed

    labels = found.labels
    described = {d.group: d for d in describe_groups(texts, labels.tolist(), **names) if d.group >= 0}
    topics = []
    for topic in range(len(found.centres)):
        members = np.flatnonzero(labels == topic)
        ranked = members[np.argsort(-similarity[members, topic], kind="stable")]
        seed = found.seeds[topic] if topic < len(found.seeds) else ""
        description = described.get(topic)
        topics.append(
            Topic(
                id=topic,
                label=seed or (description.label if description else f"Topic {topic}"),
                keywords=tuple(description.keywords) if description else (),
                size=len(members),
                members=tuple(records[i].id for i in members),
                representative_ids=tuple(records[i].id for i in ranked[:N_REPRESENTATIVES]),
                parent=int(parents[topic]),
                seed=seed,
            )
        )
    return topics


def _outliers(records, found: _Clusters, similarity: np.ndarray) -> list[Outlier]:
    """The items no topic holds, each with its nearest topic and why it is outside."""
    outliers = []
    for i in np.flatnonzero(found.labels == OUTLIER):
        nearest = int(similarity[i].argmax())
        outliers.append(
            Outlier(
                id=records[i].id,
                nearest_topic=nearest,
                similarity=round(float(similarity[i, nearest]), 4),
                reason=(
                    f"its cluster was smaller than {found.min_topic_size} items, and it is less "
                    f"similar to the nearest topic ({similarity[i, nearest]:.2f}) than every member "
                    f"of that topic ({found.floors[nearest]:.2f})"
                ),
            )
        )
    return outliers


def _describe_groups_of_topics(texts: list[str], labels, parents, names: dict) -> tuple[TopicGroup, ...]:
    from abstract_search.topics.labels import describe_groups

    assigned = labels >= 0
    if not assigned.any():
        return ()
    item_groups = parents[labels[assigned]]
    kept = [t for t, a in zip(texts, assigned, strict=True) if a]
    embeddings = names["embeddings"][assigned] if names["embeddings"] is not None else None
    described = describe_groups(kept, item_groups.tolist(), embeddings=embeddings, embed=names["embed"])
    return tuple(
        TopicGroup(
            id=d.group,
            label=d.label,
            keywords=d.keywords,
            topic_ids=tuple(int(t) for t in np.flatnonzero(parents == d.group)),
        )
        for d in described
    )


# -- saving and loading ---------------------------------------------------------------------

TOPICS_FILE = "topics.json"
CENTRES_FILE = "topic_centres.npy"


def save_topics(result: TopicResult, folder: str | Path) -> Path:
    """Writes topics.json and topic_centres.npy into `folder` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "format_version": FORMAT_VERSION,
        "chosen_by": result.chosen_by,
        "random_state": result.random_state,
        "topics": [asdict(t) for t in result.topics],
        "groups": [asdict(g) for g in result.groups],
        "outliers": [asdict(o) for o in result.outliers],
        "record_ids": list(result.record_ids),
        "assignments": list(result.assignments),
        "confidence": list(result.confidence),
        "floors": [float(f) for f in result.floors],
        "mean": None if result.mean is None else [float(v) for v in result.mean],
        "unmatched_seeds": list(result.unmatched_seeds),
    }
    np.save(folder / CENTRES_FILE, np.asarray(result.centres, dtype=np.float32), allow_pickle=False)
    tmp = folder / f".{TOPICS_FILE}.tmp"
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(folder / TOPICS_FILE)
    return folder


def load_topics(folder: str | Path) -> TopicResult:
    """Reads what save_topics wrote; refuses files of another format version."""
    folder = Path(folder)
    path = folder / TOPICS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no saved topics (compute them first)")
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: format version {data.get('format_version')}, expected {FORMAT_VERSION}")

    def tuples(item: dict) -> dict:
        return {k: tuple(v) if isinstance(v, list) else v for k, v in item.items()}

    return TopicResult(
        topics=tuple(Topic(**tuples(t)) for t in data["topics"]),
        groups=tuple(TopicGroup(**tuples(g)) for g in data["groups"]),
        outliers=tuple(Outlier(**o) for o in data["outliers"]),
        record_ids=tuple(data["record_ids"]),
        assignments=tuple(data["assignments"]),
        confidence=tuple(data["confidence"]),
        centres=np.load(folder / CENTRES_FILE, allow_pickle=False),
        floors=np.asarray(data["floors"], dtype=np.float32),
        chosen_by=data["chosen_by"],
        random_state=data["random_state"],
        mean=None if data.get("mean") is None else np.asarray(data["mean"], dtype=np.float32),
        unmatched_seeds=tuple(data.get("unmatched_seeds", ())),
    )
