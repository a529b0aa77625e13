"""Exactly-once sending under crashes: one campaign to 9,000 contacts = 9,000 emails into a local
SMTP sink (aiosmtpd), while the processes sending them are killed with SIGKILL and restarted. The
campaign started eleven days late, so every step of its three-step sequence is overdue: only the
first may go now, the others keep their spacing from it (and must not arrive).

On PostgreSQL (AME_MODE=workers): `ame serve --no-worker` serves the API and three `ame worker`
processes (AME_WORKERS) send; a random worker is killed 5 times. On SQLite (AME_MODE=embedded): one `ame serve`
with its embedded worker sends and is killed 3 times. Each worker holds one job at a time, so a
kill can repeat at most the one message it was handing over.

Counted by Message-ID in the sink: lost messages must be 0 and duplicates at most one per kill;
the figures are printed. Every message is DKIM-signed (RSA on PostgreSQL, Ed25519 on SQLite) and
every one received must verify under dkimpy. Run by `cargo xtask e2e` with AME_BINARY, AME_DATABASE_URL (the
application's), AME_API_KEY, AME_BLOB_STORE, AME_MODE and AME_LOG_FILE set.
"""

import asyncio
import os
import pathlib
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import httpx
from aiosmtpd.controller import Controller

from dkim_check import Verifier, write_keys

CONTACTS = int(os.environ.get("AME_EXACTLY_ONCE_CONTACTS", "9000"))
ZONES = ["Pacific/Auckland", "America/Los_Angeles", "Europe/London", "Asia/Kolkata"]
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)
DEADLINE_SECONDS = 600
# The brand of the test organization.
BRAND = {
    "company_name": "Ledgerly",
    "product": "automated month-end close software",
    "audience": "finance teams at mid-sized companies",
    "value_propositions": ["close the books in 3 days instead of 10"],
    "tone": "professional",
    "cta_text": "Book a demo",
    "cta_url": "https://ledgerly.example/demo",
    "primary_color": "#1f4e79",
    "accent_color": "#f2a900",
    "sign_off": "The Ledgerly team",
    "postal_address": "Ledgerly Inc., 100 Main St, Springfield, IL 62701, USA",
}


class Sink:
    """Counts the messages it accepts by Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[bytes, int] = {}
        self.first: dict[bytes, bytes] = {}
        self.total = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        found = MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.total += 1
            key = found.group(1) if found else b"<missing>"
            self.counts[key] = self.counts.get(key, 0) + 1
            self.first.setdefault(key, envelope.original_content or envelope.content)
        return "250 2.0.0 OK"

    def unique(self) -> int:
        with self.lock:
            return len(self.counts)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(smtp_port: int, keys: pathlib.Path | None = None, ed25519: bool = False) -> dict:
    """The settings of the processes under test; with `keys`, they DKIM-sign with one of them."""
    env = dict(os.environ)
    if keys is not None:
        env.update(
            {
                "AME_DKIM_SELECTOR": "ed25519" if ed25519 else "rsa",
                "AME_DKIM_DOMAIN": "ledgerly.example",
                "AME_DKIM_KEY_FILE": str(keys / ("ed25519.key" if ed25519 else "rsa.pem")),
                "AME_DKIM_ED25519": "true" if ed25519 else "false",
            }
        )
    env.update(
        {
            "AME_SMTP_HOST": "127.0.0.1",
            "AME_SMTP_PORT": str(smtp_port),
            "AME_SMTP_SECURITY": "none",
            "AME_MAIL_FROM": "Ledgerly <news@ledgerly.example>",
            "AME_SEND_RATE": "0",
            "AME_LINK_SECRET": "e2e-link-secret-of-at-least-32-characters",
            "AME_JOB_LEASE_SECONDS": "5",
            "AME_WORKER_CONCURRENCY": os.environ.get("AME_SEND_CONCURRENCY", "1"),
            "AME_RATE_LIMIT_WRITES": "0",
            "AME_RATE_LIMIT_EXPENSIVE": "0",
            "AME_LOG": "warn",
        }
    )
    return env


def start(args: list[str], env: dict, wait_for: str | None) -> tuple[subprocess.Popen, str | None]:
    log = open(os.environ["AME_LOG_FILE"], "a")
    process = subprocess.Popen(
        [os.environ["AME_BINARY"], *args], env=env, stdout=subprocess.PIPE, stderr=log, text=True
    )
    base = None
    for line in process.stdout:
        if wait_for and line.startswith(wait_for):
            base = line.removeprefix(wait_for).strip()
            break
        if not wait_for and line.startswith("AME worker"):
            break
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    if process.poll() is not None:
        raise SystemExit(f"{args[0]} exited at start; see {os.environ['AME_LOG_FILE']}")
    return process, base


def call(client_of, method: str, path: str, **kwargs) -> httpx.Response:
    """A request that survives the server being killed and restarted (embedded mode)."""
    for _ in range(600):
        try:
            return client_of().request(method, path, **kwargs)
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{method} {path}: the server did not come back")


def expect(reply: httpx.Response, status: int, what: str) -> dict:
    if reply.status_code != status:
        raise SystemExit(f"{what}: {reply.status_code} {reply.text}")
    return reply.json() if reply.content else {}


def main() -> None:
    mode = os.environ["AME_MODE"]
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    keys = pathlib.Path(os.environ["AME_BLOB_STORE"]).parent / "dkim-keys"
    write_keys(keys)
    env = environment(smtp_port, keys, ed25519=mode != "workers")
    api_port = free_port()
    serve_args = ["serve", "--bind", f"127.0.0.1:{api_port}", "--workers", "2"]
    if mode == "workers":
        serve_args.append("--no-worker")
    server, base = start(serve_args, env, "AME listens on ")
    state = {"server": server, "client": httpx.Client(base_url=base, timeout=60,
                                                     headers={"Authorization": f"Bearer {os.environ['AME_API_KEY']}"})}
    client = lambda: state["client"]  # noqa: E731

    expect(call(client, "PUT", "/api/marketing/brand", json=BRAND), 200, "saving the brand")
    for first in range(0, CONTACTS, 1000):
        rows = [
            {"email": f"person{i}@example.com", "first_name": f"Person{i}", "time_zone": ZONES[i % len(ZONES)]}
            for i in range(first, min(first + 1000, CONTACTS))
        ]
        expect(call(client, "POST", "/api/marketing/contacts", json=rows), 200, "adding contacts")
    # Planned to start eleven days ago, so all three steps (days 0, 4 and 10) are overdue, in a
    # window open every day: the first goes now, the others days after it.
    planned_start = (datetime.now(timezone.utc) - timedelta(days=11)).replace(microsecond=0)
    campaign = expect(call(client, "POST", "/api/marketing/campaign", json={
        "campaign_type": "re_engagement",
        "objective": "Win back finance teams who stopped closing with us",
        "start_at": planned_start.isoformat().replace("+00:00", "Z"),
        "audience": {"all_subscribed": True},
        "holdout_fraction": 0,
        "send_window": {"days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                        "start": "00:00:00", "end": "23:59:59"},
    }), 201, "creating the campaign")["id"]
    expect(call(client, "POST", f"/api/marketing/generate-assets/{campaign}"), 201, "generating assets")

    workers: list[subprocess.Popen] = []
    if mode == "workers":
        for _ in range(int(os.environ.get("AME_WORKERS", "3"))):
            workers.append(start(["worker"], env, None)[0])
    began = time.monotonic()
    expect(call(client, "POST", f"/api/marketing/campaigns/{campaign}/status",
                json={"status": "scheduled"}), 200, "scheduling")

    kills = int(os.environ.get("AME_KILLS", "5" if mode == "workers" else "3"))
    expected = CONTACTS
    done_kills = 0
    while (done_kills < kills and sink.unique() < expected * 0.9
           and time.monotonic() - began < DEADLINE_SECONDS):
        time.sleep(random.uniform(0.5, 2.5))
        if sink.unique() < 50:
            continue
        if mode == "workers":
            i = random.randrange(len(workers))
            workers[i].send_signal(signal.SIGKILL)
            workers[i].wait()
            workers[i] = start(["worker"], env, None)[0]
        else:
            state["server"].send_signal(signal.SIGKILL)
            state["server"].wait()
            state["server"], base = start(serve_args, env, "AME listens on ")
            state["client"] = httpx.Client(base_url=base, timeout=60,
                                           headers={"Authorization": f"Bearer {os.environ['AME_API_KEY']}"})
        done_kills += 1
        print(f"kill {done_kills}: {sink.unique()} of {expected} messages in the sink", flush=True)

    next_report = time.monotonic() + 60
    while sink.unique() < expected and time.monotonic() - began < DEADLINE_SECONDS:
        time.sleep(0.5)
        if time.monotonic() >= next_report:
            next_report += 60
            print(f"{time.monotonic() - began:.0f} s: {sink.unique()} of {expected} messages in the sink",
                  flush=True)
    elapsed = time.monotonic() - began
    # Let anything still in flight land, then stop every process as an operator would.
    time.sleep(6)
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        w.wait(timeout=60)
    state["server"].send_signal(signal.SIGTERM)
    state["server"].wait(timeout=60)
    controller.stop()

    unique = sink.unique()
    duplicates = sink.total - unique
    lost = expected - unique
    rate = unique / elapsed if elapsed else 0.0
    print(
        f"{mode}: {expected} emails expected, {unique} distinct Message-IDs received "
        f"({lost} lost), {duplicates} duplicates after {done_kills} kills; "
        f"{elapsed:.1f} s, {rate:.0f} emails/s",
        flush=True,
    )
    mean_size = sum(len(m) for m in sink.first.values()) / max(1, len(sink.first))
    print(f"mean message size: {mean_size:.0f} bytes", flush=True)
    later_steps = [k for k in sink.counts if not re.match(rb"^<[^.]+\.1\.", k)]
    print(f"steps after the first received: {len(later_steps)}", flush=True)
    if later_steps:
        raise SystemExit(f"later steps arrived before their spacing, e.g. {later_steps[:3]}")
    verifier = Verifier(keys)
    unverified = [k for k, message in sink.first.items() if not verifier.verify(message)]
    print(f"DKIM: {len(sink.first) - len(unverified)} of {len(sink.first)} messages verify under dkimpy",
          flush=True)
    if unverified:
        raise SystemExit(f"{len(unverified)} signatures do not verify, e.g. {unverified[:3]}")
    if done_kills < kills:  # pragma: no cover (a run too fast to kill)
        raise SystemExit(f"only {done_kills} of {kills} kills happened before sending ended")
    if lost != 0:
        log = pathlib.Path(os.environ["AME_LOG_FILE"]).read_text(errors="replace").splitlines()
        print("the last lines of the senders' log:", *log[-40:], sep="\n", flush=True)
        raise SystemExit(f"{lost} messages were lost")
    if duplicates > done_kills:
        raise SystemExit(f"{duplicates} duplicates after {done_kills} kills: more than one per kill")


if __name__ == "__main__":
    main()
