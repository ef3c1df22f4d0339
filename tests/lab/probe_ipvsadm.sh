#!/bin/sh
# probe_ipvsadm.sh - record what ipvsadm + the running kernel accept, refuse
# and print back.  Runs INSIDE a director VM as root (plain POSIX sh).
#
#   bin/lvslab --name probe exec dir1 -- sh -c 'cat > /tmp/probe_ipvsadm.sh' \
#       < tests/lab/probe_ipvsadm.sh
#   bin/lvslab --name probe exec dir1 -- sh /tmp/probe_ipvsadm.sh [GROUP...]
#
# GROUPs: persist mask6 mask4 port sched bflags pe ops sctp fwmark misc
#         addr_svc addr_svc_ns addr_rs addr_rs6 mixed rs_port weight thresh
#         tunnel restore edit order extra keepalived keepalived2 record
#         (default: all of them; "record" prints the reference-table fixtures
#         between "=== BEGIN <file>" and "=== END <file>" lines)
#
# Every case starts from an empty table (ipvsadm -C), runs its SETUP (which
# must succeed), then runs CMD once and prints ONE line:
#
#   CASE <name> | <cmd> | rc=<n> | stderr=<...> | sn=<...> | ln=<...> [| out=<...>] [| kmsg=<...>]
#
#   sn    ipvsadm -Sn after CMD (lines joined with " ;; ")
#   ln    ipvsadm -Ln $LNFLAGS after CMD, the 3 header lines dropped
#   out   stdout of CMD, when it printed anything
#   kmsg  new kernel log lines (dmesg) produced while CMD ran
#
# Only documentation prefixes (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
# 2001:db8::/32) and special-class addresses used purely as ipvsadm arguments
# are used.  ipvsadm -A/-a/-E/-e never sends packets.  Arguments that are not
# numeric addresses make ipvsadm call gethostbyname(), which may try DNS;
# those cases (PN) run inside `unshare -n` (a fresh network namespace whose
# only interface is a down lo) so no lookup can leave the host; IPVS is
# per-netns, so such a case sees its own empty table.
#
# The table is left EMPTY at exit.  Nothing here starts a sync daemon in the
# host namespace; the daemon listing is recorded in a throw-away netns.

PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
LNFLAGS=
TMPD=${TMPD:-/tmp/probe_ipvsadm.d}
mkdir -p "$TMPD"

modprobe ip_vs 2>/dev/null

# join lines with " ;; " (no trailing separator)
# (non-printable bytes become '?')
oneline() {
    LC_ALL=C tr -c '\11\12\40-\176' '?' |
        awk 'BEGIN { ORS = "" } NR > 1 { print " ;; " } { print }'
}

# shellcheck disable=SC2016
INNER='
d=$4
ipvsadm -C
: >"$d/setup"
if [ -n "$1" ]; then
    ( set -e; eval "$1" ) >"$d/setup" 2>&1 || echo "SETUP FAILED" >>"$d/setup"
fi
k0=$(dmesg 2>/dev/null | wc -l)
eval "$2" >"$d/out" 2>"$d/err"; echo $? >"$d/rc"
dmesg 2>/dev/null | tail -n +$((k0 + 1)) | sed "s/^\[[ 0-9.]*\] //" >"$d/kmsg"
ipvsadm -Sn >"$d/sn" 2>&1
ipvsadm -Ln $3 2>&1 | tail -n +4 >"$d/ln"
ipvsadm -C
'

_probe() {
    ns=$1 name=$2 setup=$3 cmd=$4
    if [ "$ns" = 1 ]; then
        unshare -n sh -c "$INNER" sh "$setup" "$cmd" "$LNFLAGS" "$TMPD"
    else
        sh -c "$INNER" sh "$setup" "$cmd" "$LNFLAGS" "$TMPD"
    fi
    if grep -q "SETUP FAILED" "$TMPD/setup"; then
        printf 'CASE %s | SETUP FAILED: %s | %s\n' "$name" "$setup" \
            "$(oneline <"$TMPD/setup")"
        return
    fi
    line="CASE $name | $cmd | rc=$(cat "$TMPD/rc") | stderr=$(oneline <"$TMPD/err")"
    line="$line | sn=$(oneline <"$TMPD/sn") | ln=$(oneline <"$TMPD/ln")"
    [ -s "$TMPD/out" ] && line="$line | out=$(oneline <"$TMPD/out")"
    [ -s "$TMPD/kmsg" ] && line="$line | kmsg=$(oneline <"$TMPD/kmsg")"
    printf '%s\n' "$line"
}
P() { _probe 0 "$@"; }   # host network namespace
PN() { _probe 1 "$@"; }  # throw-away network namespace (no DNS possible)

V4=192.0.2.10:80
V6='[2001:db8::10]:80'
A4="ipvsadm -A -t $V4 -s rr"
A6="ipvsadm -A -t $V6 -s rr"

g_persist() {
    for t in 0 1 300 86400 2678400 2678401 2147483647 2147483648 \
             4294967295 4294967296 abc 1.5 +5 ' 5' 0x10 010 ''; do
        P "persist_p=$t" "" "ipvsadm -A -t $V4 -s rr -p '$t'"
    done
    P persist_p_negative "" "ipvsadm -A -t $V4 -s rr -p -1"
    P persist_p_novalue_last "" "ipvsadm -A -t $V4 -s rr -p"
    P persist_p_novalue_mid "" "ipvsadm -A -t $V4 -p -s rr"
    P persist_p_attached "" "ipvsadm -A -t $V4 -s rr -p600"
    P persist_long_eq "" "ipvsadm -A -t $V4 -s rr --persistent=600"
    P persist_long_sp "" "ipvsadm -A -t $V4 -s rr --persistent 600"
    P persist_long_novalue "" "ipvsadm -A -t $V4 --persistent -s rr"
    P persist_twice "" "ipvsadm -A -t $V4 -s rr -p 10 -p 20"
    P persist_udp "" "ipvsadm -A -u $V4 -s rr -p 2678400"
}

g_mask4() {
    for m in 255.255.255.0 24 0 32 33 255.0.255.0 0.0.0.0 255.255.255.255 \
             255.255.255.128 255.255.0 0xffffff00 4294967040 1.2.3.4; do
        P "mask4_M=$m" "" "ipvsadm -A -t $V4 -s rr -p 300 -M $m"
    done
    P mask4_without_p "" "ipvsadm -A -t $V4 -s rr -M 255.255.255.0"
    P mask4_M_before_t "" "ipvsadm -A -M 255.255.255.0 -p 300 -t $V4 -s rr"
    P mask4_fwmark "" "ipvsadm -A -f 5 -s rr -p 300 -M 255.255.0.0"
    P mask4_without_p_then_E_p "ipvsadm -A -t $V4 -s rr -M 255.255.255.0" \
        "ipvsadm -E -t $V4 -s rr -p 300"
    PN mask4_M=nonnumeric "" "ipvsadm -A -t $V4 -s rr -p 300 -M /24"
}

g_mask6() {
    for m in 64 0 1 48 127 128 129 -1 ffff:ffff:ffff:ffff:: 255.255.255.0 64abc /64; do
        P "mask6_M=$m" "" "ipvsadm -A -t $V6 -s rr -p 300 -M '$m'"
    done
    P mask6_without_p "" "ipvsadm -A -t $V6 -s rr -M 64"
    P mask6_M_before_t "" "ipvsadm -A -p 300 -M 64 -t $V6 -s rr"
    P mask6_M_before_t_bad "" "ipvsadm -A -p 300 -M 129 -t $V6 -s rr"
    P mask6_fwmark_6_then_M "" "ipvsadm -A -f 5 -6 -s rr -p 300 -M 64"
    P mask6_fwmark_M_then_6 "" "ipvsadm -A -f 5 -s rr -p 300 -M 64 -6"
    P mask6_fwmark_6_M128 "" "ipvsadm -A -f 5 -6 -s rr -p 300 -M 128"
    P mask6_fwmark_6_M0 "" "ipvsadm -A -f 5 -6 -s rr -p 300 -M 0"
}

g_port() {
    P port_0_nop "" "ipvsadm -A -t 192.0.2.10:0 -s rr"
    P port_0_p "" "ipvsadm -A -t 192.0.2.10:0 -s rr -p"
    P port_none_nop "" "ipvsadm -A -t 192.0.2.10 -s rr"
    P port_none_p "" "ipvsadm -A -t 192.0.2.10 -s rr -p 60"
    P port_empty "" "ipvsadm -A -t 192.0.2.10: -s rr"
    P port_1 "" "ipvsadm -A -t 192.0.2.10:1 -s rr"
    P port_65535 "" "ipvsadm -A -t 192.0.2.10:65535 -s rr"
    P port_65536 "" "ipvsadm -A -t 192.0.2.10:65536 -s rr"
    P port_-1 "" "ipvsadm -A -t 192.0.2.10:-1 -s rr"
    P port_leading0 "" "ipvsadm -A -t 192.0.2.10:080 -s rr"
    P port_plus "" "ipvsadm -A -t 192.0.2.10:+80 -s rr"
    P port_name_http "" "ipvsadm -A -t 192.0.2.10:http -s rr"
    P port_name_domain_udp "" "ipvsadm -A -u 192.0.2.10:domain -s rr"
    P port_name_bogus "" "ipvsadm -A -t 192.0.2.10:nosuchservice -s rr"
    P port_udp_0_p "" "ipvsadm -A -u 192.0.2.10:0 -s rr -p"
    P port_v6_0_nop "" "ipvsadm -A -t [2001:db8::10]:0 -s rr"
    P port_v6_0_p "" "ipvsadm -A -t [2001:db8::10]:0 -s rr -p"
    P port_v6_65536 "" "ipvsadm -A -t [2001:db8::10]:65536 -s rr"
    P port_0_E_drop_p "ipvsadm -A -t 192.0.2.10:0 -s rr -p" "ipvsadm -E -t 192.0.2.10:0 -s rr"
}

g_sched() {
    for s in rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos bogus RR \
             abcdefghijklmnop ''; do
        P "sched_s=$s" "" "ipvsadm -A -t $V4 -s '$s'"
    done
    P sched_default "" "ipvsadm -A -t $V4"
    P sched_twice "" "ipvsadm -A -t $V4 -s rr -s wrr"
}

g_bflags() {
    for s in sh mh rr wlc; do
        for b in sh-fallback sh-port sh-fallback,sh-port sh-port,sh-fallback \
                 mh-fallback mh-port mh-fallback,mh-port \
                 flag-1 flag-2 flag-3 flag-1,flag-2 flag-1,flag-2,flag-3 \
                 flag-3,sh-port flag-1,flag-1 bogus; do
            P "bflags_s=${s}_b=$b" "" "ipvsadm -A -t $V4 -s $s -b $b"
        done
    done
    P bflags_no_s_flag1 "" "ipvsadm -A -t $V4 -b flag-1"
    P bflags_no_s_shport "" "ipvsadm -A -t $V4 -b sh-port"
    P bflags_b_before_s "" "ipvsadm -A -t $V4 -b sh-port -s sh"
    P bflags_empty "" "ipvsadm -A -t $V4 -s rr -b ''"
    P bflags_comma "" "ipvsadm -A -t $V4 -s rr -b ,"
    P bflags_trailing_comma "" "ipvsadm -A -t $V4 -s sh -b sh-port,"
    P bflags_space "" "ipvsadm -A -t $V4 -s sh -b 'sh-port, sh-fallback'"
    P bflags_long "" "ipvsadm -A -t $V4 -s sh --sched-flags sh-port"
    P bflags_fwmark6_mh "" "ipvsadm -A -f 5 -6 -s mh -b mh-fallback,mh-port"
    P bflags_E_keep_s "ipvsadm -A -t $V4 -s sh -b sh-port" "ipvsadm -E -t $V4 -s sh"
    P bflags_E_no_s "ipvsadm -A -t $V4 -s sh -b sh-port" "ipvsadm -E -t $V4 -b sh-port"
}

g_pe() {
    P pe_sip_tcp_p "" "ipvsadm -A -t 192.0.2.10:5060 -s rr -p 120 --pe sip"
    P pe_sip_tcp_nop "" "ipvsadm -A -t 192.0.2.10:5060 -s rr --pe sip"
    P pe_sip_udp_p "" "ipvsadm -A -u 192.0.2.10:5060 -s rr -p 120 --pe sip"
    P pe_sip_udp_nop "" "ipvsadm -A -u 192.0.2.10:5060 -s rr --pe sip"
    P pe_sip_udp_p_default "" "ipvsadm -A -u 192.0.2.10:5060 -s rr -p --pe sip"
    P pe_sip_sctp_p "" "ipvsadm -A --sctp-service 192.0.2.10:5060 -s rr -p 120 --pe sip"
    P pe_sip_fwm_p "" "ipvsadm -A -f 5 -s rr -p 120 --pe sip"
    P pe_sip_fwm_nop "" "ipvsadm -A -f 5 -s rr --pe sip"
    P pe_sip_fwm6_p "" "ipvsadm -A -f 5 -6 -s rr -p 120 --pe sip"
    P pe_sip_v6_udp_p "" "ipvsadm -A -u [2001:db8::10]:5060 -s rr -p 120 --pe sip"
    P pe_sip_ops "" "ipvsadm -A -u 192.0.2.10:5060 -s rr -p 120 --pe sip -o"
    P pe_SIP_upper "" "ipvsadm -A -u 192.0.2.10:5060 -s rr -p 120 --pe SIP"
    P pe_bogus "" "ipvsadm -A -u 192.0.2.10:5060 -s rr -p 120 --pe bogus"
    P pe_empty "" "ipvsadm -A -u 192.0.2.10:5060 -s rr -p 120 --pe ''"
    P pe_E_remove "ipvsadm -A -u 192.0.2.10:5060 -s rr -p 120 --pe sip" \
        "ipvsadm -E -u 192.0.2.10:5060 -s rr -p 120"
    P pe_E_drop_p_keep_pe "ipvsadm -A -u 192.0.2.10:5060 -s rr -p 120 --pe sip" \
        "ipvsadm -E -u 192.0.2.10:5060 -s rr --pe sip"
}

g_ops() {
    P ops_tcp "" "ipvsadm -A -t $V4 -s rr -o"
    P ops_udp "" "ipvsadm -A -u 192.0.2.10:53 -s rr -o"
    P ops_udp_long "" "ipvsadm -A -u 192.0.2.10:53 -s rr --ops"
    P ops_udp_p "" "ipvsadm -A -u 192.0.2.10:53 -s rr -p 60 -o"
    P ops_udp_v6 "" "ipvsadm -A -u [2001:db8::10]:53 -s rr -o"
    P ops_sctp "" "ipvsadm -A --sctp-service 192.0.2.10:3868 -s rr -o"
    P ops_fwm "" "ipvsadm -A -f 5 -s rr -o"
    P ops_fwm6 "" "ipvsadm -A -f 5 -6 -s rr -o"
    P ops_E_tcp "ipvsadm -A -t $V4 -s rr" "ipvsadm -E -t $V4 -s rr -o"
}

g_sctp() {
    P sctp_v4 "" "ipvsadm -A --sctp-service 192.0.2.10:3868 -s rr"
    P sctp_v4_eq "" "ipvsadm -A --sctp-service=192.0.2.10:3868 -s rr"
    P sctp_v6 "" "ipvsadm -A --sctp-service [2001:db8::10]:3868 -s rr"
    P sctp_0_p "" "ipvsadm -A --sctp-service 192.0.2.10:0 -s rr -p"
    P sctp_dest "ipvsadm -A --sctp-service 192.0.2.10:3868 -s rr" \
        "ipvsadm -a --sctp-service 192.0.2.10:3868 -r 198.51.100.11:3869 -m"
    P sctp_and_tcp_same_addr "ipvsadm -A --sctp-service 192.0.2.10:80 -s rr" "$A4"
}

g_fwmark() {
    for f in 0 1 5 2147483647 2147483648 4294967295 4294967296 -1 0x10 010 \
             abc +7 ' 7' 1.5; do
        P "fwmark_f=$f" "" "ipvsadm -A -f '$f' -s rr"
    done
    P fwmark_6 "" "ipvsadm -A -f 5 -6 -s rr"
    P fwmark_6_before_f "" "ipvsadm -A -6 -f 5 -s rr"
    P fwmark_6_with_t "" "ipvsadm -A -t $V4 -6 -s rr"
    P fwmark_6_long "" "ipvsadm -A --fwmark-service 5 --ipv6 -s rr"
    P fwmark_v4_and_v6_same_mark "ipvsadm -A -f 5 -s rr" "ipvsadm -A -f 5 -6 -s rr"
    P fwmark_dup "ipvsadm -A -f 5 -s rr" "ipvsadm -A -f 5 -s wrr"
    P fwmark_6_p "" "ipvsadm -A -f 5 -6 -s rr -p"
    P fwmark_and_t "" "ipvsadm -A -f 5 -t $V4 -s rr"
}

g_misc() {
    P misc_dup_service "$A4" "ipvsadm -A -t $V4 -s wrr"
    P misc_t_and_u "" "ipvsadm -A -t $V4 -u $V4 -s rr"
    P misc_A_with_r "" "ipvsadm -A -t $V4 -s rr -r 192.0.2.11"
    P misc_A_with_w "" "ipvsadm -A -t $V4 -s rr -w 1"
    P misc_a_without_r "$A4" "ipvsadm -a -t $V4 -m"
    P misc_a_no_service "" "ipvsadm -a -t $V4 -r 192.0.2.11:80 -m"
    P misc_a_two_fwd "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:80 -g -m"
    P misc_a_default_fwd "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:80"
    P misc_D_missing "" "ipvsadm -D -t $V4"
    P misc_d_missing "$A4" "ipvsadm -d -t $V4 -r 192.0.2.11:80"
    P misc_d_wrong_port_dr "$A4; ipvsadm -a -t $V4 -r 192.0.2.11 -g" \
        "ipvsadm -d -t $V4 -r 192.0.2.11:8080"
    P misc_unexpected_arg "" "ipvsadm -A -t $V4 -s rr extra"
    P misc_unknown_option "" "ipvsadm -A -t $V4 -s rr --bogus"
    P misc_no_command "" "ipvsadm -t $V4"
    P misc_S_nosort "$A4" "ipvsadm -S -n --nosort"
    P misc_S_without_n "ipvsadm -A -t 127.0.0.1:80 -s rr" "ipvsadm -S"
}

g_addr_svc() {
    for a in 192.0.2.10 192.0.2.010 192.0.2.0x10 192.0.2 192.0.522 192.12 \
             3221225994 0xc000020a 0.0.0.0 255.255.255.255 127.0.0.1 \
             224.0.0.1 239.255.255.250 192.0.2.255 192.0.2.0 240.0.0.1 \
             192.0.2.2; do
        P "addr_svc4=$a" "" "ipvsadm -A -t $a:80 -s rr"
    done
    for a in '[2001:db8::10]:80' '[2001:DB8::A]:80' \
             '[2001:0db8:0000:0000:0000:0000:0000:000a]:80' \
             '[::ffff:192.0.2.80]:80' '[::192.0.2.1]:80' '[::]:80' '[::1]:80' \
             '[fe80::1]:80' '[ff02::1]:80' '[2001:db8::1]' '[2001:db8::1]80' \
             '[2001:db8::1]:' '2001:db8::1' '2001:db8::1:80' '[2001:db8::1]:65535'; do
        P "addr_svc6=$a" "" "ipvsadm -A -t '$a' -s rr"
    done
    P "addr_svc6_noport_p" "" "ipvsadm -A -t 2001:db8::1 -s rr -p"
}

# arguments that are not literal addresses -> gethostbyname(); no network here
g_addr_svc_ns() {
    for a in localhost:80 localhost dir1:80 ip6-localhost:80 '[localhost]:80' \
             192.0.2.256:80 ' 192.0.2.10:80' '192.0.2.10 :80' ':80' \
             '[fe80::1%eth1]:80' '[fe80::1%1]:80' 'fe80::1%eth1'; do
        PN "addr_svc_ns=$a" "" "ipvsadm -A -t '$a' -s rr -p"
    done
    PN addr_rs_ns_localhost "$A4" "ipvsadm -a -t $V4 -r localhost:80 -m"
    PN addr_rs_ns_scoped6 "$A6" "ipvsadm -a -t $V6 -r '[fe80::1%eth1]:80' -m"
}

g_addr_rs() {
    for a in 192.0.2.11 198.51.100.11 203.0.113.77 192.0.2.011 3221225995 \
             0.0.0.0 255.255.255.255 127.0.0.1 224.0.0.1 239.1.1.1 240.0.0.1 \
             192.0.2.255 192.0.2.0 198.51.100.255 203.0.113.255 192.0.2.2 \
             192.0.2.10; do
        P "addr_rs4_m=$a" "$A4" "ipvsadm -a -t $V4 -r $a:80 -m"
    done
    P addr_rs4_int_noport "$A4" "ipvsadm -a -t $V4 -r 3221225995 -m"
    P addr_rs4_local_g "$A4" "ipvsadm -a -t $V4 -r 192.0.2.2:80 -g"
    P addr_rs4_local_i "$A4" "ipvsadm -a -t $V4 -r 192.0.2.2:80 -i"
    P addr_rs4_loopback_g "$A4" "ipvsadm -a -t $V4 -r 127.0.0.1:80 -g"
    P addr_rs4_bcast_g "$A4" "ipvsadm -a -t $V4 -r 192.0.2.255 -g"
    P addr_rs4_mcast_i "$A4" "ipvsadm -a -t $V4 -r 224.0.0.1 -i"
}

g_addr_rs6() {
    for a in '[2001:db8::11]:80' '[2001:DB8::B]:80' \
             '[2001:0db8:0000:0000:0000:0000:0000:000b]:80' \
             '[::ffff:192.0.2.80]:80' '[::192.0.2.1]:80' '[::]:80' '[::1]:80' \
             '[fe80::1]:80' '[fe80::5054:ff:fe01:1]:80' '[ff02::1]:80' \
             '[ff05::2]:80' '[2001:db8:1::2]:80' '2001:db8::11' '[2001:db8::11]'; do
        P "addr_rs6_m=$a" "$A6" "ipvsadm -a -t $V6 -r '$a' -m"
    done
    P addr_rs6_linklocal_g "$A6" "ipvsadm -a -t $V6 -r fe80::1 -g"
    P addr_rs6_mapped_g "$A6" "ipvsadm -a -t $V6 -r ::ffff:192.0.2.80 -g"
    P addr_rs6_on_mapped_svc "ipvsadm -A -t [::ffff:192.0.2.80]:80 -s rr" \
        "ipvsadm -a -t [::ffff:192.0.2.80]:80 -r [2001:db8::11]:80 -m"
}

g_mixed() {
    for f in g m i; do
        P "mixed_svc4_rs6_$f" "$A4" "ipvsadm -a -t $V4 -r [2001:db8::11]:80 -$f"
        P "mixed_svc6_rs4_$f" "$A6" "ipvsadm -a -t $V6 -r 192.0.2.11:80 -$f"
    done
    P mixed_svc4_rs6_gue "$A4" \
        "ipvsadm -a -t $V4 -r [2001:db8::11]:80 -i --tun-type gue --tun-port 6080"
    P mixed_svc6_rs4_gre "$A6" \
        "ipvsadm -a -t $V6 -r 192.0.2.11:80 -i --tun-type gre --tun-csum"
    P mixed_fwm4_rs6_i "ipvsadm -A -f 5 -s rr" "ipvsadm -a -f 5 -r 2001:db8::11 -i"
    P mixed_fwm4_rs6_g "ipvsadm -A -f 5 -s rr" "ipvsadm -a -f 5 -r 2001:db8::11 -g"
    P mixed_fwm6_rs4_i "ipvsadm -A -f 5 -6 -s rr" "ipvsadm -a -f 5 -6 -r 192.0.2.11 -i"
    P mixed_fwm6_rs6_without_6 "ipvsadm -A -f 5 -6 -s rr" "ipvsadm -a -f 5 -r 2001:db8::11 -g"
    P mixed_both_families "$A4; ipvsadm -a -t $V4 -r 192.0.2.11 -i" \
        "ipvsadm -a -t $V4 -r 2001:db8::11 -i"
}

g_rs_port() {
    P rs_port_m_0 "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:0 -m"
    P rs_port_m_1 "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:1 -m"
    P rs_port_m_65535 "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:65535 -m"
    P rs_port_m_65536 "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:65536 -m"
    P rs_port_m_none "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11 -m"
    P rs_port_m_name "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:https -m"
    P rs_port_g_8080 "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:8080 -g"
    P rs_port_g_0 "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:0 -g"
    P rs_port_g_65536 "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:65536 -g"
    P rs_port_i_8080 "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:8080 -i"
    P rs_port_svc0_m_none "ipvsadm -A -t 192.0.2.10:0 -s rr -p" \
        "ipvsadm -a -t 192.0.2.10:0 -r 192.0.2.11 -m"
    P rs_port_svc0_m_8080 "ipvsadm -A -t 192.0.2.10:0 -s rr -p" \
        "ipvsadm -a -t 192.0.2.10:0 -r 192.0.2.11:8080 -m"
    P rs_port_fwm_g_8080 "ipvsadm -A -f 5 -s rr" "ipvsadm -a -f 5 -r 192.0.2.11:8080 -g"
    P rs_port_fwm_g_none "ipvsadm -A -f 5 -s rr" "ipvsadm -a -f 5 -r 192.0.2.11 -g"
    P rs_port_fwm_m_8080 "ipvsadm -A -f 5 -s rr" "ipvsadm -a -f 5 -r 192.0.2.11:8080 -m"
    P rs_port_fwm_i_8080 "ipvsadm -A -f 5 -s rr" "ipvsadm -a -f 5 -r 192.0.2.11:8080 -i"
    P rs_port_fwm6_m "ipvsadm -A -f 5 -6 -s rr" "ipvsadm -a -f 5 -6 -r [2001:db8::11]:8080 -m"
    P rs_dup_m "$A4; ipvsadm -a -t $V4 -r 192.0.2.11:80 -m" \
        "ipvsadm -a -t $V4 -r 192.0.2.11:80 -m"
    P rs_dup_other_fwd "$A4; ipvsadm -a -t $V4 -r 192.0.2.11:80 -m" \
        "ipvsadm -a -t $V4 -r 192.0.2.11:80 -g"
    P rs_dup_dr_other_port "$A4; ipvsadm -a -t $V4 -r 192.0.2.11 -g" \
        "ipvsadm -a -t $V4 -r 192.0.2.11:8080 -g"
    P rs_same_addr_two_ports_m "$A4; ipvsadm -a -t $V4 -r 192.0.2.11:8080 -m" \
        "ipvsadm -a -t $V4 -r 192.0.2.11:8081 -m"
    P rs_same_addr_dr_and_nat "$A4; ipvsadm -a -t $V4 -r 192.0.2.11:8080 -m" \
        "ipvsadm -a -t $V4 -r 192.0.2.11 -g"
}

g_weight() {
    for w in -1 0 1 65535 65536 2147483647 abc +5 ' 5' 1.5 ''; do
        P "weight_w=$w" "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:80 -m -w '$w'"
    done
}

g_thresh() {
    LNFLAGS=--thresholds
    for x in 0 1 65535 65536 2147483647 2147483648 4294967295 4294967296 -1 abc; do
        P "thresh_x=$x" "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:80 -m -x '$x'"
        P "thresh_y=$x" "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:80 -m -x 2147483647 -y '$x'"
    done
    P thresh_y_only "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:80 -m -y 5"
    P thresh_x10_y20 "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:80 -m -x 10 -y 20"
    P thresh_x20_y10 "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:80 -m -x 20 -y 10"
    P thresh_x10_y10 "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:80 -m -x 10 -y 10"
    P thresh_x0_y5 "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:80 -m -x 0 -y 5"
    P thresh_e_y_above_x "$A4; ipvsadm -a -t $V4 -r 192.0.2.11:80 -m -x 10 -y 5" \
        "ipvsadm -e -t $V4 -r 192.0.2.11:80 -m -y 20"
    P thresh_e_without_xy "$A4; ipvsadm -a -t $V4 -r 192.0.2.11:80 -m -x 10 -y 5" \
        "ipvsadm -e -t $V4 -r 192.0.2.11:80 -m -w 3"
    LNFLAGS=
}

g_tunnel() {
    LNFLAGS=--tun-info
    R="ipvsadm -a -t $V4 -r 192.0.2.11:80"
    P tun_i_default "$A4" "$R -i"
    for t in ipip gue gre bogus IPIP ''; do
        P "tun_type=$t" "$A4" "$R -i --tun-type '$t'"
    done
    for p in 0 1 6080 65535 65536 -1 abc; do
        P "tun_gue_port=$p" "$A4" "$R -i --tun-type gue --tun-port '$p'"
    done
    P tun_ipip_port "$A4" "$R -i --tun-type ipip --tun-port 6080"
    P tun_gre_port "$A4" "$R -i --tun-type gre --tun-port 6080"
    P tun_port_no_type "$A4" "$R -i --tun-port 6080"
    for t in ipip gue gre; do
        [ $t = gue ] && tp="--tun-port 6080" || tp=""
        for c in --tun-nocsum --tun-csum --tun-remcsum "--tun-csum --tun-remcsum" \
                 "--tun-nocsum --tun-csum" "--tun-csum --tun-csum"; do
            P "tun_${t}_csum=$c" "$A4" "$R -i --tun-type $t $tp $c"
        done
    done
    P tun_csum_no_type "$A4" "$R -i --tun-csum"
    P tun_opts_with_g "$A4" "$R -g --tun-type gue --tun-port 6080"
    P tun_opts_with_m "$A4" "$R -m --tun-type gre"
    P tun_opts_no_fwd "$A4" "$R --tun-type ipip"
    P tun_order_opts_first "$A4" "ipvsadm -a --tun-csum --tun-port 6081 --tun-type gue -i -w 3 -t $V4 -r 192.0.2.11:80"
    P tun_v6_gue "$A6" "ipvsadm -a -t $V6 -r [2001:db8::11]:80 -i --tun-type gue --tun-port 6080 --tun-remcsum"
    P tun_v6_gre "$A6" "ipvsadm -a -t $V6 -r [2001:db8::11]:80 -i --tun-type gre"
    P tun_e_ipip_to_gue "$A4; $R -i" "ipvsadm -e -t $V4 -r 192.0.2.11:80 -i --tun-type gue --tun-port 6080"
    P tun_e_gue_no_tunopts "$A4; $R -i --tun-type gue --tun-port 6080 --tun-csum" \
        "ipvsadm -e -t $V4 -r 192.0.2.11:80 -i -w 2"
    P tun_e_gue_to_g "$A4; $R -i --tun-type gue --tun-port 6080 --tun-csum" \
        "ipvsadm -e -t $V4 -r 192.0.2.11:80 -g"
    P tun_fwm_gue "ipvsadm -A -f 5 -s rr" "ipvsadm -a -f 5 -r 192.0.2.11 -i --tun-type gue --tun-port 6080"
    LNFLAGS=
}

g_restore() {
    P restore_mid_kernel_fail "" \
        "printf '%s\n' '-A -t 192.0.2.10:80 -s rr' '-A -t 192.0.2.10:80 -s rr' '-A -t 192.0.2.11:80 -s rr' | ipvsadm -R"
    P restore_last_kernel_fail "" \
        "printf '%s\n' '-A -t 192.0.2.10:80 -s rr' '-A -t 192.0.2.11:80 -s rr' '-A -t 192.0.2.10:80 -s rr' | ipvsadm -R"
    P restore_mid_sched_fail "" \
        "printf '%s\n' '-A -t 192.0.2.10:80 -s rr' '-A -t 192.0.2.11:80 -s bogus' '-A -t 192.0.2.12:80 -s rr' | ipvsadm -R"
    P restore_mid_dest_fail "" \
        "printf '%s\n' '-A -t 192.0.2.10:80 -s rr' '-a -t 192.0.2.10:80 -r 224.0.0.1:80 -m' '-a -t 192.0.2.10:80 -r 192.0.2.11:80 -m' | ipvsadm -R"
    P restore_mid_parse_fail "" \
        "printf '%s\n' '-A -t 192.0.2.10:80 -s rr' '-A -t 192.0.2.11:80 -s rr -p 9999999' '-A -t 192.0.2.12:80 -s rr' | ipvsadm -R"
    P restore_mid_popt_fail "" \
        "printf '%s\n' '-A -t 192.0.2.10:80 -s rr' '-A -t 192.0.2.11:80 -s rr --bogus' '-A -t 192.0.2.12:80 -s rr' | ipvsadm -R"
    P restore_mid_missing_arg "" \
        "printf '%s\n' '-A -t 192.0.2.10:80 -s rr' '-A -t 192.0.2.11:80 -s' '-A -t 192.0.2.12:80 -s rr' | ipvsadm -R"
    P restore_comment_line "" \
        "printf '%s\n' '# a comment' '-A -t 192.0.2.10:80 -s rr' | ipvsadm -R"
    P restore_trailing_comment "" \
        "printf '%s\n' '-A -t 192.0.2.10:80 -s rr # note' '-A -t 192.0.2.11:80 -s rr' | ipvsadm -R"
    P restore_blank_lines "" \
        "printf '%s\n' '' '-A -t 192.0.2.10:80 -s rr' '   ' '' '-A -t 192.0.2.11:80 -s rr' | ipvsadm -R"
    P restore_ipvsadm_prefix "" \
        "printf '%s\n' 'ipvsadm -A -t 192.0.2.10:80 -s rr' '-A ipvsadm -t 192.0.2.11:80 -s rr' | ipvsadm -R"
    PN restore_quotes "" \
        "printf '%s\n' '-A -t \"192.0.2.10:80\" -s rr' | ipvsadm -R"
    P restore_tabs_crlf "" \
        "printf '%b' '-A\t-t 192.0.2.10:80  -s rr\r\n-A -t 192.0.2.11:80 -s rr\n' | ipvsadm -R"
    P restore_no_final_newline "" \
        "printf '%s\n%s' '-A -t 192.0.2.10:80 -s rr' '-A -t 192.0.2.11:80 -s rr' | ipvsadm -R"
    P restore_clear_inside "$A4" \
        "printf '%s\n' '-C' '-A -t 192.0.2.11:80 -s rr' | ipvsadm -R"
    P restore_nested_R "" \
        "printf '%s\n' '-R' '-A -t 192.0.2.11:80 -s rr' | ipvsadm -R"
    P restore_empty_input "" "ipvsadm -R </dev/null"
    P restore_bflag_unprintable "" \
        "ipvsadm -A -t 192.0.2.10:80 -s sh -b flag-3 && ipvsadm -Sn > $TMPD/rt && ipvsadm -C && ipvsadm -R < $TMPD/rt"
}

g_edit() {
    P edit_sched "$A4" "ipvsadm -E -t $V4 -s wrr"
    P edit_no_s_resets_wlc "$A4" "ipvsadm -E -t $V4"
    P edit_add_p "$A4" "ipvsadm -E -t $V4 -s rr -p 60 -M 255.255.255.0"
    P edit_drop_p "ipvsadm -A -t $V4 -s rr -p 60 -M 255.255.255.0" "ipvsadm -E -t $V4 -s rr"
    P edit_missing "" "ipvsadm -E -t $V4 -s rr"
    P edit_sched_bogus "$A4" "ipvsadm -E -t $V4 -s bogus"
    P edit_ops_off "ipvsadm -A -u 192.0.2.10:53 -s rr -o" "ipvsadm -E -u 192.0.2.10:53 -s rr"
    P edit_fwm6 "ipvsadm -A -f 5 -6 -s rr" "ipvsadm -E -f 5 -6 -s wrr -p 30 -M 64"
    P edit_fwm6_without_6 "ipvsadm -A -f 5 -6 -s rr" "ipvsadm -E -f 5 -s wrr"
    P edit_dest_weight_keeps_m "$A4; ipvsadm -a -t $V4 -r 192.0.2.11:8080 -m" \
        "ipvsadm -e -t $V4 -r 192.0.2.11:8080 -w 5"
    P edit_dest_weight_with_m "$A4; ipvsadm -a -t $V4 -r 192.0.2.11:8080 -m" \
        "ipvsadm -e -t $V4 -r 192.0.2.11:8080 -m -w 5"
    P edit_dest_weight_resets "$A4; ipvsadm -a -t $V4 -r 192.0.2.11:80 -m -w 7 -x 9" \
        "ipvsadm -e -t $V4 -r 192.0.2.11:80 -m"
    P edit_dest_g_to_m "$A4; ipvsadm -a -t $V4 -r 192.0.2.11 -g" \
        "ipvsadm -e -t $V4 -r 192.0.2.11:80 -m"
    P edit_dest_missing "$A4" "ipvsadm -e -t $V4 -r 192.0.2.11:80 -m -w 5"
    P edit_dest_port_change_m "$A4; ipvsadm -a -t $V4 -r 192.0.2.11:8080 -m" \
        "ipvsadm -e -t $V4 -r 192.0.2.11:8081 -m"
    P edit_dest_no_service "" "ipvsadm -e -t $V4 -r 192.0.2.11:80 -m"
}

g_order() {
    P order_insert "" "ipvsadm -A -f 9 -s rr; ipvsadm -A -u 192.0.2.30:53 -s rr; ipvsadm -A -t 192.0.2.40:80 -s rr; ipvsadm -A -t [2001:db8::5]:80 -s rr; ipvsadm -A --sctp-service 192.0.2.1:9 -s rr; ipvsadm -A -t 192.0.2.20:443 -s rr; ipvsadm -A -t 192.0.2.20:80 -s rr; ipvsadm -A -f 3 -6 -s rr; ipvsadm -A -f 3 -s rr; ipvsadm -A -t 198.51.100.1:80 -s rr; ipvsadm -A -t 203.0.113.1:80 -s rr; ipvsadm -A -u [2001:db8::1]:53 -s rr"
    P order_insert_nosort "" "ipvsadm -A -f 9 -s rr; ipvsadm -A -u 192.0.2.30:53 -s rr; ipvsadm -A -t 192.0.2.40:80 -s rr; ipvsadm -A -t [2001:db8::5]:80 -s rr; ipvsadm -A --sctp-service 192.0.2.1:9 -s rr; ipvsadm -A -t 192.0.2.20:443 -s rr; ipvsadm -A -t 192.0.2.20:80 -s rr; ipvsadm -A -f 3 -6 -s rr; ipvsadm -A -f 3 -s rr; ipvsadm -A -t 198.51.100.1:80 -s rr; ipvsadm -A -t 203.0.113.1:80 -s rr; ipvsadm -A -u [2001:db8::1]:53 -s rr; ipvsadm -Ln --nosort"
    P order_wrap_v4 "" "for a in 0.0.0.0 127.0.0.1 192.0.2.10 224.0.0.1 240.0.0.1 255.255.255.255; do ipvsadm -A -t \$a:80 -s rr -p; done"
    P order_wrap_v4_rev "" "for a in 255.255.255.255 240.0.0.1 224.0.0.1 192.0.2.10 127.0.0.1 0.0.0.0; do ipvsadm -A -t \$a:80 -s rr -p; done"
    P order_wrap_v4_pair "" "ipvsadm -A -t 0.0.0.0:80 -s rr; ipvsadm -A -t 192.0.2.10:80 -s rr"
    P order_wrap_fwmark "" "for f in 1 2 2147483647 2147483648 4294967295; do ipvsadm -A -f \$f -s rr; done; ipvsadm -A -t 192.0.2.10:80 -s rr"
    P order_wrap_fwmark_pair "" "ipvsadm -A -f 1 -s rr; ipvsadm -A -f 4294967295 -s rr"
    P order_ports "" "for p in 65535 8080 443 80 1; do ipvsadm -A -t 192.0.2.10:\$p -s rr; done"
    P order_v6 "" "for a in 2001:db8::10 2001:db8:ffff::1 ::1 fe80::1 ff02::1 2001:db8::9; do ipvsadm -A -t [\$a]:80 -s rr; done"
    P order_dests "$A4" "for a in 203.0.113.9 192.0.2.12 198.51.100.3 192.0.2.11 0.0.0.0 127.0.0.1; do ipvsadm -a -t $V4 -r \$a:80 -m 2>/dev/null; done; for p in 8080 81 80; do ipvsadm -a -t $V4 -r 192.0.2.50:\$p -m; done"
    P order_dests_wrap "$A4" "for a in 127.0.0.1 192.0.2.11 198.51.100.3 203.0.113.9; do ipvsadm -a -t $V4 -r \$a:80 -m; done"
    P order_dests_mixed_af "$A4" "for a in 192.0.2.12 [2001:db8::11] 192.0.2.11 [2001:db8::2]; do ipvsadm -a -t $V4 -r \$a:80 -i; done"
}

g_keepalived() {
    command -v keepalived >/dev/null 2>&1 || { echo "CASE keepalived | not installed"; return; }
    kcase() { # name  virtual_server-body-lines  [real_server-lines]
        f=/tmp/probe_ka_$1.conf
        {
            printf 'global_defs {\n    router_id probe\n}\n'
            printf 'virtual_server 192.0.2.10 80 {\n'
            printf '%s\n' "$2"
            printf '    real_server 192.0.2.11 80 {\n'
            printf '%s\n' "${3:-        weight 1}"
            printf '    }\n}\n'
        } >"$f"
        out=$(keepalived -t -l -n -f "$f" 2>&1); rc=$?
        printf 'CASE ka_%s | keepalived -t -l -n -f %s | rc=%s | out=%s\n' "$1" "$f" "$rc" \
            "$(printf '%s\n' "$out" | sed 's/^[A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9:]* [0-9]*: //' | oneline)"
    }
    B='    lb_algo rr
    lb_kind NAT
    protocol TCP'
    kcase base "$B"
    for t in 0 1 300 2678400 2678401 4294967295 4294967296 -1 abc; do
        kcase "persistence_timeout=$t" "$B
    persistence_timeout $t"
    done
    for m in 255.255.255.0 24 255.0.255.0 0.0.0.0; do
        kcase "persistence_granularity=$m" "$B
    persistence_timeout 300
    persistence_granularity $m"
    done
    for s in rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos bogus; do
        kcase "lb_algo=$s" "    lb_algo $s
    lb_kind NAT
    protocol TCP"
    done
    for w in -1 0 65535 65536 2147483647; do
        kcase "weight=$w" "$B" "        weight $w"
    done
    for x in 0 65535 65536 2147483647 2147483648; do
        kcase "uthreshold=$x" "$B" "        weight 1
        uthreshold $x"
    done
    kcase lthreshold_gt_uthreshold "$B" "        weight 1
        uthreshold 10
        lthreshold 20"
    for k in NAT DR TUN FOO; do
        kcase "lb_kind=$k" "    lb_algo rr
    lb_kind $k
    protocol TCP"
    done
    kcase protocol_SCTP "    lb_algo rr
    lb_kind NAT
    protocol SCTP"
    kcase protocol_UDP_ops "    lb_algo rr
    lb_kind NAT
    protocol UDP
    ops"
    kcase protocol_TCP_ops "$B
    ops"
    kcase sched_flags_sh "    lb_algo sh
    lb_kind NAT
    protocol TCP
    flag-1
    flag-2"
    kcase sh_port_on_rr "$B
    sh-port"
    kcase tun_gue "    lb_algo rr
    lb_kind TUN
    protocol TCP" "        weight 1
        tunnel_type gue
        tunnel_port 6080
        tunnel_checksum csum"
    kcase tun_gue_noport "    lb_algo rr
    lb_kind TUN
    protocol TCP" "        weight 1
        tunnel_type gue"
    kcase tun_gue_port65536 "    lb_algo rr
    lb_kind TUN
    protocol TCP" "        weight 1
        tunnel_type gue
        tunnel_port 65536"
    kcase pe_sip "$B
    persistence_timeout 60
    persistence_engine sip"
    kcase pe_bogus "$B
    persistence_timeout 60
    persistence_engine bogus"
}

g_extra() {
    P addr_svc4_bracketed "" "ipvsadm -A -t [192.0.2.10]:80 -s rr"
    P addr_svc4_bracketed_p "" "ipvsadm -A -t [192.0.2.10]:80 -s rr -p"
    P addr_rs4_bracketed_m "$A4" "ipvsadm -a -t $V4 -r [192.0.2.11]:8080 -m"
    P restore_negative_fwmark "" "printf '%s\n' '-A -f -1 -s rr' | ipvsadm -R"
    P restore_roundtrip_big_fwmark "" \
        "ipvsadm -A -f 4294967295 -s rr && ipvsadm -Sn > $TMPD/rt && ipvsadm -C && ipvsadm -R < $TMPD/rt"
    P restore_roundtrip_pe_without_p "" \
        "ipvsadm -A -u 192.0.2.10:5060 -s rr --pe sip && ipvsadm -Sn > $TMPD/rt && ipvsadm -C && ipvsadm -R < $TMPD/rt"
    P restore_first_line_fails_kernel "" \
        "printf '%s\n' '-a -t 192.0.2.10:80 -r 192.0.2.11:80 -m' '-A -t 192.0.2.10:80 -s rr' | ipvsadm -R"
    P svc_all_options_order "" \
        "ipvsadm -A -u 192.0.2.22:5060 -b sh-port,sh-fallback -o --pe sip -M 255.255.255.0 -p 120 -s sh"
    P svc_all_options_order6 "" \
        "ipvsadm -A -f 7 -6 -b flag-2 -o --pe sip -M 56 -p 120 -s wrr"
    P dest_weight_column_wide "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:80 -m -w 1234567"
    P dest_tun_port_plus "$A4" "ipvsadm -a -t $V4 -r 192.0.2.11:80 -i --tun-type gue --tun-port +6080"
    P list_one_service "$A4; ipvsadm -a -t $V4 -r 192.0.2.11:80 -m" "ipvsadm -Ln -t $V4"
    P list_missing_service "" "ipvsadm -Ln -t $V4"
    P save_one_service "$A4" "ipvsadm -Sn -t $V4"
    P list_empty "" "ipvsadm -Ln"
    P set_timeouts_show "" "ipvsadm -Ln --timeout"
    P list_conflict "" "ipvsadm -Ln --timeout --stats"
    P list_daemon_none "" "ipvsadm -Ln --daemon"
    P list_conn_empty "" "ipvsadm -Lnc"
    P sched_name_15 "" "ipvsadm -A -t $V4 -s abcdefghijklmno"
    P pe_name_long "" "ipvsadm -A -u 192.0.2.10:5060 -s rr -p --pe abcdefghijklmnopq"
    P dest_v6_long_listing "$A6" \
        "ipvsadm -a -t $V6 -r [2001:db8:1234:5678:9abc:def0:1234:5678]:65535 -m"
    P dest_v6_unbracketed_with_port "$A6" "ipvsadm -a -t $V6 -r 2001:db8::11:8080 -m"
    P svc_v6_long_listing "" \
        "ipvsadm -A -t [2001:db8:1234:5678:9abc:def0:1234:5678]:65535 -s wlc -p 60 -M 64"
}

# The reference table ("one of everything").  Each line is an ipvsadm
# argument list; EVERYTHING_RULES is also the README's recipe.
EVERYTHING_RULES='-A -t 192.0.2.10:80 -s wlc
-a -t 192.0.2.10:80 -r 192.0.2.11:80 -g -w 1
-a -t 192.0.2.10:80 -r 192.0.2.12:80 -g -w 2 -x 100 -y 50
-a -t 192.0.2.10:80 -r 192.0.2.13:80 -g -w 0
-A -t 192.0.2.10:8080 -s dh -p
-a -t 192.0.2.10:8080 -r 198.51.100.11:80 -m -w 1
-A -t 192.0.2.20:443 -s wrr -p 3600
-a -t 192.0.2.20:443 -r 198.51.100.11:8443 -m -w 1 -x 10
-a -t 192.0.2.20:443 -r 198.51.100.12:8443 -m -w 65535
-A -t 192.0.2.21:0 -s lc -p 600 -M 255.255.255.0
-a -t 192.0.2.21:0 -r 192.0.2.11 -g -w 1
-A -u 192.0.2.10:53 -s rr -o
-a -u 192.0.2.10:53 -r 198.51.100.11:5353 -m -w 3
-A -u 192.0.2.22:5060 -s sh -p 120 -M 255.255.255.0 --pe sip -o -b sh-fallback,sh-port
-a -u 192.0.2.22:5060 -r 192.0.2.11:5060 -g -w 1
-A --sctp-service 192.0.2.23:3868 -s sh -b sh-port
-a --sctp-service 192.0.2.23:3868 -r 192.0.2.12:3868 -i -w 1
-A -t 192.0.2.24:80 -s mh -b mh-fallback,mh-port
-a -t 192.0.2.24:80 -r 192.0.2.11:80 -i -w 5 --tun-type gue --tun-port 6080 --tun-csum
-a -t 192.0.2.24:80 -r 192.0.2.12:80 -i -w 6 --tun-type gre
-a -t 192.0.2.24:80 -r 192.0.2.13:80 -i -w 1 --tun-type gue --tun-port 6081 --tun-remcsum
-a -t 192.0.2.24:80 -r 192.0.2.14:80 -i -w 0 --tun-type gre --tun-csum
-a -t 192.0.2.24:80 -r 192.0.2.15:80 -i -w 1 --tun-type gue --tun-port 6082
-A -t 192.0.2.25:80 -s rr -b flag-3
-a -t 192.0.2.25:80 -r 192.0.2.11:80 -i -w 1 --tun-type ipip
-A -t 192.0.2.26:80 -s lblcr
-A -t 192.0.2.27:80 -s rr
-a -t 192.0.2.27:80 -r 2001:db8:2::11 -i -w 1 --tun-type gue --tun-port 6080
-A -t [2001:db8:1::10]:80 -s nq
-a -t [2001:db8:1::10]:80 -r [2001:db8:1::11]:80 -g -w 1 -x 5 -y 2
-a -t [2001:db8:1::10]:80 -r [2001:db8:2::11]:8080 -m -w 4
-A -t [2001:db8:1::20]:443 -s ovf -p 300 -M 48
-a -t [2001:db8:1::20]:443 -r [2001:db8:1::12]:443 -g -w 7
-A -u [2001:db8:1::10]:53 -s fo -p
-a -u [2001:db8:1::10]:53 -r [2001:db8:1::12]:53 -i -w 1
-a -u [2001:db8:1::10]:53 -r [2001:db8:1::13]:53 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum
-A --sctp-service [2001:db8:1::30]:3868 -s sed
-a --sctp-service [2001:db8:1::30]:3868 -r 192.0.2.11:3868 -i -w 2 --tun-type gre --tun-csum
-A -f 5 -s dh
-a -f 5 -r 192.0.2.11 -g -w 1
-a -f 5 -r 198.51.100.12:8080 -m -w 1
-A -f 6 -6 -s sed -p 30 -M 64
-a -f 6 -6 -r 2001:db8:1::11 -g -w 1
-A -f 7 -s lblc -p 60 --pe sip -o
-a -f 7 -r 2001:db8:2::12 -i -w 2 --tun-type gre --tun-csum'

g_record() {
    ipvsadm -C
    printf '%s\n' "$EVERYTHING_RULES" | while read -r l; do
        # shellcheck disable=SC2086
        ipvsadm $l || { echo "RECORD FAILED: ipvsadm $l" >&2; exit 1; }
    done || return 1
    for v in "sn-everything:-Sn" "ln-everything:-Ln" "ln-thresholds:-Ln --thresholds" \
             "ln-stats:-Ln --stats --exact" "ln-rate:-Ln --rate --exact" \
             "ln-persistent-conn:-Ln --persistent-conn" "lnc:-Lnc" \
             "ln-timeout:-Ln --timeout" "ln-daemon:-Ln --daemon" \
             "ln-tun-info:-Ln --tun-info" "ln-nosort:-Ln --nosort"; do
        f=${v%%:*} a=${v#*:}
        echo "=== BEGIN $f | ipvsadm $a"
        # shellcheck disable=SC2086
        ipvsadm $a; echo "=== END $f rc=$?"
    done
    ipvsadm -Sn >"$TMPD/rt1"
    ipvsadm -C
    ipvsadm -R <"$TMPD/rt1"; rc=$?
    ipvsadm -Sn >"$TMPD/rt2"
    if cmp -s "$TMPD/rt1" "$TMPD/rt2"; then same=identical; else same=DIFFERENT; fi
    echo "CASE record_roundtrip | ipvsadm -Sn > a; ipvsadm -C; ipvsadm -R < a; ipvsadm -Sn > b | rc=$rc | -Sn after restore: $same"
    ipvsadm -C
    # sync-daemon listing, in a throw-away netns whose only interface is lo
    echo "=== BEGIN ln-daemon-running | ipvsadm -Ln --daemon (master+backup on lo, isolated netns)"
    unshare -n sh -c 'ip link set lo up
        ipvsadm --start-daemon master --mcast-interface lo --syncid 7 &&
        ipvsadm --start-daemon backup --mcast-interface lo --syncid 7 &&
        ipvsadm -Ln --daemon
        ipvsadm --stop-daemon master; ipvsadm --stop-daemon backup'
    echo "=== END ln-daemon-running rc=$?"
}

g_keepalived2() {
    command -v keepalived >/dev/null 2>&1 || return
    kfile() { # name  full-config
        f=/tmp/probe_ka_$1.conf
        printf 'global_defs {\n    router_id probe\n}\n%s\n' "$2" >"$f"
        out=$(keepalived -t -l -n -f "$f" 2>&1); rc=$?
        printf 'CASE ka_%s | keepalived -t -l -n -f %s | rc=%s | out=%s\n' "$1" "$f" "$rc" \
            "$(printf '%s\n' "$out" | oneline)"
    }
    vs() { # addr-line  vs-body  rs-addr  rs-body
        printf 'virtual_server %s {\n    lb_algo rr\n%s\n    real_server %s {\n        weight 1\n%s\n    }\n}\n' \
            "$1" "$2" "$3" "$4"
    }
    for k in "TUN type ipip" "TUN type gre" "TUN type gre csum" "TUN type gre remcsum" \
             "TUN type gue port 6080" "TUN type gue port 6080 csum" \
             "TUN type gue port 6080 remcsum" "TUN type gue port 6080 nocsum" \
             "TUN type gue" "TUN type gue port 0" "TUN type gue port 65536" \
             "TUN type ipip csum" "TUN type bogus"; do
        n=$(printf '%s' "$k" | tr ' ' '_')
        kfile "vs_lvs_method_$n" "$(vs '192.0.2.10 80' "    lvs_method $k
    protocol TCP" '192.0.2.11 80' '')"
        kfile "rs_lvs_method_$n" "$(vs '192.0.2.10 80' "    lvs_method NAT
    protocol TCP" '192.0.2.11 80' "        lvs_method $k")"
    done
    for g in 1 64 128 129 0; do
        kfile "v6_granularity_$g" "$(vs '2001:db8::10 80' "    lb_kind DR
    protocol TCP
    persistence_timeout 60
    persistence_granularity $g" '2001:db8::11 80' '')"
    done
    for p in 0 65535 65536; do
        kfile "vs_port_$p" "$(vs "192.0.2.10 $p" '    lb_kind NAT
    protocol TCP' '192.0.2.11 80' '')"
        kfile "rs_port_$p" "$(vs '192.0.2.10 80' '    lb_kind NAT
    protocol TCP' "192.0.2.11 $p" '')"
    done
    for m in 0 1 2147483647 2147483648 4294967295 4294967296; do
        kfile "fwmark_$m" "$(vs "fwmark $m" '    lb_kind DR' '192.0.2.11 80' '')"
    done
    for a in 224.0.0.1 255.255.255.255 0.0.0.0 fe80::1 192.0.2.010; do
        kfile "rs_addr_$a" "$(vs '192.0.2.10 80' '    lb_kind NAT
    protocol TCP' "$a 80" '')"
    done
    kfile rs_mixed_family_dr "$(vs '192.0.2.10 80' '    lb_kind DR
    protocol TCP' '2001:db8::11 80' '')"
    kfile rs_mixed_family_tun "$(vs '192.0.2.10 80' '    lb_kind TUN
    protocol TCP' '2001:db8::11 80' '')"
    kfile weight_2147483648 "$(vs '192.0.2.10 80' '    lb_kind NAT
    protocol TCP' '192.0.2.11 80' '        weight 2147483648')"
    kfile persistence_timeout_novalue "$(vs '192.0.2.10 80' '    lb_kind NAT
    protocol TCP
    persistence_timeout' '192.0.2.11 80' '')"
    kfile sched_flags_mh "$(vs '192.0.2.10 80' '    lb_algo mh
    lb_kind NAT
    protocol TCP
    mh-port
    mh-fallback' '192.0.2.11 80' '')"
    kfile flag3_on_rr "$(vs '192.0.2.10 80' '    lb_kind NAT
    protocol TCP
    flag-3' '192.0.2.11 80' '')"
}

ALL="persist mask4 mask6 port sched bflags pe ops sctp fwmark misc addr_svc addr_svc_ns addr_rs addr_rs6 mixed rs_port weight thresh tunnel restore edit order extra keepalived keepalived2 record"
[ $# -eq 0 ] && set -- $ALL
echo "# probe_ipvsadm.sh  kernel=$(uname -r)  $(ipvsadm --version 2>&1)"
for g in "$@"; do
    echo "# group $g"
    "g_$g"
done
ipvsadm -C
