#!/usr/bin/env python3
"""Write a fixtures-server scenario: nock definitions replayed in order.
usage: scenario.py <out.json> <token> <step.json>...
Each step is {"method", "path", "status", "response", "headers"?, "body"?};
a step without "body" does not check the request body."""
import json
import sys

out, token, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
fixtures = []
for step in steps:
    s = json.loads(step)
    f = {
        "scope": "https://api.github.com:443",
        "method": s["method"],
        "path": s["path"],
        "status": s["status"],
        "response": s.get("response", {}),
        "reqheaders": {
            "accept": "application/vnd.github+json, application/json",
            "authorization": "Bearer " + token,
            "x-github-api-version": "2022-11-28",
        },
        "responseIsBinary": False,
        "headers": dict({"content-type": "application/json; charset=utf-8"}, **s.get("headers", {})),
    }
    if "body" in s:
        f["body"] = s["body"]
    fixtures.append(f)
json.dump(fixtures, open(out, "w"), indent=1)
