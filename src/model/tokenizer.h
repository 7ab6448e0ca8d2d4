/* tokenizer.h — Qwen2/Qwen3 byte-level BPE tokenizer (the tokenizer of Qwen3-Embedding/Reranker and of
 * the SkillRouter models).
 *
 * Encoding (QWEN3_SPEC.md §3): added tokens are matched first (exact, leftmost-longest, all of them,
 * "special" or not); every other segment is NFC-normalised, split with the Qwen2 pre-tokenizer regex,
 * mapped to bytes and merged with BPE by merge rank (Hugging Face semantics: lowest rank first, leftmost
 * first among equals). No BOS/EOS is added: callers append <|endoftext|> themselves where the model
 * needs it (Qwen3-Embedding does; see sr_tokenizer_token_id).
 *
 * Thread safety: a loaded sr_tokenizer is immutable, so any number of threads may encode and decode
 * with one tokenizer at the same time. Per-call working memory (regex match data, BPE buffers, the
 * word cache) lives in an sr_tok_scratch: sr_tokenizer_encode makes a temporary one per call; a thread
 * that encodes many texts keeps its own scratch and calls sr_tokenizer_encode_scratch, which reuses the
 * buffers and the bounded BPE word cache. A scratch must not be used by two threads at once.
 */
#ifndef SR_MODEL_TOKENIZER_H
#define SR_MODEL_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

typedef struct sr_tokenizer sr_tokenizer;
typedef struct sr_tok_scratch sr_tok_scratch;

/* Loads the tokenizer in directory `dir`. When `dir`/tokenizer.json exists (Hugging Face fast format:
 * model.vocab, model.merges as "a b" strings or [a, b] pairs, added_tokens) it is used; otherwise
 * vocab.json + merges.txt, with added tokens from tokenizer_config.json (added_tokens_decoder) and/or
 * added_tokens.json. The pre-tokenizer and normaliser are always Qwen2's (regex split + NFC); other
 * settings in those files are not read. When `dir` has neither tokenizer.json nor vocab.json but has a
 * tokenizer/ sub-directory, that is used instead. Errors name the file and place (SR_ERR_NOT_FOUND for a missing
 * file, SR_ERR_FORMAT for bad content). On success *out owns the tokenizer (sr_tokenizer_free). */
sr_status sr_tokenizer_load(const char *dir, sr_tokenizer **out, sr_error *err);

/* Releases a tokenizer; NULL is allowed. No scratch made for it may be used afterwards. */
void sr_tokenizer_free(sr_tokenizer *tok);

/* Number of ids: highest token id + 1 (151669 for Qwen3). */
size_t sr_tokenizer_vocab_size(const sr_tokenizer *tok);

/* Id of the token whose text is exactly `text` (an added token such as "<|endoftext|>", or a base
 * vocabulary token given as its raw UTF-8 bytes, e.g. " yes"); -1 when there is none. */
int32_t sr_tokenizer_token_id(const sr_tokenizer *tok, const char *text);

/* Raw bytes of token `id` (added tokens: their text); *len gets the length. NULL for an unknown id.
 * The bytes are owned by the tokenizer and are not NUL-terminated. */
const char *sr_tokenizer_token_bytes(const sr_tokenizer *tok, int32_t id, size_t *len);

/* True when `id` is an added token marked special (e.g. <|endoftext|>, <|im_start|>); false for
 * ordinary and non-special added tokens (<think>) and for unknown ids. */
bool sr_tokenizer_is_special(const sr_tokenizer *tok, int32_t id);

/* Makes a scratch for encoding with `tok` on one thread (freed with sr_tok_scratch_free; it must not
 * outlive tok). Its BPE word cache is bounded (a few MB at most). */
sr_status sr_tok_scratch_new(const sr_tokenizer *tok, sr_tok_scratch **out, sr_error *err);
void sr_tok_scratch_free(sr_tok_scratch *s);

/* Encodes text[0..len) (UTF-8; NUL bytes allowed) into token ids. On success *ids is a malloc'd array
 * of *n ids the caller frees (non-NULL even when *n == 0). Invalid UTF-8 gives SR_ERR_FORMAT naming the
 * byte offset; *ids = NULL and *n = 0 on any failure. Thread-safe (uses a temporary scratch). */
sr_status sr_tokenizer_encode(const sr_tokenizer *tok, const char *text, size_t len, int32_t **ids,
                              size_t *n, sr_error *err);

/* Same as sr_tokenizer_encode, with the caller's per-thread scratch `s` (made for this tokenizer). */
sr_status sr_tokenizer_encode_scratch(const sr_tokenizer *tok, sr_tok_scratch *s, const char *text,
                                      size_t len, int32_t **ids, size_t *n, sr_error *err);

/* Decodes ids to UTF-8 text: the byte-level map is reversed, added tokens are rendered as their text
 * (tokens marked special are left out when skip_special is true). Byte sequences that are not valid
 * UTF-8 (ids cut inside a character) become U+FFFD, as Hugging Face's errors="replace" does. On success
 * *text is a malloc'd NUL-terminated string of *len bytes (len may be NULL). An id outside the
 * vocabulary gives SR_ERR_ARG naming its position. */
sr_status sr_tokenizer_decode(const sr_tokenizer *tok, const int32_t *ids, size_t n, bool skip_special,
                              char **text, size_t *len, sr_error *err);

#endif
