"""Every text a site.yml or a data file can hold is inert on every page the build writes, docs included.

A site whose every text setting (site title and description, portal titles
and descriptions, the dataset's credits) and the titles in its data carry
markup is built and each of its pages opened in Chromium: no dialog may
open, no element of the payloads may appear, and the texts must show as
written.
"""

from __future__ import annotations

import textwrap

import pytest
from conftest import TINY_RATINGS, TINY_USERS, serve, write_movielens

PAYLOADS = [
    '<script>alert("pp1")</script> & Co',
    '"><img src=x onerror=alert(2) id=pp-img>',
    "'><svg onload=alert(3) id=pp-svg>",
    "{{ 7*7 }} {% raw %}</title><script>alert(4)</script>",
]
HOSTILE_SITE = """\
    title: '{0}'
    description: '{1}'
    datasets:
      tiny:
        format: movielens-csv
        path: data
        description: '{2}'
    portals:
      - name: movies
        title: '{3}'
        description: '{1}'
        dataset: tiny
        points: items
        label: title
        metadata: [genres]
        embedding:
          word2vec: {{vector_size: 8, epochs: 2}}
        layouts: {{umap: []}}
    """


def _yaml_single_quoted(text: str) -> str:
    return text.replace("'", "''")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    from site_builder.build import build_site

    root = tmp_path_factory.mktemp("hostile")
    quoted = [payload.replace('"', '""') for payload in PAYLOADS]  # CSV quoting
    movies = "movieId,title,genres\n" + "".join(
        f'{movie},"{title}","Drama|{genre}"\n' for movie, title, genre in zip((10, 20, 30), quoted, quoted[1:])
    )
    write_movielens(root / "content/data", TINY_RATINGS, movies, TINY_USERS)
    (root / "content/docs").mkdir()
    (root / "content/docs/index.md").write_text("# Docs\n\nPlain words.\n", encoding="utf-8")
    site = textwrap.dedent(HOSTILE_SITE).format(*(_yaml_single_quoted(p) for p in PAYLOADS))
    (root / "content/site.yml").write_text(site, encoding="utf-8")
    out = root / "_site"
    build_site(root / "content", out, root / "cache", base_url="https://example.org/a&b")
    server = serve(out)
    yield out, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_no_page_runs_or_shows_markup_from_the_config_or_the_data(browser, hostile_site):
    out, address = hostile_site
    pages = sorted(str(p.relative_to(out)) for p in out.rglob("*.html"))
    assert "docs/index.html" in pages and "docs/404.html" in pages and "movies/recommend.html" in pages
    for path in pages:
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog, seen=dialogs: (seen.append(dialog.message), dialog.dismiss()))
        # on the map and the recommendation page, choose a point whose title is a payload
        chosen = "#item=0" if path in ("movies/index.html", "movies/recommend.html") else ""
        page.goto(f"{address}/{path}{chosen}")
        page.wait_for_load_state("load")
        if path == "movies/index.html":
            page.locator("#point-card").wait_for(state="visible", timeout=90_000)  # the card shows the title
            assert page.inner_text("#point-card .point-card-title").strip() in PAYLOADS, path
        if path == "movies/recommend.html":  # rendered for the chosen point, its title shown as text
            page.locator("#rec-result[data-state]").wait_for(state="attached", timeout=30_000)
            assert page.inner_text("#rec-item-title").strip() in PAYLOADS, path
        page.wait_for_timeout(200)  # anything that would run late
        assert dialogs == [], path
        injected = page.evaluate("""() => {
            const found = [];
            const walk = (root) => {
                for (const element of root.querySelectorAll('*')) {
                    if ((element.id || '').startsWith('pp-')) found.push(element.outerHTML);
                    if (element.shadowRoot) walk(element.shadowRoot);
                }
            };
            walk(document);
            return found;
        }""")
        assert injected == [], path
        if path in ("index.html", "docs/index.html"):
            assert PAYLOADS[0] in page.title() or PAYLOADS[0] in page.inner_text("body"), path
        page.close()
