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
exec node bin/coalition.js start "$@"
