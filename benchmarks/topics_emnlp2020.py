"""Topic agreement with the EMNLP 2020 organizers: our topics vs BERTopic, KMeans, agglomerative.

Every method clusters the same bundled-model embeddings of title + abstract of the 810 papers
the organizers put in sessions. Agreement is AMI/ARI with the 20 tracks (781 main papers) and
AMI with the 115 sessions (all 810). `ours_seeded` gives our model the 20 track names as seed
topics (a user who knows the tracks; the names are the answer key's, so it is not unsupervised).
Outliers stay in the scoring as one extra class, so a
method cannot gain by refusing hard papers. Our topic count is chosen by the model's own
silhouette criterion; the KMeans and agglomerative baselines are given k=20, the true track
count (an oracle advantage, stated in the output). `ours_build_vectors` runs our model on the
vectors a build of this corpus makes (int8, each document read whole) instead, for reference.

`supervised_reference` is not a clustering method: a logistic regression trained on the true
tracks of 80% of the papers predicts the other 20% (5-fold, mean of three fold shuffles), on the
same embeddings. It shows how much of the track structure these vectors carry at all; an
unsupervised method is not expected to exceed it.

Usage: .venv/bin/python benchmarks/topics_emnlp2020.py [--json] [--skip-bertopic]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _emnlp2020 import build_embeddings, load_papers, paper_embeddings  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "topics_emnlp2020.json"
N_TRACKS = 20


def score(labels: np.ndarray, tracks: np.ndarray, sessions: np.ndarray, main: np.ndarray, seconds: float) -> dict:
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

    return {
        "ami_vs_tracks": round(float(adjusted_mutual_info_score(tracks[main], labels[main])), 4),
        "ari_vs_tracks": round(float(adjusted_rand_score(tracks[main], labels[main])), 4),
        "ami_vs_sessions": round(float(adjusted_mutual_info_score(sessions, labels)), 4),
        "outlier_fraction": round(float((labels < 0).mean()), 4),
        "n_topics": int(len(set(labels[labels >= 0].tolist()))),
        "seconds": round(seconds, 2),
    }


def run_ours(embeddings, texts):
    from abstract_search.topics.model import TopicModel

    model = TopicModel(random_state=0).fit(embeddings, texts)
    return model.labels_, f"k chosen by silhouette over {sorted(model.topic_count_scores_)}"


def run_ours_seeded(embeddings, papers, track_names):
    """Our topics with the 20 track names as seeds (a user who knows the tracks): seed topics first,
    the rest clustered as in `ours`."""
    from abstract_search.embed.backends import load_embedder
    from abstract_search.records import Abstract
    from abstract_search.topics.corpus import compute_topics

    records = [Abstract(id=p.uid, title=p.title, abstract=p.abstract) for p in papers]
    encoder = load_embedder(None)
    result = compute_topics(records, embeddings, seeds=track_names, embed=encoder.encode)
    n_seeded = sum(1 for t in result.topics if t.seed)
    return np.asarray(result.assignments), f"{n_seeded} of the 20 track names took papers; {result.chosen_by}"


def run_bertopic(embeddings, texts):
    from bertopic import BERTopic

    model = BERTopic()  # defaults: UMAP(15, 5-d) + HDBSCAN(min_cluster_size=10), c-TF-IDF labels
    topics, _ = model.fit_transform(texts, embeddings)
    return np.asarray(topics), "library defaults (unseeded UMAP: figures vary run to run), our embeddings passed in"


def run_kmeans(embeddings, texts):
    from sklearn.cluster import KMeans

    return KMeans(N_TRACKS, n_init=10, random_state=0).fit_predict(embeddings), "k=20 (oracle: the track count)"


def run_agglomerative(embeddings, texts):
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(N_TRACKS, linkage="ward").fit_predict(embeddings)
    return labels, "ward, k=20 (oracle: the track count)"


def supervised_reference(embeddings: np.ndarray, tracks: np.ndarray, main: np.ndarray) -> dict:
    """Track agreement of a classifier that was shown the tracks (5-fold cross-validation)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    amis, aris = [], []
    for shuffle in range(3):
        folds = StratifiedKFold(5, shuffle=True, random_state=shuffle)
        predicted = cross_val_predict(LogisticRegression(C=10, max_iter=3000), embeddings[main], tracks[main], cv=folds)
        amis.append(adjusted_mutual_info_score(tracks[main], predicted))
        aris.append(adjusted_rand_score(tracks[main], predicted))
    return {"ami_vs_tracks": round(float(np.mean(amis)), 4), "ari_vs_tracks": round(float(np.mean(aris)), 4)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="end with the JSON line only after the table")
    parser.add_argument("--skip-bertopic", action="store_true")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    papers = load_papers()
    embeddings = paper_embeddings(papers)
    texts = [p.text for p in papers]
    tracks = np.array([p.track for p in papers])
    sessions = np.array([p.session for p in papers])
    main_mask = tracks != ""
    track_names = sorted(set(tracks[main_mask].tolist()))
    methods = {
        "ours": run_ours,
        "ours_seeded": lambda e, _: run_ours_seeded(e, papers, track_names),
        "bertopic": run_bertopic,
        "kmeans": run_kmeans,
        "agglomerative": run_agglomerative,
    }
    results, notes = {}, {}
    for name, run in methods.items():
        if name == "bertopic":
            if args.skip_bertopic:
                results[name], notes[name] = None, "skipped (--skip-bertopic)"
                continue
            try:
                import bertopic  # noqa: F401
            except ImportError as err:
                results[name], notes[name] = None, f"skipped: bertopic not installed ({err})"
                continue
        start = time.perf_counter()
        labels, note = run(embeddings, texts)
        results[name] = score(np.asarray(labels), tracks, sessions, main_mask, time.perf_counter() - start)
        notes[name] = note
    print(
        f"EMNLP 2020: {len(papers)} papers, {main_mask.sum()} with one of {N_TRACKS} tracks, "
        f"{len(set(sessions))} sessions"
    )
    print(f"{'method':14s} {'AMI trk':>8s} {'ARI trk':>8s} {'AMI ses':>8s} {'outl.':>6s} {'k':>4s} {'sec':>7s}  note")
    for name, figures in results.items():
        if figures is None:
            print(f"{name:14s} {'-':>8s} {'-':>8s} {'-':>8s} {'-':>6s} {'-':>4s} {'-':>7s}  {notes[name]}")
            continue
        print(
            f"{name:14s} {figures['ami_vs_tracks']:8.3f} {figures['ari_vs_tracks']:8.3f} "
            f"{figures['ami_vs_sessions']:8.3f} {figures['outlier_fraction']:6.1%} {figures['n_topics']:4d} "
            f"{figures['seconds']:7.1f}  {notes[name]}"
        )
    start = time.perf_counter()
    labels, _ = run_ours(build_embeddings(papers), texts)
    results["ours_build_vectors"] = score(np.asarray(labels), tracks, sessions, main_mask, time.perf_counter() - start)
    notes["ours_build_vectors"] = "ours on the build's vectors (int8, whole documents; embedding time included)"
    figures = results["ours_build_vectors"]
    print(
        f"{'ours (build)':14s} {figures['ami_vs_tracks']:8.3f} {figures['ari_vs_tracks']:8.3f} "
        f"{figures['ami_vs_sessions']:8.3f} {figures['outlier_fraction']:6.1%} {figures['n_topics']:4d}"
    )
    results["supervised_reference"] = supervised_reference(embeddings, tracks, main_mask)
    notes["supervised_reference"] = "logistic regression trained on the true tracks, 5-fold; a ceiling, not a method"
    reference = results["supervised_reference"]
    note = notes["supervised_reference"]
    print(f"{'supervised':14s} {reference['ami_vs_tracks']:8.3f} {reference['ari_vs_tracks']:8.3f}  {note}")
    payload = {**results, "notes": notes}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(payload))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
