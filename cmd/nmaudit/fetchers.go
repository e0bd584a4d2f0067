package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/config"
	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/tieba"
	"github.com/nmaudit/nmaudit/platforms/wechat"
	"github.com/nmaudit/nmaudit/platforms/weibo"
)

type fetchOptions struct {
	Record    string
	Replay    string
	Now       func() time.Time
	Window    time.Duration
	CheckTime time.Time // written into a recording, so its replay checks the same moment
	// Resume continues the recording in Record (check --resume of a --record run) instead of
	// refusing a folder that already holds one.
	Resume bool
	// Notice prints a notice that concerns the whole run (a route that stopped, a cookie that
	// could not be obtained) as it happens.
	Notice func(string)
	// Fail is called with the first failure to write evidence: the run must stop (exit 1,
	// unfinished, resumable) rather than turn it into platform faults.
	Fail func(error)
	// Transport replaces the network (tests); nil = a tuned clone of http.DefaultTransport.
	Transport http.RoundTripper
	// Workers is the number of parallel fetches per platform, which sizes the connection pool.
	Workers int
	// Pacer, when set, gives each platform's pacer instead of a new one: a worker builds
	// fetchers for each window its runs use, and they must share one rate limit per platform.
	Pacer func(platform platforms.Platform, l platforms.Limits) *platforms.Pacer
}

// fetchers is the explicit wiring of every platform adapter: the one place that decides which
// adapters exist, with which config, transport, pacing and redaction.
type fetchers struct {
	Registry *platforms.Registry
	Redactor *platforms.Redactor
	closers  []func() error
}

// Close flushes the evidence recording, if any.
func (f *fetchers) Close() error {
	var errs []error
	for _, c := range f.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// Recording metadata keys. A replay must reproduce the recorded verdicts, so it reuses what
// the recorded run depended on besides the exchanges themselves.
const (
	metaCheckTime   = "check_time"
	metaWindow      = "window"
	metaStartedAt   = "started_at"
	metaCredentials = "credentials" // which credentials were configured (never their values)
	// metaRetries is each platform's retry budget ("weibo=3,tieba=3,wechat=3"): a replay makes
	// exactly the attempts the recording made, so a recorded run of retried 200013s replays to
	// the same answers instead of asking once more than was recorded.
	metaRetries = "retries"
)

// weiboVisitorCredential marks, in metaCredentials, a run whose Weibo requests carried a
// visitor cookie obtained by the handshake (recorded too): its replay makes the handshake again,
// answered from the recording. A recording without it made none, and its replay makes none.
const weiboVisitorCredential = "weibo.visitor"

func buildFetchers(cfg *config.Config, opts fetchOptions) (*fetchers, error) {
	pc := cfg.Platforms
	secrets := []platforms.Secret{pc.Weibo.Cookie, pc.Tieba.BDUSS, pc.WeChat.MPToken, pc.WeChat.MPCookie}
	for _, app := range pc.WeChat.Apps {
		secrets = append(secrets, app.AppSecret)
	}
	red := platforms.NewRedactor(secrets...)
	f := &fetchers{Registry: platforms.NewRegistry(), Redactor: red}

	transport := opts.Transport
	if transport == nil {
		transport = platforms.Transport(max(opts.Workers, cfg.Concurrency))
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	replaying := opts.Replay != ""
	switch {
	case replaying:
		rp, err := platforms.NewReplayer(opts.Replay, red)
		if err != nil {
			return nil, usageErrorf("--replay %s: %v", opts.Replay, err)
		}
		transport = rp
		meta := rp.Meta()
		// The recorded run's clock: WeChat's getarticletotal asks days up to "yesterday".
		if t, err := time.Parse(time.RFC3339, meta[metaStartedAt]); err == nil {
			now = func() time.Time { return t }
		}
		// Replayed requests are matched with secrets redacted, so a credential that was
		// configured when recording only needs to be present, not real.
		pc = withPlaceholderCredentials(pc, meta[metaCredentials])
		pc = withRecordedRetries(pc, meta[metaRetries])
	case opts.Record != "":
		var rec *platforms.Recorder
		var err error
		if opts.Resume {
			rec, err = platforms.ResumeRecorder(opts.Record, transport, red)
		} else {
			rec, err = platforms.NewRecorder(opts.Record, transport, red)
		}
		if err != nil {
			return nil, usageErrorf("--record %s: %v", opts.Record, err)
		}
		rec.OnFail = opts.Fail
		if !opts.Resume || len(rec.Meta()) == 0 {
			for k, v := range map[string]string{
				metaCheckTime:   opts.CheckTime.Format(time.RFC3339),
				metaWindow:      (audit.Window{D: opts.Window}).String(),
				metaStartedAt:   now().Format(time.RFC3339),
				metaCredentials: strings.Join(configuredCredentials(pc), ","),
				metaRetries: fmt.Sprintf("weibo=%d,tieba=%d,wechat=%d", pc.Weibo.Retries, pc.Tieba.Retries,
					pc.WeChat.Retries),
			} {
				if err := rec.SetMeta(k, v); err != nil {
					return nil, fmt.Errorf("--record %s: %w", opts.Record, err)
				}
			}
		}
		transport = rec
		f.closers = append(f.closers, rec.Close)
	}
	// One cap on every body, after decompression, whatever the transport (live, recording,
	// replay): a server cannot decide how much memory a run takes.
	client := &http.Client{Transport: platforms.LimitBodies(transport, platforms.MaxBody)}
	deps := func(name platforms.Platform, l platforms.Limits) platforms.Deps {
		// Replayed answers come from disk: no rate limit and no waiting between retries (a
		// recorded 418 is still followed by its recorded retry).
		if replaying {
			l.Rate = 0
		}
		p := platforms.NewPacer(l)
		if opts.Pacer != nil && !replaying {
			p = opts.Pacer(name, l)
		}
		if replaying {
			p.Sleep = func(context.Context, time.Duration) error { return nil }
		}
		return platforms.Deps{Client: client, Pacer: p, Redactor: red, Now: now, Notice: opts.Notice}
	}

	wbcfg := pc.Weibo
	wbcfg.CountReposts = cfg.CountReposts
	wb, err := weibo.New(wbcfg, deps(platforms.Weibo, wbcfg.Limits))
	if err != nil {
		return nil, cfg.Errorf("platforms.weibo", "%s", strings.TrimPrefix(err.Error(), "weibo: "))
	}
	f.Registry.Register(platforms.Weibo, wb)

	tb, err := tieba.New(pc.Tieba, deps(platforms.Tieba, pc.Tieba.Limits))
	if err != nil {
		return nil, cfg.Errorf("platforms.tieba", "%s", strings.TrimPrefix(err.Error(), "tieba: "))
	}
	f.Registry.Register(platforms.Tieba, tb)

	wcfg := pc.WeChat
	wcfg.Window = opts.Window
	wc, err := wechat.New(wcfg, deps(platforms.WeChat, wcfg.Limits))
	if err != nil {
		return nil, cfg.Errorf("platforms.wechat", "%s", strings.TrimPrefix(err.Error(), "wechat: "))
	}
	f.Registry.Register(platforms.WeChat, wc)
	return f, nil
}

// configuredCredentials names the credentials that are set (for the recording's metadata).
func configuredCredentials(pc config.Platforms) []string {
	var out []string
	add := func(name string, s platforms.Secret) {
		if s != "" {
			out = append(out, name)
		}
	}
	add("weibo.cookie", pc.Weibo.Cookie)
	if pc.Weibo.Cookie == "" && pc.Weibo.Visitor {
		out = append(out, weiboVisitorCredential)
	}
	add("tieba.bduss", pc.Tieba.BDUSS)
	add("wechat.mp_token", pc.WeChat.MPToken)
	add("wechat.mp_cookie", pc.WeChat.MPCookie)
	for _, app := range pc.WeChat.Apps {
		add("wechat.app:"+app.Account, app.AppSecret)
	}
	return out
}

// withPlaceholderCredentials fills every credential the recording had configured, but the
// current config lacks, with a placeholder, so adapters take the same routes they took when
// recording (a secret is never needed on replay: it was redacted from the recording). The Weibo
// visitor handshake is made on replay exactly when the recording made one.
func withPlaceholderCredentials(pc config.Platforms, recorded string) config.Platforms {
	had := map[string]bool{}
	for _, name := range strings.Split(recorded, ",") {
		had[name] = true
	}
	fill := func(name string, s *platforms.Secret) {
		if had[name] && *s == "" {
			*s = platforms.Redacted
		}
	}
	fill("weibo.cookie", &pc.Weibo.Cookie)
	pc.Weibo.Visitor = had[weiboVisitorCredential] && !had["weibo.cookie"]
	fill("tieba.bduss", &pc.Tieba.BDUSS)
	fill("wechat.mp_token", &pc.WeChat.MPToken)
	fill("wechat.mp_cookie", &pc.WeChat.MPCookie)
	apps := append([]wechat.App(nil), pc.WeChat.Apps...)
	for i := range apps {
		fill("wechat.app:"+apps[i].Account, &apps[i].AppSecret)
	}
	pc.WeChat.Apps = apps
	return pc
}

// withRecordedRetries applies the retry budgets a recording was made with.
func withRecordedRetries(pc config.Platforms, recorded string) config.Platforms {
	for _, part := range strings.Split(recorded, ",") {
		name, val, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(val)
		if !ok || err != nil || n < 0 {
			continue
		}
		switch name {
		case "weibo":
			pc.Weibo.Retries = n
		case "tieba":
			pc.Tieba.Retries = n
		case "wechat":
			pc.WeChat.Retries = n
		}
	}
	return pc
}

// replayMeta reads a recording's metadata before the run starts (its check time and window
// become the run's defaults).
func replayMeta(dir string) (map[string]string, error) {
	ix, err := platforms.ReadIndex(dir)
	if err != nil {
		return nil, usageErrorf("--replay %s: 不是证据记录文件夹（%v）", dir, err)
	}
	return ix.Meta, nil
}
