# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# Builds a world for mta-sts-check in a network namespace of its own:
# a real DNS server (dnsmasq with local data) on port 53 named in
# /etc/netns/NAME/resolv.conf, nginx with TLS on 443 in front of our
# responder, SMTP servers (aiosmtpd) with and without STARTTLS on 25,
# and certificates from throwaway CAs.  Everything is started with
# suite.sh's start (stopped by PID) and world_destroy removes the
# namespace and its /etc/netns entry.  Shared by tests/check,
# tests/publish and bench/check.sh.  Sourced after tests/lib/suite.sh.
# usage: world_create; ca_new NAME; cert NAME CA "names" [start end];
#        ...; world_dns_start FILE; ...

. tests/lib/nginx.sh	# nginx_main_conf

PY=/usr/bin/python3	# Debian's, with python3-aiosmtpd
# Named after the suite ($WORLD, set before sourcing) and its PID.
NS=mta-sts-${WORLD:-check}-$$
NETNS_DIR=/etc/netns/$NS
WORLD_UP=

# Inside the namespace.
in_ns() { ip netns exec "$NS" "$@"; }

world_create() {
	ip netns add "$NS" || return 1
	WORLD_UP=1
	in_ns ip link set lo up || return 1
	# 127.0.0.0/8 is all on lo: each server gets an address of its own.
	mkdir -p "$NETNS_DIR"
	printf 'nameserver 127.0.0.1\n' >"$NETNS_DIR/resolv.conf"
	# glibc's default, stated so that the timing asserted is this one.
	printf 'options timeout:5 attempts:2\n' >>"$NETNS_DIR/resolv.conf"
}

# Removes the namespace (after the servers were stopped by PID).
world_destroy() {
	[ -n "$WORLD_UP" ] || return 0
	ip netns del "$NS" 2>/dev/null
	rm -rf "$NETNS_DIR"
	WORLD_UP=
}

# ca_new NAME: a CA in $SCRATCH/ca-NAME.
ca_new() {
	local d=$SCRATCH/ca-$1
	mkdir -p "$d/newcerts"
	: >"$d/index.txt"
	echo 1000 >"$d/serial"
	cat >"$d/ca.cnf" <<EOC
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = $d
database = $d/index.txt
new_certs_dir = $d/newcerts
serial = $d/serial
default_md = sha256
policy = policy_any
unique_subject = no
[ policy_any ]
commonName = supplied
EOC
	openssl ecparam -name prime256v1 -genkey -noout -out "$d/ca.key" &&
	openssl req -x509 -new -key "$d/ca.key" -subj "/CN=Test CA $1" \
	    -days 30 -out "$d/ca.crt" 2>/dev/null
}

# cert NAME CA "dns names" [STARTDATE ENDDATE | DAYS]: $SCRATCH/NAME.crt
# and .key, signed by CA, valid for the names (YYMMDDHHMMSSZ dates).
cert() {
	local name=$1 ca=$SCRATCH/ca-$2 names=$3 n san='' dates cn=''
	for n in $names; do
		san="$san${san:+,}DNS:$n"
		cn=${cn:-$n}
	done
	if [ $# -ge 5 ]; then
		dates="-startdate $4 -enddate $5"
	else
		dates="-days ${4:-30}"
	fi
	printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
	    "$san" >"$SCRATCH/$name.ext"
	openssl ecparam -name prime256v1 -genkey -noout \
	    -out "$SCRATCH/$name.key" &&
	openssl req -new -key "$SCRATCH/$name.key" \
	    -subj "/CN=$cn" -out "$SCRATCH/$name.csr" 2>/dev/null || return 1
	# shellcheck disable=SC2086
	openssl ca -batch -notext -config "$ca/ca.cnf" -cert "$ca/ca.crt" \
	    -keyfile "$ca/ca.key" -in "$SCRATCH/$name.csr" \
	    -out "$SCRATCH/$name.crt" -extfile "$SCRATCH/$name.ext" \
	    $dates >/dev/null 2>&1
}

# cert_cn_only NAME CA HOST: $SCRATCH/NAME.crt and .key for HOST named
# only in the subject's CN, with no subjectAltName at all.
cert_cn_only() {
	local ca=$SCRATCH/ca-$2
	printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
	    >"$SCRATCH/$1.ext"
	openssl ecparam -name prime256v1 -genkey -noout \
	    -out "$SCRATCH/$1.key" &&
	openssl req -new -key "$SCRATCH/$1.key" -subj "/CN=$3" \
	    -out "$SCRATCH/$1.csr" 2>/dev/null &&
	openssl ca -batch -notext -config "$ca/ca.cnf" -cert "$ca/ca.crt" \
	    -keyfile "$ca/ca.key" -in "$SCRATCH/$1.csr" \
	    -out "$SCRATCH/$1.crt" -extfile "$SCRATCH/$1.ext" -days 30 \
	    >/dev/null 2>&1
}

# ca_sub NAME PARENT DAYS: an intermediate CA in $SCRATCH/ca-NAME, signed
# by the CA PARENT and valid for DAYS; cert signs with it as with any CA
# (serve $SCRATCH/ca-NAME/ca.crt after the leaf).
ca_sub() {
	local d=$SCRATCH/ca-$1 p=$SCRATCH/ca-$2
	ca_new "$1" || return 1
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' \
	    >"$d/sub.ext"
	openssl req -new -key "$d/ca.key" -subj "/CN=Test CA $1" \
	    -out "$d/ca.csr" 2>/dev/null &&
	openssl ca -batch -notext -config "$p/ca.cnf" -cert "$p/ca.crt" \
	    -keyfile "$p/ca.key" -in "$d/ca.csr" -out "$d/ca.crt" \
	    -extfile "$d/sub.ext" -days "$3" >/dev/null 2>&1
}

# world_dns_start CONF_LINES_FILE: dnsmasq answering for .test from the
# given txt-record=, host-record=, mx-host=, server= lines.
world_dns_start() {
	cat >"$SCRATCH/dnsmasq.conf" <<EOC
port=53
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
no-poll
local=/test/
pid-file=
user=root
group=root
EOC
	cat "$1" >>"$SCRATCH/dnsmasq.conf"
	start dnsmasq ip netns exec "$NS" dnsmasq -k \
	    --conf-file="$SCRATCH/dnsmasq.conf" --log-facility=-
	wait_for in_ns "$PY" -c 'import socket; s = socket.create_connection(("127.0.0.1", 53), 1)'
}

# world_blackhole ADDRESS [tc]: port 53, UDP and TCP, for a zone whose
# servers are silent: questions are read and never answered, or with
# "tc" each UDP question gets an empty, truncated (TC) answer, and the
# TCP retry it calls for is accepted and never answered.
world_blackhole() {
	start "blackhole-$1" ip netns exec "$NS" "$PY" -c '
import select, socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((sys.argv[1], 53))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((sys.argv[1], 53))
t.listen(64)
held = []
while True:
    r, _, _ = select.select([u, t], [], [])
    if u in r:
        q, peer = u.recvfrom(4096)
        if sys.argv[2:] == ["tc"] and len(q) >= 12:
            # QR, TC, RD as asked, RA; the question, no records.
            flags = bytes([0x82 | (q[2] & 0x01), 0x80])
            u.sendto(q[:2] + flags + q[4:6] + bytes(6) + q[12:], peer)
    if t in r:
        held.append(t.accept()[0])
' "$@"
}

# world_odd_dns ADDRESS TXT: a DNS server that answers A with 127.0.0.1,
# AAAA with SERVFAIL, TXT with the text TXT owned by another name
# (evil.test) than the one asked, and anything else with no records.
world_odd_dns() {
	start "odd-dns-$1" ip netns exec "$NS" "$PY" -c '
import socket, struct, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((sys.argv[1], 53))
txt = sys.argv[2].encode()
while True:
    q, peer = u.recvfrom(4096)
    i = 12
    while i < len(q) and q[i] != 0:
        i += q[i] + 1
    if i + 5 > len(q):
        continue
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
    question = q[12:i + 5]
    rcode, answers = 0, []
    if qtype == 1:
        answers.append(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) +
            bytes([127, 0, 0, 1]))
    elif qtype == 28:
        rcode = 2
    elif qtype == 16:
        rdata = bytes([len(txt)]) + txt
        answers.append(b"\x04evil\x04test\x00" +
            struct.pack(">HHIH", 16, 1, 60, len(rdata)) + rdata)
    head = q[:2] + struct.pack(">HHHHH", 0x8180 | rcode, 1, len(answers), 0, 0)
    u.sendto(head + question + b"".join(answers), peer)
' "$1" "$2"
}

# world_responder CONF: our responder on $SCRATCH/fcgi.sock.
world_responder() {
	start fcgi ip netns exec "$NS" "$BIN" -c "$1" -w 2 \
	    -s "unix:$SCRATCH/fcgi.sock"
	wait_for test -S "$SCRATCH/fcgi.sock"
}

# world_fcgi_server CERT DIRECTIVE...: a server block for world_nginx,
# on stdout: the directives given, TLS with the certificate CERT (made
# by cert) and the policy from our responder.
world_fcgi_server() {
	local cert=$1 line
	shift
	echo 'server {'
	for line in "$@"; do
		echo "    $line"
	done
	cat <<EOS
    ssl_certificate @DIR@/$cert.crt;
    ssl_certificate_key @DIR@/$cert.key;
    location = /.well-known/mta-sts.txt {
        include fastcgi_params;
        fastcgi_pass @FCGI@;
    }
}
EOS
}

# world_nginx SERVER_BLOCKS_FILE: nginx in the namespace with the blocks
# given (they may use @FCGI@ for the responder's socket).
world_nginx() {
	local d=$SCRATCH/nginx
	mkdir -p "$d/tmp"
	cp /etc/nginx/fastcgi_params "$d/fastcgi_params"
	sed "s|@FCGI@|unix:$SCRATCH/fcgi.sock|g; s|@DIR@|$SCRATCH|g" "$1" \
	    >"$d/servers.conf"
	nginx_main_conf "$d" 1024 "$d/servers.conf"
	start nginx ip netns exec "$NS" nginx -e "$d/error.log" -p "$d" \
	    -c "$d/nginx.conf"
	wait_for in_ns "$PY" -c 'import socket; s = socket.create_connection(("127.0.0.1", 443), 1)'
}

# world_smtp NAME ADDRESS [CERT]: aiosmtpd on ADDRESS:25, with STARTTLS
# when a certificate ($SCRATCH/CERT.crt/.key) is given.
world_smtp() {
	local tls=
	[ -n "${3:-}" ] && tls="--tlscert $SCRATCH/$3.crt --tlskey $SCRATCH/$3.key --no-requiretls"
	# shellcheck disable=SC2086
	start "smtp-$1" ip netns exec "$NS" "$PY" -m aiosmtpd -n \
	    -c aiosmtpd.handlers.Sink -l "$2:25" $tls
	wait_for in_ns "$PY" -c "import socket; s = socket.create_connection(('$2', 25), 1)"
}

# world_smtp_odd NAME ADDRESS [CERT]: an SMTP server on ADDRESS:25 of a
# kind aiosmtpd cannot be told to be, NAME saying which:
#   tls11    offers STARTTLS, then speaks TLS 1.1 and nothing later, with
#            $SCRATCH/CERT.crt/.key;
#   bigehlo  an EHLO reply of 90 lines of 4,000 bytes before it offers
#            STARTTLS, which it then refuses.
world_smtp_odd() {
	start "smtp-$1-$2" ip netns exec "$NS" "$PY" -c '
import socket, ssl, sys, threading
kind, address = sys.argv[1], sys.argv[2]
if kind == "tls11":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    ehlo = b"250-tls11.test\r\n"
else:
    ehlo = b"".join(b"250-X" + b"x" * 4000 + b"\r\n" for _ in range(90))
def serve(c):
    f = c.makefile("rb")
    c.sendall(b"220 %s.test ESMTP\r\n" % kind.encode())
    for line in f:
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO"):
            c.sendall(ehlo + b"250-STARTTLS\r\n250 OK\r\n")
        elif cmd == b"STARTTLS" and kind == "tls11":
            c.sendall(b"220 2.0.0 go ahead\r\n")
            try:
                ctx.wrap_socket(c, server_side=True).close()
            except (OSError, ssl.SSLError):
                pass
            return
        elif cmd == b"STARTTLS":
            c.sendall(b"454 4.7.0 TLS not available\r\n")
        else:
            c.sendall(b"221 bye\r\n")
            break
    c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((address, 25))
s.listen(64)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
' "$1" "$2" ${3:+"$SCRATCH/$3.crt" "$SCRATCH/$3.key"}
	wait_for in_ns "$PY" -c "import socket; s = socket.create_connection(('$2', 25), 1)"
}

# world_silent ADDRESS PORT...: accepts TCP connections and never says a
# word, for a web or mail server that hangs.
world_silent() {
	local a=$1
	shift
	start "silent-$a" ip netns exec "$NS" "$PY" -c '
import select, socket, sys
ls = []
for p in sys.argv[2:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(p)))
    s.listen(64)
    ls.append(s)
held = []
while True:
    r, _, _ = select.select(ls, [], [])
    for s in r:
        held.append(s.accept()[0])
' "$a" "$@"
}

# world_unbound ADDRESS ANCHORS ZONE@SERVER...: a validating resolver
# (unbound) on ADDRESS:53 that asks SERVER for each ZONE (a stub zone)
# and trusts the keys in the file ANCHORS (one "ZONE. DNSKEY ..." line
# each).  No root: a name under no anchor is answered unvalidated, with
# no AD bit, as an unsigned zone is.  RFC 6761's test. is not kept local.
world_unbound() {
	local d=$SCRATCH/unbound address=$1 anchors=$2 z
	shift 2
	mkdir -p "$d"
	cat >"$d/unbound.conf" <<EOC
server:
    interface: $address
    port: 53
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$d"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 1
    val-log-level: 2
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    qname-minimisation: no
    module-config: "validator iterator"
    local-zone: "test." nodefault
EOC
	{
		while read -r z; do
			echo "    trust-anchor: \"$z\""
		done <"$anchors"
		echo 'remote-control:'
		echo '    control-enable: no'
		for z in "$@"; do
			printf 'stub-zone:\n    name: "%s"\n    stub-addr: %s\n' \
			    "${z%@*}" "${z#*@}"
		done
	} >>"$d/unbound.conf"
	start unbound ip netns exec "$NS" unbound -d -c "$d/unbound.conf"
	wait_for in_ns "$PY" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
s.sendto(bytes.fromhex('abcd01000001000000000000096c6f63616c686f73740000010001'), ('$address', 53))
s.recv(512)"
}

# world_dns_tamper ADDRESS SERVER HEX: a DNS forwarder on ADDRESS:53
# (UDP) in front of SERVER that flips one bit of the bytes HEX wherever
# they appear in an answer: an on-path attacker, or a zone edited after
# it was signed.  The signatures no longer match; a validating resolver
# answers SERVFAIL.
world_dns_tamper() {
	start "tamper-$1" ip netns exec "$NS" "$PY" -c '
import socket, sys
up = (sys.argv[2], 53)
bad = bytes.fromhex(sys.argv[3])
evil = bad[:-1] + bytes([bad[-1] ^ 1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
while True:
    q, peer = s.recvfrom(65535)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(2)
    try:
        u.sendto(q, up)
        r = u.recv(65535)
    except OSError:
        continue
    finally:
        u.close()
    s.sendto(r.replace(bad, evil), peer)
' "$@"
}
