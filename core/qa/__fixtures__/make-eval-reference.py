#!/usr/bin/python3
"""Writes seeded predictions for the sample hub's benchmarks with an
evaluation contract, and the scores scikit-learn and RDKit give them, into
eval/: the fixtures of core/qa/run-eval.test.ts and `agora eval`'s tests.

The labelled test sets are blobs: write them first, then run
    node scripts/gen-sample.ts --store /tmp/store
    /usr/bin/python3 core/qa/__fixtures__/make-eval-reference.py /tmp/store
"""
import csv
import io
import json
import math
import os
import re
import sys

import numpy as np
import sklearn
from rdkit.ML.Scoring import Scoring
from sklearn import metrics

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
STORE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".agora", "store")
OUT = os.path.join(HERE, "eval")


def test_set(bench_dir, name):
    """The labelled test set of a benchmark version, read from the store by its hash."""
    text = open(os.path.join(ROOT, "registry", bench_dir, "versions", "1.0.0.yaml")).read()
    sha = re.search(r"- path: " + re.escape(name) + r"\n\s+size: \d+\n\s+sha256: ([0-9a-f]{64})", text).group(1)
    with open(os.path.join(STORE, "blobs", "sha256", sha[:2], sha), encoding="utf-8") as f:
        return list(csv.DictReader(f))


def num(v):
    return None if v == "" else float(v)


def write_csv(path, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    with open(path, "w") as f:
        f.write(buf.getvalue())


expected = {"scikit-learn": sklearn.__version__, "numpy": np.__version__}

# Docking enrichment: lower score = better, one decimal so ties occur.
rows = test_set("benchmarks/mo/moleval/docking-enrichment", "labels.csv")
rng = np.random.default_rng(7)
names = [r["name"] for r in rows]
active = [int(r["active"]) for r in rows]
score = [round(float(-1.2 * a + rng.normal(-7, 0.8)), 1) for a in active]
# The file lists rows in another order: scoring must not depend on it.
order = rng.permutation(len(rows))
write_csv(os.path.join(OUT, "docking-enrichment.csv"), ["name", "score"], [[names[i], score[i]] for i in order])
# RDKit ranks best first; a stable sort of the test-set order breaks ties.
ranked = sorted(zip(score, active), key=lambda r: r[0])
ranked = [[s, a] for s, a in ranked]
expected["docking-enrichment"] = {
    "ef1": Scoring.CalcEnrichment(ranked, 1, [0.01])[0],
    "bedroc20": Scoring.CalcBEDROC(ranked, 1, 20.0),
    "auroc": metrics.roc_auc_score(active, [-s for s in score]),
}

# ADMET suite: 12 Tox21 endpoints (missing labels masked, one-class tasks
# left out of the mean), hERG blocker, log S.
rows = test_set("benchmarks/mo/moleval/admet-suite", "test_labels.csv")
tox = [c for c in rows[0].keys() if c not in ("mol_id", "blocker", "logS")]
rng = np.random.default_rng(8)
preds = {}
for col in tox + ["blocker"]:
    preds[col] = [round(float(np.clip(0.5 * (num(r[col]) or 0) + rng.random() * 0.6, 0, 1)), 2) for r in rows]
preds["logS"] = [round(float((num(r["logS"]) if r["logS"] else -3.0) + rng.normal(0, 0.7)), 2) for r in rows]
header = ["mol_id"] + tox + ["blocker", "logS"]
write_csv(os.path.join(OUT, "admet-suite.csv"), header, [[r["mol_id"]] + [preds[c][i] for c in header[1:]] for i, r in enumerate(rows)])


def masked(col):
    keep = [i for i, r in enumerate(rows) if r[col] != ""]
    return [num(rows[i][col]) for i in keep], [preds[col][i] for i in keep]


per_task, skipped = {}, []
for col in tox:
    y, p = masked(col)
    if len(set(y)) < 2:
        skipped.append(col)
        continue
    per_task[col] = metrics.roc_auc_score(y, p)
y, p = masked("blocker")
herg = metrics.roc_auc_score(y, p)
y, p = masked("logS")
expected["admet-suite"] = {
    "tox21_mean_auroc": float(np.mean(list(per_task.values()))),
    "herg_auroc": herg,
    "solubility_rmse": math.sqrt(metrics.mean_squared_error(y, p)),
}
expected["admet-suite-tasks"] = per_task
expected["admet-suite-skipped"] = skipped

with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=2)
    f.write("\n")
print(json.dumps(expected, indent=2))
