#!/bin/bash
# SPDX-License-Identifier: ISC
# make run, stopped the way a user stops it: Ctrl-C on its terminal (a
# pseudo-terminal here) ends it quietly with exit status 0, and both
# servers are gone.  Then without a terminal: SIGINT to its process group
# (what a supervisor of "make run" might send) stops the servers quietly
# too.
. tests/lib/suite.sh

command -v nginx >/dev/null || { notok "nginx is not installed"; exit 1; }
need "$TOP/build/mta-sts-fcgi"

# makerun MODE PORT: runs "make run PORT=PORT" until it says "Press
# Ctrl-C", then MODE "pty" types Ctrl-C on its terminal, MODE "pgrp"
# sends SIGINT to its process group.  Writes its output to
# $SCRATCH/run.out and prints "STATUS FCGI_PID NGINX_PID".
makerun() {
	python3 - "$1" "$2" "$SCRATCH/run.out" "$((60 * SCALE))" <<'EOP'
import os, pty, re, select, signal, subprocess, sys, time
mode, port, out, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
argv = ["make", "-s", "--no-print-directory", "run", "PORT=" + port]
# A suite started in the background (make check &) inherits SIGINT
# ignored, and make and bash keep an ignored signal ignored: give make
# run the default, as a terminal's shell would.
signal.signal(signal.SIGINT, signal.SIG_DFL)
if mode == "pty":
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("make", argv)
else:
    r, w = os.pipe()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=w,
                         stderr=w, start_new_session=True)
    os.close(w)
    pid, fd = p.pid, r
buf = b""
def read_until(pattern, seconds):
    global buf
    end = time.time() + seconds
    while pattern is None or pattern not in buf:
        left = end - time.time()
        if left <= 0:
            return False
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                return pattern is None
            buf += chunk
    return True
pids = []
if read_until(b"Press Ctrl-C", limit):
    pids = [int(x) for x in re.findall(rb"\(pid (\d+)\)", buf)]
    if mode == "pty":
        os.write(fd, b"\x03")
    else:
        os.killpg(pid, signal.SIGINT)
    read_until(None, limit)
status = None
end = time.time() + limit
while time.time() < end:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
    time.sleep(0.05)
if status is None:
    os.killpg(pid, signal.SIGKILL)	# our own child's group
    os.waitpid(pid, 0)
    status = "hung"
open(out, "wb").write(buf.replace(b"\r\n", b"\n"))
print(status, *(pids + ["-", "-"])[:2])
EOP
}

for mode in pty pgrp; do
	port=$(free_port)
	read -r status fcgi ngx <<<"$(makerun "$mode" "$port")"
	case $mode in
	pty)	what="Ctrl-C on its terminal"
		want=0 ;;
	pgrp)	what="SIGINT to its process group"
		# make itself got the signal: it waits for the script, then
		# dies by it (GNU make always does); nothing is reported.
		want=-2 ;;
	esac
	check_eq "make run: it started both servers" yes \
	    "$([ "$fcgi" != - ] && [ "$ngx" != - ] && echo yes || echo no)"
	check_eq "make run, $what: exit status" "$want" "$status"
	check_eq "make run, $what: its last line" \
	    "run: stopped nginx and mta-sts-fcgi" \
	    "$(grep -v '^\^C$' "$SCRATCH/run.out" | tail -1)"
	check_eq "make run, $what: no error reported" "" \
	    "$(grep -E 'unexpectedly|Error|\*\*\*|Interrupt' "$SCRATCH/run.out")"
	left=
	for p in $fcgi $ngx; do
		[ "$p" = - ] || wait_gone "$p" 50 || left="$left $p"
	done
	check_eq "make run, $what: both servers are gone" "" "$left"
	for p in $left; do stop "$p"; done
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		notok "make run, $what: port $port still answers"
	else
		ok "make run, $what: port $port is free again"
	fi
	sed 's/^/#   /' "$SCRATCH/run.out" | head -40
done
