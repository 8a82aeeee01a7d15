#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Every finding of the hostile audit (issue 8), one case each, against a
running mta-sts-fcgi, with the raw FastCGI client of faults.py.  Each case
failed on the design where libfcgi read the peer's socket after a peek.
Prints "ok - ..." / "not ok - ..." lines.

Environment: BIN (the program), SCRATCH (a private directory).
"""
import os
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import faults
from faults import (ABORT, BEGIN, DATA, END, GET_VALUES, GET_VALUES_RESULT, PARAMS,
                    STDIN, STDOUT, GOOD_ENV, ORG, R400, PATH, SCALE, SCRATCH,
                    Server, alive, begin, check, notok, ok, pairs, read_records,
                    read_response, rec, request, still_serves, stream,
                    wait_until)

R413 = faults.R413
HEAD_ENV = [(b"REQUEST_METHOD", b"HEAD"), (b"REQUEST_URI", PATH),
            (b"HTTP_HOST", b"mta-sts.example.org")]


def stop_proc(p):
    """SIGTERM, then SIGKILL after 3 s: a process this script started."""
    p.terminate()
    try:
        p.wait(3)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def head_of(resp):
    return resp[:resp.index(b"\r\n\r\n") + 4]


def worker_deaths(srv):
    return [l for l in srv.logtext().splitlines() if "worker" in l]


# --- finding 1: one request killed a worker ---------------------------------

def audit_request(foreign):
    """BEGIN_REQUEST, a foreign record, a PARAMS record whose one pair's
    value runs on past its end, a PARAMS record that starts with the bytes
    c0 7f 7f 7f c0 7f 7f 7f (inside that value) and then ordinary pairs,
    the end of PARAMS and STDIN.  libfcgi used to drop the second record's
    start after the foreign one and read those bytes as pair lengths that
    add up past 2^31 (the audit used c0 00 00 00: a NUL, now a 400)."""
    first = b"\x05\x0c" + b"X_PAD" + b"abcd"      # value: 4 + 8 bytes
    second = b"\xc0\x7f\x7f\x7f\xc0\x7f\x7f\x7f" + pairs(GOOD_ENV)
    return (begin() + foreign + rec(PARAMS, 1, first) +
            rec(PARAMS, 1, second) + rec(PARAMS, 1) + rec(STDIN, 1))


FOREIGN = [
    ("an empty PARAMS of id 9", rec(PARAMS, 9)),
    ("an empty STDIN of id 9", rec(STDIN, 9)),
    ("an empty DATA of id 9", rec(DATA, 9)),
    ("a padding-only record of id 9", rec(PARAMS, 9, pad=200)),
    ("an unknown type of id 9", rec(77, 9, b"xyz")),
]


def case_foreign_records(srv):
    for name, foreign in FOREIGN:
        r = srv.exchange(audit_request(foreign))
        check("finding 1: after %s, a value running across records: "
              "answered as checked" % name, (ORG, (0, 0)), (r.stdout, r.end))
    r = srv.exchange(begin() + rec(BEGIN, 9) + stream(PARAMS, 1,
                                                      pairs(GOOD_ENV)) +
                     rec(STDIN, 1))
    check("finding 1: an empty foreign BEGIN_REQUEST: closed, no answer",
          (b"", None, True), (r.stdout, r.end, r.closed))
    load = faults.Load(srv, [ORG], threads=3)
    results = []
    for _ in range(10):
        for _, foreign in FOREIGN:
            results.append(srv.exchange(audit_request(foreign)).stdout)
    count, bad = load.stop()
    check("finding 1: 50 such requests among %d normal ones: all answered, "
          "none of the normal ones failed" % count, ([ORG] * 50, []),
          (results, bad[:5]))
    check("finding 1: no worker died", [], worker_deaths(srv))


# --- finding 2: cheap requests held a worker --------------------------------

def latency(srv, n=10):
    """The slowest of n normal requests, each on a new connection."""
    worst = 0.0
    for _ in range(n):
        t = time.monotonic()
        r = srv.exchange(request(), 3)
        worst = max(worst, time.monotonic() - t if r.stdout == ORG else 99)
    return worst


STALLS = [
    ("ends with an empty DATA instead of STDIN",
     begin() + stream(PARAMS, 1, pairs(GOOD_ENV)) + rec(DATA, 1)),
    ("a DATA record of our id before STDIN",
     begin() + stream(PARAMS, 1, pairs(GOOD_ENV)) + rec(DATA, 1, b"x") +
     rec(STDIN, 1)),
    ("a foreign BEGIN_REQUEST of 3 bytes",
     begin() + rec(BEGIN, 2, b"\0\1\0") + stream(PARAMS, 1, pairs(GOOD_ENV)) +
     rec(STDIN, 1)),
    ("300 foreign BEGIN_REQUESTs",
     begin() + b"".join(begin(i) for i in range(2, 302)) +
     stream(PARAMS, 1, pairs(GOOD_ENV)) + rec(STDIN, 1)),
]


def case_stalls():
    srv = Server("stalls", os.path.join(SCRATCH, "conf.ini"), ["-w", "1"])
    for name, data in STALLS:
        for peers in (20, 40):
            socks = []
            for _ in range(peers):
                s = srv.connect()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.sendall(data)         # and never reads
                socks.append(s)
            worst = latency(srv)
            check("finding 2: %d peers that never read, each sent %s: a "
                  "normal request is answered at once (-w 1)" % (peers, name),
                  True, worst < 0.5 * SCALE)
            if worst >= 0.5 * SCALE:
                print("#   slowest: %.2f s" % worst)
            for s in socks:
                s.close()
    socks = []
    for _ in range(40):
        s = srv.connect()
        s.sendall(STALLS[0][1])
        socks.append(s)
    gone, status = srv.stop()
    check("finding 2: SIGTERM with 40 such peers: all exit 0 within 1 s",
          (True, 0), (gone, status))
    check("finding 2: nothing was killed", [],
          [l for l in srv.logtext().splitlines() if "kill" in l])
    for s in socks:
        s.close()


# --- finding 5: small writes over a unix socket -----------------------------

def case_small_writes(srv):
    env = GOOD_ENV + [(b"P%03d" % i, b"") for i in range(650)]
    s = srv.connect()
    s.settimeout(5 * SCALE)
    try:
        s.sendall(begin())
        for n, v in env:
            s.sendall(rec(PARAMS, 1, pairs([(n, v)])))
        s.sendall(rec(PARAMS, 1) + rec(STDIN, 1))
        r = read_response(s, 5)
        got = (r.stdout, r.end)
    except OSError as e:
        got = ("error", str(e))
    s.close()
    check("finding 5: 653 pairs, one record and one write each, over a unix "
          "socket: answered", (ORG, (0, 0)), got)


# --- finding 6: idle kept connections exhausted a worker ---------------------

def case_idle_eviction():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 2400:
        notok("finding 6: the test needs 2400 descriptors", "hard limit %d"
              % hard)
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (2400, hard))
    srv = Server("evict", os.path.join(SCRATCH, "conf.ini"), ["-w", "1"])
    kept = faults.open_kept(srv, 1100, "finding 6")
    t = time.monotonic()
    r = srv.exchange(request())
    check("finding 6: 1100 idle kept connections on one worker of 1000 "
          "slots: a new one is answered at once", (ORG, True),
          (r.stdout, time.monotonic() - t < 0.5 * SCALE))
    kept[0].settimeout(2)
    try:
        closed = kept[0].recv(1) == b""
    except OSError:
        closed = True
    check("finding 6: the longest-idle kept connections made room", True,
          closed)
    s = kept[-1]
    s.sendall(request(keep=True))
    check("finding 6: the newest kept connection still serves", ORG,
          read_response(s, 2).stdout)
    for s in kept:
        s.close()
    srv.stop()
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# --- finding 7: root's chown/chmod redirected by a symlink -------------------

RACER = r"""
import os, stat, sys, time
path, victim, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
            os.symlink(victim, path)
    except OSError:
        pass
"""


def case_socket_race():
    """The socket's directory belongs to the serving user, who swaps the
    fresh socket for a symlink to a root-only file, over and over, while
    root starts the server 150 times."""
    d = os.path.join(SCRATCH, "race")
    os.mkdir(d)
    os.chown(d, 65534, 65534)
    os.chmod(SCRATCH, 0o711)
    victim = os.path.join(SCRATCH, "victim")
    with open(victim, "w") as f:
        f.write("root's\n")
    os.chmod(victim, 0o600)
    sock = os.path.join(d, "s.sock")
    racer = subprocess.Popen(["/usr/bin/python3", "-c", RACER, sock, victim,
                              "600"], preexec_fn=faults.as_nobody)
    served = 0
    try:
        for _ in range(150):
            p = subprocess.Popen([faults.BIN, "-c",
                                  os.path.join(SCRATCH, "conf.ini"), "-s",
                                  "unix:" + sock, "-u", "nobody", "-w", "1"],
                                 stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            wait_until(lambda: faults.children(p.pid) or p.poll() is not None,
                       2)
            if faults.children(p.pid):
                served += 1
            stop_proc(p)
    finally:
        racer.kill()
        racer.wait()
    st = os.stat(victim)
    check("finding 7: 150 starts against a racing symlink: the root-only "
          "file keeps owner 0 and mode 0600", (0, 0o600),
          (st.st_uid, st.st_mode & 0o7777))
    check("finding 7: the servers still started", True, served > 100)


# --- finding 8: reload reset requests already sent ---------------------------

def reload_round(srv, kept, data, answers):
    """Freezes the workers (SIGSTOP), writes data on every kept
    connection, sends SIGHUP, waits for the loader to be done and lets
    the workers go: they find the new image and the requests at once.
    Returns how many END_REQUESTs each connection got."""
    old = srv.workers()
    n = srv.logtext().count("reloaded")
    for p in old:
        os.kill(p, signal.SIGSTOP)
    for s in kept:
        s.sendall(data)
    os.kill(srv.pid, signal.SIGHUP)
    time.sleep(0.1)
    wait_until(lambda: srv.workers() == old, 3)
    for p in old:
        os.kill(p, signal.SIGCONT)
    got = [len([r for r in read_records(s, answers) if r[0] == END])
           for s in kept]
    for s in kept:
        s.close()
    wait_until(lambda: srv.logtext().count("reloaded") > n, 3)
    return got


def case_reload_pending(srv, conf):
    """Requests that have arrived on idle kept connections when a reload
    reaches their worker are served, not reset.  To make "arrived but not
    yet read" certain, the workers are frozen while the requests are
    written and SIGHUP is sent.  10 reloads x 20 connections."""
    got = []
    for _ in range(10):
        got += reload_round(srv, faults.open_kept(srv, 20, "finding 8"),
                            request(keep=True), 1)
    check("finding 8: 200 requests waiting on idle kept connections when "
          "a reload reaches their workers: every one answered", [1] * 200,
          got)


# --- finding 9: GET_VALUES shortened the idle limit --------------------------

def case_get_values_idle(srv):
    s = srv.connect()
    records, again = None, None
    try:
        s.sendall(request(keep=True))
        first = read_response(s, 2).stdout
        s.sendall(rec(GET_VALUES, 0, pairs([(b"FCGI_MPXS_CONNS", b"")])))
        records = read_response(s, 2, until_end=False).records
        time.sleep(6)               # longer than the 5 s request time
        s.sendall(request(keep=True))
        again = read_response(s, 2).stdout
    except OSError as e:
        again = str(e)
    s.close()
    check("finding 9: GET_VALUES on an idle kept connection, then 6 s: the "
          "connection still serves", (ORG, [(GET_VALUES_RESULT, 0,
                                            pairs([(b"FCGI_MPXS_CONNS",
                                                    b"0")]))], ORG),
          (first, records, again))


# --- finding 10: a worker spun after its supervisor was killed ---------------

def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def case_orphan_spin():
    srv = Server("orphan-spin", os.path.join(SCRATCH, "conf.ini"),
                 ["-w", "1"])
    worker = srv.workers()[0]
    s = srv.connect()
    s.sendall(request()[:30])           # a request in progress
    time.sleep(0.1)
    before = cpu_ticks(worker)
    last = before
    os.kill(srv.pid, signal.SIGKILL)
    srv.proc.wait()
    end = time.monotonic() + 2 * SCALE
    while alive(worker) and time.monotonic() < end:
        try:
            last = cpu_ticks(worker)
        except OSError:
            break
        time.sleep(0.01)
    check("finding 10: supervisor SIGKILLed during a request: the worker "
          "exits without spinning", (False, True),
          (alive(worker), last - before <= 10))
    s.close()
    try:
        os.unlink(srv.sock)
    except OSError:
        pass


# --- finding 11: the smaller ones -------------------------------------------

def case_small_findings(srv):
    body = b"x" * 32768
    r = srv.exchange(begin() + stream(PARAMS, 1, pairs(GOOD_ENV)) +
                     rec(STDIN, 1, body, pad=7) + rec(STDIN, 1, body, pad=7) +
                     rec(STDIN, 1))
    check("finding 11: a 65,536-byte body as two padded 32 KiB records: "
          "not 413", (ORG, (0, 0)), (r.stdout, r.end))
    r = srv.exchange(request(env=HEAD_ENV + [(b"X", b"a" * 70000)]), 5)
    check("finding 11: HEAD with an oversized head: 400 without a body",
          (head_of(R400), (0, 0)), (r.stdout, r.end))
    r = srv.exchange(request(env=HEAD_ENV, body=b"x" * 70000), 5)
    check("finding 11: HEAD with an oversized body: 413 without a body",
          (head_of(R413), (0, 0)), (r.stdout, r.end))
    r = srv.exchange(request(env=[(b"X", b"a" * 70000)] + HEAD_ENV), 5)
    check("finding 11: HEAD named after 70 KB of params: still no body",
          (head_of(R400), (0, 0)), (r.stdout, r.end))
    for host in (b"a..b", b".example.org", b"mta-sts." + b"a" * 64 + b".org",
                 b"example.org..", b":80", b"-a.example.org"):
        env = GOOD_ENV[:2] + [(b"HTTP_HOST", host)]
        data = pairs(env)
        whole = srv.exchange(begin() + rec(PARAMS, 1, data) + rec(PARAMS, 1) +
                             rec(STDIN, 1))
        split = srv.exchange(begin() + rec(PARAMS, 1, data[:40]) +
                             rec(PARAMS, 1, data[40:]) + rec(PARAMS, 1) +
                             rec(STDIN, 1))
        check("finding 11: Host %r is not a host name: 400, split or not"
              % host, (R400, R400), (whole.stdout, split.stdout))


CLIENT = r"""
import socket, sys
data = bytes.fromhex(sys.argv[3])
for addr in sys.argv[1].split(","):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((addr, int(sys.argv[2])))
        s.sendall(data)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        print(addr, got.hex())
    except OSError as e:
        print(addr, "error", e)
    s.close()
"""


def parse_response(raw):
    """(stdout, (app status, protocol status)) of a whole response."""
    out, end = b"", None
    while len(raw) >= 8:
        _, rtype, _, clen, pad, _ = struct.unpack(">BBHHBB", raw[:8])
        content, raw = raw[8:8 + clen], raw[8 + clen + pad:]
        if rtype == STDOUT:
            out += content
        elif rtype == END:
            end = struct.unpack(">IB3x", content)
    return out, end


def case_localhost():
    """-s with a name that has an IPv4 and an IPv6 address binds both, as
    nginx does.  The name is given both in a network namespace's own
    /etc/hosts (ip netns exec mounts /etc/netns/NAME/hosts over it)."""
    ns = "mtsf-audit-%d" % os.getpid()
    etc = "/etc/netns/" + ns
    port = 9000
    srv = None
    try:
        os.makedirs(etc)
        with open(etc + "/hosts", "w") as f:
            f.write("127.0.0.1 dual.test\n::1 dual.test\n")
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo",
                        "up"], check=True)
        srv = subprocess.Popen(["ip", "netns", "exec", ns, faults.BIN, "-c",
                                os.path.join(SCRATCH, "conf.ini"), "-s",
                                "dual.test:%d" % port, "-w", "1"],
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        wait_until(lambda: faults.children(srv.pid), 3)
        out = subprocess.run(["ip", "netns", "exec", ns, "/usr/bin/python3",
                              "-c", CLIENT, "127.0.0.1,::1", str(port),
                              request().hex()], capture_output=True,
                             text=True, timeout=10).stdout.split("\n")
        got = [(line.split()[0], parse_response(bytes.fromhex(
            line.split()[1]))) for line in out if len(line.split()) == 2]
        check("finding 11: -s dual.test:PORT, a name with 127.0.0.1 and "
              "::1: served on both", [("127.0.0.1", (ORG, (0, 0))),
                                      ("::1", (ORG, (0, 0)))], got)
    except (OSError, subprocess.SubprocessError) as e:
        notok("finding 11: -s with a name of two addresses", str(e))
    finally:
        if srv is not None:
            stop_proc(srv)
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", etc])



# --- the second audit (an outside attacker against the new design) ----------

def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    return soft, hard


def case_silent_slots():
    """1,010 connections that send nothing, on one worker of 1,000 slots:
    the oldest waiting one makes room, so a normal request still gets in."""
    soft, hard = raise_nofile(2400)
    srv = Server("silent", os.path.join(SCRATCH, "conf.ini"), ["-w", "1"])
    socks = [srv.connect() for _ in range(1010)]
    worst = latency(srv, 5)
    check("second audit: 1,010 silent connections on one worker: a normal "
          "request is answered at once", True, worst < 0.5 * SCALE)
    if worst >= 0.5 * SCALE:
        print("#   slowest: %.2f s" % worst)
    for s in socks:
        s.close()
    srv.stop()
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def case_reload_pipelined(srv):
    """Three pipelined requests waiting on each kept connection when a
    reload reaches its worker: all three answered, 10 reloads."""
    got = []
    for _ in range(10):
        got += reload_round(srv, faults.open_kept(srv, 6, "second audit"),
                            request(keep=True) * 3, 3)
    check("second audit: 3 pipelined requests on each of 6 kept connections "
          "as a reload reaches their workers, 10 reloads: all answered", [3] * 60, got)


def server_own_conf(name):
    """A one-worker server on a copy of the config in a directory of its
    own, for cases that replace the file: (the copy's path, the server)."""
    d = os.path.join(SCRATCH, name)
    os.mkdir(d)
    conf = os.path.join(d, "conf.ini")
    with open(os.path.join(SCRATCH, "conf.ini")) as f:
        open(conf, "w").write(f.read())
    return conf, Server(name, conf, ["-w", "1"])


def case_fifo_reload():
    """The config replaced by a FIFO, then SIGHUP: refused at once; the
    supervisor still replaces a dead worker and stops on SIGTERM."""
    conf, srv = server_own_conf("fifo")
    os.unlink(conf)
    os.mkfifo(conf)
    os.kill(srv.pid, signal.SIGHUP)
    time.sleep(0.3)
    check("second audit: SIGHUP with a FIFO as the config: refused",
          ["mta-sts-fcgi: %s: not a regular file" % conf,
           "mta-sts-fcgi: %s: reload failed; still serving the previous "
           "configuration" % conf], srv.logtext().splitlines()[-2:])
    w = srv.workers()
    os.kill(w[0], signal.SIGKILL)
    check("second audit: ...then a killed worker is replaced", True,
          wait_until(lambda: srv.workers() and srv.workers() != w, 2))
    still_serves(srv, "FIFO config")
    gone, status = srv.stop()
    check("second audit: ...and SIGTERM stops it", (True, 0), (gone, status))


def case_huge_config():
    conf, srv = server_own_conf("huge")
    os.rename(conf, conf + ".good")
    with open(conf, "w") as f:
        f.truncate(300 << 20)          # sparse: costs no disk
    t = time.monotonic()
    os.kill(srv.pid, signal.SIGHUP)
    wait_until(lambda: "reload failed" in srv.logtext(), 2)
    check("second audit: a 300 MiB config is refused before it is read",
          ["mta-sts-fcgi: %s: %d bytes; a config may have at most 256 MiB"
           % (conf, 300 << 20), "mta-sts-fcgi: %s: reload failed; still "
           "serving the previous configuration" % conf, True],
          srv.logtext().splitlines()[-2:] + [time.monotonic() - t < 1])
    still_serves(srv, "huge config")
    srv.stop()


def case_second_small(srv):
    for name, env in (
            ("a NUL in HTTP_HOST", GOOD_ENV[:2] +
             [(b"HTTP_HOST", b"mta-sts.example.org\0/../x")]),
            ("a NUL in REQUEST_URI", [GOOD_ENV[0], (b"REQUEST_URI", PATH +
                                                    b"\0junk"), GOOD_ENV[2]]),
            ("a NUL in REQUEST_METHOD", [(b"REQUEST_METHOD", b"GET\0X")] +
             GOOD_ENV[1:])):
        r = srv.exchange(request(env=env))
        check("second audit: %s: 400" % name, (R400, (0, 0)),
              (r.stdout, r.end))
    p = pairs(GOOD_ENV + [(b"X", b"v" * 7490)])
    one = srv.exchange(begin() + rec(PARAMS, 1, p) + rec(PARAMS, 1) +
                       rec(STDIN, 1))
    tiny = srv.exchange(begin() + b"".join(rec(PARAMS, 1, p[i:i + 1])
                                           for i in range(len(p))) +
                        rec(PARAMS, 1) + rec(STDIN, 1))
    check("second audit: 7.5 KB of params in one record and in 1-byte "
          "records: the same answer", (ORG, ORG), (one.stdout, tiny.stdout))
    s = srv.connect()
    s.sendall(begin(1, keep=True) + rec(PARAMS, 1, pairs(GOOD_ENV)) +
              rec(ABORT, 1) + request(3))
    records = read_records(s, 2)
    s.close()
    check("second audit: ABORT_REQUEST gets END_REQUEST, and the request "
          "behind it is answered",
          [(END, 1, struct.pack(">IB3x", 0, 0)), (STDOUT, 3, ORG)],
          [r for r in records if r[0] == END and r[1] == 1] +
          [(STDOUT, 3, b"".join(c for t, i, c in records
                                if t == STDOUT and i == 3))])
    for w in srv.workers():
        dirs = [os.readlink("/proc/%d/fd/%s" % (w, fd))
                for fd in os.listdir("/proc/%d/fd" % w)]
        check("second audit: worker %d holds no descriptor on the socket's "
              "directory" % w, [], [d for d in dirs
                                    if d == os.path.dirname(srv.sock)])


def case_max_conns():
    def low_nofile():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    srv = Server("maxconns", os.path.join(SCRATCH, "conf.ini"), ["-w", "1"],
                 preexec=low_nofile)
    r = srv.exchange(rec(GET_VALUES, 0, pairs([(b"FCGI_MAX_CONNS", b"")])),
                     2, until_end=False)
    # 64, less the worker's own 8 (stdio, socket, pipe, epoll, channel)
    # and 2 spare (issue 17).
    check("second audit: FCGI_MAX_CONNS with 64 descriptors: the real cap",
          [(GET_VALUES_RESULT, 0, pairs([(b"FCGI_MAX_CONNS", b"54")]))],
          r.records)
    srv.stop()


# --- the third audit (issue 17) --------------------------------------------

def max_conns(srv):
    """FCGI_MAX_CONNS as srv reports it: with -w 1, its worker's slots."""
    r = srv.exchange(rec(GET_VALUES, 0, pairs([(b"FCGI_MAX_CONNS", b"")])),
                     2, until_end=False)
    for rtype, _, c in r.records:
        if rtype == GET_VALUES_RESULT:
            return int(c[2 + len(b"FCGI_MAX_CONNS"):])
    return 0


class Pipeliners:
    """n peers that each pipeline 1,000 GETs with FCGI_KEEP_CONN (their
    answers are more than a unix socket's buffer holds).  The even ones
    read 8 KB every 50 ms (160 KB/s) and keep their pipeline full, as
    the audit's peers did; the odd ones never read.  A thread drives
    them: seen[i] once peer i has an answer waiting, closed[i] the time
    the server closed it."""

    def __init__(self, srv, n):
        self.socks = []
        for _ in range(n):
            s = srv.connect()
            s.setblocking(False)
            self.socks.append(s)
        self.pending = [request(keep=True) * 1000 for _ in range(n)]
        self.seen = [False] * n
        self.closed = [None] * n
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def step(self, i, now):
        s = self.socks[i]
        p = select.poll()
        p.register(s, select.POLLIN | select.POLLRDHUP)
        ev = p.poll(0)
        ev = ev[0][1] if ev else 0
        if ev & (select.POLLHUP | select.POLLRDHUP | select.POLLERR):
            self.closed[i] = now
            return
        self.seen[i] = self.seen[i] or bool(ev & select.POLLIN)
        if i % 2 == 0:
            try:
                s.recv(8192)
            except OSError:
                pass
            if len(self.pending[i]) < 65536:
                self.pending[i] += request(keep=True) * 60
        try:
            n = s.send(self.pending[i])
            self.pending[i] = self.pending[i][n:]
        except OSError:
            pass

    def run(self):
        while not self.done.is_set():
            now = time.monotonic()
            for i in range(len(self.socks)):
                if self.closed[i] is None:
                    self.step(i, now)
            time.sleep(0.05)

    def stop(self):
        self.done.set()
        self.thread.join(5)
        for s in self.socks:
            s.close()


def case_slow_readers():
    """Issue 17, F1: as many pipelining peers as one worker has slots,
    reading slowly or never, used to hold every slot: a written answer
    restarted the write deadline, and a connection waiting for its peer
    to read was never evicted."""
    srv = Server("slow", os.path.join(SCRATCH, "conf.ini"), ["-w", "1"],
                 wrap=["prlimit", "--nofile=16"])
    slots = max_conns(srv)
    time.sleep(0.2)     # that connection's slot is free again
    peers = Pipeliners(srv, slots)
    all_in = wait_until(lambda: all(peers.seen), 3)
    start = time.monotonic()
    check("third audit: %d pipelining peers, one on each slot, all answered "
          "at first" % slots, (True, True), (slots > 1, all_in))
    r = srv.exchange(request(), 3)
    check("third audit: ...a new request is answered at once, exactly",
          (ORG, (0, 0), True),
          (r.stdout, r.end, time.monotonic() - start < 1 * SCALE))
    s = srv.connect()
    s.sendall(request(keep=True) * 299 + request())
    records = read_records(s, 300, 3 * SCALE)
    s.close()
    check("third audit: ...a new peer that pipelines 300 GETs and reads "
          "them gets all 300 answers, exactly", (ORG * 300, [(0, 0)] * 300),
          (b"".join(c for t, _, c in records if t == STDOUT),
           [struct.unpack(">IB3x", c) for t, _, c in records if t == END]))
    gone = wait_until(lambda: None not in peers.closed, 8)
    waited = [round(t - start, 1) for t in peers.closed if t is not None]
    check("third audit: ...and every pipelining peer, reading slowly or "
          "never, is closed within the 5 s write budget", (True, True),
          (gone, all(w < 7 * SCALE for w in waited)))
    if not gone or waited and max(waited) >= 7 * SCALE:
        print("#   closed after %r s" % waited)
    peers.stop()
    gone, status = srv.stop()
    check("third audit: ...then SIGTERM stops it", (True, 0), (gone, status))


def case_few_descriptors():
    """Issue 17: at a descriptor limit of 25 or less, slots were 8 however
    few descriptors were free, so accept failed with EMFILE and eviction
    never ran.  Each server inherits descriptors (as from a process
    manager) that leave 6 free once its worker has opened its own."""
    for limit in (20, 25):
        extra = " ".join("%d</dev/null" % fd for fd in range(3, limit - 11))
        srv = Server("fds%d" % limit, os.path.join(SCRATCH, "conf.ini"),
                     ["-w", "1"], wrap=["prlimit", "--nofile=%d" % limit,
                                        "bash", "-c", 'exec %s; exec "$@"'
                                        % extra, "bash"])
        slots = max_conns(srv)
        kept = []
        for _ in range(slots):
            s = srv.connect()
            s.sendall(request(keep=True))
            if read_response(s, 1).stdout != ORG:
                s.close()
                break
            kept.append(s)
        r = srv.exchange(request(), 2)
        check("third audit: descriptor limit %d, %d inherited: all %d slots "
              "held by idle kept connections: a new request is answered, "
              "exactly, and no accept failed" % (limit, limit - 14, slots),
              (ORG, (0, 0), slots, False),
              (r.stdout, r.end, len(kept),
               "Too many open files" in srv.logtext()))
        for s in kept:
            s.close()
        gone, status = srv.stop()
        check("third audit: limit %d: SIGTERM stops it" % limit, (True, 0),
              (gone, status))


def main():
    conf = os.path.join(SCRATCH, "conf.ini")
    with open(os.path.join(faults.TOP, "etc/mta-sts-fcgi.ini")) as f:
        open(conf, "w").write(f.read())
    srv = Server("audit", conf, ["-w", "2"])
    faults.timed(case_foreign_records)(srv)
    faults.timed(case_small_writes)(srv)
    faults.timed(case_small_findings)(srv)
    faults.timed(case_get_values_idle)(srv)
    faults.timed(case_reload_pending)(srv, conf)
    faults.timed(case_reload_pipelined)(srv)
    faults.timed(case_second_small)(srv)
    still_serves(srv, "audit")
    gone, status = srv.stop()
    check("audit server: SIGTERM, all exit 0 within 1 s", (True, 0),
          (gone, status))
    faults.timed(case_stalls)()
    faults.timed(case_idle_eviction)()
    faults.timed(case_orphan_spin)()
    faults.timed(case_silent_slots)()
    faults.timed(case_fifo_reload)()
    faults.timed(case_huge_config)()
    faults.timed(case_max_conns)()
    faults.timed(case_slow_readers)()
    faults.timed(case_few_descriptors)()
    if os.geteuid() == 0:
        faults.timed(case_localhost)()
        faults.timed(case_socket_race)()
    return 1 if faults.failures else 0


if __name__ == "__main__":
    sys.exit(main())
