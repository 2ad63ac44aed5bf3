/**
 * One contender's application (a forked process): Express 5, express-session with its MemoryStore, passport 0.7,
 * identical for every contender but for the two route handlers the contender supplies.
 *
 *   GET /login     starts a login (302 to IS)
 *   GET /callback  completes it (302 to / on success, /failed on failure)
 *
 * It also answers the orchestrator's questions over IPC (session sizes, memory), so the HTTP surface stays the
 * same for everyone.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { contender } from './contenders/index.js';
import type { ContenderSetup } from './contenders/contender.js';
import { serve } from './rpc.js';

/** The session one cookie names, as the store holds it. */
export interface SessionSize {
  /** Bytes of the stored JSON. */
  storedBytes: number;
  /** Bytes of the stored JSON without express-session's own `cookie` record: what the app and strategy added. */
  ownBytes: number;
  /** The session's top-level keys other than `cookie`. */
  keys: string[];
}

export interface AppMemory {
  /** Resident set size after a full GC, bytes. */
  rss: number;
  /** V8 heap used after a full GC, bytes. */
  heapUsed: number;
  /** Sessions in the MemoryStore, and the bytes of their JSON. */
  sessions: number;
  storeBytes: number;
  /** Requests that ended in a 500. */
  errors: number;
}

export type AppApi = {
  session: (cookie: string) => SessionSize | undefined;
  memory: (params: undefined) => AppMemory;
  /** CPU time this process has used (user + system), microseconds. */
  cpu: (params: undefined) => number;
  /** A full GC, so that garbage left by the previous measurement is not collected (and counted) in the next. */
  settle: (params: undefined) => void;
};

export interface AppInfo {
  origin: string;
}

const id = process.argv[2] ?? '';
const setupJson = process.env['BENCH_SETUP'];
if (!setupJson) throw new Error('BENCH_SETUP is not set: run `npm run bench`');
const shared = JSON.parse(setupJson) as Omit<ContenderSetup, 'callbackURL'>;

const server = createServer();
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const store = new session.MemoryStore();
const storeSessions = (): Record<string, string> => (store as unknown as { sessions: Record<string, string> }).sessions;
const passport = new Passport();
passport.serializeUser((user, done) => done(null, (user as { id: string }).id));
passport.deserializeUser((userId: string, done) => done(null, { id: userId } as Express.User));

const routes = await (await contender(id).load())({ ...shared, callbackURL: `${origin}/callback` }, passport);

let errors = 0;
const app = express();
app.use(session({ secret: 'passport-wso2is bench', resave: false, saveUninitialized: false, store }));
app.use(passport.session());
app.get('/login', routes.login);
app.get('/callback', routes.callback);
app.get('/', (req, res) => {
  res.send(req.user ? 'signed in' : 'anonymous');
});
app.get('/failed', (_req, res) => {
  res.status(401).send('login failed');
});
app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
  if (errors++ < 3) console.error(`bench app ${id}:`, err);
  res.status(500).send('error');
});
server.on('request', app);

function sessionSize(cookie: string): SessionSize | undefined {
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
  const sid = value.startsWith('s:') ? value.slice(2, value.lastIndexOf('.')) : value;
  const stored = storeSessions()[sid];
  if (stored === undefined) return undefined;
  const parsed = JSON.parse(stored) as Record<string, unknown>;
  delete parsed['cookie'];
  return { storedBytes: Buffer.byteLength(stored), ownBytes: Buffer.byteLength(JSON.stringify(parsed)), keys: Object.keys(parsed) };
}

function memory(): AppMemory {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  const sessions = Object.values(storeSessions());
  return {
    rss: process.memoryUsage.rss(),
    heapUsed: process.memoryUsage().heapUsed,
    sessions: sessions.length,
    storeBytes: sessions.reduce((sum, s) => sum + Buffer.byteLength(s), 0),
    errors,
  };
}

function cpu(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

function settle(): void {
  globalThis.gc?.();
}

serve({ session: sessionSize, memory, cpu, settle } satisfies AppApi, { origin } satisfies AppInfo, async () => {
  await routes.close();
  server.closeAllConnections();
  server.close();
});
