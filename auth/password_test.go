package auth

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/lianqi/lianqi/domain"
)

func TestMain(m *testing.M) {
	BcryptCost = bcrypt.MinCost
	os.Exit(m.Run())
}

func TestHashPassword(t *testing.T) {
	tests := []struct {
		name     string
		pw       string
		wantCode string
	}{
		{"ordinary", "correct horse battery staple", ""},
		{"unicode", "密码-пароль-🔑", ""},
		{"exactly 72 bytes", strings.Repeat("a", 72), ""},
		{"73 bytes", strings.Repeat("a", 73), domain.EINVALID},
		{"far too long", strings.Repeat("a", 1000), domain.EINVALID},
		{"multibyte over 72 bytes", strings.Repeat("密", 25), domain.EINVALID},
		{"empty", "", domain.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := HashPassword(tt.pw)
			if c := domain.ErrorCode(err); c != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", c, tt.wantCode, err)
			}
			if tt.wantCode != "" {
				if f := domain.ErrorField(err); f != "password" {
					t.Errorf("field = %q, want password", f)
				}
				return
			}
			if !CheckPassword(h, tt.pw) {
				t.Error("CheckPassword rejects the right password")
			}
			if CheckPassword(h, tt.pw+"x") {
				t.Error("CheckPassword accepts a wrong password")
			}
			if h2, _ := HashPassword(tt.pw); h2 == h {
				t.Error("two hashes of the same password are equal; salt missing")
			}
		})
	}
}

func TestHashPasswordUsesBcryptCost(t *testing.T) {
	h, err := HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost([]byte(h)); c != BcryptCost {
		t.Fatalf("cost = %d, want %d", c, BcryptCost)
	}
}

func TestCheckPassword(t *testing.T) {
	pw72 := strings.Repeat("b", 72)
	h72, err := HashPassword(pw72)
	if err != nil {
		t.Fatal(err)
	}
	h, err := HashPassword("secret")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		hash string
		pw   string
		want bool
	}{
		{"match", h, "secret", true},
		{"mismatch", h, "Secret", false},
		{"empty password", h, "", false},
		{"72-byte match", h72, pw72, true},
		{"bcrypt-truncated suffix refused", h72, pw72 + "junk", false},
		{"empty hash", "", "secret", false},
		{"garbage hash", "not-a-bcrypt-hash", "secret", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckPassword(tt.hash, tt.pw); got != tt.want {
				t.Fatalf("CheckPassword = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDummyCheck(t *testing.T) {
	// Equal timing needs the dummy to cost what real hashes cost in production.
	c, err := bcrypt.Cost([]byte(dummyHash))
	if err != nil {
		t.Fatalf("dummyHash is not a bcrypt hash: %v", err)
	}
	if c != bcrypt.DefaultCost {
		t.Fatalf("dummyHash cost = %d, want production default %d", c, bcrypt.DefaultCost)
	}
	for _, pw := range []string{"", "guess", strings.Repeat("x", 200)} {
		DummyCheck(pw)
	}
}
