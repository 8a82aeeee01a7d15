#!/bin/bash
# The fault battery (tests/faults/faults.py) against the built program.
. tests/lib.sh
need "$BIN"
export BIN SCRATCH
exec /usr/bin/python3 tests/faults/faults.py
