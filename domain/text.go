package domain

import (
	"strings"
	"unicode/utf8"
)

// checkText rejects strings the embedded database cannot store (NUL bytes,
// invalid UTF-8) and strings longer than max characters.
func checkText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return Invalid(field, "must be valid UTF-8")
	}
	if strings.ContainsRune(s, 0) {
		return Invalid(field, "must not contain NUL characters")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Invalid(field, "is %d characters long; at most %d are allowed", n, max)
	}
	return nil
}
