/* read_skill_dir.c — the directory reader: every SKILL.md (any case) below a root, recursively, one
 * entry each. Ids are "<basename of root>/<skill dir relative to root>" (the root's own SKILL.md is
 * just "<basename of root>"). Directories are visited once per (device, inode), so symlinked
 * directories are followed but loops are not; ".git" and "node_modules" are never entered. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "catalog/frontmatter.h"
#include "catalog/readers.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/utf8.h"

#define SKILL_FILE_MAX ((size_t)64 << 20)  /* a SKILL.md larger than this is skipped */
#define WALK_MAX_DEPTH 128

/* Set of visited directories, keyed by (dev, ino); open addressing, grows at 50% load. */
typedef struct dir_set {
  struct dir_key { dev_t dev; ino_t ino; bool used; } *slots;
  size_t cap, count;
} dir_set;

/* Inserts (dev, ino); *fresh = false when it was already there. False only on out-of-memory. */
static bool dir_set_add(dir_set *s, dev_t dev, ino_t ino, bool *fresh) {
  if (2 * (s->count + 1) > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    struct dir_key *slots = calloc(cap, sizeof *slots);
    if (!slots) return false;
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->slots[i].used) continue;
      size_t j = sr_hash64(&s->slots[i].ino, sizeof(ino_t), (uint64_t)s->slots[i].dev) & (cap - 1);
      while (slots[j].used) j = (j + 1) & (cap - 1);
      slots[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
  }
  size_t j = sr_hash64(&ino, sizeof ino, (uint64_t)dev) & (s->cap - 1);
  for (; s->slots[j].used; j = (j + 1) & (s->cap - 1)) {
    if (s->slots[j].dev == dev && s->slots[j].ino == ino) {
      *fresh = false;
      return true;
    }
  }
  s->slots[j] = (struct dir_key){dev, ino, true};
  s->count++;
  *fresh = true;
  return true;
}

typedef struct walker {
  sr_catalog *cat;
  const sr_read_opts *opts;
  const char *root_name;  /* basename of the root: first component of every id */
  size_t root_len;        /* length of the root path prefix in `path` */
  sr_buf path;            /* the directory being walked */
  dir_set seen;
} walker;

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n) {
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* Lists the directory w->path, sorted (for a stable entry order). */
static sr_status list_dir(walker *w, char ***out, size_t *out_n, sr_error *err) {
  DIR *d = opendir(w->path.data);
  if (!d) return sr_fail(err, SR_ERR_IO, "%s: cannot open directory: %s", w->path.data, strerror(errno));
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 32;
      char **p = realloc(names, cap * sizeof *p);
      if (!p) goto nomem;
      names = p;
    }
    if (!(names[n] = strdup(de->d_name))) goto nomem;
    n++;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_names);
  *out = names;
  *out_n = n;
  return SR_OK;
nomem:
  closedir(d);
  free_names(names, n);
  return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", w->path.data);
}

/* The id of the skill in directory w->path. NULL on OOM. */
static char *skill_id(const walker *w) {
  const char *rel = w->path.data + w->root_len;
  while (*rel == '/') rel++;
  return *rel ? sr_strdup_printf("%s/%s", w->root_name, rel) : strdup(w->root_name);
}

static sr_status walk(walker *w, int depth, sr_error *err) {
  char **names = NULL;
  size_t n = 0;
  sr_status st = list_dir(w, &names, &n, err);
  if (st != SR_OK) {
    if (depth == 0 || st == SR_ERR_NOMEM) return st;
    /* An unreadable subdirectory is reported and passed over. */
    return sr_catalog_diag(w->cat, SR_DIAG_WARNING, w->path.data, "%s", err->msg)
               ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "out of memory");
  }
  size_t base_len = w->path.len;
  /* Pass 1: the SKILL.md files of this directory; pass 2: the subdirectories. */
  for (int pass = 1; pass <= 2 && st == SR_OK; pass++) {
    for (size_t i = 0; i < n && st == SR_OK; i++) {
      const char *name = names[i];
      if (pass == 2 && (!strcmp(name, ".git") || !strcmp(name, "node_modules"))) continue;
      if (pass == 1 && strcasecmp(name, "SKILL.md") != 0) continue;
      if (!sr_buf_putc(&w->path, '/') || !sr_buf_puts(&w->path, name)) {
        st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
        break;
      }
      struct stat sb;
      if (stat(w->path.data, &sb) != 0) {
        /* Dangling symlink or a race: not an error for the walk. */
      } else if (pass == 1 && S_ISREG(sb.st_mode)) {
        w->path.data[base_len] = '\0';
        char *id = skill_id(w);
        const char *slash = strrchr(w->path.data, '/');
        char *dir_name = strdup(slash && depth > 0 ? slash + 1 : w->root_name);
        w->path.data[base_len] = '/';
        if (!id || !dir_name) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
        else st = sr_read_one_skill(w->cat, w->path.data, id, dir_name, w->opts, err);
        free(id);
        free(dir_name);
      } else if (pass == 2 && S_ISDIR(sb.st_mode)) {
        bool fresh;
        if (!dir_set_add(&w->seen, sb.st_dev, sb.st_ino, &fresh)) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
        else if (fresh && depth + 1 >= WALK_MAX_DEPTH) {
          if (!sr_catalog_diag(w->cat, SR_DIAG_WARNING, w->path.data, "directory nesting over %d levels: not read",
                               WALK_MAX_DEPTH))
            st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
        } else if (fresh) {
          st = walk(w, depth + 1, err);
        }
      }
      w->path.len = base_len;
      w->path.data[base_len] = '\0';
    }
  }
  free_names(names, n);
  return st;
}

sr_status sr_read_skill_dir(sr_catalog *cat, const char *path, const sr_read_opts *opts, sr_error *err) {
  assert(cat && path && opts);
  walker w = {cat, opts, NULL, 0, SR_BUF_INIT, {NULL, 0, 0}};
  char *root_name = sr_path_basename(path);
  size_t plen = strlen(path);
  while (plen > 1 && path[plen - 1] == '/') plen--;
  struct stat sb;
  bool fresh;
  sr_status st = SR_OK;
  if (!root_name || !sr_buf_append(&w.path, path, plen)) st = sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  else if (stat(path, &sb) != 0) st = sr_fail(err, SR_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
  else if (!dir_set_add(&w.seen, sb.st_dev, sb.st_ino, &fresh)) st = sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  if (st == SR_OK) {
    w.root_name = root_name;
    w.root_len = w.path.len;
    st = walk(&w, 0, err);
  }
  free(root_name);
  free(w.seen.slots);
  sr_buf_free(&w.path);
  return st;
}

sr_status sr_read_skill_file(sr_catalog *cat, const char *path, const sr_read_opts *opts, sr_error *err) {
  assert(cat && path && opts);
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  char *dir_name = dir ? sr_path_basename(dir) : NULL;
  sr_status st = dir_name ? sr_read_one_skill(cat, path, dir_name, dir_name, opts, err)
                          : sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  free(dir);
  free(dir_name);
  return st;
}

/* Copies body[0..n) with CRLF line ends turned into LF. NULL on OOM. */
static char *copy_body(const char *body, size_t n, size_t *out_len) {
  char *s = malloc(n + 1);
  if (!s) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (body[i] == '\r' && i + 1 < n && body[i + 1] == '\n') continue;
    s[k++] = body[i];
  }
  s[k] = '\0';
  *out_len = k;
  return s;
}

static bool blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return false;
  return true;
}

sr_status sr_read_one_skill(sr_catalog *cat, const char *file, const char *id, const char *dir_name,
                            const sr_read_opts *opts, sr_error *err) {
  char *text = NULL;
  size_t len = 0, bad;
  sr_error ferr;
  sr_status st = sr_read_file(file, SKILL_FILE_MAX, &text, &len, &ferr);
  if (st == SR_ERR_NOMEM) return sr_fail(err, st, "%s", ferr.msg);
  if (st != SR_OK) return sr_catalog_skip(cat, file, "%s", ferr.msg) ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "out of memory");
  bool oom = false;
  sr_frontmatter fm;
  memset(&fm, 0, sizeof fm);
  sr_entry e;
  memset(&e, 0, sizeof e);
  size_t line, col;
  if (!sr_utf8_valid(text, len, &bad)) {
    sr_text_position(text, bad, &line, &col);
    char *where = sr_strdup_printf("%s:%zu", file, line);
    oom = !where || !sr_catalog_skip(cat, where, "invalid UTF-8 at column %zu", col);
    free(where);
    goto done;
  }
  st = sr_frontmatter_parse(text, len, &fm, &line, &ferr);
  if (st != SR_OK) {
    char *where = sr_strdup_printf("%s:%zu", file, line);
    oom = st == SR_ERR_NOMEM || !where || !sr_catalog_skip(cat, where, "%s", ferr.msg);
    free(where);
    goto done;
  }
  if (!fm.present && !sr_catalog_diag(cat, SR_DIAG_WARNING, file,
                                      "no YAML front matter: name taken from the directory, description empty")) {
    oom = true;
    goto done;
  }
  size_t name_len, desc_len, body_len;
  e.name = fm.name && *fm.name ? fm.name : strdup(dir_name);
  if (e.name == fm.name) fm.name = NULL;
  e.description = fm.description ? fm.description : strdup("");
  fm.description = NULL;
  e.body = copy_body(fm.body, fm.body_len, &body_len);
  e.metadata = fm.metadata;
  fm.metadata = NULL;
  e.id = strdup(id);
  e.source = strdup(file);
  e.pack = opts->pack ? strdup(opts->pack) : NULL;
  e.kind = SR_KIND_SKILL;
  if (!e.name || !e.description || !e.body || !e.id || !e.source || (opts->pack && !e.pack)) {
    oom = true;
    goto done;
  }
  size_t max = sr_read_max_field(opts);
  name_len = strlen(e.name);
  desc_len = strlen(e.description);
  if (!sr_check_field(cat, file, "name", e.name, &name_len, max, false, &oom) ||
      !sr_check_field(cat, file, "description", e.description, &desc_len, max, false, &oom) ||
      !sr_check_field(cat, file, "body", e.body, &body_len, max, true, &oom))
    goto done;
  if (blank(e.body, body_len)) {
    oom = !sr_catalog_skip(cat, file, "empty body");
    goto done;
  }
  st = sr_catalog_add(cat, &e, err);
  free(text);
  sr_frontmatter_free(&fm);
  return st;
done:
  free(text);
  sr_frontmatter_free(&fm);
  sr_entry_release(&e);
  return oom ? sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", file) : SR_OK;
}
