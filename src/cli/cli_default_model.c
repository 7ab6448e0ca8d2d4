/* cli_default_model.c — see cli_default_model.h. */
#include "cli/cli_default_model.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool exists(const char *p) { return access(p, R_OK) == 0; }

bool cli_default_model_find(const char *explicit_path, bool no_model, char *out, size_t cap) {
  if (no_model) return false;
  if (explicit_path) {
    snprintf(out, cap, "%s", explicit_path);
    return true;
  }
  const char *env = getenv("SKILLROUTER_MODEL");
  if (env && *env) {
    if (!strcmp(env, "none")) return false;
    snprintf(out, cap, "%s", env);
    return true;
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    /* build/asan/skillrouter sits one level deeper than build/skillrouter */
    static const char *const rel[] = {"/../models/default.srm", "/../../models/default.srm",
                                      "/../share/skillrouter/default.srm"};
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
      snprintf(out, cap, "%s%s", exe, rel[i]);
      if (exists(out)) return true;
    }
  }
  static const char *const sys[] = {"/usr/local/share/skillrouter/default.srm", "/usr/share/skillrouter/default.srm"};
  for (size_t i = 0; i < sizeof sys / sizeof *sys; i++) {
    snprintf(out, cap, "%s", sys[i]);
    if (exists(out)) return true;
  }
  return false;
}

int cli_default_model_load(const char *cmd, const char *explicit_path, bool no_model, sr_default_model *m) {
  memset(m, 0, sizeof *m);
  char path[PATH_MAX + 64];
  if (!cli_default_model_find(explicit_path, no_model, path, sizeof path)) return 0;
  sr_error err = {0};
  if (sr_default_model_load(path, m, &err) != SR_OK) {
    fprintf(stderr, "skillrouter %s: %s (use --no-model for the lexical router)\n", cmd, err.msg);
    return -1;
  }
  return 1;
}
