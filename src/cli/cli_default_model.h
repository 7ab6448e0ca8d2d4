/* cli_default_model.h — finding and loading the default model for the CLI commands.
 *
 * Search order: --model FILE; $SKILLROUTER_MODEL; <directory of the executable>/../models/default.srm
 * (a source checkout: build/skillrouter); <exe dir>/../share/skillrouter/default.srm (an install);
 * /usr/local/share/skillrouter/default.srm; /usr/share/skillrouter/default.srm. --no-model (or
 * SKILLROUTER_MODEL=none) disables it: the plain lexical router. */
#ifndef SR_CLI_DEFAULT_MODEL_H
#define SR_CLI_DEFAULT_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "route/default_model.h"

/* Writes the model path to use into out and returns true, or returns false when there is none (or
 * it is disabled). An explicit path is returned as is (loading reports a missing file). */
bool cli_default_model_find(const char *explicit_path, bool no_model, char *out, size_t cap);

/* Finds and loads the model. Returns 1 = loaded (m filled), 0 = none to use (m zeroed), -1 = a model
 * was found but fails to load (message printed with `cmd` as prefix). */
int cli_default_model_load(const char *cmd, const char *explicit_path, bool no_model, sr_default_model *m);

#endif
