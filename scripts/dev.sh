#!/usr/bin/env bash
# Runs the whole system locally (make dev): DynamoDB Local and fauxqs, then the
# local runner (infra/devstack) that serves template.yaml's HTTP API on
# 127.0.0.1:$API_PORT with the real handlers, plays the SQS/S3 triggers and
# seeds the demo data. Ctrl-C (or any exit) stops everything it started,
# within a few seconds: SIGINT to the process group (Ctrl-C), SIGINT to make
# alone (kill -INT <pid of make>, Linux), or SIGTERM.
#
# Environment: API_PORT (3000), DYNAMODB_PORT (8000), SQS_PORT (4566),
# DEV_STATE_DIR (.local/dev-stack: logs and pid files of the stack, and the
# runner's binary).
# Extra arguments are passed to infra/devstack.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

API_PORT="${API_PORT:-3000}"
DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
SQS_PORT="${SQS_PORT:-4566}"
STATE="${DEV_STATE_DIR:-$ROOT/.local/dev-stack}"

log() { printf '[dev] %s\n' "$*" >&2; }
die() {
	printf '[dev] ERROR: %s\n' "$*" >&2
	exit 1
}

command -v go >/dev/null || die "go is not installed"
[[ -d infra/devstack ]] || die "infra/devstack is missing: the local runner is not in this checkout yet"

STACK_STARTED=0
CHILD=""
WATCHER=""
cleanup() {
	local rc=$?
	# A second Ctrl-C must not abort the stop halfway (DynamoDB Local left
	# running): the stop ignores SIGINT, and so do the commands it runs.
	trap '' INT TERM HUP
	trap - EXIT
	if [[ -n "$WATCHER" ]]; then
		kill "$WATCHER" 2>/dev/null
	fi
	if [[ -n "$CHILD" ]] && kill -0 "$CHILD" 2>/dev/null; then
		kill -TERM "$CHILD" 2>/dev/null
		wait "$CHILD" 2>/dev/null
	fi
	if [[ $STACK_STARTED -eq 1 ]]; then
		bash "$ROOT/scripts/stack.sh" stop "$STATE" || true
	fi
	exit "$rc"
}
trap cleanup EXIT
# Until the runner starts: exit (and so clean up) on SIGINT and SIGTERM. An
# uncaught SIGTERM would kill the shell without running the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM

# watch_make: make does not pass on a SIGINT sent to make alone (kill -INT
# <pid of make>): it expects the terminal to interrupt the whole process
# group, and waits for this script. On Linux make's reaction can be seen in
# /proc: its handler resets SIGINT to the default action and keeps it
# blocked until this script has exited. Seeing that twice in a row, the
# watcher interrupts the process group, as Ctrl-C would. A make started with
# SIGINT ignored ignores it, and so does the watcher.
watch_make() {
	local parent=$PPID
	[[ "$(cat "/proc/$parent/comm" 2>/dev/null)" == make ]] || return 0
	local pgid
	pgid="$(awk '{print $5}' "/proc/$$/stat" 2>/dev/null)"
	[[ "$pgid" =~ ^[0-9]+$ ]] || return 0
	# make_sigint prints how make treats SIGINT: caught, ignored, interrupted
	# (default action and blocked: make is in its handler) or unknown.
	make_sigint() {
		local status blk ign cgt
		status="$(<"/proc/$parent/status")" 2>/dev/null || { echo unknown; return; }
		[[ "$status" =~ SigBlk:[[:space:]]*([0-9a-f]+) ]] && blk=${BASH_REMATCH[1]}
		[[ "$status" =~ SigIgn:[[:space:]]*([0-9a-f]+) ]] && ign=${BASH_REMATCH[1]}
		[[ "$status" =~ SigCgt:[[:space:]]*([0-9a-f]+) ]] && cgt=${BASH_REMATCH[1]}
		if [[ -z "$blk" || -z "$ign" || -z "$cgt" ]]; then
			echo unknown
		elif (((16#$cgt & 2) != 0)); then
			echo caught
		elif (((16#$ign & 2) != 0)); then
			echo ignored
		elif (((16#$blk & 2) != 0)); then
			echo interrupted
		else
			echo unknown
		fi
	}
	[[ "$(make_sigint)" == ignored ]] && return 0
	(
		seen=0
		while ((seen < 2)); do
			sleep 0.2
			case "$(make_sigint)" in
			interrupted) seen=$((seen + 1)) ;;
			unknown) [[ -d "/proc/$parent" ]] || exit 0 ;;
			*) seen=0 ;;
			esac
		done
		kill -INT -- "-$pgid" 2>/dev/null
	) &
	WATCHER=$!
}
watch_make

log "installing dependencies"
bash scripts/stack.sh deps || die "npm ci failed"
go mod download || die "go mod download failed"

log "building the local runner (infra/devstack)"
mkdir -p "$STATE"
go build -o "$STATE/devstack" ./infra/devstack || die "infra/devstack does not build"

STACK_STARTED=1
bash scripts/stack.sh start "$STATE" "$DYNAMODB_PORT" "$SQS_PORT" || die "the local stack did not start (logs in $STATE)"

export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=eu-west-3 AWS_DEFAULT_REGION=eu-west-3
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DYNAMODB_PORT"
export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$SQS_PORT"
export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$SQS_PORT"
export COMPTOIR_DYNAMODB_ENDPOINT="$AWS_ENDPOINT_URL_DYNAMODB"
export COMPTOIR_SQS_ENDPOINT="$AWS_ENDPOINT_URL_SQS"
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN

log "API on http://127.0.0.1:$API_PORT (Ctrl-C stops everything); stack logs in $STATE"
# The runner is the built binary of `go run ./infra/devstack`, run directly so
# that signals reach it (go run does not forward SIGTERM to its child).
"$STATE/devstack" -api "127.0.0.1:$API_PORT" \
	-dynamodb "http://127.0.0.1:$DYNAMODB_PORT" -sqs "http://127.0.0.1:$SQS_PORT" -seed "$@" &
CHILD=$!
# A background child of a non-interactive shell starts with SIGINT ignored:
# forward Ctrl-C as SIGINT (Go's signal.Notify re-enables it), then SIGTERM.
forward() {
	kill "-$1" "$CHILD" 2>/dev/null || return 0
	local i
	for i in $(seq 1 50); do
		kill -0 "$CHILD" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -TERM "$CHILD" 2>/dev/null || true
}
trap 'forward INT' INT
trap 'forward TERM' TERM
# wait returns early when a trap runs: wait again until the runner is gone;
# the last wait gives its exit status.
RC=0
while kill -0 "$CHILD" 2>/dev/null; do
	wait "$CHILD"
done
wait "$CHILD"
RC=$?
CHILD=""
log "local runner exited with status $RC"
exit "$RC"
