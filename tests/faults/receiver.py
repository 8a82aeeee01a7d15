#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The receiver (mta-sts-report) on the raw FastCGI wire, where the
responder's fault battery (faults.py) cannot reach it: what the shared
core answers for both programs alike (FCGI_GET_VALUES, an unknown
management record, an unknown role), the roles the receiver refuses as
the responder does (an AUTHORIZER or a FILTER gets 403, and nothing is
stored), and the reason each kind of refused head is given (audit 19:
a NUL in CONTENT_TYPE was answered "request parameters too large").
Uses faults.py's client.  Prints "ok - ..." / "not ok - ...".

Environment: REPORT (the program), SCRATCH (a private directory).
"""
import os
import pwd
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults  # noqa: E402
from faults import (AUTHORIZER, END, FILTER, GET_VALUES,  # noqa: E402
                    GET_VALUES_RESULT, PARAMS, RESPONDER, SCRATCH, TOP,
                    UNKNOWN_TYPE, Server, begin, check, pairs, rec,
                    recv_exact, request, stream)

faults.BIN = os.environ["REPORT"]
CT = b"Content-Type: text/plain; charset=utf-8\r\n"
BODY = open(os.path.join(TOP, "tests/report/fixtures/rfc-example.json"),
            "rb").read()


def answer(status, line, head=False):
    """The receiver's answer: status line, headers, and its one line."""
    return (b"Status: " + status + b"\r\n" + CT + b"Content-Length: %d\r\n\r\n"
            % (len(line) + 1) + (b"" if head else line + b"\n"))


def post_env(content_type=b"application/tlsrpt+json", method=b"POST",
             body=BODY):
    return [(b"REQUEST_METHOD", method), (b"CONTENT_TYPE", content_type),
            (b"CONTENT_LENGTH", b"%d" % len(body)),
            (b"REQUEST_URI", b"/tlsrpt")]


def post(srv, role=RESPONDER, env=None, body=BODY):
    return srv.exchange(request(role=role, env=env or post_env(body=body),
                                body=body))


def case_roles(srv):
    """The responder refuses the roles it does not play with 403 (its
    router); the receiver now does the same, before it reads the body:
    a 201 to an AUTHORIZER would mean "allow", and store the report."""
    for role, name in ((AUTHORIZER, "AUTHORIZER"), (FILTER, "FILTER")):
        r = post(srv, role)
        check("role %s with a valid report: 403, why" % name,
              (answer(b"403 Forbidden", b"only the FastCGI RESPONDER role "
                      b"is served here"), (0, 0)), (r.stdout, r.end))
    r = post(srv)
    check("...nothing stored: the same report as a RESPONDER is new (201)",
          (answer(b"201 Created", b"stored"), (0, 0)), (r.stdout, r.end))
    s = srv.connect()
    s.sendall(request(role=77, env=post_env(), body=BODY))
    s.settimeout(2)
    h = recv_exact(s, 16)
    s.close()
    check("unknown role: END_REQUEST with FCGI_UNKNOWN_ROLE, as the "
          "responder", rec(END, 1, struct.pack(">IB3x", 0, 3)), h)


def case_management(srv):
    """FastCGI 1.0 §4: the core answers management records for both."""
    s = srv.connect()
    s.sendall(rec(GET_VALUES, 0, pairs([
        (b"FCGI_MAX_CONNS", b""), (b"FCGI_MAX_REQS", b""),
        (b"FCGI_MPXS_CONNS", b""), (b"OTHER", b"")])))
    r = faults.read_response(s, 2, until_end=False)
    check("GET_VALUES: FCGI_MAX_CONNS, FCGI_MAX_REQS (2 workers x 1000), "
          "FCGI_MPXS_CONNS=0, the unknown name left out",
          [(GET_VALUES_RESULT, 0, pairs([
              (b"FCGI_MAX_CONNS", b"2000"), (b"FCGI_MAX_REQS", b"2000"),
              (b"FCGI_MPXS_CONNS", b"0")]))], r.records)
    body = BODY.replace(b"5065427c", b"mgmt-5065427c")
    s.sendall(request(env=post_env(body=body), body=body))
    r = faults.read_response(s, 2)
    check("GET_VALUES, then a report on the same connection: 201",
          (answer(b"201 Created", b"stored"), (0, 0)), (r.stdout, r.end))
    s.close()
    s = srv.connect()
    s.sendall(rec(42, 0, b"xyz"))
    r = faults.read_response(s, 2, until_end=False)
    check("unknown management record: FCGI_UNKNOWN_TYPE",
          [(UNKNOWN_TYPE, 0, bytes([42]) + b"\0" * 7)], r.records)
    s.close()


def case_bad_heads(srv):
    """Each refused head is answered 400 with its own reason; HEAD gets
    the headers alone."""
    many = [(b"HTTP_X_%d" % i, b"v") for i in range(1025)]
    rows = [
        ("a NUL in CONTENT_TYPE", post_env(b"application/tlsrpt+json\0x"),
         False, b"a NUL byte in a request parameter"),
        ("a NUL in CONTENT_TYPE, HEAD",
         post_env(b"application/tlsrpt+json\0x", b"HEAD"), True,
         b"a NUL byte in a request parameter"),
        ("1,025 parameters", post_env() + many, False,
         b"more than 1024 request parameters"),
        ("a 70,000-byte parameter", post_env() + [(b"HTTP_X", b"x" * 70000)],
         False, b"request parameters larger than 64 KiB"),
    ]
    for what, env, head, line in rows:
        r = srv.exchange(begin() + stream(PARAMS, 1, pairs(env)))
        check("%s: 400, why" % what,
              (answer(b"400 Bad Request", line, head), (0, 0)),
              (r.stdout, r.end))


def main():
    d = os.path.join(SCRATCH, "receiver")
    store = os.path.join(d, "store")
    os.makedirs(store)
    if os.geteuid() == 0:
        # Its workers become www-data, chrooted into the store's directory.
        os.chmod(SCRATCH, 0o711)
        os.chmod(d, 0o711)
        os.chown(store, pwd.getpwnam("www-data").pw_uid, -1)
    conf = os.path.join(d, "conf.ini")
    with open(conf, "w") as f:
        f.write("[domain example.com]\nmode = testing\nmx = *.example.com\n"
                "max_age = 86400\n\n[reports]\ndatabase = %s/reports.db\n"
                % store)
    os.chmod(conf, 0o644)
    srv = Server("receiver", conf, ["-w", "2"])
    faults.timed(case_roles)(srv)
    faults.timed(case_management)(srv)
    faults.timed(case_bad_heads)(srv)
    check("receiver: nothing logged but the config's warning", [],
          [line for line in srv.logtext().splitlines()
           if "warning: mode testing" not in line])
    gone, status = srv.stop()
    check("receiver: SIGTERM, all exit 0 within 1 s", (True, 0),
          (gone, status))
    return 1 if faults.failures else 0


if __name__ == "__main__":
    sys.exit(main())
