# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# The summary's worlds (tests/report/summary/generate.py) in a store, for
# every suite and benchmark that reads one: summary, metrics, html, the
# checker's tlsrpt check.  Sourced after tests/lib/suite.sh.
#
# summary_world DIR [FILL]: writes DIR/reports/ (the report files),
# DIR/v1.ini and DIR/now.ini (the worlds' configs, database =
# DIR/reports.db) and fills DIR/reports.db: v1.ini recorded as served
# since 2024-03-01, now.ini since 2024-04-05, then every report, each
# received an hour after it ended.  Summarise it up to
# SUMMARY_UNTIL (2024-04-15T00:00:00Z) with now.ini.  FILL is the
# report-fill to use (default: this build's).  0, or 1 after saying why.
SUMMARY_UNTIL=2024-04-15T00:00:00Z
# shellcheck disable=SC2034 # read by the suites that source this
SUMMARY_UNTIL_EPOCH=1713139200
summary_world() {
	local dir=$1 fill=${2:-$TOP/${O:-build}/tests/tools/report-fill} v
	python3 "$TOP/tests/report/summary/generate.py" "$dir/reports" ||
	    return 1
	for v in v1 now; do
		{ cat "$TOP/tests/report/summary/$v.ini"
		  printf '\n[reports]\ndatabase = %s\n' "$dir/reports.db"
		} >"$dir/$v.ini" || return 1
	done
	# 2024-03-01T00:00:00Z and 2024-04-05T00:00:00Z.
	"$fill" -c "$dir/v1.ini" -p 1709251200 "$dir/reports.db" &&
	    "$fill" -c "$dir/now.ini" -p 1712275200 "$dir/reports.db" \
	    "$dir"/reports/*
}
