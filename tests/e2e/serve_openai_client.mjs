// serve_openai_client.mjs — calls `skillrouter serve --http`'s /v1/embeddings with the official `openai`
// npm client. Usage: node serve_openai_client.mjs BASE_URL API_KEY MODEL TEXT... (run from a directory
// where `openai` is installed). Prints one JSON object: the embeddings the client returned for the
// default encoding (the client asks for base64 and decodes it itself), for "float", for "base64" (decoded
// here), for dimensions=8, the encoding_format each request sent, and the status of a wrong-key call.
import OpenAI from "openai";

const [baseURL, apiKey, model, ...input] = process.argv.slice(2);
const sent = [];
const recordingFetch = async (url, init) => {
  try { sent.push(JSON.parse(init.body).encoding_format ?? null); } catch { sent.push("unparsable"); }
  return fetch(url, init);
};
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60000, fetch: recordingFetch });
const vecs = (r) => r.data.map((d) => Array.from(d.embedding));
const fromBase64 = (s) => {
  const b = Buffer.from(s, "base64");
  return Array.from(new Float32Array(b.buffer, b.byteOffset, b.length / 4));
};

const out = {};
const def = await client.embeddings.create({ model, input });
out.default = vecs(def);
out.default_model = def.model;
out.default_usage = def.usage;
out.default_indices = def.data.map((d) => d.index);
out.float = vecs(await client.embeddings.create({ model, input, encoding_format: "float" }));
const b64 = await client.embeddings.create({ model, input, encoding_format: "base64" });
out.base64_is_string = b64.data.every((d) => typeof d.embedding === "string");
out.base64 = b64.data.map((d) => fromBase64(d.embedding));
out.dim8 = vecs(await client.embeddings.create({ model, input: input[0], dimensions: 8 }));
out.sent = sent;
const bad = new OpenAI({ baseURL, apiKey: "wrong-" + apiKey, maxRetries: 0 });
try {
  await bad.embeddings.create({ model, input: "x" });
  out.wrong_key_status = 200;
} catch (e) {
  out.wrong_key_status = e.status ?? String(e);
  out.wrong_key_class = e.constructor.name;
}
console.log(JSON.stringify(out));
