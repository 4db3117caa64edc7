#!/bin/sh
# novajoin-enroll: make this instance a FreeIPA client with the one-time
# password novajoin handed out through Nova's vendordata, i.e. the "join"
# entry of vendor_data2.json: {"hostname", "krb_realm", "ipaotp"}.
#
# Written by novajoin's static vendordata (cloud-config-novajoin.json) into
# cloud-init's per-instance scripts directory, so cloud-init runs it once per
# instance. It keeps no secret; run it again by hand to retry an enrollment.
#
# Tracing is switched off before anything else, whatever the caller asked for:
# novajoin 1.1 ran its script under `sh -x` and so wrote the OTP into its log.
# Nothing below prints the OTP; progress goes to $NOVAJOIN_LOG.
set +xv
set -u
umask 077

# Every path and limit can be overridden from the environment (the tests do).
LOG=${NOVAJOIN_LOG:-/var/log/novajoin-enroll.log}
METADATA_URL=${NOVAJOIN_METADATA_URL:-http://169.254.169.254/openstack}
CONFIG_DRIVE_DIR=${NOVAJOIN_CONFIG_DRIVE_DIR:-}
CONFIG_DRIVE_LABEL=${NOVAJOIN_CONFIG_DRIVE_LABEL:-config-2}
TRIES=${NOVAJOIN_TRIES:-10}
SLEEP_MAX=${NOVAJOIN_SLEEP_MAX:-10}
# Rounds of asking the metadata service again while novajoin names this host
# but gives no OTP yet (a rebuild it has not handled), about 5 minutes.
OTP_TRIES=${NOVAJOIN_OTP_TRIES:-30}
HTTP_TIMEOUT=${NOVAJOIN_HTTP_TIMEOUT:-10}
IPA_DEFAULT_CONF=${NOVAJOIN_IPA_DEFAULT_CONF:-/etc/ipa/default.conf}
INSTALL_CLIENT=${NOVAJOIN_INSTALL_CLIENT:-yes}

if [ "$LOG" != "-" ]; then
  exec >>"$LOG" 2>&1
fi

log() {
  printf '%s novajoin-enroll: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

# A private work directory (mktemp -d makes it 0700) for the copy of
# vendor_data2.json and the config drive mount point, removed on any exit.
work=
mounted=
cleanup() {
  if [ -n "$mounted" ]; then
    umount "$mounted" >/dev/null 2>&1 || umount -l "$mounted" >/dev/null 2>&1
  fi
  if [ -n "$work" ]; then
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -e "$IPA_DEFAULT_CONF" ]; then
  log "$IPA_DEFAULT_CONF exists: this host is already a FreeIPA client, nothing to do"
  exit 0
fi

# cloud-init needs python3, so one is there; older images have python, RHEL 8
# has platform-python.
PY=
for candidate in python3 python /usr/libexec/platform-python; do
  if command -v "$candidate" >/dev/null 2>&1; then
    PY=$candidate
    break
  fi
done
if [ -z "$PY" ]; then
  log "no python3 or python: cannot read vendor_data2.json"
  exit 1
fi

# The JSON work is done in Python (2 or 3): reading one field of "join" with
# validation, and fetching a URL with a timeout. A value is printed only to
# the command substitution that asked for it, never to the log.
# Exit codes: 0 done, 1 field absent, 2 not JSON, 3 malformed field,
# 4 HTTP 404, 5 transient failure (retry).
helper='
import json, re, sys
PATTERNS = {
    "hostname": r"(?=.{1,253}\Z)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\.?\Z",
    "krb_realm": r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}\Z",
    "ipaotp": r"[!-~]{1,256}\Z",
}
def field(path, name):
    try:
        with open(path) as f:
            data = json.load(f)
    except (IOError, OSError, ValueError):
        return 2
    join = data.get("join") if isinstance(data, dict) else None
    value = join.get(name) if isinstance(join, dict) else None
    if value is None or value == "":
        return 1
    if not isinstance(value, type(u"")) and not isinstance(value, str):
        return 3
    if not re.match(PATTERNS[name], value):
        return 3
    sys.stdout.write(value)
    return 0
def fetch(url, path, timeout):
    try:
        from urllib.request import urlopen
        from urllib.error import HTTPError
    except ImportError:
        from urllib2 import urlopen, HTTPError
    try:
        body = urlopen(url, timeout=float(timeout)).read(1048577)
    except HTTPError as e:
        return 4 if e.code == 404 else 5
    except Exception:
        return 5
    try:
        json.loads(body.decode("utf-8"))
    except ValueError:
        return 5
    with open(path, "wb") as f:
        f.write(body)
    return 0
if sys.argv[1] == "field":
    sys.exit(field(sys.argv[2], sys.argv[3]))
sys.exit(fetch(sys.argv[2], sys.argv[3], sys.argv[4]))
'

work=$(mktemp -d "${TMPDIR:-/tmp}/novajoin-enroll.XXXXXXXX") || {
  log "cannot create a private work directory"
  exit 1
}
data="$work/vendor_data2.json"

find_config_drive() {
  upper=$(printf '%s' "$CONFIG_DRIVE_LABEL" | tr '[:lower:]' '[:upper:]')
  for label in "$CONFIG_DRIVE_LABEL" "$upper"; do
    if [ -b "/dev/disk/by-label/$label" ]; then
      printf '%s\n' "/dev/disk/by-label/$label"
      return 0
    fi
  done
  if command -v blkid >/dev/null 2>&1; then
    for label in "$CONFIG_DRIVE_LABEL" "$upper"; do
      dev=$(blkid -l -o device -t "LABEL=$label" 2>/dev/null)
      if [ -n "$dev" ]; then
        printf '%s\n' "$dev"
        return 0
      fi
    done
  fi
  return 1
}

# Copies vendor_data2.json from the config drive; fails when there is no
# config drive or it holds no vendor_data2.json. The drive is mounted
# read-only in the private work directory and unmounted at once.
from_config_drive() {
  dir=$CONFIG_DRIVE_DIR
  if [ -z "$dir" ]; then
    dev=$(find_config_drive) || return 1
    mkdir "$work/config-drive" || return 1
    if ! mount -o ro,nosuid,nodev,noexec "$dev" "$work/config-drive" >/dev/null 2>&1; then
      log "cannot mount the config drive $dev"
      return 1
    fi
    mounted="$work/config-drive"
    dir=$mounted
  fi
  found=1
  for version in latest 2016-10-06; do
    if [ -f "$dir/openstack/$version/vendor_data2.json" ]; then
      cp "$dir/openstack/$version/vendor_data2.json" "$data" && found=0
      break
    fi
  done
  if [ -n "$mounted" ]; then
    umount "$mounted" >/dev/null 2>&1 && mounted=
  fi
  return $found
}

# Random 1..SLEEP_MAX seconds, so that instances booted together do not
# retry in step. POSIX sh has no $RANDOM.
jitter() {
  if [ "$SLEEP_MAX" -le 0 ]; then
    echo 0
    return
  fi
  n=$(od -An -N2 -tu2 /dev/urandom 2>/dev/null | tr -dc '0-9')
  echo $(( ${n:-$$} % SLEEP_MAX + 1 ))
}

# Fetches vendor_data2.json from the metadata service with bounded retries.
# Returns 0 fetched, 2 the service has no vendor_data2.json, 1 gave up.
from_metadata_service() {
  try=1
  while :; do
    for version in latest 2016-10-06; do
      "$PY" -c "$helper" fetch "$METADATA_URL/$version/vendor_data2.json" "$data" "$HTTP_TIMEOUT"
      rc=$?
      [ "$rc" -eq 4 ] || break
    done
    case $rc in
      0) return 0 ;;
      4) return 2 ;;
    esac
    if [ "$try" -ge "$TRIES" ]; then
      log "the metadata service did not answer after $TRIES tries"
      return 1
    fi
    pause=$(jitter)
    log "the metadata service did not answer (try $try of $TRIES), retrying in ${pause}s"
    sleep "$pause"
    try=$((try + 1))
  done
}

if from_config_drive; then
  log "read vendor_data2.json from the config drive"
else
  from_metadata_service
  case $? in
    0) log "read vendor_data2.json from the metadata service" ;;
    2)
      log "the metadata service serves no vendor_data2.json: nothing to do"
      exit 0
      ;;
    *) exit 1 ;;
  esac
fi

# Reads one field of "join"; the caller decides what absence means.
join_field() {
  "$PY" -c "$helper" field "$data" "$1"
}

# After a rebuild Nova writes the config drive while the host still has its
# old keys, so novajoin answers with the name and no OTP; novajoin-notify
# then disables the host on rebuild.end, and from then on the live
# vendor_data2.json (the metadata service asks novajoin on every read) holds
# a new OTP. So a name without an OTP, on a guest that is not a FreeIPA
# client (checked above), means "ask again", for a bounded time. novajoin
# itself decides whether an OTP is due (the host has no keys in FreeIPA), so
# asking again never gets a second OTP for a host that is enrolled.
round=0
while :; do
  otp=$(join_field ipaotp)
  rc=$?
  [ "$rc" -eq 1 ] || break
  if ! join_field hostname >/dev/null; then
    log "vendor_data2.json holds no join.ipaotp (enrollment not asked for, or the host is enrolled already): nothing to do"
    exit 0
  fi
  if [ "$round" -ge "$OTP_TRIES" ]; then
    log "novajoin names this host but gave no OTP after $OTP_TRIES rounds: it is enrolled under this name already (remove it in FreeIPA or rebuild), or novajoin-notify has not handled the rebuild; run $0 again"
    exit 1
  fi
  round=$((round + 1))
  pause=$(jitter)
  log "novajoin names this host but gave no OTP yet (a rebuild not handled yet?): asking the metadata service again in ${pause}s (round $round of $OTP_TRIES)"
  sleep "$pause"
  from_metadata_service
  case $? in
    0) ;;
    2)
      log "the metadata service serves no vendor_data2.json: nothing to do"
      exit 0
      ;;
    *) ;;
  esac
done
case $rc in
  0) ;;
  2)
    log "vendor_data2.json is not JSON"
    exit 1
    ;;
  *)
    log "join.ipaotp in vendor_data2.json is malformed"
    exit 1
    ;;
esac
fqdn=$(join_field hostname) || {
  log "join in vendor_data2.json has an OTP but no valid hostname: not enrolling"
  exit 1
}
realm=$(join_field krb_realm) || {
  log "join in vendor_data2.json has an OTP but no valid krb_realm: not enrolling"
  exit 1
}
# Nothing else needs the file: remove the copy now rather than at exit.
rm -f "$data"

if ! command -v ipa-client-install >/dev/null 2>&1; then
  if [ "$INSTALL_CLIENT" = yes ]; then
    log "installing the FreeIPA client package"
    if command -v dnf >/dev/null 2>&1; then
      dnf -y install ipa-client || dnf -y install freeipa-client
    elif command -v yum >/dev/null 2>&1; then
      yum -y install ipa-client
    elif command -v apt-get >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get update &&
        DEBIAN_FRONTEND=noninteractive apt-get -y install freeipa-client
    elif command -v zypper >/dev/null 2>&1; then
      zypper --non-interactive install freeipa-client
    fi
  fi
  if ! command -v ipa-client-install >/dev/null 2>&1; then
    log "ipa-client-install is not installed: cannot enroll $fqdn"
    exit 1
  fi
fi

# ipa-client-install takes the OTP only as -w/--password; it is an argument
# of that one process (never exported, never echoed), and ipa-client-install
# masks it in its own log.
log "enrolling $fqdn in realm $realm with ipa-client-install"
ipa-client-install -U --hostname "$fqdn" --realm "$realm" --password "$otp"
rc=$?
otp=
unset otp
if [ "$rc" -eq 0 ]; then
  log "enrolled $fqdn in $realm"
else
  log "ipa-client-install failed with status $rc (see /var/log/ipaclient-install.log)"
fi
exit "$rc"
