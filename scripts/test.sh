#!/usr/bin/env bash
# Runs every check and test of the repository (make test; CI runs it through
# .ci/run):
#
#   scripts/test.sh [go test args...]     e.g. scripts/test.sh -run Bootstrap -v
#
# 1. installs the dependencies (npm ci when needed, go mod download);
# 2. gofmt (fails listing the unformatted files), go vet ./..., go mod tidy
#    -diff (fails showing what go.mod and go.sum lack or hold in excess), and
#    template.yaml against the published SAM and CloudFormation JSON schemas
#    (shared/samtemplate, no stack needed);
# 3. starts its own DynamoDB Local + fauxqs on 127.0.0.1:18000 / :14566
#    (COMPTOIR_TEST_DDB_PORT / COMPTOIR_TEST_SQS_PORT override them; when a
#    default port is taken another free one is used), state in a temp dir,
#    always stopped on exit;
# 4. go test -race -count=1 -timeout 60m (GO_TEST_TIMEOUT) ./... with the extra arguments. Arguments naming
#    packages (./x/... or github.com/...) replace ./...
#
# Prints a summary, with the hostile-input suite's counts, and exits non-zero
# when any step failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '\n==> %s\n' "$*" >&2; }

declare -a SUMMARY=()
FAILED=0
record() { # record <step> <status 0|1> [detail]
	if [[ "$2" -eq 0 ]]; then
		SUMMARY+=("PASS  $1${3:+  ($3)}")
	else
		SUMMARY+=("FAIL  $1${3:+  ($3)}")
		FAILED=1
	fi
}
summary() {
	printf '\n==================== summary ====================\n' >&2
	local line
	for line in "${SUMMARY[@]}"; do printf '%s\n' "$line" >&2; done
	if [[ $FAILED -eq 0 ]]; then
		printf 'ALL PASSED\n' >&2
	else
		printf 'FAILED\n' >&2
	fi
}

STATE=""
cleanup() {
	local rc=$?
	if [[ -n "$STATE" ]]; then
		bash "$ROOT/scripts/stack.sh" stop "$STATE" || true
		rm -rf "$STATE"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- dependencies -----------------------------------------------------------
log "dependencies"
command -v go >/dev/null || { echo "go is not installed" >&2; exit 1; }
if ! bash scripts/stack.sh deps; then
	record "npm ci" 1
	summary
	exit 1
fi
if ! go mod download; then
	record "go mod download" 1
	summary
	exit 1
fi
record "dependencies (npm, go modules)" 0

# --- gofmt --------------------------------------------------------------------
log "gofmt"
mapfile -t GOFILES < <(find . -name '*.go' \
	-not -path './node_modules/*' -not -path './.build/*' -not -path './.local/*' -not -path './.git/*' | sort)
UNFORMATTED="$(gofmt -l "${GOFILES[@]}" 2>&1)"
if [[ -n "$UNFORMATTED" ]]; then
	printf 'these files are not gofmt-formatted (run make fmt):\n%s\n' "$UNFORMATTED" >&2
	record "gofmt" 1 "$(wc -l <<<"$UNFORMATTED" | tr -d ' ') file(s): $(tr '\n' ' ' <<<"$UNFORMATTED")"
else
	record "gofmt" 0 "${#GOFILES[@]} files"
fi

# --- go vet ---------------------------------------------------------------------
log "go vet ./..."
if go vet ./...; then
	record "go vet" 0
else
	record "go vet" 1
fi

# --- go mod tidy -diff ------------------------------------------------------------
log "go mod tidy -diff"
if go mod tidy -diff; then
	record "go mod tidy" 0
else
	record "go mod tidy" 1 "go.mod/go.sum are not tidy: run go mod tidy (the diff is above)"
fi

# --- template.yaml against the published schemas ----------------------------------
# The same tests are skipped in the go test step below.
TEMPLATE_TESTS='^(TestTemplate_ValidAgainstThePublishedSAMAndCloudFormationSchemas|TestSchemaCheck_RejectsBrokenTemplates|TestJSON_)'
log "template.yaml against the SAM and CloudFormation schemas"
if go test -count=1 -run "$TEMPLATE_TESTS" ./shared/samtemplate/; then
	record "template.yaml schemas" 0 "goformation's sam.schema.json and cloudformation.schema.json"
else
	record "template.yaml schemas" 1 "see the errors above"
fi

# --- local stack ------------------------------------------------------------------
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# pick_port <explicit-value> <default>: an explicit port is used as is (the
# stack start fails clearly when it is taken); a busy default is replaced by
# the next free port.
pick_port() {
	if [[ -n "$1" ]]; then
		echo "$1"
		return
	fi
	local p="$2"
	while port_busy "$p" || [[ "$p" == "${3:-}" ]]; do p=$((p + 1)); done
	[[ "$p" != "$2" ]] && printf 'port %s is in use; using %s\n' "$2" "$p" >&2
	echo "$p"
}
DDB_PORT="$(pick_port "${COMPTOIR_TEST_DDB_PORT:-}" 18000)"
SQS_PORT="$(pick_port "${COMPTOIR_TEST_SQS_PORT:-}" 14566 "$DDB_PORT")"

log "local stack (DynamoDB Local :$DDB_PORT, fauxqs :$SQS_PORT)"
STATE="$(mktemp -d "${TMPDIR:-/tmp}/comptoir-test-stack.XXXXXX")"
if ! bash scripts/stack.sh start "$STATE" "$DDB_PORT" "$SQS_PORT"; then
	record "local stack" 1 "see the log tail above"
	summary
	exit 1
fi
record "local stack" 0 "DynamoDB :$DDB_PORT, SQS/S3 :$SQS_PORT"

export COMPTOIR_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT"
export COMPTOIR_SQS_ENDPOINT="http://127.0.0.1:$SQS_PORT"
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=eu-west-3 AWS_DEFAULT_REGION=eu-west-3
export AWS_ENDPOINT_URL_DYNAMODB="$COMPTOIR_DYNAMODB_ENDPOINT"
export AWS_ENDPOINT_URL_SQS="$COMPTOIR_SQS_ENDPOINT"
export AWS_ENDPOINT_URL_S3="$COMPTOIR_SQS_ENDPOINT"
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN

# --- go test ------------------------------------------------------------------------
PKGS=(./...)
for a in "$@"; do
	case "$a" in
	./* | github.com/*) PKGS=() ;;
	esac
done
log "go test -race -count=1 -timeout ${GO_TEST_TIMEOUT:-60m} ${PKGS[*]} $* (template checks done above)"
TEST_START=$SECONDS
# The hostile-input suite (shared/devstack) writes its counts here.
export COMPTOIR_HOSTILE_SUMMARY="$STATE/hostile-summary.txt"
if go test -race -count=1 -timeout "${GO_TEST_TIMEOUT:-60m}" -skip "$TEMPLATE_TESTS" "${PKGS[@]}" "$@" 2>&1 | tee "$STATE/go-test.log"; then
	record "go test -race" 0 "$((SECONDS - TEST_START))s"
else
	record "go test -race" 1 "$((SECONDS - TEST_START))s; see the FAIL lines above"
	while read -r pkg; do
		SUMMARY+=("      failed: $pkg")
	done < <(grep -E '^(FAIL|---)' "$STATE/go-test.log" | grep -E '^FAIL[[:space:]]+[^[:space:]]+[[:space:]]' | awk '{print $2 " " $3 " " $4}')
	grep -qE '^(panic:|# )' "$STATE/go-test.log" && SUMMARY+=("      (build errors or panics: see '# pkg' / 'panic:' lines above)")
fi
[[ -s "$COMPTOIR_HOSTILE_SUMMARY" ]] && SUMMARY+=("      $(cat "$COMPTOIR_HOSTILE_SUMMARY")")

summary
exit "$FAILED"
