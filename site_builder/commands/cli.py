"""The `portals` command line: build, serve, new, evaluate, cache-keys, cache-prune, generate. Thin: the
work is in build.py and the stages."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from site_builder.errors import BuildError, Problem

log = logging.getLogger("site_builder")


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    log.setLevel(level)
    # gensim and fse log every epoch at INFO; show them only with -v.
    for name in ("gensim", "fse", "mkdocs"):
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)


@contextmanager
def _user_errors(verbose: bool = False, left_alone: Path | None = None):
    """Problems as one line each and exit code 1; any other failure as one line too,
    with the traceback only under -v. `left_alone` is the output a failure did not touch."""
    from site_builder.site.publish import site_stamp

    untouched = f" {left_alone} was left as it was." if left_alone is not None and left_alone.exists() else ""
    stamp = site_stamp(left_alone) if left_alone is not None else None
    try:
        yield
    except KeyboardInterrupt:
        if left_alone is not None and site_stamp(left_alone) != stamp:  # Ctrl-C came as the swap finished
            click.echo(f"interrupted after the new site was published to {left_alone}.", err=True)
        else:
            click.echo(f"interrupted.{untouched}", err=True)
        sys.exit(130)
    except BuildError as error:
        if verbose:
            log.exception("stopped")
        if len(error.problems) == 1:
            click.echo(f"error: {error.problems[0]}.{untouched}", err=True)
        else:
            click.echo(f"error: stopped with {len(error.problems)} problems.{untouched}", err=True)
            for problem in error.problems:
                click.echo(f"  {problem}", err=True)
        sys.exit(1)
    except Exception as error:  # an unexpected failure: one line unless -v
        if verbose:
            raise
        click.echo(f"error: {type(error).__name__}: {error} (run with -v for the traceback).{untouched}", err=True)
        sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Projector Portals: build a static site of embedding projector portals."""


content_option = click.option(
    "--content",
    type=click.Path(path_type=Path),
    default=Path("content"),
    show_default=True,
    help="Folder with site.yml, datasets and docs.",
)
out_option = click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("_site"),
    show_default=True,
    help="Folder the site is written to (replaced only when a build succeeds).",
)
cache_dir_option = click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=Path(".cache"),
    show_default=True,
    envvar="PORTALS_CACHE_DIR",
    help="Folder for downloads, trained vectors and other cached results [env: PORTALS_CACHE_DIR].",
)


@main.command()
@content_option
@out_option
@cache_dir_option
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="Public URL of the site, e.g. https://USER.github.io/REPO (enables links to projector.tensorflow.org).",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--force", is_flag=True, help="Replace OUT even if it holds files that are not a site built by portals.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logs, and tracebacks on errors.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings, errors and the summary.")
def build(
    content: Path,
    out: Path,
    cache_dir: Path,
    base_url: str | None,
    strict: bool,
    force: bool,
    verbose: bool,
    quiet: bool,
) -> None:
    """Build the site from CONTENT into OUT."""
    from site_builder.build import build_site
    from site_builder.commands.summary import format_summary

    _setup_logging(verbose, quiet)
    with _user_errors(verbose, left_alone=out):
        summary = build_site(content, out, cache_dir, base_url=base_url, strict=strict, force=force)
    click.echo(format_summary(summary))


@main.command()
@click.argument("csv_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--name", required=True, help="Slug for the dataset and portal (used in URLs).")
@click.option("--title", default=None, help="The portal's title (default: from the name).")
@click.option(
    "--items",
    "items_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Optional file describing the items (id, title, categories, image URL): CSV, Parquet or JSON Lines.",
)
@click.option(
    "--replace-site",
    is_flag=True,
    help="Make this data the whole site: remove the datasets, portals and docs pages there (the demo's, in a "
    "fresh fork; git keeps them), keep the docs pages for every site, and write a docs home page for the new one. "
    "Without it, the dataset is added beside what is there.",
)
@click.option("--site-title", default=None, help="The site's title, on the landing page (default: as it is).")
@click.option("--site-description", default=None, help="The site's introduction on the landing page.")
@content_option
def new(
    csv_file: Path,
    name: str,
    title: str | None,
    items_file: Path | None,
    replace_site: bool,
    site_title: str | None,
    site_description: str | None,
    content: Path,
) -> None:
    """Add a dataset and two portals (its items, its users) for CSV_FILE, a file of user-item
    interactions (CSV or other delimited text, Parquet or JSON Lines), to the site; or, with
    --replace-site, make them the site."""
    from site_builder.commands.scaffold import scaffold

    with _user_errors():
        steps = scaffold(
            csv_file,
            content,
            name,
            title=title,
            items_file=items_file,
            replace_site=replace_site,
            site_title=site_title,
            site_description=site_description,
        )
    click.echo("\n".join(steps))


@main.command()
@content_option
@click.option(
    "--portal",
    "portal_name",
    default=None,
    metavar="NAME",
    help="The portal of items to evaluate (default: the first one with `points: items`).",
)
@click.option(
    "--split",
    "split_name",
    type=click.Choice(["test", "validation"]),
    default="test",
    show_default=True,
    help="test: hold out each user's last interaction. validation: the one before it "
    "(for choosing settings without seeing the test items).",
)
@cache_dir_option
@click.option("-v", "--verbose", is_flag=True, help="Debug logs, and tracebacks on errors.")
def evaluate(content: Path, portal_name: str | None, split_name: str, cache_dir: Path, verbose: bool) -> None:
    """HitRate@10, NDCG@10 and Coverage@10 of a portal of items, next to popularity and ItemKNN."""
    from site_builder.config import load_config
    from site_builder.errors import quoting_files_in
    from site_builder.model.evaluate import evaluate_portal

    _setup_logging(verbose, quiet=True)
    with _user_errors(verbose), quoting_files_in(content, cache_dir):
        report = evaluate_portal(load_config(content), portal_name, split=split_name, cache_dir=cache_dir)
    click.echo(report.table())


@main.command("cache-keys")
@content_option
def cache_keys_command(content: Path) -> None:
    """Print NAME=KEY per cache folder (for $GITHUB_OUTPUT in the deploy workflow)."""
    from site_builder.commands.cache_keys import cache_keys
    from site_builder.config import load_config

    with _user_errors():
        keys = cache_keys(load_config(content))
    for name, key in keys.items():
        click.echo(f"{name}={key}")


@main.command("cache-prune")
@cache_dir_option
@click.option(
    "--max-mb",
    type=click.IntRange(min=0),
    default=2048,
    show_default=True,
    help="Keep at most this much, the most recently used entries first.",
)
def cache_prune_command(cache_dir: Path, max_mb: int) -> None:
    """Remove the least recently used cache entries until the cache fits in --max-mb."""
    from site_builder.cache import Cache

    removed, freed = Cache(cache_dir).prune(max_mb * 1024 * 1024)
    click.echo(f"removed {removed:,} entries ({freed / 1024 / 1024:,.1f} MB) from {cache_dir}")


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """100K, 1M, 32M or a plain integer, for the sizes of `portals generate`."""
    from site_builder.data.synthetic import parse_size

    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx=ctx, param=param)


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--interactions",
    required=True,
    callback=_size,
    metavar="SIZE",
    help="Number of ratings: 100K, 1M, 10M, 32M or a plain integer.",
)
@click.option("--seed", type=int, default=42, show_default=True, help="The same seed and sizes give the same files.")
@click.option(
    "--items",
    callback=_size,
    default=None,
    metavar="SIZE",
    help="Number of movies (default: scaled with --interactions, about 87,600 at 32M).",
)
@click.option(
    "--users",
    callback=_size,
    default=None,
    metavar="SIZE",
    help="Number of users (default: scaled with --interactions, about 200,900 at 32M).",
)
@click.option(
    "--tastes",
    type=click.IntRange(min=1),
    default=None,
    help="Number of planted tastes (default: 20, fewer on tiny catalogues).",
)
@click.option(
    "--taste-share",
    type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
    default=0.8,
    show_default=True,
    help="Mean share of a user's movies drawn from the tastes they like; the rest follow popularity.",
)
@click.option(
    "--popularity",
    type=click.FloatRange(0.0, 4.0),
    default=1.0,
    show_default=True,
    help="Exponent of the Zipf-like popularity: 0 is flat, 1 MovieLens-like, more is steeper.",
)
@click.option(
    "--activity",
    type=click.FloatRange(0.0, 4.0),
    default=1.3,
    show_default=True,
    help="Sigma of the log-normal ratings per user: 0 is even, 1.3 MovieLens-like.",
)
@click.option(
    "--time-taste/--no-time-taste",
    default=False,
    show_default=True,
    help="Give tastes eras, so that users who rate a movie close in time tend to share a taste.",
)
@click.option(
    "--force", is_flag=True, help="Write into OUT_DIR even if it is not empty (files of the same names are replaced)."
)
@click.option("-v", "--verbose", is_flag=True, help="Tracebacks on errors.")
def generate(
    out_dir: Path,
    interactions: int,
    seed: int,
    items: int | None,
    users: int | None,
    tastes: int | None,
    taste_share: float,
    popularity: float,
    activity: float,
    time_taste: bool,
    force: bool,
    verbose: bool,
) -> None:
    """Write synthetic MovieLens-shaped data into OUT_DIR: ratings.csv, movies.csv, tastes.csv and
    user_tastes.csv.

    Load it with `format: movielens-csv`; tastes.csv holds each movie's planted taste, user_tastes.csv
    each user's main taste (benchmarks/method_grid.py measures neighbours against them).
    """
    from site_builder.data.synthetic import Shape, plan_sizes
    from site_builder.data.synthetic import generate as generate_data

    try:
        plan_sizes(interactions, items, users, tastes)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--interactions' / '--items' / '--users' / '--tastes'")
    shape = Shape(
        taste_share=taste_share, popularity_exponent=popularity, activity_sigma=activity, time_taste=time_taste
    )
    with _user_errors(verbose):
        if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
            raise BuildError(Problem(out_dir, "", "is not empty; choose an empty or new folder, or pass --force"))
        info = generate_data(out_dir, interactions, seed=seed, items=items, users=users, tastes=tastes, shape=shape)
    click.echo(info.summary())


@main.command()
@content_option
@out_option
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="Serve this finished site as it is, with no build and no reload (implies --no-watch).",
)
@cache_dir_option
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on (0: any free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--no-watch", is_flag=True, help="Serve OUT as it is: no build, no reload.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logs, and tracebacks on errors.")
def serve(
    content: Path,
    out: Path,
    directory: Path | None,
    cache_dir: Path,
    port: int,
    host: str,
    no_watch: bool,
    verbose: bool,
) -> None:
    """Preview the site on http://127.0.0.1:PORT/, rebuilt and reloaded as CONTENT changes."""
    import threading

    from site_builder.build import build_site
    from site_builder.commands import preview
    from site_builder.commands.summary import format_summary
    from site_builder.site.publish import MARKER, is_built_site

    _setup_logging(verbose, quiet=not verbose)
    option = "--out"
    if directory is not None:
        out, no_watch, option = directory, True, "--dir"
    watch = None
    if not no_watch:
        watch = preview.Watch()
        with _user_errors(verbose, left_alone=out):  # no site to fall back on: stop, as a build does
            try:
                click.echo(format_summary(build_site(content, out, cache_dir)))
            except Exception as error:
                if not is_built_site(out):
                    raise
                watch.failed(preview.describe(error))  # said on the pages too
                click.echo(f"error: {preview.describe(error)}", err=True)
                click.echo(f"Serving the last good site in {out}; fix the problem and save.", err=True)
    with _user_errors():
        if not is_built_site(out):
            raise BuildError(
                Problem(
                    f"{option} {out}",
                    "",
                    f"is not a site built by portals (no {MARKER} in it); "
                    "build one with `portals build`, or pass its --out folder",
                )
            )
    watching = f", rebuilt when {content} changes" if watch is not None else ""

    def say(text: str) -> None:
        click.echo(text)
        sys.stdout.flush()

    def announce(url: str) -> None:
        say(f"Serving {out} on {url}{watching} (Ctrl+C to stop)")

    stop = threading.Event()
    if watch is not None:
        rebuild = threading.Thread(
            target=preview.watch_and_build,
            args=(content, lambda: build_site(content, out, cache_dir), watch, stop, say),
            daemon=True,
        )
        rebuild.start()
    try:
        preview.serve(out, host, port, watch, announce)
    except KeyboardInterrupt:
        click.echo("stopped.")
    except OSError as error:  # the port is taken, or the address is not this machine's
        with _user_errors():
            raise BuildError(
                Problem(
                    f"--host {host} --port {port}",
                    "",
                    f"cannot listen there ({error.strerror or error}); pass another --port (0 takes any free one)",
                )
            ) from None
    finally:
        stop.set()
