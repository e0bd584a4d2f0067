package names

import (
	"testing"
)

// TestFoldAgreesWithOpenCC checks the fast path against OpenCC on names mixing scripts, so the
// skip can never change a result.
func TestFoldAgreesWithOpenCC(t *testing.T) {
	cc, err := t2s()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"漢中網警巡查執法", "汉中网警巡查执法", "汉中發布", "臺灣", "汉中公安", "ABC", "乾坤", "後來", "汉中市人民政府辦公室"} {
		want, _ := cc.Convert(s)
		if got := foldTraditional(s); got != want {
			t.Errorf("foldTraditional(%q) = %q, OpenCC says %q", s, got, want)
		}
	}
	if set := tradChars(); len(set) < 2000 || !set['漢'] || set['汉'] {
		t.Errorf("traditional set looks wrong: %d chars", len(set))
	}
}

func BenchmarkNormalizeSimplified(b *testing.B) {
	for b.Loop() {
		Normalize("汉台区北关街道办事处政务001")
	}
}
