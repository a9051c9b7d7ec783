/**
 * The lab's reference provisioning server: the agent API of API.md ("Provisioning API") and an
 * admin API for the demo and the tests (README.md next to this file). node:http + SQLite.
 *
 *   const prov = await startProvisioningServer({ dbFile, domain: 'server1.test', servers: [wsUrl] });
 *   ... prov.url ...
 *   await prov.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ACCOUNT_FIELDS,
  ApiError,
  onlyFields,
  ProvisioningStore,
  show,
  type AccountInput,
  type AccountView,
} from './store.js';
import { dropRegistrations, kamailioRpcSource, type ContactInfo, type RegistrationSource } from './registrations.js';
import { listAccounts as listSubscribers } from '../accounts-db.js';
import { createMonitor, type Monitor, type MonitorEvent, type MonitorOptions } from './monitor.js';

export interface ProvisioningServerOptions {
  /** The SQLite file, shared with the lab's Kamailio (its `subscriber` table). */
  dbFile: string;
  /** 0 or absent: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** SIP domain the accounts register in. */
  domain: string;
  /** WebSocket URLs handed to phones, in failover order. */
  servers: string[];
  /** Extension numbers handed out; default 100-999. */
  range?: { from: number; to: number };
  /** Where registration state comes from: Kamailio JSON-RPC URL(s) (`http://127.0.0.1:<ws port>/RPC`) or a function. */
  registrations?: string | string[] | RegistrationSource;
  /**
   * Origins allowed by CORS. Default: any http(s) origin on a loopback host (127.0.0.1, localhost, [::1]),
   * which is where the lab's demo page runs.
   */
  allowedOrigins?: (origin: string) => boolean;
  /** Largest request body accepted; default 64 KiB. */
  maxBodyBytes?: number;
  /**
   * The supervisor's view (`GET /monitor`, `GET /monitor/events`): the servers of the linked group
   * with their Kamailio JSON-RPC URLs (monitor.ts). Without it those endpoints answer 404.
   */
  monitor?: MonitorOptions;
}

export interface ProvisioningServer {
  /** Base URL, e.g. `http://127.0.0.1:40123` (the element's `provisioning-url`). */
  url: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK_ORIGIN = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?$/;

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new ApiError(413, 'BODY_TOO_LARGE', `request body of ${declared} bytes is larger than ${limit}`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new ApiError(413, 'BODY_TOO_LARGE', `request body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
      failed = true;
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        resolve({});
        return;
      }
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (e) {
        // The body is not echoed: it may hold a password.
        const at = /position (\d+)/.exec(e instanceof Error ? e.message : '')?.[1];
        const where = at === undefined ? 'it ends too early or has a stray character' : `error at character ${at}`;
        reject(new ApiError(400, 'MALFORMED_JSON', `request body (${text.length} characters) is not valid JSON: ${where}`));
        return;
      }
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        reject(new ApiError(400, 'INVALID_BODY', `request body must be a JSON object, got ${show(data)}`));
        return;
      }
      resolve(data as Record<string, unknown>);
    });
  });
}

type Handler = (params: string[], body: () => Promise<Record<string, unknown>>) => Promise<[number, unknown?]>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ApiError(400, 'INVALID_FIELD', `path segment ${show(s)} is not valid URL encoding`);
  }
}

export async function startProvisioningServer(options: ProvisioningServerOptions): Promise<ProvisioningServer> {
  if (!Array.isArray(options.servers) || options.servers.length === 0) {
    throw new Error('startProvisioningServer: servers must list at least one WebSocket URL');
  }
  if (typeof options.domain !== 'string' || !/^[A-Za-z0-9.-]{1,64}$/.test(options.domain)) {
    throw new Error(`startProvisioningServer: domain ${show(options.domain)} is not a SIP domain name`);
  }
  const store = new ProvisioningStore({
    dbFile: options.dbFile,
    domain: options.domain,
    servers: options.servers,
    range: options.range,
  });
  const limit = options.maxBodyBytes ?? 64 * 1024;
  const allowOrigin = options.allowedOrigins ?? ((o: string) => LOOPBACK_ORIGIN.test(o));
  const regSource: RegistrationSource | undefined =
    typeof options.registrations === 'function'
      ? options.registrations
      : options.registrations === undefined
        ? undefined
        : kamailioRpcSource(options.registrations);

  /** Registration state per extension of our domain; 'unknown' when Kamailio cannot be asked. */
  async function registrationOf(): Promise<(number: string) => { state: string; contacts: ContactInfo[] }> {
    if (!regSource) return () => ({ state: 'unknown', contacts: [] });
    try {
      const map = await regSource();
      return (number) => {
        const contacts = map.get(`${number}@${options.domain}`) ?? [];
        return { state: contacts.length > 0 ? 'registered' : 'unregistered', contacts };
      };
    } catch {
      return () => ({ state: 'unknown', contacts: [] });
    }
  }

  const rpcUrls =
    typeof options.registrations === 'string' || Array.isArray(options.registrations) ? options.registrations : undefined;

  /**
   * After an account lost its subscriber row (deleted, deactivated), Kamailio still holds its
   * registration until it expires: drop every registration of our domain that has no row any more.
   */
  async function dropStaleRegistrations(): Promise<void> {
    if (!rpcUrls || !regSource) return;
    try {
      const known = new Set(listSubscribers(store.db, store.domain).map((a) => `${a.username}@${store.domain}`));
      const stale = [...(await regSource()).keys()].filter((aor) => aor.endsWith(`@${store.domain}`) && !known.has(aor));
      await dropRegistrations(rpcUrls, stale);
    } catch {
      // Kamailio unreachable: its registrations expire on their own (30 s in the lab).
    }
  }

  async function withRegistration(accounts: AccountView[]): Promise<unknown[]> {
    const reg = await registrationOf();
    return accounts.map((a) => ({ ...a, registration: a.virtual ? { state: 'virtual', contacts: [] } : reg(a.number) }));
  }

  const monitor: Monitor | undefined = options.monitor
    ? (() => {
        const home = options.monitor.servers.find((m) => m.domain === options.domain)?.name;
        return createMonitor(options.monitor, {
          sessions: () =>
            home === undefined
              ? []
              : store
                  .listSessions()
                  .filter((x) => !x.virtual)
                  .map((x) => ({ extension: x.extension, agent: x.agent, status: x.status, server: home })),
          managed: () =>
            home === undefined
              ? []
              : store
                  .listAccounts()
                  .filter((a) => !a.virtual && a.active)
                  .map((a) => ({ number: a.number, server: home })),
        });
      })()
    : undefined;
  const needMonitor = (): Monitor => {
    if (!monitor) throw new ApiError(404, 'NOT_FOUND', 'this server has no monitor configured (option monitor)');
    return monitor;
  };

  /** `GET /monitor/events`: server-sent events, `snapshot` first, then the changes. */
  function stream(req: IncomingMessage, res: ServerResponse): void {
    const m = needMonitor();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    const write = (e: MonitorEvent) => {
      res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
    };
    const unsubscribe = m.subscribe(write);
    // a comment line now and then keeps proxies from closing an idle stream
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const end = () => {
      clearInterval(keepAlive);
      unsubscribe();
    };
    req.on('close', end);
    res.on('close', end);
  }

  const agentId = (p: string) => decodeSegment(p);
  const number = (field: string, p: string) => store.checkNumber(field, decodeSegment(p));

  const routes: Route[] = [
    // ----- the agent API (API.md) -----
    {
      method: 'GET',
      pattern: /^\/agents\/([^/]+)\/extensions$/,
      handler: async ([a]) => [200, store.listExtensions(agentId(a!))],
    },
    {
      method: 'POST',
      pattern: /^\/agents\/([^/]+)\/session$/,
      handler: async ([a], body) => {
        const b = await body();
        onlyFields(b, ['extension']);
        const ext =
          b.extension === undefined || b.extension === null ? undefined : store.checkNumber('extension', b.extension);
        const answer = store.startSession(agentId(a!), ext);
        monitor?.kick();
        return [200, answer];
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/agents\/([^/]+)\/session$/,
      handler: async ([a]) => {
        store.endSession(agentId(a!));
        monitor?.kick();
        return [204];
      },
    },
    {
      method: 'PUT',
      pattern: /^\/agents\/([^/]+)\/status$/,
      handler: async ([a], body) => {
        const b = await body();
        onlyFields(b, ['status']);
        const status = store.setStatus(agentId(a!), b.status);
        monitor?.kick();
        return [200, { status }];
      },
    },
    {
      method: 'GET',
      pattern: /^\/extensions\/([^/]+)\/forwarding$/,
      handler: async ([n]) => [200, store.getForwarding(number('extension', n!))],
    },
    {
      method: 'PUT',
      pattern: /^\/extensions\/([^/]+)\/forwarding$/,
      handler: async ([n], body) => {
        const num = number('extension', n!);
        return [200, store.setForwarding(num, await body())];
      },
    },
    // ----- admin -----
    {
      method: 'GET',
      pattern: /^\/admin\/config$/,
      handler: async () => [200, { domain: store.domain, servers: store.servers, range: store.range }],
    },
    { method: 'GET', pattern: /^\/admin\/users$/, handler: async () => [200, store.listUsers()] },
    { method: 'POST', pattern: /^\/admin\/users$/, handler: async (_p, body) => [201, store.createUser(await body())] },
    {
      method: 'GET',
      pattern: /^\/admin\/users\/([^/]+)$/,
      handler: async ([u]) => [200, store.userView(decodeSegment(u!))],
    },
    {
      method: 'PATCH',
      pattern: /^\/admin\/users\/([^/]+)$/,
      handler: async ([u], body) => [200, store.updateUser(decodeSegment(u!), await body())],
    },
    {
      method: 'DELETE',
      pattern: /^\/admin\/users\/([^/]+)$/,
      handler: async ([u]) => {
        store.deleteUser(decodeSegment(u!));
        await dropStaleRegistrations();
        return [204];
      },
    },
    {
      method: 'GET',
      pattern: /^\/admin\/accounts$/,
      handler: async () => [200, await withRegistration(store.listAccounts())],
    },
    {
      method: 'POST',
      pattern: /^\/admin\/accounts$/,
      handler: async (_p, body) => {
        const b = await body();
        onlyFields(b, ACCOUNT_FIELDS);
        return [201, store.createAccount(b as AccountInput)];
      },
    },
    {
      method: 'GET',
      pattern: /^\/admin\/accounts\/([^/]+)$/,
      handler: async ([n]) => [200, (await withRegistration([store.accountView(number('number', n!))]))[0]],
    },
    {
      method: 'PATCH',
      pattern: /^\/admin\/accounts\/([^/]+)$/,
      handler: async ([n], body) => {
        const num = number('number', n!);
        const b = await body();
        onlyFields(b, ACCOUNT_FIELDS);
        const view = store.updateAccount(num, b as AccountInput);
        await dropStaleRegistrations();
        return [200, view];
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/admin\/accounts\/([^/]+)$/,
      handler: async ([n]) => {
        store.deleteAccount(number('number', n!));
        await dropStaleRegistrations();
        return [204];
      },
    },
    {
      method: 'GET',
      pattern: /^\/admin\/registrations$/,
      handler: async () => {
        const reg = await registrationOf();
        const list = store
          .listAccounts()
          .filter((a) => !a.virtual)
          .map((a) => ({ number: a.number, aor: `${a.number}@${store.domain}`, ...reg(a.number) }));
        return [200, list];
      },
    },
    // ----- the supervisor's view (API.md "Supervisor view", monitor.ts) -----
    { method: 'GET', pattern: /^\/monitor$/, handler: async () => [200, await needMonitor().snapshot()] },
    { method: 'GET', pattern: /^\/monitor\/events$/, handler: async () => [500] },
    { method: 'GET', pattern: /^\/admin\/sessions$/, handler: async () => [200, store.listSessions()] },
    { method: 'GET', pattern: /^\/admin\/statuses$/, handler: async () => [200, { statuses: store.getStatuses() }] },
    {
      method: 'PUT',
      pattern: /^\/admin\/statuses$/,
      handler: async (_p, body) => {
        const b = await body();
        onlyFields(b, ['statuses']);
        return [200, { statuses: store.setStatuses(b.statuses) }];
      },
    },
  ];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    if (typeof origin === 'string' && allowOrigin(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-allow-credentials', 'true');
    }
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, authorization');
      res.setHeader('access-control-max-age', '600');
      send(res, 204);
      return;
    }
    const matching = routes.filter((r) => r.pattern.test(path));
    if (matching.length === 0) throw new ApiError(404, 'NOT_FOUND', `no such endpoint ${show(path)}`);
    const route = matching.find((r) => r.method === req.method);
    if (!route) {
      res.setHeader('allow', matching.map((r) => r.method).join(', '));
      throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${show(path)}`);
    }
    if (path === '/monitor/events') {
      stream(req, res);
      return;
    }
    const params = route.pattern.exec(path)!.slice(1);
    let bodyPromise: Promise<Record<string, unknown>> | undefined;
    const body = () => (bodyPromise ??= readBody(req, limit));
    const [status, payload] = await route.handler(params, body);
    send(res, status, payload);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof ApiError) {
        if (e.status === 413) res.setHeader('connection', 'close');
        send(res, e.status, { code: e.code, message: e.message });
        return;
      }
      // Internal details (SQL, stack) stay out of the answer.
      send(res, 500, { code: 'INTERNAL', message: 'internal error of the provisioning server' });
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => {
      store.close();
      reject(e);
    });
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        monitor?.close();
        server.close(() => {
          store.close();
          resolve();
        });
        server.closeAllConnections();
      })),
  };
}
