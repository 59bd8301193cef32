"""Topics of a corpus: labelled clusters, a two-level hierarchy, and saving them as JSON + NumPy.

`compute_topics(records, embeddings)` runs the TopicModel (topic_model.py), names topics
with c-TF-IDF (topic_labels.py), merges topics into broader groups, and returns a frozen
TopicResult. `save_topics`/`load_topics` write and read it as topics.json plus
topic_centres.npy in a folder; nothing is pickled.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from abstract_search.embed.backends import normalize_rows
from abstract_search.records import Abstract
from abstract_search.topics.labels import GroupDescription, describe_groups
from abstract_search.topics.model import OUTLIER, TopicModel

__all__ = [
    "GroupDescription",
    "Outlier",
    "Topic",
    "TopicGroup",
    "TopicResult",
    "TopicModel",
    "compute_topics",
    "describe_groups",
    "load_topics",
    "save_topics",
]

FORMAT_VERSION = 2
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


def compute_topics(
    records: Sequence[Abstract],
    embeddings: np.ndarray,
    n_topics: int | None = None,
    random_state: int = 0,
    **model_options,
) -> TopicResult:
    """Topics, broader groups, outliers and per-item confidence for a corpus.

    Args:
        records: the corpus; their `text` (title + abstract) names the topics.
        embeddings: one unit row per record, from the index's embedder.
        n_topics: fix the number of topics (None: chosen by silhouette).
        random_state: the one seed; the same input gives the same topics and labels.
        **model_options: passed to TopicModel (min_topics, max_topics, min_topic_size, ...).
    """
    if len(records) != len(embeddings):
        raise ValueError(f"got {len(records)} records but {len(embeddings)} embeddings")
    texts = [r.text for r in records]
    model = TopicModel(n_topics, random_state=random_state, **model_options).fit(embeddings, texts)
    labels = model.labels_
    vectors = normalize_rows(embeddings)
    similarity = model.transform(vectors)
    parents = group_topics(model.centres_)
    topics = []
    for topic in range(model.n_topics_):
        members = np.flatnonzero(labels == topic)
        ranked = members[np.argsort(-similarity[members, topic], kind="stable")]
        topics.append(
            Topic(
                id=topic,
                label=model.topic_labels_[topic],
                keywords=tuple(model.topic_keywords_[topic]),
                size=len(members),
                members=tuple(records[i].id for i in members),
                representative_ids=tuple(records[i].id for i in ranked[:N_REPRESENTATIVES]),
                parent=int(parents[topic]),
            )
        )
    groups = _describe_groups_of_topics(texts, labels, parents)
    outliers = []
    for i in np.flatnonzero(labels == OUTLIER):
        nearest = int(similarity[i].argmax())
        outliers.append(
            Outlier(
                id=records[i].id,
                nearest_topic=nearest,
                similarity=round(float(similarity[i, nearest]), 4),
                reason=(
                    f"its cluster was smaller than {model.min_topic_size} items, and it is less "
                    f"similar to the nearest topic ({similarity[i, nearest]:.2f}) than every member "
                    f"of that topic ({model.floors_[nearest]:.2f})"
                ),
            )
        )
    if n_topics is not None:
        chosen_by = f"fixed by the caller (n_topics={n_topics})"
    else:
        scores = model.topic_count_scores_
        chosen_by = (
            f"best silhouette among {min(scores)}..{max(scores)} topics"
            if scores
            else "corpus too small to choose (one topic)"
        )
    return TopicResult(
        topics=tuple(topics),
        groups=groups,
        outliers=tuple(outliers),
        record_ids=tuple(r.id for r in records),
        assignments=tuple(int(t) for t in labels),
        confidence=tuple(round(float(c), 4) for c in model.confidence_),
        centres=model.centres_.astype(np.float32),
        floors=model.floors_.astype(np.float32),
        chosen_by=chosen_by,
        random_state=random_state,
        mean=model.mean_.astype(np.float32),
    )


def _describe_groups_of_topics(texts: list[str], labels: np.ndarray, parents: np.ndarray) -> tuple[TopicGroup, ...]:
    assigned = labels >= 0
    if not assigned.any():
        return ()
    item_groups = parents[labels[assigned]]
    described = describe_groups([t for t, a in zip(texts, assigned, strict=True) if a], item_groups.tolist())
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
    )
