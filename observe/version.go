package observe

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// BuildInfo says which build is running.
type BuildInfo struct {
	Version   string // -ldflags -X version, else the module version ("(devel)" for a local build)
	Module    string // the main module's path
	GoVersion string
	Revision  string // VCS revision, "" when built without VCS stamping (-buildvcs=false, go run in a non-repository)
	Time      string // commit time, RFC 3339
	Modified  bool   // built from a working tree with uncommitted changes
}

// Build reads the build information the Go toolchain embedded in the
// binary. version, when not empty, is the release name set at link time
// (-ldflags "-X main.version=v1.2.3") and wins over the module version,
// which is "(devel)" for every build from a checkout.
func Build(version string) BuildInfo {
	b := BuildInfo{Version: version, GoVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if b.Version == "" {
			b.Version = "unknown"
		}
		return b
	}
	b.Module = info.Main.Path
	if b.Version == "" {
		b.Version = info.Main.Version
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String renders b for `lianqi --version`: the version on the first line,
// then one "key: value" line for each known fact.
func (b BuildInfo) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "lianqi %s\n", b.Version)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&s, "  %-9s %s\n", k+":", v)
		}
	}
	line("module", b.Module)
	line("go", b.GoVersion)
	line("platform", runtime.GOOS+"/"+runtime.GOARCH)
	rev := b.Revision
	if rev == "" {
		rev = "unknown (built without VCS information)"
	} else if b.Modified {
		rev += " (modified)"
	}
	line("revision", rev)
	line("time", b.Time)
	return s.String()
}
