#!/usr/bin/env bash
# Installs the Debian packages the integration tests start as real servers on loopback
# (OpenLDAP slapd, Samba AD DC, Postfix, Dovecot, swaks, fetchmail, dnsmasq), when missing.
# Package scripts cannot start services here, which is what we want: the tests start private
# instances under their own temporary folders.
set -euo pipefail

PACKAGES=(slapd ldap-utils samba winbind krb5-user postfix postfix-ldap dovecot-core dovecot-pop3d
          dovecot-lmtpd dovecot-ldap swaks fetchmail dnsmasq python3 openssl)
COMMANDS=(slapd slapadd ldapsearch ldapmodify samba samba-tool postfix smtp-source smtp-sink dovecot swaks
          fetchmail dnsmasq python3 openssl)

missing=()
for c in "${COMMANDS[@]}"; do
  command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing+=("$c")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-test-deps: missing ${missing[*]}; installing Debian packages" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: run as root, or install: apt-get install ${PACKAGES[*]}" >&2
  exit 2
fi
printf '%s\n' "postfix postfix/main_mailer_type select No configuration" \
              "slapd slapd/no_configuration boolean true" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >&2
