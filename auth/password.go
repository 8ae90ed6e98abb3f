package auth

import (
	"crypto/rand"
	"fmt"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/lianqi/lianqi/domain"
)

// MaxPasswordLen is bcrypt's input limit. Longer input would be silently
// truncated by the algorithm, so two passwords differing only after byte 72
// would collide; rejecting them up front keeps what the user typed meaningful.
const MaxPasswordLen = 72

// BcryptCost is the work factor for new hashes. It is a variable only so tests
// can lower it to bcrypt.MinCost; production keeps the default.
var BcryptCost = bcrypt.DefaultCost

// dummyHash is a cost-10 hash of a password no account has. DummyCheck compares
// against it so that "no such user" costs the same as "wrong password".
// It is a literal rather than computed at start-up to keep start-up fast; if
// BcryptCost's default ever rises, regenerate it at the new cost.
const dummyHash = "$2a$10$RXKukAVLAg2GXUW6gQryZu1HmsNLoMcOguF6demJnadtp.KS402WW"

// HashPassword returns a bcrypt hash of pw for storage.
func HashPassword(pw string) (string, error) {
	if pw == "" {
		return "", domain.Invalid("password", "password must not be empty")
	}
	if len(pw) > MaxPasswordLen {
		return "", domain.Invalid("password", "password must be at most %d bytes", MaxPasswordLen)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether pw matches hash. The comparison is constant
// time, and an over-long pw still pays the full hashing cost before being
// refused, so length is not observable through timing.
func CheckPassword(hash, pw string) bool {
	ok := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
	// bcrypt ignores bytes after 72, so without this a correct password with
	// junk appended would be accepted.
	return ok && len(pw) <= MaxPasswordLen
}

// DummyCheck spends the time of one CheckPassword. Call it when a login names
// an unknown user, so response time does not reveal which usernames exist.
// The dummy hash has the current BcryptCost, so the two stay equal in cost
// even where the cost is changed.
func DummyCheck(pw string) {
	_ = CheckPassword(dummyFor(BcryptCost), pw)
}

var (
	dummyMu     sync.Mutex
	dummyByCost = map[int]string{bcrypt.DefaultCost: dummyHash}
)

func dummyFor(cost int) string {
	dummyMu.Lock()
	defer dummyMu.Unlock()
	if h, ok := dummyByCost[cost]; ok {
		return h
	}
	h, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		return dummyHash
	}
	dummyByCost[cost] = string(h)
	return string(h)
}
