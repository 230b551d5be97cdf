"""A real browser on the built demo's recommendation page: type-ahead, neighbours with
evidence, drawn pictures, data fetched as needed, taste queries, state in the URL, a phone.

Runs Debian's chromium headless (the `browser` and `served_site` fixtures of
conftest.py). It fails, not skips, when the browser is missing.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from browsing import serve

from site_builder.site import recommend


@pytest.fixture(scope="module")
def movies(demo_site):
    return recommend.read_page_data(demo_site / "movies")


class Watch:
    """Every request of a page, and the ones that failed or left the test server.

    A request that the browser aborted because the visitor left its page (a lazy
    picture of the landing page still loading when a link is followed) is not a
    failure; an aborted request of the page still open is.
    """

    def __init__(self, page, site: str):
        self.requests, self.finished, self.failed, self.outside = [], [], [], []
        self.left = 0  # how many requests were made by pages already left
        self.document = None
        page.on("request", lambda request: self.requests.append(request))
        page.on("requestfinished", lambda request: self.finished.append(request.url))
        page.on("requestfailed", lambda request: self.failed.append(request))
        page.on("framenavigated", lambda frame: self._navigated(page, frame))
        page.on(
            "request",
            lambda request: (
                self.outside.append(request.url)
                if not request.url.startswith(site) and not request.url.startswith("data:")
                else None
            ),
        )

    def _navigated(self, page, frame):
        document = frame.url.split("#")[0]
        if frame == page.main_frame and document != self.document:  # a new page, not a new #hash
            self.document, self.left = document, len(self.requests)

    def wait_for(self, page, url: str, seconds: float = 30):
        for _ in range(int(seconds * 10)):
            if url in self.finished:
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"{url} was not loaded")

    def check(self):
        assert not self.outside, f"requests left the site: {self.outside}"
        failed = [
            request.url
            for request in self.failed
            if not request.url.endswith("favicon.ico")
            and not ("ERR_ABORTED" in (request.failure or "") and self.requests.index(request) < self.left)
        ]
        assert not failed, failed


def choose(page, query: str, label: str):
    """Type into the combobox and pick `label` with the keyboard only."""
    box = page.get_by_role("combobox", name=re.compile("^Search"))
    box.fill("")
    box.press_sequentially(query, delay=10)
    page.get_by_role("option", name=label).wait_for()
    options = page.get_by_role("option").all_inner_texts()
    box.press("ArrowDown")
    for _ in range(options.index(label)):
        box.press("ArrowDown")
    assert page.get_by_role("option", name=label).get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant")
    box.press("Enter")
    page.locator("#rec-item-title", has_text=label).wait_for()


def test_search_shows_neighbours_with_evidence_and_drawn_pictures(browser, served_site, movies):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = Watch(page, served_site)
    page.goto(served_site + "/")
    page.get_by_role("link", name="Find movies like one you know").click()
    page.wait_for_url("**/movies/recommend.html")
    box = page.get_by_role("combobox", name="Search movies")
    assert box.get_attribute("aria-expanded") == "false"

    # Escape closes the suggestions, and the input keeps the text
    box.press_sequentially("usual suspects", delay=10)
    page.get_by_role("option", name="The Usual Suspects (1995)").wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and page.locator("#rec-options").is_hidden()

    choose(page, "usual suspects", "The Usual Suspects (1995)")
    suspects = movies["labels"].index("The Usual Suspects (1995)")
    assert page.evaluate("location.hash") == f"#item={suspects}"
    cards = page.locator(".rec-item .rec-card")
    assert cards.count() == 12
    expected = [movies["labels"][j] for j in movies["neighbours"][suspects * 12 : (suspects + 1) * 12]]
    assert page.locator(".rec-item .rec-card-title").all_inner_texts() == expected
    scores = [float(s.rstrip("%")) for s in page.locator(".rec-item .rec-score-value").all_inner_texts()]
    assert len(scores) == 12 and scores == sorted(scores, reverse=True) and 0 < scores[-1] <= scores[0] <= 100
    evidence = page.locator(".rec-item .rec-evidence").all_inner_texts()
    common = movies["evidence"]["common"][suspects * 12 : (suspects + 1) * 12]
    for text, count in zip(evidence, common):
        assert re.match(rf"^{count} moviegoers? in common", text), text
    assert any("genres: " in text for text in evidence)  # Crime, Thriller: shared by some

    # each card links to its own view and to the map with the item selected
    first = movies["neighbours"][suspects * 12]
    assert cards.first.locator(".rec-card-title").get_attribute("href") == f"#item={first}"
    assert (
        cards.first.get_by_role("link", name=re.compile("on the map")).get_attribute("href")
        == f"index.html#item={first}"
    )
    assert page.locator(".rec-item-head .rec-map").get_attribute("href") == f"index.html#item={suspects}"
    assert page.get_by_role("link", name="Open the map of movies").get_attribute("href") == "index.html"

    # the demo's movies have no pictures: each is drawn as the map draws its card, its label on its
    # colour, and the page fetches no image at all
    assert cards.first.locator(".rec-drawn").inner_text() == expected[0]
    images = [
        r.url for r in watch.requests[watch.left :] if r.resource_type == "image" and not r.url.endswith("favicon.ico")
    ]
    assert images == [], images
    # its data: the index, then the block of the point shown; the vectors wait for a taste
    block = f"{served_site}/movies/{movies['blocks']['path']}{suspects // movies['blocks']['size']}.json"
    fetched = [r.url for r in watch.requests[watch.left :] if r.resource_type == "fetch"]
    assert fetched == [served_site + "/movies/recommend.json", block], fetched

    # the URL holds the view: reloading it shows the same
    page.reload()
    page.locator("#rec-item-title", has_text="The Usual Suspects (1995)").wait_for()
    assert page.locator(".rec-item .rec-card").count() == 12

    # following a neighbour's card goes to its own view (keyboard: the link has focus, Enter)
    cards = page.locator(".rec-item .rec-card")
    cards.first.locator(".rec-card-title").focus()
    page.keyboard.press("Enter")
    page.locator("#rec-item-title", has_text=expected[0]).wait_for()
    assert page.evaluate("location.hash") == f"#item={first}"
    page.go_back()
    page.locator("#rec-item-title", has_text="The Usual Suspects (1995)").wait_for()
    watch.check()
    page.close()


def test_taste_query_ranks_in_the_browser_and_lives_in_the_url(browser, served_site, movies, demo_site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = Watch(page, served_site)
    page.goto(served_site + "/movies/recommend.html")
    toy, suspects = (movies["labels"].index(t) for t in ("Toy Story (1995)", "The Usual Suspects (1995)"))
    choose(page, "toy story", "Toy Story (1995)")
    page.get_by_role("button", name="Like: Toy Story (1995)").first.click()
    # the page re-renders on the hash change; typing before it has would race with it
    page.wait_for_function(f"location.hash.endsWith('like={toy}')")
    page.locator('.rec-item-head .rec-like[aria-pressed="true"]').wait_for()
    choose(page, "usual suspects", "The Usual Suspects (1995)")
    like = page.get_by_role("button", name="Like: The Usual Suspects (1995)").first
    like.click()
    page.wait_for_function(f"location.hash.endsWith('like={toy},{suspects}')")
    page.locator('.rec-item-head .rec-like[aria-pressed="true"]').wait_for()  # re-rendered on hashchange
    assert like.get_attribute("aria-pressed") == "true"
    assert page.locator(".rec-chip").count() == 2
    page.get_by_role("link", name="Show picks for this taste").click()
    results = page.locator(".rec-taste-result .rec-card")
    results.first.wait_for(timeout=30_000)
    assert page.evaluate("location.hash") == f"#like={toy},{suspects}"
    assert results.count() == 12
    shown = [movies["labels"].index(t) for t in page.locator(".rec-taste-result .rec-card-title").all_inner_texts()]
    assert toy not in shown and suspects not in shown
    scores = [float(s) for s in page.locator(".rec-taste-result .rec-score-value").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)

    # the same ranking as the build's Python code on the same int8 vectors
    unit = recommend.dequantise((demo_site / "movies" / movies["vectors"]["path"]).read_bytes(), "int8", 100)
    query = unit[[toy, suspects]].sum(axis=0)
    exact = unit @ query / np.linalg.norm(query)
    best = recommend.taste_ranking(unit, [toy, suspects], [], 12)
    np.testing.assert_allclose(scores, exact[shown], atol=2e-3)
    assert scores[-1] >= exact[best[-1]] - 2e-3

    # the URL restores it, a dislike joins it
    page.reload()
    page.locator(".rec-taste-result .rec-card").first.wait_for(timeout=30_000)
    assert page.locator(".rec-chip").count() == 2
    dislike = shown[0]
    page.goto(served_site + f"/movies/recommend.html#like={toy},{suspects}&dislike={dislike}")
    # the result says which state it shows once it is complete (the taste is ranked after the vectors load)
    page.locator(f'#rec-result[data-state="#like={toy},{suspects}&dislike={dislike}"]').wait_for(timeout=30_000)
    assert page.locator(".rec-chip-dislike").count() == 1
    again = [movies["labels"].index(t) for t in page.locator(".rec-taste-result .rec-card-title").all_inner_texts()]
    assert dislike not in again and len(again) == 12
    watch.check()
    page.close()


def test_search_folds_case_and_accents_like_the_build(browser, served_site, movies):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(served_site + "/movies/recommend.html")
    page.locator(".rec-card").first.wait_for()
    # the page folds the labels into keys, and the queries, exactly as the build's fold
    folded = page.evaluate("labels => labels.map(window.recommendPage.fold)", movies["labels"])
    assert folded == movies["keys"]
    box = page.get_by_role("combobox", name="Search movies")
    expected = {
        "MISERABLES": "Misérables",
        "misérables les": "Misérables",
        "the usual SUSPECTS": "Usual Suspects",
        "cafe au lait": "Café au Lait",
    }
    for query, title in expected.items():
        box.fill(query)
        page.get_by_role("option").first.wait_for()
        options = page.get_by_role("option").all_inner_texts()
        assert title in options[0], (query, options)
    box.fill("zzzzqqq")
    page.get_by_text("Nothing matches").wait_for()
    assert box.get_attribute("aria-expanded") == "false"
    page.close()


def test_phone_width_has_no_horizontal_overflow(browser, served_site, movies):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    watch = Watch(page, served_site)
    suspects = movies["labels"].index("The Usual Suspects (1995)")
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    for hash_ in (f"#item={suspects}", f"#like=0,{suspects}&dislike=1", ""):
        page.goto(served_site + "/movies/recommend.html" + hash_)
        page.locator(".rec-card").first.wait_for(timeout=30_000)
        assert page.evaluate(overflow) <= 0, hash_
        assert page.locator(".rec-card").first.bounding_box()["width"] <= 360
    page.get_by_role("combobox").press_sequentially("star", delay=10)
    page.get_by_role("option").first.wait_for()
    assert page.evaluate(overflow) <= 0
    watch.check()
    page.close()


def test_users_portal_evidence_counts_movies(browser, served_site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = Watch(page, served_site)
    page.goto(served_site + "/users/recommend.html#item=0")
    page.locator(".rec-item .rec-card").first.wait_for()
    assert page.locator(".rec-item .rec-card").count() == 12
    assert re.match(r"^\d+ movies? in common", page.locator(".rec-item .rec-evidence").first.inner_text())
    watch.check()
    page.close()


def test_a_page_opened_before_a_redeploy_asks_for_a_reload(browser, demo_site, movies, tmp_path):
    """The blocks live in a folder named by their content: after a redeploy a page that still holds
    the old index finds its folder gone, and says to reload rather than show another build's data."""
    site = tmp_path / "site"
    shutil.copytree(demo_site, site)
    server = serve(site)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/movies/recommend.html")
        page.locator(".rec-start .rec-card").first.wait_for()  # the index is in; no block asked for yet
        folder = site / "movies" / movies["blocks"]["path"]
        folder.rename(folder.with_name("next-build"))
        box = page.get_by_role("combobox", name="Search movies")
        box.press_sequentially("usual suspects", delay=10)
        page.get_by_role("option", name="The Usual Suspects (1995)").wait_for()
        box.press("Enter")
        page.locator(".rec-error", has_text="reload the page").wait_for()
        assert page.locator("#rec-status").inner_text().startswith("Could not load")
        page.close()
    finally:
        server.shutdown()


def test_points_with_a_picture_show_their_own_file(browser, tmp_path):
    """A point with a real picture shows its own small file; the rest are drawn as cards."""
    from conftest import write_tiny_content
    from PIL import Image

    from site_builder.build import build_site

    content = write_tiny_content(tmp_path / "content")
    site_yml = content / "site.yml"
    site_yml.write_text(
        site_yml.read_text().replace(
            "    metadata: [year, genres, num_ratings]\n",
            "    metadata: [year, genres, num_ratings]\n    images: {sources: [{local: {folder: posters}}]}\n",
            1,
        )
    )
    (content / "posters").mkdir()
    Image.new("RGB", (60, 90), (0, 90, 200)).save(content / "posters" / "20.png")  # Toy Story's id
    build_site(content, tmp_path / "site", tmp_path / "cache")
    server = serve(tmp_path / "site")
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        finished = []
        page.on("requestfinished", lambda request: finished.append(request.url.split("/")[-1]))
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/movies/recommend.html#item=1")
        page.locator(".rec-item .rec-card").first.wait_for()
        head = page.locator(".rec-item-head .rec-picture")
        assert re.search(r'url\(".*/recommend/[0-9a-f]{12}/1\.webp"\)', head.evaluate("e => e.style.backgroundImage"))
        # the file is fetched (and no sprite sheet)
        for _ in range(100):
            if "1.webp" in finished:
                break
            page.wait_for_timeout(100)
        assert "1.webp" in finished and not [name for name in finished if name.startswith("sprite.")], finished
        # its neighbours have no picture: drawn, their label on their colour
        for card in page.locator(".rec-item .rec-card").all():
            drawn = card.locator(".rec-drawn")
            assert drawn.count() == 1 and drawn.inner_text() == card.locator(".rec-card-title").inner_text()
        page.close()
    finally:
        server.shutdown()


def _parts_of(site, portal: str):
    """A built portal's partition (probe.bin) and its unit rows, put together from its parts."""
    from site_builder.site import taste_parts

    index = recommend.read_page_data(site / portal)
    parts = index["vectors"]["parts"]
    probe = taste_parts.read_probe(
        (site / portal / parts["probe"]).read_bytes(), parts["clusters"], index["dims"], index["count"]
    )
    unit = np.zeros((index["count"], index["dims"]), dtype=np.float32)
    for c in range(parts["clusters"]):
        data = (site / portal / f"{parts['path']}{c}{parts['suffix']}").read_bytes()
        unit[probe.cluster == c] = recommend.dequantise(data, index["vectors"]["dtype"], index["dims"])
    return index, probe, unit


def test_a_large_portals_taste_loads_the_parts_nearest_it_then_all_on_request(browser, served_large_site):
    """A taste on a large portal loads probe.bin and the parts nearest the taste, not the whole
    vectors file, and ranks those as the build's Python twins do (taste_parts.probe, then
    recommend.taste_ranking over the loaded points); "Rank all" loads every part and gives the
    exact ranking. On a phone as on a desktop."""
    from site_builder.site import taste_parts

    site, address = served_large_site
    index, probe, unit = _parts_of(site, "movies")
    parts = index["vectors"]["parts"]
    assert "path" not in index["vectors"] and not list((site / "movies").rglob("vectors.i8"))
    assert f'data-probe="{parts["probe"]}"' in (site / "movies" / "recommend.html").read_text(encoding="utf-8")
    labels = index["labels"]
    like = [labels.index(t) for t in ("Star Wars (1977)", "Fargo (1996)", "Return of the Jedi (1983)")]
    dislike = [labels.index("Toy Story (1995)")]

    query = np.zeros(index["dims"], dtype=np.float32)
    for i in like:
        query += unit[i]
    query -= unit[dislike[0]]
    clusters = taste_parts.probe(probe, like + dislike, query, parts["share"])
    loaded = np.isin(probe.cluster, clusters)
    assert not loaded.all()  # the test would show nothing if the taste needed every part
    first = recommend.taste_ranking(unit, like, dislike, index["k"], loaded).tolist()
    exact = recommend.taste_ranking(unit, like, dislike, index["k"]).tolist()

    for device in (
        {"viewport": {"width": 1400, "height": 900}},
        {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    ):
        page = browser.new_page(**device)
        watch = Watch(page, address)
        hash_ = f"#like={','.join(map(str, like))}&dislike={dislike[0]}"
        page.goto(f"{address}/movies/recommend.html{hash_}")
        page.locator(f'#rec-result[data-state="{hash_}"]').wait_for(timeout=30_000)
        shown = [
            int(p) for p in page.locator(".rec-taste-result .rec-card").evaluate_all("e => e.map(c => c.dataset.point)")
        ]
        assert shown == first
        fetched = {url.rsplit("/movies/", 1)[-1] for url in watch.finished}
        wanted = {f"{parts['path']}{c}{parts['suffix']}" for c in clusters}
        assert parts["probe"] in fetched and {f for f in fetched if "/parts/" in f} == wanted
        # asked for once, beside the index (the page names it when it opens on a taste)
        assert sum(url.endswith("/probe.bin") for url in watch.finished) == 1
        note = page.locator(".rec-taste-result .rec-note").first.inner_text()
        assert note.startswith(
            f"{int(loaded.sum()) - 4:,} of the 1,682, those in the parts of the map nearest your taste"
        )
        partial = page.locator(".rec-partial").inner_text()
        assert f"{parts['kept'] * 100:.0f}% of the exact top 10" in partial
        assert page.evaluate("document.documentElement.scrollWidth") <= device["viewport"]["width"]

        page.get_by_role("button", name=re.compile(r"^Rank all 1,682")).click()
        page.locator(".rec-partial").wait_for(state="detached", timeout=30_000)
        page.locator(f'#rec-result[data-state="{hash_}"]').wait_for(timeout=30_000)
        shown = [
            int(p) for p in page.locator(".rec-taste-result .rec-card").evaluate_all("e => e.map(c => c.dataset.point)")
        ]
        assert shown == exact
        assert page.locator(".rec-taste-result .rec-note").first.inner_text().startswith("All 1,682 ranked")
        fetched = {url.rsplit("/movies/", 1)[-1] for url in watch.finished}
        assert len({f for f in fetched if "/parts/" in f}) == parts["clusters"]
        watch.check()
        page.close()
