package names

import "testing"

func TestNormalize(t *testing.T) {
	same := [][2]string{
		{"漢中公安", "汉中公安"},
		{"「汉中发布」", "汉中发布"},
		{"“汉中发布”", "汉中发布"},
		{" 汉中 发布 ", "汉中发布"},
		{"汉中　发布", "汉中发布"},
		{"ＨＺ发布", "HZ发布"},
		{"漢中網警巡查執法", "汉中网警巡查执法"},
		{"漢中秦巴生態保護", "汉中秦巴生态保护"},
		{"'汉中发布'", "汉中发布"},
	}
	for _, p := range same {
		if a, b := Normalize(p[0]), Normalize(p[1]); a != b {
			t.Errorf("Normalize(%q) = %q, Normalize(%q) = %q; want equal", p[0], a, p[1], b)
		}
	}
	if Normalize("汉中发布") == Normalize("汉中发布厅") {
		t.Errorf("different names must stay different")
	}
}

func TestCompact(t *testing.T) {
	if got := Compact(" ＊账号 名称 "); got != "*账号名称" {
		t.Errorf("Compact = %q", got)
	}
}
