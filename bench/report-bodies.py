#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Realistic TLS reports for bench/report-ingest.sh, each different.

usage: report-bodies.py https PREFIX COUNT OUT
       report-bodies.py mail PREFIX COUNT MAILDIR KEY

Report i is shaped as a large sender's daily report (RFC 8460 §4.4): one
sts policy for example.com with its policy-string, its session counts
and 24 failure details (a day of certificate and STARTTLS failures from
different sending addresses), about 10 KB of JSON, 0.9 KB gzipped.  https:
the gzip bodies to OUT, each as "LENGTH\\n" then its bytes (what
bench/report-ingest.lua reads).  mail: each report as a message
(multipart/report, the gzip part in base64) DKIM-signed by sender.test
with KEY (python3-dkim) and with the Authentication-Results a local
verifier (authserv-id mx.rcv.test) adds, in MAILDIR/new.
"""
import email.message
import email.policy
import gzip
import json
import os
import sys

TYPES = ["certificate-expired", "certificate-host-mismatch",
         "starttls-not-supported", "validation-failure",
         "sts-policy-fetch-error", "certificate-not-trusted"]


def report(prefix, i):
    return json.dumps({
        "organization-name": prefix,
        "date-range": {"start-datetime": "2024-04-01T00:00:00Z",
                       "end-datetime": "2024-04-01T23:59:59Z"},
        "contact-info": "smtp-tls-reporting@sender.test",
        "report-id": "%s-%d" % (prefix, i),
        "policies": [{
            "policy": {"policy-type": "sts",
                       "policy-string": ["version: STSv1", "mode: testing",
                                         "mx: *.example.com",
                                         "max_age: 86400"],
                       "policy-domain": "example.com",
                       "mx-host": ["*.example.com"]},
            "summary": {"total-successful-session-count": 10000 + i,
                        "total-failure-session-count": 24 * 3},
            "failure-details": [{
                "result-type": TYPES[j % len(TYPES)],
                "sending-mta-ip": "2001:db8:%x::%x" % (i % 65536, j + 1),
                "receiving-ip": "203.0.113.%d" % (j + 1),
                "receiving-mx-hostname": "mx%d.example.com" % (j % 3 + 1),
                "receiving-mx-helo": "mx%d.example.com" % (j % 3 + 1),
                "failed-session-count": 3,
                "additional-information":
                    "https://reports.sender.test/?id=%s-%d-%d" % (prefix,
                                                                  i, j),
                "failure-reason-code": "X509_V_ERR_%d" % (j + 10)}
                for j in range(24)]}]}, indent=1).encode()


def message(prefix, i, key):
    import dkim
    body = gzip.compress(report(prefix, i), mtime=0)
    m = email.message.EmailMessage()
    m["From"] = "noreply-smtp-tls-reporting@sender.test"
    m["To"] = "tlsrpt@rcv.test"
    m["Subject"] = "Report Domain: example.com Submitter: sender.test " \
        "Report-ID: <%s-%d>" % (prefix, i)
    m["Message-ID"] = "<%s-%d@sender.test>" % (prefix, i)
    m["TLS-Report-Domain"] = "example.com"
    m["TLS-Report-Submitter"] = "sender.test"
    m.set_content("This is an aggregate TLS report from sender.test\n")
    m.add_attachment(body, maintype="application", subtype="tlsrpt+gzip",
                     filename="sender.test!example.com!%d.json.gz" % i)
    m.replace_header("Content-Type", m["Content-Type"].replace(
        "multipart/mixed", 'multipart/report; report-type="tlsrpt"'))
    raw = m.as_bytes(policy=email.policy.SMTP)
    raw = dkim.sign(raw, b"bench", b"sender.test", key,
                    include_headers=[b"from", b"to", b"subject",
                                     b"message-id", b"tls-report-domain",
                                     b"tls-report-submitter",
                                     b"content-type"], tlsrpt=True) + raw
    return b"Authentication-Results: mx.rcv.test; dkim=pass " \
        b"header.d=sender.test\r\n" + raw


def main():
    mode, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "https":
        with open(sys.argv[4], "wb") as f:
            for i in range(count):
                b = gzip.compress(report(prefix, i), mtime=0)
                f.write(b"%d\n" % len(b) + b)
    elif mode == "mail":
        new = os.path.join(sys.argv[4], "new")
        for d in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(sys.argv[4], d), exist_ok=True)
        with open(sys.argv[5], "rb") as f:
            key = f.read()
        for i in range(count):
            with open(os.path.join(new, "%d.%s" % (i, prefix)), "wb") as f:
                f.write(message(prefix, i, key))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
