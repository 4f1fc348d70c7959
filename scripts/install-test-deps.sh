#!/usr/bin/env bash
# Installs the Debian packages the integration tests start as real servers on loopback
# (OpenLDAP slapd, Samba AD DC, Postfix, Dovecot, swaks, fetchmail, dnsmasq, HAProxy, and the
# milters rspamd, clamd + clamav-milter, OpenDKIM), when missing, then
# checks what the suite needs of them: capabilities, not just commands. A package that Debian
# lists only as Recommends (TLS for swaks, Samba's provisioning modules) is named here, because
# a machine installed with --no-install-recommends would otherwise lack it silently.
# Package scripts cannot start services here, which is what we want: the tests start private
# instances under their own temporary folders.
set -euo pipefail

PACKAGES=(slapd ldap-utils
          samba samba-ad-provision samba-dsdb-modules samba-vfs-modules winbind krb5-user
          postfix postfix-ldap dovecot-core dovecot-pop3d dovecot-lmtpd dovecot-ldap
          swaks libnet-ssleay-perl libio-socket-ssl-perl
          fetchmail dnsmasq haproxy python3 openssl
          rspamd clamav-daemon clamav-milter opendkim opendkim-tools)

missing_packages() {
  local p status
  for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || echo "$p"
  done
}

install_missing() {
  local missing
  mapfile -t missing < <(missing_packages)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "install-test-deps: missing packages ${missing[*]}; installing" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: run as root, or install: apt-get install ${missing[*]}" >&2
    exit 2
  fi
  printf '%s\n' "postfix postfix/main_mailer_type select No configuration" \
                "slapd slapd/no_configuration boolean true" | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# One check: a description, the package that provides it, and a command that must succeed.
fail() {
  echo "install-test-deps: $1 does not work; install or repair the Debian package $2" >&2
  exit 3
}

check() {
  local what=$1 package=$2
  shift 2
  "$@" >/dev/null 2>&1 || fail "$what" "$package"
}

swaks_tls() {
  swaks --support 2>&1 | grep -q '^=== TLS supported'
}

# Samba provisions a throw-away domain (about 15 s): the only proof that the AD modules
# (samba_secrets and friends) and the provisioning data are present.
samba_provisions() {
  local dir rc=0
  dir=$(mktemp -d)
  : >"$dir/empty.conf"
  timeout 120 samba-tool domain provision -s "$dir/empty.conf" --targetdir="$dir/ad" \
    --realm=DEPCHECK.TEST --domain=DEPCHECK --server-role=dc --dns-backend=NONE \
    --adminpass='Passw0rd!Check' --host-name=check --option="interfaces=127.0.0.2/8" \
    --option="bind interfaces only=yes" >"$dir/provision.log" 2>&1 || rc=$?
  rm -rf "$dir"
  return $rc
}

# The provision check is slow; remember a success per installed samba version.
samba_check_cached() {
  local version stamp
  version=$(dpkg-query -W -f='${Version}' samba samba-ad-provision samba-dsdb-modules 2>/dev/null | tr -d '\n')
  stamp="${XDG_CACHE_HOME:-$HOME/.cache}/postern/samba-provision-ok"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then
    return 0
  fi
  samba_provisions || return 1
  mkdir -p "$(dirname "$stamp")"
  echo "$version" >"$stamp"
}

# rspamd 3 knows the GTUBE test patterns the milter test sends (enable_test_patterns).
rspamd_test_patterns() {
  grep -aq 'enable_test_patterns' /usr/lib/rspamd/librspamd-server.so
}

install_missing

check "slapd" slapd slapd -VV
check "slapadd" slapd test -x /usr/sbin/slapadd
check "ldapsearch" ldap-utils ldapsearch -VV
check "postfix" postfix /usr/sbin/postconf -d mail_version
check "smtp-source" postfix command -v smtp-source
check "postfix LDAP tables" postfix-ldap test -f /usr/lib/postfix/postfix-ldap.so
check "dovecot" dovecot-core dovecot --version
check "dovecot POP3" dovecot-pop3d test -x /usr/lib/dovecot/pop3
check "dovecot LMTP" dovecot-lmtpd test -x /usr/lib/dovecot/lmtp
check "swaks" swaks swaks --version
check "swaks STARTTLS (Net::SSLeay)" libnet-ssleay-perl perl -MNet::SSLeay -e 1
check "swaks STARTTLS (IO::Socket::SSL)" libio-socket-ssl-perl perl -MIO::Socket::SSL -e 1
check "swaks STARTTLS" libnet-ssleay-perl swaks_tls
check "fetchmail" fetchmail fetchmail --version
check "dnsmasq" dnsmasq dnsmasq --version
check "haproxy (PROXY protocol v2 sender)" haproxy sh -c 'haproxy -vv | grep -q "^HAProxy version 2\|^HAProxy version 3"'
check "python3" python3 python3 -c 'import smtplib, poplib, ssl'
check "openssl" openssl openssl version
check "samba" samba samba --version
check "rspamd" rspamd rspamd --version
check "rspamd GTUBE test patterns" rspamd rspamd_test_patterns
check "rspamd proxy worker config" rspamd test -f /etc/rspamd/worker-proxy.inc
check "clamd" clamav-daemon clamd --version
check "clamd configuration" clamav-daemon clamconf -n
check "clamav-milter" clamav-milter clamav-milter --version
check "opendkim" opendkim opendkim -V
check "opendkim-genkey" opendkim-tools command -v opendkim-genkey
check "timeout" coreutils command -v timeout
check "samba-tool domain provision" "samba-ad-provision samba-dsdb-modules" samba_check_cached
exit 0
