/**
 * A raw SIP-over-WebSocket "server" for tests that need to talk straight to the phone: the phone
 * registers with it (every REGISTER is answered 200, OPTIONS too), and the test then sends it any
 * text it likes (well-formed requests, hostile ones, thousands of mutations) and reads what the
 * phone answers. It is a test tool, not a registrar: one phone at a time, no authentication.
 */
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseNameAddr, SipMessage } from './sip-ws-client.js';

const rand = (bytes = 6): string => crypto.randomBytes(bytes).toString('hex');

export interface RawRequest {
  method: string;
  /** Request-URI; default: the phone's registered Contact. */
  uri?: string;
  callId?: string;
  cseq?: number;
  fromTag?: string;
  /** To tag: set it for an in-dialog request. */
  toTag?: string;
  from?: string;
  to?: string;
  /** Extra header lines. */
  headers?: string[];
  body?: string;
  contentType?: string;
}

/** A request the test built, with the branch its answers will carry. */
export interface SentRequest {
  method: string;
  branch: string;
  callId: string;
  text: string;
}

export class SipWsServer {
  /** Every message the phone sent, parsed (unparseable frames are kept in `junk`). */
  readonly received: SipMessage[] = [];
  readonly junk: string[] = [];
  /** The phone's Contact URI from its last REGISTER. */
  contact: string | undefined;
  /** REGISTERs answered so far. */
  registers = 0;
  #socket: WebSocket | undefined;
  #listeners = new Set<(m: SipMessage) => void>();

  private constructor(
    private readonly wss: WebSocketServer,
    readonly domain: string,
  ) {
    wss.on('connection', (ws) => {
      this.#socket = ws;
      ws.on('message', (data) => this.#onMessage(ws, data.toString()));
    });
  }

  /** Listens on a free loopback port; the phone's `server` is `url`. */
  static start(domain: string): Promise<SipWsServer> {
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false) });
      wss.once('error', reject);
      wss.once('listening', () => resolve(new SipWsServer(wss, domain)));
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  get connected(): boolean {
    return this.#socket?.readyState === 1;
  }

  /** Sends raw text to the phone. */
  sendRaw(text: string): void {
    if (!this.#socket || this.#socket.readyState !== 1) throw new Error('no phone connected');
    this.#socket.send(text);
  }

  /** Builds and sends a request from the "far end" (caller 5550100 by default). */
  send(request: RawRequest): SentRequest {
    const branch = `z9hG4bK${rand(8)}`;
    const callId = request.callId ?? rand(10);
    const body = request.body ?? '';
    const uri = request.uri ?? this.contact ?? `sip:phone@${this.domain}`;
    const lines = [
      `${request.method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/WSS far.invalid;branch=${branch}`,
      'Max-Forwards: 70',
      `From: ${request.from ?? `"Far End" <sip:5550100@${this.domain}>`};tag=${request.fromTag ?? rand(4)}`,
      `To: ${request.to ?? `<${uri}>`}${request.toTag ? `;tag=${request.toTag}` : ''}`,
      `Call-ID: ${callId}`,
      `CSeq: ${request.cseq ?? 1} ${request.method}`,
      `Contact: <sip:5550100@far.invalid;transport=ws>`,
      ...(request.headers ?? []),
      ...(body ? [`Content-Type: ${request.contentType ?? 'application/sdp'}`] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    const text = `${lines.join('\r\n')}\r\n\r\n${body}`;
    this.sendRaw(text);
    return { method: request.method, branch, callId, text };
  }

  /** Answers a request the phone sent (its INVITE, re-INVITE, BYE...). */
  reply(request: SipMessage, status: number, reason: string, options: { body?: string; toTag?: string } = {}): void {
    const to = request.header('to') ?? '';
    const lines = [`SIP/2.0 ${status} ${reason}`];
    for (const [k, v] of request.headers) if (k === 'via') lines.push(`Via: ${v}`);
    lines.push(`To: ${/;\s*tag=/i.test(to) ? to : `${to};tag=${options.toTag ?? rand(4)}`}`, `From: ${request.header('from')}`, `Call-ID: ${request.callId}`, `CSeq: ${request.header('cseq')}`);
    if (request.method === 'INVITE' && status < 300) lines.push('Contact: <sip:5550100@far.invalid;transport=ws>');
    if (options.body) lines.push('Content-Type: application/sdp');
    lines.push(`Content-Length: ${Buffer.byteLength(options.body ?? '')}`);
    this.sendRaw(`${lines.join('\r\n')}\r\n\r\n${options.body ?? ''}`);
  }

  /** The next message from the phone that matches (already received ones count), or a timeout error. */
  waitFor(match: (m: SipMessage) => boolean, what: string, timeoutMs = 10_000): Promise<SipMessage> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(new Error(`the phone sent no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (m: SipMessage): void => {
        if (!match(m)) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve(m);
      };
      this.#listeners.add(listener);
    });
  }

  /** The phone's final (>= 200) answer to a request sent with send(). */
  finalResponse(sent: SentRequest, timeoutMs = 10_000): Promise<SipMessage> {
    return this.waitFor((m) => m.type === 'response' && m.status >= 200 && this.#answers(m, sent), `final answer to ${sent.text.split('\r\n')[0]}`, timeoutMs);
  }

  /** Every answer (provisional ones too) the phone gave to a request sent with send(). */
  responses(sent: SentRequest): SipMessage[] {
    return this.received.filter((m) => m.type === 'response' && this.#answers(m, sent));
  }

  /** A response belongs to a request by its Via branch and its CSeq method (a CANCEL shares the INVITE's branch). */
  #answers(response: SipMessage, sent: SentRequest): boolean {
    return (response.header('via') ?? '').includes(sent.branch) && response.method === sent.method;
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  #onMessage(ws: WebSocket, text: string): void {
    if (text.trim() === '') {
      ws.send('\r\n'); // keep-alive pong
      return;
    }
    let message: SipMessage;
    try {
      message = new SipMessage(text);
    } catch {
      this.junk.push(text);
      return;
    }
    this.received.push(message);
    if (message.type === 'request' && message.method === 'REGISTER') {
      const contact = message.headerValues('contact')[0];
      if (contact) this.contact = parseNameAddr(contact).uri;
      this.registers++;
      const expires = /expires=(\d+)/i.exec(contact ?? '')?.[1] ?? message.header('expires') ?? '30';
      const lines = [`SIP/2.0 200 OK`];
      for (const [k, v] of message.headers) if (k === 'via') lines.push(`Via: ${v};received=127.0.0.1`);
      lines.push(`To: ${message.header('to')};tag=${rand(4)}`, `From: ${message.header('from')}`, `Call-ID: ${message.callId}`, `CSeq: ${message.header('cseq')}`);
      if (contact && expires !== '0') lines.push(`Contact: ${contact.replace(/;expires=\d+/i, '')};expires=${expires}`);
      lines.push(`Content-Length: 0`);
      ws.send(`${lines.join('\r\n')}\r\n\r\n`);
    } else if (message.type === 'request' && message.method === 'OPTIONS') {
      this.reply(message, 200, 'OK');
    }
    for (const listener of [...this.#listeners]) listener(message);
  }
}
