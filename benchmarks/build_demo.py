"""Demo build figures: a cold build, a rebuild with no change and a rebuild after
a docs-only change (what a redeploy with restored caches does), with the time
and peak memory of each stage.

Usage: python benchmarks/build_demo.py [--content content]

Each build runs in its own process so that its peak memory is its own, on a
copy of the content folder. The cold build starts from an empty cache; the
rebuilds reuse it. Peak memory is the process's peak resident set size when
each stage ended, so it only grows down a column.
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
