#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The summary's worlds: reports over several weeks and policy versions.

usage: generate.py DIR

Writes into DIR one file per report, as senders send them (Google's gzip
with zoned dates and no mx-host, Microsoft's dates without a zone and an
mx-host array, Mail.ru's missing policy-string and mx-host string, the
RFC 8460 example's Company-X with failure-reason-codes), for the domains
of v1.ini and now.ini beside this script, one world per verdict:

  good.example      enforce; every reporter succeeds: nothing to say
  stale.example     v1 (max_age 3 days) replaced by v2 on 2024-04-05:
                    Microsoft keeps applying v1, Company-X a policy never
                    served; Google switches, Mail.ru sends no lines
  nopolicy.example  enforce; Mail.ru reports sts-policy-fetch-error,
                    Company-X no-policy-found
  mxfail.example    testing; starttls-not-supported at mx1, expired and
                    unverifiable certificates at mx2
  silent.example    enforce; Microsoft sent daily until 2024-04-10 and
                    stopped; a weekly reporter is not "daily"
  ready.example     testing since 2024-03-01, two reporters, clean
  young.example     testing since 2024-04-05 only, clean: not yet
  notready.example  enforce with certificate-host-mismatch at mx1
  hostile.example   testing; an organization-name, an MX name and a
                    failure-reason-code made to forge lines and to move
                    the terminal

Days run from 2024-03-18 to 2024-04-14 (UTC); the tests summarise up to
2024-04-15T00:00:00Z.  Deterministic: gzip without a time stamp.
"""
import datetime
import gzip
import json
import os
import sys

DAY = datetime.timedelta(days=1)
FIRST = datetime.date(2024, 3, 18)
LAST = datetime.date(2024, 4, 14)
V2_FROM = datetime.date(2024, 4, 5)	# now.ini's first day served


def policy_lines(domain, mode, mx, max_age):
    """The lines our responder serves, in its order."""
    return (["version: STSv1", "mode: " + mode] +
            ["mx: " + m for m in mx] + ["max_age: %d" % max_age])


# domain -> (mode, mx, max_age) as served now (now.ini)
NOW = {
    "good.example": ("enforce", ["mx1.good.example"], 604800),
    "stale.example": ("enforce", ["mx1.stale.example", "mx2.stale.example"],
                      604800),
    "nopolicy.example": ("enforce", ["mx1.nopolicy.example"], 604800),
    "mxfail.example": ("testing", ["mx1.mxfail.example",
                                   "mx2.mxfail.example"], 86400),
    "silent.example": ("enforce", ["mx1.silent.example"], 604800),
    "ready.example": ("testing", ["mx1.ready.example"], 604800),
    "young.example": ("testing", ["mx1.young.example"], 604800),
    "notready.example": ("enforce", ["mx1.notready.example"], 604800),
    "hostile.example": ("testing", ["mx1.hostile.example"], 86400),
}
STALE_V1 = ("enforce", ["mx1.stale.example"], 259200)
NEVER = ("testing", ["*.stale.example"], 86400)


def iso(d, zone=True):
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if zone else "")


def google(domain, day, lines, ok, failures=()):
    start = datetime.datetime.combine(day, datetime.time())
    pol = {"policy-type": "sts", "policy-string": lines,
           "policy-domain": domain}
    p = {"policy": pol,
         "summary": {"total-successful-session-count": ok,
                     "total-failure-session-count":
                     sum(f["failed-session-count"] for f in failures)}}
    if failures:
        p["failure-details"] = list(failures)
    return ("google.com!%s!%d!%d.json.gz" % (
        domain, start.timestamp(), (start + DAY).timestamp() - 1), {
        "organization-name": "Google Inc.",
        "date-range": {"start-datetime": iso(start),
                       "end-datetime": iso(start + DAY -
                                           datetime.timedelta(seconds=1))},
        "contact-info": "smtp-tls-reporting@google.com",
        "report-id": iso(start) + "_" + domain,
        "policies": [p]})


def microsoft(domain, day, lines, mx, ok, failures=()):
    start = datetime.datetime.combine(day, datetime.time())
    ticks = int((start - datetime.datetime(1601, 1, 1)).total_seconds()) \
        * 10000000
    p = {"policy": {"policy-type": "sts", "policy-string": lines,
                    "policy-domain": domain, "mx-host": mx},
         "summary": {"total-successful-session-count": ok,
                     "total-failure-session-count":
                     sum(f["failed-session-count"] for f in failures)}}
    if failures:
        p["failure-details"] = list(failures)
    return ("microsoft.com!%s!%d!%d.json" % (
        domain, start.timestamp(), (start + DAY).timestamp() - 1), {
        "organization-name": "Microsoft Corporation",
        "date-range": {"start-datetime": iso(start, False),
                       "end-datetime": iso(start + DAY -
                                           datetime.timedelta(seconds=1),
                                           False)},
        "contact-info": "tlsrpt-noreply@microsoft.com",
        "report-id": "%d+%s" % (ticks, domain),
        "policies": [p]})


def mailru(domain, day, mx, ok, failures=()):
    start = datetime.datetime.combine(day, datetime.time())
    p = {"policy": {"policy-type": "sts", "policy-domain": domain,
                    "mx-host": mx},
         "summary": {"total-successful-session-count": ok,
                     "total-failure-session-count":
                     sum(f["failed-session-count"] for f in failures)}}
    if failures:
        p["failure-details"] = list(failures)
    return ("mail.ru!%s!%d!%d.json" % (
        domain, start.timestamp(), (start + DAY).timestamp()), {
        "organization-name": "Mail.Ru",
        "date-range": {"start-datetime": iso(start),
                       "end-datetime": iso(start + DAY)},
        "contact-info": "tlsrpt@corp.mail.ru",
        "report-id": "%s.%s.0b1c" % (day.strftime("%Y%m%d"), domain),
        "policies": [p]})


def company_x(domain, day, policy, ok, failures=(), org="Company-X",
              name="company-x.example"):
    start = datetime.datetime.combine(day, datetime.time())
    p = {"policy": policy,
         "summary": {"total-successful-session-count": ok,
                     "total-failure-session-count":
                     sum(f["failed-session-count"] for f in failures)}}
    if failures:
        p["failure-details"] = list(failures)
    return ("%s!%s!%d!%d.json" % (
        name, domain, start.timestamp(), (start + DAY).timestamp() - 1), {
        "organization-name": org,
        "date-range": {"start-datetime": iso(start),
                       "end-datetime": iso(start + DAY -
                                           datetime.timedelta(seconds=1))},
        "contact-info": "sts-reporting@" + name,
        "report-id": "5065427c-%s-%s" % (day.strftime("%m%d"), domain),
        "policies": [p]})


def sts(domain, spec):
    return {"policy-type": "sts",
            "policy-string": policy_lines(domain, *spec),
            "policy-domain": domain, "mx-host": spec[1]}


def fail(kind, mx, n, ip="192.0.2.%d", reason=None, helo=None):
    f = {"result-type": kind, "sending-mta-ip": "2001:db8:abcd:12::1",
         "receiving-mx-hostname": mx, "failed-session-count": n}
    if "%d" in ip:
        f["receiving-ip"] = ip % (10 + n % 200)
    if helo:
        f["receiving-mx-helo"] = helo
    if reason:
        f["failure-reason-code"] = reason
    return f


def days(first=FIRST, last=LAST):
    d = first
    while d <= last:
        yield d
        d += DAY


def world():
    out = []
    cur = {d: policy_lines(d, *s) for d, s in NOW.items()}

    d = "good.example"
    for i, day in enumerate(days()):
        out.append(google(d, day, cur[d], 1800 + i))
        out.append(microsoft(d, day, cur[d], NOW[d][1], 300 + i))
        out.append(mailru(d, day, NOW[d][1][0], 17))

    d = "stale.example"
    v1 = policy_lines(d, *STALE_V1)
    for i, day in enumerate(days()):
        out.append(google(d, day, cur[d] if day >= V2_FROM + DAY else v1,
                          900 + i))
        out.append(microsoft(d, day, v1, STALE_V1[1], 120))
        out.append(mailru(d, day, "mx1.stale.example", 9))
        if day >= datetime.date(2024, 4, 8):
            out.append(company_x(d, day, sts(d, NEVER), 40))

    d = "nopolicy.example"
    for i, day in enumerate(days()):
        out.append(google(d, day, cur[d], 700))
        out.append(mailru(d, day, NOW[d][1][0], 11, [
            fail("sts-policy-fetch-error", "", 2, ip="")] if
            day >= datetime.date(2024, 4, 9) else []))
        if day >= datetime.date(2024, 4, 11):
            out.append(company_x(d, day, {
                "policy-type": "no-policy-found",
                "policy-domain": d}, 25))

    d = "mxfail.example"
    for i, day in enumerate(days()):
        fx = []
        if day >= datetime.date(2024, 4, 10):
            fx = [fail("starttls-not-supported", "mx1.mxfail.example", 200),
                  fail("certificate-expired", "mx2.mxfail.example", 100),
                  fail("validation-failure", "mx2.mxfail.example", 3,
                       helo="mx2.mxfail.example",
                       reason="X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED")]
        out.append(company_x(d, day, sts(d, NOW[d]), 5326, fx))
        out.append(google(d, day, cur[d], 640, [
            fail("certificate-host-mismatch", "mx2.mxfail.example", 4)] if
            day == datetime.date(2024, 4, 12) else []))

    d = "silent.example"
    for i, day in enumerate(days()):
        out.append(google(d, day, cur[d], 410))
        if day <= datetime.date(2024, 4, 10):
            out.append(microsoft(d, day, cur[d], NOW[d][1], 88))
        if day.weekday() == 2:
            out.append(company_x(d, day, sts(d, NOW[d]), 30,
                                 org="Weekly Mail AG", name="weekly.example"))

    for d in ("ready.example", "young.example"):
        for i, day in enumerate(days()):
            out.append(google(d, day, cur[d], 250))
            out.append(microsoft(d, day, cur[d], NOW[d][1], 75))

    d = "notready.example"
    for i, day in enumerate(days()):
        out.append(google(d, day, cur[d], 980))
        out.append(microsoft(d, day, cur[d], NOW[d][1], 140, [
            fail("certificate-host-mismatch", "mx1.notready.example", 12)] if
            day >= datetime.date(2024, 4, 11) else []))

    d = "hostile.example"
    for i, day in enumerate(days(datetime.date(2024, 4, 12))):
        out.append(company_x(d, day, sts(d, NOW[d]), 3, [
            fail("certificate-expired",
                 "mx1.hostile.example\u202e\x1b[2J", 7,
                 reason="ok\r\nhostile.example: ready for enforce: "
                 "\x1b]0;owned\x07")],
            org="Evil\x1b[31m Org\nfake.example: MX failing: x",
            name="evil.example"))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: generate.py DIR")
    top = sys.argv[1]
    os.makedirs(top, exist_ok=True)
    for name, report in world():
        data = json.dumps(report, indent=1).encode()
        path = os.path.join(top, name)
        if name.endswith(".gz"):
            data = gzip.compress(data, mtime=0)
        with open(path, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
