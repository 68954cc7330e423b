#!/usr/bin/python3
"""Writes reference.json: seeded inputs and the values scikit-learn, scipy,
numpy and RDKit compute for them, so core/qa's tests compare against the
reference implementations without needing Python.

Run with Debian's interpreter and packages:
    apt-get install -y python3-sklearn python3-scipy python3-rdkit
    /usr/bin/python3 core/qa/__fixtures__/make-reference.py
"""
import json
import math
import os

import numpy as np
import rdkit
import scipy
import sklearn
from rdkit.ML.Scoring import Scoring
from scipy import stats
from sklearn import metrics

HERE = os.path.dirname(os.path.abspath(__file__))
cases = []


def as_list(a):
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in np.asarray(a, dtype=object).tolist()]


def kept(truth, mask):
    return [i for i, t in enumerate(truth) if t is not None and not (isinstance(t, float) and math.isnan(t)) and (mask is None or mask[i])]


inputs = {}


def add(metric, name, expected, **args):
    """Arrays go to `inputs` once, keyed by their JSON; a case names its input."""
    arrays, scalars = {}, {}
    for k, v in args.items():
        if isinstance(v, np.ndarray):
            v = v.tolist()
        if k in ("truth", "pred", "score"):
            v = [None if (x is None or (isinstance(x, float) and math.isnan(x))) else x for x in v]
        (arrays if isinstance(v, list) else scalars)[k] = v
    key = json.dumps(arrays, sort_keys=True)
    if key not in inputs:
        inputs[key] = f"in{len(inputs)}"
    cases.append({"metric": metric, "name": name, "input": inputs[key], "args": scalars, "expected": float(expected)})


def pair(truth, pred, mask):
    idx = kept(truth, mask)
    return np.array([truth[i] for i in idx], dtype=float), np.array([pred[i] for i in idx], dtype=float)


def binary_inputs(seed, n, pos_rate, round_to=None, missing=0.0, with_mask=False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < pos_rate).astype(int)
    s = rng.random(n) * 0.6 + y * 0.3
    if round_to is not None:
        s = np.round(s, round_to)
    truth = [int(v) for v in y]
    for i in range(n):
        if rng.random() < missing:
            truth[i] = None
    mask = [bool(v) for v in (rng.random(n) > 0.2)] if with_mask else None
    return truth, [float(v) for v in s], mask


# Binary score metrics ------------------------------------------------------
score_sets = {
    "random": binary_inputs(1, 200, 0.4),
    "ties": binary_inputs(2, 300, 0.3, round_to=1),
    "imbalanced": binary_inputs(3, 1000, 0.02, round_to=3),
    "perfect": ([0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.8, 0.9], None),
    "inverted": ([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.8], None),
    "all-tied": ([0, 1, 0, 1, 1], [0.5] * 5, None),
    "masked": binary_inputs(4, 150, 0.35, round_to=2, missing=0.2, with_mask=True),
}
for name, (truth, score, mask) in score_sets.items():
    t, s = pair(truth, score, mask)
    args = {"truth": truth, "score": score}
    if mask is not None:
        args["mask"] = mask
    add("roc_auc", name, metrics.roc_auc_score(t, s), **args)
    add("average_precision", name, metrics.average_precision_score(t, s), **args)
    p = np.clip(s, 0, 1)
    pargs = dict(args, score=[float(v) for v in np.clip(score, 0, 1)])
    add("brier", name, metrics.brier_score_loss(t, p), **pargs)
    add("log_loss", name, metrics.log_loss(t, p, labels=[0, 1]), **pargs)

# log loss clipping at 0 and 1
add("log_loss", "clipped", metrics.log_loss([0, 1, 1, 0], [0.0, 1.0, 0.0, 1.0], labels=[0, 1]), truth=[0, 1, 1, 0], score=[0.0, 1.0, 0.0, 1.0])

# Label metrics --------------------------------------------------------------
def label_inputs(seed, n, k, noise, missing=0.0, with_mask=False):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    p = np.where(rng.random(n) < noise, rng.integers(0, k, n), y)
    truth = [int(v) for v in y]
    for i in range(n):
        if rng.random() < missing:
            truth[i] = None
    mask = [bool(v) for v in (rng.random(n) > 0.2)] if with_mask else None
    return truth, [int(v) for v in p], mask


label_sets = {
    "binary-random": label_inputs(10, 200, 2, 0.4),
    "binary-imbalanced": ([0] * 95 + [1] * 5, [0] * 93 + [1] * 2 + [1] * 3 + [0] * 2, None),
    "binary-perfect": ([0, 1, 1, 0, 1], [0, 1, 1, 0, 1], None),
    "binary-all-one-predicted": ([0, 1, 1, 0], [1, 1, 1, 1], None),
    "binary-masked": label_inputs(11, 120, 2, 0.3, missing=0.2, with_mask=True),
    "multiclass": label_inputs(12, 300, 4, 0.5),
    "multiclass-unseen-pred": ([0, 0, 1, 1, 2], [0, 3, 1, 1, 3], None),
}
for name, (truth, pred, mask) in label_sets.items():
    t, p = pair(truth, pred, mask)
    args = {"truth": truth, "pred": pred}
    if mask is not None:
        args["mask"] = mask
    add("accuracy", name, metrics.accuracy_score(t, p), **args)
    add("balanced_accuracy", name, metrics.balanced_accuracy_score(t, p), **args)
    add("mcc", name, metrics.matthews_corrcoef(t, p), **args)
    add("f1_macro", name, metrics.f1_score(t, p, average="macro", zero_division=0), **args)
    add("f1_micro", name, metrics.f1_score(t, p, average="micro", zero_division=0), **args)
    if name.startswith("binary"):
        add("f1_binary", name, metrics.f1_score(t, p, average="binary", zero_division=0), **args)

# Regression -----------------------------------------------------------------
def reg_inputs(seed, n, noise, round_to=None, missing=0.0, with_mask=False):
    rng = np.random.default_rng(seed)
    y = rng.normal(-3, 2, n)
    p = y + rng.normal(0, noise, n)
    if round_to is not None:
        y, p = np.round(y, round_to), np.round(p, round_to)
    truth = [float(v) for v in y]
    for i in range(n):
        if rng.random() < missing:
            truth[i] = None
    mask = [bool(v) for v in (rng.random(n) > 0.2)] if with_mask else None
    return truth, [float(v) for v in p], mask


reg_sets = {
    "random": reg_inputs(20, 250, 1.0),
    "ties": reg_inputs(21, 200, 0.8, round_to=0),
    "perfect": ([1.0, 2.0, 3.5, -1.0], [1.0, 2.0, 3.5, -1.0], None),
    "anti": ([1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0], None),
    "masked": reg_inputs(22, 180, 1.5, missing=0.15, with_mask=True),
}
for name, (truth, pred, mask) in reg_sets.items():
    t, p = pair(truth, pred, mask)
    args = {"truth": truth, "pred": pred}
    if mask is not None:
        args["mask"] = mask
    add("mae", name, metrics.mean_absolute_error(t, p), **args)
    add("rmse", name, math.sqrt(metrics.mean_squared_error(t, p)), **args)
    add("r2", name, metrics.r2_score(t, p), **args)
    add("pearson", name, stats.pearsonr(t, p)[0], **args)
    add("spearman", name, stats.spearmanr(t, p)[0], **args)
add("r2", "constant-labels-perfect", metrics.r2_score([2.0, 2.0], [2.0, 2.0]), truth=[2.0, 2.0], pred=[2.0, 2.0])
add("r2", "constant-labels-off", metrics.r2_score([2.0, 2.0], [1.0, 2.0]), truth=[2.0, 2.0], pred=[1.0, 2.0])

# Screening: RDKit on the list sorted by score, highest first, ties in input
# order (Python's sort is stable). ------------------------------------------
def ranked(truth, score, mask):
    idx = kept(truth, mask)
    rows = [(score[i], truth[i]) for i in idx]
    return sorted(rows, key=lambda r: -r[0])


screen_sets = {
    "random": binary_inputs(30, 500, 0.05),
    "ties": binary_inputs(31, 400, 0.1, round_to=1),
    "perfect": ([0] * 45 + [1] * 5, [i / 50 for i in range(50)], None),
    "worst": ([1] * 5 + [0] * 45, [i / 50 for i in range(50)], None),
    "masked": binary_inputs(32, 300, 0.08, round_to=2, missing=0.1, with_mask=True),
}
for name, (truth, score, mask) in screen_sets.items():
    rows = ranked(truth, score, mask)
    args = {"truth": truth, "score": score}
    if mask is not None:
        args["mask"] = mask
    for frac in (0.01, 0.05, 0.1):
        add("enrichment_factor", f"{name}-{frac}", Scoring.CalcEnrichment(rows, 1, [frac])[0], fraction=frac, **args)
    for alpha in (20.0, 80.5):
        add("bedroc", f"{name}-{alpha}", Scoring.CalcBEDROC(rows, 1, alpha), alpha=alpha, **args)
    labels = [r[1] for r in rows]
    for k in (1, 10, 25):
        add("precision_at_k", f"{name}-{k}", sum(labels[:k]) / k, k=k, **args)
        add("recall_at_k", f"{name}-{k}", sum(labels[:k]) / sum(labels), k=k, **args)

# Latency percentiles: numpy's default (linear) method ------------------------
rng = np.random.default_rng(40)
for name, xs in {
    "lognormal": rng.lognormal(3, 0.7, 1001),
    "small": np.array([12.0, 15.0, 11.0, 90.0]),
    "one": np.array([7.5]),
    "ties": np.round(rng.exponential(20, 333)),
}.items():
    for q in (50, 95, 99):
        add("percentile", f"{name}-p{q}", np.percentile(xs, q), values=[float(v) for v in xs], q=q)

out = {
    "generator": "core/qa/__fixtures__/make-reference.py",
    "versions": {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "rdkit": rdkit.__version__,
    },
    "inputs": {v: json.loads(k) for k, v in inputs.items()},
    "cases": cases,
}
with open(os.path.join(HERE, "reference.json"), "w") as f:
    json.dump(out, f, indent=None, separators=(",", ":"))
    f.write("\n")
print(f"{len(cases)} cases, {out['versions']}")
