#!/usr/bin/env python3
"""Prints the median of every criterion benchmark under target/criterion as a Markdown table.

    python3 benches/summary.py [target/criterion]
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
rows = []
for estimates in sorted(root.glob("**/new/estimates.json")):
    benchmark = json.loads((estimates.parent / "benchmark.json").read_text())
    median = json.loads(estimates.read_text())["median"]
    rows.append((benchmark["full_id"], median["point_estimate"],
                 median["confidence_interval"]["lower_bound"], median["confidence_interval"]["upper_bound"]))


def fmt(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


print("| benchmark | median | 95% CI |")
print("|---|---:|---|")
for name, point, low, high in rows:
    print(f"| `{name}` | {fmt(point)} | {fmt(low)} – {fmt(high)} |")
