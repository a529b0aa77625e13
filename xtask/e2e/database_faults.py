"""Database faults under load: the server's PostgreSQL connections are killed again and again
while clients read and create campaigns.

Several clients list and read campaigns and create new ones (each creation with its own
Idempotency-Key, sent again with the same key after a 503 until it is acknowledged), while the
server's backends are terminated with pg_terminate_backend every few hundred milliseconds. No
answer may be a 500, and every acknowledged creation must be there afterwards, once. Run by
`cargo xtask e2e` with AME_BASE_URL, AME_API_KEY, AME_ADMIN_URL (a superuser connection) and
AME_APP_ROLE set; prints the figures and exits non-zero on any 500 or lost write.
"""

import collections
import os
import subprocess
import sys
import threading
import time
import uuid

import httpx

SECONDS = float(os.environ.get("AME_FAULT_SECONDS", "12"))
CLIENTS = 6


def main() -> None:
    base = os.environ["AME_BASE_URL"]
    headers = {"Authorization": f"Bearer {os.environ['AME_API_KEY']}"}
    statuses: collections.Counter = collections.Counter()
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS

    def client(n: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            i = 0
            while time.monotonic() < stop:
                i += 1
                key = str(uuid.uuid4())
                body = {"campaign_type": "referral", "objective": f"Get 50 referrals, client {n} wave {i}"}
                while True:
                    reply = http.post("/api/marketing/campaign", json=body, headers={"Idempotency-Key": key})
                    with lock:
                        statuses[reply.status_code] += 1
                    if reply.status_code == 201:
                        with lock:
                            acknowledged.append(reply.json()["id"])
                        break
                    if reply.status_code not in (409, 503):
                        return
                    time.sleep(0.05)
                for path in ("/api/marketing/campaigns?limit=20", f"/api/marketing/campaigns/{acknowledged[-1]}"):
                    reply = http.get(path)
                    with lock:
                        statuses[reply.status_code] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    kills = 0
    terminate = (
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        f"WHERE usename = '{os.environ['AME_APP_ROLE']}' AND pid <> pg_backend_pid()"
    )
    while time.monotonic() < stop:
        time.sleep(0.3)
        out = subprocess.run(
            ["psql", "-X", "-q", "-t", "-A", "-d", os.environ["AME_ADMIN_URL"], "-c", terminate],
            capture_output=True, text=True, check=True,
        )
        kills += int(out.stdout.strip() or 0)
    for t in threads:
        t.join()

    missing = 0
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        for campaign in acknowledged:
            for _ in range(20):
                reply = http.get(f"/api/marketing/campaigns/{campaign}")
                if reply.status_code != 503:
                    break
                time.sleep(0.2)
            if reply.status_code != 200:
                missing += 1
    duplicates = len(acknowledged) - len(set(acknowledged))
    total = sum(statuses.values())
    print(
        f"{total} requests while {kills} server connections were killed: "
        f"{dict(sorted(statuses.items()))}; {len(acknowledged)} acknowledged creations, "
        f"{missing} missing afterwards, {duplicates} duplicated"
    )
    if statuses[500] or missing or duplicates or kills == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
