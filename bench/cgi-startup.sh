#!/bin/bash
# SPDX-License-Identifier: ISC
# Plain-CGI start-up: one exec per request, as a web server runs a CGI
# program.  Runs builds of mta-sts-fcgi in turn, one exec each, RUNS
# times (so that load from others on a shared machine hits all alike),
# each answering one GET from the environment with its output thrown
# away, and prints a Markdown table: the median and quartiles of the wall
# time per exec, and the mean user+system CPU time.  CONF (default
# etc/mta-sts-fcgi.ini) is the config they read.
# usage: bench/cgi-startup.sh NAME=BINARY NAME=BINARY...  (NAME may hold "=")
set -eu
RUNS=${RUNS:-4000}
exec python3 - "${CONF:-etc/mta-sts-fcgi.ini}" "$RUNS" "$@" <<'EOP'
import os, statistics, sys, time
conf, runs = sys.argv[1], int(sys.argv[2])
builds = [a.rsplit("=", 1) for a in sys.argv[3:]]
env = {"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
       "REQUEST_METHOD": "GET", "REQUEST_URI": "/.well-known/mta-sts.txt",
       "HTTP_HOST": "mta-sts.example.com"}
null = os.open(os.devnull, os.O_RDWR)
acts = [(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)]
wall = {n: [] for n, _ in builds}
cpu = {n: 0.0 for n, _ in builds}
warm = 50	# the first rounds warm the page cache
for i in range(runs + warm):
    k = i % len(builds)
    for name, path in builds[k:] + builds[:k]:
        t = time.perf_counter()
        pid = os.posix_spawn(path, [path, "-c", conf], env, file_actions=acts)
        _, status, ru = os.wait4(pid, 0)
        dt = time.perf_counter() - t
        if status != 0:
            sys.exit("%s exited with %d" % (path, status))
        if i >= warm:
            wall[name].append(dt * 1e6)
            cpu[name] += (ru.ru_utime + ru.ru_stime) * 1e6
print("| build | median µs per exec | quartiles µs | CPU µs per exec |")
print("|---|---:|---:|---:|")
for name, _ in builds:
    q = statistics.quantiles(wall[name], n=4)
    print("| %s | %.0f | %.0f–%.0f | %.0f |" % (name,
        statistics.median(wall[name]), q[0], q[2], cpu[name] / runs))
EOP
