// A tiny static file server for the built site (dist/), bound to 127.0.0.1 only. Used by the browser
// tests; `node tests/browser/server.mjs [DIR] [PORT] [BASE]` serves DIR under the URL path BASE.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** Starts serving `dir` under `base` (e.g. "/" or "/tools/svcpath/"); resolves to { url, close, log }. */
export async function serve(dir, { port = 0, base = "/" } = {}) {
  const root = resolve(dir);
  const log = [];
  const server = createServer(async (req, res) => {
    log.push(req.url);
    try {
      const url = new URL(req.url, "http://127.0.0.1");
      let path = decodeURIComponent(url.pathname);
      if (!path.startsWith(base)) {
        res.writeHead(404).end("not found");
        return;
      }
      path = path.slice(base.length);
      if (path === "" || path.endsWith("/")) path += "index.html";
      const file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403).end("forbidden");
        return;
      }
      const info = await stat(file);
      if (!info.isFile()) throw new Error("not a file");
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "content-length": body.length,
        "cache-control": "no-cache",
      });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  await new Promise((ok) => server.listen(port, "127.0.0.1", ok));
  const { port: actual } = server.address();
  return {
    url: `http://127.0.0.1:${actual}${base}`,
    log,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir = "dist", port = "8080", base = "/"] = process.argv.slice(2);
  const s = await serve(dir, { port: Number(port), base });
  console.log(`serving ${dir} on ${s.url}`);
}
