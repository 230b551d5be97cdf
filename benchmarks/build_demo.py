"""Demo build figures: cold build, warm rebuild, time and peak memory per stage.

Usage: python benchmarks/build_demo.py [--content content]

Each build runs in its own process so that its peak memory is its own. The
cold build starts from an empty cache; the warm rebuild reuses that cache
with unchanged inputs (no retraining). Peak memory is the process's peak
resident set size when each stage ended, so it only grows down the table.
"""

from __future__ import annotations

import argparse
import json
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
    result = subprocess.run([sys.executable, "-c", RUN_ONE, str(content), str(out), str(cache)],
                            capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=REPO / "content")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        cold = run_build(args.content, work / "site", work / "cache")
        warm = run_build(args.content, work / "site", work / "cache")
    print(f"{'stage':<28}{'cold s':>9}{'warm s':>9}{'cold peak MB':>14}{'warm peak MB':>14}")
    for stage in cold["stages"]:
        print(f"{stage:<28}{cold['stages'][stage]:>9.2f}{warm['stages'].get(stage, 0):>9.2f}"
              f"{cold['rss'][stage] / 2**20:>14.0f}{warm['rss'].get(stage, 0) / 2**20:>14.0f}")
    print(f"{'total':<28}{cold['total']:>9.2f}{warm['total']:>9.2f}"
          f"{max(cold['rss'].values()) / 2**20:>14.0f}{max(warm['rss'].values()) / 2**20:>14.0f}")
    print(f"site size: {cold['bytes'] / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
