"""Backtests AME's targeting model on the charity direct-mail data.

The donors are split 60/40 at random (seeded). Every donor becomes a contact (`ame contacts
import`, the columns as attributes); the 60% get outcome records of a past appeal (`ame outcomes
import`: respond = converted, gift = value). AME trains its model through the API, then scores a
campaign whose audience is the 40% it never saw; AUC, top-decile lift and calibration error are
measured on those. The model's coefficients are checked against scikit-learn's L2 logistic
regression fitted to the same standardised columns (to 1e-4).

Arguments: base URL, API key, organization id, ame binary, database URL, dataset path, work dir.
Prints one JSON line of figures last."""

import csv
import json
import math
import random
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

BASE, KEY, ORG, BINARY, DATABASE_URL, DATASET, WORK = sys.argv[1:8]
WORK = Path(WORK)
WORK.mkdir(parents=True, exist_ok=True)
ATTRIBUTES = ["resplast", "weekslast", "propresp", "mailsyear", "giftlast", "avggift"]
AUC_FLOOR = 0.77
COEFFICIENT_TOLERANCE = 1e-4
L2 = 1.0  # AME's default penalty on standardised coefficients; scikit-learn's C = 1 / L2.
CAPTURE_SHARES = [0.1, 0.2, 0.3, 0.5]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "targeting.md"


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + KEY)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read() or b"null")


def ame(*args):
    done = subprocess.run([BINARY, *args], env={"AME_DATABASE_URL": DATABASE_URL, "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout.strip()


def auc(scores, labels):
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    positives = sum(labels)
    negatives = len(labels) - positives
    rank_sum = sum(r for r, y in zip(ranks, labels) if y)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def top_decile_lift(scores, labels):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    top = order[: max(1, len(order) // 10)]
    return (sum(labels[i] for i in top) / len(top)) / (sum(labels) / len(labels))


def calibration_error(probabilities, labels, bins=10):
    order = sorted(range(len(probabilities)), key=lambda i: probabilities[i])
    n = len(order)
    error = 0.0
    for b in range(bins):
        part = order[b * n // bins:(b + 1) * n // bins]
        if part:
            predicted = sum(probabilities[i] for i in part) / len(part)
            observed = sum(labels[i] for i in part) / len(part)
            error += len(part) / n * abs(predicted - observed)
    return error


rows = list(csv.DictReader(open(DATASET, newline="")))
indices = list(range(len(rows)))
random.Random(20261130).shuffle(indices)
cut = int(len(rows) * 0.6)
train, test = set(indices[:cut]), set(indices[cut:])
email = lambda i: f"donor{i}@example.org"

with open(WORK / "contacts.csv", "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["email", *ATTRIBUTES, "split"])
    for i, row in enumerate(rows):
        out.writerow([email(i), *[row[a] for a in ATTRIBUTES], "train" if i in train else "test"])
print(ame("contacts", "import", str(WORK / "contacts.csv"), "--org", ORG))

past = call("POST", "/api/marketing/campaign", {"campaign_type": "client_retention",
                                                 "objective": "Spring appeal to past donors"})["id"]
with open(WORK / "outcomes.csv", "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["email", "group", "converted", "value"])
    for i in sorted(train):
        responded = rows[i]["respond"] == "1"
        out.writerow([email(i), "treatment", "true" if responded else "false",
                      f"{float(rows[i]['gift']):.2f}" if responded else ""])
print(ame("outcomes", "import", str(WORK / "outcomes.csv"), "--campaign", past, "--org", ORG))

model = call("POST", "/api/marketing/targeting/train?goal=conversions", {})
assert model["rows"] == len(train), (model["rows"], len(train))

segment = call("POST", "/api/marketing/segments",
               {"name": "Donors the model never saw",
                "filter": {"conditions": [{"attribute": "split", "equals": "test"}]}})["id"]
target = call("POST", "/api/marketing/campaign", {"campaign_type": "client_retention",
                                                   "objective": "Autumn appeal to the best prospects",
                                                   "audience": {"segment_id": segment}})["id"]
scores = {}
cursor = None
while True:
    query = "goal=conversions&limit=1000" + (f"&cursor={cursor}" if cursor else "")
    page = call("POST", f"/api/marketing/campaigns/{target}/audience/score?{query}")
    for item in page["items"]:
        scores[item["email"]] = (item["p_response"], item["expected_value"])
    cursor = page["next_cursor"]
    if not cursor:
        break
assert len(scores) == len(test), (len(scores), len(test))
held = sorted(test)
p = [scores[email(i)][0] for i in held]
expected = [scores[email(i)][1] for i in held]
y = [rows[i]["respond"] == "1" for i in held]
gifts = [float(rows[i]["gift"]) if rows[i]["respond"] == "1" else 0.0 for i in held]


def captured(ranking, share):
    order = sorted(range(len(held)), key=lambda i: -ranking[i])
    top = order[: round(share * len(order))]
    return sum(gifts[i] for i in top) / sum(gifts)


curve = [(share, captured(expected, share), captured(p, share)) for share in CAPTURE_SHARES]
curve_table = "\n".join(
    ["| mailed (top share) | gifts captured, ranked by expected value | ranked by P(response) |",
     "|---:|---:|---:|"]
    + [f"| {share:.0%} | {by_value:.1%} | {by_p:.1%} |" for share, by_value, by_p in curve])
figures = {
    "contacts": len(rows), "trained_on": len(train), "scored": len(held),
    "held_out_auc": auc(p, y), "held_out_top_decile_lift": top_decile_lift(p, y),
    "held_out_calibration_error": calibration_error(p, y),
    "best_single_column_auc": auc([float(rows[i]["propresp"]) for i in held], y),
    "model_internal_auc": model["held_out"]["auc"],
    "model_internal_calibration_error": model["held_out"]["calibration_error"],
    "value_per_response": model["value_per_response"],
    "value_model": model["value_model"],
    "captured_value": curve,
}
print(curve_table)

# The reference fit: the same standardised columns, scikit-learn's L2 logistic regression.
features = model["features"]


def raw(row, name):
    # `log1p(x)` columns are AME's log of a skewed amount; the others are the attribute itself.
    if name.startswith("log1p(") and name.endswith(")"):
        return math.log1p(float(row[name[6:-1]]))
    assert name in ATTRIBUTES, f"unexpected column {name}"
    return float(row[name])


ordered = sorted(train)
X = np.array([[(raw(rows[i], f["name"]) - f["mean"]) / f["sd"] for f in features] for i in ordered])
Y = np.array([rows[i]["respond"] == "1" for i in ordered], dtype=int)
reference = LogisticRegression(C=1.0 / L2, tol=1e-12, max_iter=100000).fit(X, Y)
ours = np.array([f["coefficient"] for f in features])
difference = max(float(np.max(np.abs(ours - reference.coef_[0]))),
                 abs(model["intercept"] - float(reference.intercept_[0])))
figures["reference_max_abs_difference"] = difference
figures["coefficients"] = {f["name"]: round(f["coefficient"], 6) for f in features}
print(json.dumps(figures))
assert difference < COEFFICIENT_TOLERANCE, f"coefficients differ from scikit-learn's by {difference}"
assert figures["held_out_auc"] >= AUC_FLOOR, f"held-out AUC {figures['held_out_auc']:.4f} < {AUC_FLOOR}"
assert not math.isnan(figures["held_out_calibration_error"])
assert figures["value_model"], "no value model was fitted on the gifts"
# Ranking by expected value captures more of the gifts than ranking by probability alone.
assert all(by_value > by_p for _, by_value, by_p in curve[:3]), curve
assert curve_table in DOCS.read_text(), "docs/targeting.md's captured-value table differs; replace it with:\n" + curve_table
