#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Issue 17, F1, by hand (not part of make check or make bench): one
worker (-w 1) with 31 slots (the descriptor limit that gives them is
found by asking FCGI_MAX_CONNS), 40 peers that each keep 300 GETs
pipelined on a kept connection and read 180 KB/s each, then new
requests one at a time, each on a new connection: how long each waits
for its answer (a wait is cut at 20 s), and how many of the 40 peers the
server had closed 8 s after they started.  Prints one Markdown table
row, labelled LABEL (default: git describe).

usage: bench/slow-readers.py [BIN [LABEL]]  (default build/mta-sts-fcgi)
"""
import os
import socket
import statistics
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["BIN"] = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                                    os.path.join(TOP, "build/mta-sts-fcgi"))
os.environ["SCRATCH"] = tempfile.mkdtemp(prefix="bench-slow.")
os.chdir(TOP)
sys.path.insert(0, os.path.join(TOP, "tests/faults"))
import faults           # noqa: E402  (reads BIN and SCRATCH)
from faults import ORG, request, read_response  # noqa: E402

SLOTS, PEERS, PIPELINE, RATE, NEW = 31, 40, 300, 180 * 1024, 5
GET = request(keep=True)
# An answer's records: STDOUT with ORG padded to 8 bytes, its empty end,
# END_REQUEST.
ANSWER = 8 + (len(ORG) + 7) // 8 * 8 + 8 + 16


def server_with_slots(conf):
    """A -w 1 server whose worker has SLOTS slots."""
    for limit in range(SLOTS + 2, SLOTS + 64):
        srv = faults.Server("slow%d" % limit, conf, ["-w", "1"],
                            wrap=["prlimit", "--nofile=%d" % limit])
        r = srv.exchange(faults.rec(faults.GET_VALUES, 0, faults.pairs(
            [(b"FCGI_MAX_CONNS", b"")])), 2, until_end=False)
        if r.records and r.records[0][2].endswith(b"%d" % SLOTS):
            return srv, limit
        srv.stop()
    sys.exit("no descriptor limit gives %d slots" % SLOTS)


def peer(srv, done, closed, i):
    """Keeps PIPELINE answers outstanding and reads RATE bytes/s."""
    s = srv.connect()
    s.setblocking(False)
    pending, asked, got = GET * PIPELINE, PIPELINE, 0
    while not done.is_set():
        try:
            data = s.recv(RATE // 20)
            if not data:
                closed[i] = True
                return
            got += len(data)
        except BlockingIOError:
            pass
        except OSError:
            closed[i] = True
            return
        if asked - got // ANSWER < PIPELINE:
            pending += GET * (PIPELINE - (asked - got // ANSWER))
            asked = got // ANSWER + PIPELINE
        try:
            pending = pending[s.send(pending):]
        except BlockingIOError:
            pass
        except OSError:
            closed[i] = True
            return
        time.sleep(0.05)
    s.close()


def main():
    conf = os.path.join(os.environ["SCRATCH"], "conf.ini")
    with open(os.path.join(TOP, "etc/mta-sts-fcgi.ini")) as f:
        open(conf, "w").write(f.read())
    srv, limit = server_with_slots(conf)
    done = threading.Event()
    closed = [False] * PEERS
    threads = [threading.Thread(target=peer, args=(srv, done, closed, i),
                                daemon=True) for i in range(PEERS)]
    for t in threads:
        t.start()
    began = time.monotonic()
    time.sleep(2)
    waits, wrong = [], 0
    for _ in range(NEW):
        start = time.monotonic()
        s = srv.connect()
        s.sendall(request())
        r = read_response(s, 20)
        s.close()
        waits.append(time.monotonic() - start)
        wrong += r.stdout != ORG
    time.sleep(max(0, began + 8 - time.monotonic()))
    gone = sum(closed)
    done.set()
    for t in threads:
        t.join(5)
    srv.stop()
    label = sys.argv[2] if len(sys.argv) > 2 else os.popen(
        "git -C %s describe --always --dirty" % TOP).read().strip()
    print("| %s | %d | %.1f | %.1f | %d of %d | %d of %d |" % (
        label, limit, 1000 * statistics.median(waits), 1000 * max(waits),
        wrong, NEW, gone, PEERS))


if __name__ == "__main__":
    main()
