package store

import "testing"

// TestVersionsIgnoreStaleReads: a read that started before a write may carry
// the old version; it must not replace the version the write recorded, or a
// writer holding the old version would pass the check and overwrite.
func TestVersionsIgnoreStaleReads(t *testing.T) {
	var v versions
	v.wrote("problems", "p", 1)
	gen := v.generation() // a read starts, sees version 1
	v.wrote("problems", "p", 2)
	v.observe("problems", "p", 1, gen) // the read ends
	if got, ok := v.lookup("problems", "p"); !ok || got != 2 {
		t.Fatalf("version = %d, %v; want 2", got, ok)
	}
	v.wrote("problems", "p", 0) // a write whose outcome is unknown
	if _, ok := v.lookup("problems", "p"); ok {
		t.Fatal("a failed write left its version remembered")
	}
	gen = v.generation()
	v.observe("problems", "p", 3, gen)
	if got, _ := v.lookup("problems", "p"); got != 3 {
		t.Fatalf("version after a quiet read = %d, want 3", got)
	}
}
