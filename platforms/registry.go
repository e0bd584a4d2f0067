package platforms

import (
	"context"
	"net/http"
	"sort"
	"time"
)

// Deps are what every adapter is built with; everything that varies between production, tests
// and replay is injected here rather than reached for globally.
type Deps struct {
	// Client carries every request. Its transport may record exchanges (--record) or answer
	// them from a folder (--replay); adapters build their resty client on top of it.
	Client *http.Client
	// Pacer paces and retries this platform's requests; one per platform, shared by all workers.
	Pacer *Pacer
	// Redactor removes this platform's secrets from URLs, errors and evidence.
	Redactor *Redactor
	// Now is the clock, used as the fetch time when a response carries no Date header.
	Now func() time.Time
	// Notice tells the person running the check something that concerns the whole run, not
	// one account (a route that stopped working, a cookie that could not be obtained); the CLI
	// prints it on stderr at once. Adapters call it at most once per cause. Nil drops notices.
	Notice func(msg string)
}

// Notify calls d.Notice when it is set.
func (d Deps) Notify(msg string) {
	if d.Notice != nil {
		d.Notice(msg)
	}
}

// FetchTime is the moment a response was produced: the server's Date header when it has one
// (which a replayed recording also carries, so relative times such as "3分钟前" resolve the same
// on replay), else the local clock.
func FetchTime(h http.Header, now func() time.Time) time.Time {
	if d := h.Get("Date"); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			return t
		}
	}
	if now == nil {
		return time.Now()
	}
	return now()
}

// Registry maps canonical platforms to their fetchers. It is built explicitly by the caller
// (cmd/nmaudit wires the adapters it has configured); there is no global registration.
type Registry struct {
	fetchers map[Platform]Fetcher
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{fetchers: map[Platform]Fetcher{}} }

// Register sets the fetcher for p, replacing any earlier one.
func (r *Registry) Register(p Platform, f Fetcher) { r.fetchers[p] = f }

// Lookup returns the fetcher for p.
func (r *Registry) Lookup(p Platform) (Fetcher, bool) {
	f, ok := r.fetchers[p]
	return f, ok
}

// Platforms lists the registered platforms in a stable order.
func (r *Registry) Platforms() []Platform {
	out := make([]Platform, 0, len(r.fetchers))
	for p := range r.fetchers {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Fetch finds t's fetcher and calls it; a platform with none answers ErrUnsupported as a Fault.
func (r *Registry) Fetch(ctx context.Context, t Target, checkTime time.Time) (Observation, error) {
	f, ok := r.fetchers[t.Platform]
	if !ok {
		return Observation{}, NewFault(ReasonUnsupported, "")
	}
	return f.Fetch(ctx, t, checkTime)
}
