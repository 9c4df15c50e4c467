#!/usr/bin/env python3
"""Regenerate the example's data (deterministic): python3 examples/generate.py

  env/heldout/inputs.jsonl   the frozen held-out inputs: id, tags, latent difficulty
  models/<name>.json         three "models" (behaviour files a candidate commit carries)
  baseline.jsonl, candidate-v1.jsonl, candidate-v2.jsonl
                             what env/eval.py gives for them with the env's seed,
                             for `gate --candidate-results` without git

  baseline      what production runs today
  candidate-v1  an RL candidate whose reward model and unit tests are happy, but
                which stopped pinning versions and calls a deprecated search API:
                the gate says NO-GO and names the version_pin slice
  candidate-v2  the fixed candidate: GO
"""
import json, os, random, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "env"))
from eval import evaluate, write_jsonl  # noqa: E402

SEED = "1234"  # env/env.yaml's seed
SLICES = [("headache_red_flags", 380), ("search_api_debugging", 400), ("version_pinning", 380),
          ("formatting", 420), ("math", 400), ("division", 360), ("tools", 380), ("safety", 380)]
MODELS = {
    "baseline": {"name": "baseline", "pass_rates": {}, "latency_scale": 1.0, "kl_to_base": 0.071},
    "candidate-v1": {"name": "candidate-v1", "latency_scale": 1.02, "kl_to_base": 0.092, "pass_rates": {
        "version_pinning": 0.46, "search_api_debugging": 0.78, "division": 0.86}},
    "candidate-v2": {"name": "candidate-v2", "latency_scale": 1.01, "kl_to_base": 0.084, "pass_rates": {
        "version_pinning": 0.93, "search_api_debugging": 0.90, "division": 0.87,
        "headache_red_flags": 0.94, "tools": 0.96}},
}


def inputs():
    rng = random.Random(1234)
    out, n = [], 0
    for tag, count in SLICES:
        for _ in range(count):
            n += 1
            tags = [tag] + (["math"] if tag == "division" else [])
            if tag == "search_api_debugging" and rng.random() < 0.3:
                tags.append("tools")
            out.append({"id": "q-%04d" % n, "tags": tags, "difficulty": round(rng.random(), 6),
                        "latency_base": int(400 + 900 * rng.random())})
    return out


def main():
    ins = inputs()
    write_jsonl(os.path.join(HERE, "env", "heldout", "inputs.jsonl"), ins)
    for name, behaviour in MODELS.items():
        with open(os.path.join(HERE, "models", name + ".json"), "w") as f:
            json.dump(behaviour, f, indent=2, sort_keys=True)
            f.write("\n")
        write_jsonl(os.path.join(HERE, name + ".jsonl"), evaluate(ins, behaviour, SEED))


main()
