# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# Starts a throwaway nginx in a scratch prefix with contrib/nginx's server
# block, the socket and port substituted and nothing else changed.  Shared
# by the front-end tests (frontend.sh), "make run" (scripts/run.sh) and
# mta-sts-check's world (world.sh).
# usage (sourced): nginx_conf DIR PORT FASTCGI_ADDRESS [CONTRIB_FILE]
#                  (CONTRIB_FILE relative to the tree, or absolute)
#                  nginx_main_conf DIR CONNECTIONS SERVERS_FILE

# nginx_main_conf DIR CONNECTIONS SERVERS_FILE: DIR/nginx.conf for an
# nginx in the foreground with every file it writes below DIR and the
# server blocks of SERVERS_FILE.  Its workers run as root only because
# such an nginx is a throwaway started as root; in production see the
# socket note in contrib/nginx.
nginx_main_conf() {
	local dir=$1 connections=$2 servers=$3
	cat >"$dir/nginx.conf" <<EOC
user root root;
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections $connections; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    default_type application/octet-stream;
    include $servers;
}
EOC
}

nginx_conf() {
	local dir=$1 port=$2 upstream=$3 contrib=${4:-contrib/nginx/mta-sts.conf}
	local v6 src=$TOP/$contrib
	# An absolute CONTRIB_FILE: an installed copy (tests/deb).
	case $contrib in /*) src=$contrib ;; esac
	mkdir -p "$dir/tmp"
	cp /etc/nginx/fastcgi_params "$dir/fastcgi_params"
	v6="s|listen \[::\]:80;|listen [::1]:$port;|"
	# Without IPv6 loopback, nginx could not bind [::1].
	grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null ||
	    v6="/listen \[::\]:80;/d"
	sed -e "s|listen 80;|listen 127.0.0.1:$port;|" -e "$v6" \
	    -e "s|unix:/run/mta-sts-fcgi/mta-sts-fcgi.sock|$upstream|" \
	    "$src" >"$dir/mta-sts.conf"
	nginx_main_conf "$dir" 256 "$dir/mta-sts.conf"
}
