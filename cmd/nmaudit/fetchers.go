package main

import (
	"errors"
	"net/http"
	"time"

	"github.com/nmaudit/nmaudit/config"
	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/tieba"
	"github.com/nmaudit/nmaudit/platforms/wechat"
	"github.com/nmaudit/nmaudit/platforms/weibo"
)

type fetchOptions struct {
	Record string
	Replay string
	Now    func() time.Time
	Window time.Duration
	// Transport replaces the network (tests); nil = http.DefaultTransport.
	Transport http.RoundTripper
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
		transport = http.DefaultTransport
	}
	switch {
	case opts.Replay != "":
		rp, err := platforms.NewReplayer(opts.Replay, red)
		if err != nil {
			return nil, usageErrorf("--replay %s: %v", opts.Replay, err)
		}
		transport = rp
	case opts.Record != "":
		rec, err := platforms.NewRecorder(opts.Record, transport, red)
		if err != nil {
			return nil, usageErrorf("--record %s: %v", opts.Record, err)
		}
		transport = rec
		f.closers = append(f.closers, rec.Close)
	}
	client := &http.Client{Transport: transport}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	deps := func(l platforms.Limits) platforms.Deps {
		return platforms.Deps{Client: client, Pacer: platforms.NewPacer(l), Redactor: red, Now: now}
	}

	wb, err := weibo.New(pc.Weibo, deps(pc.Weibo.Limits))
	if err != nil {
		return nil, &config.Error{File: cfg.File, Key: "platforms.weibo", Msg: err.Error()}
	}
	f.Registry.Register(platforms.Weibo, wb)

	tb, err := tieba.New(pc.Tieba, deps(pc.Tieba.Limits))
	if err != nil {
		return nil, &config.Error{File: cfg.File, Key: "platforms.tieba", Msg: err.Error()}
	}
	f.Registry.Register(platforms.Tieba, tb)

	wcfg := pc.WeChat
	wcfg.Window = opts.Window
	wc, err := wechat.New(wcfg, deps(wcfg.Limits))
	if err != nil {
		return nil, &config.Error{File: cfg.File, Key: "platforms.wechat", Msg: err.Error()}
	}
	f.Registry.Register(platforms.WeChat, wc)
	return f, nil
}
