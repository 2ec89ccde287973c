#!/usr/bin/env bash
# `npm test`: set up what is missing, typecheck, lint, run every test (unit and
# integration, against real Dovecot, SMTP capture and Redis), then print one
# line "N passed, N failed" read from vitest's JSON report.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

status=0
echo "== typecheck"; npx tsc --noEmit -p . || status=1
echo "== lint"; npx eslint . --max-warnings 0 || status=1

echo "== tests"
report=$(mktemp -t vitest-XXXXXX.json)
npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@"
vitest_status=$?
[ $vitest_status -eq 0 ] || status=$vitest_status

node -e '
  const fs = require("fs");
  let r = {};
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("0 passed, 1 failed"); process.exit(0); }
  console.log(`${r.numPassedTests ?? 0} passed, ${r.numFailedTests ?? 0} failed`);
' "$report"
rm -f "$report"
exit $status
