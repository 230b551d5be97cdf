"""Demo build figures: a cold build, a rebuild with no change and a rebuild after
a docs-only change (what a redeploy with restored caches does), with the time
and peak memory of each stage.

Usage: python benchmarks/build_demo.py [--content content]

Each build runs in its own process so that its peak memory is its own, on a
copy of the content folder. The cold build starts from an empty cache; the
rebuilds reuse it. Peak memory is the process's peak resident set size when
each stage ended, so it only grows down a column.

A reference comes first, to compare figures across machines: gensim training
Word2Vec alone on the demo's movies (their sentences, with the movies
portal's word2vec settings, one worker), timed in a process of its own.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

RUN_ONE = """
import json, sys
from site_builder.build import build_site
s = build_site(sys.argv[1], sys.argv[2], sys.argv[3])
print(json.dumps({"total": s.total_seconds, "stages": s.stage_seconds, "rss": s.stage_peak_rss,
                  "bytes": s.site_bytes}))
"""


REFERENCE = """
import json, sys, time
from gensim.models import Word2Vec
from site_builder.config import load_config
from site_builder.data import datasets, remote
from site_builder.model import embeddings
config = load_config(sys.argv[1])
portal = next(p for p in config.portals if p.points == "items")
roots = remote.dataset_roots(config, sys.argv[2])
sentences = embeddings.build_sentences(datasets.load_configured(config, portal.dataset, roots[portal.dataset]), "items")
words = [[str(t) for t in sentences.tokens[a:b]] for a, b in zip(sentences.offsets[:-1], sentences.offsets[1:])]
w2v = portal.embedding.word2vec
if "auto" in (w2v.window, w2v.epochs, w2v.sg):
    sys.exit("the reference takes the movies portal's explicit word2vec settings (the demo's); this one has auto")
started = time.perf_counter()
Word2Vec(words, vector_size=w2v.vector_size, window=w2v.window, epochs=w2v.epochs, sg=w2v.sg,
         min_count=w2v.min_count, seed=w2v.seed, workers=1)
print(json.dumps({"seconds": time.perf_counter() - started, "sentences": len(words),
                  "tokens": int(sentences.offsets[-1]), "epochs": w2v.epochs}))
"""


def reference(content: Path, cache: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", REFERENCE, str(content), str(cache)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_build(content: Path, out: Path, cache: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", RUN_ONE, str(content), str(out), str(cache)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=REPO / "content")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        content = work / "content"
        shutil.copytree(args.content, content)
        ref = reference(content, work / "reference-cache")
        print(
            f"reference: gensim Word2Vec alone on the demo's {ref['sentences']:,} movies "
            f"({ref['tokens']:,} tokens, {ref['epochs']} epochs, 1 worker): {ref['seconds']:.1f} s",
            flush=True,
        )
        runs = {"cold": run_build(content, work / "site", work / "cache")}
        runs["no change"] = run_build(content, work / "site", work / "cache")
        page = content / "docs" / "index.md"
        page.write_text(page.read_text() + "\nOne more sentence.\n")
        runs["docs only"] = run_build(content, work / "site", work / "cache")
    names = list(runs)
    print(
        f"{'stage':<28}"
        + "".join(f"{name + ' s':>14}" for name in names)
        + "".join(f"{name + ' MB':>15}" for name in names)
    )
    for stage in runs["cold"]["stages"]:
        print(
            f"{stage:<28}"
            + "".join(f"{runs[n]['stages'].get(stage, 0):>14.2f}" for n in names)
            + "".join(f"{runs[n]['rss'].get(stage, 0) / 2**20:>15.0f}" for n in names)
        )
    print(
        f"{'total':<28}"
        + "".join(f"{runs[n]['total']:>14.2f}" for n in names)
        + "".join(f"{max(runs[n]['rss'].values()) / 2**20:>15.0f}" for n in names)
    )
    print(f"site size: {runs['cold']['bytes'] / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
