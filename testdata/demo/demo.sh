#!/bin/sh
# make demo: the main job on the bundled sample district, the way a district finishes a quarter
# now that the 公众平台 no longer lists other accounts' articles (2026-07-30). Every platform
# answer is replayed from the bundled evidence recordings: no network, no credentials, and a
# history store of its own in a temporary folder (the user's is never touched).
set -eu
BIN=${BIN:-bin/nmaudit}
demo=testdata/demo
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME="$work" XDG_CONFIG_HOME="$work"

echo "== 1. 检查：示例区县的全部账号（微博走访客 Cookie，公众平台返回 200013 停止提供文章列表）"
"$BIN" check --registry "$demo/registry.xlsx" --replay "$demo/recording" \
	--observations "$demo/manual.csv" --findings "$demo/findings.csv" --concurrency 1
run=$("$BIN" runs --format json | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -n 1)

echo
echo "== 2. 人工核对表（待核查账号，及通报前复核的不合格账号）：nmaudit review $run -o 核对表.xlsx --include-unqualified"
"$BIN" review "$run" -o "$work/核对表.xlsx" --include-unqualified

echo
echo "== 3. 核对人员填好的核对表：$demo/核对表-已填写.xlsx（公众号文章链接、一个手填日期、一个填错账号的链接）"
echo "== 4. 复核：nmaudit recheck $run --observations 核对表-已填写.xlsx（每个链接读取文章页并核对所属账号）"
"$BIN" recheck "$run" --replay "$demo/recheck-recording" --observations "$demo/核对表-已填写.xlsx" \
	--findings "$demo/findings.csv" --concurrency 1
