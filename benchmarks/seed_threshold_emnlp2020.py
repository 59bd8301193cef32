"""How seed topics' thresholds were chosen: a grid on one half of EMNLP 2020, checked on the other.

The 781 main papers are split in two halves by a hash of their id. A person seeding topics names a
few of them, not all, so the grid gives three organizer track names at a time as seeds (20 fixed
random triples) and scores, for each setting, how well the papers a seed takes match that track:
precision (taken papers in the seed's track), recall (the three tracks' papers taken by their own
seed), F1 and F0.5, averaged over the triples. A seed takes the papers *clearly* about it, so
precision weighs more: the setting with the best mean F0.5 on the tuning half is chosen
(`topics/seeds.py` uses it; the best-F1 setting is printed too, it let a workshop seed collect
unrelated posters) and run once on the held-out half, with triples and with all 20
track names as seeds (a user who knows the tracks). Both halves also report the AMI with the tracks
of the whole result with all 20 seeds (seed topics plus the clustered rest, outliers as one class),
and without seeds. Nothing is chosen on the held-out half.

Usage: .venv/bin/python benchmarks/seed_threshold_emnlp2020.py [--json]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _emnlp2020 import in_tuning_half, load_papers, paper_embeddings  # noqa: E402
from _machine import machine, save_result  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "seed_threshold_emnlp2020.json"
MIN_SIMILARITIES = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
MARGINS = (0.0, 0.02, 0.05)
MIN_RAW = (0.0, 0.2, 0.3, 0.4)
TRIPLES = 20


def seed_triples(n_tracks: int) -> list[list[int]]:
    rng = np.random.default_rng(0)
    return [sorted(rng.choice(n_tracks, size=3, replace=False).tolist()) for _ in range(TRIPLES)]


def seeding(records, embeddings, tracks, track_names, seed_vectors, setting: dict, subsets) -> dict:
    """Mean precision, recall and F1 of the papers each seed takes, over the seed subsets."""
    from abstract_search.topics.seeds import NO_SEED, match_seeds, titles_naming

    vectors = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    named = titles_naming([r.title for r in records], track_names)
    scores = []
    for subset in subsets:
        found = match_seeds(vectors, seed_vectors[subset], vectors.mean(axis=0), named=named[:, subset], **setting)
        taken = found.assignments != NO_SEED
        names = np.array(track_names)[subset]
        right = int((names[found.assignments[taken]] == tracks[taken]).sum())
        relevant = int(np.isin(tracks, names).sum())
        precision = right / taken.sum() if taken.any() else 0.0
        recall = right / relevant if relevant else 0.0
        f1 = 2 * precision * recall / (precision + recall) if right else 0.0
        f05 = 1.25 * precision * recall / (0.25 * precision + recall) if right else 0.0
        scores.append((precision, recall, f1, f05, taken.mean()))
    precision, recall, f1, f05, coverage = np.mean(scores, axis=0)
    return {
        **setting,
        "precision": round(float(precision), 4),
        "recall": round(float(recall), 4),
        "f1": round(float(f1), 4),
        "f0.5": round(float(f05), 4),
        "coverage": round(float(coverage), 4),
    }


def topic_ami(records, embeddings, tracks, track_names, seed_vectors, setting: dict | None) -> float:
    """AMI with the tracks of compute_topics, seeded with this setting (None: no seeds)."""
    from unittest import mock

    from sklearn.metrics import adjusted_mutual_info_score

    from abstract_search.topics import corpus
    from abstract_search.topics.seeds import match_seeds

    if setting is None:
        result = corpus.compute_topics(records, embeddings)
    else:
        with mock.patch.object(
            corpus,
            "match_seeds",
            lambda items, seeds, mean, named: match_seeds(items, seeds, mean, named=named, **setting),
        ):
            result = corpus.compute_topics(records, embeddings, seeds=track_names, embed=lambda _: seed_vectors)
    return round(float(adjusted_mutual_info_score(tracks, np.asarray(result.assignments))), 4)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    from abstract_search.embed.backends import load_embedder
    from abstract_search.records import Abstract

    papers = [p for p in load_papers() if p.track]
    embeddings = paper_embeddings(papers)
    track_names = sorted({p.track for p in papers})
    seed_vectors = load_embedder(None).encode(track_names)
    halves = {}
    for name, wanted in (("tune", True), ("heldout", False)):
        rows = [i for i, p in enumerate(papers) if in_tuning_half(p.uid) == wanted]
        records = [Abstract(id=papers[i].uid, title=papers[i].title, abstract=papers[i].abstract) for i in rows]
        halves[name] = (records, embeddings[rows], np.array([papers[i].track for i in rows]))
    triples = seed_triples(len(track_names))
    everything = [list(range(len(track_names)))]
    grid = [
        seeding(
            *halves["tune"],
            track_names,
            seed_vectors,
            {"min_similarity": s, "margin": m, "min_raw_similarity": r},
            triples,
        )
        for s in MIN_SIMILARITIES
        for m in MARGINS
        for r in MIN_RAW
    ]
    keys = ("min_similarity", "margin", "min_raw_similarity")
    best = max(grid, key=lambda row: row["f0.5"])
    setting = {k: best[k] for k in keys}
    best_f1 = {k: max(grid, key=lambda row: row["f1"])[k] for k in keys}
    checked = {}
    for name, (records, vectors, tracks) in halves.items():
        checked[name] = {
            "three_seeds": seeding(records, vectors, tracks, track_names, seed_vectors, setting, triples),
            "all_20_seeds": seeding(records, vectors, tracks, track_names, seed_vectors, setting, everything),
            "ami_vs_tracks_all_20_seeds": topic_ami(records, vectors, tracks, track_names, seed_vectors, setting),
            "ami_vs_tracks_unseeded": topic_ami(records, vectors, tracks, track_names, seed_vectors, None),
        }
    if not args.json:
        print(f"tuning half: {len(halves['tune'][0])} papers; held-out half: {len(halves['heldout'][0])}")
        print(f"three track names as seeds, mean over {TRIPLES} triples, tuning half:")
        print(
            f"{'min sim':>8s} {'margin':>7s} {'min raw':>8s} {'precision':>10s} {'recall':>7s} {'F1':>7s} {'F0.5':>7s}"
        )
        for row in grid:
            print(
                f"{row['min_similarity']:8.2f} {row['margin']:7.2f} {row['min_raw_similarity']:8.2f} "
                f"{row['precision']:10.3f} {row['recall']:7.3f} {row['f1']:7.3f} {row['f0.5']:7.3f}"
            )
        print(f"chosen on the tuning half (best mean F0.5): {setting}; best mean F1 would be {best_f1}")
        for name, row in checked.items():
            print(f"{name:8s} {row}")
    save_result(RESULTS, {"tune_grid": grid, "chosen": setting, "best_f1": best_f1, **checked, "machine": machine()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
