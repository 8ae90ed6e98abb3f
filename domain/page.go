package domain

// MaxPageSize caps how many records one page may hold.
const MaxPageSize = 100

// DefaultPageSize is used when the caller does not say.
const DefaultPageSize = 20

// PageRequest asks for First records after the opaque cursor After.
type PageRequest struct {
	First int
	After string
	// SkipCount: the caller does not read TotalCount (GraphQL did not select
	// it), so the store does not count; counting is a second pass over the
	// collection on the embedded engine. TotalCount is then 0.
	SkipCount bool
}

// Normalize applies defaults and rejects sizes outside 0..MaxPageSize.
func (p *PageRequest) Normalize() error {
	if p.First == 0 {
		p.First = DefaultPageSize
	}
	if p.First < 0 || p.First > MaxPageSize {
		return Invalid("first", "first must be between 1 and %d", MaxPageSize)
	}
	return nil
}

// Page is one page of a listing.
type Page[T any] struct {
	Items []T
	// Cursors[i] is the opaque cursor of Items[i].
	Cursors     []string
	HasNextPage bool
	TotalCount  int64
}
