#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Writes a TLS-RPT report message (RFC 8460 §5.3) to stdout, shaped as
# real senders send it, DKIM-signed by dkimpy (python3-dkim) unless told
# not to.  Used by tests/report/run-mail.sh; Debian's python3 only.
# usage: make-message.py REPORT.json [--report-id ID] [--gzip|--json]
#   [--cte base64|quoted-printable|7bit] [--submitter D] [--sign KEY
#   SELECTOR DOMAIN] [--length] [--tamper] [--prepend "Field: value"]
import argparse
import email.message
import email.policy
import gzip
import json
import sys

import dkim

p = argparse.ArgumentParser()
p.add_argument('report')
p.add_argument('--report-id')
p.add_argument('--json', action='store_true')
p.add_argument('--cte', default='base64')
p.add_argument('--submitter', default='sender.test')
p.add_argument('--sign', nargs=3, metavar=('KEY', 'SELECTOR', 'DOMAIN'))
p.add_argument('--length', action='store_true', help='sign with l=')
p.add_argument('--tamper', action='store_true',
               help='change the body after signing')
p.add_argument('--prepend', action='append', default=[])
a = p.parse_args()

with open(a.report, 'rb') as f:
    report = json.load(f)
if a.report_id:
    report['report-id'] = a.report_id
body = json.dumps(report, indent=1).encode()
domain = report['policies'][0]['policy']['policy-domain']
name = '%s!%s!1711324800!1711411199!001.json' % (a.submitter, domain)

m = email.message.EmailMessage()
m['From'] = 'tlsrpt-noreply@%s' % a.submitter
m['To'] = 'tlsrpt@rcv.test'
m['Subject'] = 'Report Domain: %s Submitter: %s Report-ID: <%s>' % (
    domain, a.submitter, report['report-id'])
m['Message-ID'] = '<%s@%s>' % (report['report-id'].replace(' ', ''),
                               a.submitter)
m['TLS-Report-Domain'] = domain
m['TLS-Report-Submitter'] = a.submitter
m.set_content('This is an aggregate TLS report from %s\n' % a.submitter)
if a.json:
    m.add_attachment(body, maintype='application', subtype='tlsrpt+json',
                     cte=a.cte, filename=name)
else:
    m.add_attachment(gzip.compress(body, mtime=0), maintype='application',
                     subtype='tlsrpt+gzip', cte=a.cte, filename=name + '.gz')
# RFC 8460 §5.3: multipart/report with report-type "tlsrpt"
m.replace_header('Content-Type', m['Content-Type'].replace(
    'multipart/mixed', 'multipart/report; report-type="tlsrpt"'))
raw = m.as_bytes(policy=email.policy.SMTP)
if a.sign:
    key, selector, sdomain = a.sign
    with open(key, 'rb') as f:
        # tlsrpt=True would refuse l=; a sender that uses it is the case
        sig = dkim.sign(raw, selector.encode(), sdomain.encode(), f.read(),
                        include_headers=[b'from', b'to', b'subject',
                                         b'message-id', b'tls-report-domain',
                                         b'tls-report-submitter',
                                         b'mime-version', b'content-type'],
                        length=a.length, tlsrpt=not a.length)
    raw = sig + raw
if a.tamper:
    raw = raw.replace(b'This is an aggregate', b'This is a forged')
for field in reversed(a.prepend):
    raw = field.encode() + b'\r\n' + raw
sys.stdout.buffer.write(raw)
