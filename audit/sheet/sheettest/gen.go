package sheettest

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// The vocabulary of the generated registry: Shaanxi cities and counties, the departments and
// towns that run accounts, and the naming habits of real accounts (汉中公安, 城固发布, …).

type place struct{ full, short string }

type city struct {
	place
	counties []place
}

var cities = []city{
	{place{"汉中市", "汉中"}, []place{
		{"汉台区", "汉台"}, {"南郑区", "南郑"}, {"城固县", "城固"}, {"洋县", "洋县"}, {"西乡县", "西乡"},
		{"勉县", "勉县"}, {"宁强县", "宁强"}, {"略阳县", "略阳"}, {"镇巴县", "镇巴"}, {"留坝县", "留坝"}, {"佛坪县", "佛坪"},
	}},
	{place{"安康市", "安康"}, []place{{"汉滨区", "汉滨"}, {"旬阳市", "旬阳"}, {"紫阳县", "紫阳"}, {"石泉县", "石泉"}, {"平利县", "平利"}}},
	{place{"宝鸡市", "宝鸡"}, []place{{"渭滨区", "渭滨"}, {"金台区", "金台"}, {"陈仓区", "陈仓"}, {"凤翔区", "凤翔"}, {"岐山县", "岐山"}}},
	{place{"商洛市", "商洛"}, []place{{"商州区", "商州"}, {"洛南县", "洛南"}, {"丹凤县", "丹凤"}, {"山阳县", "山阳"}}},
}

type dept struct{ city, county, short string }

var depts = []dept{
	{"公安局", "公安局", "公安"}, {"教育局", "教育局", "教育"}, {"卫生健康委员会", "卫生健康局", "健康"},
	{"市场监督管理局", "市场监督管理局", "市场监管"}, {"生态环境局", "生态环境分局", "生态环境"},
	{"交通运输局", "交通运输局", "交通"}, {"人力资源和社会保障局", "人力资源和社会保障局", "人社"},
	{"文化和旅游局", "文化和旅游局", "文旅"}, {"应急管理局", "应急管理局", "应急"}, {"民政局", "民政局", "民政"},
	{"司法局", "司法局", "司法"}, {"住房和城乡建设局", "住房和城乡建设局", "住建"}, {"农业农村局", "农业农村局", "农业农村"},
	{"自然资源局", "自然资源局", "自然资源"}, {"退役军人事务局", "退役军人事务局", "退役军人"}, {"医疗保障局", "医疗保障局", "医保"},
	{"融媒体中心", "融媒体中心", "融媒"}, {"消防救援支队", "消防救援大队", "消防"}, {"气象局", "气象局", "气象"},
	{"妇女联合会", "妇女联合会", "女性"}, {"共青团委员会", "共青团委员会", "青年"}, {"税务局", "税务局", "税务"},
}

var towns = []string{
	"华阳", "龙亭", "柳林", "桔园", "上元观", "二里", "周家坪", "老庄", "黄官", "协税", "大河坎", "武乡",
	"沙河", "堰口", "石门", "槐树关", "黄家营", "阳春", "代家坝", "铺镇", "宗营", "河东店", "胡家营", "新街子",
}

var streets = []string{"北关", "东大街", "汉中路", "龙江", "鑫源", "中山街", "七里", "博望", "城关"}

var suffixes = []string{"", "", "", "发布", "在线", "微讯", "之声", "政务"}

type weighted struct {
	label  string
	weight int
}

var (
	levels = []weighted{{"市级政府", 5}, {"县(区)政府", 10}, {"市级部门", 35}, {"县(区)部门及镇(街道)", 50}}
	types  = []weighted{{"微信订阅号", 35}, {"微信服务号", 10}, {"新浪微博", 25}, {"其他+百度贴吧", 8}, {"抖音", 15}, {"今日头条", 7}}
	states = []weighted{{"正常运行", 88}, {"注销中", 5}, {"已注销", 7}}
)

func pick(r *rand.Rand, ws []weighted) string {
	total := 0
	for _, w := range ws {
		total += w.weight
	}
	n := r.IntN(total)
	for _, w := range ws {
		if n < w.weight {
			return w.label
		}
		n -= w.weight
	}
	return ws[len(ws)-1].label
}

// gen produces registry rows. Names are unique per platform (a duplicate is something the
// registry import must report, so a generated file has none by accident).
type gen struct {
	r    *rand.Rand
	seen map[string]int
}

func newGen(seed uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, 0x9E3779B97F4A7C15)), seen: map[string]int{}}
}

// injective maps i to a distinct value below m: 2654435761 is prime and divides no m used here.
func injective(i int, m uint64) uint64 { return uint64(i) * 2654435761 % m }

// row returns row i (1-based) with the columns of RegistryHeader.
func (g *gen) row(i int) []string {
	r := g.r
	c := cities[0]
	if r.IntN(4) == 0 { // most accounts are Hanzhong's, as in the seed report
		c = cities[1+r.IntN(len(cities)-1)]
	}
	county := c.counties[r.IntN(len(c.counties))]
	level := pick(r, levels)
	suffix := suffixes[r.IntN(len(suffixes))]
	var name, owner, supervisor, region string
	switch level {
	case "市级政府":
		region = c.full
		owner = c.full + []string{"人民政府", "人民政府办公室"}[r.IntN(2)]
		supervisor = c.full + "人民政府办公室"
		name = c.short + []string{"发布", "政务", "微讯", "在线"}[r.IntN(4)]
	case "县(区)政府":
		region = county.full
		owner = county.full + "人民政府"
		supervisor = county.full + "人民政府办公室"
		name = county.short + []string{"发布", "政务", "之声", "微讯"}[r.IntN(4)]
	case "市级部门":
		d := depts[r.IntN(len(depts))]
		region = c.full
		owner = c.full + d.city
		supervisor = owner
		name = c.short + d.short + suffix
	default:
		region = county.full
		supervisor = county.full + "人民政府"
		switch r.IntN(3) {
		case 0:
			t := towns[r.IntN(len(towns))]
			owner = county.full + t + "镇人民政府"
			name = county.short + t + suffix
		case 1:
			s := streets[r.IntN(len(streets))]
			owner = county.full + s + "街道办事处"
			name = s + "街道" + suffix
		default:
			d := depts[r.IntN(len(depts))]
			owner = county.full + d.county
			supervisor = owner
			name = county.short + d.short + suffix
		}
	}
	typ := pick(r, types)
	class := typ
	if typ == "微信订阅号" || typ == "微信服务号" {
		class = "wechat"
	}
	key := class + "\x00" + name
	if n := g.seen[key]; n > 0 {
		g.seen[key] = n + 1
		name += strconv.Itoa(n + 1)
	} else {
		g.seen[key] = 1
	}
	var id string
	switch class {
	case "wechat":
		switch v := r.IntN(20); {
		case v < 17: // __biz / fakeid: base64 of a decimal number, e.g. MzA5NjYxMjQ0Mg==
			id = base64.StdEncoding.EncodeToString([]byte(strconv.FormatUint(3000000000+injective(i, 1e9), 10)))
		case v < 19:
			id = fmt.Sprintf("gh_%012x", injective(i, 1<<48))
		default: // empty: resolved by name
		}
	case "新浪微博":
		id = strconv.FormatUint(1000000000+injective(i, 8e9), 10)
		if r.IntN(5) == 0 {
			id = "https://weibo.com/u/" + id
		}
	case "其他+百度贴吧":
		switch r.IntN(3) {
		case 0:
			id = name
		case 1:
			id = "https://tieba.baidu.com/home/main?un=" + name
		default:
			id = "https://tieba.baidu.com/f?kw=" + name
		}
	case "抖音":
		id = fmt.Sprintf("dy%09d", injective(i, 1e9))
	case "今日头条":
		id = strconv.FormatUint(50000000000+injective(i, 4e10), 10)
	}
	return []string{strconv.Itoa(i), name, typ, owner, supervisor, region, level, id, pick(r, states)}
}
