// Package buildinfo says which build of the gateway is running: version, commit and build date,
// set at link time (-ldflags -X) or, when not, read from the Go build information.
//
//	go build -ldflags "-X bosa.dev/gateway/internal/buildinfo.version=v1.2.3 \
//	  -X bosa.dev/gateway/internal/buildinfo.commit=$(git rev-parse HEAD) \
//	  -X bosa.dev/gateway/internal/buildinfo.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" ./cmd/bosa-gateway
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the linker (-X); empty in a plain `go build`.
var version, commit, date string

// Info identifies a build.
type Info struct {
	Version   string // module version or -X version; "(devel)" for a local build
	Commit    string // VCS revision, "+dirty" appended when the tree had changes; "unknown" when absent
	Date      string // build date (RFC 3339); the commit time when not set at link time; "unknown" when absent
	GoVersion string
}

// Read returns the running binary's Info: link-time values first, then the build information.
func Read() Info {
	i := Info{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, at string
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty && rev != "" {
			rev += "+dirty"
		}
		i.Version = first(i.Version, bi.Main.Version)
		i.Commit = first(i.Commit, rev)
		i.Date = first(i.Date, at)
	}
	i.Version = first(i.Version, "(devel)")
	i.Commit = first(i.Commit, "unknown")
	i.Date = first(i.Date, "unknown")
	return i
}

// String is the --version line.
func (i Info) String() string {
	return fmt.Sprintf("bosa-gateway %s (commit %s, built %s, %s)", i.Version, i.Commit, i.Date, i.GoVersion)
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
