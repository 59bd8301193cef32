"""The label benchmark's keyword ceiling: a topic counts when any of its phrases is nearest its track."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from topic_labels_emnlp2020 import keyword_ceiling  # noqa: E402

AXES = {"parsing": 0, "semantic parsing": 0, "Parsing track": 0, "speech": 1, "Speech track": 1}
AXES |= {"noise": 2, "Other track": 2, "Third track": 2}


def one_hot(texts: list[str]) -> np.ndarray:
    vectors = np.zeros((len(texts), 3))
    vectors[np.arange(len(texts)), [AXES[t] for t in texts]] = 1.0
    return vectors


def test_a_topic_counts_when_a_keyword_names_its_track_and_not_otherwise():
    topics = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    tracks = np.array(["Parsing track"] * 3 + ["Speech track"] * 2 + ["Parsing track", *["Speech track"] * 3])
    phrases = {0: ["noise", "semantic parsing"], 1: ["noise", "noise"], 2: ["speech"]}
    assert keyword_ceiling(phrases, topics, tracks, one_hot) == [True, False, True]


def test_outliers_and_topics_without_a_majority_track_are_not_scored():
    outliers_then_split = np.array([-1, -1, 0, 0, 0, 0])
    half_and_half = np.array(["Speech track"] * 2 + ["Parsing track", "Speech track"] * 2)
    # topic 0 is half Parsing, half Speech: half is a majority (>= 0.5), so it alone is scored (the outliers are not)
    assert len(keyword_ceiling({0: ["parsing"]}, outliers_then_split, half_and_half, one_hot)) == 1
    four_ways = np.array(["Parsing track", "Speech track", "Other track", "Third track"])
    assert keyword_ceiling({0: ["parsing"]}, np.zeros(4, dtype=int), four_ways, one_hot) == []
