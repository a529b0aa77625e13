"""Generates a lead-generation campaign's assets through AME configured with a real local model
server, and checks that every asset either took the model's structured answer or fell back to the
built-in copywriter with the reason in its metadata. Standard library only."""

import json
import sys
import urllib.request

BASE, KEY = sys.argv[1], sys.argv[2]


def call(method, path, body=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + KEY)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read() or b"null")


status, _ = call("PUT", "/api/marketing/brand", {
    "company_name": "Ledgerly",
    "product": "automated month-end close software",
    "audience": "finance teams at mid-sized companies",
    "value_propositions": ["close the books in 3 days instead of 10", "catch reconciliation errors before auditors do"],
    "tone": "professional",
    "cta_text": "Book a demo",
    "cta_url": "https://ledgerly.example/demo",
    "primary_color": "#1f4e79",
    "accent_color": "#f2a900",
    "sign_off": "The Ledgerly team",
    "postal_address": "Ledgerly Inc., 100 Main St, Springfield, IL 62701, USA",
})
assert status == 200, status
status, campaign = call("POST", "/api/marketing/campaign", {
    "campaign_type": "lead_gen",
    "objective": "Book 40 demos with CFOs at mid-sized firms by March",
})
assert status == 201, status
status, generated = call("POST", "/api/marketing/generate-assets/" + campaign["id"], timeout=1800)
assert status == 201, status
items = generated["items"]
assert [a["asset_type"] for a in items] == ["landing_page", "email_sequence", "ad_creative"], items
accepted = 0
answered = 0
model_rules = {}
builtin_rules = {}
for asset in items:
    meta = asset["metadata"]
    generation = meta["generation"]
    fallback = generation.get("fallback")
    assert meta["quality"]["passed"], (asset["asset_type"], meta["quality"]["failed"], meta["quality"]["lint"])
    for finding in meta["quality"]["lint"]:
        builtin_rules[finding["rule"]] = builtin_rules.get(finding["rule"], 0) + 1
    mended = generation.get("mended")
    if fallback is None:
        assert generation["provider"] == "openai-compatible", generation
        accepted += 1
        answered += 1
        outcome = "model answer accepted"
        if mended is not None:
            # The fields the lint or the limits rejected were rewritten by the built-in writer.
            assert mended["fields_from_builtin"], mended
            for rule, count in mended.get("lint_by_rule", {}).items():
                model_rules[rule] = model_rules.get(rule, 0) + count
            outcome = (f"model answer mended ({len(mended['fields_from_builtin'])} fields "
                       f"from the built-in writer): " + "; ".join(mended["detail"][:3]))
    else:
        assert generation["provider"] == "builtin", generation
        # The reason is on record: a broken channel limit, copy a reader would reject, or an
        # unusable answer.
        assert fallback["reason"] in ("limits", "quality", "error"), fallback
        if fallback["reason"] in ("limits", "quality"):
            answered += 1
            assert fallback["rejected_model"], fallback
            for rule, count in fallback.get("lint_by_rule", {}).items():
                model_rules[rule] = model_rules.get(rule, 0) + count
            outcome = f"fell back ({fallback['reason']}): " + "; ".join(fallback["detail"][:3])
        else:
            assert fallback["detail"], fallback
            outcome = "fell back (error): " + fallback["detail"]
    print(f"{asset['asset_type']:<15} {generation['model']:<28} "
          f"latency {generation.get('latency_ms') or fallback.get('rejected_latency_ms')} ms  "
          f"tokens {generation.get('prompt_tokens')}/{generation.get('completion_tokens')}  {outcome}")
print(f"{accepted} of {len(items)} assets used the model's words; the rest fell back visibly")
print("copy lint findings by rule, local model's answers vs the built-in writer's kept words:")
for rule in sorted(set(model_rules) | set(builtin_rules)) or ["(none)"]:
    print(f"  {rule:<22} model {model_rules.get(rule, 0):>3}   built-in {builtin_rules.get(rule, 0):>3}")
# The structured-output path must work end to end: the model answered in the schema for at
# least one asset (its words then kept, or refused by the limits or the lint, on record).
assert answered >= 1, "the model never answered in the schema"
