/**
 * The provisioning server's data and rules, on SQLite (WAL). Every change runs in one IMMEDIATE
 * transaction, so two requests (or two processes) racing for the last free number cannot both win:
 * the unique index on the session's extension and the write lock decide.
 *
 * Kamailio's `subscriber` rows (lab/accounts-db.ts) change in the same transactions as the accounts.
 *
 * Model:
 *   user (= agent)  id, name, mobile, own statuses (optional)
 *   account         a number in the range: password, user (null = the automatic pool, "Automat"),
 *                   phone type softphone|other, active, recording, permission level 0-100,
 *                   virtual (an extension with no phone: follows the agent's mobile)
 *                   A user has at most one real (personal) and one virtual account.
 *   session         agent -> extension (unique), status
 *   forwarding      per account; dropped with the account, so a recycled number starts at defaults
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { checkForwarding, type ForwardingSettings } from '../../src/provisioning/forwarding.js';
import { showValue } from '../../src/core/show-value.js';
import { AUTOMATIC_STATUSES, AVAILABLE_STATUS, VIRTUAL_STATUS } from '../../src/provisioning/client.js';
import { createAccountsDb, deleteAccount as deleteSubscriber, upsertAccount as upsertSubscriber } from '../accounts-db.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type PhoneType = 'softphone' | 'other';

export interface StoreOptions {
  dbFile: string;
  /** SIP domain the accounts register in. */
  domain: string;
  /** WebSocket URLs handed to the phone, in failover order. */
  servers: string[];
  /** Extension numbers this server hands out; default 100-999. */
  range?: { from: number; to: number };
}

export interface AccountView {
  number: string;
  /** Assigned user id; null: the account is in the automatic pool ("Automat"). */
  user: string | null;
  userName: string | null;
  phoneType: PhoneType;
  active: boolean;
  recording: boolean;
  permissionLevel: number;
  virtual: boolean;
  /** Agent whose session uses the account now. */
  inUseBy: string | null;
}

export interface UserView {
  id: string;
  name: string;
  /** Personal extension. */
  extension: string | null;
  virtualExtension: string | null;
  mobile: string | null;
  /** The agent's own statuses; null: the server-wide list. */
  statuses: string[] | null;
}

export interface SessionView {
  agent: string;
  extension: string;
  virtual: boolean;
  status: string;
  startedAt: number;
}

const AVAILABLE = AVAILABLE_STATUS;
const VIRTUAL = VIRTUAL_STATUS;
const RESERVED_STATUSES: readonly string[] = [AVAILABLE, VIRTUAL, ...AUTOMATIC_STATUSES];
export const DEFAULT_STATUSES = ['break', 'lunch', 'training'];

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const MOBILE_RE = /^\+?[0-9]{6,20}$/;
const PASSWORD_RE = /^[\x21-\x7e]{6,64}$/;

/** A value as it may appear in an error message: JSON, shortened. Never used for passwords. */
export function show(value: unknown): string {
  return showValue(value, 'nothing');
}

const invalid = (message: string) => new ApiError(400, 'INVALID_FIELD', message);

/** Rejects fields the endpoint does not know (a typo must not be silently ignored). */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new ApiError(400, 'UNKNOWN_FIELD', `unknown field ${show(key)}; expected one of ${allowed.join(', ')}`);
    }
  }
}

function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function text(field: string, v: unknown, max: number): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > max || hasControlChars(v)) {
    throw invalid(`${field} must be text of 1-${max} characters, got ${show(v)}`);
  }
  return v.trim();
}

function bool(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalid(`${field} must be true or false, got ${show(v)}`);
  return v;
}

export function checkId(field: string, v: unknown): string {
  if (typeof v !== 'string' || !ID_RE.test(v)) {
    throw invalid(`${field} must be 1-64 letters, digits or . _ @ - (starting with a letter or digit), got ${show(v)}`);
  }
  return v;
}

function password(v: unknown): string {
  // The value itself is never echoed.
  if (typeof v !== 'string' || !PASSWORD_RE.test(v)) {
    throw invalid('password must be 6-64 printable ASCII characters without spaces');
  }
  return v;
}

function mobile(v: unknown): string {
  if (typeof v !== 'string' || !MOBILE_RE.test(v)) {
    throw invalid(`mobile must be a phone number (6-20 digits, optional leading +), got ${show(v)}`);
  }
  return v;
}

function statusList(v: unknown): string[] {
  if (!Array.isArray(v) || v.length > 30) throw invalid(`statuses must be a list of up to 30 names, got ${show(v)}`);
  const out: string[] = [];
  for (const s of v) {
    const name = text('each status', s, 32);
    if (RESERVED_STATUSES.includes(name.toLowerCase())) {
      throw invalid(`status ${show(name)} is built in; the list holds the other statuses only`);
    }
    if (out.some((o) => o.toLowerCase() === name.toLowerCase())) throw invalid(`status ${show(name)} is listed twice`);
    out.push(name);
  }
  return out;
}

interface AccountRow {
  number: string;
  password: string;
  user_id: string | null;
  phone_type: PhoneType;
  active: number;
  recording: number;
  permission_level: number;
  virtual: number;
}

interface UserRow {
  id: string;
  name: string;
  mobile: string | null;
  statuses: string | null;
}

interface SessionRow {
  agent: string;
  extension: string;
  virtual: number;
  status: string;
  started_at: number;
}

export interface AccountInput {
  number?: unknown;
  password?: unknown;
  user?: unknown;
  phoneType?: unknown;
  active?: unknown;
  recording?: unknown;
  permissionLevel?: unknown;
  virtual?: unknown;
}

export const ACCOUNT_FIELDS = [
  'number',
  'password',
  'user',
  'phoneType',
  'active',
  'recording',
  'permissionLevel',
  'virtual',
] as const;
export const USER_FIELDS = ['id', 'name', 'extension', 'password', 'virtualExtension', 'mobile', 'statuses'] as const;
export const USER_PATCH_FIELDS = ['name', 'virtualExtension', 'mobile', 'statuses'] as const;

export class ProvisioningStore {
  readonly db: Database.Database;
  readonly domain: string;
  readonly servers: string[];
  readonly range: { from: number; to: number };

  constructor(options: StoreOptions) {
    this.domain = options.domain;
    this.servers = [...options.servers];
    this.range = options.range ?? { from: 100, to: 999 };
    const { from, to } = this.range;
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < from || to > 99_999_999) {
      throw new Error(`range ${show(this.range)} must be whole numbers with 1 <= from <= to`);
    }
    // The lab's accounts database: Kamailio's `subscriber` table (WAL, busy timeout: Kamailio and
    // other lab processes read and write the same file).
    this.db = createAccountsDb(options.dbFile);
    this.db.pragma('foreign_keys = ON');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS prov_users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        mobile TEXT,
        statuses TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS prov_accounts (
        number TEXT PRIMARY KEY,
        password TEXT NOT NULL,
        user_id TEXT REFERENCES prov_users(id) ON DELETE SET NULL,
        phone_type TEXT NOT NULL CHECK (phone_type IN ('softphone', 'other')),
        active INTEGER NOT NULL,
        recording INTEGER NOT NULL,
        permission_level INTEGER NOT NULL CHECK (permission_level BETWEEN 0 AND 100),
        virtual INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX IF NOT EXISTS prov_accounts_one_per_user ON prov_accounts (user_id, virtual)
        WHERE user_id IS NOT NULL;
      CREATE TABLE IF NOT EXISTS prov_forwarding (
        number TEXT PRIMARY KEY REFERENCES prov_accounts(number) ON DELETE CASCADE,
        settings TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS prov_sessions (
        agent TEXT PRIMARY KEY REFERENCES prov_users(id) ON DELETE CASCADE,
        extension TEXT NOT NULL UNIQUE REFERENCES prov_accounts(number) ON DELETE CASCADE,
        virtual INTEGER NOT NULL,
        status TEXT NOT NULL,
        started_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS prov_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` holding the database write lock. */
  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ----- numbers -----

  checkNumber(field: string, v: unknown): string {
    const s = typeof v === 'number' && Number.isInteger(v) ? String(v) : v;
    if (typeof s !== 'string' || !/^[1-9][0-9]{0,7}$/.test(s)) {
      throw invalid(`${field} must be an extension number, got ${show(v)}`);
    }
    const n = Number(s);
    if (n < this.range.from || n > this.range.to) {
      throw invalid(`${field} ${show(s)} is outside the extension range ${this.range.from}-${this.range.to}`);
    }
    return s;
  }

  /**
   * Numbers with a Kamailio row that this server does not manage (the lab's own accounts, the park
   * orbit's slots): never handed out, so their passwords are never overwritten.
   */
  private foreignNumbers(): Set<string> {
    const rows = this.db
      .prepare(
        `SELECT username FROM subscriber WHERE domain = ?
         AND username NOT IN (SELECT number FROM prov_accounts)`,
      )
      .all(this.domain) as { username: string }[];
    return new Set(rows.map((r) => r.username));
  }

  private nextFreeNumber(): string {
    const taken = new Set(
      (this.db.prepare('SELECT number FROM prov_accounts').all() as { number: string }[]).map((r) => Number(r.number)),
    );
    for (const n of this.foreignNumbers()) taken.add(Number(n));
    for (let n = this.range.from; n <= this.range.to; n++) if (!taken.has(n)) return String(n);
    throw new ApiError(
      409,
      'NO_FREE_NUMBER',
      `No free number: every extension from ${this.range.from} to ${this.range.to} is taken`,
    );
  }

  // ----- accounts -----

  private accountRow(number: string): AccountRow | undefined {
    return this.db.prepare('SELECT * FROM prov_accounts WHERE number = ?').get(number) as AccountRow | undefined;
  }

  private requireAccount(number: string): AccountRow {
    const row = this.accountRow(number);
    if (!row) throw new ApiError(404, 'UNKNOWN_EXTENSION', `extension ${show(number)} does not exist`);
    return row;
  }

  /** Puts the Kamailio row in the state the account implies. */
  private syncSubscriber(number: string): void {
    const row = this.accountRow(number);
    if (row && row.active && !row.virtual) {
      upsertSubscriber(this.db, { username: row.number, domain: this.domain, password: row.password });
    } else {
      deleteSubscriber(this.db, number, this.domain);
    }
  }

  private insertAccount(number: string, a: AccountInput): { password: string } {
    if (this.accountRow(number)) throw new ApiError(409, 'NUMBER_TAKEN', `extension ${number} already exists`);
    if (this.foreignNumbers().has(number)) {
      throw new ApiError(
        409,
        'NUMBER_TAKEN',
        `extension ${number} is already a SIP account on ${this.domain} that this server does not manage`,
      );
    }
    const pw = a.password === undefined ? randomBytes(12).toString('base64url') : password(a.password);
    const user = a.user === undefined || a.user === null ? null : this.requireUser(checkId('user', a.user)).id;
    const phoneType = a.phoneType ?? 'softphone';
    if (phoneType !== 'softphone' && phoneType !== 'other') {
      throw invalid(`phoneType must be "softphone" or "other", got ${show(phoneType)}`);
    }
    const active = a.active === undefined ? true : bool('active', a.active);
    const recording = a.recording === undefined ? false : bool('recording', a.recording);
    const level = a.permissionLevel === undefined ? 10 : a.permissionLevel;
    if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > 100) {
      throw invalid(`permissionLevel must be a whole number from 0 to 100, got ${show(level)}`);
    }
    const virtual = a.virtual === undefined ? false : bool('virtual', a.virtual);
    if (user !== null) this.assertUserSlotFree(user, virtual, number);
    // A number used before starts clean, whatever an older run left behind.
    this.db.prepare('DELETE FROM prov_forwarding WHERE number = ?').run(number);
    this.db
      .prepare(
        `INSERT INTO prov_accounts (number, password, user_id, phone_type, active, recording, permission_level, virtual, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(number, pw, user, phoneType, active ? 1 : 0, recording ? 1 : 0, level, virtual ? 1 : 0, Date.now());
    this.syncSubscriber(number);
    return { password: pw };
  }

  private assertUserSlotFree(user: string, virtual: boolean, number: string): void {
    const other = this.db
      .prepare('SELECT number FROM prov_accounts WHERE user_id = ? AND virtual = ? AND number <> ?')
      .get(user, virtual ? 1 : 0, number) as { number: string } | undefined;
    if (other) {
      throw new ApiError(
        409,
        'USER_HAS_EXTENSION',
        `user ${show(user)} already has ${virtual ? 'virtual' : 'personal'} extension ${other.number}`,
      );
    }
  }

  /** Creates a SIP account; without `number` it takes the next free one. Returns it with its password. */
  createAccount(input: AccountInput): AccountView & { password: string } {
    return this.tx(() => {
      const number = input.number === undefined ? this.nextFreeNumber() : this.checkNumber('number', input.number);
      const { password: pw } = this.insertAccount(number, input);
      return { ...this.accountView(number), password: pw };
    });
  }

  updateAccount(number: string, patch: AccountInput): AccountView {
    return this.tx(() => {
      const row = this.requireAccount(number);
      const asText = typeof patch.number === 'string' || typeof patch.number === 'number' ? String(patch.number) : undefined;
      if (patch.number !== undefined && asText !== number) {
        throw invalid(`number cannot be changed (extension ${number}, got ${show(patch.number)}); delete the account and create another`);
      }
      if (patch.virtual !== undefined && bool('virtual', patch.virtual) !== !!row.virtual) {
        throw invalid(`virtual cannot be changed (extension ${number})`);
      }
      const sets: string[] = [];
      const args: unknown[] = [];
      if (patch.password !== undefined) {
        sets.push('password = ?');
        args.push(password(patch.password));
      }
      if (patch.user !== undefined) {
        const user = patch.user === null ? null : this.requireUser(checkId('user', patch.user)).id;
        if (user !== null) this.assertUserSlotFree(user, !!row.virtual, number);
        sets.push('user_id = ?');
        args.push(user);
      }
      if (patch.phoneType !== undefined) {
        if (patch.phoneType !== 'softphone' && patch.phoneType !== 'other') {
          throw invalid(`phoneType must be "softphone" or "other", got ${show(patch.phoneType)}`);
        }
        sets.push('phone_type = ?');
        args.push(patch.phoneType);
      }
      if (patch.active !== undefined) {
        sets.push('active = ?');
        args.push(bool('active', patch.active) ? 1 : 0);
      }
      if (patch.recording !== undefined) {
        sets.push('recording = ?');
        args.push(bool('recording', patch.recording) ? 1 : 0);
      }
      if (patch.permissionLevel !== undefined) {
        const level = patch.permissionLevel;
        if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > 100) {
          throw invalid(`permissionLevel must be a whole number from 0 to 100, got ${show(level)}`);
        }
        sets.push('permission_level = ?');
        args.push(level);
      }
      if (sets.length > 0) {
        this.db.prepare(`UPDATE prov_accounts SET ${sets.join(', ')} WHERE number = ?`).run(...args, number);
      }
      const now = this.requireAccount(number);
      // An account that can no longer carry a softphone login ends the session on it.
      if (!now.active || now.phone_type !== 'softphone' || (now.virtual && now.user_id === null)) {
        this.db.prepare('DELETE FROM prov_sessions WHERE extension = ?').run(number);
      }
      this.syncSubscriber(number);
      return this.accountView(number);
    });
  }

  /** Deletes an account: the number is free again, its forwarding gone, Kamailio refuses it. */
  deleteAccount(number: string): void {
    this.tx(() => {
      this.requireAccount(number);
      this.db.prepare('DELETE FROM prov_accounts WHERE number = ?').run(number);
      this.syncSubscriber(number);
    });
  }

  accountView(number: string): AccountView {
    const row = this.db
      .prepare(
        `SELECT a.*, u.name AS user_name, s.agent AS in_use_by FROM prov_accounts a
         LEFT JOIN prov_users u ON u.id = a.user_id LEFT JOIN prov_sessions s ON s.extension = a.number
         WHERE a.number = ?`,
      )
      .get(number) as (AccountRow & { user_name: string | null; in_use_by: string | null }) | undefined;
    if (!row) throw new ApiError(404, 'UNKNOWN_EXTENSION', `extension ${show(number)} does not exist`);
    return toAccountView(row);
  }

  listAccounts(): AccountView[] {
    const rows = this.db
      .prepare(
        `SELECT a.*, u.name AS user_name, s.agent AS in_use_by FROM prov_accounts a
         LEFT JOIN prov_users u ON u.id = a.user_id LEFT JOIN prov_sessions s ON s.extension = a.number
         ORDER BY CAST(a.number AS INTEGER)`,
      )
      .all() as (AccountRow & { user_name: string | null; in_use_by: string | null })[];
    return rows.map(toAccountView);
  }

  // ----- users (agents) -----

  private userRow(id: string): UserRow | undefined {
    return this.db.prepare('SELECT * FROM prov_users WHERE id = ?').get(id) as UserRow | undefined;
  }

  private requireUser(id: string): UserRow {
    const row = this.userRow(id);
    if (!row) throw new ApiError(404, 'UNKNOWN_USER', `user ${show(id)} does not exist`);
    return row;
  }

  private requireAgent(id: string): UserRow {
    const row = this.userRow(id);
    if (!row) throw new ApiError(404, 'UNKNOWN_AGENT', `agent ${show(id)} does not exist`);
    return row;
  }

  userView(id: string): UserView {
    const row = this.requireUser(id);
    const accounts = this.db.prepare('SELECT number, virtual FROM prov_accounts WHERE user_id = ?').all(id) as {
      number: string;
      virtual: number;
    }[];
    return {
      id: row.id,
      name: row.name,
      extension: accounts.find((a) => !a.virtual)?.number ?? null,
      virtualExtension: accounts.find((a) => a.virtual)?.number ?? null,
      mobile: row.mobile,
      statuses: row.statuses === null ? null : (JSON.parse(row.statuses) as string[]),
    };
  }

  listUsers(): UserView[] {
    const ids = this.db.prepare('SELECT id FROM prov_users ORDER BY created_at, id').all() as { id: string }[];
    return ids.map((r) => this.userView(r.id));
  }

  /**
   * Creates a user with a personal softphone account: the next free number of the range, or
   * `extension` when given. Returns the user and the account's password.
   */
  createUser(body: Record<string, unknown>): UserView & { password?: string } {
    onlyFields(body, USER_FIELDS);
    const id = checkId('id', body.id);
    const name = text('name', body.name, 100);
    const mob = body.mobile === undefined || body.mobile === null ? null : mobile(body.mobile);
    const statuses = body.statuses === undefined || body.statuses === null ? null : statusList(body.statuses);
    if (body.password !== undefined) password(body.password);
    // extension: null -> no personal extension (the agent logs in on a pool account or a chosen one).
    const noPersonal = body.extension === null;
    const explicit =
      body.extension === undefined || body.extension === null ? undefined : this.checkNumber('extension', body.extension);
    if (noPersonal && body.password !== undefined) throw invalid('password needs a personal extension');
    const virtualExt =
      body.virtualExtension === undefined || body.virtualExtension === null
        ? undefined
        : this.checkNumber('virtualExtension', body.virtualExtension);
    if (virtualExt !== undefined && mob === null) {
      throw invalid('a virtual extension needs the mobile number it follows (field mobile)');
    }
    return this.tx(() => {
      if (this.userRow(id)) throw new ApiError(409, 'USER_EXISTS', `user ${show(id)} already exists`);
      this.db
        .prepare('INSERT INTO prov_users (id, name, mobile, statuses, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(id, name, mob, statuses === null ? null : JSON.stringify(statuses), Date.now());
      let pw: string | undefined;
      if (!noPersonal) {
        const number = explicit ?? this.nextFreeNumber();
        if (explicit !== undefined && this.accountRow(explicit)) {
          throw new ApiError(409, 'NUMBER_TAKEN', `extension ${explicit} is already taken`);
        }
        pw = this.insertAccount(number, { user: id, password: body.password }).password;
      }
      if (virtualExt !== undefined) this.assignVirtual(id, virtualExt);
      return pw === undefined ? this.userView(id) : { ...this.userView(id), password: pw };
    });
  }

  updateUser(id: string, body: Record<string, unknown>): UserView {
    onlyFields(body, USER_PATCH_FIELDS);
    return this.tx(() => {
      const row = this.requireUser(id);
      if (body.name !== undefined) {
        this.db.prepare('UPDATE prov_users SET name = ? WHERE id = ?').run(text('name', body.name, 100), id);
      }
      if (body.mobile !== undefined) {
        const mob = body.mobile === null ? null : mobile(body.mobile);
        this.db.prepare('UPDATE prov_users SET mobile = ? WHERE id = ?').run(mob, id);
      }
      if (body.statuses !== undefined) {
        const list = body.statuses === null ? null : JSON.stringify(statusList(body.statuses));
        this.db.prepare('UPDATE prov_users SET statuses = ? WHERE id = ?').run(list, id);
      }
      if (body.virtualExtension !== undefined) {
        if (body.virtualExtension === null) {
          this.db.prepare('UPDATE prov_accounts SET user_id = NULL WHERE user_id = ? AND virtual = 1').run(id);
          this.db.prepare('DELETE FROM prov_sessions WHERE agent = ? AND virtual = 1').run(id);
        } else {
          this.assignVirtual(id, this.checkNumber('virtualExtension', body.virtualExtension));
        }
      }
      const now = this.userView(id);
      if (now.virtualExtension !== null && now.mobile === null) {
        throw invalid(`a virtual extension needs the mobile number it follows (user ${show(row.id)} has none)`);
      }
      return now;
    });
  }

  /** Gives the user the virtual extension `number`, creating that virtual account if needed. */
  private assignVirtual(user: string, number: string): void {
    const row = this.accountRow(number);
    if (!row) {
      this.db.prepare('UPDATE prov_accounts SET user_id = NULL WHERE user_id = ? AND virtual = 1').run(user);
      this.insertAccount(number, { virtual: true, user });
      return;
    }
    if (!row.virtual) {
      throw new ApiError(409, 'NUMBER_TAKEN', `extension ${number} is a phone account, not a virtual extension`);
    }
    if (row.user_id !== null && row.user_id !== user) {
      throw new ApiError(409, 'NUMBER_TAKEN', `virtual extension ${number} belongs to user ${show(row.user_id)}`);
    }
    this.db
      .prepare('UPDATE prov_accounts SET user_id = NULL WHERE user_id = ? AND virtual = 1 AND number <> ?')
      .run(user, number);
    this.db.prepare('UPDATE prov_accounts SET user_id = ? WHERE number = ?').run(user, number);
  }

  /**
   * Deletes the user: the personal extension is deleted (its number recycled, forwarding reset,
   * Kamailio refuses it), the virtual one returns to the unassigned list, the session ends.
   */
  deleteUser(id: string): void {
    this.tx(() => {
      this.requireUser(id);
      const personal = this.db
        .prepare('SELECT number FROM prov_accounts WHERE user_id = ? AND virtual = 0')
        .get(id) as { number: string } | undefined;
      if (personal) {
        this.db.prepare('DELETE FROM prov_accounts WHERE number = ?').run(personal.number);
        this.syncSubscriber(personal.number);
      }
      this.db.prepare('DELETE FROM prov_users WHERE id = ?').run(id);
    });
  }

  // ----- statuses -----

  getStatuses(): string[] {
    const row = this.db.prepare("SELECT value FROM prov_settings WHERE key = 'statuses'").get() as
      | { value: string }
      | undefined;
    return row ? (JSON.parse(row.value) as string[]) : [...DEFAULT_STATUSES];
  }

  setStatuses(v: unknown): string[] {
    const list = statusList(v);
    this.tx(() => {
      this.db
        .prepare("INSERT INTO prov_settings (key, value) VALUES ('statuses', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .run(JSON.stringify(list));
    });
    return list;
  }

  /** The statuses offered in a session: the built-in first, the automatic call statuses last. */
  statusesFor(agent: UserRow, virtual: boolean): string[] {
    const own = agent.statuses === null ? this.getStatuses() : (JSON.parse(agent.statuses) as string[]);
    return virtual ? [VIRTUAL, ...own] : [AVAILABLE, ...own, ...AUTOMATIC_STATUSES];
  }

  // ----- the agent API -----

  /** Every number the agent may log in with: personal, virtual (as `mobile <number>`), the others. */
  listExtensions(agentId: string): { number: string; kind: 'personal' | 'virtual' | 'shared'; label: string; mobile?: string }[] {
    const agent = this.requireAgent(agentId);
    const rows = this.db
      .prepare(
        `SELECT a.number, a.user_id, a.virtual, u.name AS user_name FROM prov_accounts a
         LEFT JOIN prov_users u ON u.id = a.user_id
         WHERE a.active = 1 AND ((a.virtual = 0 AND a.phone_type = 'softphone') OR (a.virtual = 1 AND a.user_id = ?))
         ORDER BY CAST(a.number AS INTEGER)`,
      )
      .all(agentId) as { number: string; user_id: string | null; virtual: number; user_name: string | null }[];
    return rows.map((r) => {
      if (r.virtual) {
        const m = agent.mobile ?? '';
        return { number: r.number, kind: 'virtual' as const, label: `mobile ${m}`, mobile: m };
      }
      const kind = r.user_id === agentId ? ('personal' as const) : ('shared' as const);
      return { number: r.number, kind, label: r.user_name ?? '' };
    });
  }

  startSession(agentId: string, extension: string | undefined): Record<string, unknown> {
    return this.tx(() => {
      const agent = this.requireAgent(agentId);
      // A new login replaces the agent's old one (e.g. the CRM was reloaded).
      this.db.prepare('DELETE FROM prov_sessions WHERE agent = ?').run(agentId);
      const account = extension === undefined ? this.pickAutomatic(agentId) : this.pickExplicit(agentId, extension);
      const virtual = !!account.virtual;
      const status = virtual ? VIRTUAL : AVAILABLE;
      this.db
        .prepare('INSERT INTO prov_sessions (agent, extension, virtual, status, started_at) VALUES (?, ?, ?, ?, ?)')
        .run(agentId, account.number, virtual ? 1 : 0, status, Date.now());
      const statuses = this.statusesFor(agent, virtual);
      if (virtual) {
        return { sip: null, virtual: { extension: account.number, mobile: agent.mobile ?? '' }, status, statuses };
      }
      return {
        sip: {
          server: this.servers,
          domain: this.domain,
          extension: account.number,
          authUser: account.number,
          password: account.password,
          displayName: agent.name,
        },
        status,
        statuses,
      };
    });
  }

  private noFreeNumber(message: string): ApiError {
    return new ApiError(409, 'NO_FREE_NUMBER', message);
  }

  /** The agent's own free personal account, else the first free account of the automatic pool. */
  private pickAutomatic(agentId: string): AccountRow {
    const free = `a.active = 1 AND a.virtual = 0 AND a.phone_type = 'softphone'
      AND NOT EXISTS (SELECT 1 FROM prov_sessions s WHERE s.extension = a.number)`;
    const own = this.db.prepare(`SELECT a.* FROM prov_accounts a WHERE a.user_id = ? AND ${free}`).get(agentId) as
      | AccountRow
      | undefined;
    if (own) return own;
    const pool = this.db
      .prepare(`SELECT a.* FROM prov_accounts a WHERE a.user_id IS NULL AND ${free} ORDER BY CAST(a.number AS INTEGER) LIMIT 1`)
      .get() as AccountRow | undefined;
    if (!pool) throw this.noFreeNumber('No free number: every account is assigned or in use');
    return pool;
  }

  private pickExplicit(agentId: string, extension: string): AccountRow {
    const row = this.accountRow(extension);
    if (!row || !row.active) throw this.noFreeNumber(`extension ${extension} does not exist or is not active`);
    if (row.virtual && row.user_id !== agentId) {
      throw this.noFreeNumber(`extension ${extension} is not this agent's virtual extension`);
    }
    if (!row.virtual && row.phone_type !== 'softphone') {
      throw this.noFreeNumber(`extension ${extension} belongs to another SIP phone, not a softphone`);
    }
    const holder = this.db.prepare('SELECT agent FROM prov_sessions WHERE extension = ?').get(extension) as
      | { agent: string }
      | undefined;
    if (holder) throw this.noFreeNumber(`extension ${extension} is in use`);
    return row;
  }

  endSession(agentId: string): void {
    this.tx(() => {
      this.requireAgent(agentId);
      this.db.prepare('DELETE FROM prov_sessions WHERE agent = ?').run(agentId);
    });
  }

  setStatus(agentId: string, status: unknown): string {
    return this.tx(() => {
      const agent = this.requireAgent(agentId);
      const session = this.db.prepare('SELECT * FROM prov_sessions WHERE agent = ?').get(agentId) as
        | SessionRow
        | undefined;
      if (!session) throw new ApiError(409, 'NO_SESSION', `agent ${show(agentId)} is not logged in`);
      const offered = this.statusesFor(agent, !!session.virtual);
      if (typeof status !== 'string' || !offered.includes(status)) {
        throw new ApiError(400, 'INVALID_STATUS', `status ${show(status)} is not one of ${offered.map((s) => show(s)).join(', ')}`);
      }
      this.db.prepare('UPDATE prov_sessions SET status = ? WHERE agent = ?').run(status, agentId);
      return status;
    });
  }

  listSessions(): SessionView[] {
    const rows = this.db.prepare('SELECT * FROM prov_sessions ORDER BY started_at').all() as SessionRow[];
    return rows.map((r) => ({
      agent: r.agent,
      extension: r.extension,
      virtual: !!r.virtual,
      status: r.status,
      startedAt: r.started_at,
    }));
  }

  // ----- forwarding -----

  getForwarding(number: string): ForwardingSettings {
    this.requireAccount(number);
    const row = this.db.prepare('SELECT settings FROM prov_forwarding WHERE number = ?').get(number) as
      | { settings: string }
      | undefined;
    return row ? (JSON.parse(row.settings) as ForwardingSettings) : {};
  }

  setForwarding(number: string, body: unknown): ForwardingSettings {
    const check = checkForwarding(body, number);
    if (!check.ok) throw invalid(check.message);
    return this.tx(() => {
      this.requireAccount(number);
      this.db
        .prepare(
          'INSERT INTO prov_forwarding (number, settings) VALUES (?, ?) ON CONFLICT (number) DO UPDATE SET settings = excluded.settings',
        )
        .run(number, JSON.stringify(check.value));
      return check.value;
    });
  }
}

function toAccountView(row: AccountRow & { user_name: string | null; in_use_by: string | null }): AccountView {
  return {
    number: row.number,
    user: row.user_id,
    userName: row.user_name,
    phoneType: row.phone_type,
    active: !!row.active,
    recording: !!row.recording,
    permissionLevel: row.permission_level,
    virtual: !!row.virtual,
    inUseBy: row.in_use_by,
  };
}
