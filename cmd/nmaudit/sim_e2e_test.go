package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nmaudit/nmaudit/platforms/platformsim"
)

// freshInstallEnv points every platform at the simulator the way a fresh install meets the real
// ones: no Weibo cookie (the visitor cookie must be obtained), no BDUSS, and a 公众平台 session
// that logs in but — after 2026-07-30 — is refused every other account's article list.
func freshInstallEnv(t *testing.T, base string) {
	t.Helper()
	for _, p := range []string{"WEIBO", "TIEBA", "WECHAT"} {
		t.Setenv("NMAUDIT_PLATFORMS_"+p+"_RATE", "0")
		t.Setenv("NMAUDIT_PLATFORMS_"+p+"_BACKOFF", "1ms")
		t.Setenv("NMAUDIT_PLATFORMS_"+p+"_RETRIES", "1")
	}
	for _, k := range []string{"WEIBO_BASE_URL", "WEIBO_VISITOR_BASE_URL", "TIEBA_BASE_URL", "TIEBA_WEB_BASE_URL",
		"WECHAT_MP_BASE_URL", "WECHAT_API_BASE_URL", "WECHAT_ARTICLE_BASE_URL"} {
		t.Setenv("NMAUDIT_PLATFORMS_"+k, base)
	}
	t.Setenv("NMAUDIT_PLATFORMS_WECHAT_MP_TOKEN", "608398971")
	t.Setenv("NMAUDIT_PLATFORMS_WECHAT_MP_COOKIE", "slave_sid=SIMSESSION0001")
}

type simRun struct {
	RunID         string `json:"run_id"`
	ReviewReasons []struct {
		Reason, Code, Platform, Hint string
		Count                        int
	} `json:"review_reasons"`
	Accounts []struct {
		Name, Platform, Status, Detail, Source string
		LatestPostAt                           *string `json:"latest_post_at"`
	} `json:"accounts"`
}

// TestCheckOnAFreshInstallAgainstTheSimulator: with nothing configured for Weibo, a check decides
// every Weibo account (one visitor handshake for the run, paging by since_id and by page number
// past posts made after T) and every Tieba account; the 公众平台 closure is detected after three
// accounts, said once on stderr with what still works, and every WeChat account is 待核查 with a
// reason the 检查说明 and review_reasons count, with the fix. A recording of the run replays to
// the same verdicts with no network.
func TestCheckOnAFreshInstallAgainstTheSimulator(t *testing.T) {
	sim := platformsim.Start(platformsim.Options{Seed: 21, Accounts: 30, WeChatClosed: true})
	defer sim.Close()
	freshInstallEnv(t, sim.URL)
	dir := t.TempDir()
	reg := filepath.Join(dir, "registry.xlsx")
	simRegistry(t, reg, sim)
	evidence := filepath.Join(dir, "evidence")
	code, out, errOut := run(t, "", "check", "--registry", reg, "--at", "2022-08-22", "--format", "json", "-q",
		"--concurrency", "1", "--record", evidence)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc simRun
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, a := range sim.Accounts() {
		want[a.Name] = a.Fresh
	}
	closedDetail := 0
	for _, a := range doc.Accounts {
		switch a.Platform {
		case "weibo", "tieba":
			status := "unqualified"
			if want[a.Name] {
				status = "qualified"
			}
			if a.Status != status {
				t.Errorf("%s: %s (%s), want %s", a.Name, a.Status, a.Detail, status)
			}
		case "wechat":
			if a.Status != "needs_review" {
				t.Errorf("%s: %s, want needs_review after the closure", a.Name, a.Status)
			}
			if strings.Contains(a.Detail, "公众平台已停止提供他人账号文章列表") {
				closedDetail++
			}
		}
	}
	if closedDetail != 10-3 {
		t.Errorf("%d WeChat accounts carry the closure reason, want every account after the first three", closedDetail)
	}
	if n := sim.Visitors(); n != 1 {
		t.Errorf("%d visitor handshakes, want one for the run", n)
	}
	if n := strings.Count(errOut, "不再提供他人账号的文章列表"); n != 1 {
		t.Errorf("closure notice printed %d times:\n%s", n, errOut)
	}
	for _, s := range []string{"检查说明", "已判定 20 个账号", "微博接口 10", "贴吧接口 10", "待核查 10 个账号", "nmaudit review"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut)
		}
	}
	found := false
	for _, r := range doc.ReviewReasons {
		if r.Code == "route_closed" && r.Platform == "wechat" && r.Count == 7 && strings.Contains(r.Hint, "nmaudit review") {
			found = true
		}
	}
	if !found {
		t.Errorf("review_reasons = %+v", doc.ReviewReasons)
	}

	// The evidence replays with no network: the same verdicts, the visitor handshake answered
	// from the recording.
	sim.Close()
	code, replayed, errOut := run(t, "", "check", "--registry", reg, "--replay", evidence, "--format", "json", "-q", "--concurrency", "1")
	if code != 0 {
		t.Fatalf("replay: exit %d: %s", code, errOut)
	}
	if a, b := withoutRunID(fetchedAtless(out)), withoutRunID(fetchedAtless(replayed)); a != b {
		t.Errorf("the replay differs from the recorded run:\n%s\n---\n%s", a, b)
	}
}

// fetchedAtless drops the fetched_at lines, which a replay sets anew.
func fetchedAtless(doc string) string {
	var keep []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.Contains(l, `"fetched_at"`) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
