#!/usr/bin/env bash
# Installs what the build, `novajoin dev` and the test suite need on a fresh
# Debian machine: the Debian packages first (the kerberos addon compiles
# against libkrb5-dev), then the npm dependencies. Safe to run repeatedly: it
# only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, with why each is needed.
packages=(
  libkrb5-dev        # headers for the `kerberos` npm addon (SPNEGO to FreeIPA)
  krb5-kdc           # tests: a real MIT KDC (krb5kdc, kdb5_util)
  krb5-admin-server  # tests: kadmin.local for principals and keytabs
  krb5-user          # tests: kinit/klist for the simulated guest
  ldap-utils         # tests: ldapadd/ldapsearch for seeding and checks
  openssl            # tests: the test CA and server certificates
  cloud-init         # tests: `cloud-init schema` on the guest cloud-config
  puppet             # tests: `puppet parser validate` and `puppet apply --noop`
  puppet-lint        # tests: lint of the puppet module
  systemd            # tests: `systemd-analyze verify` of the unit files
  e2fsprogs          # tests: mkfs.ext4 for the config-drive image the guest script mounts
  rabbitmq-server    # tests: the broker the listener consumes from
  389-ds-base        # tests: 389 Directory Server, FreeIPA's own directory, enforcing its ACIs
  libsasl2-modules-gssapi-mit # tests: SASL GSSAPI binds to the test directory
  python3-ipaclient  # tests: FreeIPA's own client library (the `ipa` command's code) against the test FreeIPA
  iproute2           # tests: `ip link set lo up` in the network namespace the ipalib test runs in
  python3-oslo.messaging # tests: Nova's notification publisher, as Nova runs it
  dnsmasq-base       # tests: a real DNS server for FreeIPA SRV discovery
  prometheus         # tests: the shipped Grafana dashboard's queries run against a real Prometheus
)
case " ${NOVAJOIN_BOOTSTRAP_PACKAGES:-all} " in
  *" minimal "*) packages=(libkrb5-dev openssl) ;;  # openssl: the CA of `novajoin dev`'s embedded FreeIPA
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap: run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d keeps the packages' own daemons (krb5kdc) from being
  # started by their postinst: the tests start private instances instead.
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# RabbitMQ is a machine service here; start it when it is installed but down.
if [ "${NOVAJOIN_BOOTSTRAP_PACKAGES:-all}" = all ] && command -v rabbitmqctl >/dev/null; then
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    echo "bootstrap: starting rabbitmq-server" >&2
    rabbitmq-server -detached >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 1; done
  fi
fi

# npm dependencies: install when node_modules is missing or older than the lock.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
