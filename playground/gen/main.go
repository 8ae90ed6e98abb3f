// Command gen puts the playground's third-party assets (GraphiQL, React) into
// playground/assets from the npm registry. Each package is pinned by version
// and by the registry's sha512 integrity of its tarball; each extracted file by
// its sha256. When the files on disk already match the pins it touches no
// network, so `go generate ./...` in CI is free and changes nothing; with
// -check it never downloads and fails on any difference.
//
// To bump a package: change its version and integrity (`npm view
// graphiql@X dist.integrity`), empty the sha256 of its files and run
// `go generate ./playground`; it prints the new sums to paste in.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"
)

// pkg is one pinned npm package and the files taken from its tarball.
type pkg struct {
	name, version string
	integrity     string // sha512-<base64>, from the registry's dist.integrity
	files         []file
}

type file struct {
	from   string // path inside the tarball
	to     string // path under the assets directory
	sha256 string // hex; empty prints the sum and fails, for bumps
}

// pins are the versions the playground page is written against: graphiql 4
// is the last major with a browser (UMD) bundle, which includes graphql-ws;
// React 18 is the last with UMD builds.
var pins = []pkg{
	{"graphiql", "4.1.2", "sha512-rNlzQIAzm6i2KBXmVQWBgLvt0TloxFVB2d18bukvdsvjEuFDHsKx5IVOomL1W1o5WW+tE54+ioHb2AEKzO2cUg==", []file{
		{"package/graphiql.min.js", "graphiql/graphiql.min.js", "867226ba8af5ce7949903fc53932f78dac9f4bfc6cc8da0fd3869b8bc6c5256b"},
		{"package/graphiql.min.css", "graphiql/graphiql.min.css", "30487e07635d312a63f647b140d37740a73c53332b0975bf4b1fe985ca6ec885"},
		{"package/LICENSE", "graphiql/LICENSE", "4b18fbe55c4e8f9169cb702be138f4d858a2dad920c39857204ffdc9c1c9fdc4"},
	}},
	{"react", "18.3.1", "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==", []file{
		{"package/umd/react.production.min.js", "react/react.production.min.js", "d949f1c3687aedadcedac85261865f29b17cd273997e7f6b2bfc53b2f9d4c4dd"},
		{"package/LICENSE", "react/LICENSE", "52412d7bc7ce4157ea628bbaacb8829e0a9cb3c58f57f99176126bc8cf2bfc85"},
	}},
	{"react-dom", "18.3.1", "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==", []file{
		{"package/umd/react-dom.production.min.js", "react-dom/react-dom.production.min.js", "35f4f974f4b2bcd44da73963347f8952e341f83909e4498227d4e26b98f66f0d"},
		{"package/LICENSE", "react-dom/LICENSE", "52412d7bc7ce4157ea628bbaacb8829e0a9cb3c58f57f99176126bc8cf2bfc85"},
	}},
}

// registry is the npm registry; tests point it at a local server.
var registry = "https://registry.npmjs.org"

func main() {
	dir := flag.String("dir", "assets", "the assets directory")
	check := flag.Bool("check", false, "only verify the files on disk against the pins; never download")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, log, *dir, *check); err != nil {
		log.Error("playground assets", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, dir string, check bool) error {
	var stale []pkg
	for _, p := range pins {
		if err := verify(dir, p); err != nil {
			if check {
				return err
			}
			log.Info("fetching", "package", p.name, "version", p.version, "why", err)
			stale = append(stale, p)
		}
	}
	var errs []error
	for _, p := range stale {
		if err := fetch(ctx, dir, p); err != nil {
			errs = append(errs, fmt.Errorf("%s@%s: %w", p.name, p.version, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return prune(dir, check)
}

// verify reports the first file of p that is missing or differs from its pin.
func verify(dir string, p pkg) error {
	for _, f := range p.files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.to)))
		if err != nil {
			return err
		}
		if got := sum(b); got != f.sha256 {
			return fmt.Errorf("%s: sha256 %s, pinned %q", f.to, got, f.sha256)
		}
	}
	return nil
}

// fetch downloads p's tarball, checks it against the pinned integrity and
// writes the pinned files, each checked against its own pin.
func fetch(ctx context.Context, dir string, p pkg) error {
	url := fmt.Sprintf("%s/%s/-/%s-%s.tgz", registry, p.name, path.Base(p.name), p.version)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	tgz, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return err
	}
	h := sha512.Sum512(tgz)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(h[:]); got != p.integrity {
		return fmt.Errorf("tarball integrity %s, pinned %s", got, p.integrity)
	}
	want := map[string]file{}
	for _, f := range p.files {
		want[f.from] = f
	}
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	var unpinned []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		f, ok := want[hdr.Name]
		if !ok {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		delete(want, hdr.Name)
		if got := sum(b); got != f.sha256 {
			if f.sha256 != "" {
				return fmt.Errorf("%s: sha256 %s, pinned %s", f.from, got, f.sha256)
			}
			unpinned = append(unpinned, fmt.Sprintf("%s %s", f.to, got))
		}
		out := filepath.Join(dir, filepath.FromSlash(f.to))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(out, b, 0o644); err != nil {
			return err
		}
	}
	for name := range want {
		return fmt.Errorf("%s not in the tarball", name)
	}
	if len(unpinned) > 0 {
		return fmt.Errorf("pin these sha256 sums in playground/gen: %q", unpinned)
	}
	return nil
}

// prune removes files under dir that no pin names, so that the directory is
// exactly the pins (a bumped or dropped package leaves nothing behind).
func prune(dir string, check bool) error {
	keep := map[string]bool{}
	for _, p := range pins {
		for _, f := range p.files {
			keep[f.to] = true
		}
	}
	var extra []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if !keep[filepath.ToSlash(rel)] {
			extra = append(extra, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(extra)
	if check && len(extra) > 0 {
		return fmt.Errorf("files no pin names: %q", extra)
	}
	for _, p := range extra {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return nil
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
