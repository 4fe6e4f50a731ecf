#!/usr/bin/env bash
# Runs refclient_check.py (and, for versions with the 0.1.15 surfaces, refclient_check_0115.py) with each given version of the reference Python client (gl-connectors-sdk,
# one venv each under bin/, installed from PyPI) against a fresh sandbox on a free port.
# Usage: sandbox/testdata/refclient.sh SANDBOX_BINARY VERSION...
set -euo pipefail
sandbox=$1
shift
python=${PYTHON:-python3}
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for v in "$@"; do
	venv=bin/refclient-$v
	[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
	"$venv/bin/pip" install --disable-pip-version-check --quiet "gl-connectors-sdk==$v"
	# Empty the log here, not in the child's redirection: the loop below must not read the previous
	# sandbox's URL before the child has truncated the file.
	: >"$log"
	"$sandbox" --addr 127.0.0.1:0 >>"$log" 2>&1 &
	pid=$!
	url=
	for _ in $(seq 100); do
		url=$(grep -o 'http://[0-9.:]*' "$log" | head -1 || true)
		[ -n "$url" ] && break
		sleep 0.1
	done
	[ -n "$url" ] || { echo "the sandbox did not start:"; cat "$log"; exit 1; }
	echo "gl-connectors-sdk $v against $url"
	"$venv/bin/python" "$here/refclient_check.py" "$url"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	# What 0.1.15 adds (error contract 2, catalog, tenant skills), against a sandbox served under a
	# path prefix with its control surface on, for the versions that have it.
	if "$venv/bin/python" -c 'import gl_connectors_sdk.helpers.catalog' 2>/dev/null; then
		: >"$log"
		"$sandbox" --addr 127.0.0.1:0 --control --path-prefix /pre >"$log" 2>&1 &
		pid=$!
		url=
		for _ in $(seq 100); do
			url=$(grep -o 'http://[0-9.:]*/pre' "$log" | head -1 || true)
			[ -n "$url" ] && break
			sleep 0.1
		done
		[ -n "$url" ] || { echo "the sandbox did not start:"; cat "$log"; exit 1; }
		echo "gl-connectors-sdk $v (0.1.15 surfaces) against $url"
		"$venv/bin/python" "$here/refclient_check_0115.py" "$url"
		kill "$pid"
		wait "$pid" 2>/dev/null || true
		pid=
	fi
done
