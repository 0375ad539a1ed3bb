import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/**
 * A page in headless Chromium driven over the DevTools protocol on `--remote-debugging-pipe`
 * (JSON messages separated by NUL on file descriptors 3 and 4), so no port and no WebSocket
 * library are needed. The report test drives the charts with it, and docs' screenshot comes from it.
 */
export interface HeadlessPage {
  /** Sends one protocol command to the page's session and resolves with its result. */
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** Evaluates a JavaScript expression in the page (promises awaited) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** A press, move and release of the left button: a drag, as a person makes one. */
  drag(from: { x: number; y: number }, to: { x: number; y: number }): Promise<void>;
  /** PNG of the viewport, or of a clip rectangle in CSS pixels. */
  screenshot(clip?: { x: number; y: number; width: number; height: number }): Promise<Buffer>;
  close(): Promise<void>;
}

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
}

/** Starts Chromium, opens `url` in a `width` x `height` viewport and resolves once it has loaded. */
export async function openInChromium(url: string, options: { chromium?: string; width?: number; height?: number; timeoutMs?: number } = {}): Promise<HeadlessPage> {
  const profile = mkdtempSync(join(tmpdir(), 'hourglass-chromium-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars', '--mute-audio'];
  const child = spawn(options.chromium ?? DEFAULT_CHROMIUM, [...flags, '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const connection = connect(child, timeoutMs);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  const cleanup = () => rmSync(profile, { recursive: true, force: true });
  try {
    const { targetId } = await connection.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await connection.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    const send: HeadlessPage['send'] = (method, params) => connection.send(method, params, sessionId);
    await send('Page.enable');
    await send('Emulation.setDeviceMetricsOverride', { width: options.width ?? 1200, height: options.height ?? 900, deviceScaleFactor: 1, mobile: false });
    const loaded = connection.once('Page.loadEventFired', sessionId);
    const nav = await send<{ errorText?: string }>('Page.navigate', { url });
    if (nav.errorText) throw new Error(`Chromium could not open ${url}: ${nav.errorText}`);
    await loaded;
    const mouse = (type: string, p: { x: number; y: number }, buttons: number) =>
      send('Input.dispatchMouseEvent', { type, x: p.x, y: p.y, button: 'left', buttons, clickCount: 1 });
    return {
      send,
      async evaluate<T>(expression: string): Promise<T> {
        const r = await send<{ result: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } }>('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
        if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value as T;
      },
      async drag(from, to) {
        await mouse('mouseMoved', from, 0);
        await mouse('mousePressed', from, 1);
        for (let k = 1; k <= 5; k++) await mouse('mouseMoved', { x: from.x + ((to.x - from.x) * k) / 5, y: from.y + ((to.y - from.y) * k) / 5 }, 1);
        await mouse('mouseReleased', to, 0);
      },
      async screenshot(clip) {
        const r = await send<{ data: string }>('Page.captureScreenshot', { format: 'png', ...(clip ? { clip: { ...clip, scale: 1 } } : {}) });
        return Buffer.from(r.data, 'base64');
      },
      async close() {
        // A browser that does not quit when asked is killed, so a test never hangs on it.
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        await connection.send('Browser.close').catch(() => undefined);
        await connection.exited;
        clearTimeout(kill);
        cleanup();
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    await connection.exited;
    cleanup();
    throw new Error(`${(error as Error).message}${stderr ? `\nchromium stderr: ${stderr.trim().split('\n').slice(-5).join('\n')}` : ''}`);
  }
}

/** The protocol over the pipe: numbered commands and their replies, and events awaited by name. */
function connect(child: ChildProcess, timeoutMs: number) {
  const input = child.stdio[3] as Writable;
  const output = child.stdio[4] as Readable;
  const pending = new Map<number, Pending>();
  const waiters: { method: string; sessionId: string | undefined; resolve(): void }[] = [];
  let nextId = 1;
  let buffer = '';
  let failure: Error | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const fail = (error: Error) => {
    failure ??= error;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  child.once('exit', (code, signal) => fail(new Error(`Chromium exited (${signal ?? `code ${code}`})`)));
  child.once('error', fail);
  input.on('error', fail);
  output.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let end = buffer.indexOf('\0'); end >= 0; end = buffer.indexOf('\0')) {
      const message = JSON.parse(buffer.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; sessionId?: string };
      buffer = buffer.slice(end + 1);
      if (message.id !== undefined) {
        const p = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) p?.reject(new Error(message.error.message));
        else p?.resolve(message.result ?? {});
      } else if (message.method) {
        for (let i = waiters.length - 1; i >= 0; i--) {
          const w = waiters[i]!;
          if (w.method === message.method && w.sessionId === message.sessionId) {
            waiters.splice(i, 1);
            w.resolve();
          }
        }
      }
    }
  });
  return {
    exited,
    send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`Chromium did not answer ${method} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => { clearTimeout(timer); resolve(v as T); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
      });
    },
    once(method: string, sessionId: string | undefined): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${method} from Chromium within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ method, sessionId, resolve: () => { clearTimeout(timer); resolve(); } });
      });
    },
  };
}
