#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""POSTs many TLS reports (RFC 8460 §5.4) at once over HTTPS, for tests.

usage: report-post.py URL CAFILE CONNECT COUNT THREADS PREFIX OUT [gzip]

Report i (0 <= i < COUNT) is the RFC's example with organization-name
PREFIX and report-id PREFIX-i, for policy domain example.com.  THREADS
connections (kept alive, TLS to CONNECT, an ip:port, verified against
CAFILE for the URL's host) share the reports.  Writes "STATUS REPORT-ID"
per report to OUT (STATUS 0: no answer: the connection failed), and
exits 0 once every report has been tried.  Only the standard library.
"""
import gzip
import http.client
import json
import ssl
import sys
import threading
import urllib.parse


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


def main():
    url, cafile, connect, count, threads, prefix, out = sys.argv[1:8]
    use_gzip = len(sys.argv) > 8 and sys.argv[8] == "gzip"
    count, threads = int(count), int(threads)
    u = urllib.parse.urlsplit(url)
    ip, port = connect.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=cafile)
    results = [None] * count
    lock = threading.Lock()
    todo = iter(range(count))

    def connection():
        c = http.client.HTTPSConnection(ip, int(port), context=ctx,
                                        timeout=30)
        # Verify the certificate for the URL's host, not the address.
        c.host = u.hostname
        sock = c._create_connection((ip, int(port)), 30)
        c.sock = ctx.wrap_socket(sock, server_hostname=u.hostname)
        return c

    def worker():
        c = None
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                break
            body = report(prefix, i)
            ctype = "application/tlsrpt+json"
            if use_gzip:
                body, ctype = gzip.compress(body), "application/tlsrpt+gzip"
            status = 0
            for attempt in (1, 2):
                try:
                    if c is None:
                        c = connection()
                    c.request("POST", u.path, body=body,
                              headers={"Content-Type": ctype,
                                       "Host": u.netloc})
                    r = c.getresponse()
                    r.read()
                    status = r.status
                    if r.getheader("Connection", "").lower() == "close":
                        c.close()
                        c = None
                    break
                except (OSError, http.client.HTTPException):
                    # Only a connection kept from before may be stale:
                    # a new one is tried once, then the report is lost.
                    if c is not None:
                        c.close()
                    c = None
                    if attempt == 2:
                        break
            results[i] = status
        if c is not None:
            c.close()

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(out, "w") as f:
        for i, s in enumerate(results):
            f.write("%d %s-%d\n" % (s or 0, prefix, i))


main()
