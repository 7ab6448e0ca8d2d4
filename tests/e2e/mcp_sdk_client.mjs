// mcp_sdk_client.mjs — connects to `skillrouter serve --mcp` with the official MCP TypeScript SDK over
// stdio, lists the tools and calls each one. Usage: node mcp_sdk_client.mjs SKILLROUTER INDEX
// (run from a directory where @modelcontextprotocol/sdk is installed). Prints "ok" lines; exits 1 on failure.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [bin, index] = process.argv.slice(2);
function check(cond, what) { if (!cond) { console.error("FAIL " + what); process.exitCode = 1; } else console.log("ok " + what); }

const transport = new StdioClientTransport({ command: bin, args: ["serve", "--mcp", "-i", index], stderr: "inherit" });
const client = new Client({ name: "skillrouter-e2e", version: "1.0.0" });
await client.connect(transport);
check(client.getServerVersion()?.name === "skillrouter", "initialize: server name");
const { tools } = await client.listTools();
check(["search_skills", "open_skill", "route_tools"].every(n => tools.some(t => t.name === n)), "tools/list has the three tools");
let r = await client.callTool({ name: "search_skills", arguments: { task: "measure the volume of an STL mesh and its connected components", k: 2 } });
check(r.structuredContent?.results?.[0]?.name === "stl-mesh-analysis" && r.structuredContent.no_confident_match === false, "search_skills ranks stl-mesh-analysis first");
r = await client.callTool({ name: "open_skill", arguments: { name_or_id: "git-bisect" } });
check(!r.isError && r.content[0].text.startsWith("---\nname: git-bisect\n") && r.content[0].text.includes("git bisect run"), "open_skill returns the SKILL.md text");
r = await client.callTool({ name: "route_tools", arguments: { task: "severe weather alerts for a US state", k: 5 } });
check(r.structuredContent?.tools?.[0]?.name === "get_alerts" && r.structuredContent.tools[0].inputSchema?.properties?.state, "route_tools returns tool definitions");
let threw = false;
try { await client.callTool({ name: "search_skills", arguments: { k: 3 } }); } catch (e) { threw = /-32602|task/.test(String(e)); }
check(threw, "missing argument is an invalid-params error");
await client.close();
