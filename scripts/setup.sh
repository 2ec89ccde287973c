#!/usr/bin/env bash
# Sets up what `npm test` and `npm start` need, and only what is missing:
# Dovecot (IMAP+LMTP, for the test harness and the local sandbox), a Redis
# server when none answers, Debian's Chromium for the browser test (not for
# `npm start`), and node_modules when absent or older than the lock.
set -euo pipefail
cd "$(dirname "$0")/.."

need_dovecot=${NEED_DOVECOT:-1}
# The status page's browser test drives /usr/bin/chromium with playwright-core (which downloads no browser).
case "${npm_lifecycle_event:-}" in start) default_chromium=0 ;; *) default_chromium=1 ;; esac
need_chromium=${NEED_CHROMIUM:-$default_chromium}
say() { printf 'setup: %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $* with apt-get"
    if [ -z "${_apt_updated:-}" ]; then apt-get update -qq; _apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    say "missing: $*. Install them (Debian/Ubuntu: sudo apt-get install $*) and run again."
    exit 1
  fi
}

if [ "$need_dovecot" = 1 ] && { [ ! -x /usr/sbin/dovecot ] || [ ! -x /usr/lib/dovecot/imap ] || [ ! -x /usr/lib/dovecot/lmtp ]; }; then
  apt_install dovecot-imapd dovecot-lmtpd
fi

if [ "$need_chromium" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi

# A Redis must answer at REDIS_URL (default 127.0.0.1:6379); the test harness
# starts a throw-away one itself when none does, so only the binary is needed.
if ! command -v redis-server >/dev/null 2>&1; then
  redis_up=0
  if command -v node >/dev/null 2>&1; then
    node -e '
      const u = new URL(process.env.REDIS_URL || "redis://127.0.0.1:6379");
      const s = require("net").connect(+u.port || 6379, u.hostname, () => { s.write("PING\r\n"); });
      s.on("data", (d) => process.exit(String(d).startsWith("+PONG") || String(d).startsWith("-NOAUTH") ? 0 : 1));
      s.on("error", () => process.exit(1)); setTimeout(() => process.exit(1), 2000);' && redis_up=1
  fi
  [ "$redis_up" = 1 ] || apt_install redis-server
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing node modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
