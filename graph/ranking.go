package graph

import "github.com/lianqi/lianqi/domain"

// spec is what the code knows of a configured ranking component.
func spec(w *domain.ComponentWeight) domain.ComponentSpec {
	s, _ := domain.ComponentByName(w.Name)
	return s
}
