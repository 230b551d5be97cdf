"""The one driver: config -> datasets -> for each portal (embeddings -> neighbours ->
layouts -> named regions -> pictures -> [evaluation] -> recommendations -> projector files) -> pages ->
docs -> publish. The evaluations, and the later portals' embeddings, neighbours and
layouts, may be computed beside this line, on a second core (site_builder.beside).

Every stage writes what it makes into a fresh staging folder beside the output;
the staging folder replaces the old site (site.publish) only when all stages
succeeded, so a failed or interrupted build leaves the previous site exactly as
it was.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from site_builder import colours
from site_builder.beside import Beside
from site_builder.cache import Cache
from site_builder.config import PortalConfig, SiteConfig, load_config
from site_builder.data import datasets, remote
from site_builder.data.dataset import Dataset
from site_builder.errors import BuildError, Problem, collect_warnings, quoting_files_in
from site_builder.model import embeddings, evaluate, layouts, memory, neighbours, regions
from site_builder.pictures import make as pictures
from site_builder.pictures.download import Downloader
from site_builder.site import docs, pages, paths, projector, recommend, web_fonts
from site_builder.site.publish import check_output, publish

log = logging.getLogger("site_builder")

CARD_FACTS = 4  # metadata columns on the map's point card


@dataclass
class PortalSummary:
    name: str
    points: int
    dimensions: int
    interactions: int
    vectors_from_cache: bool
    cell: int
    pictures: str = ""
    bytes_written: int = 0


@dataclass
class BuildSummary:
    out: Path
    portals: list[PortalSummary] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # the process's peak resident memory (bytes) when each stage ended
    stage_peak_rss: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    total_seconds: float = 0.0
    site_bytes: int = 0


class Stages:
    """`with stages("name"):` logs the stage's start and end and records its time and memory."""

    def __init__(self, summary: BuildSummary):
        self.summary = summary

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        log.info("==> %s", name)
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.summary.stage_seconds[name] = self.summary.stage_seconds.get(name, 0.0) + elapsed
        self.summary.stage_peak_rss[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        log.info("    %s done in %.1f s", name, elapsed)


class Staging:
    """The folder the new site is written into, file by file, as the stages make them."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, path: str, data: bytes | Path) -> None:
        """Write `data` (bytes, or a file to copy) to the site-relative `path`."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, Path):
            shutil.copyfile(data, target)
        else:
            target.write_bytes(data)

    def write_all(self, files: dict[str, bytes], folder: str = "") -> None:
        for name, data in files.items():
            self.write(f"{folder}/{name}" if folder else name, data)

    def sizes(self) -> dict[str, int]:
        """Bytes under each top-level entry (a portal's folder, static, docs, index.html)."""
        totals: dict[str, int] = {}
        for path in self.root.rglob("*"):
            if path.is_file():
                top = path.relative_to(self.root).parts[0]
                totals[top] = totals.get(top, 0) + path.stat().st_size
        return totals


@contextmanager
def staging_folder(out: Path) -> Iterator[Staging]:
    """A fresh folder beside `out` (so that publishing is a rename), removed whatever happens."""
    out.parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        yield Staging(root)
    finally:
        if root.exists():
            shutil.rmtree(root, ignore_errors=True)


def build_site(
    content: Path, out: Path, cache_dir: Path, base_url: str | None = None, strict: bool = False, force: bool = False
) -> BuildSummary:
    """Build the site from `content` into `out`. Refuses, before any work, an `out` whose
    replacement could lose files (site_builder.site.publish.check_output); `force` allows
    replacing a non-empty folder that is not a site built here."""
    started = time.perf_counter()
    content, cache_dir = Path(content), Path(cache_dir)
    out = check_output(out, protected={"the content folder": content, "the cache folder": cache_dir}, force=force)
    summary = BuildSummary(out=out)
    stage = Stages(summary)
    # every warning logged during the build is in the summary, and fatal with --strict
    with collect_warnings("site_builder") as warnings, quoting_files_in(content, cache_dir):
        summary.warnings = warnings
        config = read_config(content, base_url, stage)
        with stage("datasets"):
            roots = remote.dataset_roots(config, cache_dir)
            datasets.check_columns(config, roots)
        with staging_folder(out) as staging:
            build_into(staging, config, roots, Cache(cache_dir), stage, summary)
            if strict and summary.warnings:
                raise BuildError([Problem("--strict", "", w) for w in summary.warnings])
            sizes = staging.sizes()  # once everything is written, pages and docs included
            summary.site_bytes = sum(sizes.values())
            for portal in summary.portals:
                portal.bytes_written = sizes.get(portal.name, 0)
            with stage("publish"):
                publish(staging.root, out)
    summary.total_seconds = time.perf_counter() - started
    return summary


def read_config(content: Path, base_url: str | None, stage: Stages) -> SiteConfig:
    """The config, or a BuildError with every problem: the schema's, and the columns named by the
    parts of the config that are valid on their own."""
    with stage("config"):
        try:
            return load_config(content, base_url=base_url)
        except BuildError as error:
            partial = getattr(error, "partial_config", None)
            raise BuildError(error.problems + (datasets.column_problems(partial) if partial else [])) from None


def build_into(
    staging: Staging, config: SiteConfig, roots: dict[str, Path], cache: Cache, stage: Stages, summary: BuildSummary
) -> None:
    """Every file of the site but the publishing marker, written into `staging`; `roots`: where each
    dataset's files are (data.remote.dataset_roots)."""
    with stage("sources"):
        loaded = load_datasets(config, roots)
    site = pages.SiteModel(
        title=config.title,
        description=config.description,
        sentence_models=", ".join(
            sorted({p.embedding.sentence.model.replace("usif", "uSIF").replace("sif", "SIF") for p in config.portals})
        ),
        words=config.datasets[config.portals[0].dataset].named,
        credits=[
            pages.Credit(d.description, d.licence, d.homepage)
            for d in config.datasets.values()
            if d.description or d.licence
        ],
        doc_pages=docs.page_names(config.docs),
    )
    downloader = Downloader(config.download, cache.root) if any(map(pictures.uses_network, config.portals)) else None
    try:
        with beside_the_build(config, loaded, cache) as beside:
            for portal in config.portals:
                page, portal_summary = build_portal(
                    portal, loaded[portal.dataset], config, cache, downloader, stage, staging, beside
                )
                site.portals.append(page)
                summary.portals.append(portal_summary)
    finally:
        if downloader is not None:
            downloader.close()
    with stage("pages"):
        script_fonts, rules = web_fonts.script_font_files(shown_text(config, loaded), cache)
        if rules:
            script_fonts[paths.SCRIPT_FONTS] = ("\n".join(rules) + "\n").encode("utf-8")
            site.script_fonts = True
        staging.write_all({path: html.encode("utf-8") for path, html in pages.render_pages(site).items()})
        staging.write_all(pages.static_files())
        staging.write_all(web_fonts.web_font_files(cache))
        staging.write_all(script_fonts)
        script, licence = projector.projector_bundle()
        staging.write(paths.PROJECTOR_SCRIPT, script)
        staging.write(paths.PROJECTOR_LICENCE, licence)
    if config.docs is not None:
        with stage("docs"):
            docs.build_docs(config.docs, staging.root / paths.DOCS, config.title, config.base_url)


def shown_text(config: SiteConfig, loaded: dict[str, Dataset]) -> str:
    """Every character the pages may show from the data and the config: the site's and portals' words,
    and each portal's labels and metadata (each distinct cell once), which the region names, keys and
    cards are made of."""
    parts = [config.title, config.description]
    for dataset in config.datasets.values():
        parts += [dataset.description, dataset.licence, *dataclasses.astuple(dataset.named)]
    for portal in config.portals:
        parts += [portal.title, portal.description]
        table = loaded[portal.dataset].side(portal.points)
        for column in projector.metadata_columns(portal.label, portal.metadata, portal.color_by):
            if column in table:
                parts += [colours.cell_text(value) for value in pd.unique(table[column])]
    return "".join(set("".join(parts)))


# A second process takes about 2 s to start and be handed the data; the demo (100,000 interactions)
# saves about 7 s with it, a site of a few thousand interactions nothing.
BESIDE_MIN_INTERACTIONS = 50_000


def beside_the_build(config: SiteConfig, loaded: dict[str, Dataset], cache: Cache) -> Beside:
    """The work a second core can do while the main line builds portal after portal (site_builder.beside):
    each evaluation, and for every portal but the first its embeddings, then its neighbours and layouts
    (which the main line then finds in the cache), in that order. The worker starts when the main
    line first has vectors to train (build_portal), on the jobs whose stage has not come yet; a
    rebuild that finds every portal's vectors in the cache never starts it. Left to the main line
    when two trainings at once would not fit in memory."""
    enabled = len(config.portals) > 1 or any(p.recommendations.show_evaluation for p in config.portals)
    if sum(data.num_interactions for data in loaded.values()) < BESIDE_MIN_INTERACTIONS:
        enabled = False  # too little work to pay for starting a second process
    if enabled and not memory.fits_twice(config, loaded):
        log.info("    training one portal at a time: two at once would not fit in memory")
        enabled = False
    beside = Beside({"config": config, "datasets": loaded, "cache": cache}, enabled=enabled)
    for index, portal in enumerate(config.portals):
        if portal.recommendations.show_evaluation:
            beside.submit(f"evaluation: {portal.name}", _evaluation_job, index)
        if index > 0:
            beside.submit(f"embeddings: {portal.name}", _embedding_job, index)
            beside.submit(f"neighbours: {portal.name}", _neighbours_job, index)
    return beside


def _embedding_job(shared: dict, index: int) -> tuple[np.ndarray, bool]:
    """The portal's vectors, kept in the worker for its neighbours job."""
    portal = shared["config"].portals[index]
    sentences = embeddings.build_sentences(shared["datasets"][portal.dataset], portal.points)
    result = embeddings.point_vectors(sentences, portal.embedding, shared["cache"])
    shared.setdefault("vectors", {})[index] = result[0]
    return result


def _neighbours_job(shared: dict, index: int) -> tuple[np.ndarray, np.ndarray]:
    """The portal's neighbours, and its layouts into the cache, from the vectors its embedding job made
    (made again only if that job failed)."""
    portal, cache = shared["config"].portals[index], shared["cache"]
    vectors = shared.get("vectors", {}).pop(index, None)
    if vectors is None:
        vectors, _ = _embedding_job(shared, index)
        shared["vectors"].pop(index)
    knn = neighbours.cached_top_k_neighbours(vectors, portal.neighbours_to_search, cache)
    layouts.umap_layouts(vectors, portal.layouts, cache, knn)
    return knn


def _evaluation_job(shared: dict, index: int) -> evaluate.Report:
    portal = shared["config"].portals[index]
    return evaluate.evaluate_dataset(
        shared["datasets"][portal.dataset], portal.embedding, "test", portal.name, shared["cache"]
    )


def load_datasets(config: SiteConfig, roots: dict[str, Path]) -> dict[str, Dataset]:
    """Each dataset a portal uses, loaded once, with the summaries its portals name; then the check
    that training will fit in memory."""
    loaded: dict[str, Dataset] = {}
    for portal in config.portals:
        if portal.dataset in loaded:
            continue
        data = loaded[portal.dataset] = datasets.load_configured(config, portal.dataset, roots[portal.dataset])
        log.info(
            "    %s: %s interactions, %s items, %s users",
            portal.dataset,
            f"{data.num_interactions:,}",
            f"{len(data.items):,}",
            f"{len(data.users):,}",
        )
    datasets.add_summaries_named(config.portals, loaded)
    too_long = evaluate.check_shown_sizes(config, loaded)
    if too_long:
        raise BuildError(too_long)
    memory.check_memory(config, loaded)
    return loaded


def build_portal(
    portal: PortalConfig,
    dataset: Dataset,
    config: SiteConfig,
    cache: Cache,
    downloader: Downloader | None,
    stage: Stages,
    staging: Staging,
    beside: Beside | None = None,
) -> tuple[pages.PortalPage, PortalSummary]:
    """One portal's files, written into its folder of `staging`; its card on the landing page and
    its line in the summary. `beside`: where its evaluation and embeddings may already be under way."""
    beside = beside or Beside({}, enabled=False)
    folder = portal.name
    table = dataset.side(portal.points)
    # the colours the map opens with, which the pictures and the recommendation page share (a portal
    # that names none opens coloured by its most telling category, known once its regions are)
    column = portal.opening_colours

    with stage(f"embeddings: {portal.name}"):
        # counted from the interactions, not the sentences: a portal trained beside has none here
        empty = int((np.bincount(dataset.indices(portal.points)[0], minlength=len(table)) == 0).sum())
        if empty:
            log.warning(
                "portal %s: %s of %s points have no interactions and sit at the origin",
                portal.name,
                f"{empty:,}",
                f"{len(table):,}",
            )
        taken = beside.take(f"embeddings: {portal.name}")
        if taken is None:

            def before_training() -> None:
                # the second core takes the later portals (a rebuild that finds every portal's
                # vectors in the cache never starts it), and UMAP compiles while this one trains
                beside.start()
                if portal.layouts.umap:
                    layouts.warm_up(portal.layouts)  # its layouts will not be in the cache either

            sentences = embeddings.build_sentences(dataset, portal.points)
            taken = embeddings.point_vectors(sentences, portal.embedding, cache, before_training)
        vectors, cached = taken
        log.info(
            "    %s vectors of %d dimensions (%s)",
            f"{len(vectors):,}",
            vectors.shape[1],
            "from cache" if cached else "trained",
        )

    with stage(f"neighbours: {portal.name}"):
        # one search serves the recommendations and both layouts' UMAP graphs (the first
        # columns of a top-k are the top-k' for any k' < k)
        knn = beside.take(f"neighbours: {portal.name}") or neighbours.cached_top_k_neighbours(
            vectors, portal.neighbours_to_search, cache
        )
        neighbour_index = np.ascontiguousarray(knn[0][:, : portal.recommendations.k])
        neighbour_score = np.ascontiguousarray(knn[1][:, : portal.recommendations.k])

    with stage(f"layouts: {portal.name}"):
        laid_out = layouts.umap_layouts(vectors, portal.layouts, cache, knn)

    named_regions = None
    if laid_out:
        with stage(f"regions: {portal.name}"):
            named_regions, column = name_regions(portal, table, laid_out, column, cache, staging)

    tints = colours.point_tints(table[column]) if column else colours.Tints.untinted(len(table))
    with stage(f"layouts: {portal.name}"):
        layout_states = layouts.bookmarks(laid_out, int(vectors.shape[1]), portal.label, column, portal.layouts)
        if layout_states:
            staging.write(paths.in_portal(folder, paths.BOOKMARKS), layouts.bookmarks_json(layout_states))

    with stage(f"pictures: {portal.name}"):
        art = pictures.make_pictures(
            portal, table, tints, config.content_dir, dataset.fingerprint, config.download, downloader, cache
        )
        log.info("    %s", art.describe())
        if art.failed:
            log.warning(
                "portal %s: %s images could not be had and were replaced by cards (%s)",
                portal.name,
                f"{art.failed:,}",
                art.describe(),
            )
        sprite = paths.sprite(art.extension)
        staging.write(paths.in_portal(folder, sprite), art.sheet)
        staging.write(paths.in_portal(folder, paths.PREVIEW), art.preview)

    figures = None
    if portal.recommendations.show_evaluation:
        with stage(f"evaluation: {portal.name}"):
            report = beside.take(f"evaluation: {portal.name}") or evaluate.evaluate_dataset(
                dataset, portal.embedding, "test", portal.name, cache
            )
            log.info(
                "    test split: HitRate@10 %.3f, popularity %.3f, ItemKNN %.3f",
                report.row("method").hit_rate,
                report.row("popularity").hit_rate,
                report.row("ItemKNN").hit_rate,
            )
            figures = report.as_dict()

    with stage(f"recommendations: {portal.name}"):
        page_data = recommend.portal_page_data(
            portal,
            config.datasets[portal.dataset].named,
            dataset,
            vectors,
            neighbour_index,
            neighbour_score,
            tints,
            evaluation=figures,
            pictures=art.page_pictures,
            cache=cache,
        )
        staging.write_all(page_data.files, folder)
        log.info("    %s", page_data.describe())

    with stage(f"projector files: {portal.name}"):
        compact = projector.map_vectors(vectors)
        files = projector.ProjectorFiles(
            tensor_name=portal.title,
            shape=vectors.shape,
            cell=art.cell,
            sprite=sprite,
            bookmarks=paths.BOOKMARKS if layout_states else None,
            map_dims=compact.dims if compact else None,
        )
        columns = projector.metadata_columns(portal.label, portal.metadata, portal.color_by or column)
        staging.write(paths.in_portal(folder, paths.TENSORS), projector.tensor_bytes(vectors))
        if compact:
            staging.write(paths.in_portal(folder, paths.MAP_VECTORS), compact.data)
            log.info("    %s", compact.describe())
        staging.write(paths.in_portal(folder, paths.METADATA), projector.metadata_tsv(table, columns).encode("utf-8"))
        staging.write(paths.in_portal(folder, paths.PROJECTOR_CONFIG), _json(files.config(sprite=False)))
        online_url = None
        if config.base_url:
            portal_url = f"{config.base_url}/{folder}/"
            staging.write(paths.in_portal(folder, paths.ONLINE_CONFIG), _json(files.config(base=portal_url)))
            online_url = projector.online_projector_url(portal_url + paths.ONLINE_CONFIG)

    most_met = int(np.argmax(table["num_ratings"].to_numpy())) if len(table) else None
    words = config.datasets[portal.dataset].named
    page = pages.PortalPage(
        name=portal.name,
        title=portal.title,
        description=portal.description,
        noun=words.items if portal.points == "items" else words.users,
        num_points=len(vectors),
        dimensions=int(vectors.shape[1]),
        num_interactions=dataset.num_interactions,
        preview=paths.in_portal(folder, paths.PREVIEW),
        preview_size=art.preview_size,
        online_url=online_url,
        sprite=sprite,
        cell=art.cell,
        regions=named_regions,
        layouts=[state["label"] for state in layout_states],
        card_columns=[c for c in portal.metadata if c != portal.label][:CARD_FACTS],
        neighbours=portal.recommendations.k,
        legend_order=tints.page_order,
        colour_column=column,
        key=tints.key,
        example=str(table[portal.label].iloc[most_met]) if most_met is not None else "",
        blocks=page_data.blocks,
        block_size=page_data.block_size,
        vectors_in_parts=page_data.parts is not None,
        vector_scales=compact.scales if compact else [],
    )
    portal_summary = PortalSummary(
        name=portal.name,
        points=len(vectors),
        dimensions=int(vectors.shape[1]),
        interactions=dataset.num_interactions,
        vectors_from_cache=cached,
        cell=art.cell,
        pictures=art.describe(),
    )
    return page, portal_summary


def name_regions(
    portal: PortalConfig,
    table: pd.DataFrame,
    laid_out: dict[str, np.ndarray],
    column: str | None,
    cache: Cache,
    staging: Staging,
) -> tuple[str, str | None]:
    """The named regions of each of the portal's layouts, written into its folder (model.regions):
    their file's site path, and the column its map opens coloured by (`column`, or for a portal that
    names none, the one that sets its regions apart the most)."""
    popularity = table["num_ratings"].to_numpy() if "num_ratings" in table else None
    found, cached = regions.cached_regions_json(
        # as the page has them (bookmarks.json), so that anyone can find them again from the site
        [layouts.shipped(coords) for coords in laid_out.values()],
        table,
        [*portal.metadata, column or "", *(["leaning"] if portal.picks_colours else [])],
        portal.label,
        popularity,
        cache,
    )
    path = paths.in_portal(portal.name, paths.REGIONS)
    staging.write(path, found)
    counts = [len(found_in) for found_in in json.loads(found)["layouts"]]
    log.info(
        "    %s%s",
        "; ".join(f"{name}: {count} regions" for name, count in zip(laid_out, counts)),
        " (from cache)" if cached else "",
    )
    if portal.picks_colours:
        column = regions.most_telling(found, table)
        if column:
            log.info("    opens coloured by %s, the column that sets its regions apart the most", column)
    return path, column


def _json(value: object) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
