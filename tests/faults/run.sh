#!/bin/bash
# SPDX-License-Identifier: ISC
# The fault battery (tests/faults/faults.py) and the hostile audit's
# findings (tests/faults/audit.py) against the built program; then the
# receiver on the raw wire (tests/faults/receiver.py).
. tests/lib/suite.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
need "$BIN" "$REPORT"
export BIN REPORT SCRATCH
status=0
/usr/bin/python3 tests/faults/faults.py || status=1
mkdir -p "$SCRATCH/audit"
SCRATCH=$SCRATCH/audit /usr/bin/python3 tests/faults/audit.py || status=1
mkdir -p "$SCRATCH/receiver"
SCRATCH=$SCRATCH/receiver /usr/bin/python3 tests/faults/receiver.py ||
    status=1
exit $status
