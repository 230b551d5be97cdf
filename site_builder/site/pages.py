"""Render the HTML pages from the theme's Jinja2 templates (templates/ at the repository's top, site.theme).

Every link in a page is made by `url(target)`, relative to that page, so the
site works at any base path (a GitHub Pages project site lives under /REPO/)
and from a plain folder.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from importlib.resources import files

import jinja2

from site_builder import colours
from site_builder.config import Named
from site_builder.config.schema import named_words
from site_builder.site import paths
from site_builder.site.theme import theme_dir

STATIC = files("site_builder.site").joinpath("static")
STATIC_FILES = [
    "recommend.js",
    "recommend-core.js",
    "map-vectors.js",
    "projector.js",
    "map-ui.js",
    "map-core.js",
    "map-regions.js",
    "map-key.js",
    "map-view.js",
    "map-chosen.js",
    "favicon.svg",
]


MIN_READABLE_CELL = 40  # px: a sprite cell below this is drawn as a dot on the map (PortalPage.map_pictures)


@dataclass
class PortalPage:
    name: str
    title: str
    description: str
    noun: str  # what the points are, in the plural (the dataset's words): "movies", "readers"
    num_points: int
    dimensions: int
    num_interactions: int
    preview: str  # site-relative path of the preview image
    preview_size: tuple[int, int]
    online_url: str | None = None
    sprite: str = paths.sprite("png")  # the sprite sheet's file name in the portal folder
    cell: int = 0  # the side of its cells, in pixels
    regions: str | None = None  # site-relative path of its named regions (model.regions), if laid out
    # names of the precomputed layouts (bookmarks.json); the projector page opens on the first
    layouts: list[str] = field(default_factory=list)
    # metadata columns the map's point card lists under the label
    card_columns: list[str] = field(default_factory=list)
    # how many neighbours the recommendation page lists, and so the map
    neighbours: int = 12
    # the opening colour column's categories in legend order, when it is not the projector's own
    legend_order: list[str] = field(default_factory=list)
    colour_column: str | None = None
    # the colours the map opens with, for the key beside the landing page's preview and on the
    # recommendation page (colours.Tints.key)
    key: list[colours.KeyEntry] = field(default_factory=list)
    # a label to show as an example of what the search finds (the point with the most interactions)
    example: str = ""
    # the recommendation data's blocks: their folder in the portal's folder, and points per block
    # (site.recommend), named in the pages so that a point's block is fetched beside the index
    blocks: str = ""
    block_size: int = 0
    # whether its vectors come in parts (site.taste_parts): the page then asks for probe.bin beside
    # the index when it opens on a taste
    vectors_in_parts: bool = False
    # the factors of the map's compact vectors (site.projector.map_vectors); empty when it has none
    vector_scales: list[float] = field(default_factory=list)

    @property
    def page(self) -> str:
        return paths.in_portal(self.name, paths.MAP_PAGE)

    @property
    def recommend_page(self) -> str:
        return paths.in_portal(self.name, paths.RECOMMEND_PAGE)

    @property
    def config(self) -> str:
        return paths.in_portal(self.name, paths.PROJECTOR_CONFIG)

    @property
    def recommend_data(self) -> str:
        return paths.in_portal(self.name, paths.RECOMMEND_DATA)

    @property
    def map_files(self) -> list[str]:
        """The files the projector loads before it draws the map (the page preloads them): its
        config, the vectors (the compact copy, when there is one), the metadata and the layouts."""
        tensors = paths.MAP_VECTORS if self.vector_scales else paths.TENSORS
        names = [paths.PROJECTOR_CONFIG, tensors, paths.METADATA] + ([paths.BOOKMARKS] if self.layouts else [])
        return [paths.in_portal(self.name, name) for name in names]

    @property
    def recommend_blocks(self) -> str:
        return paths.in_portal(self.name, self.blocks)

    @property
    def taste_probe(self) -> str:
        return paths.in_portal(self.name, self.blocks + paths.TASTE_PROBE)

    @property
    def sprite_sheet(self) -> str:
        return paths.in_portal(self.name, self.sprite)

    @property
    def map_pictures(self) -> bool:
        """Whether the map draws each point as its picture: only when a sprite cell is large enough to
        be read. A large portal's cells shrink to fit the sheet (27 px at 87,585 points, 18 px at
        200,947), where a card is a speck of ink: its map draws dots in the points' colours, and
        the names of its regions carry the overview."""
        return self.cell >= MIN_READABLE_CELL


@dataclass
class Credit:
    """A dataset's line in the footer: what it is, its licence, and a link to its page."""

    description: str
    licence: str = ""
    homepage: str | None = None


@dataclass
class SiteModel:
    title: str
    description: str
    sentence_models: str
    # what the first portal's dataset calls its points, for the landing page's account of the method
    words: Named = field(default_factory=lambda: named_words({}))
    portals: list[PortalPage] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)
    # the docs pages the site has, as "how-it-works" for how-it-works.md; empty for a site without docs
    doc_pages: set[str] = field(default_factory=set)
    # whether the data has characters the pages' Latin Roboto lacks, whose faces paths.SCRIPT_FONTS names
    script_fonts: bool = False


def relative_url(page: str, target: str) -> str:
    """The link from the site-relative `page` to the site-relative `target`."""
    start = posixpath.dirname(page) or "."
    return posixpath.relpath(target, start)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (theme_dir() / name).read_text(encoding="utf-8")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_pages(site: SiteModel) -> dict[str, str]:
    """Site-relative path -> HTML for every page."""
    env = _environment()
    pages = {}

    def render(template: str, path: str, **context) -> None:
        def url(target: str) -> str:
            return relative_url(path, target)

        pages[path] = env.get_template(template).render(site=site, url=url, paths=paths, **context)

    render("index.html", paths.INDEX)
    for portal in site.portals:
        render("projector.html", portal.page, portal=portal)
        render("recommend.html", portal.recommend_page, portal=portal)
    return pages


def static_files() -> dict[str, bytes]:
    """The pages' scripts (the product's) and stylesheet (the theme's)."""
    files = {paths.static(name): STATIC.joinpath(name).read_bytes() for name in STATIC_FILES}
    files[paths.static("site.css")] = (theme_dir() / "site.css").read_bytes()
    return files
