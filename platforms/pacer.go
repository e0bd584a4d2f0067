package platforms

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"golang.org/x/time/rate"
)

// Limits are the pacing settings every platform takes (config keys rate, burst, timeout,
// retries, backoff, max_pages under platforms.<name>).
type Limits struct {
	Rate     float64       `mapstructure:"rate"`      // requests per second for the whole platform
	Burst    int           `mapstructure:"burst"`     // requests allowed at once
	Timeout  time.Duration `mapstructure:"timeout"`   // per request
	Retries  int           `mapstructure:"retries"`   // retries after the first attempt
	Backoff  time.Duration `mapstructure:"backoff"`   // first wait; doubles with jitter
	MaxPages int           `mapstructure:"max_pages"` // pages read per account before giving up
}

// MaxBackoff caps a single wait between retries (design.md: capped at 30s).
const MaxBackoff = 30 * time.Second

// DefaultLimits are the design.md defaults; rate and burst are per platform.
func DefaultLimits(rps float64, burst int) Limits {
	return Limits{Rate: rps, Burst: burst, Timeout: 15 * time.Second, Retries: 3, Backoff: time.Second, MaxPages: 10}
}

// Pacer runs one logical request under a platform's rate limiter, retrying transient failures
// with bounded, jittered exponential backoff. One Pacer (and so one rate.Limiter) is shared by
// every worker that talks to the same platform, which is what keeps a run inside the platform's
// budget however many workers there are.
type Pacer struct {
	limiter *rate.Limiter
	retries int
	backoff time.Duration
	// Sleep waits between retries; tests replace it to run without wall-clock waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter maps a nominal wait to the actual one; the default draws from [d/2, d].
	Jitter func(d time.Duration) time.Duration
}

// NewPacer builds a Pacer from l. A zero or negative rate means unlimited.
func NewPacer(l Limits) *Pacer {
	lim := rate.NewLimiter(rate.Inf, 0)
	if l.Rate > 0 {
		burst := l.Burst
		if burst < 1 {
			burst = 1
		}
		lim = rate.NewLimiter(rate.Limit(l.Rate), burst)
	}
	retries := l.Retries
	if retries < 0 {
		retries = 0
	}
	return &Pacer{limiter: lim, retries: retries, backoff: l.Backoff, Sleep: sleepCtx, Jitter: halfJitter}
}

// Limiter exposes the shared limiter (for benchmarks and tests that measure pacing).
func (p *Pacer) Limiter() *rate.Limiter { return p.limiter }

type retryable struct{ err error }

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// Retry marks err as transient: Pacer.Do tries again (within its budget) and, when the budget is
// spent, returns err itself.
func Retry(err error) error {
	if err == nil {
		return nil
	}
	return &retryable{err}
}

// IsRetry reports whether err was marked with Retry.
func IsRetry(err error) bool {
	var r *retryable
	return errors.As(err, &r)
}

// Do calls attempt, waiting for the limiter before each try. An error marked with Retry is
// retried up to the configured number of times; any other result is returned at once. The
// error returned is never a retry marker: it is the last attempt's own error.
func (p *Pacer) Do(ctx context.Context, attempt func(ctx context.Context) error) error {
	for i := 0; ; i++ {
		if err := p.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		err := attempt(ctx)
		var r *retryable
		if !errors.As(err, &r) {
			return err
		}
		if i >= p.retries || ctx.Err() != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return r.err
		}
		if serr := p.Sleep(ctx, p.Jitter(p.wait(i))); serr != nil {
			return serr
		}
	}
}

// wait is the nominal wait before retry i+1: backoff·2^i, capped.
func (p *Pacer) wait(i int) time.Duration {
	d := p.backoff
	if d <= 0 {
		d = time.Second
	}
	for ; i > 0 && d < MaxBackoff; i-- {
		d *= 2
	}
	if d > MaxBackoff {
		d = MaxBackoff
	}
	return d
}

func halfJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
