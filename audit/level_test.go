package audit

import (
	"strings"
	"testing"
)

// levelCases are real-shaped owner names (开设主体) from Shaanxi registries and notices, with
// the stratum an inspection office files them under. The comments mark the names that fool a
// naive rule ("contains 镇 → town", "starts with 汉中市 → city", "contains 区 → district").
var levelCases = []struct {
	owner, want string
}{
	// 市级政府
	{"汉中市人民政府", LevelCityGov},
	{"汉中市人民政府办公室", LevelCityGov},
	{"汉中市人民政府办公室（汉中市政务公开办公室）", LevelCityGov}, // trailing note in full-width parentheses
	{"安康市人民政府", LevelCityGov},
	{"汉中市", LevelCityGov},
	{"陕西省汉中市人民政府", LevelCityGov}, // province prefix read past
	// 县(区)政府
	{"留坝县人民政府", LevelCountyGov},
	{"汉中市汉台区人民政府", LevelCountyGov}, // a district government whose name starts with the city
	{"南郑区人民政府办公室", LevelCountyGov},
	{"勉县人民政府", LevelCountyGov},  // one-character county name
	{"镇巴县人民政府", LevelCountyGov}, // a county whose name contains 镇
	{"镇巴县", LevelCountyGov},
	{"西乡县", LevelCountyGov}, // a county whose name contains 乡
	{"西乡县人民政府", LevelCountyGov},
	{"宁强县人民政府办公室", LevelCountyGov},
	{"汉中市洋县人民政府", LevelCountyGov},
	{"安康市旬阳市人民政府", LevelCountyGov},  // a county-level city under its prefecture
	{"上海市浦东新区人民政府", LevelCountyGov}, // a 新区 with its own government is a district
	// 市级部门
	{"汉中市城市管理局", LevelCityDept}, // 城市 is not a city
	{"汉中市公安局", LevelCityDept},
	{"汉中市公安局网安支队", LevelCityDept},  // sub-unit of a city department
	{"汉中市公安局直属分局", LevelCityDept},  // a branch serving the whole city
	{"汉中市住房和城乡建设局", LevelCityDept}, // 城乡 is not a township
	{"汉中市市场监督管理局", LevelCityDept},  // 市场 after 市
	{"汉中市乡村振兴局", LevelCityDept},    // 乡村 is not a township
	{"汉中市人民政府研究室", LevelCityDept},  // starts like a government, is a department
	{"汉中市人民防空办公室", LevelCityDept},
	{"汉中市中心医院", LevelCityDept},
	{"汉中市融媒体中心", LevelCityDept},
	{"汉中市卫生健康委员会", LevelCityDept},
	{"汉中经济技术开发区管理委员会", LevelCityDept}, // the city's dispatched agency, not a district
	{"汉中市兴汉新区管理委员会", LevelCityDept},
	{"中共汉中市委宣传部", LevelCityDept}, // party prefix read past
	{"共青团汉中市委员会", LevelCityDept},
	{"国家税务总局汉中市税务局", LevelCityDept}, // vertical management, levelled by place
	{"汉中市社区矫正管理局", LevelCityDept},   // 社区 is not a district
	// 县(区)部门及镇(街道)
	{"汉中市南郑区教育体育局", LevelCountyDept}, // district department with the city prefix
	{"汉中市公安局汉台分局", LevelCountyDept},  // district branch of a city department
	{"汉中市生态环境局洋县分局", LevelCountyDept},
	{"城固县博望街道办事处", LevelCountyDept},
	{"宁强县汉源街道办事处", LevelCountyDept},
	{"勉县武侯镇人民政府", LevelCountyDept},
	{"武侯镇人民政府", LevelCountyDept}, // a town written without its county
	{"汉台区北关街道办事处", LevelCountyDept},
	{"洋县人民医院", LevelCountyDept},    // a county institution
	{"城固县城市管理局", LevelCountyDept},  // 城固县城 + 市 is not a city
	{"勉县市场监督管理局", LevelCountyDept}, // 勉县 + 市场 is not a city
	{"西乡县乡村振兴局", LevelCountyDept},  // 乡村 after a county with 乡
	{"镇巴县教育体育局", LevelCountyDept},  // county with 镇, department
	{"西乡县沙河镇人民政府", LevelCountyDept},
	{"镇巴县渔渡镇人民政府", LevelCountyDept},
	{"略阳县融媒体中心", LevelCountyDept},
	{"国家税务总局城固县税务局", LevelCountyDept},
	{"中共佛坪县委", LevelCountyDept},
	{"汉台区铺镇人民政府", LevelCountyDept}, // one-character town name
	{"紫阳县城关镇", LevelCountyDept},
	{"汉中市汉台区龙江街道办事处", LevelCountyDept},
	{"汉滨区卫生健康局", LevelCountyDept},
	{"城固县经济开发区管理委员会", LevelCountyDept}, // a county's zone
	{"南郑区汉山工业园区管委会", LevelCountyDept},
	// No stratum: provincial units, and names that say nothing about their level.
	{"陕西省公安厅", ""},
	{"陕西省人民政府办公厅", ""},
	{"陕西省西咸新区管理委员会", ""},
	{"汉江水利水电集团", ""},
	{"宁夏回族自治区人民政府", ""},
	{"紫阳县", LevelCountyGov},
	{"镇坪县曾家镇", LevelCountyDept},
	{"积石山保安族东乡族撒拉族自治县人民政府", LevelCountyGov}, // an autonomous county's long name
}

func TestInferLevel(t *testing.T) {
	if len(levelCases) < 40 {
		t.Fatalf("only %d names", len(levelCases))
	}
	for _, c := range levelCases {
		got, note := InferLevel(c.owner)
		if got != c.want {
			t.Errorf("InferLevel(%q) = %q (%s), want %q", c.owner, got, note, c.want)
		}
		if (got == "") != (note != "") {
			t.Errorf("InferLevel(%q) = %q with note %q: a note exactly when there is no level", c.owner, got, note)
		}
	}
}

func TestInferLevelNotes(t *testing.T) {
	if _, note := InferLevel("陕西省公安厅"); note != LevelNoteProvincial {
		t.Errorf("provincial note = %q", note)
	}
	if _, note := InferLevel("某某协会"); note != LevelNoteUnknown {
		t.Errorf("unknown note = %q", note)
	}
	// Spaces and full-width characters do not change the answer.
	if got, _ := InferLevel(" 汉中市 汉台区　人民政府 "); got != LevelCountyGov {
		t.Errorf("spaced name = %q", got)
	}
}

func TestLevelResolverOrder(t *testing.T) {
	lr, err := NewLevelResolver(map[string]string{
		"汉中经济技术开发区管理委员会": "县区政府", // an alias is accepted as the value
		"旬阳市人民政府":        LevelCountyGov,
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		level, owner string
		want         string
		ok           bool
	}{
		// The override wins over inference and over the registry's column.
		{"", "汉中经济技术开发区管理委员会", LevelCountyGov, true},
		{"市级部门", "汉中经济技术开发区管理委员会", LevelCountyGov, true},
		{"", " 旬阳市人民政府 ", LevelCountyGov, true}, // names are compared normalised
		// The registry's value, through its aliases, wins over inference.
		{"市直部门", "汉中市汉台区人民政府", LevelCityDept, true},
		{"县级部门", "汉中市公安局", LevelCountyDept, true},
		// Empty or unknown wording: inference.
		{"", "汉中市汉台区人民政府", LevelCountyGov, true},
		{"开发区", "汉中市兴汉新区管理委员会", LevelCityDept, true},
		// Nothing applies: the value as written, not ok.
		{"省级", "陕西省公安厅", "省级", false},
		{"", "陕西省公安厅", "", false},
	}
	for _, c := range cases {
		got, ok, note := lr.Resolve(Account{Level: c.level, Owner: c.owner})
		if got != c.want || ok != c.ok {
			t.Errorf("Resolve(%q, %q) = %q, %v (%s); want %q, %v", c.level, c.owner, got, ok, note, c.want, c.ok)
		}
	}
	var zero *LevelResolver
	if got, ok, _ := zero.Resolve(Account{Owner: "留坝县人民政府"}); !ok || got != LevelCountyGov {
		t.Errorf("nil resolver: %q %v", got, ok)
	}
}

func TestLevelResolverRejectsUnknownLevel(t *testing.T) {
	_, err := NewLevelResolver(map[string]string{"汉中市公安局": "市级部门", "陕西省公安厅": "省级"})
	if err == nil || !strings.Contains(err.Error(), "陕西省公安厅") || !strings.Contains(err.Error(), "省级") {
		t.Errorf("err = %v", err)
	}
}

func TestLevelGroupIsTheResolverWithAName(t *testing.T) {
	lr, err := NewLevelResolver(map[string]string{"汉中经济技术开发区管理委员会": "县区政府"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		a         Account
		level     string
		canonical bool
	}{
		{Account{Owner: "汉中市公安局"}, LevelCityDept, true},                // no 层级: inferred
		{Account{Owner: "汉中市公安局", Level: "市直部门"}, LevelCityDept, true}, // alias
		{Account{Owner: "汉中经济技术开发区管理委员会"}, LevelCountyGov, true},       // override
		{Account{Owner: "陕西省公安厅", Level: "省级部门"}, "省级部门", false},       // kept as written
		{Account{Owner: "陕西省公安厅"}, LevelUndetermined, false},           // nothing to go on
		{Account{Owner: "某某合作社"}, LevelUndetermined, false},
	}
	for _, c := range cases {
		l, ok := lr.Group(c.a)
		if l != c.level || ok != c.canonical {
			t.Errorf("Group(%s/%q) = %q %v, want %q %v", c.a.Owner, c.a.Level, l, ok, c.level, c.canonical)
		}
	}
	var none *LevelResolver
	if l, ok := none.Group(Account{Owner: "洋县人民政府"}); l != LevelCountyGov || !ok {
		t.Errorf("nil resolver must still infer: %q %v", l, ok)
	}
	if _, err := NewLevelResolver(map[string]string{"某局": "省级"}); err == nil || !strings.Contains(err.Error(), "某局") || !strings.Contains(err.Error(), "省级") {
		t.Errorf("bad override: %v", err)
	}
}
