"""A person's corrections to the topics (rename, merge, move) and the seeds they asked for,
saved beside the corpus as small JSON and re-applied whenever the topics are recomputed.

A topic has no lasting id: a rebuild may number and even cut the topics differently. So an edit
names its topic by the members it had when the edit was made, and after a rebuild it applies to
the topic sharing most of them (Jaccard ≥ `SAME_TOPIC`). An edit whose topic or item is gone is
kept in the file and reported, so nothing a person did is silently lost.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from abstract_search.embed.backends import normalize_rows
from abstract_search.records import CorpusError, write_atomically

FORMAT_VERSION = 1
SAME_TOPIC = 0.5  # members shared (Jaccard) for a recomputed topic to be "the same topic"
ACTIONS = ("rename", "merge", "move")


@dataclass(frozen=True)
class TopicEdit:
    """One correction. `topic` is the members of the topic it was made on.

    rename: `topic` gets `label`. merge: `topic` is merged into `into` (members of the topic it
    joins). move: record `item` moves into `into`.
    """

    action: str
    topic: tuple[str, ...] = ()
    label: str = ""
    into: tuple[str, ...] = ()
    item: str = ""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise CorpusError(f"topic edit: unknown action {self.action!r} (one of {', '.join(ACTIONS)})")

    def describe(self) -> str:
        if self.action == "rename":
            return f"rename a topic of {len(self.topic)} items to {self.label!r}"
        if self.action == "merge":
            return f"merge a topic of {len(self.topic)} items into one of {len(self.into)}"
        return f"move {self.item} into a topic of {len(self.into)} items"


@dataclass(frozen=True)
class TopicSettings:
    """What a person chose for a corpus's topics: seed names and edits, in the order made."""

    seeds: tuple[str, ...] = ()
    edits: tuple[TopicEdit, ...] = ()


def settings_path(data_dir: str | Path, corpus: str) -> Path:
    return Path(data_dir) / f"{corpus}.topics.json"


def load_topic_settings(path: str | Path) -> TopicSettings:
    """The saved seeds and edits (none when the file does not exist); a broken file is an error."""
    path = Path(path)
    if not path.is_file():
        return TopicSettings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format version {data.get('format_version')}, expected {FORMAT_VERSION}")
        edits = tuple(
            TopicEdit(**{k: tuple(v) if isinstance(v, list) else v for k, v in edit.items()})
            for edit in data.get("edits", [])
        )
        return TopicSettings(tuple(str(s) for s in data.get("seeds", [])), edits)
    except (ValueError, TypeError, AttributeError) as err:
        raise CorpusError(f"{path}: cannot read the saved topic seeds and edits ({err})") from err


def save_topic_settings(settings: TopicSettings, path: str | Path) -> Path:
    """Writes the seeds and edits atomically (a crash leaves the old file, never half a file)."""
    data = {
        "format_version": FORMAT_VERSION,
        "seeds": list(settings.seeds),
        "edits": [
            {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(e).items()}
            for e in settings.edits
        ],
    }
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return write_atomically(path, lambda handle: handle.write(text.encode("utf-8")))


def _jaccard(first: set[str], second: set[str]) -> float:
    union = first | second
    return len(first & second) / len(union) if union else 0.0


def find_topic(topics, members: Sequence[str]) -> int | None:
    """The id of the topic that shares most members with `members`, if it is the same topic."""
    wanted = set(members)
    best, best_id = 0.0, None
    for topic in topics:
        overlap = _jaccard(wanted, set(topic.members))
        if overlap > best:
            best, best_id = overlap, topic.id
    return best_id if best >= SAME_TOPIC else None


def apply_edits(result, edits: Sequence[TopicEdit], embeddings: np.ndarray | None = None):
    """The topics with the edits applied in order, and a note for each edit that no longer applies.

    `embeddings` (the corpus's, aligned with `result.record_ids`) let the centres of edited
    topics follow their new members, so new texts are placed as the edited topics say.
    """
    notes = []
    for edit in edits:
        changed, why = _apply_one(result, edit)
        if changed is None:
            notes.append(f"not applied: {edit.describe()}: {why}")
        else:
            result = changed
    if embeddings is not None and edits:
        result = _recentre(result, embeddings)
    return result, tuple(notes)


def _apply_one(result, edit: TopicEdit):
    topic = find_topic(result.topics, edit.topic) if edit.action != "move" else None
    if edit.action == "rename":
        if topic is None:
            return None, "no topic has most of its items any more"
        label = " ".join(edit.label.split())
        if not label:
            return None, "the new name is empty"
        topics = tuple(dataclasses.replace(t, label=label) if t.id == topic else t for t in result.topics)
        return dataclasses.replace(result, topics=topics), ""
    into = find_topic(result.topics, edit.into)
    if edit.action == "merge":
        if topic is None or into is None:
            return None, "one of the two topics is gone"
        if topic == into:
            return None, "the two topics are now one"
        assignments = [into if a == topic else a for a in result.assignments]
        return _reassigned(result, assignments, absorbed=(topic, into)), ""
    if edit.item not in result.record_ids:
        return None, f"{edit.item} is no longer in the corpus"
    if into is None:
        return None, "the topic it was moved into is gone"
    assignments = list(result.assignments)
    assignments[result.record_ids.index(edit.item)] = into
    return _reassigned(result, assignments), ""


def _reassigned(result, assignments: Sequence[int], absorbed: tuple[int, int] | None = None):
    """The result rebuilt around new assignments: topics left empty drop out, ids stay 0..n-1.

    `absorbed` = (gone, kept) for a merge: the kept topic takes the gone one's keywords and
    representatives in turn with its own.
    """
    from abstract_search.topics.corpus import Outlier, TopicGroup

    sizes = np.bincount([a for a in assignments if a >= 0], minlength=len(result.topics))
    keep = [t for t in result.topics if sizes[t.id] > 0]
    new_id = {t.id: i for i, t in enumerate(keep)}
    assignments = [new_id[a] if a >= 0 else -1 for a in assignments]
    gone = result.topics[absorbed[0]] if absorbed else None
    topics = []
    for old in keep:
        tid = new_id[old.id]
        members = tuple(r for r, a in zip(result.record_ids, assignments, strict=True) if a == tid)
        keywords, representatives = old.keywords, old.representative_ids
        if gone is not None and old.id == absorbed[1]:
            keywords = tuple(_interleave(old.keywords, gone.keywords))[: max(len(old.keywords), len(gone.keywords))]
            representatives = tuple(_interleave(old.representative_ids, gone.representative_ids))
        member_set = set(members)
        representatives = tuple(r for r in representatives if r in member_set)[: len(old.representative_ids)]
        topics.append(
            dataclasses.replace(
                old, id=tid, size=len(members), members=members, keywords=keywords, representative_ids=representatives
            )
        )
    groups = []
    for group in result.groups:
        ids = tuple(new_id[t] for t in group.topic_ids if t in new_id)
        if ids:
            groups.append(TopicGroup(id=len(groups), label=group.label, keywords=group.keywords, topic_ids=ids))
    parent_of = {t: g.id for g in groups for t in g.topic_ids}
    topics = [dataclasses.replace(t, parent=parent_of.get(t.id, 0)) for t in topics]
    fallback = new_id.get(absorbed[1], 0) if absorbed else 0
    row_of = {r: i for i, r in enumerate(result.record_ids)}
    outliers = tuple(
        Outlier(o.id, new_id.get(o.nearest_topic, fallback), o.similarity, o.reason)
        for o in result.outliers
        if assignments[row_of[o.id]] < 0
    )
    kept_rows = [t.id for t in keep]
    return dataclasses.replace(
        result,
        topics=tuple(topics),
        groups=tuple(groups),
        outliers=outliers,
        assignments=tuple(assignments),
        centres=np.asarray(result.centres)[kept_rows],
        floors=np.asarray(result.floors)[kept_rows],
    )


def _interleave(first: Sequence[str], second: Sequence[str]) -> list[str]:
    """first[0], second[0], first[1], ... without repeats."""
    out: list[str] = []
    for i in range(max(len(first), len(second))):
        out.extend(x[i] for x in (first, second) if i < len(x))
    return list(dict.fromkeys(out))


def _recentre(result, embeddings: np.ndarray):
    """Centres and floors from the topics' current members, in the result's centred space."""
    vectors = normalize_rows(embeddings)
    if result.mean is not None:
        vectors = normalize_rows(vectors - result.mean)
    labels = np.asarray(result.assignments)
    if len(vectors) != len(labels):
        raise ValueError(f"got {len(vectors)} embeddings for {len(labels)} records")
    if not len(result.topics):
        return result
    centres = normalize_rows(np.vstack([vectors[labels == t.id].mean(axis=0) for t in result.topics]))
    similarity = vectors @ centres.T
    floors = np.array([float(similarity[labels == t.id, t.id].min()) for t in result.topics], dtype=np.float32)
    return dataclasses.replace(result, centres=centres.astype(np.float32), floors=floors)
