#!/usr/bin/env bash
# Runs the MCP conformance suite's client scenarios against conformance/client.mjs (an SDK
# Client over mcp-lifeline's createTransport). Needs a built dist/ (`npm run conformance`
# builds first). The suite needs Node >= 22: npx fetches it as the `node` package.
#
#   bash conformance/run.sh                      # the default matrix (below), as CI runs it
#   bash conformance/run.sh sse-retry            # the matrix's rows for these scenarios
#   bash conformance/run.sh --suite 0.2 --sdk v1 tools_call
#   bash conformance/run.sh --suite 0.2 auth/metadata-default   # any scenario of a suite
#   bash conformance/run.sh --spec-version 2026-07-28 tools_call # 0.2 at another revision
#   bash conformance/run.sh --list               # the matrix, then the suite's own list
#   MCP_CONFORMANCE_DEBUG=1 bash conformance/run.sh   # the transport's log in the client's stderr
#
# Options: --suite 0.1|0.2 (0.1.16 or 0.2.0-alpha.12), --sdk v1|v2 (the SDK Client driving
# lifeline: @modelcontextprotocol/sdk, or @modelcontextprotocol/client with auto version
# negotiation), --spec-version V (the 0.2 suite's mock servers at revision V, instead of each
# row's own). A named scenario outside the matrix runs on --suite (default 0.2) with --sdk
# (default v2).
#
# One line per run; on a failure, the suite's report (every check, the client's output) and the
# failed checks' details. Exit status 1 if any run fails.
set -uo pipefail
cd "$(dirname "$0")/.."

declare -A suites=([0.1]='@modelcontextprotocol/conformance@0.1.16' [0.2]='@modelcontextprotocol/conformance@0.2.0-alpha.12')
node_for_suite='node@22'
# The client runs on this shell's Node (the one the library supports), not the suite's Node 22
# that npx puts first on the PATH.
client_node="$(command -v node)"

# The default matrix, "suite sdk scenario [revision]": 0.2 runs every non-auth scenario under v2
# at the revision the suite picks, again under v1 where the scenario's revisions (`conformance
# list --client`) include a 2025 one, and under v2 at 2026-07-28 where that is not the suite's
# pick (the modern-era path of the same scenario).
matrix=(
  '0.1 v2 initialize' '0.1 v2 tools_call' '0.1 v2 sse-retry'
  '0.2 v2 initialize' '0.2 v1 initialize'
  '0.2 v2 tools_call' '0.2 v1 tools_call' '0.2 v2 tools_call 2026-07-28'
  '0.2 v2 elicitation-sep1034-client-defaults' '0.2 v1 elicitation-sep1034-client-defaults'
  '0.2 v2 sse-retry' '0.2 v1 sse-retry'
  '0.2 v2 request-metadata'
  '0.2 v2 sep-2322-client-request-state'
  '0.2 v2 http-standard-headers'
  '0.2 v2 http-custom-headers'
  '0.2 v2 http-invalid-tool-headers'
  '0.2 v2 json-schema-ref-no-deref'
  '0.2 v2 json-schema-2020-12-preservation' '0.2 v1 json-schema-2020-12-preservation'
  '0.2 v2 json-schema-2020-12-preservation 2026-07-28'
)
# Authorization: every auth/* scenario outside the extensions under v2, and under v1 those whose
# revisions include a 2025 one (v1 speaks no 2026-07-28), through the SDK's documented flow.
auth_both=(metadata-default metadata-var1 metadata-var2 metadata-var3 basic-cimd
  scope-from-www-authenticate scope-from-scopes-supported scope-omitted-when-undefined scope-step-up
  scope-retry-limit token-endpoint-auth-basic token-endpoint-auth-post token-endpoint-auth-none
  pre-registration 2025-03-26-oauth-metadata-backcompat 2025-03-26-oauth-endpoint-fallback)
auth_modern=(resource-mismatch offline-access-scope offline-access-not-supported
  authorization-server-migration iss-supported iss-not-advertised iss-supported-missing
  iss-wrong-issuer iss-unexpected iss-normalized metadata-issuer-mismatch)
for name in "${auth_both[@]}"; do matrix+=("0.2 v2 auth/$name" "0.2 v1 auth/$name"); done
for name in "${auth_modern[@]}"; do matrix+=("0.2 v2 auth/$name"); done

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

suite_filter='' sdk_filter='' spec_version='' list=0 names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) suite_filter="${2:-}"; shift 2 ;;
    --sdk) sdk_filter="${2:-}"; shift 2 ;;
    --spec-version) spec_version="${2:-}"; shift 2 ;;
    --list) list=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "conformance: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
if [ -n "$suite_filter" ] && [ -z "${suites[$suite_filter]:-}" ]; then
  echo "conformance: --suite must be 0.1 or 0.2, got '$suite_filter'" >&2; exit 2
fi
if [ -n "$sdk_filter" ] && [ "$sdk_filter" != v1 ] && [ "$sdk_filter" != v2 ]; then
  echo "conformance: --sdk must be v1 or v2, got '$sdk_filter'" >&2; exit 2
fi

# --spec-version is 0.2's (it picks the revision a scenario's mock server speaks).
if [ -n "$spec_version" ]; then
  if [ "$suite_filter" = 0.1 ]; then echo "conformance: --spec-version is for --suite 0.2" >&2; exit 2; fi
  suite_filter=0.2
fi

# The runs: the matrix's rows that pass the filters; a named scenario without such a row (an
# auth scenario, or one the filters leave out) runs once on the chosen (or newest) suite and SDK.
runs=()
# (--spec-version replaces the rows' own revisions, so the rows that have one are left out.)
in_filters() {
  [ -z "$suite_filter" -o "$1" = "$suite_filter" ] && [ -z "$sdk_filter" -o "$2" = "$sdk_filter" ] &&
    [ -z "$spec_version" -o -z "${3:-}" ]
}
if [ ${#names[@]} -eq 0 ]; then
  for row in "${matrix[@]}"; do
    read -r suite sdk scenario revision <<<"$row"
    in_filters "$suite" "$sdk" "$revision" && runs+=("$row")
  done
else
  for name in "${names[@]}"; do
    added=0
    for row in "${matrix[@]}"; do
      read -r suite sdk scenario revision <<<"$row"
      [ "$scenario" = "$name" ] && in_filters "$suite" "$sdk" "$revision" && runs+=("$row") && added=1
    done
    [ "$added" -eq 0 ] && runs+=("${suite_filter:-0.2} ${sdk_filter:-v2} $name")
  done
fi

if [ "$list" -eq 1 ]; then
  echo "conformance: the runs (suite, SDK, scenario):"
  for row in "${runs[@]}"; do
    read -r suite sdk scenario revision <<<"$row"
    echo "  ${suites[$suite]#@modelcontextprotocol/conformance@} $sdk $scenario${revision:+ --spec-version $revision}${spec_version:+ --spec-version $spec_version}"
  done
  listed="${suite_filter:-0.2}"
  echo "conformance: every client scenario of ${suites[$listed]}:"
  npx -y -p "$node_for_suite" -p "${suites[$listed]}" -- conformance list --client 2>/dev/null | sed 's/^/  /'
  exit 0
fi
if [ ${#runs[@]} -eq 0 ]; then
  echo "conformance: nothing to run with these filters" >&2; exit 2
fi

if [ ! -f dist/index.js ]; then
  echo "conformance: dist/index.js is missing; run 'npm run build' first" >&2
  exit 1
fi

out="$(mktemp -d)"
failed=0
failures=0
started=$SECONDS

for row in "${runs[@]}"; do
  read -r suite sdk scenario revision <<<"$row"
  revision="${spec_version:-$revision}"
  package="${suites[$suite]}"
  label="$scenario [${package#@modelcontextprotocol/conformance@}, SDK $sdk${revision:+, at $revision}]"
  slug="$suite-$sdk-${scenario//\//_}${revision:+-$revision}"
  log="$out/$slug.log"
  t0=$SECONDS
  status=0
  # The suite's exit status is 1 when a check fails or warns, the client exits non-zero (unless
  # the scenario allows it), or it times out (30 s); -o writes <scenario>-<time>/checks.json
  # (each check's details) and the client's stdout and stderr.
  LIFELINE_CONFORMANCE_SDK="$sdk" npx -y -p "$node_for_suite" -p "$package" -- conformance client \
    --command "'$client_node' conformance/client.mjs" --scenario "$scenario" -o "$out/$slug.results" \
    ${revision:+--spec-version "$revision"} >"$log" 2>&1 || status=$?
  if [ "$status" -eq 0 ]; then
    echo "conformance: PASS $label ($((SECONDS - t0)) s)"
    continue
  fi
  failed=1
  failures=$((failures + 1))
  echo "conformance: FAIL $label (exit $status, $((SECONDS - t0)) s)"
  echo "----- conformance report for $label -----"
  grep -v '^npm warn' "$log" | sed 's/^/  /'
  # The details of every failed or warning check, which the report above leaves out.
  # (An auth/... scenario's results sit one directory deeper.)
  find "$out/$slug.results" -name checks.json 2>/dev/null | while read -r checks; do
    node -e '
      const checks = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
      for (const c of checks.filter((c) => c.status === "FAILURE" || c.status === "WARNING"))
        console.log(`  ${c.status} ${c.id}: ${c.errorMessage ?? c.description}\n    details: ${JSON.stringify(c.details ?? {})}`);
    ' "$checks"
  done
  echo "----- end of report for $label -----"
done

if [ "$failed" -eq 0 ]; then
  rm -rf "$out"
  echo "conformance: ${#runs[@]} run(s), all passed (client on Node $("$client_node" --version)) in $((SECONDS - started)) s"
else
  echo "conformance: ${#runs[@]} run(s), $failures FAILED in $((SECONDS - started)) s; reports kept in $out"
fi
exit "$failed"
