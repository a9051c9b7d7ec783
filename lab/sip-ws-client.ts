/**
 * A deliberately small SIP-over-WebSocket user agent for Node, for the lab's own checks: the
 * readiness probe (OPTIONS to the server), the lab tests (REGISTER with digest auth, an INVITE across
 * the two servers), and any test that needs a scripted far end without a browser.
 *
 * It speaks just enough RFC 3261 for that: one transaction per request (matched by Via branch),
 * digest authentication (401/407, MD5, with or without qop=auth), ACK for non-2xx and 2xx INVITE
 * responses, a UAC dialog for ACK/BYE, and answering incoming requests. It is not the product's SIP
 * stack (that is SIP.js, in src/sip/).
 */
import crypto from 'node:crypto';
import WebSocket from 'ws';

const COMPACT: Record<string, string> = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type',
  f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via', r: 'refer-to', b: 'referred-by',
  o: 'event', x: 'session-expires', u: 'allow-events',
};

function rand(bytes = 8): string {
  return crypto.randomBytes(bytes).toString('hex');
}

function md5(s: string): string {
  return crypto.createHash('md5').update(s).digest('hex');
}

/** Splits a header value at commas that are outside quotes and angle brackets. */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth--;
    if (ch === ',' && !quoted && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

/** Parsed name-addr: `"Display" <sip:user@host;p>;tag=x`. */
export interface NameAddr {
  displayName: string | undefined;
  uri: string;
  user: string | undefined;
  host: string | undefined;
  params: Record<string, string>;
}

export function parseNameAddr(value: string): NameAddr {
  let displayName: string | undefined;
  let uri: string;
  let rest: string;
  const lt = value.indexOf('<');
  if (lt >= 0) {
    const gt = value.indexOf('>', lt);
    const dn = value.slice(0, lt).trim();
    displayName = dn === '' ? undefined : dn.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
    uri = value.slice(lt + 1, gt);
    rest = value.slice(gt + 1);
  } else {
    const semi = value.indexOf(';');
    uri = (semi >= 0 ? value.slice(0, semi) : value).trim();
    rest = semi >= 0 ? value.slice(semi) : '';
  }
  const params: Record<string, string> = {};
  for (const p of rest.split(';').slice(1)) {
    const [k, v] = p.split('=');
    if (k) params[k.trim().toLowerCase()] = (v ?? '').trim();
  }
  const m = /^sips?:(?:([^@;>]*)@)?([^;>?]+)/.exec(uri);
  return { displayName, uri, user: m?.[1], host: m?.[2], params };
}

export class SipMessage {
  readonly type: 'request' | 'response';
  /** Request method, or the CSeq method of a response. */
  readonly method: string;
  readonly uri: string;
  readonly status: number;
  readonly reason: string;
  /** Headers in order; names in lower case, compact forms expanded. */
  readonly headers: Array<[string, string]>;
  readonly body: string;
  readonly raw: string;

  constructor(raw: string) {
    this.raw = raw;
    const sep = raw.indexOf('\r\n\r\n');
    const head = sep >= 0 ? raw.slice(0, sep) : raw;
    this.body = sep >= 0 ? raw.slice(sep + 4) : '';
    const lines = head.split('\r\n');
    const start = lines.shift() ?? '';
    this.headers = [];
    for (const line of lines) {
      if (/^[ \t]/.test(line) && this.headers.length > 0) {
        const last = this.headers[this.headers.length - 1]!;
        last[1] += ' ' + line.trim();
        continue;
      }
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      this.headers.push([COMPACT[name] ?? name, line.slice(colon + 1).trim()]);
    }
    const resp = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(start);
    if (resp) {
      this.type = 'response';
      this.status = Number(resp[1]);
      this.reason = resp[2] ?? '';
      this.uri = '';
      this.method = (this.header('cseq') ?? '').split(/\s+/)[1] ?? '';
    } else {
      const req = /^(\S+) (\S+) SIP\/2\.0$/.exec(start);
      if (!req) throw new Error(`not a SIP message: ${start}`);
      this.type = 'request';
      this.method = req[1]!;
      this.uri = req[2]!;
      this.status = 0;
      this.reason = '';
    }
  }

  header(name: string): string | undefined {
    const n = name.toLowerCase();
    return this.headers.find(([k]) => k === n)?.[1];
  }

  /** All values of a header, comma-separated lists split. */
  headerValues(name: string): string[] {
    const n = name.toLowerCase();
    return this.headers.filter(([k]) => k === n).flatMap(([, v]) => splitHeaderList(v));
  }

  get callId(): string {
    return this.header('call-id') ?? '';
  }
  get cseq(): number {
    return Number((this.header('cseq') ?? '').split(/\s+/)[0]);
  }
  get from(): NameAddr {
    return parseNameAddr(this.header('from') ?? '');
  }
  get to(): NameAddr {
    return parseNameAddr(this.header('to') ?? '');
  }
}

export interface SipWsClientOptions {
  /** ws://127.0.0.1:<port> or wss://127.0.0.1:<port> */
  wsUrl: string;
  /** CA certificate(s) (PEM) a wss:// server's certificate must chain to, e.g. the lab CA. */
  ca?: string | Buffer;
  domain: string;
  /** SIP user (the extension). */
  user: string;
  password?: string;
  /** Digest user name; defaults to `user`. */
  authUser?: string;
  displayName?: string;
  /** Per-transaction timeout (ms), default 5000. */
  timeoutMs?: number;
}

export interface RequestOptions {
  /** Request-URI (default sip:<domain>). */
  uri?: string;
  /** To header value (default <uri>). */
  to?: string;
  callId?: string;
  cseq?: number;
  fromTag?: string;
  extraHeaders?: string[];
  body?: string;
  contentType?: string;
  /** Called for every 1xx. */
  onProvisional?: (response: SipMessage) => void;
  /** Answer 401/407 with credentials (default true when a password is set). */
  authenticate?: boolean;
}

interface Pending {
  resolve: (m: SipMessage) => void;
  reject: (e: Error) => void;
  onProvisional?: (m: SipMessage) => void;
  timer: NodeJS.Timeout;
}

/** The caller's side of an established INVITE dialog. */
export interface UacDialog {
  callId: string;
  fromTag: string;
  toTag: string;
  remoteTarget: string;
  routeSet: string[];
  to: string;
  cseq: number;
}

export interface InviteResult {
  response: SipMessage;
  /** Set when the INVITE was answered 2xx (ACK already sent). */
  dialog?: UacDialog;
}

export class SipWsClient {
  readonly settings: Required<Pick<SipWsClientOptions, 'wsUrl' | 'domain' | 'user' | 'timeoutMs'>> & SipWsClientOptions;
  readonly viaHost = `${rand(6)}.invalid`;
  /** WS or WSS (Via sent-by transport), after the URL's scheme. */
  private get transport(): 'WS' | 'WSS' {
    return this.settings.wsUrl.startsWith('wss:') ? 'WSS' : 'WS';
  }
  readonly contactUser = rand(6);
  /** Incoming requests (INVITE, BYE, ...); answer them with reply(). */
  onrequest: ((request: SipMessage) => void) | undefined;
  /** Every message received, for tests that want to look at traffic. */
  readonly received: SipMessage[] = [];
  readonly closed: Promise<void>;

  private readonly pending = new Map<string, Pending>();
  private readonly ws: WebSocket;
  private readonly regCallId = rand(10);
  private regCseq = 0;
  /** Last CSeq number used per Call-ID (a challenge costs one). */
  private readonly lastCseq = new Map<string, number>();

  private constructor(ws: WebSocket, options: SipWsClientOptions) {
    this.ws = ws;
    this.settings = { timeoutMs: 5000, ...options };
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('close', () => {
      for (const [branch, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error('WebSocket closed'));
        this.pending.delete(branch);
      }
    });
  }

  /** Opens the WebSocket (subprotocol "sip"). Rejects if the handshake fails or takes too long. */
  static connect(options: SipWsClientOptions): Promise<SipWsClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(options.wsUrl, 'sip', { handshakeTimeout: timeoutMs, ...(options.ca ? { ca: options.ca } : {}) });
      const fail = (err: Error): void => {
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.terminate();
        reject(err);
      };
      ws.once('error', fail);
      ws.once('unexpected-response', (_req, res) => fail(new Error(`WebSocket handshake: HTTP ${res.statusCode}`)));
      ws.once('open', () => {
        ws.off('error', fail);
        ws.on('error', () => undefined);
        resolve(new SipWsClient(ws, options));
      });
    });
  }

  get aor(): string {
    return `sip:${this.settings.user}@${this.settings.domain}`;
  }

  get contact(): string {
    return `<sip:${this.contactUser}@${this.viaHost};transport=${this.transport.toLowerCase()}>`;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Closes the WebSocket and waits until it is closed. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    const t = setTimeout(() => this.ws.terminate(), 2000);
    await this.closed;
    clearTimeout(t);
  }

  /** Sends raw text (used for CRLF keep-alive tests). */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  private fromHeader(tag: string): string {
    const dn = this.settings.displayName;
    return `${dn !== undefined ? `"${dn.replace(/(["\\])/g, '\\$1')}" ` : ''}<${this.aor}>;tag=${tag}`;
  }

  /**
   * Sends a request and resolves with its final response. A 401/407 is answered once with digest
   * credentials (CSeq + 1); the INVITE's non-2xx responses are ACKed.
   */
  async request(method: string, opts: RequestOptions = {}): Promise<SipMessage> {
    const uri = opts.uri ?? `sip:${this.settings.domain}`;
    const callId = opts.callId ?? rand(10);
    const fromTag = opts.fromTag ?? rand(5);
    let cseq = opts.cseq ?? 1;
    let authorization: string | undefined;
    const authenticate = opts.authenticate ?? this.settings.password !== undefined;
    for (let attempt = 0; ; attempt++) {
      const branch = `z9hG4bK${rand(8)}`;
      const lines = [
        `${method} ${uri} SIP/2.0`,
        `Via: SIP/2.0/${this.transport} ${this.viaHost};branch=${branch};rport`,
        'Max-Forwards: 70',
        `To: ${opts.to ?? `<${uri}>`}`,
        `From: ${this.fromHeader(fromTag)}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} ${method}`,
      ];
      if (method === 'REGISTER' || method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER') {
        lines.push(`Contact: ${this.contact}`);
      }
      if (authorization) lines.push(authorization);
      lines.push(...(opts.extraHeaders ?? []));
      lines.push('User-Agent: soft-phone-lab-probe');
      if (opts.body !== undefined && opts.body !== '') {
        lines.push(`Content-Type: ${opts.contentType ?? 'application/sdp'}`);
      }
      lines.push(`Content-Length: ${Buffer.byteLength(opts.body ?? '')}`);
      const text = `${lines.join('\r\n')}\r\n\r\n${opts.body ?? ''}`;
      const response = await this.transaction(branch, text, opts.onProvisional);
      if (method === 'INVITE' && response.status >= 300) {
        this.ackNon2xx(uri, branch, response, cseq);
      }
      if ((response.status === 401 || response.status === 407) && authenticate && attempt === 0) {
        const challenge = response.header(response.status === 401 ? 'www-authenticate' : 'proxy-authenticate');
        if (!challenge) return response;
        const creds = this.digest(method, uri, challenge);
        authorization = `${response.status === 401 ? 'Authorization' : 'Proxy-Authorization'}: ${creds}`;
        cseq += 1;
        continue;
      }
      this.lastCseq.set(callId, cseq);
      return response;
    }
  }

  private transaction(branch: string, text: string, onProvisional?: (m: SipMessage) => void): Promise<SipMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(branch);
        reject(new Error(`SIP transaction timed out after ${this.settings.timeoutMs} ms: ${text.split('\r\n')[0]}`));
      }, this.settings.timeoutMs);
      this.pending.set(branch, { resolve, reject, onProvisional, timer });
      if (this.ws.readyState !== WebSocket.OPEN) {
        clearTimeout(timer);
        this.pending.delete(branch);
        reject(new Error('WebSocket is not open'));
        return;
      }
      this.ws.send(text);
    });
  }

  private ackNon2xx(uri: string, branch: string, response: SipMessage, cseq: number): void {
    const lines = [
      `ACK ${uri} SIP/2.0`,
      `Via: SIP/2.0/${this.transport} ${this.viaHost};branch=${branch};rport`,
      'Max-Forwards: 70',
      `To: ${response.header('to')}`,
      `From: ${response.header('from')}`,
      `Call-ID: ${response.callId}`,
      `CSeq: ${cseq} ACK`,
      'Content-Length: 0',
    ];
    if (this.isOpen) this.ws.send(`${lines.join('\r\n')}\r\n\r\n`);
  }

  private digest(method: string, uri: string, challenge: string): string {
    const params: Record<string, string> = {};
    for (const m of challenge.replace(/^Digest\s+/i, '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) {
      params[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
    }
    const user = this.settings.authUser ?? this.settings.user;
    const realm = params.realm ?? this.settings.domain;
    const ha1 = md5(`${user}:${realm}:${this.settings.password ?? ''}`);
    const ha2 = md5(`${method}:${uri}`);
    const parts = [`username="${user}"`, `realm="${realm}"`, `nonce="${params.nonce ?? ''}"`, `uri="${uri}"`];
    const qop = params.qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
    if (qop) {
      const nc = '00000001';
      const cnonce = rand(8);
      parts.push(`response="${md5(`${ha1}:${params.nonce}:${nc}:${cnonce}:${qop}:${ha2}`)}"`);
      parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
    } else {
      parts.push(`response="${md5(`${ha1}:${params.nonce}:${ha2}`)}"`);
    }
    parts.push('algorithm=MD5');
    if (params.opaque !== undefined) parts.push(`opaque="${params.opaque}"`);
    return `Digest ${parts.join(', ')}`;
  }

  /** REGISTER this client's contact for `expires` seconds (0 unregisters). */
  register(expires = 30): Promise<SipMessage> {
    this.regCseq += 2;
    return this.request('REGISTER', {
      uri: `sip:${this.settings.domain}`,
      to: `<${this.aor}>`,
      callId: this.regCallId,
      cseq: this.regCseq,
      extraHeaders: [`Expires: ${expires}`],
    }).then((r) => {
      this.regCseq = this.lastCseq.get(this.regCallId) ?? this.regCseq;
      return r;
    });
  }

  /** OPTIONS to the server itself (the keep-alive / readiness check). */
  options(): Promise<SipMessage> {
    return this.request('OPTIONS', { uri: `sip:${this.settings.domain}`, authenticate: false });
  }

  /**
   * INVITE `target` (an extension or a SIP URI). Resolves with the final response; a 2xx is ACKed and
   * gives a dialog for bye().
   */
  async invite(target: string, opts: { sdp?: string; onProvisional?: (m: SipMessage) => void } = {}): Promise<InviteResult> {
    const uri = target.startsWith('sip:') ? target : `sip:${target}@${this.settings.domain}`;
    const fromTag = rand(5);
    const callId = rand(10);
    const response = await this.request('INVITE', {
      uri,
      callId,
      fromTag,
      body: opts.sdp ?? dummySdp(),
      onProvisional: opts.onProvisional,
    });
    if (response.status < 200 || response.status >= 300) return { response };
    const contact = response.headerValues('contact')[0];
    const dialog: UacDialog = {
      callId,
      fromTag,
      toTag: response.to.params.tag ?? '',
      remoteTarget: contact ? parseNameAddr(contact).uri : uri,
      routeSet: response.headerValues('record-route').reverse(),
      to: response.header('to') ?? `<${uri}>`,
      cseq: response.cseq,
    };
    this.sendInDialog('ACK', dialog, dialog.cseq);
    return { response, dialog };
  }

  /** BYE on a dialog from invite(); resolves with the final response. */
  bye(dialog: UacDialog): Promise<SipMessage> {
    dialog.cseq += 1;
    return this.sendInDialog('BYE', dialog, dialog.cseq);
  }

  /**
   * Any other request inside a dialog from invite() (UPDATE, re-INVITE, REFER...), with headers and
   * an optional SDP body; resolves with the final response. A 2xx to a re-INVITE is ACKed, with
   * `ackSdp` as the answer when that 2xx carried an offer (a re-INVITE without SDP).
   */
  async inDialog(method: string, dialog: UacDialog, opts: { extraHeaders?: string[]; body?: string; ackSdp?: string } = {}): Promise<SipMessage> {
    dialog.cseq += 1;
    const cseq = dialog.cseq;
    const response = await this.sendInDialog(method, dialog, cseq, opts);
    if (method === 'INVITE' && response.status >= 200 && response.status < 300) {
      this.sendInDialog('ACK', dialog, cseq, { body: response.body ? opts.ackSdp : undefined });
    }
    return response;
  }

  private sendInDialog(method: string, dialog: UacDialog, cseq: number, opts: { extraHeaders?: string[]; body?: string } = {}): Promise<SipMessage> {
    const branch = `z9hG4bK${rand(8)}`;
    const body = opts.body ?? '';
    const lines = [
      `${method} ${dialog.remoteTarget} SIP/2.0`,
      `Via: SIP/2.0/${this.transport} ${this.viaHost};branch=${branch};rport`,
      'Max-Forwards: 70',
      ...dialog.routeSet.map((r) => `Route: ${r}`),
      `To: ${dialog.to}`,
      `From: ${this.fromHeader(dialog.fromTag)}`,
      `Call-ID: ${dialog.callId}`,
      `CSeq: ${cseq} ${method}`,
      ...(method === 'INVITE' || method === 'REFER' || method === 'UPDATE' ? [`Contact: ${this.contact}`] : []),
      ...(opts.extraHeaders ?? []),
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    const text = `${lines.join('\r\n')}\r\n\r\n${body}`;
    if (method === 'ACK') {
      this.ws.send(text);
      return Promise.resolve(new SipMessage('SIP/2.0 200 ACK sent\r\n\r\n'));
    }
    return this.transaction(branch, text);
  }

  /**
   * Answers an incoming request. For a dialog-forming 2xx (INVITE) the Record-Route is copied and a
   * Contact added; a To tag is added when the request had none.
   */
  reply(request: SipMessage, status: number, reason: string, opts: { body?: string; toTag?: string; extraHeaders?: string[] } = {}): void {
    const to = request.header('to') ?? '';
    const toWithTag = /;\s*tag=/i.test(to) || status === 100 ? to : `${to};tag=${opts.toTag ?? rand(5)}`;
    const lines = [`SIP/2.0 ${status} ${reason}`];
    for (const v of request.headers.filter(([k]) => k === 'via')) lines.push(`Via: ${v[1]}`);
    lines.push(`To: ${toWithTag}`, `From: ${request.header('from')}`, `Call-ID: ${request.callId}`, `CSeq: ${request.header('cseq')}`);
    if (request.method === 'INVITE' && status >= 200 && status < 300) {
      for (const rr of request.headers.filter(([k]) => k === 'record-route')) lines.push(`Record-Route: ${rr[1]}`);
      lines.push(`Contact: ${this.contact}`);
    }
    lines.push(...(opts.extraHeaders ?? []));
    if (opts.body) lines.push('Content-Type: application/sdp');
    lines.push(`Content-Length: ${Buffer.byteLength(opts.body ?? '')}`);
    if (this.isOpen) this.ws.send(`${lines.join('\r\n')}\r\n\r\n${opts.body ?? ''}`);
  }

  /** Resolves with the next incoming request that matches (e.g. the INVITE a test waits for). */
  waitForRequest(method: string, timeoutMs = this.settings.timeoutMs): Promise<SipMessage> {
    return new Promise((resolve, reject) => {
      const previous = this.onrequest;
      const timer = setTimeout(() => {
        this.onrequest = previous;
        reject(new Error(`no ${method} received within ${timeoutMs} ms`));
      }, timeoutMs);
      this.onrequest = (req) => {
        if (req.method === method) {
          clearTimeout(timer);
          this.onrequest = previous;
          resolve(req);
        } else previous?.(req);
      };
    });
  }

  private onMessage(text: string): void {
    if (text.trim() === '') return; // CRLF keep-alive answer
    let msg: SipMessage;
    try {
      msg = new SipMessage(text);
    } catch {
      return;
    }
    this.received.push(msg);
    if (msg.type === 'response') {
      const via = msg.headerValues('via')[0] ?? '';
      const branch = /;branch=([^;\s,]+)/i.exec(via)?.[1];
      const p = branch ? this.pending.get(branch) : undefined;
      if (!p) return;
      if (msg.status < 200) {
        p.onProvisional?.(msg);
        return;
      }
      clearTimeout(p.timer);
      this.pending.delete(branch!);
      p.resolve(msg);
      return;
    }
    if (msg.method === 'ACK') return;
    if (this.onrequest) this.onrequest(msg);
    else if (msg.method === 'BYE' || msg.method === 'OPTIONS') this.reply(msg, 200, 'OK');
    else if (msg.method !== 'CANCEL') this.reply(msg, 480, 'Temporarily Unavailable');
  }
}

/** A syntactically valid audio offer (no media flows: the lab checks signalling only). */
export function dummySdp(): string {
  const id = Date.now();
  return [
    'v=0',
    `o=- ${id} 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 9 RTP/AVP 0',
    'a=rtpmap:0 PCMU/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}
