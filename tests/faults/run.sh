#!/bin/bash
# SPDX-License-Identifier: ISC
# The fault battery (tests/faults/faults.py) and the hostile audit's
# findings (tests/faults/audit.py) against the built program.
. tests/lib/suite.sh
need "$BIN"
export BIN SCRATCH
status=0
/usr/bin/python3 tests/faults/faults.py || status=1
mkdir -p "$SCRATCH/audit"
SCRATCH=$SCRATCH/audit /usr/bin/python3 tests/faults/audit.py || status=1
exit $status
