"""The local SMTP sink's own ceiling, for `cargo xtask bench scheduler`: a plain Python `smtplib`
sender pushes messages of the size AME sent (AME_MESSAGE_BYTES) into the same aiosmtpd sink the
end-to-end run uses (counting Message-IDs the same way), over one connection and over eight.
The sender runs in its own process, as AME's workers do. Prints one line per connection count.
"""

import multiprocessing
import os
import smtplib
import threading
import time

from aiosmtpd.controller import Controller

from exactly_once import Sink, free_port

MESSAGES = int(os.environ.get("AME_CEILING_MESSAGES", "6000"))


def message(size: int, sender: int, index: int) -> bytes:
    head = (
        "From: Ledgerly <news@ledgerly.example>\r\n"
        f"To: person{sender}-{index}@example.com\r\n"
        "Subject: Close the books in 3 days\r\n"
        f"Message-ID: <{sender}.{index}@bench.ledgerly.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    line = "x" * 76 + "\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    return (head + body).encode()


def send(port: int, connections: int, per_connection: int, size: int) -> None:
    def one(sender: int) -> None:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for i in range(per_connection):
                smtp.sendmail(
                    "news@ledgerly.example",
                    [f"person{sender}-{i}@example.com"],
                    message(size, sender, i),
                )

    threads = [threading.Thread(target=one, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main() -> None:
    size = int(os.environ.get("AME_MESSAGE_BYTES", "5000"))
    for connections in (1, 8):
        sink = Sink()
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        per_connection = MESSAGES // connections
        began = time.monotonic()
        sender = multiprocessing.Process(target=send, args=(port, connections, per_connection, size))
        sender.start()
        sender.join()
        elapsed = time.monotonic() - began
        controller.stop()
        received = sink.unique()
        if sender.exitcode != 0 or received != per_connection * connections:
            raise SystemExit(f"the plain sender failed: {received} received, exit {sender.exitcode}")
        print(
            f"ceiling: {connections} connection(s), {received} messages of {size} bytes, "
            f"{elapsed:.1f} s, {received / elapsed:.0f} emails/s",
            flush=True,
        )


if __name__ == "__main__":
    main()
