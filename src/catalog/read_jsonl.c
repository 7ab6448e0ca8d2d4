/* read_jsonl.c — the JSONL / JSONL.gz reader: one skill object per line, streamed through zlib's gz*
 * functions (plain files are read transparently) in 1 MiB chunks, so memory stays bounded by the
 * longest line, not the file. Entry source = "path:line". Keys other than skill_id, name,
 * description, body, pack, category and kind (e.g. a record's own "source") go to entry.metadata.
 * "kind" is "skill" (the default) or "tool": a tool catalog written as JSONL is then routed and
 * served as tools (find_tools, the index's lexical default for tool catalogs).
 *
 * A gzip error in the middle of the file (truncated or corrupt data) ends the read with
 * SR_ERR_FORMAT; the entries of the complete lines before it stay in the catalog and the partial
 * last line is dropped (the error message says how many lines were read). Note that gzip detects
 * some corruption only at the end of the stream (its CRC): lines decoded from damaged data before
 * that are parsed like any other (and normally skipped as invalid JSON). */
#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "catalog/readers.h"
#include "util/buf.h"

#define CHUNK_BYTES ((size_t)1 << 20)
#define MIN_LINE_CAP ((size_t)64 << 20)   /* longer lines are skipped without being buffered */

typedef struct jsonl_ctx {
  sr_catalog *cat;
  const sr_read_opts *opts;
  const char *path;
  size_t max_field;
  char where[4096 + 32];  /* "path:line" of the line being read */
} jsonl_ctx;

static const char *json_type_name(const cJSON *v) {
  if (cJSON_IsNumber(v)) return "a number";
  if (cJSON_IsBool(v)) return "a boolean";
  if (cJSON_IsArray(v)) return "an array";
  if (cJSON_IsObject(v)) return "an object";
  if (cJSON_IsString(v)) return "a string";
  return "null";
}

/* Takes ownership of a cJSON string value (cJSON uses malloc/free: no custom hooks are installed in
 * this program), so the text is not copied a second time. */
static char *steal_string(cJSON *v) {
  char *s = v->valuestring;
  v->valuestring = NULL;
  return s;
}

enum { F_ID, F_NAME, F_DESC, F_BODY, F_PACK, F_CATEGORY, F_KIND, F_COUNT };
static const char *const field_names[F_COUNT] = {"skill_id", "name", "description", "body", "pack", "category", "kind"};

/* Parses and adds one line (not NUL-terminated). Returns non-SR_OK only on out-of-memory. */
static sr_status process_line(jsonl_ctx *c, const char *p, size_t len, size_t lineno, sr_error *err) {
  while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
  size_t lead = 0;
  while (lead < len && (p[lead] == ' ' || p[lead] == '\t')) lead++;
  if (lead == len) return SR_OK;  /* blank line */
  snprintf(c->where, sizeof c->where, "%s:%zu", c->path, lineno);
  bool ok = true;
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(p, len, &end, 0);
  cJSON *meta = NULL;
  sr_entry e;
  memset(&e, 0, sizeof e);
  if (!root) {
    ok = sr_catalog_skip(c->cat, c->where, "invalid JSON at column %zu", end ? (size_t)(end - p) + 1 : 1);
    goto done;
  }
  if (end && (size_t)(end - p) < len) {
    ok = sr_catalog_skip(c->cat, c->where, "extra text after the JSON value at column %zu", (size_t)(end - p) + 1);
    goto done;
  }
  if (!cJSON_IsObject(root)) {
    ok = sr_catalog_skip(c->cat, c->where, "line is %s, not a JSON object", json_type_name(root));
    goto done;
  }
  cJSON *fields[F_COUNT] = {0};
  for (cJSON *item = root->child, *next; item; item = next) {
    next = item->next;
    int f = 0;
    while (f < F_COUNT && strcmp(item->string, field_names[f]) != 0) f++;
    if (f == F_COUNT) {  /* an extra key: moved into the metadata object */
      if (!meta && !(meta = cJSON_CreateObject())) goto nomem;
      cJSON_DetachItemViaPointer(root, item);
      if (!cJSON_AddItemToObject(meta, item->string, item)) {
        cJSON_Delete(item);
        goto nomem;
      }
      continue;
    }
    if (cJSON_IsNull(item)) continue;
    if (!cJSON_IsString(item)) {
      ok = sr_catalog_skip(c->cat, c->where, "\"%s\" must be a string, not %s", field_names[f], json_type_name(item));
      goto done;
    }
    fields[f] = item;
  }
  if (!fields[F_ID] || !*fields[F_ID]->valuestring) {
    ok = sr_catalog_skip(c->cat, c->where, "missing or empty \"skill_id\"");
    goto done;
  }
  if (!fields[F_NAME] || !*fields[F_NAME]->valuestring) {
    ok = sr_catalog_skip(c->cat, c->where, "missing or empty \"name\"");
    goto done;
  }
  e.kind = SR_KIND_SKILL;
  if (fields[F_KIND]) {
    const char *k = fields[F_KIND]->valuestring;  /* not echoed: it may be any bytes */
    if (!strcmp(k, "tool")) e.kind = SR_KIND_TOOL;
    else if (strcmp(k, "skill") != 0) {
      ok = sr_catalog_skip(c->cat, c->where, "\"kind\" must be \"skill\" or \"tool\"");
      goto done;
    }
  }
  char **dst[F_KIND] = {&e.id, &e.name, &e.description, &e.body, &e.pack, &e.category};
  for (int f = 0; f < F_KIND; f++) {
    if (!fields[f]) continue;
    size_t n = strlen(fields[f]->valuestring);
    bool oom;
    if (!sr_check_field(c->cat, c->where, field_names[f], fields[f]->valuestring, &n, c->max_field, f == F_BODY, &oom)) {
      if (oom) goto nomem;
      goto done;
    }
    *dst[f] = steal_string(fields[f]);
  }
  if (!e.body || !*e.body) {
    ok = sr_catalog_skip(c->cat, c->where, "empty \"body\"");
    goto done;
  }
  if (c->opts->pack) {
    free(e.pack);
    if (!(e.pack = strdup(c->opts->pack))) goto nomem;
  }
  if (meta && !(e.metadata = cJSON_PrintUnformatted(meta))) goto nomem;
  if (!(e.source = strdup(c->where))) goto nomem;
  cJSON_Delete(root);
  cJSON_Delete(meta);
  return sr_catalog_add(c->cat, &e, err);
nomem:
  ok = false;
done:
  cJSON_Delete(root);
  cJSON_Delete(meta);
  sr_entry_release(&e);
  return ok ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", c->where);
}

/* Reports the gzip error of `gz` (after a failed read or a premature end); entries stay. */
static sr_status gz_failure(gzFile gz, const char *path, size_t lines, sr_error *err) {
  int zerr = Z_OK;
  const char *msg = gzerror(gz, &zerr);
  if (zerr == Z_ERRNO) return sr_fail(err, SR_ERR_IO, "%s: read failed after line %zu: %s", path, lines, strerror(errno));
  if (zerr == Z_MEM_ERROR) return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  size_t plen = strlen(path);  /* zlib's message repeats "path: " */
  if (msg && strncmp(msg, path, plen) == 0 && msg[plen] == ':' && msg[plen + 1] == ' ') msg += plen + 2;
  return sr_fail(err, SR_ERR_FORMAT,
                 "%s: gzip data %s%s after line %zu (the %zu complete lines before it were read)", path,
                 zerr == Z_BUF_ERROR ? "truncated (unexpected end of file)" : "corrupt: ",
                 zerr == Z_BUF_ERROR ? "" : msg && *msg ? msg : "zlib error",
                 lines, lines);
}

sr_status sr_read_jsonl(sr_catalog *cat, const char *path, const sr_read_opts *opts, sr_error *err) {
  assert(cat && path && opts);
  struct stat sb;
  if (stat(path, &sb) != 0) return sr_fail(err, SR_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
  errno = 0;
  gzFile gz = gzopen(path, "rb");
  if (!gz) return sr_fail(err, SR_ERR_IO, "%s: cannot open: %s", path, strerror(errno ? errno : ENOMEM));
  gzbuffer(gz, 1 << 18);
  jsonl_ctx c = {cat, opts, path, sr_read_max_field(opts), {0}};
  size_t line_cap = c.max_field * 8 > MIN_LINE_CAP ? c.max_field * 8 : MIN_LINE_CAP;
  char *chunk = malloc(CHUNK_BYTES);
  sr_buf line = SR_BUF_INIT;  /* the part of a line carried over from previous chunks */
  size_t lineno = 1;          /* number of the line being assembled */
  bool overlong = false;      /* the current line exceeded line_cap: discard up to its end */
  sr_status st = chunk ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  size_t total = (size_t)sb.st_size;
  while (st == SR_OK) {
    int n = gzread(gz, chunk, (unsigned)CHUNK_BYTES);
    if (n < 0) {
      st = gz_failure(gz, path, lineno - 1, err);
      break;
    }
    if (n == 0) {
      int zerr = Z_OK;
      gzerror(gz, &zerr);
      if (zerr != Z_OK) {
        st = gz_failure(gz, path, lineno - 1, err);
        break;
      }
      if (overlong || line.len) {  /* a last line without a newline */
        st = overlong ? (sr_catalog_skip(cat, c.where, "line longer than %zu bytes", line_cap) ? SR_OK : SR_ERR_NOMEM)
                      : process_line(&c, line.data, line.len, lineno, err);
      }
      break;
    }
    const char *p = chunk, *end = chunk + n;
    while (st == SR_OK && p < end) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      size_t piece = (size_t)((nl ? nl : end) - p);
      if (!overlong && line.len + piece > line_cap) {
        overlong = true;
        sr_buf_reset(&line);
        snprintf(c.where, sizeof c.where, "%s:%zu", path, lineno);
      }
      if (!nl) {
        if (!overlong && !sr_buf_append(&line, p, piece)) st = sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
        break;
      }
      if (overlong) {
        if (!sr_catalog_skip(cat, c.where, "line longer than %zu bytes", line_cap)) st = SR_ERR_NOMEM;
        overlong = false;
      } else if (line.len) {
        if (!sr_buf_append(&line, p, piece)) st = sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
        else st = process_line(&c, line.data, line.len, lineno, err);
        sr_buf_reset(&line);
      } else {
        st = process_line(&c, p, piece, lineno, err);
      }
      lineno++;
      p = nl + 1;
    }
    if (opts->progress) {
      long off = gzoffset(gz);
      opts->progress(opts->progress_ctx, off > 0 ? (size_t)off : 0, total);
    }
  }
  if (st == SR_ERR_NOMEM && err && err->code != SR_ERR_NOMEM) sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  int zclose = gzclose(gz);
  if (st == SR_OK && zclose != Z_OK)
    st = zclose == Z_BUF_ERROR ? sr_fail(err, SR_ERR_FORMAT, "%s: compressed data truncated (unexpected end of file)", path)
                               : sr_fail(err, SR_ERR_IO, "%s: close failed (zlib error %d)", path, zclose);
  if (st == SR_OK && opts->progress) opts->progress(opts->progress_ctx, total, total);
  free(chunk);
  sr_buf_free(&line);
  return st;
}
