#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Fault battery: a raw FastCGI client drives a running mta-sts-fcgi
through every hostile or broken input and every operator action we know
of, and after each case checks that a normal request is still answered
byte for byte.  Prints "ok - ..." / "not ok - ..." lines.

Environment: BIN (the program), SCRATCH (a private directory).
"""
import atexit
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

BIN = os.environ["BIN"]
# Waits are hang detectors, not timings: slower builds scale them.
SCALE = float(os.environ.get("TIME_SCALE", "1"))
SCRATCH = os.environ["SCRATCH"]
TOP = os.getcwd()
PATH = b"/.well-known/mta-sts.txt"
CT = b"Content-Type: text/plain; charset=utf-8\r\n"

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT, STDERR, DATA = 1, 2, 3, 4, 5, 6, 7, 8
GET_VALUES, GET_VALUES_RESULT, UNKNOWN_TYPE = 9, 10, 11
RESPONDER, AUTHORIZER, FILTER = 1, 2, 3

failures = 0


def ok(name):
    print("ok - " + name, flush=True)


def notok(name, *details):
    global failures
    failures += 1
    print("not ok - " + name, flush=True)
    for d in details:
        for line in str(d).splitlines()[:12]:
            print("#   " + line[:300], flush=True)


def check(name, want, got):
    if want == got:
        ok(name)
    else:
        notok(name, "want: %r" % (want,), "got:  %r" % (got,))


# --- FastCGI records -----------------------------------------------------

def rec(rtype, rid, content=b"", pad=0, version=1):
    return (struct.pack(">BBHHBB", version, rtype, rid, len(content), pad, 0)
            + content + b"\0" * pad)


def length(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def pairs(env):
    return b"".join(length(len(n)) + length(len(v)) + n + v for n, v in env)


def stream(rtype, rid, data):
    out = b""
    for i in range(0, len(data), 65535):
        out += rec(rtype, rid, data[i:i + 65535])
    return out + rec(rtype, rid)


def begin(rid=1, role=RESPONDER, keep=False):
    return rec(BEGIN, rid, struct.pack(">HB5x", role, 1 if keep else 0))


GOOD_ENV = [(b"REQUEST_METHOD", b"GET"), (b"REQUEST_URI", PATH),
            (b"HTTP_HOST", b"mta-sts.example.org")]


def request(rid=1, role=RESPONDER, keep=False, env=None, body=b""):
    return (begin(rid, role, keep) + stream(PARAMS, rid, pairs(env or GOOD_ENV))
            + stream(STDIN, rid, body))


class Response:
    def __init__(self):
        self.stdout = b""
        self.stderr = b""
        self.end = None         # (app status, protocol status)
        self.records = []       # (type, id, content) of other records
        self.closed = False     # EOF seen


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_response(sock, timeout=3.0, until_end=True):
    """Reads records until END_REQUEST (or EOF, or timeout)."""
    r = Response()
    sock.settimeout(timeout)
    try:
        while True:
            h = recv_exact(sock, 8)
            if h is None:
                r.closed = True
                return r
            _, rtype, rid, clen, pad, _ = struct.unpack(">BBHHBB", h)
            body = recv_exact(sock, clen + pad)
            if body is None:
                r.closed = True
                return r
            body = body[:clen]
            if rtype == STDOUT:
                r.stdout += body
            elif rtype == STDERR:
                r.stderr += body
            elif rtype == END:
                r.end = struct.unpack(">IB3x", body)
                if until_end:
                    return r
            else:
                r.records.append((rtype, rid, body))
                if not until_end:
                    return r
    except socket.timeout:
        return r
    except (ConnectionResetError, BrokenPipeError):
        r.closed = True
        return r


# --- the server under test -------------------------------------------------

def children(pid):
    """The live child processes of pid, as the kernel lists them."""
    kids = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return []
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                kids += [int(k) for k in f.read().split()]
        except OSError:
            continue
    return sorted(k for k in kids if alive(k))


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(cond, seconds):
    end = time.monotonic() + seconds * SCALE
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


STARTED = []


@atexit.register
def stop_all():
    """Whatever happens to this script, every server it started is
    stopped, by PID, and so are their workers."""
    for srv in STARTED:
        if srv.proc.poll() is None:
            pids = [srv.pid] + children(srv.pid)
            for p in pids:
                try:
                    os.kill(p, signal.SIGTERM)
                except OSError:
                    pass
            if not wait_until(lambda: not any(alive(p) for p in pids), 2):
                for p in pids:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
            srv.proc.wait()


class Server:
    def __init__(self, name, conf, args=(), env=None, preexec=None,
                 address=None, wrap=(), wait=True):
        """wrap: a command that runs the program (prlimit, sh -c), and
        must exec it: the supervisor's PID stays the one started.
        wait=False: return at once, not when it serves."""
        self.name = name
        self.conf = conf
        self.sock = address or os.path.join(SCRATCH, name + ".sock")
        self.log = os.path.join(SCRATCH, name + ".log")
        cmd = list(wrap) + [BIN, "-c", conf, "-s", self.sock if address else
               "unix:" + self.sock] + list(args)
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "w"), env=e,
                                     preexec_fn=preexec)
        self.pid = self.proc.pid
        STARTED.append(self)
        if wait and not wait_until(self.ready, 5):
            notok("%s: server started" % name, self.logtext())

    def ready(self):
        try:
            s = self.connect()
            s.close()
            return len(children(self.pid)) > 0
        except OSError:
            return False

    def connect(self):
        if self.sock.startswith("/"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.sock)
        else:
            host, port = self.sock.rsplit(":", 1)
            host = host.strip("[]")
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.connect((host, int(port)))
        return s

    def exchange(self, data, timeout=3.0, until_end=True):
        s = self.connect()
        try:
            s.sendall(data)
            return read_response(s, timeout, until_end)
        finally:
            s.close()

    def logtext(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def workers(self):
        return children(self.pid)

    def exit_status(self, seconds):
        """The supervisor's exit status once it exits by itself within
        seconds; else it is killed, and that status is returned."""
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def stop(self, sig=signal.SIGTERM, seconds=1.0):
        """Signals the supervisor; True if every process of ours is gone
        within seconds and the supervisor's exit status is 0."""
        pids = [self.pid] + self.workers()
        self.proc.send_signal(sig)
        gone = wait_until(lambda: not any(alive(p) for p in pids), seconds)
        status = self.exit_status(3)
        for p in pids:
            if alive(p):
                os.kill(p, signal.SIGKILL)
        return gone, status


def expected(body):
    return (b"Status: 200 OK\r\n" + CT + b"Content-Length: %d\r\n\r\n"
            % len(body) + body)


def expected_body(name):
    """A policy body from tests/expected/, shared by every suite."""
    with open(os.path.join(TOP, "tests/expected", name), "rb") as fh:
        return fh.read()


ORG = expected(expected_body("etc-example.org.txt"))
ORG_ENFORCE = expected(expected_body("etc-example.org-enforce.txt"))
R400 = (b"Status: 400 Bad Request\r\n" + CT + b"Content-Length: 12\r\n\r\n"
        b"Bad Request\n")
R403 = (b"Status: 403 Forbidden\r\n" + CT + b"Content-Length: 10\r\n\r\n"
        b"Forbidden\n")
R405 = (b"Status: 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n" + CT +
        b"Content-Length: 19\r\n\r\nMethod Not Allowed\n")
R413 = (b"Status: 413 Payload Too Large\r\n" + CT + b"Content-Length: 18\r\n"
        b"\r\nPayload Too Large\n")


def still_serves(srv, case):
    r = srv.exchange(request())
    if r.stdout == ORG and r.end == (0, 0) and r.stderr == b"":
        ok("%s: then a normal request is answered" % case)
    else:
        notok("%s: then a normal request is answered" % case,
              "got %r end %r" % (r.stdout[:200], r.end))


def no_deaths(srv, case):
    deaths = [l for l in srv.logtext().splitlines() if "worker" in l]
    check("%s: no worker died" % case, [], deaths)


class Load:
    """Threads sending normal requests until stopped; every response
    must be one of the allowed byte strings."""

    def __init__(self, srv, allowed, threads=4, keep=False):
        self.srv, self.allowed, self.keep = srv, allowed, keep
        self.done = threading.Event()
        self.count = 0
        self.bad = []
        self.seen = set()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True)
                        for _ in range(threads)]
        for t in self.threads:
            t.start()

    def run(self):
        s = None
        while not self.done.is_set():
            kept = s is not None
            try:
                if s is None:
                    s = self.srv.connect()
                s.sendall(request(keep=self.keep))
                r = read_response(s, 3)
                if kept and r.closed and not r.stdout and r.end is None:
                    # A kept connection closed before any answer: retry
                    # on a new one, as nginx does with cached connections.
                    s.close()
                    s = None
                    continue
                if not self.keep or r.end is None:
                    s.close()
                    s = None
                with self.lock:
                    self.count += 1
                    if r.stdout not in self.allowed or r.end != (0, 0):
                        self.bad.append((r.stdout[:120], r.end, r.closed))
                    else:
                        self.seen.add(r.stdout)
            except OSError as e:
                if s is not None:
                    s.close()
                s = None
                if kept:
                    continue    # the same retry as above
                with self.lock:
                    self.bad.append(("error", str(e)))
        if s is not None:
            s.close()

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(10)
        return self.count, self.bad


# --- the cases -----------------------------------------------------------

def case_malformed(srv):
    for name, data in [
            ("bad version", rec(BEGIN, 1, struct.pack(">HB5x", 1, 0),
                                version=2)),
            ("HTTP instead of FastCGI", b"GET / HTTP/1.0\r\n\r\n"),
            ("PARAMS before BEGIN_REQUEST", stream(PARAMS, 1, pairs(GOOD_ENV))),
            ("STDIN before the end of PARAMS", begin() + rec(STDIN, 1, b"x")),
            ("BEGIN_REQUEST of 7 bytes", rec(BEGIN, 1, b"\0\1\0\0\0\0\0")),
            ("a pair cut short", begin() + rec(PARAMS, 1, b"\x0e\x03REQ") +
             rec(PARAMS, 1) + rec(STDIN, 1))]:
        r = srv.exchange(data)
        check("malformed: %s: closed without an answer" % name,
              (b"", None, True), (r.stdout, r.end, r.closed))
    r = srv.exchange(begin() + rec(ABORT, 1))
    check("ABORT_REQUEST: answered with END_REQUEST alone", (b"", (0, 0)),
          (r.stdout, r.end))
    still_serves(srv, "malformed")


def case_split_pairs(srv):
    """Pairs cut across PARAMS records at every byte: routing then comes
    from libfcgi's environment, with the same answer."""
    data = pairs(GOOD_ENV)
    bad = []
    for cut in range(1, len(data)):
        r = srv.exchange(begin() + rec(PARAMS, 1, data[:cut]) +
                         rec(PARAMS, 1, data[cut:]) + rec(PARAMS, 1) +
                         rec(STDIN, 1))
        if r.stdout != ORG or r.end != (0, 0):
            bad.append(cut)
    check("pairs split across records at each of %d places: the same "
          "answer" % (len(data) - 1), [], bad)


def case_truncated(srv):
    full = request()
    for cut in (3, 8, 20, len(full) - 9, len(full) - 1):
        s = srv.connect()
        s.sendall(full[:cut])
        s.close()
    still_serves(srv, "truncated streams")


def case_crash_records(srv):
    """The two records that abort Debian's libfcgi, sent 50 times each
    while normal requests run: none of the normal ones may fail."""
    load = Load(srv, [ORG], threads=3)
    huge = (begin() + rec(PARAMS, 1, b"\xc0\x00\x00\x00\xc0\x00\x00\x00AB") +
            rec(PARAMS, 1) + rec(STDIN, 1))
    names = pairs([(b"FCGI_MAX_CONNS", b""), (b"FCGI_MAX_REQS", b""),
                   (b"FCGI_MPXS_CONNS", b""), (b"FCGI_MAX_CONNS", b""),
                   (b"A" * 14, b""), (b"B" * 14, b""), (b"C" * 14, b"")])
    results = []
    for _ in range(50):
        results.append(srv.exchange(huge, 2))
        results.append(srv.exchange(rec(GET_VALUES, 0, names), 2,
                                    until_end=False))
    count, bad = load.stop()
    check("crash record 1 (PARAMS lengths 0x40000000): closed, no answer",
          [(b"", None, True)] * 50,
          [(r.stdout, r.end, r.closed) for r in results[0::2]])
    want = rec(GET_VALUES_RESULT, 0, pairs([
        (b"FCGI_MAX_CONNS", b"%d" % (2 * 1000)),
        (b"FCGI_MAX_REQS", b"%d" % (2 * 1000)), (b"FCGI_MPXS_CONNS", b"0")]))
    got = [r.records for r in results[1::2]]
    check("crash record 2 (GET_VALUES, 7 names): answered correctly",
          [[(GET_VALUES_RESULT, 0, want[8:])]] * 50, got)
    check("crash records: %d concurrent normal requests, none failed" % count,
          [], bad[:5])
    if count < 20:
        notok("crash records: the load ran", "only %d requests" % count)
    no_deaths(srv, "crash records")
    still_serves(srv, "crash records")


def case_management(srv):
    s = srv.connect()
    s.sendall(rec(GET_VALUES, 0, pairs([(b"FCGI_MPXS_CONNS", b"")])))
    r = read_response(s, 2, until_end=False)
    check("GET_VALUES alone: FCGI_MPXS_CONNS=0",
          [(GET_VALUES_RESULT, 0, pairs([(b"FCGI_MPXS_CONNS", b"0")]))],
          r.records)
    s.sendall(request())
    r = read_response(s, 2)
    check("GET_VALUES, then a request on the same connection",
          (ORG, (0, 0)), (r.stdout, r.end))
    s.close()
    s = srv.connect()
    s.sendall(rec(42, 0, b"xyz"))
    r = read_response(s, 2, until_end=False)
    check("unknown management record: FCGI_UNKNOWN_TYPE",
          [(UNKNOWN_TYPE, 0, bytes([42]) + b"\0" * 7)], r.records)
    s.close()


def read_records(sock, ends, timeout=2.0):
    """Every record until `ends` END_REQUESTs: [(type, id, content)]."""
    out = []
    sock.settimeout(timeout)
    try:
        while sum(1 for r in out if r[0] == END) < ends:
            h = recv_exact(sock, 8)
            if h is None:
                break
            _, rtype, rid, clen, pad, _ = struct.unpack(">BBHHBB", h)
            body = recv_exact(sock, clen + pad)
            if body is None:
                break
            out.append((rtype, rid, body[:clen]))
    except OSError:
        pass
    return out


def case_multiplexing(srv):
    s = srv.connect()
    s.sendall(begin(1, keep=True) + begin(2, keep=True) +
              stream(PARAMS, 1, pairs(GOOD_ENV)) + stream(STDIN, 1, b""))
    records = read_records(s, 2)
    s.close()
    ends = [(rid, struct.unpack(">IB3x", c)) for t, rid, c in records
            if t == END]
    out = b"".join(c for t, rid, c in records if t == STDOUT and rid == 1)
    check("multiplexing: the second id is refused with FCGI_CANT_MPX_CONN, "
          "the first answered", ([(2, (0, 1)), (1, (0, 0))], ORG),
          (ends, out))
    still_serves(srv, "multiplexing")


def case_roles(srv):
    for role, name in ((AUTHORIZER, "AUTHORIZER"), (FILTER, "FILTER")):
        r = srv.exchange(request(role=role))
        check("role %s: 403, never the policy" % name, (R403, (0, 0)),
              (r.stdout, r.end))
    s = srv.connect()
    s.sendall(request(role=77))
    s.settimeout(2)
    h = recv_exact(s, 16)
    s.close()
    check("unknown role: END_REQUEST with FCGI_UNKNOWN_ROLE",
          rec(END, 1, struct.pack(">IB3x", 0, 3)), h)
    still_serves(srv, "roles")


def case_keepconn_bodies(srv):
    s = srv.connect()
    post = [(b"REQUEST_METHOD", b"POST"), (b"REQUEST_URI", PATH),
            (b"HTTP_HOST", b"mta-sts.example.org"), (b"CONTENT_LENGTH", b"5000")]
    s.sendall(request(keep=True, env=post, body=b"x" * 5000))
    r1 = read_response(s)
    s.sendall(request(keep=True))
    r2 = read_response(s)
    s.sendall(request(keep=True, env=[(b"REQUEST_METHOD", b"HEAD"),
                                      (b"REQUEST_URI", PATH),
                                      (b"HTTP_HOST", b"mta-sts.example.org")]))
    r3 = read_response(s)
    s.close()
    check("kept connection: POST with an unread 5000-byte body, then GET, "
          "then HEAD", [R405, ORG, ORG[:ORG.index(b"\r\n\r\n") + 4]],
          [r1.stdout, r2.stdout, r3.stdout])


def case_pipelining(srv):
    """Requests written back to back on a kept connection are all
    answered, in order: the worker keeps what follows a request (finding
    3: libfcgi used to read past it and throw it away).  Repeated, with
    gaps of 0 to 400 µs, to catch a 1 % event."""
    s = srv.connect()
    s.sendall(request(1, keep=True) + request(2, keep=True) +
              request(3, keep=False))
    records = read_records(s, 3)
    s.settimeout(2)
    try:
        closed = s.recv(1) == b""
    except OSError:
        closed = True
    s.close()
    outs = [b"".join(c for t, rid, c in records if t == STDOUT and rid == i)
            for i in (1, 2, 3)]
    check("pipelined: three requests in one write, each answered, then "
          "closed as the last asked", ([ORG] * 3, True), (outs, closed))
    bad = []
    for i in range(500):
        s = srv.connect()
        s.sendall(request(1, keep=True))
        time.sleep((i % 5) * 0.0001)
        s.sendall(request(2, keep=True))
        records = read_records(s, 2)
        s.close()
        got = [c for t, rid, c in records if t == END]
        if len(got) != 2:
            bad.append(i)
    check("pipelined 0-400 µs apart, 500 times: both answered every time",
          [], bad[:10])
    t = time.monotonic()
    still_serves(srv, "pipelined")
    if time.monotonic() - t > 1:
        notok("pipelined: no worker hangs", "took %.1f s" %
              (time.monotonic() - t))


def case_client_abort(srv_big):
    # A 60 KB policy, a tiny receive buffer, and a peer that goes away.
    host, port = srv_big.sock.rsplit(":", 1)
    for _ in range(20):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        s.connect((host, int(port)))
        s.sendall(request(env=[(b"REQUEST_METHOD", b"GET"),
                               (b"REQUEST_URI", PATH),
                               (b"HTTP_HOST", b"mta-sts.example.com")]))
        s.recv(100)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
    r = srv_big.exchange(request(env=[(b"REQUEST_METHOD", b"GET"),
                                      (b"REQUEST_URI", PATH),
                                      (b"HTTP_HOST", b"mta-sts.example.com")]))
    check("client abort mid-response: the next one gets all %d bytes"
          % len(r.stdout), True, r.stdout.startswith(b"Status: 200 OK")
          and len(r.stdout) > 55000 and r.end == (0, 0))
    check("client abort: nothing logged", "", srv_big.logtext())


def case_slow_peers(srv):
    silent = []
    for _ in range(40):
        s = srv.connect()
        s.sendall(request()[:5])
        silent.append(s)
    stop = threading.Event()

    def trickle():
        data = request()
        socks = [srv.connect() for _ in range(10)]
        i = 0
        while not stop.is_set() and i < len(data) - 1:
            for s in socks:
                try:
                    s.send(data[i:i + 1])
                except OSError:
                    pass
            i += 1
            time.sleep(0.1)
        for s in socks:
            s.close()
    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    slow = 0
    for _ in range(20):
        start = time.monotonic()
        r = srv.exchange(request(), 2)
        if r.stdout != ORG:
            slow += 100
        if time.monotonic() - start > 0.5:
            slow += 1
    check("40 silent and 10 trickling peers: 20 normal requests answered "
          "at once", 0, slow)
    # A silent peer is dropped after the 5 s read timeout.
    start = time.monotonic()
    silent[0].settimeout(8)
    try:
        closed = silent[0].recv(1) == b""
    except socket.timeout:
        closed = False
    except ConnectionResetError:
        closed = True
    check("a silent peer is closed after the read timeout", True,
          closed and 3 < time.monotonic() - start + 1 < 8)
    stop.set()
    t.join(5)
    for s in silent:
        s.close()


def open_kept(srv, n, what):
    """n kept connections, each with one request answered."""
    kept = []
    for i in range(n):
        s = srv.connect()
        s.sendall(request(keep=True))
        r = read_response(s, 2)
        if r.stdout != ORG:
            notok("%s: kept connection %d answered" % (what, i),
                  repr(r.stdout[:80]))
            s.close()
            break
        kept.append(s)
    return kept


def case_idle_kept(srv):
    kept = open_kept(srv, 300, "idle kept connections")
    start = time.monotonic()
    r = srv.exchange(request())
    check("300 idle kept connections on 2 workers: a new one is answered "
          "at once", (ORG, True), (r.stdout, time.monotonic() - start < 0.5))
    s = kept[150]
    s.sendall(request(keep=True))
    r = read_response(s, 2)
    check("...and so is the next request on any kept connection", ORG,
          r.stdout)
    for s in kept:
        s.close()


def rss_kb(pids):
    total = 0
    for p in pids:
        with open("/proc/%d/status" % p) as f:
            total += int(f.read().split("VmRSS:")[1].split()[0])
    return total


def case_oversized(srv):
    workers = srv.workers()
    before = rss_kb(workers)
    for _ in range(3):
        r = srv.exchange(request(env=GOOD_ENV[:2] + [(b"HTTP_HOST",
                                                      b"a" * 1000000)]), 5)
        check("a 1 MB Host: 400", (R400, (0, 0)), (r.stdout, r.end))
        many = [(b"P%d" % i, b"") for i in range(100000)]
        r = srv.exchange(request(env=GOOD_ENV + many), 5)
        check("100,000 params: 400", (R400, (0, 0)), (r.stdout, r.end))
        r = srv.exchange(request(env=GOOD_ENV + [(b"CONTENT_LENGTH",
                                                  b"200000")],
                                 body=b"x" * 200000), 5)
        check("a 200 KB body: 413", (R413, (0, 0)), (r.stdout, r.end))
    grown = rss_kb(workers) - before
    check("workers' memory did not grow with them (%d kB)" % grown, True,
          grown < 2048)
    still_serves(srv, "oversized")


def as_nobody():
    os.setgid(65534)
    os.setgroups([])
    os.setuid(65534)


def nobody_dir():
    """A directory an unprivileged server can use (root reads any file
    and may change any limit, so some cases must run as nobody)."""
    d = os.path.join(SCRATCH, "nobody")
    if not os.path.isdir(d):
        os.mkdir(d)
        os.chmod(SCRATCH, 0o711)
        os.chmod(d, 0o777)
        conf = os.path.join(d, "conf.ini")
        open(conf, "w").write(open(os.path.join(SCRATCH, "conf.ini")).read())
        os.chmod(conf, 0o644)
    return d


def set_soft_nofile(pid, n):
    """Lowers or restores a process's soft descriptor limit, as its own
    user (no CAP_SYS_RESOURCE needed for the soft limit)."""
    code = ("import resource; h = resource.prlimit(%d, resource.RLIMIT_NOFILE)"
            "[1]; resource.prlimit(%d, resource.RLIMIT_NOFILE, (%d, h))"
            % (pid, pid, n))
    return subprocess.run([sys.executable, "-c", code], preexec_fn=as_nobody
                          if os.geteuid() == 0 else None).returncode == 0


def case_emfile():
    """Out of descriptors: a worker whose limit is cut while it runs."""
    d = nobody_dir()
    srv = Server("nobody/emfile", os.path.join(d, "conf.ini"), ["-w", "1"],
                 preexec=as_nobody if os.geteuid() == 0 else None)
    worker = srv.workers()[0]
    if not set_soft_nofile(worker, 24):
        notok("EMFILE: could not lower the worker's descriptor limit")
    flood = []
    for _ in range(60):
        try:
            flood.append(srv.connect())
        except OSError:
            break
    time.sleep(0.5)
    for s in flood:
        s.close()
    set_soft_nofile(worker, 1024)
    ok_after = wait_until(lambda: srv.exchange(request(), 1).stdout == ORG, 3)
    check("EMFILE: served again once descriptors are free", True, ok_after)
    log = srv.logtext()
    check("EMFILE: said once, the same worker still serving",
          (1, 0, [worker]), (log.count("Too many open files"),
                             log.count("worker "), srv.workers()))
    gone, status = srv.stop()
    check("EMFILE server stops cleanly", (True, 0), (gone, status))


def case_worker_crash(srv):
    """SIGABRT is what libfcgi's failed assertion and stack-smash check
    raise (and what no sanitizer intercepts)."""
    def settled():
        """Two workers, the same ones a moment later: no generation of
        an earlier reload is still on its way out."""
        w = srv.workers()
        time.sleep(0.3)
        return len(w) == 2 and srv.workers() == w
    wait_until(settled, 5)
    before = srv.workers()
    os.kill(before[0], signal.SIGABRT)
    wait_until(lambda: len(srv.workers()) == len(before) and
               before[0] not in srv.workers(), 10)
    after = srv.workers()
    check("a worker killed by SIGABRT is replaced",
          (len(before), False), (len(after), before[0] in after))
    if len(after) != len(before):
        # Seen twice under heavy load, never reproduced: say all there
        # is (every child, zombies too, and where each waits).
        print("#   workers before %r, after %r; log:" % (before, after))
        for line in srv.logtext().splitlines()[-6:]:
            print("#   " + line)
        ps = subprocess.run(["ps", "-o", "pid,ppid,stat,wchan:24,cmd",
                             "--ppid", str(srv.pid)],
                            capture_output=True, text=True).stdout
        for line in ps.splitlines():
            print("#   " + line)
    lines = [l for l in srv.logtext().splitlines() if "worker" in l]
    check("its death is logged once",
          ["mta-sts-fcgi: worker killed by signal 6 (Aborted); "
           "restarting it"], lines)
    still_serves(srv, "worker crash")


def case_crash_loop():
    srv = Server("loop", os.path.join(SCRATCH, "conf.ini"), ["-w", "1"])
    for _ in range(6):
        w = srv.workers()
        if w:
            os.kill(w[0], signal.SIGKILL)
        wait_until(lambda: srv.workers() and srv.workers() != w, 0.3)
    log = srv.logtext()
    check("a worker that keeps dying at start is restarted after a delay",
          True, "after a delay: it keeps dying" in log)
    check("...and comes back", True,
          wait_until(lambda: srv.exchange(request(), 1).stdout == ORG, 8))
    gone, status = srv.stop()
    check("crash-loop server stops cleanly", (True, 0), (gone, status))


def case_supervisor_killed():
    srv = Server("orphans", os.path.join(SCRATCH, "conf.ini"), ["-w", "3"])
    wait_until(lambda: len(srv.workers()) == 3, 3)
    workers = srv.workers()
    os.kill(srv.pid, signal.SIGKILL)
    srv.proc.wait()
    gone = wait_until(lambda: not any(alive(p) for p in workers), 1)
    check("supervisor SIGKILLed: its %d workers exit within a second"
          % len(workers), True, gone and len(workers) == 3)
    try:
        os.unlink(srv.sock)
    except OSError:
        pass


def case_stuck_reload():
    """Workers stuck (SIGSTOP) when a reload comes: the loader's image
    is sent, but "reloaded" waits for every worker's ack; then SIGTERM:
    the supervisor kills the stuck workers, waits for each, and exits 0."""
    srv = Server("stuck", os.path.join(SCRATCH, "conf.ini"), ["-w", "2"])
    wait_until(lambda: len(srv.workers()) == 2, 3)
    old = srv.workers()
    for p in old:
        os.kill(p, signal.SIGSTOP)
    srv.proc.send_signal(signal.SIGHUP)
    # The loader comes and goes; the stuck workers cannot ack.
    time.sleep(0.5)
    wait_until(lambda: srv.workers() == old, 3)
    check("stuck workers: no \"reloaded\" before they take the image",
          (old, False), (srv.workers(), "reloaded" in srv.logtext()))
    gone, status = srv.stop(seconds=3.0)
    lines = [l for l in srv.logtext().splitlines() if "worker" in l]
    check("stuck workers: SIGTERM, killed, all exit 0",
          (True, 0), (gone, status))
    check("...said once",
          ["mta-sts-fcgi: 2 workers did not stop in time; killing them"],
          lines)
    for p in old:
        if alive(p):
            os.kill(p, signal.SIGKILL)


def case_privileges(srv):
    def uid(p):
        for line in open("/proc/%d/status" % p):
            if line.startswith("Uid:"):
                return int(line.split()[1])
    # A worker seen in the instant after fork() is still root, and one
    # still in its setup has no filter yet.
    wait_until(lambda: [uid(p) for p in srv.workers()] == [33, 33], 3)
    check("started as root: the supervisor stays root, 2 workers run as "
          "www-data", (0, [33, 33]),
          (uid(srv.pid), [uid(p) for p in srv.workers()]))

    def confinement(p):
        with open("/proc/%d/status" % p) as f:
            st = dict(l.split(":", 1) for l in f.read().splitlines()
                      if ":" in l)
        root = os.readlink("/proc/%d/root" % p)
        return (st["Seccomp"].strip(), st["NoNewPrivs"].strip(),
                root.startswith("/tmp/mta-sts-fcgi.empty.") and
                root.endswith(" (deleted)"))
    wait_until(lambda: [confinement(p) for p in srv.workers()] ==
               [("2", "1", True)] * 2, 3)
    check("every worker: Seccomp 2, NoNewPrivs 1, chrooted to a removed "
          "empty directory", [("2", "1", True)] * 2,
          [confinement(p) for p in srv.workers()])
    check("the supervisor is not confined", ("0", "0"),
          confinement(srv.pid)[:2])


def case_reload_under_load(srv, conf):
    load = Load(srv, [ORG, ORG_ENFORCE], threads=4)
    load_kept = Load(srv, [ORG, ORG_ENFORCE], threads=2, keep=True)
    time.sleep(0.5)
    text = open(conf).read()
    open(conf, "w").write(text.replace("mode = testing", "mode = enforce"))
    os.kill(srv.pid, signal.SIGHUP)
    time.sleep(0.5)
    os.kill(srv.pid, signal.SIGHUP)     # twice: loads overlap
    time.sleep(1.0)
    n1, bad1 = load.stop()
    n2, bad2 = load_kept.stop()
    check("reload under load: %d requests, every answer entirely old or new"
          % (n1 + n2), [], (bad1 + bad2)[:5])
    check("reload under load: the new policy is served", ORG_ENFORCE,
          srv.exchange(request()).stdout)
    check("reload under load: both policies were seen", 2,
          len(load.seen | load_kept.seen))
    wait_until(lambda: len(srv.workers()) == 2, 2)
    check("reload: the same 2 workers, none added", 2,
          len(srv.workers()))
    open(conf, "w").write(text)
    os.kill(srv.pid, signal.SIGHUP)
    wait_until(lambda: srv.exchange(request()).stdout == ORG, 3)


def reload_refused(srv, what, reason):
    """SIGHUP with a config that cannot load: the old policy is still
    served, and the reason and the verdict are the last two log lines."""
    os.kill(srv.pid, signal.SIGHUP)
    time.sleep(0.4)
    check("SIGHUP with %s config: the old policy stays" % what, ORG,
          srv.exchange(request()).stdout)
    check("SIGHUP with %s config: logged" % what, reason,
          srv.logtext().splitlines()[-2:])


def case_reload_failures(srv, conf):
    good = open(conf).read()
    open(conf, "w").write(good.replace("mode = testing", "mode = testin"))
    reload_refused(srv, "a broken", [
        'mta-sts-fcgi: %s:25: mode: "testin" is not one of enforce, '
        'testing, none' % conf,
        "mta-sts-fcgi: %s: reload failed with 1 error; still serving the "
        "previous configuration" % conf])
    os.rename(conf, conf + ".away")
    reload_refused(srv, "a missing", [
        "mta-sts-fcgi: %s: No such file or directory" % conf,
        "mta-sts-fcgi: %s: reload failed; still serving the previous "
        "configuration" % conf])
    os.rename(conf + ".away", conf)
    open(conf, "w").write(good)


def case_reload_unreadable():
    """As an unprivileged user (root reads any file)."""
    conf = os.path.join(nobody_dir(), "conf.ini")
    srv = Server("nobody/srv", conf, ["-w", "1"], preexec=as_nobody)
    os.chmod(conf, 0)
    reload_refused(srv, "an unreadable", [
        "mta-sts-fcgi: %s: Permission denied" % conf,
        "mta-sts-fcgi: %s: reload failed; still serving the previous "
        "configuration" % conf])
    gone, status = srv.stop()
    check("unprivileged server stops cleanly", (True, 0), (gone, status))
    os.chmod(conf, 0o644)


def case_sigterm_in_request():
    srv = Server("term1", os.path.join(SCRATCH, "conf.ini"), ["-w", "2"])
    s = srv.connect()
    s.sendall(request()[:30])           # a request that never completes
    time.sleep(0.1)
    gone, status = srv.stop()
    check("SIGTERM during an unfinished request: all exit 0 within 1 s",
          (True, 0), (gone, status))
    s.settimeout(1)
    try:
        closed = s.recv(1) == b""
    except OSError:
        closed = True
    check("...and that connection is closed", True, closed)
    s.close()


def case_sigterm_under_load():
    srv = Server("term2", os.path.join(SCRATCH, "conf.ini"), ["-w", "2"])
    load = Load(srv, [ORG], threads=6)
    time.sleep(0.5)
    gone, status = srv.stop()
    count, bad = load.stop()
    check("SIGTERM under load (%d requests): all exit 0 within 1 s" % count,
          (True, 0), (gone, status))
    check("SIGTERM under load: nothing in the log but the config's warning",
          [], [l for l in srv.logtext().splitlines() if ": warning: " not in l])


def case_web_server_addrs():
    port = free_port()
    srv = Server("addrs", os.path.join(SCRATCH, "conf.ini"), ["-w", "1"],
                 env={"FCGI_WEB_SERVER_ADDRS": "127.0.0.2,::2"},
                 address="127.0.0.1:%d" % port)
    r = srv.exchange(request(), 1)
    check("FCGI_WEB_SERVER_ADDRS: 127.0.0.1 not listed: closed", (b"", True),
          (r.stdout, r.closed))
    srv.stop()
    port = free_port()
    srv = Server("addrs6", os.path.join(SCRATCH, "conf.ini"), ["-w", "1"],
                 env={"FCGI_WEB_SERVER_ADDRS": "127.0.0.2,::1"},
                 address="[::1]:%d" % port)
    r = srv.exchange(request(), 1)
    check("FCGI_WEB_SERVER_ADDRS: ::1 listed: served over IPv6", ORG, r.stdout)
    srv.stop()


def free_port():
    """A loopback port nobody listens on, below the ephemeral range (any
    port in that range may be held by a client connection)."""
    import random
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError):
        low = 32768
    while True:
        p = random.randrange(10000, max(low, 11000))
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", p))
        except OSError:
            return p
        finally:
            s.close()


def timed(f):
    def wrapper(*args):
        t = time.monotonic()
        r = f(*args)
        if os.environ.get("FAULTS_TIMING"):
            print("# %s: %.2f s" % (f.__name__, time.monotonic() - t),
                  flush=True)
        return r
    return wrapper


def main():
    conf = os.path.join(SCRATCH, "conf.ini")
    with open(os.path.join(TOP, "etc/mta-sts-fcgi.ini")) as f:
        open(conf, "w").write(f.read())
    big = os.path.join(SCRATCH, "big.ini")
    with open(big, "w") as f:
        f.write("[policy]\nmode = enforce\nmax_age = 604800\n")
        for i in range(2500):
            f.write("mx = mx%d.example.com\n" % i)

    srv = Server("main", conf, ["-w", "2"])
    timed(case_privileges)(srv)
    timed(case_malformed)(srv)
    timed(case_truncated)(srv)
    timed(case_split_pairs)(srv)
    timed(case_crash_records)(srv)
    timed(case_management)(srv)
    timed(case_multiplexing)(srv)
    timed(case_roles)(srv)
    timed(case_keepconn_bodies)(srv)
    timed(case_pipelining)(srv)
    timed(case_oversized)(srv)
    timed(case_idle_kept)(srv)
    timed(case_slow_peers)(srv)
    timed(case_reload_failures)(srv, conf)
    timed(case_reload_under_load)(srv, conf)
    no_deaths(srv, "all of the above")
    gone, status = srv.stop()
    check("main server: SIGTERM, all exit 0 within 1 s", (True, 0),
          (gone, status))
    check("main server: its socket is removed", False,
          os.path.exists(srv.sock))

    crash_srv = Server("crash", conf, ["-w", "2"])
    timed(case_worker_crash)(crash_srv)
    check("crash server: SIGTERM, all exit 0 within 1 s", (True, 0),
          crash_srv.stop())

    big_srv = Server("big", big, ["-w", "1"],
                     address="127.0.0.1:%d" % free_port())
    timed(case_client_abort)(big_srv)
    big_srv.stop()

    timed(case_emfile)()
    timed(case_crash_loop)()
    timed(case_supervisor_killed)()
    timed(case_stuck_reload)()
    timed(case_sigterm_in_request)()
    timed(case_sigterm_under_load)()
    timed(case_web_server_addrs)()
    if os.geteuid() == 0:
        case_reload_unreadable()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
