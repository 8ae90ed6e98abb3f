package domain

import (
	"io"
	"strconv"
)

// parseEnum converts a GraphQL enum value into T when it is one of allowed.
func parseEnum[T ~string](v any, allowed []T, typeName string) (T, error) {
	s, ok := v.(string)
	if !ok {
		return "", Invalid("", "%s must be a string", typeName)
	}
	for _, a := range allowed {
		if string(a) == s {
			return a, nil
		}
	}
	return "", Invalid("", "%s is not a valid %s", s, typeName)
}

func writeEnum[T ~string](w io.Writer, v T) { io.WriteString(w, strconv.Quote(string(v))) }

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
