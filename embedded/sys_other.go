//go:build !unix

package embedded

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("would block")

// flock is a no-op where flock(2) does not exist: the data directory is not
// protected against a second server there (see docs/security.md).
func flock(*os.File) error { return nil }

func ownedByMe(os.FileInfo) bool { return true }
