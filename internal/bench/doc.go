// Package bench measures what the gateway costs: the hop against the floor of a plain Go reverse
// proxy (unary calls driven by wrk and ghz), sizing figures (calls per core, memory per concurrent
// call), streaming pagination and file transfer, run against a sandbox and a gateway that are
// separate processes, so that the gateway's CPU time and peak memory are its own.
//
// cmd/bosa-bench is the program around it (`make bench`); docs/benchmarks.md is its output. The pieces:
// tools.go (running wrk and ghz and reading their reports), floor.go (the floor proxy), proc.go
// (CPU time and peak RSS from /proc), procs.go (starting the sandbox, gateway and floor proxy),
// clients.go (this package's own clients: checked calls, pagination, files), unary.go (the hop
// scenario), hop.go (added latencies and ratios to the floor, round by round), sizing.go,
// paginate.go, files.go, compare.go (two gateway builds side by side), targets.go (the issue's
// targets) and report.go (the tables and the markdown).
package bench
