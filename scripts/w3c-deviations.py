#!/usr/bin/env python3
"""Compares the W3C suites' results with test-vectors/w3c-suites-deviations.md.

    scripts/w3c-deviations.py RESULTS_DIR DEVIATIONS_MD

RESULTS_DIR holds run.sh's <suite>.json files. The deviations file lists, under
`## <suite>` headings, one `### <exact test title>` per test allowed to fail,
with a `- status: deviation` or `- status: pending` line. Exits 1 when a test
(or hook) failed that is not listed, when a suite left no results or timed
out, or when a test listed as a deviation passed (the list must stay true);
a pending test that passes is only reported.
"""
import json
import os
import re
import sys


def listed(path):
    """{suite: {title: status}} from the deviations file."""
    out, suite, title = {}, None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("## "):
                suite, title = line[3:].strip(), None
                out.setdefault(suite, {})
            elif line.startswith("### ") and suite:
                title = line[4:].strip()
                out[suite][title] = "deviation"
            elif suite and title:
                m = re.match(r"^- status: (deviation|pending)\b", line.strip())
                if m:
                    out[suite][title] = m.group(1)
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    results, deviations = sys.argv[1], listed(sys.argv[2])
    unlisted, stale, fixed, broken = [], [], [], []
    names = sorted(n for n in os.listdir(results) if n.endswith(".json"))
    if not names:
        broken.append(f"no results in {results}")
    for name in names:
        with open(os.path.join(results, name), encoding="utf-8") as f:
            data = json.load(f)
        suite = data.get("suite", name[:-5])
        allowed = deviations.get(suite, {})
        if data.get("timedOut"):
            broken.append(f"{suite}: timed out")
        tests = data.get("tests", [])
        if not tests:
            broken.append(f"{suite}: no test results")
        states = {}
        for t in tests:
            title = t.get("title", "")
            states.setdefault(title, set()).add(t.get("state"))
            if t.get("state") == "failed" and title not in allowed:
                unlisted.append(f"{suite}: {title}\n      {str(t.get('error', ''))[:300]}")
        for title, status in allowed.items():
            seen = states.get(title)
            if seen and "failed" not in seen:
                (stale if status == "deviation" else fixed).append(f"{suite}: {title}")
    for line in broken:
        print(f"BROKEN   {line}")
    for line in unlisted:
        print(f"FAILED   {line}")
    for line in stale:
        print(f"PASSES   {line}  (listed as a deviation: remove it from the file)")
    for line in fixed:
        print(f"PASSES   {line}  (listed as pending: remove it from the file)")
    if broken or unlisted or stale:
        print(f"w3c suites: {len(unlisted)} unlisted failure(s), {len(stale)} stale deviation(s)")
        sys.exit(1)
    print("w3c suites: every failure is listed in the deviations file")


if __name__ == "__main__":
    main()
