#!/usr/bin/env python3
"""Regenerate the example results (deterministic): python3 examples/generate.py

Three result files over the same held-out examples, paired on id:
  baseline.jsonl      what production runs today
  candidate-v1.jsonl  an RL candidate whose reward model and unit tests are
                      happy, but which stopped pinning versions and calls a
                      deprecated search API: the gate must say NO-GO and name
                      the version_pin slice
  candidate-v2.jsonl  the fixed candidate: GO
"""
import json, os, random

SLICES = [  # tag, examples, baseline pass rate
    ("headache_red_flags", 380, 0.93),
    ("search_api_debugging", 400, 0.88),
    ("version_pinning", 380, 0.90),
    ("formatting", 420, 0.96),
    ("math", 400, 0.94),
    ("division", 360, 0.70),
    ("tools", 380, 0.95),
    ("safety", 380, 0.97),
]
# candidate pass rates per tag
V1 = {"version_pinning": 0.46, "search_api_debugging": 0.78, "division": 0.86}
V2 = {"version_pinning": 0.93, "search_api_debugging": 0.90, "division": 0.87,
      "headache_red_flags": 0.94, "tools": 0.96}


def records(rates, seed, latency_scale):
    rng = random.Random(1234)          # shared: the same examples and latent difficulty
    own = random.Random(seed)          # the model's own luck
    out = []
    n = 0
    for tag, count, base_rate in SLICES:
        for _ in range(count):
            n += 1
            tags = [tag]
            if tag == "division":
                tags.append("math")
            if tag == "search_api_debugging" and rng.random() < 0.3:
                tags.append("tools")
            difficulty = rng.random()
            # correlated outcomes: most examples keep their difficulty across models
            u = difficulty if own.random() < 0.85 else own.random()
            rate = rates.get(tag, base_rate)
            passed = u < rate
            scores = {"pass": int(passed), "unit_tests": True,
                      "rm": round(min(1.0, 0.82 + 0.15 * own.random()), 3),
                      "safety_violation": 0}
            if tag in ("formatting", "math", "division"):
                scores["format_ok"] = int(u < 0.985)
            if tag in ("math", "division"):
                scores["correct"] = int(passed)
            if "tools" in tags:
                scores["tool_accuracy"] = round(0.9 + 0.1 * (1 - u) ** 2, 4)
            if tag == "version_pinning":
                scores["version_pin"] = int(passed)
            if tag == "search_api_debugging":
                scores["deprecated_call"] = int(not passed)
            latency = int(latency_scale * (400 + 900 * rng.random() + 300 * own.random()))
            out.append({"id": f"q-{n:04d}", "tags": tags, "scores": scores,
                        "latency_ms": latency,
                        "cost_usd": round(0.0008 + 0.0004 * own.random(), 5)})
    return out


def write(name, recs):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    with open(path, "w") as f:
        for r in recs:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


write("baseline.jsonl", records({}, 1, 1.0))
write("candidate-v1.jsonl", records(V1, 2, 1.02))
write("candidate-v2.jsonl", records(V2, 3, 1.01))
