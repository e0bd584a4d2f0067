#!/bin/sh
# make demo-history: a check of 300 accounts against a local platform simulator (no network) is
# killed with SIGKILL part way, listed as unfinished, resumed under the same id without asking
# again for the accounts it had decided; then the 整改台账, a 复核 and a diff of the two rounds.
# The history store is the default one ($XDG_DATA_HOME/nmaudit/nmaudit.db) in a fresh folder:
# nothing to set up.
set -eu
BIN=${BIN:-bin/nmaudit}
work=$(mktemp -d)
export XDG_DATA_HOME="$work/data"
echo "== building the platform simulator"
${GO:-go} test -c -o "$work/histsim" ./cmd/nmaudit
NMAUDIT_HISTORY_DEMO="$work" "$work/histsim" -test.run '^TestHistoryDemoServer$' -test.timeout 30m >/dev/null &
sim=$!
trap 'touch "$work/stop"; wait $sim 2>/dev/null; rm -rf "$work"' EXIT
while [ ! -s "$work/env" ]; do sleep 0.2; done
. "$work/env"

echo "== nmaudit check: 300 accounts, killed with SIGKILL after 4 s"
"$BIN" check --registry "$work/registry.xlsx" --at 2022-08-22 --format json -q >"$work/killed.json" &
pid=$!
sleep 4
kill -9 $pid
wait $pid 2>/dev/null || echo "(check killed: exit $?, no report: $(wc -c <"$work/killed.json") bytes on stdout)"
"$BIN" runs

echo "== nmaudit check --resume"
"$BIN" check --resume -q >"$work/run.json"
"$BIN" runs
id=$(sed -n 's/^  "run_id": "\(.*\)",$/\1/p' "$work/run.json")
grep -A9 '"summary"' "$work/run.json"

echo "== nmaudit ledger $id"
"$BIN" ledger "$id" -o "$work/整改台账.xlsx" --deadline 2022-09-30

echo "== nmaudit recheck $id (复核, three weeks later; one unit was seen posting again)"
name=$(grep -B10 '"result": "不合格"' "$work/run.json" | sed -n 's/^      "name": "\(.*\)",$/\1/p' | head -1)
printf '账号名称,账号类型,最近更新时间\n%s,%s,2022-09-09 10:00\n' "$name" \
	"$(grep -A1 "\"name\": \"$name\"" "$work/run.json" | sed -n 's/^      "type": "\(.*\)",$/\1/p')" >"$work/复核观察.csv"
"$BIN" recheck "$id" --at 2022-09-10 --observations "$work/复核观察.csv" --format json -q >"$work/recheck.json"
sed -n 's/^  "\(parent_run_id\)": "\(.*\)",$/\1: \2/p' "$work/recheck.json"
re=$(sed -n 's/^  "run_id": "\(.*\)",$/\1/p' "$work/recheck.json")
"$BIN" show "$re" | sed -n '/【复核结果】/,$p' | head -8

echo "== nmaudit diff $id $re"
"$BIN" diff "$id" "$re" | head -16
