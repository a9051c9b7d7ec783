/**
 * A tiny static HTTP(S) server for the lab (node:http / node:https, no dependencies): serves the repository root on
 * 127.0.0.1 so the demo (`/demo/`), the bundle (`/dist/soft-phone.bundle.js`) and packages under
 * `/node_modules/` load in a browser exactly as files. Nothing is cached (`Cache-Control: no-store`),
 * so a rebuild shows at the next reload.
 *
 * Extra routes (exact paths, checked before files) let the lab serve generated data, e.g. `/lab.json`
 * with the lab's WebSocket URLs and accounts for the demo page (`jsonRoute`), or take JSON posts
 * (`jsonPost`).
 *
 * `https: { certFile, keyFile }` (e.g. the lab certificate, `lab.tls`) serves over https:// instead,
 * as a CRM is served in production: a page from it may only open wss:// connections.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export interface WebServerOptions {
  /** Directory served as `/`. */
  root: string;
  /** Port on 127.0.0.1; 0 or absent: a free port. */
  port?: number;
  /** Exact-path routes served before files, e.g. `{ '/lab.json': jsonRoute(() => data) }`. */
  routes?: Record<string, RouteHandler>;
  /** Serve over https:// with this certificate and key (PEM files), e.g. the lab's (`lab.tls`). */
  https?: { certFile: string; keyFile: string };
}

export interface WebServer {
  /** http://127.0.0.1:<port>, or https://127.0.0.1:<port> when served over TLS */
  url: string;
  port: number;
  /** Adds or replaces an exact-path route while running. */
  route(pathname: string, handler: RouteHandler): void;
  close(): Promise<void>;
}

export const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/** A JSON reply, never cached. */
function sendJson(res: http.ServerResponse, status: number, body: unknown, space?: number): void {
  res.writeHead(status, { 'content-type': MIME_TYPES['.json']!, 'cache-control': 'no-store' });
  res.end(JSON.stringify(body, null, space));
}

/** A route answering JSON from a function called at each request. */
export function jsonRoute(data: () => unknown): RouteHandler {
  return (_req, res) => sendJson(res, 200, data(), 2);
}

/** A POST route with a JSON body: `handle`'s result is the 200 reply, its error a 400 naming the problem. */
export function jsonPost(handle: (body: Record<string, unknown>) => Promise<unknown>): RouteHandler {
  return async (req, res) => {
    if (req.method !== 'POST') return sendJson(res, 405, { message: 'POST only' });
    let body = '';
    for await (const chunk of req) body += String(chunk);
    try {
      sendJson(res, 200, await handle(JSON.parse(body || '{}') as Record<string, unknown>));
    } catch (err) {
      sendJson(res, 400, { message: (err as Error).message });
    }
  };
}

function send(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

export function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const root = path.resolve(options.root);
  const routes = new Map(Object.entries(options.routes ?? {}));

  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `internal error: ${(err as Error).message}`);
      else res.destroy();
    });
  };
  const tls = options.https;
  const server = tls
    ? https.createServer({ cert: fs.readFileSync(tls.certFile), key: fs.readFileSync(tls.keyFile) }, listener)
    : http.createServer(listener);
  const scheme = tls ? 'https' : 'http';

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      send(res, 400, 'bad path');
      return;
    }
    const route = routes.get(pathname);
    if (route) {
      await route(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
      return;
    }
    // stay inside root whatever the path says
    const file = path.join(root, path.normalize(pathname).replace(/^(\.\.(\/|\\|$))+/, ''));
    if (file !== root && !file.startsWith(root + path.sep)) {
      send(res, 403, 'forbidden');
      return;
    }
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(file);
    } catch {
      send(res, 404, `not found: ${pathname}`);
      return;
    }
    let target = file;
    if (stat.isDirectory()) {
      if (!pathname.endsWith('/')) {
        res.writeHead(301, { location: `${url.pathname}/${url.search}`, 'cache-control': 'no-store' });
        res.end();
        return;
      }
      target = path.join(file, 'index.html');
      try {
        stat = await fs.promises.stat(target);
      } catch {
        send(res, 404, `no index.html in ${pathname}`);
        return;
      }
    }
    const type = MIME_TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'content-length': String(stat.size), 'cache-control': 'no-store' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    fs.createReadStream(target)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `${scheme}://127.0.0.1:${port}`,
        port,
        route: (pathname, handler) => routes.set(pathname, handler),
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
