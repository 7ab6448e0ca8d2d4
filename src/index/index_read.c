/* index_read.c — opens and validates an index file; accessors. See index.h for the contract.
 * Every offset read from the file is bounds-checked here, once, so later readers can trust them. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "index/index_format.h"
#include "util/hash.h"

static sr_status corrupt(sr_error *err, const char *path, const char *what) {
  return sr_fail(err, SR_ERR_CORRUPT, "%s: corrupt index: %s (rebuild it with 'skillrouter index')", path, what);
}

static const sr_idx_section *find_section(const sr_idx_section *tab, uint32_t n, uint32_t tag) {
  for (uint32_t i = 0; i < n; i++)
    if (tab[i].tag == tag) return &tab[i];
  return NULL;
}

/* Validates the header and section table; checks every section's crc. */
static sr_status check_layout(const sr_index *ix, const sr_idx_section **tab_out, sr_error *err) {
  const char *path = ix->path;
  const unsigned char *d = ix->map.data;
  size_t len = ix->map.len;
  if (len < sizeof(sr_idx_header))
    return len == 0 ? corrupt(err, path, "empty file") : corrupt(err, path, "truncated header");
  const sr_idx_header *h = (const sr_idx_header *)d;
  if (memcmp(h->magic, SR_IDX_MAGIC, 8) != 0)
    return sr_fail(err, SR_ERR_CORRUPT, "%s: not a skillrouter index (bad magic)", path);
  if (h->version != SR_IDX_VERSION)
    return sr_fail(err, SR_ERR_UNSUPPORTED, "%s: index format version %u, this program reads version %u (rebuild the index)",
                   path, h->version, SR_IDX_VERSION);
  if (h->file_size != len) {
    char what[128];
    snprintf(what, sizeof what, "file is %zu bytes, header says %llu (truncated or appended to)", len,
             (unsigned long long)h->file_size);
    return corrupt(err, path, what);
  }
  if (h->n_sections == 0 || h->n_sections > 64 || h->table_offset % 8 ||
      h->table_offset > len || (len - h->table_offset) / sizeof(sr_idx_section) < h->n_sections)
    return corrupt(err, path, "bad section table");
  const sr_idx_section *tab = (const sr_idx_section *)(d + h->table_offset);
  if ((uint32_t)crc32_z(0, (const void *)tab, h->n_sections * sizeof *tab) != h->table_crc)
    return corrupt(err, path, "section table checksum mismatch");
  for (uint32_t i = 0; i < h->n_sections; i++) {
    if (tab[i].offset % SR_IDX_ALIGN || tab[i].offset > len || tab[i].size > len - tab[i].offset)
      return corrupt(err, path, "section outside the file");
    if ((uint32_t)crc32_z(0, d + tab[i].offset, tab[i].size) != tab[i].crc) {
      char what[96];
      uint32_t t = tab[i].tag;
      snprintf(what, sizeof what, "checksum mismatch in section %c%c%c%c at byte %llu", (char)(t & 0xff),
               (char)(t >> 8 & 0xff), (char)(t >> 16 & 0xff), (char)(t >> 24), (unsigned long long)tab[i].offset);
      return corrupt(err, path, what);
    }
  }
  /* every byte outside the checksummed sections is accounted for: reserved header bytes and the
   * alignment padding between sections must be zero, so that any flipped byte is detected */
  for (size_t i = 0; i < sizeof h->reserved; i++)
    if (h->reserved[i]) return corrupt(err, path, "non-zero reserved header bytes");
  /* walk the sections (and the table) in file order: no overlaps, gaps only zero padding */
  uint64_t spans[65][2];
  uint32_t ns = h->n_sections;
  for (uint32_t i = 0; i < ns; i++) { spans[i][0] = tab[i].offset; spans[i][1] = tab[i].offset + tab[i].size; }
  spans[ns][0] = h->table_offset;
  spans[ns][1] = h->table_offset + ns * sizeof *tab;
  for (uint32_t i = 1; i <= ns; i++)  /* insertion sort by start, then end */
    for (uint32_t j = i; j > 0 && (spans[j][0] < spans[j - 1][0] || (spans[j][0] == spans[j - 1][0] && spans[j][1] < spans[j - 1][1])); j--) {
      uint64_t a = spans[j][0], b = spans[j][1];
      spans[j][0] = spans[j - 1][0]; spans[j][1] = spans[j - 1][1];
      spans[j - 1][0] = a; spans[j - 1][1] = b;
    }
  uint64_t pos = sizeof(sr_idx_header);
  for (uint32_t i = 0; i <= ns; i++) {
    if (spans[i][0] < pos) {
      if (spans[i][0] == spans[i][1] && spans[i][0] == pos) continue;
      return corrupt(err, path, "overlapping sections");
    }
    if (spans[i][0] - pos >= SR_IDX_ALIGN) return corrupt(err, path, "unaccounted bytes between sections");
    for (uint64_t b = pos; b < spans[i][0]; b++)
      if (d[b]) return corrupt(err, path, "non-zero padding between sections");
    pos = spans[i][1];
  }
  if (pos != len) return corrupt(err, path, "bytes after the section table");
  *tab_out = tab;
  return SR_OK;
}

static sr_status carve(sr_index *ix, const sr_idx_section *tab, uint32_t n_secs, sr_error *err) {
  const char *path = ix->path;
  const unsigned char *d = ix->map.data;
  const sr_idx_section *s_stat = find_section(tab, n_secs, SR_SEC_STATS), *s_ent = find_section(tab, n_secs, SR_SEC_ENTRIES),
                       *s_str = find_section(tab, n_secs, SR_SEC_STRINGS), *s_term = find_section(tab, n_secs, SR_SEC_TERMS),
                       *s_tab = find_section(tab, n_secs, SR_SEC_TERMTAB), *s_post = find_section(tab, n_secs, SR_SEC_POSTINGS),
                       *s_pack = find_section(tab, n_secs, SR_SEC_PACKS), *s_id = find_section(tab, n_secs, SR_SEC_IDTAB);
  if (!s_stat || !s_ent || !s_str || !s_term || !s_tab || !s_post || !s_pack || !s_id) return corrupt(err, path, "missing section");
  if (s_stat->size != sizeof(sr_idx_stats)) return corrupt(err, path, "bad statistics section");
  ix->stats = (const sr_idx_stats *)(d + s_stat->offset);
  const sr_idx_stats *st = ix->stats;
  ix->n_entries = st->n_entries;
  ix->n_terms = st->n_terms;
  if (s_ent->size != (uint64_t)st->n_entries * sizeof(sr_idx_entry)) return corrupt(err, path, "entry table size");
  ix->entries = (const sr_idx_entry *)(d + s_ent->offset);
  if (s_str->size == 0 || d[s_str->offset + s_str->size - 1] != '\0') return corrupt(err, path, "string section not terminated");
  ix->strs = (const char *)(d + s_str->offset);
  ix->strs_size = s_str->size;
  uint64_t term_recs = (uint64_t)st->n_terms * sizeof(sr_idx_term);
  if (s_term->size < term_recs) return corrupt(err, path, "term table size");
  ix->terms = (const sr_idx_term *)(d + s_term->offset);
  ix->term_bytes = (const char *)(d + s_term->offset + term_recs);
  ix->term_bytes_size = s_term->size - term_recs;
  if (st->termtab_slots == 0 || (st->termtab_slots & (st->termtab_slots - 1)) || st->termtab_slots < st->n_terms ||
      s_tab->size != st->termtab_slots * sizeof(uint32_t))
    return corrupt(err, path, "term hash table size");
  ix->termtab = (const uint32_t *)(d + s_tab->offset);
  ix->termtab_slots = st->termtab_slots;
  if (st->idtab_slots == 0 || (st->idtab_slots & (st->idtab_slots - 1)) || st->idtab_slots < st->n_entries ||
      s_id->size != st->idtab_slots * sizeof(uint32_t))
    return corrupt(err, path, "id hash table size");
  ix->idtab = (const uint32_t *)(d + s_id->offset);
  ix->idtab_slots = st->idtab_slots;
  for (uint64_t i = 0; i < ix->idtab_slots; i++)
    if (ix->idtab[i] > ix->n_entries) return corrupt(err, path, "id hash table entry out of range");
  ix->post = d + s_post->offset;
  ix->post_size = s_post->size;
  /* entries: every string offset inside STRS; pack ids in range */
  if (s_pack->size < 8) return corrupt(err, path, "pack section size");
  const uint32_t *ph = (const uint32_t *)(d + s_pack->offset);
  ix->n_packs = ph[0];
  if (ix->n_packs != st->n_packs) return corrupt(err, path, "pack count");
  uint64_t need = 8 + (uint64_t)ix->n_packs * 8 + ((uint64_t)ix->n_packs + 1) * 4;
  if (s_pack->size < need) return corrupt(err, path, "pack section size");
  ix->pack_names = (const uint64_t *)(d + s_pack->offset + 8);
  ix->pack_starts = (const uint32_t *)(d + s_pack->offset + 8 + (uint64_t)ix->n_packs * 8);
  ix->pack_members = ix->pack_starts + ix->n_packs + 1;
  if (ix->pack_starts[0] != 0 || s_pack->size != need + (uint64_t)ix->pack_starts[ix->n_packs] * 4)
    return corrupt(err, path, "pack member table size");
  for (uint32_t p = 0; p < ix->n_packs; p++)
    if (ix->pack_starts[p + 1] < ix->pack_starts[p] || ix->pack_names[p] >= ix->strs_size) return corrupt(err, path, "pack table");
  for (uint32_t m = 0; m < ix->pack_starts[ix->n_packs]; m++)
    if (ix->pack_members[m] >= ix->n_entries) return corrupt(err, path, "pack member out of range");
  for (uint32_t i = 0; i < ix->n_entries; i++) {
    const sr_idx_entry *e = &ix->entries[i];
    for (int k = 0; k < SR_STR_COUNT; k++) {
      bool optional = k == SR_STR_PACK || k == SR_STR_CATEGORY || k == SR_STR_METADATA;
      if (e->str[k] == SR_IDX_NO_STRING ? !optional : e->str[k] >= ix->strs_size) {
        char what[96];
        snprintf(what, sizeof what, "entry %u has a string outside the string section", i);
        return corrupt(err, path, what);
      }
    }
    if (e->pack_id != UINT32_MAX && e->pack_id >= ix->n_packs) return corrupt(err, path, "entry pack id out of range");
  }
  /* terms: string and postings offsets in range and ascending */
  for (uint32_t t = 0; t < ix->n_terms; t++) {
    const sr_idx_term *tr = &ix->terms[t];
    if (tr->str_offset >= ix->term_bytes_size || tr->len > ix->term_bytes_size - tr->str_offset - 1 ||
        ix->term_bytes[tr->str_offset + tr->len] != '\0' || tr->post_offset > ix->post_size ||
        (t > 0 && tr->post_offset < ix->terms[t - 1].post_offset) || tr->df > ix->n_entries)
      return corrupt(err, path, "term table entry out of range");
  }
  for (uint64_t i = 0; i < ix->termtab_slots; i++)
    if (ix->termtab[i] > ix->n_terms) return corrupt(err, path, "term hash table entry out of range");
  const sr_idx_section *s_vec = find_section(tab, n_secs, SR_SEC_VECS);  /* optional */
  const sr_idx_section *s_vecr = find_section(tab, n_secs, SR_SEC_VECR);  /* optional, needs int8 VECS */
  sr_status vs = s_vec ? sr_idx_vecs_carve(ix, d + s_vec->offset, s_vec->size, err) : SR_OK;
  if (!vs && s_vecr) vs = sr_idx_vecr_carve(ix, d + s_vecr->offset, s_vecr->size, err);
  return vs;
}

sr_status sr_index_open(const char *path, sr_index **out, sr_error *err) {
  *out = NULL;
  sr_index *ix = calloc(1, sizeof *ix);
  if (!ix || !(ix->path = strdup(path))) {
    free(ix);
    return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  }
  sr_status st = sr_map_file(path, &ix->map, err);
  const sr_idx_section *tab = NULL;
  if (st == SR_OK) st = check_layout(ix, &tab, err);
  if (st == SR_OK) st = carve(ix, tab, ((const sr_idx_header *)ix->map.data)->n_sections, err);
  if (st != SR_OK) {
    sr_index_close(ix);
    return st;
  }
  *out = ix;
  return SR_OK;
}

void sr_index_close(sr_index *ix) {
  if (!ix) return;
  sr_map_close(&ix->map);
  free(ix->path);
  free(ix);
}

uint32_t sr_index_count(const sr_index *ix) { return ix->n_entries; }
const char *sr_index_path(const sr_index *ix) { return ix->path; }
const sr_analyzer_opts *sr_index_analyzer(const sr_index *ix) { return &ix->stats->analyzer; }

static const char *str_at(const sr_index *ix, uint64_t off) { return off == SR_IDX_NO_STRING ? NULL : ix->strs + off; }

void sr_index_entry(const sr_index *ix, uint32_t doc, sr_entry_view *out) {
  const sr_idx_entry *e = &ix->entries[doc];
  out->id = str_at(ix, e->str[SR_STR_ID]);
  out->name = str_at(ix, e->str[SR_STR_NAME]);
  out->description = str_at(ix, e->str[SR_STR_DESCRIPTION]);
  out->body = str_at(ix, e->str[SR_STR_BODY]);
  out->pack = str_at(ix, e->str[SR_STR_PACK]);
  out->category = str_at(ix, e->str[SR_STR_CATEGORY]);
  out->source = str_at(ix, e->str[SR_STR_SOURCE]);
  out->metadata = str_at(ix, e->str[SR_STR_METADATA]);
  out->kind = (sr_entry_kind)e->kind;
  out->content_hash = e->content_hash;
  out->pack_id = e->pack_id;
}

bool sr_index_find(const sr_index *ix, const char *id, uint32_t *doc) {
  size_t len = strlen(id);
  uint64_t mask = ix->idtab_slots - 1;
  for (uint64_t i = sr_hash64(id, len, 0) & mask, probes = 0; probes <= mask; i = (i + 1) & mask, probes++) {
    uint32_t v = ix->idtab[i];
    if (!v) return false;
    if (strcmp(ix->strs + ix->entries[v - 1].str[SR_STR_ID], id) == 0) {
      *doc = v - 1;
      return true;
    }
  }
  return false;
}

bool sr_index_term_find(const sr_index *ix, const char *term, size_t len, uint32_t *term_id) {
  uint64_t mask = ix->termtab_slots - 1;
  for (uint64_t i = sr_hash64(term, len, 0) & mask, probes = 0; probes <= mask; i = (i + 1) & mask, probes++) {
    uint32_t v = ix->termtab[i];
    if (!v) return false;
    const sr_idx_term *t = &ix->terms[v - 1];
    if (t->len == len && memcmp(ix->term_bytes + t->str_offset, term, len) == 0) {
      *term_id = v - 1;
      return true;
    }
  }
  return false;
}

void sr_index_term_postings(const sr_index *ix, uint32_t t, const uint8_t **begin, const uint8_t **end) {
  uint64_t lo = ix->terms[t].post_offset, hi = t + 1 < ix->n_terms ? ix->terms[t + 1].post_offset : ix->post_size;
  *begin = ix->post + lo;
  *end = ix->post + hi;
}

uint32_t sr_index_pack_count(const sr_index *ix) { return ix->n_packs; }
const char *sr_index_pack_name(const sr_index *ix, uint32_t pack) { return ix->strs + ix->pack_names[pack]; }
uint32_t sr_index_pack_entries(const sr_index *ix, uint32_t pack, const uint32_t **docs) {
  *docs = ix->pack_members + ix->pack_starts[pack];
  return ix->pack_starts[pack + 1] - ix->pack_starts[pack];
}
