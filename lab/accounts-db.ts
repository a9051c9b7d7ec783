/**
 * The lab's accounts database: the SQLite file the lab Kamailio authenticates against
 * (db_sqlite + auth_db, see lab/kamailio.cfg) and the contract with the lab provisioning server.
 *
 * Schema: Kamailio's standard `subscriber` table (from /usr/share/kamailio/db_sqlite/standard-create.sql
 * and auth_db-create.sql, table version 7) plus the `version` table auth_db checks at start-up.
 * Passwords are plaintext (`calculate_ha1` is on, `ha1`/`ha1b` stay empty): this is a lab.
 *
 * A row inserted here is used by Kamailio on the very next request (auth_db queries the table for
 * every authentication), so an account created through the provisioning API can register at once and
 * a deleted one is refused (403) at its next REGISTER.
 *
 * The file is opened in WAL mode so the provisioning server can write while the Kamailio processes
 * read, without either side seeing SQLITE_BUSY.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';

export type AccountsDb = Database.Database;

export interface AccountRow {
  username: string;
  domain: string;
  password: string;
}

/** Kamailio 5.6 table versions (the `version` table); auth_db refuses to start on a mismatch. */
export const TABLE_VERSIONS = { version: 1, subscriber: 7 } as const;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS version (
    id INTEGER PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT version_table_name_idx UNIQUE (table_name)
);
CREATE TABLE IF NOT EXISTS subscriber (
    id INTEGER PRIMARY KEY NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT '' NOT NULL,
    password VARCHAR(64) DEFAULT '' NOT NULL,
    ha1 VARCHAR(128) DEFAULT '' NOT NULL,
    ha1b VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT subscriber_account_idx UNIQUE (username, domain)
);
CREATE INDEX IF NOT EXISTS subscriber_username_idx ON subscriber (username);
INSERT OR IGNORE INTO version (table_name, table_version) VALUES ('version', ${TABLE_VERSIONS.version});
INSERT OR IGNORE INTO version (table_name, table_version) VALUES ('subscriber', ${TABLE_VERSIONS.subscriber});
`;

function prepare(db: AccountsDb): AccountsDb {
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return db;
}

/** Creates the file if needed and makes sure the schema Kamailio needs is there (idempotent). */
export function createAccountsDb(file: string): AccountsDb {
  return prepare(new Database(file));
}

/** Opens an existing accounts database (throws if the file does not exist); ensures the schema. */
export function openAccountsDb(file: string): AccountsDb {
  if (!fs.existsSync(file)) throw new Error(`accounts database not found: ${file}`);
  return prepare(new Database(file, { fileMustExist: true }));
}

/** Creates the account or changes its password. */
export function upsertAccount(db: AccountsDb, account: AccountRow): void {
  validate(account.username, account.domain);
  if (typeof account.password !== 'string' || account.password === '' || account.password.length > 64) {
    throw new Error('password must be 1-64 characters');
  }
  db.prepare(
    `INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, '', '')
     ON CONFLICT (username, domain) DO UPDATE SET password = excluded.password, ha1 = '', ha1b = ''`,
  ).run(account.username, account.domain, account.password);
}

/** Deletes the account; returns whether it existed. */
export function deleteAccount(db: AccountsDb, username: string, domain: string): boolean {
  return db.prepare('DELETE FROM subscriber WHERE username = ? AND domain = ?').run(username, domain).changes > 0;
}

export function getAccount(db: AccountsDb, username: string, domain: string): AccountRow | undefined {
  return db
    .prepare('SELECT username, domain, password FROM subscriber WHERE username = ? AND domain = ?')
    .get(username, domain) as AccountRow | undefined;
}

export function listAccounts(db: AccountsDb, domain?: string): AccountRow[] {
  const sql = 'SELECT username, domain, password FROM subscriber';
  return (
    domain === undefined
      ? db.prepare(`${sql} ORDER BY domain, username`).all()
      : db.prepare(`${sql} WHERE domain = ? ORDER BY username`).all(domain)
  ) as AccountRow[];
}

function validate(username: string, domain: string): void {
  if (typeof username !== 'string' || !/^[A-Za-z0-9._~-]{1,64}$/.test(username)) {
    throw new Error(`invalid SIP user name: ${String(username)}`);
  }
  if (typeof domain !== 'string' || !/^[A-Za-z0-9.-]{1,64}$/.test(domain)) {
    throw new Error(`invalid SIP domain: ${String(domain)}`);
  }
}
