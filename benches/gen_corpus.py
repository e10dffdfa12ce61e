#!/usr/bin/env python3
"""Writes a deterministic NDJSON corpus of N customer snapshots to stdout (fixed seed).

Each line is one of the evaluation corpus's snapshots (tests/corpus/eval/*.json) or the
examples, with its own customerId and seeded variations: capabilities requested or not,
provider statuses, identity fields dropped or corrupted, ToS acceptances removed.

    python3 benches/gen_corpus.py 1000000 > /tmp/corpus.ndjson
"""
import copy
import json
import pathlib
import random
import sys

root = pathlib.Path(__file__).resolve().parent.parent
bases = [json.loads(p.read_text())["snapshot"] for p in sorted((root / "tests/corpus/eval").glob("*.json"))]
bases += [json.loads((root / "examples" / name).read_text()) for name in ("draft.json", "provider.json", "blocked.json")]
CAPABILITIES = ["custodyCrypto", "custodyFiat", "custodyStablecoin", "tradeCrypto", "tradeStablecoin",
                "transferCrypto", "transferFiat", "transferStablecoin"]
STATUSES = ["unrequested", "pending", "active", "active", "inactive"]


def variant(rng, base, i):
    snapshot = copy.deepcopy(base)
    snapshot["customerId"] = f"customer_{i:08d}"
    capabilities = snapshot.setdefault("capabilities", {})
    for name in rng.sample(CAPABILITIES, rng.randint(0, 3)):
        entry = capabilities.setdefault(name, {})
        entry["requested"] = rng.random() < 0.8
        if "requirements" in snapshot:
            entry["status"] = rng.choice(STATUSES)
    individual = snapshot.get("individual")
    if isinstance(individual, dict) and individual and rng.random() < 0.3:
        key = rng.choice(sorted(individual))
        if rng.random() < 0.5:
            del individual[key]
        elif isinstance(individual[key], str):
            individual[key] = individual[key][::-1]
    if snapshot.get("tosAcceptances") and rng.random() < 0.2:
        snapshot["tosAcceptances"].pop()
    return snapshot


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rng = random.Random(0x5EED)
    out = sys.stdout
    for i in range(count):
        out.write(json.dumps(variant(rng, rng.choice(bases), i), separators=(",", ":")))
        out.write("\n")


if __name__ == "__main__":
    main()
