/* cmd_write_queries.c — `skillrouter write-queries`: asks an OpenAI-compatible chat endpoint to write
 * task-style queries for a sample of the index's skills (train/query_writer.h), for `train --pairs`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/cli_exclude.h"
#include "cli/commands.h"
#include "index/index.h"
#include "train/query_writer.h"
#include "util/clock.h"

static const char USAGE[] =
    "usage: skillrouter write-queries -i INDEX -o QUERIES.jsonl --endpoint URL [options]\n"
    "\n"
    "Asks an OpenAI-compatible chat endpoint (POST URL/v1/chat/completions; e.g. a local llama-server)\n"
    "to write one realistic task request per sampled skill: a concrete scenario with inputs and the\n"
    "expected output that never names the skill. Answers are cleaned and checked (length; the skill's\n"
    "name must not appear) and written as JSONL lines\n"
    "  {\"query\": .., \"skill_id\": .., \"source\": \"llm\", \"model\": ..}\n"
    "for `skillrouter train --pairs`. Rejected answers go to QUERIES.rejected.jsonl with the reason.\n"
    "Both files are rewritten atomically as the run goes; running again resumes: skills already in them\n"
    "are not asked again. A failed request is retried once, then skipped; when more than half of the\n"
    "first 20 fail the run stops (exit 1).\n"
    "\n"
    "options:\n"
    "  --endpoint URL       base URL of the server, e.g. http://127.0.0.1:8080 (required)\n"
    "  --model NAME         the request's \"model\" (default \"default\")\n"
    "  -n N                 skills to sample, at most one query each (default 1000)\n"
    "  --seed S             sampling seed, also sent as the request's seed (default 20261121, the\n"
    "                       same sample order as `train`'s pseudo-queries)\n"
    "  --parallel P         requests at once, 1..64 (default 4)\n"
    "  --timeout-ms T       per request (default 120000)\n"
    "  --temperature X      (default 0)\n"
    "  --max-tokens N       answer budget per request (default 1024; reasoning models need room)\n"
    "  --max-body-chars N   bytes of each skill's body sent (default 6000)\n"
    "  --api-key-env VAR    send $VAR as \"Authorization: Bearer ...\"\n"
    "  --exclude-bench DIR  never sample a benchmark's ground truth: DIR/relevance.json ids, their copies\n"
    "                       in DIR/equivalents.json, and skills with a ground-truth skill's name\n"
    "  --exclude-ids FILE   never sample these ids (one per line)\n"
    "  -q, --quiet          no progress lines\n"
    "\n"
    "Nothing but URL is contacted (libcurl's http_proxy / no_proxy variables apply). Exit status: 0 done, 1 error, 2 usage, 130 interrupted (what was\n"
    "accepted so far is kept).\n";

static void log_line(void *ctx, const char *line) {
  fprintf(stderr, "[%7.1fs] %s\n", sr_clock_s() - *(double *)ctx, line);
}

int cmd_write_queries(int argc, char **argv) {
  sr_qw_opts o = sr_qw_defaults();
  const char *index = NULL, *out = NULL, *bench = NULL, *excl = NULL, *key_env = NULL;
  bool quiet = false;
  size_t v;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(USAGE, stdout);
      return 0;
    }
    if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) { quiet = true; continue; }
    if (!val) {
      fprintf(stderr, "skillrouter write-queries: unknown option or missing value: %s (see --help)\n", a);
      return 2;
    }
    bool ok = true;
    i++;
    if (!strcmp(a, "-i") || !strcmp(a, "--index")) index = val;
    else if (!strcmp(a, "-o") || !strcmp(a, "--out")) out = val;
    else if (!strcmp(a, "--endpoint")) o.endpoint = val;
    else if (!strcmp(a, "--model")) o.model = val;
    else if (!strcmp(a, "--api-key-env")) key_env = val;
    else if (!strcmp(a, "--exclude-bench")) bench = val;
    else if (!strcmp(a, "--exclude-ids")) excl = val;
    else if (!strcmp(a, "-n")) ok = cli_parse_size(a, val, &o.n_queries);
    else if (!strcmp(a, "--seed")) { ok = cli_parse_size(a, val, &v); o.seed = v; }
    else if (!strcmp(a, "--parallel")) { ok = cli_parse_size(a, val, &v) && v <= 64; o.parallel = (int)v; }
    else if (!strcmp(a, "--timeout-ms")) { ok = cli_parse_size(a, val, &v); o.timeout_ms = (long)v; }
    else if (!strcmp(a, "--max-tokens")) { ok = cli_parse_size(a, val, &v); o.max_tokens = (int)v; }
    else if (!strcmp(a, "--max-body-chars")) ok = cli_parse_size(a, val, &o.max_body_chars);
    else if (!strcmp(a, "--temperature")) {
      char *end;
      o.temperature = strtod(val, &end);
      ok = *val && !*end && o.temperature >= 0 && o.temperature <= 2;
    } else {
      fprintf(stderr, "skillrouter write-queries: unknown option: %s (see --help)\n", a);
      return 2;
    }
    if (!ok) {
      fprintf(stderr, "skillrouter write-queries: bad value for %s: \"%s\"\n", a, val);
      return 2;
    }
  }
  if (!index || !out || !o.endpoint) {
    fprintf(stderr, "skillrouter write-queries: -i INDEX, -o FILE and --endpoint URL are required (see --help)\n");
    return 2;
  }
  if (key_env && !(o.api_key = getenv(key_env))) {
    fprintf(stderr, "skillrouter write-queries: --api-key-env: $%s is not set\n", key_env);
    return 2;
  }
  sr_error err = {0};
  sr_index *ix = NULL;
  if (sr_index_open(index, &ix, &err) != SR_OK) {
    fprintf(stderr, "skillrouter write-queries: %s\n", err.msg);
    return 1;
  }
  cli_id_list ex = {0};
  int rc = 1;
  if (!cli_exclusions("write-queries", bench, excl, ix, &ex)) goto done;
  o.exclude_ids = (const char *const *)ex.v;
  o.n_exclude = ex.n;
  volatile int cancel = 0;
  cli_catch_interrupt(&cancel);
  o.cancel = &cancel;
  double t0 = sr_clock_s();
  if (!quiet) {
    o.log = log_line;
    o.log_ctx = &t0;
  }
  sr_qw_report rep;
  sr_status st = sr_qw_run(ix, &o, out, &rep, &err);
  if (st == SR_OK) {
    size_t rejected = 0;
    for (int k = 1; k < SR_QW_NVERDICTS; k++) rejected += rep.rejected[k];
    fprintf(stderr, "wrote %s: %zu queries (%zu new, %zu rejected, %zu failed; %zu skills already done)\n", out,
            rep.total_lines, rep.written, rejected, rep.failed, rep.already_done);
    rc = 0;
  } else {
    fprintf(stderr, "skillrouter write-queries: %s\n", err.msg);
    rc = st == SR_ERR_INTERRUPTED ? 130 : 1;
  }
done:
  cli_id_list_free(&ex);
  sr_index_close(ix);
  return rc;
}
