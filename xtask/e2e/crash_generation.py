"""Exactly-once generation under crashes: keyed generations, the server killed with SIGKILL at
random moments, then retried with the same Idempotency-Key on a restarted server.

Every round starts `ame serve`, sends a keyed generate-assets request for several campaigns at
once, kills the server at a random moment and restarts it; the client then retries each request
with its key until it gets an answer. Afterwards every campaign must have exactly one asset set
version, holding every asset its type calls for. Run by `cargo xtask e2e` with AME_BINARY,
AME_DATABASE_URL, AME_API_KEY, AME_BLOB_STORE and AME_CRASH_LOG set; exits non-zero on any duplicate or
partial set and prints the figures.
"""

import os
import pathlib
import random
import signal
import subprocess
import sys
import threading
import time
import uuid

import httpx

ROUNDS = int(os.environ.get("AME_CRASH_ROUNDS", "10"))
PER_ROUND = 5
LEASE_SECONDS = "1"


def start_server() -> tuple[subprocess.Popen, str]:
    env = dict(os.environ)
    env["AME_IDEMPOTENCY_LEASE_SECONDS"] = LEASE_SECONDS
    env["AME_RATE_LIMIT_EXPENSIVE"] = "0"
    env["AME_RATE_LIMIT_WRITES"] = "0"
    env["AME_LOG"] = "warn"
    log = open(os.environ["AME_CRASH_LOG"], "a")
    server = subprocess.Popen(
        [os.environ["AME_BINARY"], "serve", "--bind", "127.0.0.1:0", "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    for line in server.stdout:
        if line.startswith("AME listens on "):
            threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
            return server, line.removeprefix("AME listens on ").strip()
    raise SystemExit("ame serve exited before listening")


def new_campaign(client: httpx.Client, kind: str, n: int) -> str:
    reply = client.post(
        "/api/marketing/campaign",
        json={
            "campaign_type": kind,
            "objective": f"Win back 300 lapsed subscribers, wave {n}",
        },
    )
    if reply.status_code != 201:
        raise SystemExit(f"creating a campaign: {reply.status_code} {reply.text}")
    return reply.json()["id"]


def generate(client: httpx.Client, campaign: str, key: str) -> httpx.Response | None:
    try:
        return client.post(
            f"/api/marketing/generate-assets/{campaign}",
            headers={"Idempotency-Key": key},
            timeout=120,
        )
    except httpx.HTTPError:
        return None


def main() -> None:
    headers = {"Authorization": f"Bearer {os.environ['AME_API_KEY']}"}
    kinds = ["lead_gen", "brand_awareness", "client_retention", "re_engagement", "upsell", "referral"]
    rng = random.Random(int(os.environ.get("AME_E2E_SEED", "20261130")))
    server, base = start_server()
    client = httpx.Client(base_url=base, headers=headers, timeout=120)
    expected = {}
    for kind in kinds:
        probe = new_campaign(client, kind, 0)
        started = time.monotonic()
        reply = generate(client, probe, str(uuid.uuid4()))
        expected[kind] = len(reply.json()["items"])
        duration = time.monotonic() - started
    work = []
    killed_before_answer = 0
    for round_ in range(ROUNDS):
        batch = []
        for i in range(PER_ROUND):
            kind = kinds[(round_ * PER_ROUND + i) % len(kinds)]
            batch.append((new_campaign(client, kind, round_ * PER_ROUND + i), kind, str(uuid.uuid4())))
        answers = {}

        def fire(campaign: str, key: str) -> None:
            answers[campaign] = generate(httpx.Client(base_url=base, headers=headers), campaign, key)

        threads = [threading.Thread(target=fire, args=(c, k)) for c, _, k in batch]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.0, duration * PER_ROUND * 1.2))
        server.send_signal(signal.SIGKILL)
        server.wait()
        for t in threads:
            t.join()
        killed_before_answer += sum(1 for c, _, _ in batch if answers.get(c) is None)
        server, base = start_server()
        client = httpx.Client(base_url=base, headers=headers, timeout=120)
        for campaign, kind, key in batch:
            deadline = time.monotonic() + 60
            while True:
                reply = generate(client, campaign, key)
                if reply is not None and reply.status_code in (200, 201):
                    break
                if reply is not None and reply.status_code != 409:
                    raise SystemExit(f"retry of {campaign}: {reply.status_code} {reply.text}")
                if time.monotonic() > deadline:
                    raise SystemExit(f"retry of {campaign} still refused after 60 s")
                time.sleep(0.2)
            work.append((campaign, kind))
    duplicates = 0
    partial = 0
    for campaign, kind in work:
        versions = client.get(f"/api/marketing/campaigns/{campaign}/asset-versions").json()
        if len(versions["items"]) != 1:
            duplicates += 1
        assets = client.get(f"/api/marketing/campaigns/{campaign}/assets").json()["items"]
        if len(assets) != expected[kind]:
            partial += 1
    # A deleted campaign's own files are unreferenced: the sweep removes them, and nothing else
    # (files are content-addressed, so ones it shares with other campaigns stay).
    generations = len(work)

    def keys_of(campaign: str) -> set[str]:
        items = client.get(f"/api/marketing/campaigns/{campaign}/assets").json()["items"]
        return {f["key"] for a in items for f in a["metadata"].get("files", [])}

    deleted = next(c for c, kind in work if kind == "re_engagement")
    work = [(c, kind) for c, kind in work if c != deleted]
    shared = set().union(*(keys_of(c) for c, _ in work))
    own_files = keys_of(deleted) - shared
    if not own_files:
        raise SystemExit("the campaign to delete has no files of its own")
    if client.delete(f"/api/marketing/campaigns/{deleted}").status_code != 204:
        raise SystemExit("deleting a campaign failed")
    # The sweep never takes a file younger than a generation may take to store its set (10
    # minutes): age every file past that, then write one unreferenced file now, as a generation
    # in flight would have, which must survive even `--min-age-minutes 0`.
    root = pathlib.Path(os.environ["AME_BLOB_STORE"])
    aged = time.time() - 20 * 60
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (aged, aged))
    org_dir = next(p for p in root.iterdir() if p.is_dir() and is_uuid(p.name))
    in_flight = org_dir / f"in-flight-{uuid.uuid4().hex}"
    in_flight.write_bytes(b"written by a generation that has not stored its set yet")
    swept = subprocess.run(
        [os.environ["AME_BINARY"], "gc", "--min-age-minutes", "0"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    missing = 0
    for campaign, _ in work:
        for asset in client.get(f"/api/marketing/campaigns/{campaign}/assets").json()["items"]:
            for file in asset["metadata"].get("files", []):
                reply = client.get(f"/api/marketing/assets/{asset['id']}/files/{file['name']}")
                if reply.status_code != 200:
                    missing += 1
    server.send_signal(signal.SIGTERM)
    server.wait()
    print(f"ame gc: {swept}; files of the stored sets missing afterwards: {missing}")
    removed = int(swept.split(" removed ")[1].split()[0])
    print(f"the deleted campaign had {len(own_files)} files of its own; the sweep removed {removed}")
    survived = in_flight.exists()
    print(f"the file of a generation in flight survived the sweep: {survived}")
    if missing or removed < len(own_files) or not survived:
        sys.exit(1)
    print(
        f"{generations} keyed generations, {ROUNDS} kills with SIGKILL, {killed_before_answer} "
        f"requests cut off before their answer: {duplicates} duplicate versions, {partial} partial sets"
    )
    if duplicates or partial:
        sys.exit(1)


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
        return True
    except ValueError:
        return False


if __name__ == "__main__":
    main()
