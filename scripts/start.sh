#!/usr/bin/env bash
# `npm start`: set up what is missing, then run the service (`coalition start`).
# With no mailbox configured (IMAP_HOST unset in the environment or .env) it
# runs the local sandbox, which needs Dovecot; with a real mailbox it does not.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${IMAP_HOST:-}" ] || { [ -f .env ] && grep -Eq '^[[:space:]]*IMAP_HOST=[^[:space:]]' .env; }; then
  export NEED_DOVECOT=0
fi
bash scripts/setup.sh
# V8 sizes its heap from the machine's memory (GBs here) and lets garbage pile up to it: 192 MB keeps one desk
# process near 270 MB with 4,000 requests waiting (bench/backlog.ts), at no measurable cost in speed.
# Anything in NODE_OPTIONS comes after, so it wins.
export NODE_OPTIONS="--max-old-space-size=192${NODE_OPTIONS:+ $NODE_OPTIONS}"
exec node bin/coalition.js start "$@"
