"""Named regions (site_builder.model.regions): found on the layout, named from the points' categories."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from site_builder.model import regions

GENRES = ["Horror", "Western", "Musical", "Film-Noir"]


def planted(dimensions: int, per_blob: int = 150, purity: float = 0.8, seed: int = 0):
    """Four dense blobs far apart, each mostly of one genre (`purity`), the rest of the genres spread."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(len(GENRES), dimensions)) + np.eye(len(GENRES), dimensions) * 30
    coords, genres, decades = [], [], []
    for blob, centre in enumerate(centres):
        coords.append(centre + rng.normal(scale=0.6, size=(per_blob, dimensions)))
        own = rng.random(per_blob) < purity
        genres += [GENRES[blob] if keep else GENRES[rng.integers(len(GENRES))] for keep in own]
        decades += [f"{1950 + 10 * rng.integers(5)}s" for _ in range(per_blob)]
    table = pd.DataFrame(
        {
            "title": [f"Movie {i}" for i in range(len(genres))],
            "genre": genres,
            # a multi-valued cell names each of its values; an id column names nothing
            "genres": [f"{g}|Drama" for g in genres],
            "decade": decades,
            "id": np.arange(len(genres)),
        }
    )
    return np.vstack(coords).astype(np.float32), table


@pytest.mark.parametrize("dimensions", [2, 3])
def test_the_coarse_regions_are_the_planted_blobs_named_by_their_genre(dimensions):
    coords, table = planted(dimensions)
    found = regions.find_regions(coords, table, ["genre", "decade", "id"], "title", None)
    coarse = [r for r in found if r.level == 0]
    assert sorted(r.name for r in coarse) == sorted(GENRES)
    truth = table["genre"].to_numpy()
    for region in coarse:
        term = region.terms[0]
        assert (term.column, term.value) == ("genre", region.name)
        # the figures are the map's: the anchor is a member of the blob its name says
        assert truth[region.anchor // 150 * 150 : region.anchor // 150 * 150 + 150].tolist().count(region.name) > 100
        assert term.overall == pytest.approx((truth == term.value).mean(), abs=1e-9)
        assert term.share >= regions.MIN_LIFT * term.overall and term.share > 0.7
        assert 0 < region.radius < 0.5 and region.count >= 140


def test_a_multi_valued_column_names_by_its_values_and_two_values_of_one_column_read_as_either():
    coords, table = planted(2)
    found = regions.find_regions(coords, table, ["genres"], "title", None)
    names = sorted(r.name for r in found if r.level == 0)
    assert names == sorted(GENRES)  # Drama is in every cell: it sets nothing apart
    horror = regions.Term("genre", "Horror", 0.5, 0.1)
    noir = regions.Term("genre", "Film-Noir", 0.4, 0.1)
    assert regions.name_of([horror, noir]) == "Horror or Film-Noir"
    tagged = [
        regions.Term("genres", "Horror", 0.5, 0.1, alone=False),
        regions.Term("genres", "Comedy", 0.4, 0.1, False),
    ]
    assert regions.name_of(tagged) == "Horror · Comedy"
    # a value with no word in it says its column
    assert regions.Term("age_band", "18-24", 0.5, 0.1).text == "age band 18-24"
    assert regions.Term("decade", "1990s", 0.5, 0.1).text == "decade 1990s"
    assert regions.Term("leaning", "Sci-Fi", 0.5, 0.1).text == "Sci-Fi"


def test_without_a_category_a_region_is_named_by_its_best_known_members():
    coords, table = planted(3)
    popularity = np.zeros(len(table), dtype=np.int64)
    popularity[[3, 7]] = [500, 900]  # in the first blob
    found = regions.find_regions(coords, table, ["title"], "title", popularity)
    first = next(r for r in found if r.level == 0 and r.anchor < 150)
    assert first.name == "Movie 7, Movie 3" and first.terms == []


def test_where_no_category_sets_a_region_apart_a_quarter_of_a_column_of_numbers_does():
    coords, table = planted(2)
    # the second blob's points are the most rated, the fourth's the least; the genre is spread evenly
    table["num_ratings"] = np.r_[np.full(150, 50), np.full(150, 900), np.full(150, 60), np.full(150, 3)]
    table["num_ratings"] += np.arange(600) % 37  # more distinct numbers than a category has values
    table["genre"] = np.resize(GENRES, 600)
    found = regions.find_regions(coords, table, ["genre", "num_ratings"], "title", None)
    names = {r.anchor // 150: r.name for r in found if r.level == 0}
    low, high = regions.Vocabulary.numbers_of("num_ratings", table["num_ratings"]).values
    assert names[1] == f"num ratings {high}" and names[3] == f"num ratings {low}"
    high = next(r for r in found if r.name == f"num ratings {high}")
    assert high.terms[0].share == 1.0 and high.terms[0].overall == pytest.approx(0.25, abs=0.02)
    # a category that sets a region apart comes first
    table.loc[150:299, "genre"] = "Western"
    assert {
        r.anchor // 150: r.name
        for r in regions.find_regions(coords, table, ["genre", "num_ratings"], "title", None)
        if r.level == 0
    }[1] == "Western"
    # years are written as years, large counts with separators, fractions to three figures
    years = regions.Vocabulary.numbers_of("year", pd.Series(np.arange(1900, 2000)))
    assert years.values == ["≤ 1925", "≥ 1974"]
    assert regions.Vocabulary.numbers_of("n", pd.Series(np.arange(0, 100_000, 1000))).values == ["≤ 24,750", "≥ 74,250"]
    assert regions.Vocabulary.numbers_of("r", pd.Series(np.linspace(1, 5, 101))).values == ["≤ 2", "≥ 4"]
    assert regions.Vocabulary.numbers_of("r", pd.Series(["1", "x"] * 40)) is None


def test_regions_are_the_same_on_every_build_and_a_sampled_map_finds_the_same_blobs(monkeypatch):
    coords, table = planted(2, per_blob=400)
    first = regions.regions_json([regions.find_regions(coords, table, ["genre"], "title", None)])
    assert first == regions.regions_json([regions.find_regions(coords, table, ["genre"], "title", None)])
    monkeypatch.setattr(regions, "SAMPLE", 600)  # clusters 600 of the 1,600 points, the rest by their nearest
    sampled = regions.find_regions(coords, table, ["genre"], "title", None)
    coarse = [r for r in sampled if r.level == 0]
    assert sorted(r.name for r in coarse) == sorted(GENRES)
    assert sum(r.count for r in coarse) > 0.9 * len(coords)  # every point has a region, not only the sample's


def test_a_finer_region_that_is_a_coarser_one_again_is_left_out():
    coords, table = planted(2)
    found = regions.find_regions(coords, table, ["genre"], "title", None)
    by_level = [[r for r in found if r.level == level] for level in range(len(regions.LEVELS))]
    assert len(by_level[0]) == 4
    # four tight blobs: the finer levels find the same four, which say nothing new
    assert all((r.name, r.anchor) not in {(c.name, c.anchor) for c in by_level[0]} for r in by_level[1] + by_level[2])
    # and they did find them (the check above has something to leave out): clusters of the finer levels
    # that are a coarse region again, none of which is among the regions
    levels = regions.cluster_levels(regions.world(coords))
    coarse = [np.flatnonzero(levels[0] == c) for c in range(levels[0].max() + 1)]
    again = [
        members
        for labels in levels[1:]
        for members in (np.flatnonzero(labels == c) for c in range(labels.max() + 1))
        if any(regions.jaccard(members, other) >= regions.SAME_REGION for other in coarse)
    ]
    assert again and len(by_level[1]) + len(by_level[2]) < sum(labels.max() + 1 for labels in levels[1:])


def test_a_tiny_map_has_no_regions_and_the_json_lists_every_layout():
    coords, table = planted(2)
    assert regions.find_regions(coords[:6], table[:6], ["genre"], "title", None) == []
    payload = json.loads(regions.regions_json([[], regions.find_regions(coords, table, ["genre"], "title", None)]))
    assert payload["levels"] == len(regions.LEVELS) and payload["layouts"][0] == []
    first = payload["layouts"][1][0]
    assert set(first) == {"name", "level", "anchor", "radius", "count", "terms"}
    assert set(first["terms"][0]) == {"column", "value", "text", "share", "overall"}


def _holds(cell: str, value: str) -> bool:
    """Whether a metadata cell has a term's value: one of its "|" values, or a number past "≤ q" or "≥ Q"."""
    if value[:2] in ("≤ ", "≥ "):
        bound = float(value[2:].replace(",", ""))
        return cell != "" and (float(cell) <= bound if value[0] == "≤" else float(cell) >= bound)
    return value in cell.split("|")


@pytest.mark.parametrize("portal", ["movies", "users"])
def test_the_demos_regions_hold_what_they_are_named_after(demo_site, portal):
    """Each named region of the demo: its values are as common on the whole map as metadata.txt says,
    and at least MIN_LIFT times more common in the region; both layouts have names at every level."""
    rows = (demo_site / portal / "metadata.txt").read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    cells = [dict(zip(header, row.split("\t"))) for row in rows[1:]]
    payload = json.loads((demo_site / portal / "regions.json").read_text(encoding="utf-8"))
    assert len(payload["layouts"]) == 2
    for found in payload["layouts"]:
        assert {region["level"] for region in found} == set(range(len(regions.LEVELS)))
        named = [region for region in found if region["terms"]]
        assert len(named) >= len(found) / 2
        for region in named:
            assert 0 <= region["anchor"] < len(cells)
            for term in region["terms"]:
                has = [_holds(cell[term["column"]], term["value"]) for cell in cells]
                assert term["overall"] == pytest.approx(sum(has) / len(has), abs=1e-3)
                assert term["share"] >= regions.MIN_LIFT * term["overall"] - 1e-3


def test_most_telling_is_the_colourable_column_that_sets_the_regions_apart_the_most():
    table = pd.DataFrame({"genre": ["A", "B"] * 30, "tags": [f"t{i}|u{i}" for i in range(60)], "era": ["x"] * 60})

    def region(count, *terms):
        keys = ("column", "value", "share", "overall")
        return {"count": count, "terms": [dict(zip(keys, term)) for term in terms]}

    found = {"layouts": [[region(40, ("genre", "A", 0.9, 0.5)), region(10, ("tags", "t1", 0.9, 0.01))], []]}
    assert regions.most_telling(json.dumps(found).encode(), table) == "genre"
    # tags set the regions apart more, but 60 combinations cannot be coloured
    found["layouts"][0].append(region(30, ("tags", "u2", 0.8, 0.01)))
    assert regions.most_telling(json.dumps(found).encode(), table) == "genre"
    assert regions.most_telling(json.dumps({"layouts": [[region(40)]]}).encode(), table) is None


def test_a_portal_that_names_no_colours_opens_coloured_by_its_most_telling_category(tmp_path):
    """The demo without its color_by lines: the movies open coloured by a category that names their
    regions, the moviegoers by what they like (their leaning, added to their metadata)."""
    import re
    import shutil

    from conftest import DEMO_CACHE, DEMO_CONTENT

    from site_builder.build import build_site

    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    site_yml = content / "site.yml"
    site_yml.write_text(re.sub(r"\n\s*color_by: \w+", "", site_yml.read_text(encoding="utf-8")), encoding="utf-8")
    assert "color_by" not in site_yml.read_text(encoding="utf-8")
    build_site(content, tmp_path / "site", DEMO_CACHE)
    opened = {}
    for portal in ("movies", "users"):
        states = json.loads((tmp_path / "site" / portal / "bookmarks.json").read_text(encoding="utf-8"))
        opened[portal] = {state["selectedColorOptionName"] for state in states}
    assert opened["users"] == {"leaning"}
    assert len(opened["movies"]) == 1 and opened["movies"] <= {"first_genre", "decade"}
    header = (tmp_path / "site" / "users" / "metadata.txt").read_text(encoding="utf-8").splitlines()[0].split("\t")
    assert "leaning" in header
