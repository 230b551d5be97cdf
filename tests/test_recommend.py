"""The recommendation page's data files: search keys, neighbours with evidence counted
by hand on a tiny inline dataset, quantised vectors and their measured loss, sizes."""

from __future__ import annotations

import gzip
import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from site_builder.colours import Tints, point_tints
from site_builder.config import PortalConfig
from site_builder.config.schema import named_words
from site_builder.data.dataset import Dataset, interaction_matrix
from site_builder.model.neighbours import top_k_neighbours, unit_rows
from site_builder.site import recommend

# ------------------------------------------------------------------ a tiny dataset, by hand

ITEMS = pd.DataFrame(
    {
        "id": [10, 20, 30, 40, 50],
        "title": ["Heat (1995)", "Amélie (2001)", "Léon (1994)", "Usual Suspects, The (1995)", "Ça (2017)"],
        "year": [1995, 2001, 1994, 1995, 2017],
        "decade": ["1990s", "2000s", "1990s", "1990s", "2010s"],
        "genres": ["Action|Crime|Thriller", "Comedy|Romance", "Action|Crime|Drama", "Crime|Thriller", "Horror"],
        "first_genre": ["Action", "Comedy", "Action", "Crime", "Horror"],
    }
)
USERS = pd.DataFrame(
    {
        "id": [1, 2, 3, 4, 5],
        "name": [f"User {i}" for i in range(1, 6)],
        "gender": ["M", "F", "M", "F", "F"],
        "occupation": ["writer", "writer", "student", "artist", "other"],
    }
)
# user -> items they rated (user 0 rated item 0 twice: the matrix is binary)
RATED = {0: [0, 2, 3, 0], 1: [0, 3], 2: [1, 2], 3: [0, 1, 2, 3], 4: [4]}
# items' users: 0 {0,1,3}, 1 {2,3}, 2 {0,2,3}, 3 {0,1,3}, 4 {4}
ITEM_COMMON = {(0, 1): 1, (0, 2): 2, (0, 3): 3, (1, 2): 2, (1, 3): 1, (2, 3): 2}
# users' items: 0 {0,2,3}, 1 {0,3}, 2 {1,2}, 3 {0,1,2,3}, 4 {4}
USER_COMMON = {(0, 1): 2, (0, 2): 1, (0, 3): 3, (1, 3): 2, (2, 3): 2}
# bit b set when genre b of the first item's own list is among the second's genres
GENRE_MASKS = {(0, 2): 0b011, (0, 3): 0b110, (2, 0): 0b011, (2, 3): 0b010, (3, 0): 0b11, (3, 2): 0b01}
ITEM_VECTORS = np.array([[1, 0, 0], [0, 1, 0.1], [0.6, 0.6, 0], [0.9, 0.1, 0], [0, 0, 1]], dtype=np.float32)


def tiny_dataset() -> Dataset:
    pairs = [(u, i) for u, items in RATED.items() for i in items]
    user_index = np.array([u for u, _ in pairs], dtype=np.int32)
    item_index = np.array([i for _, i in pairs], dtype=np.int32)
    items, users = ITEMS.copy(), USERS.copy()
    items["num_ratings"] = np.bincount(item_index, minlength=len(items))
    users["num_ratings"] = np.bincount(user_index, minlength=len(users))
    items["mean_rating"] = 3.5
    users["mean_rating"] = 3.5
    return Dataset(
        name="tiny",
        user_index=user_index,
        item_index=item_index,
        rating=np.full(len(pairs), 4.0, np.float32),
        timestamp=np.arange(len(pairs), dtype=np.int64),
        items=items,
        users=users,
        fingerprint="x",
    )


def portal(points: str, **extra) -> PortalConfig:
    if points == "items":
        return PortalConfig(
            name="movies",
            title="Movies",
            dataset="tiny",
            points="items",
            label="title",
            color_by="first_genre",
            metadata=["year", "decade", "genres", "num_ratings"],
            recommendations={"k": 2, **extra},
        )
    return PortalConfig(
        name="people",
        title="People",
        dataset="tiny",
        points="users",
        label="name",
        metadata=["gender", "occupation"],
        recommendations={"k": 2, **extra},
    )


def build(points: str, point_vectors: np.ndarray, **extra) -> tuple[dict, recommend.PageData]:
    config = portal(points, **extra)
    index, score = top_k_neighbours(point_vectors, config.recommendations.k)
    dataset = tiny_dataset()
    table = dataset.side(points)
    tints = point_tints(table[config.color_by]) if config.color_by else Tints.untinted(len(table))
    words = named_words({"item": "movie", "verb": "rated"})
    data = recommend.portal_page_data(config, words, dataset, point_vectors, index, score, tints)
    return recommend.assemble(data.files), data


def column(document: dict, name: str) -> list[str]:
    entry = next(c for c in document["columns"] if c["name"] == name)
    return entry["data"] if "data" in entry else [entry["values"][code] for code in entry["codes"]]


def pairs(document: dict):
    k = document["k"]
    for i in range(document["count"]):
        for slot in range(k):
            yield i, slot, document["neighbours"][i * k + slot], i * k + slot


# ------------------------------------------------------------------ tests


def test_search_keys_fold_case_accents_and_punctuation():
    assert recommend.fold("Usual Suspects, The (1995)") == "usual suspects the 1995"
    assert recommend.fold("Misérables, Les (1995)") == "miserables les 1995"
    assert recommend.fold("Á köldum klaka (Cold Fever) (1994)") == "a koldum klaka cold fever 1994"
    assert recommend.fold("Ærøskøbing Straße, ŁÓDŹ") == "aeroskobing strasse lodz"
    assert recommend.fold("  JLG/JLG - autoportrait de décembre ") == "jlg jlg autoportrait de decembre"
    assert "usual suspects" in recommend.fold("Usual Suspects, The (1995)")


def test_items_page_data_by_hand():
    document, data = build("items", ITEM_VECTORS)
    folder = document["blocks"]["path"]
    assert re.fullmatch(r"recommend/[0-9a-f]{12}/", folder) and document["blocks"]["size"] == 256 * 6
    assert set(data.files) == {"recommend.json", folder + "0.json", folder + "vectors.i8"}
    assert document["count"] == 5 and document["dims"] == 3 and document["k"] == 2
    assert document["points"] == "items"
    assert document["labels"] == ITEMS["title"].tolist()
    assert document["keys"] == ["heat 1995", "amelie 2001", "leon 1994", "usual suspects the 1995", "ca 2017"]
    assert document["counts"] == [4, 2, 3, 3, 1]  # interactions, the duplicate included (num_ratings)
    # metadata: the portal's columns without the label and the id, values as the projector shows them
    assert [c["name"] for c in document["columns"]] == ["year", "decade", "genres", "num_ratings", "first_genre"]
    assert column(document, "year") == ["1995", "2001", "1994", "1995", "2017"]
    assert column(document, "genres") == ITEMS["genres"].tolist()
    assert next(c for c in document["columns"] if c["name"] == "genres")["multi"] is True
    # each picture's colour: the projector's for the portal's color_by, one palette entry per category
    colours = [document["tints"]["palette"][i] for i in document["tints"]["of"]]
    assert len(colours) == 5 and len(set(colours)) == len(set(ITEMS["first_genre"]))

    # neighbours: exact top-k cosine, scores in thousandths
    unit = unit_rows(ITEM_VECTORS)
    assert document["neighbours"][0:2] == [3, 2]
    for i, _, j, at in pairs(document):
        assert document["scores"][at] == round(float(unit[i] @ unit[j]) * 1000)
    assert document["score_scale"] == 1000

    # evidence: users in common, counted by hand
    evidence = document["evidence"]
    assert evidence["noun"] == "users" and evidence["noun_one"] == "user"
    for i, _, j, at in pairs(document):
        assert evidence["common"][at] == ITEM_COMMON.get((min(i, j), max(i, j)), 0), (i, j)
    # shared values: genres (multi-valued), year and decade (equal values); first_genre is
    # always one of the genres, so it adds nothing; counts and means are no evidence
    shared = {document["columns"][s["column"]]["name"]: s for s in evidence["shared"]}
    assert set(shared) == {"year", "decade", "genres"}
    assert shared["genres"]["multi"] and not shared["decade"]["multi"]
    for i, _, j, at in pairs(document):
        assert shared["genres"]["masks"][at] == GENRE_MASKS.get((i, j), 0), (i, j)
        assert shared["decade"]["masks"][at] == int(ITEMS["decade"][i] == ITEMS["decade"][j])
        assert shared["year"]["masks"][at] == int(ITEMS["year"][i] == ITEMS["year"][j])

    vectors = document["vectors"]
    assert vectors["path"] == folder + "vectors.i8" and vectors["dtype"] == "int8" and vectors["bytes"] == 5 * 3
    assert set(vectors["loss"]) >= {"mean_cosine_error", "max_cosine_error", "taste_overlap", "neighbour_overlap"}


def test_users_page_data_counts_shared_items():
    rng = np.random.default_rng(3)
    document, _ = build("users", rng.normal(size=(5, 4)).astype(np.float32), vectors="float16")
    evidence = document["evidence"]
    assert evidence["noun"] == "movies" and evidence["noun_one"] == "movie"  # the dataset's words
    for i, _, j, at in pairs(document):
        assert evidence["common"][at] == USER_COMMON.get((min(i, j), max(i, j)), 0), (i, j)
    shared = {document["columns"][s["column"]]["name"]: s for s in evidence["shared"]}
    assert set(shared) == {"gender", "occupation"}
    for i, _, j, at in pairs(document):
        assert shared["occupation"]["masks"][at] == int(USERS["occupation"][i] == USERS["occupation"][j])
    assert document["vectors"]["path"].endswith("/vectors.f16") and document["vectors"]["bytes"] == 5 * 4 * 2


def test_common_counts_equal_the_dense_product_for_any_block_size():
    rng = np.random.default_rng(7)
    points, others = 300, 200
    matrix = sparse.random(points, others, density=0.05, random_state=8, format="csr")
    rows, cols = matrix.nonzero()
    binary = interaction_matrix(np.concatenate([rows, rows]), np.concatenate([cols, cols]), points, others)
    assert binary.max() == 1  # repeated interactions count once
    dense = binary.toarray().astype(np.int64)
    neighbour_index = rng.integers(0, points, size=(points, 9))
    expected = np.einsum("ik,ijk->ij", dense, dense[neighbour_index])
    for block in (1, 50, 1_000, 10**9):
        np.testing.assert_array_equal(recommend.common_counts(binary, neighbour_index, block_entries=block), expected)


def clustered(count: int, dims: int, clusters: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dims))
    return (centres[rng.integers(0, clusters, count)] + 0.6 * rng.normal(size=(count, dims))).astype(np.float32)


def test_quantisation_loss_is_small_and_measured():
    vectors = clustered(2000, 64)
    row = recommend.measure_loss(vectors, "int8", "row", queries=100)
    whole = recommend.measure_loss(vectors, "int8", "global", queries=100)
    half = recommend.measure_loss(vectors, "float16", queries=100)
    assert row.bytes == whole.bytes == 2000 * 64 and half.bytes == 2000 * 64 * 2
    assert row.mean_cosine_error < 1e-4 and row.max_cosine_error < 3e-4
    assert row.mean_cosine_error <= whole.mean_cosine_error  # a scale per row uses the int8 range better
    assert half.max_cosine_error < 1e-6
    assert row.neighbour_overlap >= 0.9 and row.taste_overlap >= 0.9 and row.min_taste_overlap >= 0.5
    assert half.taste_overlap >= row.taste_overlap - 0.02
    assert row.queries == 100 and "int8 (row scale)" in row.describe()


def test_decoding_gives_unit_rows_like_the_page():
    vectors = clustered(50, 16)
    vectors[7] = 0  # a point without interactions
    for dtype in ("int8", "float16"):
        decoded = recommend.dequantise(recommend.quantise(vectors, dtype), dtype, 16)
        norms = np.linalg.norm(decoded, axis=1)
        assert np.allclose(np.delete(norms, 7), 1, atol=1e-5) and norms[7] == 0
        assert np.abs(decoded - unit_rows(vectors)).max() < (0.02 if dtype == "int8" else 1e-3)
    raw = np.frombuffer(recommend.quantise(vectors, "int8"), dtype=np.int8).reshape(50, 16)
    assert (np.delete(np.abs(raw).max(axis=1), 7) == 127).all()  # each row uses the full range


def test_taste_ranking_leaves_out_the_chosen_and_follows_the_sum():
    unit = unit_rows(np.array([[1, 0], [0.9, 0.1], [0.8, 0.2], [0, 1], [-1, 0]], dtype=np.float32))
    assert recommend.taste_ranking(unit, [0], [], 3).tolist() == [1, 2, 3]
    assert recommend.taste_ranking(unit, [0], [3], 2).tolist() == [1, 2]
    assert recommend.taste_ranking(unit, [0, 1, 2], [3, 4], 10).tolist() == []


def _film_table(count: int, rng) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "title": [f"Film number {i} ({1950 + i % 70})" for i in range(count)],
            "genres": [
                "|".join(rng.choice(["Drama", "Comedy", "Crime", "War", "Horror"], 2, replace=False))
                for _ in range(count)
            ],
            "decade": [f"{1950 + (i % 70) // 10 * 10}s" for i in range(count)],
        }
    )


def _films(count: int, seed: int = 2, **extra) -> recommend.PageData:
    vectors = clustered(count, 100, seed=seed)
    rng = np.random.default_rng(4)
    users, items = rng.integers(0, 5000, 60_000), rng.integers(0, count, 60_000)
    index, score = top_k_neighbours(vectors, 12)
    return recommend.page_data(
        table=_film_table(count, rng),
        label="title",
        columns=["title", "genres", "decade"],
        vectors=vectors,
        neighbour_index=index,
        neighbour_score=score,
        point_index=items,
        other_index=users,
        num_other=5000,
        points="items",
        **extra,
    )


def test_files_are_compact_and_the_index_is_small():
    count, dims = 3000, 100
    data = _films(count)
    text = data.files["recommend.json"]
    document = json.loads(text)
    assert text == json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()  # no whitespace
    # the index holds what a first view needs (labels, counts), about 40 bytes a point here;
    # the neighbours, evidence and metadata are in the blocks
    assert set(document) >= {"labels", "counts", "blocks", "vectors"}
    assert not set(document) & {"neighbours", "scores", "keys"} and "common" not in document["evidence"]
    assert len(text) < 45 * count and len(gzip.compress(text)) < 0.4 * len(text)
    folder, size = document["blocks"]["path"], document["blocks"]["size"]
    assert size == 256 and data.blocks == folder and data.block_size == size
    blocks = sorted(name for name in data.files if name.startswith(folder) and name.endswith(".json"))
    assert blocks == sorted(f"{folder}{b}.json" for b in range(-(-count // size)))
    last = json.loads(data.files[f"{folder}{len(blocks) - 1}.json"])
    assert last["first"] == (len(blocks) - 1) * size and len(last["neighbours"]) == (count - last["first"]) * 12
    assert all(isinstance(v, int) for v in last["scores"][:100])
    for name in blocks:  # each block a few tens of KB gzipped at most
        assert len(gzip.compress(data.files[name])) < 40_000
    assert len(data.files[folder + "vectors.i8"]) == count * dims
    # the whole reassembles to one entry per point
    whole = recommend.assemble(data.files)
    assert len(whole["neighbours"]) == len(whole["evidence"]["common"]) == count * 12
    assert [len(c["data"]) for c in whole["columns"]] == [count, count]


def test_the_blocks_folder_is_named_by_its_content():
    """A page opened before a redeploy never mixes its index with the next build's blocks."""
    same, again, other = _films(300).blocks, _films(300).blocks, _films(300, seed=5).blocks
    assert same == again and same != other
    pictures = _films(300, pictures={3: b"RIFF-picture"})
    assert pictures.blocks != same and pictures.files[pictures.blocks + "3.webp"] == b"RIFF-picture"
    assert json.loads(pictures.files["recommend.json"])["pictures"] == {"path": pictures.blocks, "of": [3]}


@pytest.mark.parametrize("portal_name, count", [("movies", 1682), ("users", 943)])
def test_demo_page_data(demo_site, portal_name, count):
    folder = demo_site / portal_name
    document = recommend.read_page_data(folder)
    assert document["count"] == count and document["k"] == 12 and document["dims"] == 100
    assert (folder / document["vectors"]["path"]).stat().st_size == count * 100  # int8, the default
    # under 2 MB, the vectors come in one file and the page asks for no probe file (site.taste_parts)
    assert "parts" not in document["vectors"] and "data-probe" not in (folder / "recommend.html").read_text()
    assert len(document["neighbours"]) == len(document["scores"]) == len(document["evidence"]["common"]) == count * 12
    # what a first view waits for: the index and one block
    assert len(gzip.compress((folder / "recommend.json").read_bytes())) < 40_000
    assert len(gzip.compress((folder / document["blocks"]["path"] / "0.json").read_bytes())) < 30_000
    assert "pictures" not in document  # the demo's points have none: the page draws their cards
    loss = document["vectors"]["loss"]
    assert loss["mean_cosine_error"] < 1e-4 and loss["taste_overlap"] > 0.9
    if portal_name == "movies":
        suspects = document["labels"].index("The Usual Suspects (1995)")
        assert "usual suspects" in document["keys"][suspects]
        assert document["keys"][document["labels"].index("Les Misérables (1995)")] == "les miserables 1995"
