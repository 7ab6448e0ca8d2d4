/* test_catalog_sources.c — JSONL / JSONL.gz skill files and MCP / OpenAI tool files, plus the real
 * 5K-skill pool from $SR_SHARED when it is there. */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "catalog/catalog.h"
#include "util/fileio.h"
#include "test.h"

/* tmpdir/rel in one of 4 rotating static buffers. */
static const char *tmp(const char *rel) {
  static char paths[4][1024];
  static int next;
  char *path = paths[next++ % 4];
  snprintf(path, sizeof paths[0], "%s/%s", test_tmpdir(), rel);
  return path;
}

static void write_gz(const char *path, const char *text, size_t len) {
  gzFile gz = gzopen(path, "wb");
  if (!gz || gzwrite(gz, text, (unsigned)len) != (int)len || gzclose(gz) != Z_OK) {
    perror(path);
    exit(2);
  }
}

static const sr_entry *find(const sr_catalog *cat, const char *id) {
  for (size_t i = 0; i < cat->n_entries; i++)
    if (strcmp(cat->entries[i].id, id) == 0) return &cat->entries[i];
  return NULL;
}

static const sr_diag *diag_at(const sr_catalog *cat, const char *where_suffix, const char *needle) {
  for (size_t i = 0; i < cat->n_diags; i++)
    if (sr_has_suffix(cat->diags[i].where, where_suffix) && strstr(cat->diags[i].message, needle)) return &cat->diags[i];
  return NULL;
}

static const char *const JSONL =
    "{\"skill_id\":\"p/one\",\"name\":\"one\",\"description\":\"first\",\"body\":\"Body 1\",\"pack\":\"p\","
    "\"category\":\"docs\",\"source\":\"github.com/x\",\"tags\":[\"a\"]}\n"
    "\n"
    "{\"skill_id\":\"p/two\",\"name\":\"two\",\"body\":\"Body \\u00e9 2\"}\r\n"
    "{\"skill_id\":\"p/three\",\"name\":\"three\",\"description\":null,\"body\":\"B3\"}";  /* no final newline */

static void check_basic(const sr_catalog *cat, const char *file) {
  CHECK_INT(cat->n_entries, 3);
  CHECK_INT(cat->n_skipped, 0);
  const sr_entry *e = find(cat, "p/one");
  char where[1200];
  snprintf(where, sizeof where, "%s:1", file);
  if (e) {
    CHECK_STR(e->name, "one");
    CHECK_STR(e->description, "first");
    CHECK_STR(e->body, "Body 1");
    CHECK_STR(e->pack, "p");
    CHECK_STR(e->category, "docs");
    CHECK_STR(e->source, where);
    CHECK_STR(e->metadata, "{\"source\":\"github.com/x\",\"tags\":[\"a\"]}");
    CHECK(e->content_hash == sr_catalog_entry_hash(e));
  } else CHECK(!"p/one missing");
  e = find(cat, "p/two");
  snprintf(where, sizeof where, "%s:3", file);
  if (e) {
    CHECK_STR(e->body, "Body \xc3\xa9 2");
    CHECK_STR(e->description, "");
    CHECK(e->pack == NULL && e->category == NULL && e->metadata == NULL);
    CHECK_STR(e->source, where);
  } else CHECK(!"p/two missing");
  e = find(cat, "p/three");
  CHECK(e && strcmp(e->body, "B3") == 0 && strcmp(e->description, "") == 0);
}

static void progress(void *ctx, size_t done, size_t total) {
  size_t *calls = ctx;
  calls[0]++;
  if (done > total) calls[1]++;  /* never */
  calls[2] = done;
  calls[3] = total;
}

static void test_jsonl_plain_and_gz(void) {
  const char *plain = tmp("basic.jsonl");
  test_write_file(plain, JSONL);
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_error err = {0};
  CHECK_OK(sr_catalog_add_source(&cat, plain, NULL, &err), &err);
  check_basic(&cat, plain);
  sr_catalog_free(&cat);

  const char *gz = tmp("basic.jsonl.gz");
  write_gz(gz, JSONL, strlen(JSONL));
  sr_catalog_init(&cat);
  size_t calls[4] = {0};
  sr_read_opts opts = {0};
  opts.progress = progress;
  opts.progress_ctx = calls;
  CHECK_OK(sr_catalog_add_source(&cat, gz, &opts, &err), &err);
  check_basic(&cat, gz);
  struct stat sb;
  stat(gz, &sb);
  CHECK(calls[0] >= 1);
  CHECK_INT(calls[1], 0);
  CHECK_INT(calls[2], sb.st_size);
  CHECK_INT(calls[3], sb.st_size);
  sr_catalog_free(&cat);
}

static void test_jsonl_bad_lines(void) {
  const char *f = tmp("bad.jsonl");
  test_write_file(f,
                  "{\"skill_id\":\"b/1\",\"name\":5,\"body\":\"x\"}\n"                      /* 1 */
                  "{\"skill_id\":\"b/2\",\"body\":\"x\"}\n"                                  /* 2 */
                  "{\"name\":\"n\",\"body\":\"x\"}\n"                                        /* 3 */
                  "{\"skill_id\":\"b/4\",\"name\":\"n\",\"body\":\"\"}\n"                    /* 4 */
                  "[1,2]\n"                                                                  /* 5 */
                  "{\"skill_id\":\"b/6\",\"name\":\"n\",\"body\":\"x\"\n"                    /* 6 */
                  "{\"skill_id\":\"b/7\",\"name\":\"n\",\"description\":[\"d\"],\"body\":\"x\"}\n" /* 7 */
                  "{\"skill_id\":\"b/8\",\"name\":\"bad \xc3\x28 utf8\",\"body\":\"x\"}\n"   /* 8 */
                  "{\"skill_id\":\"b/ok\",\"name\":\"ok\",\"body\":\"x\"}\n"                 /* 9 */
                  "{\"skill_id\":\"b/ok\",\"name\":\"again\",\"body\":\"y\"}\n"              /* 10 */
                  "{\"skill_id\":\"b/11\",\"name\":\"n\",\"body\":\"x\"} trailing\n"       /* 11 */
                  "{\"skill_id\":\"b/12\",\"name\":\"n\",\"body\":\"x\",\"kind\":\"agent\"}\n"  /* 12 */
                  "{\"skill_id\":\"b/13\",\"name\":\"n\",\"body\":\"x\",\"kind\":1}\n");       /* 13 */
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_error err = {0};
  CHECK_OK(sr_catalog_add_source(&cat, f, NULL, &err), &err);
  CHECK_INT(cat.n_entries, 1);
  CHECK_INT(cat.n_skipped, 12);
  CHECK(find(&cat, "b/ok") && strcmp(find(&cat, "b/ok")->name, "ok") == 0);
  CHECK(diag_at(&cat, "bad.jsonl:1", "\"name\" must be a string, not a number"));
  CHECK(diag_at(&cat, "bad.jsonl:2", "missing or empty \"name\""));
  CHECK(diag_at(&cat, "bad.jsonl:3", "missing or empty \"skill_id\""));
  CHECK(diag_at(&cat, "bad.jsonl:4", "empty \"body\""));
  CHECK(diag_at(&cat, "bad.jsonl:5", "not a JSON object"));
  CHECK(diag_at(&cat, "bad.jsonl:6", "invalid JSON"));
  CHECK(diag_at(&cat, "bad.jsonl:7", "\"description\" must be a string, not an array"));
  CHECK(diag_at(&cat, "bad.jsonl:8", "invalid UTF-8 in name"));
  const sr_diag *d = diag_at(&cat, "bad.jsonl:10", "duplicate id 'b/ok'");
  CHECK(d && strstr(d->message, "bad.jsonl:9") != NULL);
  CHECK(diag_at(&cat, "bad.jsonl:11", "extra text after the JSON value"));
  CHECK(diag_at(&cat, "bad.jsonl:12", "\"kind\" must be \"skill\" or \"tool\""));
  CHECK(diag_at(&cat, "bad.jsonl:13", "\"kind\" must be a string, not a number"));
  for (size_t i = 0; i < cat.n_diags; i++) CHECK(cat.diags[i].level == SR_DIAG_SKIPPED);
  sr_catalog_free(&cat);
}

/* "kind": absent or "skill" = a skill, "tool" = a tool; the key is not kept in the metadata. */
static void test_jsonl_kind(void) {
  const char *f = tmp("kind.jsonl");
  test_write_file(f,
                  "{\"skill_id\":\"k/s\",\"name\":\"s\",\"body\":\"x\"}\n"
                  "{\"skill_id\":\"k/s2\",\"name\":\"s2\",\"body\":\"x\",\"kind\":\"skill\"}\n"
                  "{\"skill_id\":\"k/t\",\"name\":\"t\",\"body\":\"x\",\"kind\":\"tool\",\"pack\":\"p\",\"x\":1}\n"
                  "{\"skill_id\":\"k/n\",\"name\":\"n\",\"body\":\"x\",\"kind\":null}\n");
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_error err = {0};
  CHECK_OK(sr_catalog_add_source(&cat, f, NULL, &err), &err);
  CHECK_INT(cat.n_entries, 4);
  CHECK_INT(cat.n_skipped, 0);
  CHECK(find(&cat, "k/s") && find(&cat, "k/s")->kind == SR_KIND_SKILL);
  CHECK(find(&cat, "k/s2") && find(&cat, "k/s2")->kind == SR_KIND_SKILL);
  CHECK(find(&cat, "k/n") && find(&cat, "k/n")->kind == SR_KIND_SKILL);
  const sr_entry *t = find(&cat, "k/t");
  CHECK(t && t->kind == SR_KIND_TOOL && t->pack && !strcmp(t->pack, "p"));
  CHECK_MSG(t && t->metadata && !strcmp(t->metadata, "{\"x\":1}"), "metadata: %s", t && t->metadata ? t->metadata : "(none)");
  sr_catalog_free(&cat);
}

/* Many lines, one of them 3 MB (spanning several read chunks), gzipped; then truncated and corrupted. */
static void test_jsonl_gz_long_lines_and_damage(void) {
  size_t big = 3u << 20, cap = big + (4u << 20);
  char *text = malloc(cap);
  size_t n = 0;
  for (int i = 0; i < 2000; i++) {
    n += (size_t)snprintf(text + n, cap - n, "{\"skill_id\":\"g/%d\",\"name\":\"n%d\",\"body\":\"", i, i);
    if (i == 1000) {
      for (size_t k = 0; k < big; k++) text[n++] = (char)('a' + k % 26);
    } else {
      n += (size_t)snprintf(text + n, cap - n, "body of skill %d with some words", i);
    }
    n += (size_t)snprintf(text + n, cap - n, "\"}\n");
  }
  const char *gz = tmp("long.jsonl.gz");
  write_gz(gz, text, n);
  sr_read_opts opts = {0};
  opts.max_field_bytes = 4u << 20;
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_error err = {0};
  CHECK_OK(sr_catalog_add_source(&cat, gz, &opts, &err), &err);
  CHECK_INT(cat.n_entries, 2000);
  const sr_entry *e = find(&cat, "g/1000");
  CHECK(e && strlen(e->body) == big);
  e = find(&cat, "g/1999");
  CHECK(e && strcmp(e->body, "body of skill 1999 with some words") == 0);
  sr_catalog_free(&cat);

  /* Truncated: cut the compressed file in half. */
  struct stat sb;
  stat(gz, &sb);
  CHECK(truncate(gz, sb.st_size / 2) == 0);
  sr_catalog_init(&cat);
  sr_status st = sr_catalog_add_source(&cat, gz, &opts, &err);
  CHECK_INT(st, SR_ERR_FORMAT);
  CHECK_MSG(strstr(err.msg, "long.jsonl.gz") && strstr(err.msg, "truncated"), "msg: %s", err.msg);
  CHECK(cat.n_entries > 0 && cat.n_entries < 2000);  /* the complete lines before the damage are kept */
  for (size_t i = 0; i < cat.n_entries; i++) CHECK(cat.entries[i].body[0] != '\0');
  sr_catalog_free(&cat);

  /* Corrupt: overwrite bytes in the middle of the deflate stream. */
  write_gz(gz, text, n);
  stat(gz, &sb);
  FILE *f = fopen(gz, "r+b");
  fseek(f, sb.st_size / 3, SEEK_SET);
  for (int i = 0; i < 64; i++) fputc(0x55 ^ i, f);
  fclose(f);
  sr_catalog_init(&cat);
  st = sr_catalog_add_source(&cat, gz, &opts, &err);
  CHECK_MSG(st == SR_ERR_FORMAT, "status %d: %s", st, err.msg);
  CHECK(strstr(err.msg, "long.jsonl.gz") != NULL);
  CHECK(cat.n_entries < 2000);
  sr_catalog_free(&cat);
  free(text);
}

static void test_jsonl_long_fields(void) {
  char line[2048], body[400] = "";
  for (int i = 0; i < 100; i++) strcat(body, "\xe2\x82\xac");  /* € = 3 bytes: 300 bytes */
  const char *f = tmp("huge.jsonl");
  snprintf(line, sizeof line,
           "{\"skill_id\":\"h/1\",\"name\":\"n\",\"body\":\"%s\"}\n"
           "{\"skill_id\":\"h/2\",\"name\":\"%0120d\",\"body\":\"b\"}\n", body, 7);
  test_write_file(f, line);
  sr_read_opts opts = {0};
  opts.max_field_bytes = 100;
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_error err = {0};
  CHECK_OK(sr_catalog_add_source(&cat, f, &opts, &err), &err);
  CHECK_INT(cat.n_entries, 1);
  CHECK_INT(cat.n_skipped, 1);
  const sr_entry *e = find(&cat, "h/1");
  CHECK(e && strlen(e->body) == 99 && strncmp(e->body, body, 99) == 0);  /* 33 whole € signs */
  const sr_diag *d = diag_at(&cat, "huge.jsonl:1", "body is 300 bytes, cut to 99");
  CHECK(d && d->level == SR_DIAG_WARNING);
  CHECK(diag_at(&cat, "huge.jsonl:2", "name is 120 bytes, over the 100-byte limit"));
  sr_catalog_free(&cat);
}

static const char *const WEATHER_SCHEMA =
    "{\"type\":\"object\",\"properties\":{"
    "\"city\":{\"type\":\"string\",\"description\":\"The city name\"},"
    "\"units\":{\"type\":\"string\",\"enum\":[\"metric\",\"imperial\"],\"default\":\"metric\","
    "\"description\":\"Units\\nof measure\"},"
    "\"address\":{\"type\":\"object\",\"description\":\"Where\",\"properties\":{"
    "\"street\":{\"type\":\"string\"},\"zip\":{\"type\":[\"string\",\"null\"]}},\"required\":[\"street\"]},"
    "\"days\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}},"
    "\"required\":[\"city\"]}";

static const char *const WEATHER_BODY =
    "Tool: get_weather\n"
    "Pack: weather\n"
    "Description: Get the weather.\n"
    "Parameters:\n"
    "- city (string, required): The city name\n"
    "- units (string, optional, one of: metric, imperial, default: metric): Units of measure\n"
    "- address (object, optional): Where\n"
    "  - street (string, required)\n"
    "  - zip (string|null, optional)\n"
    "- days (array of integer, optional)\n";

static void test_mcp_tools(void) {
  char text[4096];
  snprintf(text, sizeof text,
           "{\"tools\":[{\"name\":\"get_weather\",\"description\":\"Get the weather.\",\"inputSchema\":%s},\n"
           "{\"name\":\"ping\"},\n"
           "{\"description\":\"no name\"},\n"
           "{\"name\":\"bad\",\"inputSchema\":\"string\"}]}\n",
           WEATHER_SCHEMA);
  const char *f = tmp("weather.json");
  test_write_file(f, text);
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_error err = {0};
  CHECK_OK(sr_catalog_add_source(&cat, f, NULL, &err), &err);
  CHECK_INT(cat.n_entries, 2);
  CHECK_INT(cat.n_skipped, 2);
  const sr_entry *e = find(&cat, "weather/get_weather");
  if (e) {
    CHECK_INT(e->kind, SR_KIND_TOOL);
    CHECK_STR(e->name, "get_weather");
    CHECK_STR(e->pack, "weather");
    CHECK_STR(e->description, "Get the weather.");
    CHECK_STR(e->body, WEATHER_BODY);
    cJSON *m = cJSON_Parse(e->metadata), *want = cJSON_Parse(WEATHER_SCHEMA);
    CHECK(cJSON_Compare(cJSON_GetObjectItem(m, "inputSchema"), want, 1));
    cJSON_Delete(m);
    cJSON_Delete(want);
  } else CHECK(!"weather/get_weather missing");
  e = find(&cat, "weather/ping");
  if (e) {
    CHECK_STR(e->body, "Tool: ping\nPack: weather\nParameters: none\n");
    CHECK_STR(e->metadata, "{\"inputSchema\":{\"type\":\"object\",\"properties\":{}}}");
  } else CHECK(!"weather/ping missing");
  CHECK(diag_at(&cat, "weather.json (tool #3)", "\"name\""));
  CHECK(diag_at(&cat, "weather.json (tool #4)", "schema must be a JSON object"));
  sr_catalog_free(&cat);
}

static void test_openai_tools_and_envelope(void) {
  char text[4096];
  snprintf(text, sizeof text,
           "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Get the weather.\","
           "\"parameters\":%s}},\n {\"name\":\"bare\",\"description\":\"Bare tool\",\"parameters\":{\"type\":\"object\","
           "\"properties\":{\"q\":{\"type\":\"string\",\"description\":\"query\"}},\"required\":[\"q\"]}}]",
           WEATHER_SCHEMA);
  const char *f = tmp("openai.json");
  test_write_file(f, text);
  sr_read_opts opts = {0};
  opts.pack = "weather";
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_error err = {0};
  CHECK_OK(sr_catalog_add_source(&cat, f, &opts, &err), &err);
  CHECK_INT(cat.n_entries, 2);
  const sr_entry *e = find(&cat, "weather/get_weather");
  CHECK(e && strcmp(e->body, WEATHER_BODY) == 0);
  e = find(&cat, "weather/bare");
  CHECK(e && strcmp(e->body, "Tool: bare\nPack: weather\nDescription: Bare tool\nParameters:\n"
                             "- q (string, required): query\n") == 0);

  f = tmp("rpc.json");
  test_write_file(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[{\"name\":\"echo\",\"description\":\"Echo\"}]}}");
  CHECK_OK(sr_catalog_add_source(&cat, f, NULL, &err), &err);
  e = find(&cat, "rpc/echo");
  CHECK(e && e->kind == SR_KIND_TOOL && strcmp(e->pack, "rpc") == 0);

  f = tmp("broken.json");
  test_write_file(f, "{\"tools\": [\n  {\"name\": \"x\",}\n]}");
  CHECK_INT(sr_catalog_add_source(&cat, f, NULL, &err), SR_ERR_FORMAT);
  CHECK_MSG(strstr(err.msg, "broken.json:2: invalid JSON"), "msg: %s", err.msg);
  f = tmp("other.json");
  test_write_file(f, "{\"hello\": 1}");
  CHECK_INT(sr_catalog_add_source(&cat, f, NULL, &err), SR_ERR_FORMAT);
  CHECK(strstr(err.msg, "other.json: not a tools file") != NULL);
  CHECK_INT(cat.n_entries, 3);
  sr_catalog_free(&cat);
}

static void test_pool_5k(void) {
  const char *shared = getenv("SR_SHARED");
  char path[1024];
  snprintf(path, sizeof path, "%s/bench/skillsbench-80k/pool-5k.jsonl.gz", shared ? shared : "../shared");
  if (access(path, R_OK) != 0) {
    printf("SKIP test_pool_5k: %s not found (set SR_SHARED)\n", path);
    return;
  }
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_error err = {0};
  CHECK_OK(sr_catalog_add_source(&cat, path, NULL, &err), &err);
  CHECK_INT(cat.n_entries, 5000);
  CHECK_INT(cat.n_skipped, 0);
  for (size_t i = 0; i < cat.n_entries; i++) {
    const sr_entry *e = &cat.entries[i];
    if (!*e->id || !*e->name || !*e->body) {
      CHECK_MSG(0, "entry %zu (%s) has an empty field", i, e->id);
      break;
    }
  }
  sr_catalog_free(&cat);
}

int main(void) {
  RUN(test_jsonl_plain_and_gz);
  RUN(test_jsonl_bad_lines);
  RUN(test_jsonl_kind);
  RUN(test_jsonl_gz_long_lines_and_damage);
  RUN(test_jsonl_long_fields);
  RUN(test_mcp_tools);
  RUN(test_openai_tools_and_envelope);
  RUN(test_pool_5k);
  return test_summary();
}
