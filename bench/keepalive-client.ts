/**
 * Child process of the bench: opens <count> keep-alive connections to 127.0.0.1:<port>, sends one GET on each,
 * prints `READY {json}` once every connection has its answer (the parent then measures the server while they sit
 * idle), holds them for <holdSeconds>, then sends a second GET on each connection still open and prints
 * `DONE {json}`: how many connections were held and still served.
 *
 *   node dist/bench/keepalive-client.js <port> <count> <holdSeconds>
 */
import { connect, type Socket } from 'node:net';

const [portArg, countArg, holdArg] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const holdMs = Number(holdArg) * 1000;
const REQUEST = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`;

interface Conn {
  socket: Socket;
  closed: boolean;
  buffer: string;
  waiter: ((ok: boolean) => void) | null;
}

const errors = new Map<string, number>();
function noteError(e: Error): void {
  const key = (e as NodeJS.ErrnoException).code ?? e.message;
  errors.set(key, (errors.get(key) ?? 0) + 1);
}

/** Sends a GET and resolves true once a complete 200 response (headers + Content-Length body) arrived. */
function ask(conn: Conn, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (conn.closed) return resolve(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      conn.waiter = null;
      resolve(ok);
    };
    conn.buffer = '';
    conn.waiter = finish;
    conn.socket.write(REQUEST);
  });
}

function onData(conn: Conn, chunk: string): void {
  conn.buffer += chunk;
  const end = conn.buffer.indexOf('\r\n\r\n');
  if (end < 0 || !conn.waiter) return;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(conn.buffer.slice(0, end));
  if (length && conn.buffer.length < end + 4 + Number(length[1])) return;
  conn.waiter(conn.buffer.startsWith('HTTP/1.1 200'));
}

function open(): Promise<Conn | null> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const conn: Conn = { socket, closed: false, buffer: '', waiter: null };
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => onData(conn, d));
    socket.on('close', () => {
      conn.closed = true;
      conn.waiter?.(false);
    });
    socket.on('error', (e) => {
      noteError(e);
      resolve(null);
    });
    socket.once('connect', () => resolve(conn));
  });
}

async function main(): Promise<void> {
  const conns: Conn[] = [];
  const started = Date.now();
  let answered = 0;
  const batch = 250;
  for (let i = 0; i < count; i += batch) {
    const opened = await Promise.all(Array.from({ length: Math.min(batch, count - i) }, open));
    const live = opened.filter((c): c is Conn => c !== null);
    conns.push(...live);
    const oks = await Promise.all(live.map((c) => ask(c, 30_000)));
    answered += oks.filter(Boolean).length;
  }
  const openSeconds = (Date.now() - started) / 1000;
  process.stdout.write(`READY ${JSON.stringify({ opened: conns.length, answered, openSeconds })}\n`);

  await new Promise((r) => setTimeout(r, holdMs));
  const stillOpen = conns.filter((c) => !c.closed).length;
  let servedAgain = 0;
  for (let i = 0; i < conns.length; i += batch) {
    const oks = await Promise.all(conns.slice(i, i + batch).map((c) => ask(c, 30_000)));
    servedAgain += oks.filter(Boolean).length;
  }
  for (const c of conns) c.socket.destroy();
  process.stdout.write(
    `DONE ${JSON.stringify({ opened: conns.length, answered, openSeconds, holdSeconds: holdMs / 1000, stillOpen, servedAgain, errors: Object.fromEntries(errors) })}\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`keepalive-client: ${(e as Error).stack}\n`);
  process.exit(1);
});
