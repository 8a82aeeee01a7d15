#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Senders of TLS reports (RFC 8460 §5.4) to several receivers at once,
for tests/report/run-pg.sh.  Only the standard library.

usage: post.py MODE CAFILE OUT COUNT CONNS PREFIX TARGET...

Report i (0 <= i < COUNT) has organization-name PREFIX and report-id
PREFIX-i, policy domain example.com, dated 2024-04-01, i successful
sessions and one failure.  Each TARGET is a receiver's nginx, an
ip:port verified for mta-sts.example.com against CAFILE, over kept
connections.  MODE:
  same   every report to every target at the same instant: CONNS groups
         of one thread per target, which meet at a barrier before each
         request, so that the receivers store the same report at once;
  split  report i to target i % len(TARGETS), CONNS connections to each
         target;
  retry  as split, but a report answered 503 (or not at all) is sent
         again after 0.2 s, as senders retry (§5.5), until it gets
         another answer or 60 s have passed since the stream began.
Writes one line per answer, "STATUS TARGET REPORT-ID" (STATUS 0: no
answer), to OUT as they come; exits 0 once every report is done.
"""
import http.client
import json
import ssl
import sys
import threading
import time

HOST = "mta-sts.example.com"


def report(prefix, i):
    return json.dumps({
        "organization-name": prefix,
        "date-range": {"start-datetime": "2024-04-01T00:00:00Z",
                       "end-datetime": "2024-04-01T23:59:59Z"},
        "contact-info": "tlsrpt@sender.example",
        "report-id": "%s-%d" % (prefix, i),
        "policies": [{
            "policy": {"policy-type": "sts",
                       "policy-string": ["version: STSv1", "mode: testing",
                                         "mx: *.example.com",
                                         "max_age: 86400"],
                       "policy-domain": "example.com",
                       "mx-host": ["*.example.com"]},
            "summary": {"total-successful-session-count": i,
                        "total-failure-session-count": 1},
            "failure-details": [{"result-type": "certificate-expired",
                                 "receiving-mx-hostname": "mx.example.com",
                                 "failed-session-count": 1}]}]}).encode()


class Sender:
    """One kept TLS connection to one target."""

    def __init__(self, ctx, target):
        self.ctx, self.target, self.c = ctx, target, None
        ip, port = target.rsplit(":", 1)
        self.ip, self.port = ip, int(port)

    def connect(self):
        c = http.client.HTTPSConnection(self.ip, self.port, timeout=30,
                                        context=self.ctx)
        # Verified for the receiver's name, not for its address.
        sock = c._create_connection((self.ip, self.port), 30)
        c.sock = self.ctx.wrap_socket(sock, server_hostname=HOST)
        self.c = c

    def post(self, body, ready=None):
        """The answer's status, or 0 for none; ready() is called once the
        connection is up, just before the request."""
        for attempt in (1, 2):
            try:
                if self.c is None:
                    self.connect()
                if ready is not None:
                    ready()
                    ready = None
                self.c.request("POST", "/tlsrpt", body=body,
                               headers={"Content-Type":
                                        "application/tlsrpt+json",
                                        "Host": HOST})
                r = self.c.getresponse()
                r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status
            except (OSError, http.client.HTTPException):
                # A kept connection may have been closed meanwhile: one
                # new one is tried, then the answer is "none".
                self.close()
                if ready is not None:
                    ready()
                    ready = None
        return 0

    def close(self):
        if self.c is not None:
            self.c.close()
        self.c = None


def main():
    mode, cafile, out, count, conns, prefix = sys.argv[1:7]
    targets = sys.argv[7:]
    count, conns = int(count), int(conns)
    ctx = ssl.create_default_context(cafile=cafile)
    lock = threading.Lock()
    f = open(out, "w")
    deadline = time.monotonic() + 60

    def answer(status, target, i):
        # As it comes: the suite watches the file while the stream runs.
        with lock:
            f.write("%d %s %s-%d\n" % (status, target, prefix, i))
            f.flush()

    def same(group, t):
        s = Sender(ctx, targets[t])
        barrier = barriers[group]
        for i in range(group, count, conns):
            status = s.post(report(prefix, i), ready=barrier.wait)
            answer(status, targets[t], i)
        s.close()

    def split(t, k):
        s = Sender(ctx, targets[t])
        n = len(targets)
        for i in range(t + n * k, count, n * conns):
            body = report(prefix, i)
            while True:
                status = s.post(body)
                answer(status, targets[t], i)
                if mode != "retry" or status not in (0, 503) or \
                        time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        s.close()

    if mode == "same":
        barriers = [threading.Barrier(len(targets), timeout=60)
                    for _ in range(conns)]
        ts = [threading.Thread(target=same, args=(g, t))
              for g in range(conns) for t in range(len(targets))]
    elif mode in ("split", "retry"):
        ts = [threading.Thread(target=split, args=(t, k))
              for t in range(len(targets)) for k in range(conns)]
    else:
        sys.exit("post.py: unknown mode " + mode)
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    f.close()


main()
