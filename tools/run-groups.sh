#!/usr/bin/env bash
# Runs groups of make targets side by side: the targets of one group run in order (all of them, even after a
# failure, so one run reports every failing check), the groups at once.
# `make test` uses it so that the CPU-bound Go checks and the install-bound client checks share the machine.
#
# Usage: tools/run-groups.sh 'TARGET...' ['TARGET...' ...]
#
# The first group's output streams live; the others' is kept and printed after the first group ends, in the
# order given, so the output ends with the last group's own lines. Each group gets a line saying whether it
# passed and how long it took. Exits 1 if any group failed. GROUPS_PARALLEL=no runs the groups one after
# another instead (for comparison and debugging).
set -uo pipefail
make=${MAKE:-make}
logs=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -- "$p" 2>/dev/null; done; rm -rf "$logs"' EXIT
trap 'exit 130' INT TERM

# run_group I TARGETS: runs the group, writes its exit code and duration to $logs/I.rc and $logs/I.time.
run_group() {
	local start=$SECONDS
	# shellcheck disable=SC2086 # TARGETS is a list of make targets
	$make --no-print-directory -j1 --keep-going $2
	echo $? >"$logs/$1.rc"
	echo $((SECONDS - start)) >"$logs/$1.time"
}

report() {
	local rc t
	rc=$(cat "$logs/$1.rc") t=$(cat "$logs/$1.time")
	local verdict=passed
	[ "$rc" = 0 ] || verdict="FAILED (exit $rc)"
	printf '==> group %d (make %s): %s in %dm%02ds\n' $(($1 + 1)) "$2" "$verdict" $((t / 60)) $((t % 60))
}

groups=("$@")
for g in "${groups[@]}"; do
	[ -n "${g// /}" ] || { echo "run-groups.sh: an empty group (make would run its default goal)" >&2; exit 2; }
done
if [ "${GROUPS_PARALLEL:-yes}" = no ]; then
	for i in "${!groups[@]}"; do
		run_group "$i" "${groups[$i]}"
		report "$i" "${groups[$i]}"
	done
else
	for i in "${!groups[@]}"; do
		[ "$i" = 0 ] && continue
		run_group "$i" "${groups[$i]}" >"$logs/$i.log" 2>&1 &
		pids+=($!)
	done
	run_group 0 "${groups[0]}"
	report 0 "${groups[0]}"
	for i in "${!groups[@]}"; do
		[ "$i" = 0 ] && continue
		wait "${pids[$((i - 1))]}"
		report "$i" "${groups[$i]}"
		cat "$logs/$i.log"
	done
	pids=()
fi

failed=0
for i in "${!groups[@]}"; do
	[ "$(cat "$logs/$i.rc")" = 0 ] || { echo "make test: group $((i + 1)) (make ${groups[$i]}) failed"; failed=1; }
done
exit $failed
