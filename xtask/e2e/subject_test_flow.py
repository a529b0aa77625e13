"""A subject test learned from real clicks: one campaign to 600 contacts through `ame serve` into a
local SMTP sink (aiosmtpd). For every first-step message the sink reads the subject and, with the
probability of that subject (35% for the last variant, 4% for the others), follows the message's
tracked link over HTTP before it accepts the message, as a reader would. The test must move its
weights toward the better subject and promote it.

Run by `cargo xtask e2e` with AME_BINARY, AME_DATABASE_URL, AME_API_KEY, AME_BLOB_STORE and
AME_LOG_FILE set (SQLite, embedded worker).
"""

import email
import email.policy
import os
import random
import re
import threading
import time
from datetime import datetime, timedelta, timezone

import httpx
from aiosmtpd.controller import Controller

from exactly_once import BRAND, environment, expect, free_port, start

CONTACTS = 600
DEADLINE_SECONDS = 300
TRACKED = re.compile(r"(https?://[^\s\"<>]+/t/[A-Za-z0-9_.~-]*[A-Za-z0-9_~-])")


class ClickingReader:
    """Accepts messages; clicks the first step's tracked link with its subject's probability."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.subjects: list[str] = []
        self.probability: dict[str, float] = {}
        self.shown: list[str] = []
        self.clicks = 0
        self.random = random.Random(20261130)
        # Readers click in a browser: scripted clients are sent on but not counted.
        self.http = httpx.Client(timeout=30, headers={
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"})

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        subject = str(message["subject"])
        if subject in self.probability:
            text = message.get_body(preferencelist=("plain",)).get_content()
            link = TRACKED.search(text)
            with self.lock:
                self.shown.append(subject)
                click = self.random.random() < self.probability[subject]
            if click and link:
                reply = self.http.get(link.group(1), follow_redirects=False)
                assert reply.status_code in (302, 303, 307), reply.status_code
                with self.lock:
                    self.clicks += 1
        return "250 2.0.0 OK"


def main() -> None:
    reader = ClickingReader()
    smtp_port = free_port()
    controller = Controller(reader, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = environment(smtp_port)
    api_port = free_port()
    env["AME_PUBLIC_URL"] = f"http://127.0.0.1:{api_port}"
    server, base = start(["serve", "--bind", f"127.0.0.1:{api_port}", "--workers", "2"], env,
                         "AME listens on ")
    client = httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {os.environ['AME_API_KEY']}"})
    expect(client.put("/api/marketing/brand", json=BRAND), 200, "saving the brand")
    rows = [{"email": f"reader{i}@example.com", "first_name": f"Reader{i}"} for i in range(CONTACTS)]
    expect(client.post("/api/marketing/contacts", json=rows), 200, "adding contacts")
    # Started yesterday, so the first step is due at once in a window open every day; the later
    # steps fall due days from now and are not part of this test.
    planned_start = (datetime.now(timezone.utc) - timedelta(days=1)).replace(microsecond=0)
    campaign = expect(client.post("/api/marketing/campaign", json={
        "campaign_type": "re_engagement",
        "objective": "Win back finance teams who stopped closing with us",
        "start_at": planned_start.isoformat().replace("+00:00", "Z"),
        "audience": {"all_subscribed": True},
        "holdout_fraction": 0,
        "send_window": {"days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                        "start": "00:00:00", "end": "23:59:59"},
    }), 201, "creating the campaign")["id"]
    expect(client.post(f"/api/marketing/generate-assets/{campaign}"), 201, "generating assets")
    assets = expect(client.get(f"/api/marketing/campaigns/{campaign}/assets"), 200, "reading assets")
    sequence = next(a for a in assets["items"] if a["asset_type"] == "email_sequence")
    reader.subjects = sequence["content"]["emails"][0]["subject"]
    assert len(reader.subjects) >= 2, reader.subjects
    best = reader.subjects[-1]
    reader.probability = {s: (0.35 if s == best else 0.04) for s in reader.subjects}
    expect(client.post(f"/api/marketing/campaigns/{campaign}/status", json={"status": "scheduled"}),
           200, "scheduling")

    began = time.monotonic()
    while len(reader.shown) < CONTACTS and time.monotonic() - began < DEADLINE_SECONDS:
        time.sleep(0.5)
    elapsed = time.monotonic() - began
    tests = expect(client.get(f"/api/marketing/campaigns/{campaign}/experiments"), 200, "tests")
    server.terminate()
    server.wait(timeout=60)
    controller.stop()

    test = next(t for t in tests["items"] if t["field"] == "email_subject_step_1")
    winner = test["winner"]
    late = reader.shown[-100:]
    share = sum(1 for s in late if s == best) / max(len(late), 1)
    print(f"{len(reader.shown)} first-step emails in {elapsed:.1f} s, {reader.clicks} clicks; "
          f"state {test['state']}, winner {winner} (best is {len(reader.subjects) - 1}); "
          f"the best subject in {share:.0%} of the last 100 sends; "
          f"weights {[round(a['weight'], 3) for a in test['arms']]}", flush=True)
    if len(reader.shown) != CONTACTS:
        raise SystemExit(f"only {len(reader.shown)} of {CONTACTS} first-step emails arrived")
    if test["state"] != "promoted" or winner != len(reader.subjects) - 1:
        raise SystemExit(f"the better subject was not promoted: {test}")
    if not any(e["kind"] == "promoted" for e in test["events"]):
        raise SystemExit(f"no promotion event: {test}")
    if share < 0.9:
        raise SystemExit(f"only {share:.0%} of the last 100 sends used the promoted subject")


if __name__ == "__main__":
    main()
