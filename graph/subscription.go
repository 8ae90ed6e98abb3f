package graph

import (
	"context"
	"time"

	"github.com/lianqi/lianqi/auth"
	"github.com/lianqi/lianqi/domain"
)

// tokenExpiresIn streams the seconds left on the connection's access token.
// The stream ends with the connection's context, which the WebSocket
// transport cancels at token expiry or session revocation.
func tokenExpiresIn(ctx context.Context, everySeconds *int) (<-chan int, error) {
	p, err := auth.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	every := 60
	if everySeconds != nil {
		every = *everySeconds
	}
	if every < 10 || every > 3600 {
		return nil, domain.Invalid("everySeconds", "everySeconds must be between 10 and 3600")
	}
	left := func() int { return max(0, int(time.Until(p.ExpiresAt).Seconds())) }
	ch := make(chan int, 1)
	ch <- left()
	go func() {
		defer close(ch)
		t := time.NewTicker(time.Duration(every) * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				select {
				case ch <- left():
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}
