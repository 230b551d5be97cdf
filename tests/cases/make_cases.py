"""Writes the cases that the pages' pure functions and their Python twins are both tested
against: tests/test_js_twins.py checks the Python side, tests/js/*.test.mjs the JavaScript.

    fold.json     recommend.fold (recommend-core.js fold): text -> search key
    vectors.json  recommend.quantise / dequantise (decodeVectors): small matrices, their
                  vectors files (int8 with row and global scale, float16) and the unit rows
                  decoded from each; float16 bit patterns and their values
    taste.json    recommend.taste_ranking (rankTaste): unit rows, likes, dislikes, how many
                  to pick (and which points are loaded), and the picks in order with their scores
    probe.json    taste_parts.probe (readProbe, probeClusters): a vectors file and its probe.bin,
                  and the clusters a first taste ranking loads for each taste and share

Every expected value comes from the Python twins, so the JavaScript is held to them. Random
inputs are seeded and the output is the same on every run; after changing a twin or a case:

    .venv/bin/python tests/cases/make_cases.py

Inputs whose answer could tip either way on another machine (a component within rounding
distance of an int8 or float16 boundary, two scores closer than floats can tell apart) are
refused here rather than written: the cases must hold wherever they run.
"""

from __future__ import annotations

import base64
import json
import sys
import unicodedata
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from site_builder.site import taste_parts  # noqa: E402
from site_builder.site.recommend import dequantise, fold, quantise, taste_ranking  # noqa: E402

DECODE_TOLERANCE = 1e-6  # decoded unit components: float32 rounding, summed in another order
SCORE_TOLERANCE = 1e-5  # taste scores: the page sums the query in float32
SCORE_GAP = 1e-4  # distinct scores in a case are at least this far apart

# ------------------------------------------------------------------ fold

FOLD_TEXTS = [
    ("plain title", "Toy Story (1995)"),
    ("article moved to the end", "Usual Suspects, The (1995)"),
    ("acute accents", "Misérables, Les (1995)"),
    ("Icelandic", "Á köldum klaka (Cold Fever) (1994)"),
    ("ø æ œ ß ł: letters NFKD keeps whole", "ø æ œ ß ł"),
    ("the same in capitals", "Ø Æ Œ ẞ Ł"),
    ("đ þ ð ı", "Đakovo Þórr Ðóra ıslak"),
    ("ligatures in a word", "Ærøskøbing Straße, ŁÓDŹ, Œuvre"),
    ("compatibility ligatures", "ﬁne ﬂow ﬀ ﬃ ﬆ Ĳssel"),
    ("slash and dashes", "  JLG/JLG - autoportrait de décembre "),
    ("punctuation only", "?!… — (()) ..."),
    ("empty", ""),
    ("spaces only", "   \t\n "),
    ("combining acute after e", "Pe\u0301pe\u0301 le Moko"),
    ("precomposed é: the same key", "Pépé le Moko"),
    ("stacked combining marks", "a\u0301\u0302\u0303b"),
    ("a mark with nothing to sit on", "\u0301 alone"),
    ("enclosing mark", "x\u20dd y"),
    ("underscore and apostrophe", "snake_case Schindler's List"),
    ("soft hyphen and zero-width joiner", "co\u00adoperate a\u200db"),
    ("no-break space", "Amélie\u00a0(2001)"),
    ("dotted capital I", "İstanbul"),
    ("Greek, final sigma", "ΟΔΥΣΣΕΥΣ Σίσυφος"),
    ("Cyrillic", "Ёлки-палки, Брат 2"),
    ("Japanese: voicing marks fall off", "千と千尋の神隠し ジブリ"),
    ("Devanagari spacing vowel sign", "हिन्दी"),
    ("full-width", "ＴＯＫＹＯ ２０２０"),
    ("superscripts, fractions, circled", "x² ½ ¾ ① Ⓐ"),
    ("Roman numerals", "Rocky Ⅳ, Ⅻ"),
    ("Vietnamese", "Mùa hè chiều thẳng đứng"),
    ("emoji", "😀 smile 👍🏽"),
    ("digits only", "2001"),
    ("already folded", "miserables les 1995"),
]


def fold_cases() -> dict:
    return {
        "about": "recommend.fold: each text and its search key",
        "cases": [{"why": why, "text": text, "fold": fold(text)} for why, text in FOLD_TEXTS],
    }


# ------------------------------------------------------------------ vectors

FLOAT16_BITS = [
    0x0000,
    0x8000,
    0x0001,
    0x8001,
    0x03FF,
    0x0400,
    0x3555,
    0x3C00,
    0xBC00,
    0x3BFF,
    0x3C01,
    0x4248,
    0x7BFF,
    0xFBFF,
    0x7C00,
    0xFC00,
    0x7E00,
]


def _number(value: float) -> float | str:
    """JSON has no infinities or NaN: those are written as the strings both sides read back."""
    return value if np.isfinite(value) else ("NaN" if np.isnan(value) else ("Infinity" if value > 0 else "-Infinity"))


def _rows(array: np.ndarray) -> list[list[float]]:
    """float32 values as the float64 numbers they are exactly, so a Float32Array reads back the same."""
    return [[float(v) for v in row] for row in np.asarray(array, dtype=np.float32)]


def _int8_steady(unit: np.ndarray, peak) -> bool:
    scaled = np.abs(unit / peak * 127)
    return bool((np.abs(scaled - np.floor(scaled) - 0.5) > 1e-4).all())


def _float16_steady(unit: np.ndarray) -> bool:
    rounded = unit.astype("<f2")
    return all((unit * f).astype("<f2").tolist() == rounded.tolist() for f in (1 - 1e-6, 1 + 1e-6))


def steady(vectors: np.ndarray) -> bool:
    """No component of the unit rows within rounding distance of an int8 step (row or global
    scale) or of a float16 one, where another machine's float32 arithmetic could tip it."""
    norms = np.linalg.norm(vectors.astype(np.float64), axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros(vectors.shape), where=norms > 0)
    if not unit.any():
        return True
    row_peak = np.abs(unit).max(axis=1, keepdims=True)
    row_peak[row_peak == 0] = 1
    return _int8_steady(unit, row_peak) and _int8_steady(unit, np.abs(unit).max()) and _float16_steady(unit)


def _steady_draw(draw) -> np.ndarray:
    """The first of the seeded draws that is steady."""
    for _ in range(100):
        vectors = np.asarray(draw(), dtype=np.float32)
        if steady(vectors):
            return vectors
    raise AssertionError("no steady draw in 100")


def vector_cases() -> dict:
    rng = np.random.default_rng(20240611)
    matrices = [
        ("hand-made, with a zero row", [[3, 4, 0], [0, 0, 0], [-1, 2, -2.5], [0.5, -0.3, 0.1]]),
        ("one dimension", [[2], [-3], [0]]),
        ("all zero", [[0, 0], [0, 0]]),
        ("components far below the largest (float16 subnormals)", [[1, 1e-5, -3e-6, 2e-7], [-2, 1e-6, 0, 0]]),
        ("largest component negative", [[-0.9, 0.3, 0.35], [0.2, -0.7, 0.4]]),
        ("seeded normal 6 x 5", _steady_draw(lambda: rng.standard_normal((6, 5)))),
        (
            "seeded normal 12 x 16, different lengths",
            _steady_draw(lambda: rng.standard_normal((12, 16)) * rng.uniform(0.1, 50, (12, 1))),
        ),
    ]
    cases = []
    for name, matrix in matrices:
        vectors = np.asarray(matrix, dtype=np.float32)
        assert steady(vectors), f"{name}: a component is within rounding distance of an int8 or float16 step"
        count, dims = vectors.shape
        files = []
        for dtype, scale in (("int8", "row"), ("int8", "global"), ("float16", None)):
            data = quantise(vectors, dtype, scale) if scale else quantise(vectors, dtype)
            unit = dequantise(data, dtype, dims)
            files.append(
                {"dtype": dtype, "scale": scale, "base64": base64.b64encode(data).decode("ascii"), "unit": _rows(unit)}
            )
        cases.append({"name": name, "count": count, "dims": dims, "vectors": _rows(vectors), "files": files})
    halves = np.array(FLOAT16_BITS, dtype="<u2").view("<f2").astype(np.float64)
    return {
        "about": "recommend.quantise and dequantise: each matrix, its vectors files (base64) and the unit rows "
        "the page decodes from them; float16 bit patterns and their values",
        "tolerance": DECODE_TOLERANCE,
        "cases": cases,
        "float16": [[bits, _number(value)] for bits, value in zip(FLOAT16_BITS, halves.tolist())],
    }


# ------------------------------------------------------------------ taste


def _unit(rows) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float64)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0).astype(np.float32)


def _angles(degrees: list[float]) -> np.ndarray:
    radians = np.radians(degrees)
    return _unit(np.stack([np.cos(radians), np.sin(radians)], axis=1))


def taste_cases() -> dict:
    rng = np.random.default_rng(7)
    decoded = dequantise(quantise(_steady_draw(lambda: rng.standard_normal((25, 6))), "int8"), "int8", 6)
    twins = _unit(rng.standard_normal((9, 4)))
    twins[[3, 5, 7]] = twins[2]  # four points with the very same vector
    with_zero = _unit(rng.standard_normal((10, 5)))
    with_zero[4] = 0  # a zero row scores 0 against every query
    inputs = [
        ("one like, points on a circle", _angles([0, 20, 45, 90, 135, 180, 270, 330]), [0], [], 3),
        ("three likes and a dislike, as measure_loss", _unit(rng.standard_normal((30, 8))), [3, 11, 17], [25], 10),
        ("dislikes only: the farthest from them", _unit(rng.standard_normal((15, 3))), [], [2, 5], 5),
        ("more asked for than are left", _unit(rng.standard_normal((5, 3))), [1], [0], 10),
        ("equal scores listed by point number, cut between them", twins, [2], [], 2),
        ("equal scores listed by point number, all of them", twins, [2], [], 6),
        ("none asked for", _unit(rng.standard_normal((4, 2))), [0], [], 0),
        ("a zero row among the points", with_zero, [0, 1], [9], 9),
        ("rows decoded from an int8 file", decoded, [0, 7, 19], [4, 12], 8),
    ]
    parted = _unit(rng.standard_normal((20, 4)))
    loaded = np.zeros(20, dtype=bool)
    loaded[[0, 1, 2, 5, 8, 9, 13, 14, 17]] = True  # the parts a large portal's page has
    partial = [
        ("only the loaded points, the chosen among them", parted, [0, 8], [13], 4, loaded),
        ("only the loaded points, more asked for than are loaded", parted, [1], [], 12, loaded),
        ("a chosen point not loaded", parted, [3, 5], [], 3, loaded | (np.arange(20) == 3)),
    ]
    cases = []
    for name, unit, like, dislike, top, *mask in [*inputs, *partial]:
        allowed = mask[0] if mask else None
        picks = taste_ranking(unit, like, dislike, top, allowed).tolist()
        scores = _scores(unit, like, dislike)
        _check_order(name, unit, scores, like, dislike, picks, allowed)
        case = {
            "name": name,
            "dims": int(unit.shape[1]),
            "unit": _rows(unit),
            "like": like,
            "dislike": dislike,
            "top": top,
            "picks": picks,
            "scores": [float(scores[p]) for p in picks],
        }
        if allowed is not None:
            case["loaded"] = allowed.astype(int).tolist()
        cases.append(case)
    # likes and dislikes that cancel out: a query with no direction ranks nothing, on both sides
    same = _unit(rng.standard_normal((6, 3)))
    same[4] = same[1]
    assert taste_ranking(same, [1], [4], 3).size == 0
    cases.append(
        {
            "name": "a like and a dislike that cancel out",
            "dims": 3,
            "unit": _rows(same),
            "like": [1],
            "dislike": [4],
            "top": 3,
            "picks": [],
            "scores": [],
        }
    )
    return {
        "about": "recommend.taste_ranking: unit rows (float32 values), likes, dislikes and how many to pick; "
        "the picks best first and their scores, the cosine with (sum of liked - sum of disliked)",
        "tolerance": SCORE_TOLERANCE,
        "cases": cases,
    }


def _scores(unit: np.ndarray, like: list[int], dislike: list[int]) -> np.ndarray:
    exact = unit.astype(np.float64)
    query = exact[like].sum(axis=0) - exact[dislike].sum(axis=0)
    return exact @ query / np.linalg.norm(query)


def _check_order(name: str, unit: np.ndarray, scores: np.ndarray, like, dislike, picks, loaded=None) -> None:
    """The picks are the float64 ranking too, and no two scores near the cut could swap places."""
    rest = [p for p in range(len(unit)) if p not in like and p not in dislike and (loaded is None or loaded[p])]
    order = sorted(rest, key=lambda p: (-scores[p], p))
    assert picks == order[: len(picks)], f"{name}: taste_ranking disagrees with the float64 ranking"
    considered = order[: len(picks) + 1]
    for a, b in zip(considered, considered[1:]):
        same_vector = np.array_equal(unit[a], unit[b])
        assert same_vector or scores[a] - scores[b] > SCORE_GAP, f"{name}: points {a} and {b} score too close"


# ------------------------------------------------------------------ probe


def float32_query(unit: np.ndarray, like: list[int], dislike: list[int]) -> np.ndarray:
    """The query as the page sums it: in float32, the likes in order, then less each dislike."""
    query = np.zeros(unit.shape[1], dtype=np.float32)
    for i in like:
        query += unit[i]
    for i in dislike:
        query -= unit[i]
    return query


def probe_cases() -> dict:
    rng = np.random.default_rng(11)
    centres = rng.standard_normal((4, 6)) * 3  # four groups of directions, so that the clusters differ
    vectors = _steady_draw(lambda: np.repeat(centres, 40, axis=0) + rng.standard_normal((160, 6)))
    data = quantise(vectors, "int8")
    decoded = dequantise(data, "int8", 6)
    # the clusters made by hand, not by k-means, so that the file is the same on every machine:
    # the four groups, each cut in two at the median of its points' first component
    group = np.repeat(np.arange(4), 40)
    median = np.array([np.median(decoded[group == g, 0]) for g in range(4)])
    cluster = group * 2 + (decoded[:, 0] > median[group]).astype(int)
    found = taste_parts.grouped(decoded, cluster)
    inputs = [
        ("one like, a tenth of the points", [3], [], 0.1),
        ("three likes and a dislike, a fifth", [3, 50, 120], [90], 0.2),
        ("dislikes only", [], [10, 130], 0.3),
        ("the chosen points' parts do not count towards the share", [0, 45, 85, 125], [], 0.05),
        ("every part", [7], [], 1.0),
        ("no share: the chosen points' parts alone", [7, 8], [], 0.0),
    ]
    cases = []
    for name, like, dislike, share in inputs:
        query = float32_query(decoded, like, dislike)
        clusters = taste_parts.probe(found, like + dislike, query, share)
        bounds = found.centroids.astype(np.float64) @ query + found.radii * np.linalg.norm(query.astype(np.float64))
        ordered = np.sort(bounds)
        assert (np.diff(ordered) > SCORE_GAP).all(), f"{name}: two clusters' bounds are too close to order"
        cases.append({"name": name, "like": like, "dislike": dislike, "share": share, "clusters": clusters})
    return {
        "about": "taste_parts.probe: a partition of 160 int8 vectors of 6 dimensions (the vectors file and its "
        "probe.bin, base64) and, for each taste and share, the clusters a first ranking loads, in order",
        "count": 160,
        "dims": 6,
        "clusters": len(found.centroids),
        "vectors": base64.b64encode(data).decode("ascii"),
        "probe": base64.b64encode(found.probe_file()).decode("ascii"),
        "cases": cases,
    }


# ------------------------------------------------------------------ writing


def _readable(text: str) -> str:
    """JSON with the invisible characters (marks, format and space characters) as escapes."""
    out = []
    for ch in text:
        if ch in " \n" or unicodedata.category(ch)[0] not in "CMZ":
            out.append(ch)
        elif ord(ch) > 0xFFFF:
            high, low = divmod(ord(ch) - 0x10000, 0x400)
            out.append(f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


def dumps(document: dict) -> str:
    """One key a line, one case a line: diffs show which cases changed."""
    lines = []
    for key, value in document.items():
        if isinstance(value, list):
            items = ",\n".join("  " + json.dumps(item, ensure_ascii=False) for item in value)
            lines.append(f" {json.dumps(key)}: [\n{items}\n ]")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return _readable("{\n" + ",\n".join(lines) + "\n}") + "\n"


DOCUMENTS = {
    "fold.json": fold_cases,
    "vectors.json": vector_cases,
    "taste.json": taste_cases,
    "probe.json": probe_cases,
}


def main() -> None:
    for name, make in DOCUMENTS.items():
        (HERE / name).write_text(dumps(make()), encoding="utf-8")
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
