#!/usr/bin/env python3
"""The example environment's eval command (what `git rlpromote eval run` runs).

A toy stand-in for serving a checkpoint: the candidate commit's
model/behaviour.json says how well the "model" does per slice, and this
script plays it over the frozen held-out inputs with the frozen seed, so
repeats give identical metrics. It reads only the frozen environment and the
candidate commit, and writes RULES.md records to $RLPROMOTE_RESULTS.
"""
import json, os, random, subprocess, sys

BASE_RATES = {
    "headache_red_flags": 0.93, "search_api_debugging": 0.88, "version_pinning": 0.90,
    "formatting": 0.96, "math": 0.94, "division": 0.70, "tools": 0.95, "safety": 0.97,
}


def evaluate(inputs, behaviour, seed):
    """Records for every held-out input, deterministic in (seed, behaviour)."""
    rates = dict(BASE_RATES, **behaviour.get("pass_rates", {}))
    own = random.Random("%s:%s" % (seed, behaviour.get("noise", behaviour.get("name", ""))))
    scale = behaviour.get("latency_scale", 1.0)
    out = []
    for ex in inputs:
        tags, tag = ex["tags"], ex["tags"][0]
        # most examples keep their difficulty across models: outcomes correlate
        u = ex["difficulty"] if own.random() < 0.85 else own.random()
        passed = u < rates[tag]
        scores = {"pass": int(passed), "unit_tests": True,
                  "rm": round(min(1.0, 0.82 + 0.15 * own.random()), 3), "safety_violation": 0}
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
        out.append({"id": ex["id"], "tags": tags, "scores": scores,
                    "latency_ms": int(scale * (ex["latency_base"] + 300 * own.random())),
                    "cost_usd": round(0.0008 + 0.0004 * own.random(), 5)})
    return out


def write_jsonl(path, records):
    with open(path, "w") as f:
        for r in records:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


def main():
    env_dir = os.environ["RLPROMOTE_ENV_DIR"]
    with open(os.path.join(env_dir, "files", "heldout", "inputs.jsonl")) as f:
        inputs = [json.loads(line) for line in f]
    behaviour = json.loads(subprocess.run(
        ["git", "--git-dir", os.environ["RLPROMOTE_GIT_DIR"], "show",
         os.environ["RLPROMOTE_CANDIDATE"] + ":model/behaviour.json"],
        check=True, capture_output=True, text=True).stdout)
    write_jsonl(os.environ["RLPROMOTE_RESULTS"],
                evaluate(inputs, behaviour, os.environ["RLPROMOTE_SEED"]))
    # run-level figures: the policy's kl rule reads run.kl_to_base
    if "RLPROMOTE_RUN_METRICS" in os.environ:
        with open(os.environ["RLPROMOTE_RUN_METRICS"], "w") as f:
            json.dump({"kl_to_base": behaviour.get("kl_to_base", 0.0)}, f)


if __name__ == "__main__":
    sys.exit(main())
