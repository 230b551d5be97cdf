"""The closing summary of a build: what was built, where, how long, what fell back."""

from __future__ import annotations

from site_builder.build import BuildSummary


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def format_summary(summary: BuildSummary) -> str:
    lines = [
        f"Built {len(summary.portals)} portal(s) into {summary.out} "
        f"({_size(summary.site_bytes)}) in {summary.total_seconds:.1f} s"
    ]
    for portal in summary.portals:
        origin = "cached vectors" if portal.vectors_from_cache else "trained"
        lines.append(
            f"  {portal.name}: {portal.points:,} points x {portal.dimensions} dims, "
            f"{portal.interactions:,} interactions, {origin}, "
            f"sprite cells {portal.cell}px, {_size(portal.bytes_written)}"
        )
        lines.append(f"    pictures: {portal.pictures}")
    slowest = sorted(summary.stage_seconds.items(), key=lambda kv: -kv[1])[:3]
    lines.append("  slowest stages: " + ", ".join(f"{name} {sec:.1f} s" for name, sec in slowest))
    for warning in summary.warnings:
        lines.append(f"  warning: {warning}")
    lines.append(
        f"Preview: portals serve --out {summary.out}  (or ./portals.sh serve), then open http://127.0.0.1:8000/"
    )
    return "\n".join(lines)
