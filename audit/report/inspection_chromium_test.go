package report

import (
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

// chromium finds a Chromium to render with: $NMAUDIT_CHROMIUM, else Debian's /usr/bin/chromium,
// else chromium or chromium-browser on the PATH. The test that needs it is skipped without
// one (CI machines do not have it unless `make report-check` installs it).
func chromium() string {
	if p := os.Getenv("NMAUDIT_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// runChromium runs headless Chromium with no network, no profile, no first-run or background
// traffic, and returns its stdout.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--hide-scrollbars", "--force-device-scale-factor=1", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, args, err, stderr.String())
	}
	return out
}

// TestInspectionHTMLInChromium opens the HTML report in headless Chromium from a file:// URL
// and checks that the charts drew: the bars are SVG rect elements in the browser's DOM with
// their widths, and the screenshot shows the bars' colours over a real area of the page.
// NMAUDIT_REPORT_OUT=DIR keeps the page and the screenshot there for a person to look at;
// NMAUDIT_REQUIRE_CHROMIUM=1 (make report-check) fails instead of skipping without Chromium.
func TestInspectionHTMLInChromium(t *testing.T) {
	bin := chromium()
	if bin == "" {
		if os.Getenv("NMAUDIT_REQUIRE_CHROMIUM") != "" {
			t.Fatal("NMAUDIT_REQUIRE_CHROMIUM is set but no chromium was found")
		}
		t.Skip("chromium not installed (apt-get install chromium, or make report-check)")
	}
	dir := t.TempDir()
	if out := os.Getenv("NMAUDIT_REPORT_OUT"); out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		dir = out
	}
	r := seedSample(t, 14*24*time.Hour)
	// Give the county level a weak rate (39 of 69) so both bar colours are drawn.
	for i := 97; i < 127; i++ {
		r.Accounts[i].Status = audit.Unqualified
		r.Accounts[i].Problems = []string{"监测时间点前2周内无更新"}
	}
	r.Summarize(audit.Params{CheckTime: r.CheckTime, Window: r.Window})
	page := filepath.Join(dir, "inspection.html")
	if err := os.WriteFile(page, renderInspection(t, "html", r, InspectionOptions{}), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page

	// The DOM as the browser built it: two svg charts holding the bars, as wide as their pass
	// rates (the one 百度贴吧 account failed: 0%, no bar).
	dom := string(runChromium(t, bin, "--dump-dom", url))
	svgs := regexp.MustCompile(`(?s)<svg class="chart".*?</svg>`).FindAllString(dom, -1)
	if len(svgs) != 2 {
		t.Fatalf("DOM has %d charts, want 2", len(svgs))
	}
	barRe := regexp.MustCompile(`<rect class="bar"[^>]* width="([0-9.]+)"[^>]* data-rate="([0-9.]+)"`)
	for i, svg := range svgs {
		bars := barRe.FindAllStringSubmatch(svg, -1)
		if len(bars) != []int{4, 3}[i] {
			t.Errorf("chart %d has %d bars in the DOM", i+1, len(bars))
		}
		for _, b := range bars {
			w, _ := strconv.ParseFloat(b[1], 64)
			rate, _ := strconv.ParseFloat(b[2], 64)
			if (rate > 0) != (w > 0) {
				t.Errorf("chart %d: bar width %s for pass rate %s", i+1, b[1], b[2])
			}
		}
	}

	// The pixels: the screenshot is not blank, and the bars' navy and red cover an area the
	// size of the bars, inside the page column.
	shot := filepath.Join(dir, "inspection.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2400", url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	navy, red, ink := 0, 0, 0
	box := image.Rectangle{Min: img.Bounds().Max, Max: img.Bounds().Min}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			r, g, b = r>>8, g>>8, b>>8
			switch {
			case near(r, g, b, 0x1f, 0x4e, 0x79):
				navy++
			case near(r, g, b, 0xc0, 0x00, 0x00):
				red++
			default:
				if r+g+b < 3*128 {
					ink++
				}
				continue
			}
			box = box.Union(image.Rect(x, y, x+1, y+1))
		}
	}
	// A bar is 310×20 px at 100%. Navy: three levels and one platform at 96–100%; red: the
	// county level and Weibo at 56%.
	if navy < 4*280*20 || red < 2*150*20 {
		t.Errorf("bars not drawn: %d navy and %d red pixels", navy, red)
	}
	if ink < 5000 {
		t.Errorf("page looks blank: %d dark pixels", ink)
	}
	if box.Min.X < 200 || box.Max.X > 1080 {
		t.Errorf("bars drawn outside the page column: %v", box)
	}
}

func near(r, g, b, R, G, B uint32) bool {
	d := func(a, b uint32) uint32 {
		if a > b {
			return a - b
		}
		return b - a
	}
	return d(r, R) <= 12 && d(g, G) <= 12 && d(b, B) <= 12
}
