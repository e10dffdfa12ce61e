// A tiny static server for the demo: serves the wasm/ directory on 127.0.0.1 only.
//
//     node wasm/scripts/serve.mjs [PORT]      # then open http://127.0.0.1:8787/demo/
//
// The port comes from the first argument, else the PORT environment variable, else 8787;
// 0 picks a free port. No dependencies: node:http, node:fs and node:path only.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The directory served: wasm/ (so /demo/ and /pkg/ are siblings, as app.js expects). */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const HOST = "127.0.0.1";
const DEFAULT_PORT = 8787;

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

function send(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(body);
}

/** Resolves a URL path to a file under `root`, or null when it escapes it or is hidden. */
function toFile(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0")) return null;
  const file = resolve(root, `.${decoded}`);
  const rel = relative(root, file);
  if (rel.startsWith("..") || resolve(root, rel) !== file) return null;
  if (rel.split(sep).some((part) => part.startsWith("."))) return null;
  return file;
}

async function handle(req, res) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    send(res, 405, "method not allowed\n", { allow: "GET, HEAD" });
    return;
  }
  const url = new URL(req.url ?? "/", `http://${HOST}`);
  if (url.pathname === "/") {
    send(res, 302, "see /demo/\n", { location: "/demo/" });
    return;
  }
  let file = toFile(url.pathname);
  if (file === null) {
    send(res, 404, "not found\n");
    return;
  }
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    if (!url.pathname.endsWith("/")) {
      send(res, 301, "moved\n", { location: `${url.pathname}/${url.search}` });
      return;
    }
    file = join(file, "index.html");
    info = await stat(file).catch(() => null);
  }
  if (!info?.isFile()) {
    send(res, 404, "not found\n");
    return;
  }
  res.writeHead(200, {
    "content-type": MIME[extname(file).toLowerCase()] ?? "application/octet-stream",
    "content-length": info.size,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  createReadStream(file)
    .on("error", () => res.destroy())
    .pipe(res);
}

/**
 * Starts the server on 127.0.0.1:`port` (0 = a free port).
 * @param {number} [port]
 * @returns {Promise<{url: string, port: number, close: () => Promise<void>}>}
 */
export function serve(port = DEFAULT_PORT) {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, "internal error\n");
      else res.destroy();
    });
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => {
      server.off("error", reject);
      const address = server.address();
      const actual = typeof address === "object" && address ? address.port : port;
      resolvePromise({
        url: `http://${HOST}:${actual}`,
        port: actual,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections?.();
          }),
      });
    });
  });
}

export default serve;

function portFrom(value) {
  if (value === undefined || value === "") return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid port: ${value}`);
  }
  return port;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const port = portFrom(process.argv[2]) ?? portFrom(process.env.PORT) ?? DEFAULT_PORT;
    const { url } = await serve(port);
    console.log(`Serving ${root} at ${url}/ (demo: ${url}/demo/). Ctrl-C to stop.`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
