package main

import (
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// compress encodes answers with zstd or gzip, whichever the client accepts
// (zstd when both), for every JSON answer (GraphQL responses, sync pulls) and
// the playground page. Answers under gzhttp.DefaultMinSize (1 KiB) stay plain:
// they fit in one packet anyway. WebSocket upgrades pass untouched: the
// socket is hijacked and its messages are not HTTP bodies.
//
// Compressing answers that carry secrets (tokens from login) next to text the
// caller chose is what BREACH exploits; it needs a victim's browser to send
// the secret-bearing request on its own, which a bearer token in the
// Authorization header (no cookies here) does not do.
func compress(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(gzhttp.DefaultMinSize))
	if err != nil {
		panic(err) // the options are constants
	}
	compressed := wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		compressed.ServeHTTP(w, r)
	})
}
