/* test_catalog.c — SKILL.md directories (front matter, recursion), the catalog container and the
 * content hash. JSONL and tool files are in test_catalog_sources.c. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "util/fileio.h"
#include "test.h"

/* Writes `text` at tmpdir/rel, creating parent directories. Returns the full path (static buffer). */
static const char *put(const char *rel, const char *text) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/%s", test_tmpdir(), rel);
  for (char *p = path + strlen(test_tmpdir()) + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(path, 0755) != 0 && errno != EEXIST) { perror(path); exit(2); }
    *p = '/';
  }
  test_write_file(path, text);
  return path;
}

/* tmpdir/rel in one of 4 rotating static buffers (so two can be used in one call). */
static const char *tmp(const char *rel) {
  static char paths[4][1024];
  static int next;
  char *path = paths[next++ % 4];
  snprintf(path, sizeof paths[0], "%s/%s", test_tmpdir(), rel);
  return path;
}

static const sr_entry *find(const sr_catalog *cat, const char *id) {
  for (size_t i = 0; i < cat->n_entries; i++)
    if (strcmp(cat->entries[i].id, id) == 0) return &cat->entries[i];
  return NULL;
}

/* The first diag whose message contains `needle`, or NULL. */
static const sr_diag *diag_with(const sr_catalog *cat, const char *needle) {
  for (size_t i = 0; i < cat->n_diags; i++)
    if (strstr(cat->diags[i].message, needle)) return &cat->diags[i];
  return NULL;
}

/* Reads one directory source into a fresh catalog (the caller frees it). */
static sr_status read_dir(sr_catalog *cat, const char *rel, const sr_read_opts *opts) {
  sr_catalog_init(cat);
  sr_error err = {0};
  sr_status st = sr_catalog_add_source(cat, tmp(rel), opts, &err);
  if (st != SR_OK) fprintf(stderr, "  (add_source: %s)\n", err.msg);
  return st;
}

static void test_scalars(void) {
  put("sc/plain/SKILL.md", "---\nname: pdf-tools\ndescription: Extract text from PDF files.\n---\n# PDF\nUse it.\n");
  put("sc/single/SKILL.md", "---\nname: 'single q'\ndescription: 'it''s quoted: yes'\n---\nbody\n");
  put("sc/double/SKILL.md", "---\nname: \"double\"\ndescription: \"tab\\there \\u00e9\"\n---\nbody\n");
  put("sc/literal/SKILL.md", "---\nname: lit\ndescription: |\n  line one\n  line two\n---\nbody\n");
  put("sc/folded/SKILL.md", "---\nname: fold\ndescription: >\n  line one\n  line two\nversion: 2\n---\nbody\n");
  sr_catalog cat;
  CHECK_INT(read_dir(&cat, "sc", NULL), SR_OK);
  CHECK_INT(cat.n_entries, 5);
  CHECK_INT(cat.n_skipped, 0);
  const sr_entry *e = find(&cat, "sc/plain");
  CHECK(e != NULL);
  if (e) {
    CHECK_STR(e->name, "pdf-tools");
    CHECK_STR(e->description, "Extract text from PDF files.");
    CHECK_STR(e->body, "# PDF\nUse it.\n");
    CHECK_STR(e->source, tmp("sc/plain/SKILL.md"));
    CHECK(e->metadata == NULL);
    CHECK(e->pack == NULL && e->category == NULL);
    CHECK_INT(e->kind, SR_KIND_SKILL);
    CHECK(e->content_hash == sr_catalog_entry_hash(e));
  }
  if ((e = find(&cat, "sc/single"))) {
    CHECK_STR(e->name, "single q");
    CHECK_STR(e->description, "it's quoted: yes");
  } else CHECK(!"sc/single missing");
  if ((e = find(&cat, "sc/double"))) CHECK_STR(e->description, "tab\there \xc3\xa9");
  else CHECK(!"sc/double missing");
  if ((e = find(&cat, "sc/literal"))) CHECK_STR(e->description, "line one\nline two\n");
  else CHECK(!"sc/literal missing");
  if ((e = find(&cat, "sc/folded"))) {
    CHECK_STR(e->description, "line one line two\n");
    CHECK_STR(e->metadata, "{\"version\":2}");
  } else CHECK(!"sc/folded missing");
  sr_catalog_free(&cat);
}

static void test_bom_crlf_and_no_front_matter(void) {
  put("bc/crlf/SKILL.md", "\xEF\xBB\xBF---\r\nname: crlf\r\ndescription: |\r\n  a\r\n  b\r\n---\r\n# Body\r\ntext\r\n");
  put("bc/bare/SKILL.md", "# Just markdown\nNo front matter here.\n");
  sr_catalog cat;
  CHECK_INT(read_dir(&cat, "bc", NULL), SR_OK);
  CHECK_INT(cat.n_entries, 2);
  const sr_entry *e = find(&cat, "bc/crlf");
  if (e) {
    CHECK_STR(e->name, "crlf");
    CHECK_STR(e->description, "a\nb\n");
    CHECK_STR(e->body, "# Body\ntext\n");
  } else CHECK(!"bc/crlf missing");
  if ((e = find(&cat, "bc/bare"))) {
    CHECK_STR(e->name, "bare");
    CHECK_STR(e->description, "");
    CHECK_STR(e->body, "# Just markdown\nNo front matter here.\n");
  } else CHECK(!"bc/bare missing");
  const sr_diag *d = diag_with(&cat, "no YAML front matter");
  CHECK(d && d->level == SR_DIAG_WARNING && strstr(d->where, "bare/SKILL.md"));
  CHECK_INT(cat.n_skipped, 0);
  sr_catalog_free(&cat);
}

static void test_bad_front_matter(void) {
  put("bad/unclosed/SKILL.md", "---\nname: x\ndescription: y\n# body that never starts\n");
  put("bad/yaml/SKILL.md", "---\nname: a\nfoo: bar: baz\n---\nbody\n");
  put("bad/listname/SKILL.md", "---\nname: [a, b]\n---\nbody\n");
  put("bad/intname/SKILL.md", "---\ndescription: ok\nname: 42\n---\nbody\n");
  put("bad/cycle/SKILL.md", "---\nname: c\nloop: &x [*x]\n---\nbody\n");
  put("bad/notmap/SKILL.md", "---\njust a string\n---\nbody\n");
  put("bad/empty/SKILL.md", "---\nname: e\n---\n  \n\n");
  put("bad/utf8/SKILL.md", "---\nname: u\n---\nline two\nbad \xff byte\n");
  put("bad/good/SKILL.md", "---\nname: good\n---\nbody\n");
  sr_catalog cat;
  CHECK_INT(read_dir(&cat, "bad", NULL), SR_OK);
  CHECK_INT(cat.n_entries, 1);
  CHECK(find(&cat, "bad/good") != NULL);
  CHECK_INT(cat.n_skipped, 8);
  const sr_diag *d = diag_with(&cat, "never closed");
  CHECK(d && d->level == SR_DIAG_SKIPPED && strstr(d->where, "unclosed/SKILL.md:1"));
  d = diag_with(&cat, "malformed YAML");
  CHECK(d && strstr(d->message, "mapping values are not allowed"));
  CHECK_MSG(d && sr_has_suffix(d->where, "yaml/SKILL.md:3"), "where: %s", d ? d->where : "(none)");
  d = diag_with(&cat, "'name' must be a string, not a sequence");
  CHECK(d && strstr(d->where, "listname/SKILL.md:2"));
  d = diag_with(&cat, "'name' must be a string, not an integer");
  CHECK(d && strstr(d->where, "intname/SKILL.md:3"));
  CHECK(diag_with(&cat, "'loop' nests too deeply") != NULL);
  CHECK(diag_with(&cat, "not a YAML mapping") != NULL);
  d = diag_with(&cat, "empty body");
  CHECK(d && strstr(d->where, "empty/SKILL.md"));
  d = diag_with(&cat, "invalid UTF-8");
  CHECK(d && strstr(d->where, "utf8/SKILL.md:5"));
  sr_catalog_free(&cat);
}

static void test_names_and_metadata(void) {
  put("md/noname/SKILL.md", "---\ndescription: d\n---\nbody\n");
  put("md/nullname/SKILL.md", "---\nname:\ndescription: ~\n---\nbody\n");
  put("md/meta/SKILL.md",
      "---\nname: m\nversion: 1.5\nlicense: MIT\nenabled: true\nnothing: null\ntags: [pdf, 'ocr']\n"
      "author:\n  name: Ann\n  roles:\n    - dev\n    - ops\nquoted_num: \"42\"\n---\nbody\n");
  sr_catalog cat;
  CHECK_INT(read_dir(&cat, "md", NULL), SR_OK);
  CHECK_INT(cat.n_entries, 3);
  const sr_entry *e = find(&cat, "md/noname");
  CHECK(e && strcmp(e->name, "noname") == 0 && strcmp(e->description, "d") == 0);
  e = find(&cat, "md/nullname");
  CHECK(e && strcmp(e->name, "nullname") == 0 && strcmp(e->description, "") == 0);
  e = find(&cat, "md/meta");
  CHECK(e && e->metadata);
  cJSON *m = e && e->metadata ? cJSON_Parse(e->metadata) : NULL;
  CHECK(cJSON_IsObject(m));
  if (m) {
    CHECK(cJSON_GetObjectItem(m, "name") == NULL);
    CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(m, "version")), 1.5, 1e-12);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m, "license")), "MIT");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(m, "enabled")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(m, "nothing")));
    cJSON *tags = cJSON_GetObjectItem(m, "tags");
    CHECK(cJSON_GetArraySize(tags) == 2);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(tags, 1)), "ocr");
    cJSON *author = cJSON_GetObjectItem(m, "author");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(author, "name")), "Ann");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(author, "roles"), 1)), "ops");
    CHECK(cJSON_IsString(cJSON_GetObjectItem(m, "quoted_num")));
  }
  cJSON_Delete(m);
  sr_catalog_free(&cat);
}

static void test_recursion(void) {
  put("tree/SKILL.md", "---\nname: top\n---\nroot skill\n");
  put("tree/a/skill.md", "---\nname: a\n---\nA\n");
  put("tree/a/README.md", "---\nname: readme\n---\nnot a skill\n");
  put("tree/a/notes.txt", "ignored\n");
  put("tree/a/b/Skill.md", "---\nname: b\n---\nB\n");
  put("tree/a/b/scripts/run.sh", "echo hi\n");
  put("tree/.git/x/SKILL.md", "---\nname: git\n---\nG\n");
  put("tree/node_modules/p/SKILL.md", "---\nname: nm\n---\nN\n");
  put("outside/ext/SKILL.md", "---\nname: ext\n---\nE\n");
  CHECK(symlink(tmp("tree"), tmp("tree/a/loop")) == 0);       /* a loop back to the root */
  CHECK(symlink(tmp("outside/ext"), tmp("tree/linked")) == 0); /* followed once */
  CHECK(symlink(tmp("outside/ext"), tmp("tree/linked2")) == 0); /* same inode: not again */
  CHECK(symlink(tmp("nowhere"), tmp("tree/dangling")) == 0);
  sr_catalog cat;
  CHECK_INT(read_dir(&cat, "tree/", NULL), SR_OK);
  CHECK_INT(cat.n_entries, 4);
  CHECK_INT(cat.n_skipped, 0);
  const sr_entry *e = find(&cat, "tree");
  CHECK(e && strcmp(e->name, "top") == 0 && strcmp(e->body, "root skill\n") == 0);
  CHECK(find(&cat, "tree/a") != NULL);
  e = find(&cat, "tree/a/b");
  CHECK(e && strcmp(e->name, "b") == 0 && sr_has_suffix(e->source, "tree/a/b/Skill.md"));
  CHECK(find(&cat, "tree/linked") != NULL);
  CHECK(find(&cat, "tree/linked2") == NULL);
  if (cat.n_entries) CHECK_STR(cat.entries[0].id, "tree");  /* the directory's own skill first */
  sr_catalog_free(&cat);
}

static void test_single_file_and_errors(void) {
  const char *f = put("single/myskill/SKILL.md", "---\nname: solo\n---\nbody\n");
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_error err = {0};
  CHECK_OK(sr_catalog_add_source(&cat, f, NULL, &err), &err);
  CHECK_INT(cat.n_entries, 1);
  if (cat.n_entries) CHECK_STR(cat.entries[0].id, "myskill");
  CHECK_INT(sr_catalog_add_source(&cat, tmp("single/missing"), NULL, &err), SR_ERR_NOT_FOUND);
  CHECK(strstr(err.msg, "single/missing") != NULL);
  put("single/notes.txt", "x");
  CHECK_INT(sr_catalog_add_source(&cat, tmp("single/notes.txt"), NULL, &err), SR_ERR_UNSUPPORTED);
  CHECK(strstr(err.msg, "notes.txt: unknown source kind") != NULL);
  CHECK_INT(cat.n_entries, 1);
  sr_catalog_free(&cat);
}

static void test_duplicates_and_pack(void) {
  put("dup/x/SKILL.md", "---\nname: x\n---\nbody\n");
  sr_catalog cat;
  sr_read_opts opts = {0};
  opts.pack = "mypack";
  CHECK_INT(read_dir(&cat, "dup", &opts), SR_OK);
  sr_error err = {0};
  CHECK_OK(sr_catalog_add_source(&cat, tmp("dup"), &opts, &err), &err);
  CHECK_INT(cat.n_entries, 1);
  CHECK_INT(cat.n_skipped, 1);
  if (cat.n_entries) CHECK_STR(cat.entries[0].pack, "mypack");
  const sr_diag *d = diag_with(&cat, "duplicate id 'dup/x'");
  CHECK(d && d->level == SR_DIAG_SKIPPED && strstr(d->message, "dup/x/SKILL.md") && strstr(d->where, "dup/x/SKILL.md"));
  sr_catalog_free(&cat);
}

static void test_long_fields(void) {
  /* body: 40 x "é" (2 bytes each) = 80 bytes; the 51-byte limit cuts it to 50 bytes (25 chars). */
  char body[256] = "", text[1024];
  for (int i = 0; i < 40; i++) strcat(body, "\xc3\xa9");
  snprintf(text, sizeof text, "---\nname: long\n---\n%s", body);
  put("long/body/SKILL.md", text);
  put("long/desc/SKILL.md", "---\nname: d\ndescription: a123456789012345678901234567890123456789012345678901234567890\n---\nb\n");
  sr_read_opts opts = {0};
  opts.max_field_bytes = 51;
  sr_catalog cat;
  CHECK_INT(read_dir(&cat, "long", &opts), SR_OK);
  CHECK_INT(cat.n_entries, 1);
  CHECK_INT(cat.n_skipped, 1);
  const sr_entry *e = find(&cat, "long/body");
  CHECK(e && strlen(e->body) == 50 && strncmp(e->body, body, 50) == 0);
  const sr_diag *d = diag_with(&cat, "body is 80 bytes, cut to 50");
  CHECK(d && d->level == SR_DIAG_WARNING);
  d = diag_with(&cat, "description is 61 bytes, over the 51-byte limit");
  CHECK(d && d->level == SR_DIAG_SKIPPED);
  sr_catalog_free(&cat);
}

static void test_hash(void) {
  sr_entry a = {0}, b = {0};
  a.name = "ab"; a.description = "c"; a.body = "body";
  b.name = "a"; b.description = "bc"; b.body = "body";
  CHECK(sr_catalog_entry_hash(&a) != sr_catalog_entry_hash(&b));
  b.name = "ab"; b.description = "c";
  CHECK(sr_catalog_entry_hash(&a) == sr_catalog_entry_hash(&b));
  b.pack = "";
  CHECK(sr_catalog_entry_hash(&a) != sr_catalog_entry_hash(&b));  /* no pack differs from an empty one */
  b.pack = NULL; b.category = "";
  CHECK(sr_catalog_entry_hash(&a) != sr_catalog_entry_hash(&b));
  b.category = NULL; b.metadata = "{}";
  CHECK(sr_catalog_entry_hash(&a) != sr_catalog_entry_hash(&b));
  b.metadata = NULL; b.body = "bodz";
  CHECK(sr_catalog_entry_hash(&a) != sr_catalog_entry_hash(&b));
  b.body = "body"; b.id = "other id"; b.source = "elsewhere";   /* id and source are not content */
  CHECK(sr_catalog_entry_hash(&a) == sr_catalog_entry_hash(&b));
  /* Stable across runs and builds: a fixed value (it is stored in index files). */
  CHECK_MSG(sr_catalog_entry_hash(&a) == UINT64_C(0x56b50cfa96592fe4), "hash drifted: 0x%016llx",
            (unsigned long long)sr_catalog_entry_hash(&a));
}

int main(void) {
  RUN(test_scalars);
  RUN(test_bom_crlf_and_no_front_matter);
  RUN(test_bad_front_matter);
  RUN(test_names_and_metadata);
  RUN(test_recursion);
  RUN(test_single_file_and_errors);
  RUN(test_duplicates_and_pack);
  RUN(test_long_fields);
  RUN(test_hash);
  return test_summary();
}
