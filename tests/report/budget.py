#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The receiver's body budget (worker.c): hundreds of peers on direct
FastCGI connections each declare a body of body_max and send most of it
as fast as the worker takes it, then nothing more; the worker's peak
resident memory (VmHWM, from /proc) must stay within what its bodies
may hold, WORKER_BODY_BUDGET x body_max, plus a margin for everything
else, and a normal report sent meanwhile on another connection must get
201 within the read deadline.  Then the same peers leave, and a report
is stored at once.  Uses faults.py's raw FastCGI client.  Prints "ok -
..." / "not ok - ...".

Environment: REPORT (mta-sts-report), SCRATCH (a private directory,
which www-data may enter: the workers drop to it).
"""
import json
import os
import pwd
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "faults"))
os.environ.setdefault("BIN", os.environ["REPORT"])
import faults  # noqa: E402
from faults import (BEGIN, PARAMS, RESPONDER, STDIN, SCRATCH,  # noqa: E402
                    Server, check, notok, ok, pairs, read_response, rec,
                    stream)
import struct  # noqa: E402

faults.BIN = os.environ["REPORT"]
MiB = 1024 * 1024
BODY_MAX = MiB                  # the default [reports] body_max
BUDGET = 16 * BODY_MAX          # WORKER_BODY_BUDGET x body_max
MARGIN = 12 * MiB               # the rest: connections, a report's work
PEERS = int(os.environ.get("PEERS", "300"))
SENT = BODY_MAX - 64 * 1024     # what each peer sends of its body
READ_MS = 5.0                   # worker.c: a whole request's deadline


def env(length):
    return [(b"REQUEST_METHOD", b"POST"), (b"REQUEST_URI", b"/tlsrpt"),
            (b"CONTENT_TYPE", b"application/tlsrpt+json"),
            (b"CONTENT_LENGTH", str(length).encode())]


def report(rid):
    return json.dumps({
        "organization-name": "Budget Org",
        "date-range": {"start-datetime": "2024-04-01T00:00:00Z",
                       "end-datetime": "2024-04-01T23:59:59Z"},
        "contact-info": "tlsrpt@sender.example",
        "report-id": rid,
        "policies": [{
            "policy": {"policy-type": "sts",
                       "policy-string": ["version: STSv1", "mode: testing",
                                         "mx: *.example.com",
                                         "max_age: 86400"],
                       "policy-domain": "example.com",
                       "mx-host": ["*.example.com"]},
            "summary": {"total-successful-session-count": 10,
                        "total-failure-session-count": 0}}]}).encode()


def post(srv, rid, timeout):
    """A whole report on a new connection: (status line, seconds)."""
    body = report(rid)
    data = (rec(BEGIN, 1, struct.pack(">HB5x", RESPONDER, 0))
            + stream(PARAMS, 1, pairs(env(len(body))))
            + stream(STDIN, 1, body))
    t = time.monotonic()
    s = srv.connect()
    try:
        s.sendall(data)
        r = read_response(s, timeout)
    finally:
        s.close()
    return r.stdout.split(b"\r\n", 1)[0].decode(errors="replace"), \
        time.monotonic() - t


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Peers:
    """PEERS connections, each with a head declaring body_max and SENT
    bytes of its body, pushed without blocking for as long as the worker
    reads them; the rest of the body never comes."""

    def __init__(self, srv):
        head = (rec(BEGIN, 1, struct.pack(">HB5x", RESPONDER, 0))
                + stream(PARAMS, 1, pairs(env(BODY_MAX))))
        body = b""
        chunk = b" " * 65535
        while len(body) < SENT:
            n = min(len(chunk), SENT - len(body))
            body += rec(STDIN, 1, chunk[:n])
        self.data = head + body
        self.socks, self.at = [], []
        for _ in range(PEERS):
            s = srv.connect()
            s.setblocking(False)
            self.socks.append(s)
            self.at.append(0)

    def push(self):
        """One round of sends; the bytes the worker took."""
        took = 0
        for i, s in enumerate(self.socks):
            if self.at[i] >= len(self.data):
                continue
            try:
                n = s.send(self.data[self.at[i]:self.at[i] + 65536])
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                self.at[i] = len(self.data)     # closed by the worker
                continue
            self.at[i] += n
            took += n
        return took

    def close(self):
        for s in self.socks:
            s.close()


def main():
    store = os.path.join(SCRATCH, "store")
    os.mkdir(store)
    www = pwd.getpwnam("www-data")
    if os.getuid() == 0:
        os.chown(store, www.pw_uid, www.pw_gid)
    conf = os.path.join(SCRATCH, "report.ini")
    with open(conf, "w") as f:
        f.write("[domain example.com]\nmode = testing\nmx = *.example.com\n"
                "max_age = 86400\n\n[reports]\ndatabase = %s/reports.db\n"
                % store)
    os.chmod(conf, 0o644)
    srv = Server("report", conf, ["-w", "1"])
    # The supervisor's other child, the recorder of the served policies
    # (as the workers' user, at start), may still be running: the worker
    # is the one child left once it is done.
    faults.wait_until(lambda: len(srv.workers()) == 1, 10)
    worker = srv.workers()[0]
    check("a report before the peers: 201",
          "Status: 201 Created", post(srv, "before", 5)[0])
    base = status_kb(worker, "VmRSS")

    peers = Peers(srv)
    result = {}

    def normal():
        result["got"] = post(srv, "during", READ_MS + 2)

    t0 = time.monotonic()
    client = None
    taken = 0
    # Within the read deadline of the first peers: they are not yet cut.
    while time.monotonic() - t0 < 3.0:
        taken += peers.push()
        if client is None and time.monotonic() - t0 >= 1.0:
            client = threading.Thread(target=normal, daemon=True)
            client.start()
        time.sleep(0.005)
    hwm = status_kb(worker, "VmHWM")
    client.join(READ_MS + 5)
    peers.close()

    grown = (hwm - base) * 1024
    bound = BUDGET + MARGIN
    msg = ("%d peers, %.0f MiB of bodies sent and taken: peak RSS grew "
           "%.1f MiB (bound %d MiB: %d x body_max + %d MiB)"
           % (PEERS, taken / MiB, grown / MiB, bound // MiB,
              BUDGET // BODY_MAX, MARGIN // MiB))
    if grown <= bound:
        ok(msg)
    else:
        notok(msg)
    got, secs = result.get("got", ("no answer", 0.0))
    check("a normal report meanwhile: 201", "Status: 201 Created", got)
    if got.startswith("Status: 201") and secs < READ_MS:
        ok("... within the read deadline (%.2f s)" % secs)
    else:
        notok("... within the read deadline (%.2f s)" % secs)
    check("the worker is the same process", [worker], srv.workers())

    # The peers gone, their room is free: a report is stored at once.
    got, secs = post(srv, "after", 5)
    check("after the peers: 201", "Status: 201 Created", got)
    if secs < 1.0:
        ok("... at once (%.2f s)" % secs)
    else:
        notok("... at once (%.2f s)" % secs)
    gone, status = srv.stop()
    check("SIGTERM: every process gone, exit status 0", (True, 0),
          (gone, status))
    print("# worker log:", srv.logtext().strip().replace("\n", " | ")[:300])
    return 1 if faults.failures else 0


if __name__ == "__main__":
    sys.exit(main())
