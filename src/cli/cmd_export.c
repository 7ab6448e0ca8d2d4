/* cmd_export.c — `skillrouter export -i INDEX [-o FILE]`: one JSON object per entry:
 * {"id","name","description","pack","vector":[...]} (vector only when the index holds vectors;
 * int8/f16 vectors are written dequantised). Re-importable with `index --vectors FILE`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "index/index.h"
#include "index/vectors.h"
#include "util/buf.h"

static void str_field(sr_buf *b, const char *key, const char *v) {
  sr_buf_printf(b, ",\"%s\":", key);
  if (v) sr_buf_json_string(b, v, strlen(v));
  else sr_buf_puts(b, "null");
}

int cmd_export(int argc, char **argv) {
  const char *ipath = NULL, *opath = NULL;
  for (int i = 1; i < argc; i++) {
    if ((!strcmp(argv[i], "-i") || !strcmp(argv[i], "--index")) && i + 1 < argc) ipath = argv[++i];
    else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) opath = argv[++i];
    else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { printf("usage: skillrouter export -i INDEX [-o FILE]\n"); return 0; }
    else { fprintf(stderr, "skillrouter export: unknown argument %s\nusage: skillrouter export -i INDEX [-o FILE]\n", argv[i]); return 2; }
  }
  if (!ipath) { fprintf(stderr, "usage: skillrouter export -i INDEX [-o FILE]\n"); return 2; }
  sr_error err = {0};
  sr_index *ix = NULL;
  if (sr_index_open(ipath, &ix, &err)) { fprintf(stderr, "skillrouter export: %s\n", err.msg); return 1; }
  FILE *fp = opath ? fopen(opath, "w") : stdout;
  if (!fp) { fprintf(stderr, "skillrouter export: cannot write %s\n", opath); sr_index_close(ix); return 1; }
  sr_vec_view vv;
  bool have = sr_index_vectors(ix, &vv);
  float *x = have ? malloc(vv.dim * sizeof *x) : NULL;
  sr_buf b = SR_BUF_INIT;
  int rc = 0;
  for (uint32_t d = 0; d < sr_index_count(ix) && !rc; d++) {
    sr_entry_view e;
    sr_index_entry(ix, d, &e);
    sr_buf_reset(&b);
    sr_buf_puts(&b, "{\"id\":");
    sr_buf_json_string(&b, e.id, strlen(e.id));
    str_field(&b, "name", e.name);
    str_field(&b, "description", e.description);
    str_field(&b, "pack", e.pack);
    if (have && x) {
      sr_vec_get_f32(&vv, d, x);
      sr_buf_puts(&b, ",\"vector\":[");
      for (size_t k = 0; k < vv.dim; k++) sr_buf_printf(&b, "%s%.8g", k ? "," : "", x[k]);
      sr_buf_putc(&b, ']');
    }
    sr_buf_puts(&b, "}\n");
    if (fwrite(b.data, 1, b.len, fp) != b.len) rc = 1;
  }
  if (have && !x) rc = 1;
  if (opath && fclose(fp) != 0) rc = 1;
  if (rc) fprintf(stderr, "skillrouter export: write failed\n");
  sr_buf_free(&b);
  free(x);
  sr_index_close(ix);
  return rc;
}
