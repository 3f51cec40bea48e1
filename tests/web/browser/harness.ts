// The browser tests' harness: real chatnode processes (`chatnode init` + `serve`, on
// 127.0.0.1, ports picked up front so a restarted node keeps its port), a federation CA
// made with `chatnode certs ca` for two linked nodes, and Debian's chromium driven by
// playwright-core, trusting exactly the nodes' certificates (their SPKI pins) and sending
// the nodes' domains to 127.0.0.1. Everything started here is stopped by close().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHATNODE = process.env['CHATNODE_BIN'] ?? 'chatnode';
export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
/** Every wait on the page or a node is bounded by this. */
export const WAIT_MS = 20000;
const READY_MS = 20000;
const LAUNCH_MS = 60000;
const STOP_MS = 10000;

/** A loopback port that was free a moment ago (below the ephemeral range, like the C++ harness). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 10000 + Math.floor(Math.random() * 20000);
    const ok = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port');
}

function run(args: string[]): string {
  const r = spawnSync(CHATNODE, args, { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) throw new Error(`chatnode ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

export interface NodeOptions {
  domain: string;
  root: string; // a temp dir for everything of this test
  caDir?: string; // federation CA (ca.crt + ca.key); none: a dev CA, federation off
  federationPort?: number;
  peers?: Record<string, number>; // domain -> federation port
}

export class ChatNode {
  readonly dir: string;
  readonly clientPort: number;
  private proc: ChildProcess | null = null;
  private output = '';

  private constructor(
    readonly options: NodeOptions,
    clientPort: number,
  ) {
    this.dir = path.join(options.root, options.domain);
    this.clientPort = clientPort;
  }

  /** `chatnode init`, then the config made quick for tests (cheap KDF, no lockouts). */
  static async create(options: NodeOptions): Promise<ChatNode> {
    const node = new ChatNode(options, await freePort());
    const fed = options.federationPort ?? (await freePort());
    const args = ['init', '--domain', options.domain, '--dir', node.dir, '--client-listen', `127.0.0.1:${node.clientPort}`, '--federation-listen', `127.0.0.1:${fed}`];
    if (options.caDir) args.push('--ca', options.caDir);
    for (const [peer, port] of Object.entries(options.peers ?? {})) args.push('--peer', `${peer}=127.0.0.1:${port}`);
    run(args);
    const file = path.join(node.dir, 'chatnode.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    config.kdf = { N: 1024, r: 8, p: 1 };
    if (!options.caDir) delete config.federation;
    writeFileSync(file, JSON.stringify(config, null, 1));
    return node;
  }

  get url(): string {
    return `https://${this.options.domain}:${this.clientPort}/`;
  }

  /** The SPKI pin of the node's certificate, for chromium's trust list. */
  pin(): string {
    return run(['certs', 'pin', path.join(this.dir, 'certs', 'node.crt')]).trim();
  }

  async start(): Promise<void> {
    this.output = '';
    const proc = spawn(CHATNODE, ['serve', '--config', path.join(this.dir, 'chatnode.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.options.domain} not ready in ${READY_MS} ms:\n${this.output}`)), READY_MS);
      proc.stdout!.on('data', (d: Buffer) => {
        this.output += d.toString();
        if (this.output.includes('chatnode ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.options.domain} exited (${code}) before it was ready:\n${this.output}`));
      });
    });
    await ready;
  }

  /** SIGTERM, and wait for the exit. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    this.proc = null;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_MS);
    await exited;
    clearTimeout(timer);
  }

  /** `chatnode admin --config … ARGS` against this node (its admin socket while it runs). */
  admin(...args: string[]): string {
    return run(['admin', '--config', path.join(this.dir, 'chatnode.json'), ...args]);
  }

  log(): string {
    return this.output;
  }
}

/** Nodes, browsers and temp dirs of one test, all stopped and removed by close(). */
export class World {
  readonly root = mkdtempSync(path.join(tmpdir(), 'chatnode-web-'));
  readonly nodes: ChatNode[] = [];
  private browser: Browser | null = null;
  private readonly contexts: BrowserContext[] = [];

  async node(domain = 'localhost'): Promise<ChatNode> {
    const n = await ChatNode.create({ domain, root: this.root });
    this.nodes.push(n);
    await n.start();
    return n;
  }

  /** Two (or more) nodes linked over mutual TLS with a federation CA made here. */
  async federation(domains: string[]): Promise<ChatNode[]> {
    const caDir = path.join(this.root, 'fed-ca');
    run(['certs', 'ca', '--dir', caDir, '--name', 'web test federation CA']);
    const ports: Record<string, number> = {};
    for (const d of domains) ports[d] = await freePort();
    const made: ChatNode[] = [];
    for (const d of domains) {
      const peers = Object.fromEntries(Object.entries(ports).filter(([p]) => p !== d));
      made.push(await ChatNode.create({ domain: d, root: this.root, caDir, federationPort: ports[d]!, peers }));
    }
    for (const n of made) await n.start();
    this.nodes.push(...made);
    return made;
  }

  /** Chromium trusting the nodes made so far (and only those), their domains on 127.0.0.1. */
  async launch(): Promise<Browser> {
    const pins = this.nodes.map((n) => n.pin());
    const hosts = [...new Set(this.nodes.map((n) => n.options.domain))].filter((d) => d !== 'localhost');
    const args = [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--ignore-certificate-errors-spki-list=${pins.join(',')}`,
    ];
    if (hosts.length) args.push(`--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`);
    // The first start on a fresh machine builds font caches: give it longer than a page wait.
    this.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: LAUNCH_MS });
    return this.browser;
  }

  /** A fresh browser profile (own storage) with one page on `node`'s web client. */
  async page(node: ChatNode, viewport = { width: 1280, height: 800 }, options: BrowserContextOptions = {}): Promise<Page> {
    if (!this.browser) await this.launch();
    const context = await this.browser!.newContext({ viewport, ...options });
    this.contexts.push(context);
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`page error on ${node.options.domain}: ${e.message}`));
    await page.goto(node.url);
    return page;
  }

  async close(keepOnFailure = false): Promise<void> {
    if (keepOnFailure) {
      let n = 0;
      for (const c of this.contexts)
        for (const p of c.pages()) await p.screenshot({ path: path.join(this.root, `page-${++n}.png`) }).catch(() => {});
    }
    for (const c of this.contexts) await c.close().catch(() => {});
    await this.browser?.close().catch(() => {});
    for (const n of this.nodes) await n.stop();
    if (keepOnFailure) {
      for (const n of this.nodes) console.error(`--- log of ${n.options.domain}:\n${n.log()}`);
      console.error(`test files kept in ${this.root}`);
    } else {
      rmSync(this.root, { recursive: true, force: true });
    }
  }
}
