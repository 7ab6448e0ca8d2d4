/* hash.h — non-cryptographic 64-bit hashing (content hashes, hash tables) and a string→index map.
 * Checksums of files use zlib's crc32 instead (see index/). */
#ifndef SR_HASH_H
#define SR_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 64-bit hash of n bytes, seeded. Stable across runs and machines (it is stored in index files). */
uint64_t sr_hash64(const void *p, size_t n, uint64_t seed);

/* sr_strmap: open-addressing map from byte strings to uint32 values.
 * The map does NOT own key bytes: the caller keeps every inserted key alive and unchanged for the map's
 * lifetime (keys usually live in a catalog or a mapped index). sr_strmap_free releases the table only. */
typedef struct sr_strmap_slot {
  const char *key;   /* NULL = empty slot */
  uint32_t len;
  uint32_t value;
  uint64_t hash;
} sr_strmap_slot;

typedef struct sr_strmap {
  sr_strmap_slot *slots;
  size_t cap;   /* power of two, or 0 */
  size_t count;
} sr_strmap;

#define SR_STRMAP_INIT {NULL, 0, 0}

/* Looks up `key`; returns true and sets *value if present. */
bool sr_strmap_get(const sr_strmap *m, const char *key, size_t len, uint32_t *value);
/* Inserts key→value if absent (returns true, *existing untouched) or leaves the map unchanged and
 * returns true with *inserted=false and *existing set to the stored value when present. Returns false
 * only when memory runs out. `existing` may be NULL. */
bool sr_strmap_put(sr_strmap *m, const char *key, size_t len, uint32_t value, bool *inserted,
                   uint32_t *existing);
void sr_strmap_free(sr_strmap *m);

#endif
