//go:build ignore

// gen writes the bundled demo: a synthetic district registry in the shape of the national
// registry export, and the observations and findings an inspector would make by hand. The
// account names follow the seed report (汉中市, 2022 Q3); ids are made up.
//
//	go run testdata/demo/gen.go
package main

import (
	"fmt"
	"log"

	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

type acct struct {
	name, typ, owner, region, level, id, status string
	latest                                      string // observation; "" = none
}

func main() {
	accts := []acct{
		{"汉中发布", "微信公众号", "汉中市人民政府办公室", "汉中市", "市级政府", "MzA5NjYxMjQ0Mg==", "正常运行", "2022-08-21 18:30"},
		{"汉中市人民政府", "新浪微博", "汉中市人民政府办公室", "汉中市", "市级政府", "https://weibo.com/u/2612345601", "正常运行", "2022-08-21 09:12"},
		{"汉台发布", "微信订阅号", "汉台区人民政府办公室", "汉台区", "县(区)政府", "MzI0NTAwMDAwMQ==", "正常运行", "2022-08-20 17:05"},
		{"南郑发布", "微信订阅号", "南郑区人民政府办公室", "南郑区", "县(区)政府", "MzI0NTAwMDAwMg==", "正常运行", "2022-08-19"},
		{"城固发布", "新浪微博", "城固县人民政府办公室", "城固县", "县(区)政府", "2612345602", "正常运行", "2022-08-12 10:00"},
		{"洋县发布", "微信公众号", "洋县人民政府办公室", "洋县", "县(区)政府", "MzI0NTAwMDAwMw==", "正常运行", "2022-08-18 20:40"},
		{"西乡发布", "微信公众号", "西乡县人民政府办公室", "西乡县", "县(区)政府", "MzI0NTAwMDAwNA==", "正常运行", "2022-08-16 08:00"},
		{"勉县发布", "今日头条", "勉县人民政府办公室", "勉县", "县(区)政府", "", "正常运行", "2022-08-15 11:20"},
		{"汉中公安", "新浪微博", "汉中市公安局", "汉中市", "市级部门", "https://weibo.com/u/2612345603", "正常运行", "2022-07-30 18:02:11"},
		{"汉中秦巴生态保护", "微信订阅号", "汉中市林业局", "汉中市", "市级部门", "MzI0NTAwMDAwNQ==", "正常运行", "2022-07-26"},
		{"汉中网警巡查执法", "其他+百度贴吧", "汉中市公安局网安支队", "汉中市", "市级部门", "https://tieba.baidu.com/home/main?un=%E6%B1%89%E4%B8%AD%E7%BD%91%E8%AD%A6%E5%B7%A1%E6%9F%A5%E6%89%A7%E6%B3%95", "正常运行", "2022-08-01 16:45"},
		{"汉中教育", "微信订阅号", "汉中市教育局", "汉中市", "市级部门", "MzI0NTAwMDAwNg==", "正常运行", "2022-08-21 12:00"},
		{"健康汉中", "微信服务号", "汉中市卫生健康委员会", "汉中市", "市级部门", "MzI0NTAwMDAwNw==", "正常运行", "2022-08-20 09:30"},
		{"汉中交通", "新浪微博", "汉中市交通运输局", "汉中市", "市级部门", "2612345604", "正常运行", "2022-08-09 15:00"},
		{"汉中文旅", "抖音", "汉中市文化和旅游局", "汉中市", "市级部门", "MS4wLjABAAAAhanzhongwenlv", "正常运行", ""},
		{"汉中市场监管", "微信订阅号", "汉中市市场监督管理局", "汉中市", "市级部门", "MzI0NTAwMDAwOA==", "正常运行", "2022-08-17 10:10"},
		{"汉中应急管理", "微信订阅号", "汉中市应急管理局", "汉中市", "市级部门", "MzI0NTAwMDAwOQ==", "正常运行", "2022-08-08"},
		{"汉中生态环境", "新浪微博", "汉中市生态环境局", "汉中市", "市级部门", "2612345605", "正常运行", "2022-08-19 19:19"},
		{"汉中住建", "微信订阅号", "汉中市住房和城乡建设局", "汉中市", "市级部门", "MzI0NTAwMDAxMA==", "正在申请办理注销", ""},
		{"汉中商务", "新浪微博", "汉中市商务局", "汉中市", "市级部门", "2612345606", "已注销", ""},
		{"汉中人社", "微信服务号", "汉中市人力资源和社会保障局", "汉中市", "市级部门", "MzI0NTAwMDAxMQ==", "正常运行", "2022-08-21 07:45"},
		{"汉中水利", "微信订阅号", "汉中市水利局", "汉中市", "市级部门", "MzI0NTAwMDAxMg==", "正常运行", "2022-08-10 14:00"},
		{"汉中气象", "新浪微博", "汉中市气象局", "汉中市", "市级部门", "2612345607", "正常运行", "2022-08-21 22:10"},
		{"北关街道", "微信订阅号", "汉台区北关街道办事处", "汉台区", "县(区)部门及镇(街道)", "MzI0NTAwMDAxMw==", "正常运行", "2022-08-15 16:00"},
		{"铺镇发布", "微信订阅号", "汉台区铺镇人民政府", "汉台区", "县(区)部门及镇(街道)", "MzI0NTAwMDAxNA==", "正常运行", "2022-08-11"},
		{"龙江镇", "其他+百度贴吧", "汉台区龙江镇人民政府", "汉台区", "县(区)部门及镇(街道)", "龙江镇人民政府", "正常运行", "2022-08-14 09:00"},
		{"南郑教体", "微信订阅号", "南郑区教育体育局", "南郑区", "县(区)部门及镇(街道)", "MzI0NTAwMDAxNQ==", "正常运行", "2022-08-18 11:11"},
		{"城固卫健", "今日头条", "城固县卫生健康局", "城固县", "县(区)部门及镇(街道)", "", "正常运行", "2022-08-05 10:00"},
		{"洋县融媒", "快手", "洋县融媒体中心", "洋县", "县(区)部门及镇(街道)", "", "正常运行", "2022-08-20 20:00"},
		{"西乡茶乡", "微信视频号", "西乡县农业农村局", "西乡县", "县(区)部门及镇(街道)", "", "正在注销中", ""},
		{"勉县武侯镇", "微信订阅号", "勉县武侯镇人民政府", "勉县", "县(区)部门及镇(街道)", "MzI0NTAwMDAxNg==", "已关停", ""},
		{"勉县司法", "新浪微博", "勉县司法局", "勉县", "县(区)部门及镇(街道)", "2612345608", "正常运行", "2022-08-19 13:30"},
	}
	header := []string{"序号", "账号名称", "账号类型", "开设主体", "主管单位", "所属地区", "层级", "账号ID", "运行状态"}
	reg := [][]string{header}
	obs := [][]string{{"账号名称", "账号类型", "最近更新时间", "来源/备注"}}
	for i, a := range accts {
		reg = append(reg, []string{fmt.Sprint(i + 1), a.name, a.typ, a.owner, supervisor(a), a.region, a.level, a.id, a.status})
		if a.latest != "" {
			obs = append(obs, []string{a.name, a.typ, a.latest, "人工核对"})
		}
	}
	findings := [][]string{
		{"账号名称", "账号类型", "问题", "单项否决"},
		{"汉中水利", "微信订阅号", "严重表述错误", "是"},
		{"汉中人社", "微信服务号", "存在商业广告", "否"},
	}
	must(sheettest.WriteXLSX("testdata/demo/registry.xlsx", reg))
	must(sheettest.WriteCSV("testdata/demo/registry-gbk.csv", reg, "gb18030"))
	must(sheettest.WriteCSV("testdata/demo/observations.csv", obs, "utf-8-bom"))
	// manual.csv: what an inspector looked up by hand for the platforms nmaudit cannot read
	// (抖音, 今日头条, 快手 …); `make demo` uses it beside the replayed platform answers.
	manual := [][]string{obs[0]}
	for _, a := range accts {
		switch a.typ {
		case "新浪微博", "微博", "微信公众号", "微信订阅号", "微信服务号", "其他+百度贴吧", "百度贴吧":
			continue
		}
		if a.latest != "" {
			manual = append(manual, []string{a.name, a.typ, a.latest, "人工核对"})
		}
	}
	must(sheettest.WriteCSV("testdata/demo/manual.csv", manual, "utf-8-bom"))
	must(sheettest.WriteCSV("testdata/demo/findings.csv", findings, "utf-8-bom"))
}

func supervisor(a acct) string {
	if a.region == "汉中市" {
		return "汉中市人民政府"
	}
	return a.region + "人民政府"
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
