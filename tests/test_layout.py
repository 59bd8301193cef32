"""The 2-D map: deterministic layout, tiny corpora, placing new texts, saving without pickle."""

from __future__ import annotations

import numpy as np
import pytest

from abstract_search.topics.map import compute_layout, load_layout, map_neighbours_for, place_on_map, save_layout


@pytest.fixture(scope="module")
def vectors(fake_embedder):
    themes = ["fracture crack toughness brittle", "nmr spectra boron shift", "machine learning potentials dft"]
    return fake_embedder.encode([f"{themes[i % 3]} item{i} extra{i % 4}" for i in range(24)])


def test_layout_is_deterministic_and_2d(vectors):
    first, second = compute_layout(vectors, random_state=3), compute_layout(vectors, random_state=3)
    assert first.coordinates.shape == (24, 2) and first.method == "umap"
    np.testing.assert_array_equal(first.coordinates, second.coordinates)
    assert first.n_neighbors == map_neighbours_for(24) == 8


@pytest.mark.parametrize("n", [1, 3, 5, 12])
def test_tiny_corpora_get_a_layout(fake_embedder, n):
    layout = compute_layout(fake_embedder.encode([f"text number {i} word{i}" for i in range(n)]))
    assert layout.coordinates.shape == (n, 2) and np.isfinite(layout.coordinates).all()


def test_neighbours_adapt_to_size():
    assert map_neighbours_for(9) == 3 and map_neighbours_for(37) == 12 and map_neighbours_for(50_000) == 15


def test_place_on_map_lands_on_identical_item_and_between_neighbours(vectors):
    layout = compute_layout(vectors)
    placed = place_on_map(vectors[[4]], vectors, layout)
    extent = np.ptp(layout.coordinates, axis=0).max()
    assert np.linalg.norm(placed[0] - layout.coordinates[4]) < 0.05 * extent
    nearest_one = place_on_map(vectors[[7]] * 2.0, vectors, layout, k=1)[0]
    np.testing.assert_allclose(nearest_one, layout.coordinates[7], atol=1e-5)
    several = place_on_map(vectors[:3], vectors, layout, k=24, temperature=1e6)  # uniform weights
    np.testing.assert_allclose(several, np.tile(layout.coordinates.mean(axis=0), (3, 1)), atol=1e-3)
    with pytest.raises(ValueError):
        place_on_map(vectors[:1], vectors[:5], layout)


def test_save_and_load_round_trip(vectors, tmp_path):
    layout = compute_layout(vectors)
    save_layout(layout, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layout.json", "layout.npy"]
    loaded = load_layout(tmp_path)
    np.testing.assert_array_equal(loaded.coordinates, layout.coordinates)
    assert (loaded.n_neighbors, loaded.random_state, loaded.method) == (8, 0, "umap")
    with pytest.raises(FileNotFoundError):
        load_layout(tmp_path / "nothing")
