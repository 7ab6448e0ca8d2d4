/* prompts.h — the exact input strings of the SkillRouter models (shared/models/skillrouter/PROTOCOL.md):
 * encoder query and skill-document texts, the reranker's prompt body and its chat prefix/suffix.
 * Pure string functions (no tokenizer). "Characters" are Unicode code points, as in Python's s[:n];
 * cuts never split a UTF-8 sequence. A cap of SIZE_MAX means "do not cut". */
#ifndef SR_MODEL_PROMPTS_H
#define SR_MODEL_PROMPTS_H

#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

/* Encoder (bi-encoder) instruction, used as "Instruct: {instruction}\nQuery:{query}". */
#define SR_ENCODER_INSTRUCTION \
  "Given a coding task description, retrieve the most relevant skill document that would help an agent complete the task"
#define SR_QUERY_MAX_CHARS 2000          /* query cut (public eval; paper training used 1500) */
#define SR_DOC_DESC_CHARS 500            /* encoder document caps, public evaluation (the defaults) */
#define SR_DOC_BODY_CHARS 8000
#define SR_DOC_DESC_CHARS_PAPER 300      /* encoder document caps used in the paper's training */
#define SR_DOC_BODY_CHARS_PAPER 2500
#define SR_DOC_DESC_CHARS_MCP 500        /* the MCP router's caps */
#define SR_DOC_BODY_CHARS_MCP 4096

/* Reranker ("flat-full" format). */
#define SR_RERANK_INSTRUCTION \
  "Given a coding task description, judge whether the skill document is relevant and useful for completing the task"
#define SR_RERANK_DESC_CHARS 500
#define SR_RERANK_BODY_CHARS 2000
#define SR_RERANK_PREFIX                                                                                   \
  "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the "  \
  "Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n"
#define SR_RERANK_SUFFIX "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"

/* Byte length of the first `max_chars` code points of s[0..len) (len if it has fewer). Counts
 * UTF-8 lead bytes, so a cut always lands on a sequence boundary, even in invalid input. */
size_t sr_utf8_prefix_bytes(const char *s, size_t len, size_t max_chars);

/* "Instruct: {instruction}\nQuery:{query cut to max_chars}" (no space after "Query:").
 * instruction NULL = SR_ENCODER_INSTRUCTION. *out is malloc'd (free()). */
sr_status sr_query_text(const char *instruction, const char *query, size_t max_chars, char **out, sr_error *err);

/* "{name} | {description cut to desc_chars} | {body cut to body_chars}"; NULL fields count as "".
 * Defaults: SR_DOC_DESC_CHARS / SR_DOC_BODY_CHARS. *out is malloc'd. */
sr_status sr_doc_text(const char *name, const char *description, const char *body, size_t desc_chars,
                      size_t body_chars, char **out, sr_error *err);

/* "<Instruct>: {instruction}\n\n<Query>: {query, uncut}\n\n<Document>: {name} | {description cut to
 * desc_chars} | {body cut to body_chars}". instruction NULL = SR_RERANK_INSTRUCTION. Defaults:
 * SR_RERANK_DESC_CHARS / SR_RERANK_BODY_CHARS. The full model input is SR_RERANK_PREFIX + this +
 * SR_RERANK_SUFFIX, tokenised separately (see sr_qwen3_rerank). *out is malloc'd. */
sr_status sr_rerank_body_text(const char *instruction, const char *query, const char *name,
                              const char *description, const char *body, size_t desc_chars,
                              size_t body_chars, char **out, sr_error *err);

#endif
