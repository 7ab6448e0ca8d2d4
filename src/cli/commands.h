/* commands.h — one function per CLI sub-command, each in its own src/cli/cmd_<name>.c.
 * A command parses its own arguments, prints its own output and returns the process exit code:
 * 0 success, 1 failure (message on stderr), 2 usage error, 3 success with skipped input (index). */
#ifndef SR_CLI_COMMANDS_H
#define SR_CLI_COMMANDS_H

int cmd_index(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_eval_scale(int argc, char **argv);  /* `eval --scale ...` (cmd_eval_scale.c) */
int cmd_embed(int argc, char **argv);
int cmd_rerank(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_bench_model(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_write_queries(int argc, char **argv);

#endif
