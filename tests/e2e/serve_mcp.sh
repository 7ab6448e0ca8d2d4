#!/usr/bin/env bash
# End-to-end: `skillrouter serve --mcp` — raw JSON-RPC through stdin/stdout for every tool and error
# path, index hot reload, and a client built on the official MCP TypeScript SDK (SKIP when npm cannot
# install it).
source "$(dirname "$0")/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
idx=$T_DIR/ex.idx
$SR index -q examples/skills examples/tools/weather.json -o $idx

# mcp LINES... : runs one server over the given request lines, prints its stdout
mcp() { printf '%s\n' "$@" | timeout 30 $SR serve --mcp -i $idx; }
# expect_raw NAME PYTHON-ASSERTION REQUEST... : the responses as a list `r` of parsed JSON lines
expect_raw() {
  local name=$1 assertion=$2; shift 2
  local out; out=$(mcp "$@"); local rc=$?
  if [ $rc -eq 0 ] && $PY -c "
import json,sys; r=[json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
$assertion" "$out"; then t_ok; else t_fail "$name: $out"; fi
}
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}'
initd='{"jsonrpc":"2.0","method":"notifications/initialized"}'
call() { printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"%s","arguments":%s}}' "$1" "$2" "$3"; }
# expect NAME PYTHON-ASSERTION REQUEST... : as expect_raw after initialize + notifications/initialized
# (the initialize response is dropped from `r`)
expect() { local name=$1 assertion=$2; shift 2; expect_raw "$name" "assert r[0]['id']==1 and 'result' in r[0], r[0]; r=r[1:]
$assertion" "$init" "$initd" "$@"; }

expect_raw "initialize + initialized + ping + tools/list" '
assert len(r)==3, r
assert r[0]["result"]["protocolVersion"]=="2025-06-18" and r[0]["result"]["serverInfo"]["name"]=="skillrouter"
assert r[1]=={"jsonrpc":"2.0","id":2,"result":{}}
names=[t["name"] for t in r[2]["result"]["tools"]]; assert names==["search_skills","open_skill","route_tools"], names
assert all(t["inputSchema"]["type"]=="object" for t in r[2]["result"]["tools"])' \
  "$init" '{"jsonrpc":"2.0","method":"notifications/initialized"}' '{"jsonrpc":"2.0","id":2,"method":"ping"}' '{"jsonrpc":"2.0","id":3,"method":"tools/list"}'
expect_raw "version negotiation: old supported version echoed, unknown gets latest" '
assert r[0]["result"]["protocolVersion"]=="2024-11-05" and r[1]["result"]["protocolVersion"]=="2025-06-18"' \
  '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05"}}' \
  '{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2099-01-01"}}'
expect "search_skills" '
s=r[0]["result"]["structuredContent"]; assert s["results"][0]["name"]=="stl-mesh-analysis" and not s["no_confident_match"]
assert len(s["results"])==2 and "body" not in s["results"][0] and "id" in s["results"][0] and "score" in s["results"][0]' \
  "$(call 5 search_skills '{"task":"measure the volume of an STL mesh and its connected components","k":2}')"
expect "search_skills: no confident match is explicit" '
s=r[0]["result"]; assert s["structuredContent"]["no_confident_match"] and "No confident match" in s["content"][0]["text"]' \
  "$(call 5 search_skills '{"task":"zzzqqq nonexistentword"}')"
expect "open_skill by name and by id" '
t=r[0]["result"]["content"][0]["text"]; assert t.startswith("---\nname: git-bisect\ndescription: ") and "git bisect reset" in t
assert "name: pdf-extract" in r[1]["result"]["content"][0]["text"]' \
  "$(call 6 open_skill '{"name_or_id":"git-bisect"}')" "$(call 7 open_skill '{"name_or_id":"skills/pdf-extract"}')"
expect "open_skill never reads files" '
x=r[0]["result"]; assert x["isError"] and "root:" not in json.dumps(x)' "$(call 8 open_skill '{"name_or_id":"/etc/passwd"}')"
expect "route_tools" '
t=r[0]["result"]["structuredContent"]["tools"]; assert [x["name"] for x in t]==["get_alerts","get_forecast"], t
assert t[0]["inputSchema"]["required"]==["state"]' "$(call 9 route_tools '{"task":"severe weather alerts for a US state"}')"
# a JSONL catalog whose records say "kind":"tool" is indexed and served as tools
printf '%s\n' '{"skill_id":"crm/create_lead","name":"create_lead","description":"Create a sales lead in the CRM","body":"Creates a lead with name, email and company.","pack":"crm","kind":"tool"}' \
  '{"skill_id":"crm/list_deals","name":"list_deals","description":"List open deals","body":"Lists open deals by stage.","pack":"crm","kind":"tool"}' \
  '{"skill_id":"s/notes","name":"meeting-notes","description":"Write meeting notes","body":"Summarise a meeting into notes with action items."}' > $T_DIR/tools.jsonl
err=$($SR index $T_DIR/tools.jsonl -o $T_DIR/jt.idx 2>&1 >/dev/null)
t_check "index: a JSONL catalog of kind tool is a tool catalog" grep -q 'mostly tools' <<<"$err"
out=$(printf '%s\n' "$init" "$initd" "$(call 2 route_tools '{"task":"add a new sales lead for Acme"}')" "$(call 3 search_skills '{"task":"add a new sales lead for Acme"}')" | timeout 30 $SR serve --mcp -i $T_DIR/jt.idx)
t_check "route_tools returns JSONL tools, search_skills only skills" $PY -c '
import json,sys; r=[json.loads(l) for l in sys.argv[1].splitlines() if l.strip()][1:]
t=r[0]["result"]["structuredContent"]["tools"]; assert t[0]["name"]=="create_lead", t
s=r[1]["result"]["structuredContent"]; assert "create_lead" not in json.dumps(s), s' "$out"
expect "errors: parse, invalid request, method not found, invalid params; notifications unanswered" '
codes=[x.get("error",{}).get("code") for x in r]
assert codes==[-32700,-32600,-32600,-32600,-32601,-32602,-32602,-32602,-32602,None], codes
assert r[-1]["result"]=={}' \
  'this is not json' '[]' '{"jsonrpc":"1.0","id":1,"method":"ping"}' '{"id":1,"method":"ping"}' \
  '{"jsonrpc":"2.0","id":2,"method":"resources/read"}' "$(call 3 nosuchtool '{}')" "$(call 4 search_skills '{"task":7}')" \
  "$(call 5 route_tools '{"task":"x","k":-1}')" "$(call 6 open_skill '{}')" '{"jsonrpc":"2.0","method":"notifications/cancelled"}' \
  '{"jsonrpc":"2.0","id":7,"method":"ping"}'
expect_raw "lifecycle: requests before initialize get -32002 (ping does not); notifications never get a response" '
assert [x.get("id") for x in r]==[1,2,3,None,4,5,6], r
codes=[x.get("error",{}).get("code") for x in r]
assert codes==[-32002,-32002,-32002,-32700,None,None,None], codes
assert "not initialized" in r[0]["error"]["message"] and r[4]["result"]=={}
assert r[5]["result"]["protocolVersion"]=="2025-06-18" and len(r[6]["result"]["tools"])==3' \
  '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' "$(call 2 search_skills '{"task":"x"}')" \
  '{"jsonrpc":"2.0","id":3,"method":"resources/list"}' "$initd" '{"jsonrpc":"2.0","method":"tools/list"}' 'not json' \
  '{"jsonrpc":"2.0","id":4,"method":"ping"}' "${init/\"id\":1/\"id\":5}" "$initd" \
  '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4,"reason":"x"}}' \
  '{"jsonrpc":"2.0","method":"notifications/progress","params":5}' '{"jsonrpc":"2.0","method":"tools/call"}' \
  '{"jsonrpc":"2.0","id":6,"method":"tools/list"}'
out=$(printf 'caf\xff\n{"jsonrpc":"2.0","id":1,"method":"ping"}\n' | $SR serve --mcp -i $idx)
t_check "invalid UTF-8 is a parse error and the server goes on" $PY -c '
import json,sys; r=[json.loads(l) for l in sys.argv[1].splitlines()]; assert r[0]["error"]["code"]==-32700 and r[1]["result"]=={}' "$out"
out=$(head -c 5000000 /dev/zero | tr '\0' x | { cat; printf '\n{"jsonrpc":"2.0","id":1,"method":"ping"}\n'; } | $SR serve --mcp -i $idx)
t_check "an over-long line is a parse error and the server goes on" $PY -c '
import json,sys; r=[json.loads(l) for l in sys.argv[1].splitlines()]; assert r[0]["error"]["code"]==-32700 and r[1]["result"]=={}' "$out"

# hot reload: the index file is replaced while the server runs; a broken replacement is ignored
cp $idx $T_DIR/live.idx
$SR index -q examples/tools/weather.json -o $T_DIR/small.idx
exec 3> >(timeout 60 $SR serve --mcp -i $T_DIR/live.idx > $T_DIR/live.out 2> $T_DIR/live.err)
printf '%s\n%s\n' "$init" "$initd" >&3
echo "$(call 1 open_skill '{"name_or_id":"git-bisect"}')" >&3; sleep 0.5
cp $T_DIR/small.idx $T_DIR/live.tmp && mv $T_DIR/live.tmp $T_DIR/live.idx
echo "$(call 2 open_skill '{"name_or_id":"git-bisect"}')" >&3; sleep 0.5
echo garbage > $T_DIR/live.tmp && mv $T_DIR/live.tmp $T_DIR/live.idx
echo "$(call 3 route_tools '{"task":"weather alerts"}')" >&3
exec 3>&-; sleep 1
t_check "reload: replaced index is used, a bad one is logged and the old kept" $PY -c '
import json,sys; r=[json.loads(l) for l in open(sys.argv[1])][1:]
assert not r[0]["result"]["isError"] and r[1]["result"]["isError"], r
assert r[2]["result"]["structuredContent"]["tools"][0]["name"]=="get_alerts"' $T_DIR/live.out
t_check "reload messages on stderr" grep -q 'reload failed, keeping the current index' $T_DIR/live.err

# SIGTERM while waiting on stdin: a clean exit 0 after answering what it was sent.
# `timeout --foreground` passes the TERM to the server alone: without it, timeout also sends SIGCONT to
# the server, which can cancel the stop LeakSanitizer's exit-time leak check sends to the server's
# threads, and the check then waits forever (seen once under a loaded machine: the test hung).
mkfifo $T_DIR/term.in
timeout --foreground 60 $SR serve --mcp -i $idx < $T_DIR/term.in > $T_DIR/term.out 2> $T_DIR/term.err &
tpid=$!
exec 4> $T_DIR/term.in
echo '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' >&4
for i in $(seq 1 100); do [ -s $T_DIR/term.out ] && break; sleep 0.1; done
printf '{"jsonrpc":"2.0","id":2,"method":"too' >&4   # a partial line, then the signal
sleep 0.3
kill -TERM $tpid; wait $tpid; trc=$?
exec 4>&-
t_check "stdio SIGTERM: exit 0" [ $trc -eq 0 ]
t_check "stdio SIGTERM: the message sent was answered" grep -q '"id":1' $T_DIR/term.out
t_check "stdio SIGTERM: the partial line was dropped" [ "$(wc -l < $T_DIR/term.out)" -eq 1 ]
t_check "stdio SIGTERM: says shutting down, no error" sh -c "grep -q 'shutting down' $T_DIR/term.err && ! grep -qi 'fail' $T_DIR/term.err"

# the official MCP TypeScript SDK over stdio
sdk=tests/e2e/.node
if command -v node >/dev/null && { [ -d $sdk/node_modules/@modelcontextprotocol/sdk ] || \
     { mkdir -p $sdk && timeout 180 npm install --prefix $sdk --no-audit --no-fund --silent @modelcontextprotocol/sdk >/dev/null 2>&1; }; }; then
  cp tests/e2e/mcp_sdk_client.mjs $sdk/
  bin=$(realpath "$(command -v $SR)")
  out=$(cd $sdk && timeout 60 node mcp_sdk_client.mjs "$bin" "$idx" 2>&1); rc=$?
  [ $rc -eq 0 ] && t_ok || t_fail "MCP SDK client: $out"
  n=$(grep -c '^ok ' <<<"$out"); [ "$n" -eq 6 ] && t_ok || t_fail "MCP SDK client: $n/6 checks: $out"
else
  t_skip "MCP TypeScript SDK test (npm install failed or node missing)"
fi
t_done
