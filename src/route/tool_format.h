/* tool_format.h — a shortlist as tool definitions ready for an LLM request.
 *
 * Formats (each a JSON array, in the order given):
 *   openai-tools     [{"type":"function","function":{"name","description","parameters"}}]
 *   anthropic-tools  [{"name","description","input_schema"}]
 *   mcp              [{"name","description","inputSchema"}]   (the "tools" array of an MCP tools/list)
 * The schema is the entry's metadata "inputSchema" (kept by the tool readers) when it is a JSON object;
 * skills and tools without one get the empty object schema {"type":"object","properties":{}}.
 * Names: OpenAI and Anthropic accept ^[a-zA-Z0-9_-]{1,64}$, so for those formats every other character
 * becomes '_' and the name is cut to 64 bytes; MCP keeps the name as it is. In every format a name that
 * repeats an earlier one in the array gets the suffix "_2", "_3", ... (tools of different packs often
 * share a name), so the array can be sent as it is. The entry id is not part of the definition;
 * callers map names back through the order of the array.
 */
#ifndef SR_ROUTE_TOOL_FORMAT_H
#define SR_ROUTE_TOOL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/index.h"
#include "util/buf.h"
#include "util/status.h"

typedef enum sr_tool_format { SR_TOOLS_OPENAI, SR_TOOLS_ANTHROPIC, SR_TOOLS_MCP } sr_tool_format;

/* "openai-tools" / "openai", "anthropic-tools" / "anthropic", "mcp"; false for anything else. */
bool sr_tool_format_parse(const char *name, sr_tool_format *out);

/* Appends the JSON array (pretty when `pretty`) of the definitions of entries docs[0..n) of ix to out. */
sr_status sr_tools_json(const sr_index *ix, const uint32_t *docs, size_t n, sr_tool_format f, bool pretty,
                        sr_buf *out, sr_error *err);

#endif
