#!/usr/bin/env python3
"""The reference for bench/gate.sh: a straightforward Python script (standard
library json) that computes the same per-slice aggregates the gate needs.

    aggregate.py <policy-tags-comma-separated> <candidate.jsonl> <baseline.jsonl>

Per side: epoch-averaged value per id and metric, then per slice (tag) the n,
the mean of every metric, and for the pass metric the paired discordant counts
against the baseline; the p95 latency (type 7) per slice.
"""
import json, sys
from collections import defaultdict

METRICS = ("pass", "format_ok", "correct", "safety_violation", "rm", "tool_accuracy")


def load(path):
    sums = defaultdict(lambda: defaultdict(float))
    counts = defaultdict(lambda: defaultdict(int))
    tags = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            i = r["id"]
            tags.setdefault(i, set()).update(r.get("tags", ()))
            for k, v in r.get("scores", {}).items():
                sums[i][k] += float(v)
                counts[i][k] += 1
            if "latency_ms" in r:
                sums[i]["latency_ms"] += r["latency_ms"]
                counts[i]["latency_ms"] += 1
    values = {i: {k: sums[i][k] / counts[i][k] for k in sums[i]} for i in sums}
    return values, tags


def quantile7(xs, q):
    xs = sorted(xs)
    h = (len(xs) - 1) * q
    lo = int(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def main():
    slice_tags = sys.argv[1].split(",")
    cand, ctags = load(sys.argv[2])
    base, btags = load(sys.argv[3])
    for tag in slice_tags:
        ids = [i for i, t in ctags.items() if tag in t]
        out = [tag, len(ids)]
        for m in METRICS:
            xs = [cand[i][m] for i in ids if m in cand[i]]
            out.append(sum(xs) / len(xs) if xs else float("nan"))
        b = c = 0
        for i in ids:
            if i in base and "pass" in base[i] and "pass" in cand[i]:
                b += cand[i]["pass"] > base[i]["pass"]
                c += cand[i]["pass"] < base[i]["pass"]
        lat = [cand[i]["latency_ms"] for i in ids if "latency_ms" in cand[i]]
        out += [b, c, quantile7(lat, 0.95) if lat else float("nan")]
        print(*out)


main()
