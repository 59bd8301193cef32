"""A topic model over precomputed embeddings, with the scikit-learn contract.

Clusters are found with k-means in a UMAP reduction of the embeddings (for corpora of
`reduce_from` items or more; smaller corpora are clustered in the embedding space itself,
where UMAP has too few neighbours to be meaningful). The number of topics is the one with
the best silhouette in that clustering space, unless the caller fixes it. Topics are then
represented by their centre in the embedding space, and an item's topic is its most similar
centre: `transform`/`predict` use exactly that rule, so new texts and queries are placed the
same way as the corpus itself. Every item gets a topic, except items whose cluster was too small
to be a topic and who are less similar to every remaining topic than that topic's own members:
those are outliers (-1).
"""

from __future__ import annotations

import numpy as np

from abstract_search.embed.backends import normalize_rows

OUTLIER = -1


def candidate_topic_counts(n_items: int, min_topics: int, max_topics: int | None) -> list[int]:
    """Topic counts tried when none is given: min_topics..min(n/3, 4*sqrt(n), 100), log-spaced."""
    upper = max_topics or min(n_items // 3, int(4 * np.sqrt(n_items)), 100)
    upper = max(2, min(upper, n_items - 1))
    lower = max(2, min(min_topics, upper))
    if upper - lower < 24:
        return list(range(lower, upper + 1))
    return sorted({int(round(k)) for k in np.geomspace(lower, upper, 24)})


def neighbours_for(n_items: int) -> int:
    """UMAP's n_neighbors for a corpus size: 15 (its default) unless the corpus is tiny."""
    return int(max(2, min(15, (n_items - 1) // 3)))


class TopicModel:
    """Topics from embeddings: k-means in a UMAP reduction, labels from c-TF-IDF.

    Args:
        n_topics: fix the number of topics; None chooses it by silhouette.
        min_topics: the fewest topics tried when choosing. Silhouette favours two groups in
            corpora with weak structure (one field's workshop), and two groups is a split,
            not a map to browse, so the default is 3.
        max_topics: the largest count tried when choosing (default: min(n/3, 4*sqrt(n), 100)).
        min_topic_size: clusters smaller than this are dissolved into their nearest topics.
        n_components: dimensions of the UMAP reduction used for clustering.
        reduce_from: corpora with fewer items are clustered without UMAP.
        silhouette_sample: items sampled to score a topic count (silhouette is quadratic).
        fit_sample: bigger corpora fit UMAP and choose the topic count on a random sample of
            this size, then place every item; this keeps 50,000 abstracts to minutes.
        centre: subtract the corpus's mean vector before clustering. In a one-field corpus every
            abstract shares one dominant direction ("glass simulations"), which swamps the
            differences topics are made of; removing it (as in "all-but-the-top") lets them show.
        random_state: the one seed for UMAP, k-means and sampling.
    """

    def __init__(
        self,
        n_topics: int | None = None,
        *,
        min_topics: int = 3,
        max_topics: int | None = None,
        min_topic_size: int = 2,
        n_components: int = 10,
        reduce_from: int = 200,
        silhouette_sample: int = 4000,
        fit_sample: int = 10000,
        centre: bool = True,
        random_state: int = 0,
    ):
        self.n_topics = n_topics
        self.min_topics = min_topics
        self.max_topics = max_topics
        self.min_topic_size = min_topic_size
        self.n_components = n_components
        self.reduce_from = reduce_from
        self.silhouette_sample = silhouette_sample
        self.fit_sample = fit_sample
        self.centre = centre
        self.random_state = random_state

    # -- fitting --------------------------------------------------------------------------

    def fit(self, embeddings: np.ndarray, texts=None) -> TopicModel:
        """Finds the topics of a corpus; `texts` (one per row) give them labels and keywords."""
        vectors = normalize_rows(embeddings)
        n_items = len(vectors)
        if n_items == 0:
            raise ValueError("cannot find topics in an empty corpus")
        if texts is not None and len(texts) != n_items:
            raise ValueError(f"got {n_items} embeddings but {len(texts)} texts")
        self.mean_ = vectors.mean(axis=0) if self.centre else np.zeros(vectors.shape[1], dtype=np.float32)
        centred = self._centred(vectors)
        space, metric = self._clustering_space(centred)
        clusters, self.topic_count_scores_ = self._cluster(space, metric)
        self.centres_, self.floors_ = self._topic_centres(centred, clusters)
        self.n_topics_ = len(self.centres_)
        self.labels_ = self.predict(vectors)
        self.confidence_ = self.confidence(vectors)
        self.topic_labels_, self.topic_keywords_ = self._describe(texts)
        return self

    def _centred(self, embeddings: np.ndarray) -> np.ndarray:
        """Unit rows with the corpus mean removed: the space topics live in."""
        return normalize_rows(normalize_rows(embeddings) - self.mean_)

    def _clustering_space(self, vectors: np.ndarray) -> tuple[np.ndarray, str]:
        """The space k-means runs in, and the distance silhouette is measured with there."""
        if len(vectors) < self.reduce_from:
            return vectors, "cosine"
        import umap

        reducer = umap.UMAP(
            n_neighbors=neighbours_for(len(vectors)),
            n_components=min(self.n_components, len(vectors) - 2),
            min_dist=0.0,
            metric="cosine",
            random_state=self.random_state,
            n_jobs=1,
        )
        sample = self._sample(len(vectors), self.fit_sample)
        if sample is None:
            return np.asarray(reducer.fit_transform(vectors), dtype=np.float64), "euclidean"
        space = np.empty((len(vectors), reducer.n_components), dtype=np.float64)
        space[sample] = reducer.fit_transform(vectors[sample])
        rest = np.setdiff1d(np.arange(len(vectors)), sample)
        space[rest] = reducer.transform(vectors[rest])
        return space, "euclidean"

    def _sample(self, n_items: int, size: int) -> np.ndarray | None:
        """A sorted random sample of row numbers, or None when the corpus is small enough."""
        if n_items <= size:
            return None
        rng = np.random.default_rng(self.random_state)
        return np.sort(rng.choice(n_items, size=size, replace=False))

    def _kmeans(self, space: np.ndarray, k: int, n_init: int = 10) -> np.ndarray:
        from sklearn.cluster import KMeans

        return KMeans(n_clusters=k, n_init=n_init, random_state=self.random_state).fit_predict(space)

    def _cluster(self, space: np.ndarray, metric: str) -> tuple[np.ndarray, dict[int, float]]:
        """k-means clusters, with k fixed by the caller or chosen by the best silhouette.

        The count is chosen on a sample of at most `silhouette_sample` items (silhouette is
        quadratic and k-means for two dozen counts on 50,000 items would take many minutes);
        the chosen count is then fitted on every item.
        """
        n_items = len(space)
        if n_items < 3:
            return np.zeros(n_items, dtype=np.int64), {}
        if self.n_topics is not None:
            k = int(min(max(1, self.n_topics), n_items))
            return (self._kmeans(space, k) if k > 1 else np.zeros(n_items, dtype=np.int64)), {}
        from sklearn.metrics import silhouette_score

        sample = self._sample(n_items, self.silhouette_sample)
        scored = space if sample is None else space[sample]
        scores, best_k = {}, None
        for k in candidate_topic_counts(n_items, self.min_topics, self.max_topics):
            if k >= len(scored):
                break
            labels = self._kmeans(scored, k, n_init=10 if sample is None else 3)
            if len(np.unique(labels)) < 2:
                continue
            scores[k] = float(silhouette_score(scored, labels, metric=metric))
            if best_k is None or scores[k] > scores[best_k] + 1e-9:
                best_k, best_labels = k, labels
        if best_k is None:
            return np.zeros(n_items, dtype=np.int64), scores
        if sample is None:
            return best_labels, scores
        return self._kmeans(space, best_k, n_init=3), scores

    def _topic_centres(self, vectors: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unit centres of the clusters big enough to be topics, and each one's similarity floor.

        A topic's floor is the lowest similarity any item that is most similar to it has: an
        item below the floor of its nearest topic is further out than every member, an outlier.
        """
        ids, sizes = np.unique(clusters, return_counts=True)
        kept = [i for i, size in zip(ids, sizes, strict=True) if size >= self.min_topic_size]
        if not kept:  # every cluster is a singleton: one topic holds everything
            kept, clusters = [0], np.zeros_like(clusters)
        centres = normalize_rows(np.vstack([vectors[clusters == i].mean(axis=0) for i in kept]))
        # Order topics by size (largest first) so topic ids read as a ranking.
        similarity = vectors @ centres.T
        nearest = similarity.argmax(axis=1)
        order = np.argsort(-np.bincount(nearest, minlength=len(kept)), kind="stable")
        centres, similarity = centres[order], similarity[:, order]
        nearest = similarity.argmax(axis=1)
        in_kept = np.isin(clusters, kept)
        floors = np.full(len(centres), -1.0)
        for topic in range(len(centres)):
            members = (nearest == topic) & in_kept
            if members.any():
                floors[topic] = float(similarity[members, topic].min())
        return centres, floors

    def _describe(self, texts) -> tuple[list[str], list[tuple[str, ...]]]:
        if texts is None:
            return [f"Topic {t}" for t in range(self.n_topics_)], [() for _ in range(self.n_topics_)]
        from abstract_search.topics.labels import describe_groups

        descriptions = {d.group: d for d in describe_groups(list(texts), self.labels_.tolist())}
        labels, keywords = [], []
        for topic in range(self.n_topics_):
            found = descriptions.get(topic)
            labels.append(found.label if found else f"Topic {topic}")
            keywords.append(found.keywords if found else ())
        return labels, keywords

    # -- applying -------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "centres_"):
            raise RuntimeError("this TopicModel is not fitted yet: call fit first")

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        """Cosine similarity of each row to each topic centre, shape (n, n_topics_)."""
        self._check_fitted()
        return self._centred(embeddings) @ self.centres_.T

    def fit_transform(self, embeddings: np.ndarray, texts=None) -> np.ndarray:
        return self.fit(embeddings, texts).transform(embeddings)

    def predict(self, embeddings: np.ndarray) -> np.ndarray:
        """Each row's topic: the most similar centre, or -1 when below that topic's floor."""
        similarity = self.transform(embeddings)
        nearest = similarity.argmax(axis=1)
        best = similarity[np.arange(len(nearest)), nearest]
        return np.where(best >= self.floors_[nearest] - 1e-6, nearest, OUTLIER).astype(np.int64)

    def fit_predict(self, embeddings: np.ndarray, texts=None) -> np.ndarray:
        return self.fit(embeddings, texts).labels_

    def confidence(self, embeddings: np.ndarray) -> np.ndarray:
        """How clearly each row belongs to its topic, in [0, 1] (see `centroid_confidence`)."""
        return self.centroid_confidence(self.transform(embeddings))

    @staticmethod
    def centroid_confidence(similarity: np.ndarray) -> np.ndarray:
        """A centroid silhouette per row of a (rows x topics) cosine-similarity matrix.

        (b - a) / max(a, b) with a, b the cosine distances to the nearest and second-nearest
        centres: 0 on the border between two topics, near 1 close to one centre only.
        """
        if similarity.shape[1] < 2:
            return np.clip(similarity[:, 0], 0.0, 1.0) if similarity.size else np.zeros(len(similarity))
        top_two = -np.sort(-similarity, axis=1)[:, :2]
        near, second = 1.0 - top_two[:, 0], 1.0 - top_two[:, 1]
        return np.clip((second - near) / np.maximum(np.maximum(near, second), 1e-12), 0.0, 1.0)
