#!/usr/bin/env bash
# tokenize.sh — CLI end-to-end checks of `skillrouter tokenize` (needs $SR_SHARED/models/qwen3).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
M=${SR_SHARED:-../shared}/models/qwen3
if [ ! -d "$M/tokenizer" ]; then
  t_skip "tokenize: $M/tokenizer not found (set SR_SHARED)"
  t_done; exit $?
fi
eq() {  # name, expected, actual
  if [ "$2" == "$3" ]; then t_ok; else t_fail "$1: expected '$2', got '$3'"; fi
}
eq "encode" "9707 1879" "$("$SR" tokenize --model "$M/tokenizer" 'Hello world')"
eq "model dir with tokenizer/" "9707 1879" "$("$SR" tokenize --model "$M" 'Hello world')"
eq "add-eos" "9707 1879 151643" "$("$SR" tokenize --model "$M" --add-eos -- 'Hello world')"
eq "empty + eos" "151643" "$("$SR" tokenize --model "$M" --add-eos '')"
eq "stdin" "9707 1879 198" "$(printf 'Hello world\n' | "$SR" tokenize --model "$M" -)"
eq "added tokens" "151645 198 151644 77091 198 151667 271 151668 271" \
  "$(printf '<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n' | "$SR" tokenize --model "$M" -)"
eq "dash text after --" "-x" "$("$SR" tokenize --model "$M" -- -x | "$SR" tokenize --model "$M" --decode -)"
eq "decode" "Hello world" "$("$SR" tokenize --model "$M" --decode 9707 1879)"
eq "decode commas" "Hello world<|endoftext|>" "$("$SR" tokenize --model "$M" --decode '9707,1879,151643')"
eq "decode skip-special" "Hello world" "$("$SR" tokenize --model "$M" --decode --skip-special 9707 1879 151643)"
eq "decode stdin" "Hello world" "$(echo '9707 1879' | "$SR" tokenize --model "$M" --decode -)"
txt=$(printf 'caf\xc3\xa9 na\xc3\xafve \xe4\xbd\xa0\xe5\xa5\xbd  ## Usage\n\tx = 42;')
eq "round trip" "$txt" "$("$SR" tokenize --model "$M" "$txt" | "$SR" tokenize --model "$M" --decode -)"
# errors
"$SR" tokenize --model "$M" "$(printf 'ab\xffcd')" >/dev/null 2>"$T_DIR/err"; rc=$?
eq "invalid utf-8 exit" 1 "$rc"
t_check "invalid utf-8 message" grep -q "offset 2" "$T_DIR/err"
"$SR" tokenize 'x' >/dev/null 2>&1; eq "no --model" 2 "$?"
"$SR" tokenize --model "$M" >/dev/null 2>&1; eq "no text" 2 "$?"
"$SR" tokenize --model "$M" --decode 12 abc >/dev/null 2>&1; eq "bad id" 2 "$?"
"$SR" tokenize --model "$M" --decode 999999 >/dev/null 2>&1; eq "unknown id" 1 "$?"
"$SR" tokenize --model "$T_DIR/none" x >/dev/null 2>"$T_DIR/err"; eq "missing dir" 1 "$?"
t_check "missing dir message" grep -q "none" "$T_DIR/err"
"$SR" tokenize --help >/dev/null; eq "help" 0 "$?"
t_done
