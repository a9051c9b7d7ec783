/**
 * Headless Chromium pages that run SIP.js with real WebRTC media for the lab.
 *
 * Node has no WebRTC, so lab endpoints that need media (the park orbit, and the plain phones the
 * tests use to exercise it) run as scripts in a Chromium page. A page script is bundled with
 * esbuild (sip.js included) and served from a tiny HTTP server on 127.0.0.1: a loopback page may
 * open WebSockets to the loopback Kamailio and counts as a secure context for getUserMedia.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium.mjs';

/** Chromium with the lab flags (lab/chromium.mjs), plus any the caller adds. */
export function launchLabChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

/** Bundles a page script of this folder (e.g. `orbit-page.ts`) into `outFile` as one IIFE. */
export async function bundlePageScript(entry: string, outFile: string): Promise<void> {
  await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    outfile: outFile,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
}

export interface PageHost {
  /** http://127.0.0.1:PORT/ */
  url: string;
  close(): Promise<void>;
}

/** Serves `index.html` (which loads `script`) and the files of `dir` on 127.0.0.1. */
export async function servePage(dir: string, script: string, title: string): Promise<PageHost> {
  const html = `<!doctype html><meta charset="utf-8"><title>${title}</title><script src="/${script}"></script>`;
  const server: Server = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0] ?? '/';
    if (name === '/' || name === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    if (name === `/${script}`) {
      readFile(join(dir, script)).then(
        (body) => res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(body),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Bundles `entry` into `dir`, serves it, opens it in a new page of `browser`. */
export async function openLabPage(
  browser: Browser,
  dir: string,
  entry: string,
  title: string,
): Promise<{ page: Page; host: PageHost }> {
  const script = entry.replace(/\.ts$/, '.js');
  await bundlePageScript(entry, join(dir, script));
  const host = await servePage(dir, script, title);
  try {
    const page = await browser.newPage();
    await page.goto(host.url);
    return { page, host };
  } catch (error) {
    await host.close();
    throw error;
  }
}
