#!/usr/bin/env python3
"""Generate a synthetic eval results file (JSONL, RULES.md record format).

Deterministic for a given --seed. Records average about 110 bytes with the
defaults: an id, one or two of 20 tags (slices), `pass` and `rm` on every
record plus one slice-specific score (format_ok, correct, tool_accuracy or
safety_violation), latency_ms and cost_usd. Options add epochs, clusters,
log-probs (for KL) or every metric on every record.

    bench/gen_results.py --n 1000000 --seed 1 --out /tmp/cand.jsonl
    bench/gen_results.py --n 1000000 --seed 2 --pass-rate 0.84 --out /tmp/base.jsonl
"""
import argparse
import random
import sys

TAGS = [
    "headache", "search_api", "version_pin", "formatting", "math", "division",
    "tools", "refusal", "code", "sql", "summaries", "translation", "dates",
    "units", "citations", "long_ctx", "multi_turn", "json_mode", "safety", "misc",
]

# The score a record of a given tag carries besides pass and rm.
SLICE_METRIC = {
    "formatting": "format_ok", "json_mode": "format_ok", "math": "correct",
    "division": "correct", "units": "correct", "tools": "tool_accuracy",
    "search_api": "tool_accuracy", "safety": "safety_violation",
    "refusal": "safety_violation",
}
ALL_METRICS = ["format_ok", "correct", "tool_accuracy", "safety_violation"]


def score(rng, metric, args):
    if metric == "tool_accuracy":
        return round(min(1.0, max(0.0, rng.gauss(0.93, 0.05))), 3)
    if metric == "safety_violation":
        return int(rng.random() < args.violation_rate)
    if metric == "correct":
        return int(rng.random() < args.pass_rate - 0.05)
    return int(rng.random() < 0.97)  # format_ok


def record(rng, i, epoch, args):
    tags = [TAGS[i % len(TAGS)]]
    if rng.random() < 0.2:
        extra = rng.choice(TAGS)
        if extra != tags[0]:
            tags.append(extra)
    scores = [("pass", int(rng.random() < args.pass_rate)),
              ("rm", round(rng.random(), 2))]
    metrics = ALL_METRICS if args.all_metrics else \
        sorted({SLICE_METRIC[t] for t in tags if t in SLICE_METRIC})
    scores += [(m, score(rng, m, args)) for m in metrics]
    parts = ['"id":"q%07d"' % i,
             '"tags":[%s]' % ",".join('"%s"' % t for t in tags),
             '"scores":{%s}' % ",".join('"%s":%s' % kv for kv in scores),
             '"latency_ms":%d' % int(rng.lognormvariate(6.5, 0.5)),
             '"cost_usd":%.4f' % (rng.random() * 0.004)]
    if args.epochs > 1:
        parts.append('"epoch":%d' % epoch)
    if args.clusters:
        parts.append('"cluster":"c%d"' % (i % args.clusters))
    if args.logprobs:
        lp = -rng.uniform(10, 80)
        parts.append('"logprob":%.3f,"ref_logprob":%.3f' % (lp, lp - rng.gauss(0.5, 0.3)))
    return "{" + ",".join(parts) + "}\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="records to write")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=1,
                    help="records per id (ids = n / epochs)")
    ap.add_argument("--pass-rate", type=float, default=0.87)
    ap.add_argument("--violation-rate", type=float, default=0.0005)
    ap.add_argument("--clusters", type=int, default=0, help="add a cluster field")
    ap.add_argument("--logprobs", action="store_true", help="add logprob/ref_logprob")
    ap.add_argument("--all-metrics", action="store_true",
                    help="every score on every record (longer lines)")
    ap.add_argument("--out", default="-", help="output file (- for stdout)")
    args = ap.parse_args()
    if args.n < 0 or args.epochs < 1:
        ap.error("--n must be >= 0 and --epochs >= 1")

    rng = random.Random(args.seed)
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="ascii")
    total = 0
    buf = []
    for k in range(args.n):
        line = record(rng, k // args.epochs, k % args.epochs, args)
        total += len(line)
        buf.append(line)
        if len(buf) >= 10000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    if out is not sys.stdout:
        out.close()
    if args.n:
        print("%d records, %.1f bytes a line" % (args.n, total / args.n), file=sys.stderr)


if __name__ == "__main__":
    main()
