"""Where everything lives in a built site: the one module that names the site's files.

Paths are site-relative and use "/", since they are URLs as much as file
names. The templates reach these names as `paths` (site.pages), the stages
through the helpers below, so a file is renamed here or nowhere.
"""

from __future__ import annotations

# The site's own folders and files beside the portals' folders
INDEX = "index.html"
STATIC = "static"
DOCS = "docs"
SITE_FOLDERS = frozenset({STATIC, DOCS})  # so no portal may be named like one
PROJECTOR_SCRIPT = "static/projector/projector_binary.js"
PROJECTOR_LICENCE = "static/projector/LICENSE"
WEB_FONT = "static/fonts/roboto.woff2"
WEB_FONT_LICENCE = "static/fonts/LICENSE"
SCRIPT_FONTS = "static/fonts/scripts.css"  # more faces of Roboto, for the data's other scripts (pictures.fonts)
# in every site built here, so that a rebuild knows the folder it replaces is one (site.publish)
MARKER = ".projector-portals-site"

# In a portal's folder
MAP_PAGE = "index.html"
RECOMMEND_PAGE = "recommend.html"
RECOMMEND_DATA = "recommend.json"  # the page's index; the rest is in a versioned folder (site.recommend)
RECOMMEND_BLOCKS = "recommend"
VECTOR_FILES = {"int8": "vectors.i8", "float16": "vectors.f16"}  # the recommendation page's vectors
# or, for a large portal, in the same folder: where each point's part of them is, and the parts (site.taste_parts)
TASTE_PROBE = "probe.bin"
TASTE_PARTS = "parts/"
TENSORS = "tensors.bytes"
# the map's compact copy of the vectors, for large portals (site.projector): int8, though named
# .bytes, as the projector reads a file as binary only by that ending (static/map-vectors.js)
MAP_VECTORS = "map-vectors.i8.bytes"
METADATA = "metadata.txt"
PROJECTOR_CONFIG = "projector_config.json"
ONLINE_CONFIG = "projector_config.online.json"  # for projector.tensorflow.org, with --base-url
BOOKMARKS = "bookmarks.json"
REGIONS = "regions.json"  # the layouts' named regions (model.regions), in the bookmarks' order
PREVIEW = "preview.png"  # the landing page's picture of the portal


def sprite(extension: str) -> str:
    """The sprite sheet's name in the portal folder: sprite.webp, sprite.png or sprite.jpg."""
    return f"sprite.{extension}"


def in_portal(portal: str, name: str) -> str:
    return f"{portal}/{name}"


def static(name: str) -> str:
    return f"{STATIC}/{name}"


def doc_page(name: str) -> str:
    """A docs page's URL: mkdocs writes how-it-works.md to docs/how-it-works/index.html."""
    return f"{DOCS}/index.html" if name == "index" else f"{DOCS}/{name}/index.html"
