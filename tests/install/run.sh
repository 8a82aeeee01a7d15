#!/bin/bash
# SPDX-License-Identifier: ISC
# Every man page lints clean; make install / uninstall into a DESTDIR work,
# keep an existing config, and the installed binary checks the installed
# example config.  Built in a directory of its own (O=) so the tree's own
# build is left alone.
. tests/lib/suite.sh

for m in man/*; do
	out=$(mandoc -Tlint -W warning "$m" 2>&1)
	check_eq "mandoc -Tlint $m: no warning" "0 " "$? $out"
done

dest=$SCRATCH/dest
vars="O=$SCRATCH/build DESTDIR=$dest PREFIX=/usr SYSCONFDIR=/etc MANDIR=/usr/share/man"
# shellcheck disable=SC2086
make -s --no-print-directory $vars install >"$SCRATCH/install.out" 2>&1
check_eq "make install into a DESTDIR" 0 $?
for f in usr/sbin/mta-sts-fcgi:755 usr/bin/mta-sts-check:755 \
    etc/mta-sts-fcgi.ini:644 usr/share/man/man8/mta-sts-fcgi.8:644 \
    usr/share/man/man1/mta-sts-check.1:644 \
    usr/share/man/man5/mta-sts-fcgi.ini.5:644 \
    usr/share/man/man8/mta-sts-publish.8:644 \
    usr/sbin/mta-sts-report:755 usr/share/man/man8/mta-sts-report.8:644; do
	check_eq "installed ${f%:*} with mode ${f#*:}" "${f#*:}" \
	    "$(stat -c %a "$dest/${f%:*}" 2>&1)"
done
# The pages are written for PREFIX=/usr/local; installed, they name this
# build's paths, and only where the source named the defaults.
for m in mta-sts-fcgi.8 mta-sts-fcgi.ini.5 mta-sts-check.1 mta-sts-publish.8 \
    mta-sts-report.8; do
	sec=${m##*.}
	check_eq "installed $m: /usr/local paths replaced, nothing else" \
	    "" "$(sed -e 's|/usr/local/etc|/etc|g' -e 's|/usr/local/sbin|/usr/sbin|g' \
	        -e 's|/usr/local/bin|/usr/bin|g' "man/$m" |
	        diff - "$dest/usr/share/man/man$sec/$m" 2>&1)"
done
check_eq "installed mta-sts-fcgi.8: FILES names the installed config" \
    ".It Pa /etc/mta-sts-fcgi.ini" \
    "$(sed -n '/^\.Sh FILES/,/^\.Sh/p' "$dest/usr/share/man/man8/mta-sts-fcgi.8" | grep '^\.It Pa')"
check_eq "installed mta-sts-check.1 names /usr/bin/mta-sts-check, never /usr/local" \
    "3 0" "$(grep -c /usr/bin/mta-sts-check "$dest/usr/share/man/man1/mta-sts-check.1") \
$(grep -c /usr/local "$dest/usr/share/man/man1/mta-sts-check.1")"
check_file "the installed config is the example" etc/mta-sts-fcgi.ini \
    "$dest/etc/mta-sts-fcgi.ini"
"$dest/usr/sbin/mta-sts-fcgi" -t -c "$dest/etc/mta-sts-fcgi.ini" \
    >/dev/null 2>"$SCRATCH/t.err"
check_eq "the installed binary passes -t on the installed config" \
    "0 mta-sts-fcgi: $dest/etc/mta-sts-fcgi.ini: configuration OK" \
    "$? $(tail -1 "$SCRATCH/t.err")"
check_eq "the installed binary's default config is SYSCONFDIR's" \
    "              \$MTA_STS_FCGI_CONFIG, else /etc/mta-sts-fcgi.ini)" \
    "$("$dest/usr/sbin/mta-sts-fcgi" -h | grep -A1 -e '^  -c file' | sed 1d)"

check_eq "the installed checker's default config is SYSCONFDIR's" \
    "  -c config  the responder's config (default \$MTA_STS_FCGI_CONFIG, else /etc/mta-sts-fcgi.ini)" \
    "$("$dest/usr/bin/mta-sts-check" -h | sed -n 2p)"
# An invalid config is "could not check" (3), before any network step.
printf '[policy]\nmode = enforce\n' >"$SCRATCH/bad.ini"
"$dest/usr/bin/mta-sts-check" -c "$SCRATCH/bad.ini" >/dev/null 2>&1
check_eq "the installed checker exits 3 on an invalid config" 3 $?
ldd "$dest/usr/sbin/mta-sts-fcgi" >"$SCRATCH/ldd" 2>&1
check_eq "the responder links no libcurl, OpenSSL or resolver library" "" \
    "$(grep -E 'libcurl|libssl|libcrypto|libresolv|libcares|libldns|libunbound' "$SCRATCH/ldd")"
check_eq "the responder links none of the receiver's libraries" "" \
    "$(grep -E 'libsqlite3|libpq|libjansson|libz\.|libgmime|libopendkim' "$SCRATCH/ldd")"
"$dest/usr/sbin/mta-sts-report" -t -c "$dest/etc/mta-sts-fcgi.ini" \
    >/dev/null 2>"$SCRATCH/t.err"
check_eq "the installed receiver passes -t on the installed config" \
    "0 mta-sts-report: $dest/etc/mta-sts-fcgi.ini: configuration OK" \
    "$? $(tail -1 "$SCRATCH/t.err")"

echo "; edited by the admin" >>"$dest/etc/mta-sts-fcgi.ini"
cp "$dest/etc/mta-sts-fcgi.ini" "$SCRATCH/edited"
# shellcheck disable=SC2086
make -s --no-print-directory $vars install >"$SCRATCH/install.out" 2>&1
check_file "make install again keeps an existing config" "$SCRATCH/edited" \
    "$dest/etc/mta-sts-fcgi.ini"
# shellcheck disable=SC2086
make -s --no-print-directory $vars uninstall >"$SCRATCH/install.out" 2>&1
check_eq "make uninstall removes the binaries and man pages, keeps the config" \
    "0 0 0 1" "$? $(find "$dest" -name 'mta-sts-[fc][ch][ge]*' -type f ! -name '*.ini' | wc -l) \
$(find "$dest" -name 'mta-sts-*.[158]' | wc -l) \
$(find "$dest" -name mta-sts-fcgi.ini | wc -l)"
check_eq "make uninstall removes mta-sts-report" "" \
    "$(find "$dest" -name 'mta-sts-report*')"
