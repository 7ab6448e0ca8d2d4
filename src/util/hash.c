/* hash.c — a simple 64-bit multiply-mix hash (8 bytes per step) and the string map of hash.h. */
#include "util/hash.h"

#include <stdlib.h>
#include <string.h>

static inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t sr_hash64(const void *p, size_t n, uint64_t seed) {
  const unsigned char *s = p;
  uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (n + 1));
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ mix64(w)) * 0x9e3779b97f4a7c15ULL;
    h = (h << 27) | (h >> 37);
    s += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  for (size_t i = 0; i < n; i++) tail |= (uint64_t)s[i] << (8 * i);
  h ^= mix64(tail ^ 0x5bd1e995ULL);
  return mix64(h);
}

bool sr_strmap_get(const sr_strmap *m, const char *key, size_t len, uint32_t *value) {
  if (!m->cap) return false;
  uint64_t h = sr_hash64(key, len, 0);
  size_t mask = m->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const sr_strmap_slot *s = &m->slots[i];
    if (!s->key) return false;
    if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
      *value = s->value;
      return true;
    }
  }
}

static bool grow(sr_strmap *m) {
  size_t cap = m->cap ? m->cap * 2 : 64;
  sr_strmap_slot *slots = calloc(cap, sizeof *slots);
  if (!slots) return false;
  for (size_t i = 0; i < m->cap; i++) {
    sr_strmap_slot *s = &m->slots[i];
    if (!s->key) continue;
    size_t j = s->hash & (cap - 1);
    while (slots[j].key) j = (j + 1) & (cap - 1);
    slots[j] = *s;
  }
  free(m->slots);
  m->slots = slots;
  m->cap = cap;
  return true;
}

bool sr_strmap_put(sr_strmap *m, const char *key, size_t len, uint32_t value, bool *inserted,
                   uint32_t *existing) {
  if ((m->count + 1) * 4 >= m->cap * 3 && !grow(m)) return false;
  uint64_t h = sr_hash64(key, len, 0);
  size_t mask = m->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    sr_strmap_slot *s = &m->slots[i];
    if (!s->key) {
      s->key = key;
      s->len = (uint32_t)len;
      s->value = value;
      s->hash = h;
      m->count++;
      if (inserted) *inserted = true;
      return true;
    }
    if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
      if (inserted) *inserted = false;
      if (existing) *existing = s->value;
      return true;
    }
  }
}

void sr_strmap_free(sr_strmap *m) {
  free(m->slots);
  m->slots = NULL;
  m->cap = m->count = 0;
}
