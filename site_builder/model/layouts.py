"""Layouts computed at build time, so the projector opens on a finished map.

A 3-D and a 2-D UMAP (umap-learn) of each portal's vectors, seeded and cached,
shipped to the projector as bookmarks: "State" objects of the projector
(tensorboard 2.21.0) that carry each point's coordinates under the keys
`umap-0..2`, with `selectedProjection: "umap"`. The projector shows such
coordinates as given (it rescales each axis to [-1, 1] itself), without
recomputing. The page's script applies the first bookmark once the
projector's own first PCA has finished (a state applied earlier is
overwritten by it); the bookmarks panel lists all of them by name, and the
in-browser PCA, t-SNE and UMAP stay available.

The cosine layouts take UMAP's neighbour graph from the build's exact
neighbours (neighbours.top_k_neighbours, computed once per portal and shared
with the recommendations), so umap never searches for neighbours itself.
Large portals start from a PCA and run fewer optimisation epochs (LARGE_LAYOUT, see _large_layout).

Every field of a State that the projector's `loadState` reads is written:
leaving out the `custom*` strings throws a TypeError, and a missing number
shows as "undefined" in the projections panel. `STATE_FIELDS` lists them, as
read in the bundle's `getCurrentState`, `loadState` and the panels'
`restoreUIFromBookmark`.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import threading
import time
import warnings

import numpy as np

from site_builder.cache import ARRAY, Cache, Kind
from site_builder.config import LayoutSettings, PortalConfig
from site_builder.model import embeddings, neighbours

log = logging.getLogger(__name__)


def _quiet_umap() -> None:
    """numba and umap announce their own internals (e.g. TBB, no transform after a precomputed knn):
    filtered by module (each filter once), not with catch_warnings(), which is not safe in two
    threads at once (the UMAP warm-up's and the main line's)."""
    for module in ("umap", "numba", "pynndescent"):
        warnings.filterwarnings("ignore", module=rf"{module}(\.|$)")


# Below this many points there is nothing to lay out: UMAP needs at least 2 neighbours.
MIN_POINTS = 3
# Decimals kept in bookmarks.json: coordinates span [-1, 1], so 1e-4 is far below a pixel.
DECIMALS = 4

# From this many points a layout starts from a PCA and runs LARGE_LAYOUT_EPOCHS optimisation
# epochs (see _large_layout).
LARGE_LAYOUT = 50_000
LARGE_LAYOUT_EPOCHS = 50

LAYOUT_NAMES = {"umap-3d": "UMAP 3-D (precomputed)", "umap-2d": "UMAP 2-D (precomputed)"}

# Every field of the projector's State (bookmark) that its loadState and the panels'
# restoreUIFromBookmark read (tensorboard 2.21.0 projector_binary.js).
STATE_FIELDS = (
    "label",
    "isSelected",
    "projections",
    "selectedProjection",
    "dataSetDimensions",
    "tSNEIteration",
    "tSNEPerplexity",
    "tSNELearningRate",
    "tSNEis3d",
    "umapIs3d",
    "umapNeighbors",
    "umapMinDist",
    "pcaComponentDimensions",
    "selectedPoints",
    "filteredPoints",
    "shuffledDataIndices",
    "cameraDef",
    "selectedColorOptionName",
    "forceCategoricalColoring",
    "selectedLabelOption",
    "customSelectedSearchByMetadataOption",
    "customXLeftText",
    "customXLeftRegex",
    "customXRightText",
    "customXRightRegex",
    "customYUpText",
    "customYUpRegex",
    "customYDownText",
    "customYDownRegex",
)


LAYOUTS = Kind("layouts", "umap-layout-v3", ("umap-learn", "numpy"))


def config_inputs(portal: PortalConfig) -> list:
    """What a portal's layouts are made of, besides its dataset: its vectors' inputs and the layouts'."""
    return [embeddings.config_inputs(portal), portal.layouts.model_dump()]


def layout_key(vectors: np.ndarray, settings: LayoutSettings, dimensions: int) -> str:
    """The cache key of one layout: the vectors' bytes, the UMAP settings and umap-learn's version."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    params = {
        "dimensions": dimensions,
        "n_neighbors": settings.n_neighbors,
        "min_dist": settings.min_dist,
        "metric": settings.metric,
        "seed": settings.seed,
    }
    params |= _large_layout(vectors.shape, dimensions)  # only large portals': the others' keys stay as they were
    return LAYOUTS.key(list(vectors.shape), vectors.tobytes(), params)


def _large_layout(shape: tuple[int, ...], dimensions: int) -> dict:
    """UMAP's init and n_epochs for a layout of vectors of this shape from LARGE_LAYOUT points on
    (else {}: umap's spectral initialisation and its 200 epochs, 500 below 10,000 points). The PCA
    needs at least as many vector dimensions as the layout has; with fewer, the start stays spectral.

    At that size both costs are most of a layout's time, on one core (the layout is seeded):
    the spectral initialisation of 200,947 users took 33 s for the 3-D layout (19 s for the 2-D),
    a PCA under 1 s; 100 epochs took about 35 s more. With a PCA and 50 epochs the two layouts of
    those users take 37 s instead of 118 s (spectral, 100 epochs), and those of 87,585 movies 14 s
    instead of 34 s, and keep the planted tastes as well: the share of each point's 10 nearest
    in the layout that have its taste is 0.894 and 0.890 (3-D, 2-D) against 0.897 and 0.895 for
    the users, 0.812 and 0.810 against 0.815 and 0.812 for the movies (0.909 and 0.849 on the
    vectors themselves). Measured on the 32M synthetic site by benchmarks/layouts.py. The
    settings enter the cache key of large portals only, so the keys of smaller ones are unchanged.
    """
    count, features = shape
    if count < LARGE_LAYOUT:
        return {}
    return {"init": "pca" if features >= dimensions else "spectral", "n_epochs": LARGE_LAYOUT_EPOCHS}


def umap_layouts(
    vectors: np.ndarray, settings: LayoutSettings, cache: Cache, knn: tuple[np.ndarray, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """{"umap-3d": N x 3, "umap-2d": N x 2} (as settings.umap asks, in its order), float32.

    Seeded with settings.seed, so a rebuild gives the same map; each layout is
    cached on its own under the kind "layouts". With fewer than MIN_POINTS points
    there is no layout (an empty dict).

    `knn`: the (indices, scores) of neighbours.top_k_neighbours for these same
    vectors, with at least settings.n_neighbors - 1 columns (or N - 1), as the
    build computes once per portal for the recommendations and the layouts. The
    cosine layouts use its first columns as UMAP's neighbour graph instead of
    searching again; without it (or with too few columns) they search
    themselves. It is not part of the cache key: it follows from the vectors.
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    count = vectors.shape[0]
    if count < MIN_POINTS:
        log.info("    %d points: too few for a UMAP layout; the projector opens on its PCA", count)
        return {}
    result: dict[str, np.ndarray] = {}
    for which in settings.umap:
        dimensions = 3 if which == "3d" else 2
        name = f"umap-{which}"
        shape = (count, dimensions)
        coords, cached = cache.memo(
            LAYOUTS,
            layout_key(vectors, settings, dimensions),
            functools.partial(_fit_umap, vectors, settings, dimensions, knn),
            ARRAY,
            accept=lambda coords, shape=shape: coords.shape == shape,
        )
        if cached:
            log.info("    %s from cache", name)
        result[name] = coords
    return result


_compiled_kept = False
_compiled_lock = threading.Lock()


def keep_compiled_code() -> None:
    """Keep what numba compiles for UMAP (about 4 s in every new process) for the next process to
    load: numba's own cache, switched on for each of umap's compiled functions that umap-learn does
    not cache itself, where numba keeps the others (beside umap's sources in the environment, or
    the user's cache folder). Not in the build's cache: pointing numba's cache elsewhere makes
    pynndescent, which umap imports, compile again all it has cached there. Once per process,
    before the first layout is computed (importing umap takes a second or two that a rebuild from
    the cache need not spend)."""
    global _compiled_kept
    with _compiled_lock:  # the warm-up thread and the main line may both ask
        if not _compiled_kept:
            _keep_compiled_code()
            _compiled_kept = True


def _keep_compiled_code() -> None:
    import umap.layouts
    import umap.umap_
    import umap.utils
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    for module in (umap.layouts, umap.umap_, umap.utils):
        for value in vars(module).values():
            # the dispatchers umap-learn made without a cache (those with one keep theirs)
            if isinstance(value, CPUDispatcher) and isinstance(value._cache, NullCache):
                value.enable_caching()


def warm_up(settings: LayoutSettings) -> threading.Thread:
    """Compile UMAP's numba code on a tiny layout, in a thread started now: about 5 s that every new
    process pays before its first layout (importing umap, compiling its optimiser), which the build
    then spends while its main line trains, instead of after. The real layouts wait for the
    compilation if it is still running (numba holds a lock), and are the same either way."""
    vectors = np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32)
    dimensions = 3 if "3d" in settings.umap else 2
    thread = threading.Thread(
        target=_fit_umap,
        args=(vectors, settings, dimensions),
        kwargs={"quiet": True},
        name="umap-warm-up",
        daemon=True,
    )
    thread.start()
    return thread


def _fit_umap(
    vectors: np.ndarray,
    settings: LayoutSettings,
    dimensions: int,
    knn: tuple[np.ndarray, np.ndarray] | None = None,
    quiet: bool = False,
) -> np.ndarray:
    _quiet_umap()
    keep_compiled_code()
    started = time.perf_counter()
    count = vectors.shape[0]
    n_neighbors = max(2, min(settings.n_neighbors, count))  # umap counts the point itself
    graph = None
    if settings.metric == "cosine":
        # exact cosine neighbours by blocked products (as for the recommendations): umap then
        # skips its own neighbour search, saving about 9 s of numba compiling per process, and
        # large portals never need its N x N distance matrix
        if knn is None or knn[0].shape[1] < n_neighbors - 1:
            knn = neighbours.top_k_neighbours(vectors, n_neighbors - 1)
        others, similarity = knn[0][:, : n_neighbors - 1], knn[1][:, : n_neighbors - 1]
        itself = np.arange(count, dtype=np.int32)[:, None]
        graph = (
            np.hstack([itself, others]).astype(np.int32),
            np.hstack([np.zeros((count, 1), np.float32), np.clip(1 - similarity, 0, 2)]).astype(np.float32),
        )
    import umap  # imported here: it compiles with numba, seconds that a cached build never pays

    # the spectral initialisation needs more points than dimensions + 1; large portals start otherwise
    start = {"init": "spectral" if count > dimensions + 2 else "random"} | _large_layout(vectors.shape, dimensions)
    model = umap.UMAP(
        n_components=dimensions,
        n_neighbors=n_neighbors,
        min_dist=settings.min_dist,
        metric=settings.metric,
        random_state=settings.seed,
        n_jobs=1,
        **start,
        **({"precomputed_knn": graph} if graph is not None else {}),
    )
    coords = model.fit_transform(vectors)
    coords = np.asarray(coords, dtype=np.float32)
    if not np.isfinite(coords).all():
        coords = np.nan_to_num(coords, nan=0.0, posinf=0.0, neginf=0.0)
    if not quiet:
        log.info("    UMAP %d-D of %s points in %.1f s", dimensions, f"{count:,}", time.perf_counter() - started)
    return coords


def normalise(coords: np.ndarray) -> np.ndarray:
    """Centred on the bounding box and scaled into [-1, 1] by the largest axis (shape kept)."""
    coords = np.asarray(coords, dtype=np.float64)
    if coords.size == 0:
        return coords
    low, high = coords.min(axis=0), coords.max(axis=0)
    centred = coords - (low + high) / 2
    half = float(np.max(high - low)) / 2
    return centred / half if half > 0 else centred


def shipped(coords: np.ndarray) -> np.ndarray:
    """A layout's coordinates as bookmarks.json holds them: normalised, to DECIMALS decimals."""
    return np.round(normalise(coords), DECIMALS) + 0.0  # + 0.0: no -0.0


def bookmarks(
    layouts: dict[str, np.ndarray],
    dimensions: int,
    label: str,
    color_by: str | None = None,
    settings: LayoutSettings | None = None,
) -> list[dict]:
    """One projector State per layout, in the layouts' order, ready for bookmarks.json.

    `dimensions` is D of the vectors (the projector checks [N, D] of uploaded
    bookmarks); `label` is the metadata column that labels points; `color_by`
    the column to colour by (None: no colour map).
    """
    settings = settings or LayoutSettings()
    states = []
    for name, coords in layouts.items():
        coords = shipped(coords)
        count, components = coords.shape
        keys = [f"umap-{c}" for c in range(components)]
        projections = [dict(zip(keys, row)) for row in coords.tolist()]
        states.append(
            {
                "label": LAYOUT_NAMES.get(name, name),
                "isSelected": False,
                "projections": projections,
                "selectedProjection": "umap",
                "dataSetDimensions": [count, int(dimensions)],
                # t-SNE panel: the values the projector itself starts with for N points
                "tSNEIteration": 0,
                "tSNEPerplexity": max(5, math.ceil(math.sqrt(count) / 4)),
                "tSNELearningRate": 1,  # the slider holds log10 of the rate: 10
                "tSNEis3d": True,
                # UMAP panel: what the in-browser UMAP would use if run again (its sliders' ranges)
                "umapIs3d": components == 3,
                "umapNeighbors": int(min(max(settings.n_neighbors, 5), 50)),
                "umapMinDist": float(min(settings.min_dist, 0.99)),
                "pcaComponentDimensions": [0, 1, 2],
                "selectedPoints": [],
                # null: keep the projector's own values (an empty list would empty its sampling order)
                "filteredPoints": None,
                "shuffledDataIndices": None,
                # null: the projector's default camera for 2-D or 3-D
                "cameraDef": None,
                "selectedColorOptionName": color_by or "No color map",
                "forceCategoricalColoring": False,
                "selectedLabelOption": label,
                "customSelectedSearchByMetadataOption": label,
                "customXLeftText": "",
                "customXLeftRegex": False,
                "customXRightText": "",
                "customXRightRegex": False,
                "customYUpText": "",
                "customYUpRegex": False,
                "customYDownText": "",
                "customYDownRegex": False,
            }
        )
    return states


def bookmarks_json(states: list[dict]) -> bytes:
    """bookmarks.json: compact (one point per line would triple its size), UTF-8."""
    return (json.dumps(states, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")
