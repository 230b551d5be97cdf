"""The one function that drives the stages: config -> sources -> embeddings ->
sprites -> projector files -> pages -> docs -> publish.

Gather, then write: every output is produced in memory (or in a fresh staging
folder) and the staging folder replaces the old site only when all stages
succeeded, so a failed build leaves the previous site exactly as it was.
"""

from __future__ import annotations

import json
import logging
import resource
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from site_builder.site import docs, pages, projector, recommend
from site_builder.model import embeddings, evaluate, layouts, memory, neighbours
from site_builder.pictures import fonts, make as pictures
from site_builder.data import remote, datasets as sources
from site_builder import colours
from site_builder.cache import Cache
from site_builder.config import load_config
from site_builder.pictures.download import Downloader
from site_builder.errors import BuildError, Problem, collect_warnings, quoting_files_in
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


class _Stages:
    """Stage-by-stage logs with timings."""

    def __init__(self, summary: BuildSummary):
        self.summary = summary

    @contextmanager
    def __call__(self, name: str):
        log.info("==> %s", name)
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.summary.stage_seconds[name] = self.summary.stage_seconds.get(name, 0.0) + elapsed
        self.summary.stage_peak_rss[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        log.info("    %s done in %.1f s", name, elapsed)


def build_site(content: Path, out: Path, cache_dir: Path, base_url: str | None = None,
               strict: bool = False, force: bool = False) -> BuildSummary:
    """Build the site from `content` into `out`. Refuses, before any work, an `out` whose
    replacement could lose files (site_builder.site.publish.check_output); `force` allows replacing
    a non-empty folder that is not a site built here."""
    started = time.perf_counter()
    out = check_output(out, protected={"the content folder": Path(content), "the cache folder": Path(cache_dir)},
                       force=force)
    summary = BuildSummary(out=Path(out))
    stage = _Stages(summary)
    # every warning logged during the build is in the summary, and fatal with --strict
    with collect_warnings("site_builder") as warnings, quoting_files_in(content, cache_dir):
        summary.warnings = warnings
        return _build(content, out, cache_dir, base_url, strict, summary, stage, started)


def _build(content, out, cache_dir, base_url, strict, summary, stage, started) -> BuildSummary:
    with stage("config"):
        try:
            config = load_config(Path(content), base_url=base_url)
        except BuildError as error:  # with the columns of the parts that are valid, all problems at once
            partial = getattr(error, "partial_config", None)
            raise BuildError(error.problems + (sources.column_problems(partial) if partial else [])) from None

    with stage("datasets"):
        remote.resolve_datasets(config, Path(cache_dir))
        sources.check_columns(config)

    cache = Cache(cache_dir)
    outputs: dict[str, bytes | Path] = {}
    site = pages.SiteModel(
        title=config.title,
        description=config.description,
        sentence_models=", ".join(sorted({p.embedding.sentence.model.replace("usif", "uSIF").replace("sif", "SIF") for p in config.portals})),
        credits=[d.description for d in config.datasets.values() if d.description],
        doc_pages=docs.page_names(config.docs),
    )

    with stage("sources"):
        datasets = {}
        for portal in config.portals:
            if portal.dataset not in datasets:
                datasets[portal.dataset] = sources.load_dataset(portal.dataset, config.datasets[portal.dataset])
                data = datasets[portal.dataset]
                log.info("    %s: %s interactions, %s items, %s users", portal.dataset,
                         f"{data.num_interactions:,}", f"{len(data.items):,}", f"{len(data.users):,}")
        sources.add_summaries_named(config.portals, datasets)
        memory.check_memory(config, datasets)

    downloader = None
    if any(pictures.uses_network(p) for p in config.portals):
        downloader = Downloader(config.download, Path(cache_dir))
    for portal in config.portals:
        dataset = datasets[portal.dataset]
        table = dataset.side(portal.points)
        # the colours the map opens with, which the pictures beside it share
        column = portal.opening_colours
        tints = colours.point_tints(table[column]) if column else colours.Tints.untinted(len(table))
        with stage(f"embeddings: {portal.name}"):
            sentences = embeddings.build_sentences(dataset, portal.points)
            empty = int((np.diff(sentences.offsets) == 0).sum())
            if empty:
                log.warning("portal %s: %s of %s points have no interactions and sit at the origin",
                            portal.name, f"{empty:,}", f"{sentences.num_points:,}")
            vectors, cached = embeddings.point_vectors(sentences, portal.embedding, cache)
            log.info("    %s vectors of %d dimensions (%s)", f"{len(vectors):,}", vectors.shape[1],
                     "from cache" if cached else "trained")
        with stage(f"neighbours: {portal.name}"):
            # one search serves the recommendations and both layouts' UMAP graphs (the first
            # columns of a top-k are the top-k' for any k' < k)
            knn = neighbours.top_k_neighbours(vectors, portal.neighbours_to_search)
            neighbour_index = np.ascontiguousarray(knn[0][:, :portal.recommendations.k])
            neighbour_score = np.ascontiguousarray(knn[1][:, :portal.recommendations.k])
        with stage(f"recommendations: {portal.name}"):
            figures = None
            if portal.recommendations.show_evaluation:
                report = evaluate.evaluate_dataset(dataset, portal.embedding, "test", portal.name, cache)
                log.info("    evaluation (test split): HitRate@10 %.3f, popularity %.3f, ItemKNN %.3f",
                         report.row("method").hit_rate, report.row("popularity").hit_rate,
                         report.row("ItemKNN").hit_rate)
                figures = report.as_dict()
            page_data = recommend.portal_page_data(portal, config.portals, dataset, vectors,
                                                   neighbour_index, neighbour_score, tints, evaluation=figures)
            outputs.update({f"{portal.name}/{name}": data for name, data in page_data.files.items()})
            log.info("    %s", page_data.describe())
        with stage(f"layouts: {portal.name}"):
            layout_states = layouts.bookmarks(layouts.umap_layouts(vectors, portal.layouts, cache, knn),
                                              int(vectors.shape[1]), portal.label, column, portal.layouts)
            if layout_states:
                outputs[f"{portal.name}/{layouts.BOOKMARKS}"] = layouts.bookmarks_json(layout_states)
        with stage(f"pictures: {portal.name}"):
            art = pictures.make_pictures(portal, table, tints, config.content_dir, dataset.fingerprint,
                                         config.download, downloader, cache)
            log.info("    %s", art.describe())
            if art.failed:
                log.warning("portal %s: %s images could not be had and were replaced by cards (%s)",
                            portal.name, f"{art.failed:,}", art.describe())
        with stage(f"projector files: {portal.name}"):
            sprite_name = f"sprite.{art.extension}"
            files = projector.ProjectorFiles(tensor_name=portal.title, shape=vectors.shape, cell=art.cell,
                                             sprite=sprite_name,
                                             bookmarks=layouts.BOOKMARKS if layout_states else None)
            columns = projector.metadata_columns(portal.label, portal.metadata, portal.color_by)
            folder = portal.name
            outputs[f"{folder}/{projector.TENSORS}"] = projector.tensor_bytes(vectors)
            outputs[f"{folder}/{projector.METADATA}"] = projector.metadata_tsv(table, columns).encode("utf-8")
            outputs[f"{folder}/{sprite_name}"] = art.sheet
            outputs[f"{folder}/preview.png"] = art.preview
            outputs[f"{folder}/{projector.CONFIG}"] = _json(files.config())
            online_url = None
            if config.base_url:
                portal_url = f"{config.base_url}/{folder}/"
                outputs[f"{folder}/{projector.ONLINE_CONFIG}"] = _json(files.config(base=portal_url))
                online_url = projector.online_projector_url(portal_url + projector.ONLINE_CONFIG)
            site.portals.append(pages.PortalPage(
                name=portal.name, title=portal.title, description=portal.description,
                num_points=len(vectors), dimensions=int(vectors.shape[1]),
                num_interactions=dataset.num_interactions, preview=f"{folder}/preview.png",
                preview_size=art.preview_size, online_url=online_url, sprite=sprite_name,
                layouts=[state["label"] for state in layout_states],
                card_columns=[c for c in portal.metadata if c != portal.label][:CARD_FACTS],
                neighbours=portal.recommendations.k,
                legend_order=tints.page_order,
                colour_column=column,
                example=str(table[portal.label].iloc[int(np.argmax(table["num_ratings"].to_numpy()))]) if len(table) else "",
            ))
            summary.portals.append(PortalSummary(
                name=portal.name, points=len(vectors), dimensions=int(vectors.shape[1]),
                interactions=dataset.num_interactions, vectors_from_cache=cached, cell=art.cell,
                pictures=art.describe(),
            ))

    if downloader is not None:
        downloader.close()

    with stage("pages"):
        outputs.update({path: html.encode("utf-8") for path, html in pages.render_pages(site).items()})
        outputs.update(pages.static_files())
        outputs.update(fonts.web_font_files(cache))
        script, licence = projector.projector_bundle()
        outputs["static/projector/projector_binary.js"] = script
        outputs["static/projector/LICENSE"] = licence

    if strict and summary.warnings:
        raise BuildError([Problem("--strict", "", w) for w in summary.warnings])

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        with stage("write"):
            for path, data in sorted(outputs.items()):
                target = staging / path
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(data, Path):
                    shutil.copyfile(data, target)
                else:
                    target.write_bytes(data)
            for portal in summary.portals:
                portal.bytes_written = sum(f.stat().st_size for f in (staging / portal.name).rglob("*") if f.is_file())
        if config.docs is not None:
            with stage("docs"):
                docs.build_docs(config.docs, staging / "docs", config.title, config.base_url)
        summary.site_bytes = sum(f.stat().st_size for f in staging.rglob("*") if f.is_file())
        with stage("publish"):
            publish(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    summary.total_seconds = time.perf_counter() - started
    return summary


def _json(value) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
