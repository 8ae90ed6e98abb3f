package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestParseObservability covers the internal address and the OpenTelemetry
// variables: tracing is off unless they ask for it.
func TestParseObservability(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		internal string
		tracing  bool
		endpoint string
		err      string
	}{
		{name: "OffByDefault"},
		{name: "InternalAddrFlag", args: []string{"--internal-addr", "127.0.0.1:9090"}, internal: "127.0.0.1:9090"},
		{name: "InternalAddrEnv", env: map[string]string{"INTERNAL_ADDR": ":9090"}, internal: ":9090"},
		{name: "ErrInternalAddrInvalid", args: []string{"--internal-addr", "9090"}, err: "--internal-addr: invalid internal address"},
		{name: "ErrInternalAddrIsPublic", args: []string{"--addr", ":8080", "--internal-addr", ":8080"}, err: "must differ from the public one"},
		{name: "BaseEndpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}, tracing: true, endpoint: "http://collector:4318/v1/traces"},
		{name: "TracesEndpointAsGiven", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://b/otlp/traces"},
			tracing: true, endpoint: "https://b/otlp/traces"},
		{name: "ExporterWithDefaultEndpoint", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, tracing: true},
		{name: "ExporterNone", env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318"}},
		{name: "SDKDisabled", env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}},
		{name: "HTTPProtobuf", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, tracing: true},
		{name: "ErrExporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, err: `unsupported exporter "zipkin"`},
		{name: "ErrGRPC", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, err: `protocol "grpc" is not supported`},
		{name: "ErrEndpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "collector:4318"}, err: "want an http:// or https:// URL"},
		{name: "ErrDisabledValue", env: map[string]string{"OTEL_SDK_DISABLED": "maybe"}, err: "OTEL_SDK_DISABLED: invalid boolean"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig(tc.args, envOf(tc.env))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.InternalAddr != tc.internal || c.Tracing != tc.tracing || c.OTLPEndpoint != tc.endpoint {
				t.Fatalf("internal %q tracing %v endpoint %q", c.InternalAddr, c.Tracing, c.OTLPEndpoint)
			}
		})
	}
	_, err := ParseConfig([]string{"--help"}, envOf(nil))
	if !errors.Is(err, flag.ErrHelp) || !strings.HasPrefix(err.Error(), "Usage: lianqi [flags]") || !strings.Contains(err.Error(), "INTERNAL_ADDR") {
		t.Fatalf("usage: %v", err)
	}
}

// runProgram runs the real main() in a child process (see TestMainProcess).
func runProgram(t *testing.T, args string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LIANQI_TEST_MAIN=1", "LIANQI_TEST_ARGS="+args)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// TestVersionFlag runs the program with --version, --help and a bad flag: the
// version and build facts, exit 0; errors name the program lianqi, exit 2.
func TestVersionFlag(t *testing.T) {
	for _, tc := range []struct {
		args string
		want []string
		exit int
	}{
		{"--version", []string{"lianqi ", "go:", runtime.Version(), "revision:"}, 0},
		{"--help", []string{"Usage: lianqi [flags]", "lianqi --version", "-internal-addr"}, 0},
		{"--no-such-flag", []string{"lianqi: flag provided but not defined: -no-such-flag"}, 2},
	} {
		t.Run(tc.args, func(t *testing.T) {
			out, exit := runProgram(t, tc.args)
			if exit != tc.exit {
				t.Fatalf("exit %d, want %d:\n%s", exit, tc.exit, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestVersionLinked builds the binary as the README says, with the release
// name set at link time, and asks it for its version.
func TestVersionLinked(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program")
	}
	bin := filepath.Join(t.TempDir(), "lianqi")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.8.7-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "lianqi v9.8.7-test\n") || !strings.Contains(string(out), "module:   github.com/lianqi/lianqi") {
		t.Fatalf("lianqi --version: %v\n%s", err, out)
	}
}
