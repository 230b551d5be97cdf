"""A corpus of bad inputs, each tried on a real project folder the way a user would meet it.

Every case starts from the same project (content/, a site built from it in
_site/, the cache in .cache/), changes one thing, runs the command line in
that folder and checks what the user sees and what is left on disk:

- the exit code (1 for a problem with the input, 2 for a misused option);
- the message names the culprit (a file, key, line, option or value);
- no traceback, and no "unexpected failure" wording: every case has a message
  written for it;
- no message line is longer than a screenful, whatever the input held;
- _site/, content/ and anything else in the project are byte for byte as
  they were, and every cache entry too (the cache may gain new ones), for the
  cases that must refuse; the build succeeds for the inputs that are fine,
  such as CRLF line ends or a byte order mark.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TINY_MOVIES, TINY_RATINGS, tiny_zip, tree_digest, write_tiny_content, zip_bytes
from loopback import LoopbackServer

from site_builder.commands.cli import main
from site_builder.site.publish import MARKER

SECRET = "s3cret-value-from-outside"  # the first line of a file outside the content folder
LONGEST_LINE = 2_500  # characters of any one line of output


# ---------------------------------------------------------------- the project every case starts from


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    from site_builder.build import build_site

    root = tmp_path_factory.mktemp("pristine") / "project"
    write_tiny_content(root / "content")
    build_site(root / "content", root / "_site", root / ".cache")
    (root / "notes.txt").write_text("the user's own file\n", encoding="utf-8")
    (root.parent / "secret.txt").write_text(f"{SECRET},x,y\n1,2,3\n", encoding="utf-8")
    return root


def _archive_routes() -> dict[str, bytes]:
    def tarred(add: Callable[[tarfile.TarFile], None]) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            add(archive)
        return buffer.getvalue()

    def link(archive: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("tiny/ratings.csv")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(info)

    def absolute(archive: tarfile.TarFile) -> None:
        data = b"x\n"
        info = tarfile.TarInfo("/tmp/planted.csv")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))

    return {
        "/good.zip": tiny_zip("tiny"),
        "/traversal.zip": zip_bytes({"../../escaped.csv": b"x\n"}),
        "/absolute.tar.gz": tarred(absolute),
        "/link.tar.gz": tarred(link),
        "/not-an-archive.zip": b"<html>a login page, not a zip</html>",
        "/empty.zip": zip_bytes({}),
    }


@pytest.fixture(scope="module")
def server():
    served = LoopbackServer(_archive_routes())
    yield served
    served.close()


# ---------------------------------------------------------------- editing the project


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def site(old: str, new: str) -> Callable:
    return lambda project, server: _edit(project / "content/site.yml", old, new)


def append_site(text: str) -> Callable:
    def change(project, server):
        path = project / "content/site.yml"
        path.write_text(path.read_text(encoding="utf-8") + textwrap.dedent(text), encoding="utf-8")

    return change


def write(relative: str, data: bytes | str) -> Callable:
    def change(project, server):
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))

    return change


def ratings(text: str) -> Callable:
    return write("content/data/ratings.csv", textwrap.dedent(text).lstrip())


def movies(text: str) -> Callable:
    return write("content/data/movies.csv", textwrap.dedent(text).lstrip())


def url_dataset(route: str, digest: str | None = None, extra: str = "") -> Callable:
    def change(project, server):
        sha = digest or hashlib.sha256(server.routes.get(route, b"")).hexdigest()
        _edit(
            project / "content/site.yml",
            "    path: data\n",
            f'    url: {server.url}{route}\n    sha256: "{sha}"\n{extra}',
        )

    return change


def generic_csv(interactions: str, columns: str = "{user: u, item: i}") -> Callable:
    def change(project, server):
        (project / "content/data/plays.csv").write_text(textwrap.dedent(interactions).lstrip(), encoding="utf-8")
        _edit(
            project / "content/site.yml",
            "    format: movielens-csv\n    path: data\n",
            f"    format: csv\n    path: data\n    interactions: plays.csv\n    columns: {columns}\n",
        )
        text = (project / "content/site.yml").read_text(encoding="utf-8")
        text = text.replace("label: title", "label: id").replace("color_by: first_genre", "color_by: num_ratings")
        text = text.replace("metadata: [year, genres, num_ratings]", "metadata: [num_ratings]")
        text = text.replace("label: name", "label: id").replace("color_by: age_band", "color_by: num_ratings")
        text = text.replace("metadata: [age_band, gender]", "metadata: [num_ratings]")
        (project / "content/site.yml").write_text(text, encoding="utf-8")

    return change


def both(*changes: Callable) -> Callable:
    def change(project, server):
        for one in changes:
            one(project, server)

    return change


def nothing(project, server) -> None:
    pass


@dataclass
class Case:
    name: str
    change: Callable
    names: list[str]  # what the message must say (the culprit)
    args: list[str] = field(default_factory=lambda: ["build"])
    code: int = 1
    hidden: list[str] = field(default_factory=list)  # what the message must not say


BUILD = ["build", "--content", "content", "--out", "_site", "--cache-dir", ".cache"]

CASES = [
    # ---- the command line and where the site goes
    Case("out-is-current-folder", nothing, ["--out .", "current folder"], [*BUILD[:3], "--out", "."]),
    Case(
        "out-is-parent-folder",
        nothing,
        ["--out ..", "current folder or one of its parents"],
        [*BUILD[:3], "--out", ".."],
    ),
    Case("out-is-content", nothing, ["--out content", "the content folder"], [*BUILD[:3], "--out", "content"]),
    Case(
        "out-inside-content",
        nothing,
        ["content/site", "is inside the content folder"],
        [*BUILD[:3], "--out", "content/site"],
    ),
    Case(
        "out-holds-content",
        write("sub/content/site.yml", "title: x\n"),
        ["--out sub", "contains the content folder"],
        ["build", "--content", "sub/content", "--out", "sub"],
    ),
    Case(
        "out-is-cache",
        nothing,
        ["--out .cache", "the cache folder"],
        [*BUILD[:3], "--out", ".cache", "--cache-dir", ".cache"],
    ),
    Case(
        "out-inside-cache",
        nothing,
        ["is inside the cache folder"],
        [*BUILD[:3], "--out", ".cache/site", "--cache-dir", ".cache"],
    ),
    Case("out-holds-cache", nothing, ["contains the cache folder"], [*BUILD[:5], "--cache-dir", "_site/cache"]),
    Case("out-is-a-file", nothing, ["--out notes.txt", "existing file"], [*BUILD[:3], "--out", "notes.txt"]),
    Case(
        "out-is-someone-elses-folder",
        write("photos/holiday.jpg", b"\xff\xd8 not ours"),
        ["--out photos", "not a site built by portals", "--force"],
        [*BUILD[:3], "--out", "photos"],
    ),
    Case("content-folder-missing", nothing, ["nowhere/site.yml", "does not exist"], ["build", "--content", "nowhere"]),
    Case(
        "base-url-option-with-script",
        nothing,
        ["--base-url", "characters a site URL cannot have"],
        [*BUILD, "--base-url", 'https://example.org/x"><script>alert(1)</script>'],
    ),
    Case(
        "base-url-option-without-scheme",
        nothing,
        ["--base-url", "absolute URL"],
        [*BUILD, "--base-url", "example.org/x"],
    ),
    Case("unknown-option", nothing, ["--colour"], [*BUILD, "--colour"], code=2),
    Case(
        "serve-a-folder-that-is-not-a-site",
        nothing,
        ["--dir content", "not a site built by portals"],
        ["serve", "--dir", "content"],
    ),
    Case("serve-the-project-folder", nothing, ["--dir .", "not a site built by portals"], ["serve", "--dir", "."]),
    Case("serve-a-missing-folder", nothing, ["nowhere"], ["serve", "--dir", "nowhere"], code=2),
    Case(
        "new-would-replace-a-file",
        both(write("plays.csv", "user,item\n1,2\n"), write("content/datasets/plays/plays.csv", "mine\n")),
        ["content/datasets/plays/plays.csv", "exists already"],
        ["new", "plays.csv", "--name", "plays"],
    ),
    Case(
        "new-name-not-a-slug",
        write("plays.csv", "user,item\n1,2\n"),
        ["--name", "Plays Here"],
        ["new", "plays.csv", "--name", "Plays Here"],
    ),
    Case(
        "new-name-taken",
        write("plays.csv", "user,item\n1,2\n"),
        ['"tiny" exists already'],
        ["new", "plays.csv", "--name", "tiny"],
    ),
    Case(
        "new-name-of-a-site-folder",
        write("plays.csv", "user,item\n1,2\n"),
        ['"static" is a folder of the site itself'],
        ["new", "plays.csv", "--name", "static"],
    ),
    Case("new-file-missing", nothing, ["missing.csv"], ["new", "missing.csv", "--name", "plays"], code=2),
    # ---- site.yml
    Case("yaml-syntax", site("portals:", "portals: [\n"), ["site.yml", "not valid YAML"], BUILD),
    Case("yaml-not-utf8", write("content/site.yml", b"title: Caf\xe9\n"), ["site.yml", "not UTF-8"], BUILD),
    Case("yaml-a-list", write("content/site.yml", "- title: x\n"), ["site.yml", "mapping"], BUILD),
    Case(
        "unknown-key-and-missing-dataset",
        both(append_site("colour: red\n"), site("dataset: tiny", "dataset: tiyn")),
        ['unknown key "colour"', 'no dataset named "tiyn"', 'did you mean "tiny"'],
        BUILD,
    ),
    Case(
        "unknown-key-missing-column-and-docs",
        both(append_site("colour: red\ndocs: handbook\n"), site("label: title", "label: titel")),
        ['unknown key "colour"', 'portals[0].label (line 12): no column "titel"', "handbook"],
        BUILD,
    ),
    Case("title-missing", site("title: Tiny site\n", ""), ["title", "required"], BUILD),
    Case("portal-name-not-a-slug", site("name: movies", "name: My Movies"), ["portals[0].name", "slug"], BUILD),
    Case("portal-name-reserved", site("name: movies", "name: docs"), ["portals[0].name", "folder of the site"], BUILD),
    Case("portal-names-twice", site("name: users", "name: movies"), ['"movies" is used twice'], BUILD),
    Case(
        "dataset-path-missing", site("path: data", "path: dta"), ["datasets.tiny.path", '"dta" does not exist'], BUILD
    ),
    Case(
        "docs-folder-named-and-missing", append_site("docs: handbook\n"), ["docs", "handbook", "does not exist"], BUILD
    ),
    Case("docs-true", append_site("docs: true\n"), ["docs", "false for a site without docs", "(got True)"], BUILD),
    Case("portals-a-mapping", site("portals:", "portals: {movies: 1}\nold_portals:"), ["portals", "valid list"], BUILD),
    Case(
        "base-url-with-script",
        append_site('base_url: "https://example.org/x\\"><script>alert(5)</script>"\n'),
        ["base_url", "characters a site URL cannot have"],
        BUILD,
    ),
    Case("base-url-with-space", append_site("base_url: https://example.org/my site\n"), ["base_url", "' '"], BUILD),
    Case("base-url-ftp", append_site("base_url: ftp://example.org/x\n"), ["base_url", "absolute URL"], BUILD),
    Case(
        "checksum-read-as-a-number",
        site("    path: data\n", "    url: http://127.0.0.1:9/x.zip\n    sha256: 1234567890\n"),
        ["sha256", "write it in quotes"],
        BUILD,
    ),
    Case(
        "checksum-wrong-length",
        site("    path: data\n", "    url: http://127.0.0.1:9/x.zip\n    sha256: abc123\n"),
        ["sha256", "64 hexadecimal digits"],
        BUILD,
    ),
    Case(
        "url-without-checksum",
        site("    path: data\n", "    url: http://127.0.0.1:9/x.zip\n"),
        ["datasets.tiny", "sha256"],
        BUILD,
        hidden=["{'format'"],
    ),
    Case(
        "path-and-url",
        site("    path: data\n", "    path: data\n    url: http://127.0.0.1:9/x.zip\n"),
        ["datasets.tiny", "not both"],
        BUILD,
    ),
    Case(
        "content-dir-is-not-a-setting", append_site("content_dir: /nonexistent\n"), ['unknown key "content_dir"'], BUILD
    ),
    Case("config-file-is-not-a-setting", append_site("config_file: other.yml\n"), ['unknown key "config_file"'], BUILD),
    Case(
        "label-column-missing",
        site("label: title", "label: titel"),
        ["portals[0].label", '"titel"', 'did you mean "title"'],
        BUILD,
    ),
    Case(
        "colour-column-missing", site("color_by: first_genre", "color_by: genre_first"), ["portals[0].color_by"], BUILD
    ),
    Case("epochs-not-a-number", site("epochs: 2", "epochs: lots"), ["epochs", "an integer or 'auto'"], BUILD),
    Case(
        "vector-size-zero",
        site("vector_size: 8", "vector_size: 0"),
        ["vector_size", "greater than or equal to 2"],
        BUILD,
    ),
    Case("memory-negative", append_site("max_memory_gb: -4\n"), ["max_memory_gb", "greater than 0"], BUILD),
    Case("points-unknown", site("points: users", "points: people"), ["portals[1].points", "'items' or 'users'"], BUILD),
    Case("format-unknown", site("format: movielens-csv", "format: excel"), ["datasets.tiny.format", "excel"], BUILD),
    Case("no-portals", site("portals:", "portals: []\nold_portals:"), ["portals"], BUILD),
    Case(
        "image-source-two-kinds",
        site(
            "    metadata: [year, genres, num_ratings]\n",
            "    metadata: [year, genres, num_ratings]\n    images:\n      sources:\n"
            "        - {local: {folder: pics}, url_column: {column: poster}}\n",
        ),
        ["images.sources[0]", "exactly one"],
        BUILD,
    ),
    Case(
        "image-fill-not-a-colour",
        site(
            "    metadata: [year, genres, num_ratings]\n",
            "    metadata: [year, genres, num_ratings]\n    images: {fill: red}\n",
        ),
        ["images.fill", "red"],
        BUILD,
    ),
    Case(
        "image-url-column-missing",
        site(
            "    metadata: [year, genres, num_ratings]\n",
            "    metadata: [year, genres, num_ratings]\n    images:\n      sources:\n"
            "        - {url_column: {column: poster_url}}\n",
        ),
        ["images.sources[0].url_column.column", '"poster_url"'],
        BUILD,
    ),
    Case(
        "show-evaluation-on-users",
        site("    label: name\n", "    label: name\n    recommendations: {show_evaluation: true}\n"),
        ["show_evaluation", "points: items"],
        BUILD,
    ),
    # ---- the data
    Case(
        "items-row-with-unquoted-comma",
        movies("""\
        movieId,title,genres
        10,Heat, The (1995),Action|Crime
        20,Toy Story (1995),Animation|Children's
        30,Fargo (1996),Crime|Drama
        """),
        ["movies.csv", "line 2", "expected 3 fields", "found 4"],
        BUILD,
    ),
    Case(
        "ratings-row-with-a-fifth-field",
        ratings(TINY_RATINGS.replace("2,30,4,103", "2,30,4,103,extra")),
        ["ratings.csv", "line 5", "found 5"],
        BUILD,
    ),
    Case(
        "ratings-row-short",
        ratings(TINY_RATINGS.replace("2,30,4,103", "2,30,4")),
        ["ratings.csv", "line 5", "found 3"],
        BUILD,
    ),
    Case(
        "items-row-short-in-an-unused-column",
        movies(TINY_MOVIES.replace("Crime|Drama", "").replace("(1996),", "(1996)")),
        ["movies.csv", "line 4", "found 2"],
        BUILD,
    ),
    Case(
        "rating-not-a-number",
        ratings(TINY_RATINGS.replace("2,30,4,103", "2,30,four,103")),
        ["ratings.csv", "line 5", '"four"', "a number"],
        BUILD,
    ),
    Case(
        "user-id-not-an-integer",
        ratings(TINY_RATINGS.replace("2,30,4,103", "two,30,4,103")),
        ["ratings.csv", "line 5", '"two"'],
        BUILD,
    ),
    Case("ratings-empty-file", write("content/data/ratings.csv", ""), ["ratings.csv", "empty"], BUILD),
    Case(
        "ratings-header-only",
        write("content/data/ratings.csv", "userId,movieId,rating,timestamp\n"),
        ["ratings.csv", "no interactions"],
        BUILD,
    ),
    Case(
        "ratings-column-missing",
        ratings(TINY_RATINGS.replace("userId,", "user,").replace("1,10", "1,10")),
        ["ratings.csv", 'missing column "userId"'],
        BUILD,
    ),
    Case(
        "ratings-not-utf8",
        write("content/data/ratings.csv", b"userId,movieId,rating,timestamp\n1,10,4,1\xff\n"),
        ["ratings.csv", "not UTF-8"],
        BUILD,
    ),
    Case(
        "ratings-unterminated-quote", ratings(TINY_RATINGS.replace("2,30,4,103", '2,"30,4,103')), ["ratings.csv"], BUILD
    ),
    Case(
        "rating-for-an-unknown-movie",
        ratings(TINY_RATINGS.replace("2,30,4,103", "2,99,4,103")),
        ["ratings.csv", "line 5", "movieId 99 is not in movies.csv"],
        BUILD,
    ),
    Case(
        "movie-id-twice",
        movies(TINY_MOVIES.replace("30,Fargo", "20,Fargo")),
        ["movies.csv", "id 20 appears 2 times"],
        BUILD,
    ),
    Case(
        "movies-file-missing",
        lambda project, server: (project / "content/data/movies.csv").unlink(),
        ["movies.csv", "file not found"],
        BUILD,
    ),
    Case(
        "a-line-of-five-megabytes",
        ratings(TINY_RATINGS.replace("2,30,4,103", "x" * 5_000_000 + ",30,4,103")),
        ["ratings.csv", "line 5", "more than 131,072 characters"],
        BUILD,
    ),
    Case(
        "a-value-of-100-kilobytes",
        ratings(TINY_RATINGS.replace("2,30,4,103", "x" * 100_000 + ",30,4,103")),
        ["ratings.csv", "line 5", "(100,000 characters in all)"],
        BUILD,
    ),
    Case(
        "five-megabytes-without-a-newline",
        write("content/data/ratings.csv", "userId,movieId,rating,timestamp\n" + "x" * 5_000_000),
        ["ratings.csv", "line 2"],
        BUILD,
    ),
    Case(
        "a-header-of-five-megabytes",
        write("content/data/ratings.csv", "h" * 5_000_000 + "\n1\n"),
        ["ratings.csv", "line 1", "a field of 5,000,001 characters"],
        BUILD,
    ),
    Case("dataset-path-to-a-folder-outside", site("path: data", "path: /"), ["/ratings.csv", "file not found"], BUILD),
    Case(
        "generic-interactions-outside-the-content",
        both(generic_csv("u,i\n1,2\n"), site("interactions: plays.csv", "interactions: ../../../secret.txt")),
        ["secret.txt"],
        BUILD,
        hidden=[SECRET],
    ),
    Case(
        "generic-linked-file-outside-the-content",
        both(
            generic_csv("u,i\n1,2\n"),
            lambda project, server: (
                (project / "content/data/plays.csv").unlink(),
                (project / "content/data/plays.csv").symlink_to(project.parent / "secret.txt"),
            ),
        ),
        ["plays.csv", "not shown: the file is outside the content folder"],
        BUILD,
        hidden=[SECRET],
    ),
    Case(
        "generic-linked-file-outside-with-a-bad-weight",
        both(
            generic_csv("u,i\n1,2\n", "{user: u, item: i, weight: w}"),
            lambda project, server: (
                (project.parent / "outside.csv").write_text(f"u,i,w\n1,2,{SECRET}\n", encoding="utf-8"),
                (project / "content/data/plays.csv").unlink(),
                (project / "content/data/plays.csv").symlink_to(project.parent / "outside.csv"),
            ),
        ),
        ["plays.csv", "line 2", "expected a number", "not shown: the file is outside the content folder"],
        BUILD,
        hidden=[SECRET],
    ),
    Case(
        "generic-column-missing", generic_csv("u,i\n1,2\n", "{user: user, item: i}"), ["columns.user", '"user"'], BUILD
    ),
    Case(
        "generic-row-with-an-extra-field",
        generic_csv("u,i\n1,2\n2,3,4\n3,4\n"),
        ["plays.csv", "line 3", "found 3"],
        BUILD,
    ),
    Case(
        "generic-row-short",
        generic_csv("u,i,w\n1,2,1\n2\n3,4,1\n", "{user: u, item: i}"),
        ["plays.csv", "line 3", "found 1"],
        BUILD,
    ),
    Case(
        "parquet-that-is-not-parquet",
        both(
            generic_csv("u,i\n1,2\n"),
            site("format: csv", "format: parquet"),
            site("interactions: plays.csv", "interactions: plays.parquet"),
            write("content/data/plays.parquet", "u,i\n1,2\n"),
        ),
        ["plays.parquet", "Parquet"],
        BUILD,
    ),
    # ---- datasets by URL, served on loopback
    Case(
        "url-dataset-with-a-column-it-lacks",
        both(url_dataset("/good.zip"), site("label: title", "label: titel")),
        ["portals[0].label", '"titel"', 'did you mean "title"'],
        BUILD,
    ),
    Case("url-not-found", url_dataset("/missing.zip", digest="0" * 64), ["datasets.tiny.url", "404"], BUILD),
    Case(
        "url-checksum-mismatch", url_dataset("/good.zip", digest="0" * 64), ["datasets.tiny.sha256", "good.zip"], BUILD
    ),
    Case(
        "url-archive-with-dot-dot",
        url_dataset("/traversal.zip"),
        ["../../escaped.csv", "outside the dataset folder"],
        BUILD,
    ),
    Case("url-archive-with-absolute-path", url_dataset("/absolute.tar.gz"), ["/tmp/planted.csv", "outside"], BUILD),
    Case("url-archive-with-a-link", url_dataset("/link.tar.gz"), ["tiny/ratings.csv", "refused"], BUILD),
    Case("url-not-an-archive", url_dataset("/not-an-archive.zip"), ["datasets.tiny.url", "is not one"], BUILD),
    Case("url-archive-empty", url_dataset("/empty.zip"), ["ratings.csv", "file not found"], BUILD),
    Case(
        "url-folder-not-in-archive",
        url_dataset("/good.zip", extra="    folder: ml-32m\n"),
        ["datasets.tiny.folder", '"ml-32m" is not in the downloaded archive'],
        BUILD,
    ),
    # ---- pictures
    Case(
        "local-pictures-folder-missing",
        site(
            "    metadata: [year, genres, num_ratings]\n",
            "    metadata: [year, genres, num_ratings]\n    images:\n      sources:\n"
            "        - {local: {folder: posters}}\n",
        ),
        ["--strict", "posters"],
        [*BUILD, "--strict"],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_refused_with_its_culprit_named_and_nothing_touched(case, pristine, server, tmp_path, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(pristine, project, symlinks=True)
    shutil.copy(pristine.parent / "secret.txt", tmp_path / "secret.txt")
    case.change(project, server)
    before = tree_digest(project)
    folders_before = _folders(project)
    monkeypatch.chdir(project)

    result = CliRunner().invoke(main, case.args)

    output = result.output
    assert result.exit_code == case.code, output
    assert isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output and "run with -v for the traceback" not in output, output
    for culprit in case.names:
        assert culprit in output, f"{culprit!r} not in: {output[:3000]}"
    for secret in case.hidden:
        assert secret not in output
    assert max(len(line) for line in output.splitlines()) <= LONGEST_LINE
    after = tree_digest(project)
    # the site, the content and the user's files byte for byte; the cache may only gain entries
    assert {path: digest for path, digest in after.items() if not path.startswith(".cache/")} == {
        path: digest for path, digest in before.items() if not path.startswith(".cache/")
    }
    assert all(after.get(path) == digest for path, digest in before.items())
    assert _folders(project) == folders_before  # not even an empty folder left behind


def _folders(project: Path) -> set[str]:
    return {
        str(p.relative_to(project))
        for p in project.rglob("*")
        if p.is_dir() and not p.is_symlink() and p.relative_to(project).parts[0] != ".cache"
    }


def test_the_corpus_is_large_and_covers_every_kind_of_input():
    assert len(CASES) >= 60
    assert len({case.name for case in CASES}) == len(CASES)


# ---------------------------------------------------------------- inputs that are fine


GOOD = [
    (
        "crlf-line-ends",
        lambda project: [
            p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n")) for p in (project / "content/data").glob("*.csv")
        ],
    ),
    (
        "byte-order-marks",
        lambda project: [
            p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes()) for p in (project / "content/data").glob("*.csv")
        ],
    ),
    (
        "unrated-movies-in-the-catalogue",
        lambda project: (project / "content/data/movies.csv").write_text(
            textwrap.dedent(TINY_MOVIES).lstrip() + "40,Nobody Saw This (2001),Drama\n", encoding="utf-8"
        ),
    ),
    (
        "blank-lines-at-the-end",
        lambda project: (project / "content/data/ratings.csv").write_text(
            textwrap.dedent(TINY_RATINGS).lstrip() + "\n\n", encoding="utf-8"
        ),
    ),
    (
        "quoted-commas-and-quotes-in-titles",
        lambda project: (project / "content/data/movies.csv").write_text(
            textwrap.dedent(TINY_MOVIES).lstrip().replace("Fargo (1996)", '"""Fargo"", the film, (1996)"'),
            encoding="utf-8",
        ),
    ),
    ("a-site-without-a-docs-folder", lambda project: shutil.rmtree(project / "content/docs")),
    (
        "docs-turned-off",
        lambda project: (project / "content/site.yml").write_text(
            "docs: false\n" + (project / "content/site.yml").read_text(encoding="utf-8"), encoding="utf-8"
        ),
    ),
    (
        "replacing-a-non-site-folder-when-told-to",
        lambda project: [
            (project / "_site" / name).unlink() for name in (MARKER, "static/projector/projector_binary.js")
        ],
    ),
    ("replacing-a-site-built-before-the-marker", lambda project: (project / "_site" / MARKER).unlink()),
]


@pytest.mark.parametrize("name, change", GOOD, ids=[name for name, _ in GOOD])
def test_fine_inputs_build(name, change, pristine, tmp_path, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(pristine, project, symlinks=True)
    change(project)
    monkeypatch.chdir(project)
    told = ["--force"] if name == "replacing-a-non-site-folder-when-told-to" else []  # the others need no leave
    result = CliRunner().invoke(main, [*BUILD, *told, "-q"])
    assert result.exit_code == 0, result.output
    assert (project / "_site" / MARKER).is_file() and (project / "_site/movies/metadata.txt").is_file()
    assert (project / "notes.txt").read_text(encoding="utf-8") == "the user's own file\n"
    has_docs = (project / "content/docs").is_dir() and "docs: false" not in (project / "content/site.yml").read_text()
    assert (project / "_site/docs/index.html").is_file() == has_docs
    assert ("docs/index.html" in (project / "_site/index.html").read_text(encoding="utf-8")) == has_docs
