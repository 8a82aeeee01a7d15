#!/bin/sh
# SPDX-License-Identifier: ISC
# make deb: builds the Debian packages (source and binaries) from a copy
# of the tree in build/deb/mta-sts-fcgi-VERSION, so that nothing
# dpkg-buildpackage and debhelper write (debian/.debhelper, debian/files,
# the packages themselves, in the parent directory) lands in the tree.
# The copy is what git would commit now: tracked and untracked files,
# without what .gitignore ignores (builds, test output).  Then lintian
# on the .changes (info tags shown too): any error or warning fails.
# Results: build/deb/*.deb, *.dsc, *.tar.xz, *.changes, build.log,
# lintian.log.
set -eu
cd "$(dirname "$0")/.."
out=build/deb

version=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' Makefile)
deb_version=$(dpkg-parsechangelog -S Version)
if [ "$version" != "$deb_version" ]; then
	echo "deb: Makefile VERSION $version != debian/changelog $deb_version" >&2
	exit 1
fi

rm -rf "$out"
src=$out/mta-sts-fcgi-$version
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Files deleted but not yet committed are left out.
	# shellcheck disable=SC2016 # $f is the inner sh's
	git ls-files -z -c -o --exclude-standard |
	    xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\n" "$f"; done' sh |
	    tar -cf - -T - | tar -xf - -C "$src"
else
	tar -cf - --exclude=./build --exclude=./tests/out . |
	    tar -xf - -C "$src"
fi

echo "deb: building in $src (log: $out/build.log)"
# Not the caller's make flags (make -s would hide the compiler lines that
# blhc checks, -j would change the build).
if ! (cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    dpkg-buildpackage -us -uc) >"$out/build.log" 2>&1; then
	tail -40 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed: see $out/build.log" >&2
	exit 1
fi
changes=$out/mta-sts-fcgi_${version}_$(dpkg --print-architecture).changes
echo "deb: lintian $changes"
lint=0
lintian -I --fail-on error,warning "$changes" >"$out/lintian.log" 2>&1 ||
    lint=$?
grep -v '^running with root privileges is not recommended!$' "$out/lintian.log" || :
if [ "$lint" -ne 0 ]; then
	echo "deb: lintian reports errors or warnings (exit $lint)" >&2
	exit 1
fi
ls "$out"/*.deb
