/* main.c — the skillrouter CLI: dispatches to the sub-command named by argv[1]. Only main exits. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

#define SKILLROUTER_VERSION "0.1.0"

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command COMMANDS[] = {
    {"index", cmd_index, "build or update an index from skill directories, JSONL or tool lists"},
    {"route", cmd_route, "rank the catalog's skills/tools for a task"},
    {"eval", cmd_eval, "score routing on a benchmark (official SkillRouter metrics)"},
    {"embed", cmd_embed, "Qwen3/SkillRouter embeddings of queries or documents"},
    {"rerank", cmd_rerank, "score documents for a query with the SkillRouter reranker"},
    {"export", cmd_export, "write an index's entries and vectors as JSONL"},
    {"tokenize", cmd_tokenize, "text to Qwen3 token ids, or ids to text (--decode)"},
    {"serve", cmd_serve, "serve an index over MCP (stdio) or HTTP"},
    {"train", cmd_train, "train the default model (bi-encoder + reranker) on a catalog"},
    {"write-queries", cmd_write_queries, "have an OpenAI-compatible chat endpoint write training queries"},
    {"bench-model", cmd_bench_model, "prefill/rerank speed of a random-weight Qwen3 of a config (no file)"},
};

static void usage(FILE *f) {
  fprintf(f, "skillrouter %s — a skill and tool router for LLM agents\n\nusage: skillrouter <command> [options]\n\ncommands:\n",
          SKILLROUTER_VERSION);
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
    fprintf(f, "  %-13s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
  fprintf(f, "\n'skillrouter <command> --help' shows a command's options.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
    printf("skillrouter %s\n", SKILLROUTER_VERSION);
    return 0;
  }
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
    if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
  fprintf(stderr, "skillrouter: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
