#!/bin/sh
# Stand-in for ipa-getkeytab in tests, called as: getkeytab-kadmin.sh -s SERVER -p PRINCIPAL -k KEYTAB
#
# Why: ipa-getkeytab asks FreeIPA's LDAP server for keys through the keytab
# extended operation (OID 2.16.840.1.113730.3.8.10.1), which only 389-ds with
# FreeIPA's plugins has; the test FreeIPA server and its 389-ds do not. This
# script makes a real keytab for the principal from the real test KDC with
# kadmin.local ktadd instead (new keys, as ipa-getkeytab makes), so the rest
# of ipa-setup (kinit into a private cache, the call, the file mode) runs for
# real. It first checks that it was given a valid admin ticket, as
# ipa-getkeytab needs one, and records the cache name in $GETKEYTAB_LOG.
set -eu
server= principal= keytab=
while [ $# -gt 0 ]; do
  case "$1" in
    -s) server=$2; shift 2 ;;
    -p) principal=$2; shift 2 ;;
    -k) keytab=$2; shift 2 ;;
    *) echo "unexpected argument $1" >&2; exit 9 ;;
  esac
done
[ -n "$server" ] && [ -n "$principal" ] && [ -n "$keytab" ] || { echo "usage: $0 -s server -p principal -k keytab" >&2; exit 9; }
klist -s || { echo "no valid Kerberos ticket in ${KRB5CCNAME:-the default cache}" >&2; exit 3; }
realm=${principal##*@}
kadmin.local -r "$realm" -q "getprinc $principal" 2>/dev/null | grep -q '^Principal:' || kadmin.local -r "$realm" -q "addprinc -randkey $principal" >/dev/null
kadmin.local -r "$realm" -q "ktadd -k $keytab $principal" >/dev/null
if [ -n "${GETKEYTAB_LOG:-}" ]; then echo "server=$server principal=$principal ccache=$KRB5CCNAME" >>"$GETKEYTAB_LOG"; fi
