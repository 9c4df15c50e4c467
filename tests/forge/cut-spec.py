#!/usr/bin/env python3
"""Cut GitHub's OpenAPI description down to the operations git-rlpromote
uses, with every component they reference, so prism starts in seconds.
usage: cut-spec.py <api.github.com.json> <out.json>"""
import json
import sys

PATHS = {
    "/repos/{owner}/{repo}/pulls": ["get", "post"],
    "/repos/{owner}/{repo}/pulls/{pull_number}": ["patch"],
    "/repos/{owner}/{repo}/issues/{issue_number}/comments": ["get", "post"],
    "/repos/{owner}/{repo}/issues/comments/{comment_id}": ["patch"],
    "/repos/{owner}/{repo}/check-runs": ["post"],
    "/repos/{owner}/{repo}/statuses/{sha}": ["post"],
}

spec = json.load(open(sys.argv[1]))
out = {k: spec[k] for k in ("openapi", "info", "servers") if k in spec}
out["paths"] = {}
for path, methods in PATHS.items():
    item = spec["paths"][path]
    out["paths"][path] = {m: item[m] for m in methods}
    if "parameters" in item:
        out["paths"][path]["parameters"] = item["parameters"]

# every component reachable through $ref
components = {}
todo = [out["paths"]]
while todo:
    node = todo.pop()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            _, _, kind, name = ref.split("/", 3)
            if name not in components.setdefault(kind, {}):
                target = spec["components"][kind][name]
                components[kind][name] = target
                todo.append(target)
        todo.extend(node.values())
    elif isinstance(node, list):
        todo.extend(node)
out["components"] = components
json.dump(out, open(sys.argv[2], "w"))
