#!/usr/bin/env bash
# Runs the MCP conformance suite's client scenarios against conformance/client.mjs (an SDK
# Client over mcp-lifeline's createTransport). Needs a built dist/ (`npm run conformance`
# builds first). The suite needs Node >= 22: npx fetches it as the `node` package.
#
#   bash conformance/run.sh                 # initialize, tools_call, sse-retry
#   bash conformance/run.sh sse-retry       # chosen scenarios
#   MCP_CONFORMANCE_DEBUG=1 bash conformance/run.sh   # the transport's log in the client's stderr
#
# One line per scenario; on a failure, the suite's report (every check, the client's output)
# and the failed checks' details. Exit status 1 if any scenario fails.
set -uo pipefail
cd "$(dirname "$0")/.."

suite='@modelcontextprotocol/conformance@0.1.16'
node_for_suite='node@22'
# The client runs on this shell's Node (the one the library supports), not the suite's Node 22
# that npx puts first on the PATH.
client_node="$(command -v node)"
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(initialize tools_call sse-retry)

if [ ! -f dist/index.js ]; then
  echo "conformance: dist/index.js is missing; run 'npm run build' first" >&2
  exit 1
fi

out="$(mktemp -d)"
failed=0
started=$SECONDS

for scenario in "${scenarios[@]}"; do
  log="$out/$scenario.log"
  t0=$SECONDS
  status=0
  # The suite's exit status is 1 when a check fails or warns, the client exits non-zero, or
  # it times out (30 s); -o writes <scenario>-<time>/checks.json (each check's details).
  npx -y -p "$node_for_suite" -p "$suite" -- conformance client \
    --command "'$client_node' conformance/client.mjs" --scenario "$scenario" -o "$out/$scenario.results" \
    >"$log" 2>&1 || status=$?
  if [ "$status" -eq 0 ]; then
    echo "conformance: PASS $scenario ($((SECONDS - t0)) s)"
    continue
  fi
  failed=1
  echo "conformance: FAIL $scenario (exit $status, $((SECONDS - t0)) s)"
  echo "----- conformance report for $scenario -----"
  grep -v '^npm warn' "$log" | sed 's/^/  /'
  # The details of every failed or warning check, which the report above leaves out.
  for checks in "$out/$scenario.results"/*/checks.json; do
    [ -f "$checks" ] || continue
    node -e '
      const checks = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
      for (const c of checks.filter((c) => c.status === "FAILURE" || c.status === "WARNING"))
        console.log(`  ${c.status} ${c.id}: ${c.errorMessage ?? c.description}\n    details: ${JSON.stringify(c.details ?? {})}`);
    ' "$checks"
  done
  echo "----- end of report for $scenario -----"
done

if [ "$failed" -eq 0 ]; then
  rm -rf "$out"
  echo "conformance: ${#scenarios[@]} scenario(s), all passed (client on Node $("$client_node" --version)) in $((SECONDS - started)) s"
else
  echo "conformance: ${#scenarios[@]} scenario(s), some FAILED in $((SECONDS - started)) s; reports kept in $out"
fi
exit "$failed"
