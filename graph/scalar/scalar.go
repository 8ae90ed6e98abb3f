// Package scalar holds the GraphQL scalars whose parsing errors must be ordinary
// bad input (BAD_USER_INPUT) rather than opaque failures.
package scalar

import (
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/lianqi/lianqi/domain"
)

// MarshalTime writes a time as RFC 3339 in UTC with millisecond precision, the
// precision the database keeps.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.UTC().Format("2006-01-02T15:04:05.000Z07:00")))
	})
}

// UnmarshalTime reads an RFC 3339 date-time, or a plain date (midnight UTC).
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, domain.Invalid("", "a time must be a string in RFC 3339 form, e.g. 2026-11-25T08:00:00Z")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, domain.Invalid("", "%q is not an RFC 3339 time such as 2026-11-25T08:00:00Z", s)
}
