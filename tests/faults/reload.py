#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Reload (issue 17): a SIGHUP changes what the running workers serve.
It forks at most a loader, closes no connection and starts no worker;
the old policy is served until the new one is wholly ready, then never
again; a load that fails, or cannot even be forked, changes nothing;
SIGTERM stops everything at any moment of a load; and every signal that
would kill us without cleanup either stops us cleanly or is ignored.
Uses faults.py's raw FastCGI client.  Prints "ok - ..." / "not ok - ...".

Environment: BIN (the program), SCRATCH (a private directory).
"""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults  # noqa: E402
from faults import (ORG, ORG_ENFORCE, SCRATCH, TOP, Server, alive,  # noqa
                    as_nobody, check, notok, read_response, request,
                    wait_until)


def write_conf(path, text):
    """Replaced in one rename: a load reads one version or the other."""
    with open(path + ".new", "w") as f:
        f.write(text)
    os.chmod(path + ".new", 0o644)
    os.rename(path + ".new", path)


def serving_workers(srv):
    """The workers: children that have installed their seccomp filter (a
    loader never does)."""
    def confined(p):
        try:
            with open("/proc/%d/status" % p) as f:
                return "Seccomp:\t2" in f.read()
        except OSError:
            return False
    return [p for p in srv.workers() if confined(p)]


def reloads(srv):
    return srv.logtext().count(": reloaded: ")


def hup_and_wait(srv):
    """SIGHUP, then waits for its "reloaded" line; True if it came."""
    n = reloads(srv)
    os.kill(srv.pid, signal.SIGHUP)
    return wait_until(lambda: reloads(srv) > n, 5)


class Strict:
    """Threads on kept connections sending requests back to back: no
    retry, so a connection closed under a request is a lost request.
    Each answer is recorded with when its request was sent."""

    def __init__(self, srv, threads, keep=True):
        self.srv, self.keep = srv, keep
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.answers = []       # (sent, received, stdout)
        self.lost = []
        self.threads = [threading.Thread(target=self.run, daemon=True)
                        for _ in range(threads)]
        for t in self.threads:
            t.start()

    def run(self):
        s = None
        while not self.done.is_set():
            try:
                if s is None:
                    s = self.srv.connect()
                sent = time.monotonic()
                s.sendall(request(keep=self.keep))
                r = read_response(s, 3)
                got = time.monotonic()
            except OSError as e:
                with self.lock:
                    self.lost.append(("error", str(e)))
                s = None
                continue
            with self.lock:
                if r.end != (0, 0):
                    self.lost.append((r.stdout[:60], r.end, r.closed))
                else:
                    self.answers.append((sent, got, r.stdout))
            if not self.keep or r.end != (0, 0):
                s.close()
                s = None
        if s is not None:
            s.close()

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(10)
        return self.answers, self.lost


def idle_burst(kept, lost, answers):
    """Writes one request whole on every idle kept connection (as the
    SIGHUP lands) and reads every answer."""
    for s in kept:
        try:
            s.sendall(request(keep=True))
        except OSError as e:
            lost.append(("write", str(e)))
    for s in kept:
        r = read_response(s, 3)
        if r.end != (0, 0):
            lost.append((r.stdout[:60], r.end, r.closed))
        else:
            answers.append(r.stdout)


def case_storm(srv, conf):
    """40 SIGHUPs, the config switching between two versions, under
    kept-connection load and requests written to idle kept ones."""
    text = open(conf).read()
    other = text.replace("mode = testing", "mode = enforce")
    before = serving_workers(srv)
    load = Strict(srv, 4)
    fresh = Strict(srv, 2, keep=False)
    kept = faults.open_kept(srv, 8, "storm")
    burst_lost, burst_answers = [], []
    for i in range(40):
        write_conf(conf, other if i % 2 == 0 else text)
        os.kill(srv.pid, signal.SIGHUP)
        idle_burst(kept, burst_lost, burst_answers)
        time.sleep(0.05)
    wait_until(lambda: reloads(srv) >= 1, 3)
    time.sleep(0.5)
    answers, lost = load.stop()
    fanswers, flost = fresh.stop()
    for s in kept:
        s.close()
    got = [a[2] for a in answers + fanswers] + burst_answers
    check("storm: 40 reloads, %d requests (%d written to idle kept "
          "connections as the SIGHUP landed): none lost"
          % (len(got) + len(lost + flost + burst_lost), len(burst_answers)),
          [], (lost + flost + burst_lost)[:5])
    check("storm: every answer exactly the old or the new policy", [],
          [g[:80] for g in got if g not in (ORG, ORG_ENFORCE)][:5])
    check("storm: both policies were served", 2, len(set(got)))
    check("storm: no worker started, none replaced", before,
          serving_workers(srv))
    write_conf(conf, text)
    check("storm: the last reload logged", True, hup_and_wait(srv))
    check("storm: the config of the last reload is served", ORG,
          srv.exchange(request()).stdout)


def case_same_workers(srv, conf):
    """Five reloads: the same worker processes, the same connections."""
    text = open(conf).read()
    before = serving_workers(srv)
    kept = faults.open_kept(srv, 6, "same workers")
    logged = 0
    for i in range(5):
        write_conf(conf, text.replace("mode = testing", "mode = enforce")
                   if i % 2 == 0 else text)
        logged += hup_and_wait(srv)
    got = []
    for s in kept:
        try:
            s.sendall(request(keep=True))
            r = read_response(s, 2)
            got.append((r.stdout, r.end))
        except OSError as e:
            got.append(str(e))
        s.close()
    check("5 reloads: each logged \"reloaded\"", 5, logged)
    check("5 reloads: the same %d worker processes" % len(before),
          (2, before), (len(before), serving_workers(srv)))
    check("5 reloads: each of 6 kept connections still open and served "
          "the new policy", [(ORG_ENFORCE, (0, 0))] * 6, got)
    write_conf(conf, text)
    hup_and_wait(srv)


def case_order(srv, conf):
    """Old until the new is wholly ready, then never again: a request
    answered before the SIGHUP gets the old bytes, every request sent
    after the "reloaded" line the new ones."""
    text = open(conf).read()
    load = Strict(srv, 4)
    time.sleep(0.3)
    write_conf(conf, text.replace("mode = testing", "mode = enforce"))
    n = reloads(srv)
    hup = time.monotonic()
    os.kill(srv.pid, signal.SIGHUP)
    wait_until(lambda: reloads(srv) > n, 5)
    logged = time.monotonic()
    time.sleep(0.5)
    answers, lost = load.stop()
    early = [a for a in answers if a[1] < hup]
    late = [a for a in answers if a[0] > logged]
    check("order: nothing lost", [], lost[:5])
    check("order: %d answered before the SIGHUP: all old" % len(early),
          [], [a[2][:60] for a in early if a[2] != ORG][:3])
    check("order: %d sent after \"reloaded\": all new" % len(late),
          [], [a[2][:60] for a in late if a[2] != ORG_ENFORCE][:3])
    check("order: both sides were exercised", True,
          len(early) > 10 and len(late) > 10)
    write_conf(conf, text)
    hup_and_wait(srv)


def case_failed_load(srv, conf):
    """A config with an error: the same bytes, the same processes, the
    same connections, and the error logged with file:line."""
    text = open(conf).read()
    before = serving_workers(srv)
    kept = faults.open_kept(srv, 2, "failed load")
    write_conf(conf, text.replace("mode = testing", "mode = testin"))
    os.kill(srv.pid, signal.SIGHUP)
    wait_until(lambda: "reload failed" in srv.logtext(), 3)
    time.sleep(0.2)
    got = []
    for s in kept:
        s.sendall(request(keep=True))
        got.append(read_response(s, 2).stdout)
        s.close()
    check("failed load: the errors logged with file:line, then the verdict",
          ['mta-sts-fcgi: %s:25: mode: "testin" is not one of enforce, '
           'testing, none' % conf,
           "mta-sts-fcgi: %s: reload failed with 1 error; still serving "
           "the previous configuration" % conf],
          srv.logtext().splitlines()[-2:])
    check("failed load: the same workers, the kept connections served the "
          "old bytes", (before, [ORG, ORG]), (serving_workers(srv), got))
    write_conf(conf, text)


def uid_processes(uid):
    n = 0
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.stat("/proc/" + p).st_uid == uid:
                    n += 1
            except OSError:
                pass
    return n


def set_soft_nproc(pid, n):
    """Sets a process's soft RLIMIT_NPROC (None: up to its hard limit)
    as its own user, which needs no capability."""
    code = ("import resource; h = resource.prlimit(%d, resource.RLIMIT_NPROC)"
            "[1]; resource.prlimit(%d, resource.RLIMIT_NPROC, (%s, h))"
            % (pid, pid, "h" if n is None else n))
    return subprocess.run([sys.executable, "-c", code],
                          preexec_fn=as_nobody).returncode == 0


def case_nproc():
    """F3: RLIMIT_NPROC exactly the processes running: the loader cannot
    be forked; that is logged, and nothing changes."""
    conf = os.path.join(faults.nobody_dir(), "nproc.ini")
    text = open(os.path.join(SCRATCH, "conf.ini")).read()
    write_conf(conf, text)
    srv = Server("nobody/nproc", conf, ["-w", "2"], preexec=as_nobody)
    wait_until(lambda: len(serving_workers(srv)) == 2, 3)
    before = serving_workers(srv)
    n = uid_processes(65534)
    if not set_soft_nproc(srv.pid, n):
        notok("F3: could not lower the supervisor's RLIMIT_NPROC")
    load = Strict(srv, 3)
    write_conf(conf, text.replace("mode = testing", "mode = enforce"))
    os.kill(srv.pid, signal.SIGHUP)
    time.sleep(1.5)
    answers, lost = load.stop()
    log = srv.logtext()
    check("F3: with RLIMIT_NPROC = %d, SIGHUP: the fork failure is logged"
          % n, True, "Resource temporarily unavailable" in log)
    check("F3: nothing is reloaded", 0, reloads(srv))
    check("F3: %d requests across it: none lost, all the old policy"
          % len(answers), ([], []),
          (lost[:5], [a[2][:60] for a in answers if a[2] != ORG][:5]))
    check("F3: the same workers", before, serving_workers(srv))
    set_soft_nproc(srv.pid, None)
    check("F3: with the limit lifted, the next SIGHUP reloads", True,
          hup_and_wait(srv))
    check("F3: ...and the new policy is served", ORG_ENFORCE,
          srv.exchange(request()).stdout)
    gone, status = srv.stop()
    check("F3: stops cleanly", (True, 0), (gone, status))


def big_conf(n):
    path = os.path.join(SCRATCH, "big%d.ini" % n)
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(open(os.path.join(SCRATCH, "conf.ini")).read())
            f.write("".join("[domain c%d.example]\n" % i for i in range(n)))
    return path


def case_term_during_load():
    """F4: SIGTERM while a 2,000,000-domain config loads: every process
    gone promptly with status 0; and a worker killed during a load is
    replaced before the load ends."""
    conf = os.path.join(SCRATCH, "f4.ini")
    write_conf(conf, open(os.path.join(SCRATCH, "conf.ini")).read())
    srv = Server("f4", conf, ["-w", "2"])
    wait_until(lambda: len(serving_workers(srv)) == 2, 3)
    os.rename(big_conf(2000000), conf)
    before = serving_workers(srv)
    os.kill(srv.pid, signal.SIGHUP)
    time.sleep(0.2)
    os.kill(before[0], signal.SIGKILL)
    replaced = wait_until(lambda: len(serving_workers(srv)) == 2 and
                          before[0] not in serving_workers(srv), 0.5)
    loading = reloads(srv) == 0 and "reload failed" not in srv.logtext()
    check("F4: a worker killed during a load is replaced before the load "
          "ends", (True, True), (replaced, loading))
    check("F4: ...and requests are answered meanwhile", ORG,
          srv.exchange(request(), 1).stdout)
    t = time.monotonic()
    gone, status = srv.stop(seconds=1.0)
    check("F4: SIGTERM during a load: every process gone within 1 s, "
          "status 0", (True, 0), (gone, status))
    if not gone:
        print("#   took %.1f s" % (time.monotonic() - t))
    check("F4: the socket is removed", False, os.path.exists(srv.sock))


def case_signals():
    """Every signal whose default would kill us without cleanup: the
    stop signals stop us cleanly, the others are ignored
    (mta-sts-fcgi(8) SIGNALS)."""
    conf = os.path.join(SCRATCH, "conf.ini")
    for sig in (signal.SIGQUIT, signal.SIGUSR2, signal.SIGXCPU,
                signal.SIGPWR):
        name = signal.Signals(sig).name
        srv = Server("sig-" + name, conf, ["-w", "2"])
        wait_until(lambda: len(serving_workers(srv)) == 2, 3)
        gone, status = srv.stop(sig=sig)
        check("%s: stops, every process within 1 s, status 0, the socket "
              "removed" % name, (True, 0, False),
              (gone, status, os.path.exists(srv.sock)))
    srv = Server("sig-ignored", conf, ["-w", "2"])
    wait_until(lambda: len(serving_workers(srv)) == 2, 3)
    before = serving_workers(srv)
    ignored = [signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF,
               signal.SIGIO, signal.SIGXFSZ, 16,    # SIGSTKFLT
               signal.SIGRTMIN, signal.SIGRTMIN + 5, signal.SIGRTMAX]
    for sig in ignored:
        os.kill(srv.pid, sig)
        for w in before:
            os.kill(w, sig)
    time.sleep(0.3)
    try:
        r = srv.exchange(request(), 2).stdout
    except OSError as e:
        r = str(e)
    check("%d ignored signals to every process: all still run and serve"
          % len(ignored), (True, before, ORG),
          (srv.proc.poll() is None, serving_workers(srv), r))
    gone, status = srv.stop()
    check("...then SIGTERM stops them, status 0", (True, 0), (gone, status))


def case_first_load_signals():
    """Signals during the first load, before any worker or socket (the
    issue 17 attack): SIGHUP and the ignored signals do not kill the
    supervisor, which serves once the load ends; a stop signal ends it
    then, with status 0 and no socket left."""
    big = big_conf(2000000)
    for sig in (signal.SIGHUP, signal.SIGALRM, signal.SIGRTMIN):
        name = signal.Signals(sig).name
        srv = Server("first-" + name, big, ["-w", "2"], wait=False)
        time.sleep(0.3)
        loading = srv.proc.poll() is None and not os.path.exists(srv.sock)
        os.kill(srv.pid, sig)
        up = wait_until(srv.ready, 60)
        got = srv.exchange(request()).stdout if up else srv.logtext()
        check("%s during the first load: not killed, serves once loaded"
              % name, (True, True, ORG), (loading, up, got))
        gone, status = srv.stop(seconds=3.0)
        check("%s: ...then SIGTERM, status 0" % name, (True, 0),
              (gone, status))
    srv = Server("first-TERM", big, ["-w", "2"], wait=False)
    time.sleep(0.3)
    loading = srv.proc.poll() is None and not os.path.exists(srv.sock)
    srv.proc.send_signal(signal.SIGTERM)
    status = srv.exit_status(60)
    check("SIGTERM during the first load: status 0 once it ends, no socket "
          "left", (True, 0, False), (loading, status,
                                     os.path.exists(srv.sock)))


def case_loader_signals():
    """A reload sent to the whole process group (systemctl kill), and the
    signals the supervisor ignores, reach the loader too: it goes on, and
    the load it was doing completes (the second issue 17 attack)."""
    conf = os.path.join(SCRATCH, "loader-sig.ini")
    write_conf(conf, open(os.path.join(SCRATCH, "conf.ini")).read())
    srv = Server("loader-sig", conf, ["-w", "2"])
    wait_until(lambda: len(serving_workers(srv)) == 2, 3)
    workers = serving_workers(srv)
    os.rename(big_conf(2000000), conf)
    os.kill(srv.pid, signal.SIGHUP)

    def loaders():
        return [p for p in faults.children(srv.pid) if p not in workers]
    found = wait_until(lambda: len(loaders()) == 1, 3)
    for sig in (signal.SIGHUP, signal.SIGALRM, signal.SIGIO,
                signal.SIGRTMIN):
        for p in loaders():
            os.kill(p, sig)
    done = wait_until(lambda: reloads(srv) >= 1, 60)
    check("SIGHUP, SIGALRM, SIGIO, SIGRTMIN to the loader: the load goes "
          "on and completes", (True, True, False),
          (found, done, "loader was killed" in srv.logtext()))
    gone, status = srv.stop(seconds=3.0)
    check("...then SIGTERM, status 0", (True, 0), (gone, status))


def case_stop_before_ack():
    """SIGTERM while a stopped worker has not taken the new image: it is
    killed, and no "reloaded" is logged, since nothing was (the second
    issue 17 attack)."""
    conf = os.path.join(SCRATCH, "stop-ack.ini")
    text = open(os.path.join(SCRATCH, "conf.ini")).read()
    write_conf(conf, text)
    srv = Server("stop-ack", conf, ["-w", "2"])
    wait_until(lambda: len(serving_workers(srv)) == 2, 3)
    stop_procs(serving_workers(srv)[:1], "stop before ack: a worker")
    write_conf(conf, text.replace("mode = testing", "mode = enforce", 1))
    os.kill(srv.pid, signal.SIGHUP)
    time.sleep(0.3)
    gone, status = srv.stop(seconds=3.0)
    check("SIGTERM before a stopped worker acks: status 0, no 'reloaded'",
          (True, 0, 0), (gone, status, reloads(srv)))


def case_loader_stops():
    """Every stop signal sent to the loader alone ends that load alike,
    said in the log, and changes nothing (the third issue 17 attack found
    SIGTERM and SIGUSR1 swallowed by handlers libfcgi had left)."""
    conf = os.path.join(SCRATCH, "loader-stop.ini")
    write_conf(conf, open(os.path.join(SCRATCH, "conf.ini")).read())
    srv = Server("loader-stop", conf, ["-w", "2"])
    wait_until(lambda: len(serving_workers(srv)) == 2, 3)
    workers = serving_workers(srv)
    os.rename(big_conf(2000000), conf)
    got = []
    for sig in (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT):
        os.kill(srv.pid, signal.SIGHUP)

        def loaders():
            return [p for p in faults.children(srv.pid) if p not in workers]
        wait_until(lambda: len(loaders()) == 1, 3)
        time.sleep(0.2)
        for p in loaders():
            os.kill(p, sig)
        line = "the loader was killed by signal %d" % sig
        got.append(wait_until(lambda: line in srv.logtext(), 30))
        wait_until(lambda: not loaders(), 5)
    check("SIGTERM, SIGUSR1, SIGINT to the loader: each load ends, said",
          ([True] * 3, 0, ORG), (got, reloads(srv),
                                 srv.exchange(request()).stdout))
    gone, status = srv.stop(seconds=3.0)
    check("...then SIGTERM, status 0", (True, 0), (gone, status))


def case_group_stop():
    """A stop signal to the whole process group (Ctrl-C in a terminal)
    reaches the workers too: no worker is restarted on the way out (the
    third issue 17 attack saw one forked per worker, half of the time)."""
    conf = os.path.join(SCRATCH, "conf.ini")
    restarted = []
    for i in range(10):
        srv = Server("group-%d" % i, conf, ["-w", "4"],
                     preexec=os.setsid)
        wait_until(lambda: len(serving_workers(srv)) == 4, 3)
        os.killpg(srv.pid, signal.SIGTERM)
        status = srv.exit_status(5)
        restarted.append((status, srv.logtext().count("restarting it")))
    check("SIGTERM to the process group, 10 times: status 0, no worker "
          "restarted", [(0, 0)] * 10, restarted)


def case_no_worker():
    """Too few descriptors for any worker (the issue 17 attack): it
    refuses to start, status 1 and why, rather than listen and never
    answer; no socket left."""
    conf = os.path.join(SCRATCH, "conf.ini")
    srv = Server("no-worker", conf, ["-w", "2"], wait=False,
                 wrap=["prlimit", "--nofile=9"])
    status = srv.exit_status(10)
    check("descriptor limit 9: status 1, 'no worker could be started', no "
          "socket left", (1, True, False),
          (status, "no worker could be started; not serving" in
           srv.logtext(), os.path.exists(srv.sock)))


def proc_state(pid):
    """The state letter /proc gives pid ("T" once stopped), or "gone"."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def stop_procs(pids, what):
    """SIGSTOP to each, then waits until each is stopped indeed.  kill()
    returns before the signal is taken: a worker still in epoll_wait
    then may be the one the kernel wakes for a new connection (the
    listening socket is EPOLLEXCLUSIVE), and it stops before accepting
    it, so no other worker is woken for it until SIGCONT."""
    for p in pids:
        os.kill(p, signal.SIGSTOP)
    if not wait_until(lambda: all(proc_state(p) == "T" for p in pids), 3):
        notok("%s: stopped" % what,
              "states: %r" % [(p, proc_state(p)) for p in pids])


def kept_on(srv, worker, others, n):
    """n kept connections that worker holds: the others are stopped
    while they are accepted."""
    try:
        stop_procs(others, "kept on worker %d: the others" % worker)
        return faults.open_kept(srv, n, "kept on worker %d" % worker)
    finally:
        for p in others:
            os.kill(p, signal.SIGCONT)


def case_stopped_storm():
    """Finding 7 of the mta-sts-report audit: thousands of SIGHUPs while
    a worker is stopped (SIGSTOP, as a worker waiting on its store for
    seconds is) and cannot take the new images: the supervisor keeps at
    most one image in flight to it and the newest for later, never fills
    its socket, so it is not killed and its connections lose nothing;
    after SIGCONT it takes the newest, and "reloaded" is logged once."""
    conf = os.path.join(SCRATCH, "stopped.ini")
    text = open(os.path.join(SCRATCH, "conf.ini")).read()
    other = text.replace("mode = testing", "mode = enforce", 1)
    write_conf(conf, text)
    srv = Server("stopped", conf, ["-w", "2"])
    wait_until(lambda: len(serving_workers(srv)) == 2, 3)
    before = serving_workers(srv)
    victim, runner = before
    kept = (kept_on(srv, victim, [runner], 6) +
            kept_on(srv, runner, [victim], 6))
    check("stopped storm: 6 kept connections on each worker", 12, len(kept))
    try:
        stop_procs([victim], "stopped storm: the victim")
        for s in kept:
            s.sendall(request(keep=True))
        for i in range(3000):
            if i % 100 == 0:
                write_conf(conf, other if i % 200 == 0 else text)
            os.kill(srv.pid, signal.SIGHUP)
            time.sleep(0.001)
        # The loads of the last SIGHUPs end.
        time.sleep(0.5)
        during = reloads(srv)
        alive_then = alive(victim)
    finally:
        try:
            os.kill(victim, signal.SIGCONT)
        except OSError:
            pass
    got = []
    for s in kept:
        r = read_response(s, 5)
        got.append((r.stdout, r.end))
    check("stopped storm: 12 kept connections (6 on the stopped worker) "
          "each answered the old or the new policy", [],
          [g for g in got if g[1] != (0, 0) or
           g[0] not in (ORG, ORG_ENFORCE)][:3])
    check("stopped storm: 3000 SIGHUPs, the stopped worker not killed, "
          "nothing reloaded while it was stopped", (True, 0),
          (alive_then, during))
    check("stopped storm: after SIGCONT, \"reloaded\" logged once",
          True, wait_until(lambda: reloads(srv) == 1, 5))
    check("stopped storm: the same workers", before, serving_workers(srv))
    write_conf(conf, other)
    check("stopped storm: the next SIGHUP reloads", True, hup_and_wait(srv))
    answers = []
    for s in kept:
        try:
            s.sendall(request(keep=True))
            answers.append(read_response(s, 3).stdout)
        except OSError as e:
            answers.append(str(e))
        s.close()
    check("stopped storm: then every kept connection, on both workers, "
          "gets the new policy", [ORG_ENFORCE] * 12, answers)
    faults.no_deaths(srv, "stopped storm")
    gone, status = srv.stop()
    check("stopped storm: SIGTERM, all exit 0 within 1 s", (True, 0),
          (gone, status))


def main():
    conf = os.path.join(SCRATCH, "conf.ini")
    with open(os.path.join(TOP, "etc/mta-sts-fcgi.ini")) as f:
        open(conf, "w").write(f.read())
    srv_conf = os.path.join(SCRATCH, "srv.ini")
    write_conf(srv_conf, open(conf).read())
    srv = Server("reload", srv_conf, ["-w", "2"])
    wait_until(lambda: len(serving_workers(srv)) == 2, 3)
    faults.timed(case_failed_load)(srv, srv_conf)
    faults.timed(case_same_workers)(srv, srv_conf)
    faults.timed(case_order)(srv, srv_conf)
    faults.timed(case_storm)(srv, srv_conf)
    faults.no_deaths(srv, "the reload cases")
    gone, status = srv.stop()
    check("reload server: SIGTERM, all exit 0 within 1 s", (True, 0),
          (gone, status))
    if os.geteuid() == 0:
        faults.timed(case_nproc)()
    faults.timed(case_term_during_load)()
    faults.timed(case_first_load_signals)()
    faults.timed(case_loader_signals)()
    faults.timed(case_stop_before_ack)()
    faults.timed(case_stopped_storm)()
    faults.timed(case_loader_stops)()
    faults.timed(case_group_stop)()
    faults.timed(case_no_worker)()
    faults.timed(case_signals)()
    return 1 if faults.failures else 0


if __name__ == "__main__":
    sys.exit(main())
