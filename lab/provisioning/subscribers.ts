/**
 * The Kamailio `subscriber` rows the lab's auth_db reads (db_sqlite, plaintext passwords, realm = the
 * SIP domain). The provisioning store keeps them in step with its accounts inside its own
 * transactions: an active softphone/other account has a row; a deleted, inactive or virtual one has
 * none, so Kamailio refuses it at its next REGISTER.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

/** Kamailio's own schema (share/kamailio/db_sqlite/auth_db-create.sql, table version 7). */
export function ensureSubscriberTable(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS version (
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
    INSERT OR IGNORE INTO version (table_name, table_version) VALUES ('subscriber', 7);
  `);
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export function upsertSubscriber(
  db: Database.Database,
  row: { username: string; domain: string; password: string },
): void {
  // ha1/ha1b too, so the rows also work with calculate_ha1 = 0.
  const ha1 = md5(`${row.username}:${row.domain}:${row.password}`);
  const ha1b = md5(`${row.username}@${row.domain}:${row.domain}:${row.password}`);
  db.prepare(
    `INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (username, domain) DO UPDATE SET password = excluded.password, ha1 = excluded.ha1, ha1b = excluded.ha1b`,
  ).run(row.username, row.domain, row.password, ha1, ha1b);
}

export function deleteSubscriber(db: Database.Database, username: string, domain: string): void {
  db.prepare('DELETE FROM subscriber WHERE username = ? AND domain = ?').run(username, domain);
}

export function listSubscribers(db: Database.Database, domain: string): string[] {
  return (
    db.prepare('SELECT username FROM subscriber WHERE domain = ? ORDER BY username').all(domain) as {
      username: string;
    }[]
  ).map((r) => r.username);
}
