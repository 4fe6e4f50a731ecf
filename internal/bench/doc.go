// Package bench measures what the gateway costs: the three scenarios of the benchmark issue (unary
// calls side by side, streaming pagination, file transfer), run against a sandbox and a gateway that
// are separate processes, so that the gateway's CPU time and peak memory are its own.
//
// cmd/bosa-bench is the program around it (`make bench`); docs/benchmarks.md is its output. The pieces:
// load.go (closed-loop load and percentiles), proc.go (CPU time and peak RSS from /proc), procs.go
// (starting the sandbox and gateway binaries), clients.go (the three ways to call an action),
// unary.go, paginate.go and files.go (the scenarios), targets.go (the targets) and report.go
// (the table and the markdown).
package bench
