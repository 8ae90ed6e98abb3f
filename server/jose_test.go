package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/e2e/nodetest"
)

// TestJose runs e2e/jose (node's test runner and the jose library) against
// the real server: jose verifies the server's token with the published JWKS,
// and mints tokens with a configured identity provider's key (accepted) and
// with another key (refused). The provider's JWKS is served by this test on
// 127.0.0.1. nodetest installs the package's npm modules on first use.
func TestJose(t *testing.T) {
	dir, _ := filepath.Abs(filepath.Join("..", "e2e", "jose"))
	node := nodetest.Install(t, dir, "jose")

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const kid = "jose-idp-1"
	b64 := base64.RawURLEncoding.EncodeToString
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(auth.JWKS{Keys: []auth.JWK{{Kty: "OKP", Crv: "Ed25519", X: b64(pub), Kid: kid, Alg: "EdDSA", Use: "sig"}}})
	}))
	defer idp.Close()
	privJWK, _ := json.Marshal(map[string]string{"kty": "OKP", "crv": "Ed25519", "x": b64(pub), "d": b64(priv.Seed()), "kid": kid})

	s := startServer(t, func(c *Config) {
		c.OIDCIssuer, c.OIDCAudience, c.OIDCJWKSURL = "https://idp.jose.test", "lianqi-jose", idp.URL
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "jwks.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"LIANQI_URL="+s.url,
		"LIANQI_TOKEN="+s.token("admin"),
		"IDP_ISSUER=https://idp.jose.test",
		"IDP_AUDIENCE=lianqi-jose",
		"IDP_KID="+kid,
		"IDP_PRIVATE_JWK="+string(privJWK),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
