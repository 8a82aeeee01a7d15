#!/bin/bash
# SPDX-License-Identifier: ISC
# The receiver's body budget under hundreds of peers sending bodies
# slowly on direct FastCGI connections (tests/report/budget.py): the
# worker's peak memory within the documented bound, and a normal report
# still stored within the read deadline.
. tests/lib/suite.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
need "$REPORT"
chmod 0711 "$SCRATCH"	# the workers, as www-data, reach the store
export REPORT SCRATCH
/usr/bin/python3 tests/report/budget.py
