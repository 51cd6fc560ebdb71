/**
 * Two Burner instances of a CodeIgniter app behind HAProxy, run from deploy/haproxy/haproxy.cfg itself (addresses,
 * ports, certificate and check interval swapped in for loopback): health checks on /health, the client's IP and
 * scheme forwarded and trusted (proxy_ip_parser + trusted_subnets; spoofed headers dropped by the balancer), sessions
 * in Redis so a user lands on either instance; then a rolling restart under load: each instance in turn gets SIGTERM,
 * answers 503 on /health while it still accepts, is taken out by HAProxy, finishes its in-flight request, exits, is
 * started again and taken back in. 0 failed requests; the figures go to the test output.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canConnect, startHaproxy, startRedis, type Haproxy, type Redis } from '../support/services.js';
import { ROOT, bootOrSkip, get, prodApp, redisEnv, type Instance } from './helpers.js';
import { histogram, load } from './load.js';

const VERSION = '4.1.3';
/** The client's own address: distinct from the balancer's 127.0.0.1, so a forwarded IP can be told apart. */
const CLIENT_IP = '127.0.0.2';
const DRAIN_DELAY = '2s';
/** Longer than DRAIN_DELAY: the request is still running when the listener closes. */
const INFLIGHT_MS = 3500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether this build drains on SIGTERM (status 503 first, HTTP still accepting for status.drain_delay). */
function hasDrainPhase(): boolean {
  const app = path.join(ROOT, 'dist/src/app.js');
  const schema = path.join(ROOT, 'dist/src/config/schema.js');
  return existsSync(app) && readFileSync(app, 'utf8').includes('drain') && readFileSync(schema, 'utf8').includes('drain_delay');
}

/** deploy/haproxy/haproxy.cfg with loopback addresses; every substitution must apply, so the tested file is the shipped one. */
function haproxyConfig(pem: string, servers: Instance[]): string {
  let text = readFileSync(path.join(ROOT, 'deploy/haproxy/haproxy.cfg'), 'utf8');
  const swap = (re: RegExp, by: string) => {
    assert.match(text, re, `deploy/haproxy/haproxy.cfg no longer has ${re}`);
    text = text.replace(re, by);
  };
  swap(/^(\s*)# stats socket .*$/m, '$1stats socket {{SOCKET}} mode 600 level admin');
  // A test machine's open-file limit may be below what maxconn 10000 needs.
  swap(/^(\s*)maxconn \d+$/m, '$1maxconn 1000');
  swap(/^(\s*)bind :80$/m, '$1bind 127.0.0.1:{{PORT:main}}');
  swap(/^(\s*)bind :443 ssl crt \S+ alpn \S+$/m, `$1bind 127.0.0.1:{{PORT:tls}} ssl crt ${pem} alpn http/1.1`);
  swap(/^(\s*default-server) inter \S+ (fall \d+ rise \d+) check port \d+$/m, '$1 inter 250ms $2 check');
  servers.forEach((s, i) =>
    swap(new RegExp(`^(\\s*)server app${i + 1} \\S+$`, 'm'), `$1server app${i + 1} 127.0.0.1:${s.port} port ${s.statusPort}`),
  );
  return text;
}

/** The balancer's view of a server: UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (coming up)... */
async function lbStatus(lb: Haproxy, server: string): Promise<string> {
  const csv = await lb.admin('show stat');
  const lines = csv.split('\n');
  const header = lines[0]!.replace(/^# /, '').split(',');
  const col = (name: string) => header.indexOf(name);
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    if (f[col('pxname')] === 'burner' && f[col('svname')] === server) return f[col('status')]!;
  }
  throw new Error(`no server ${server} in show stat:\n${csv}`);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A GET from CLIENT_IP (node's http/https: fetch cannot pick its source address). */
function clientGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; cookies: string[] }> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method: 'GET', headers, localAddress: CLIENT_IP, rejectUnauthorized: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: any = text;
        try {
          body = JSON.parse(text);
        } catch {
          // an error page
        }
        const sc = res.headers['set-cookie'] ?? [];
        resolve({ status: res.statusCode ?? 0, body, cookies: sc.map((c) => c.split(';')[0]!) });
      });
    });
    req.once('error', reject);
    req.end();
  });
}

describe('Burner instances behind HAProxy (deploy/haproxy/haproxy.cfg)', () => {
  let redis: Redis | undefined;
  let lb: Haproxy | undefined;
  let certDir: string | undefined;
  const instances: Instance[] = [];
  const drainPhase = hasDrainPhase();

  before(async () => {
    redis = await startRedis();
    const made = prodApp('prod-lb', VERSION, { ...redisEnv(redis.port), 'app.baseURL': 'http://localhost/' });
    if ('skip' in made) throw new Error(made.skip);
    for (const name of ['app1', 'app2']) {
      const booted = await bootOrSkip(
        {
          app: made.app,
          workers: 2,
          env: { BURNER_INSTANCE: name },
          httpExtra: '  middleware: ["proxy_ip_parser"]\n  trusted_subnets: ["127.0.0.1/32"]\n',
          statusExtra: drainPhase ? `  drain_delay: ${DRAIN_DELAY}\n` : '',
          extra: 'endure:\n  grace_period: 30s\n',
        },
        VERSION,
      );
      if ('skip' in booted) throw new Error(booted.skip);
      instances.push(booted.inst);
    }
    certDir = mkdtempSync(path.join(tmpdir(), 'burner-lb-cert-'));
    const key = path.join(certDir, 'key.pem');
    const crt = path.join(certDir, 'crt.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        key,
        '-out',
        crt,
      ],
      { stdio: 'ignore' },
    );
    const pem = path.join(certDir, 'site.pem');
    writeFileSync(pem, readFileSync(crt, 'utf8') + readFileSync(key, 'utf8'));
    lb = await startHaproxy(haproxyConfig(pem, instances));
    for (const s of ['app1', 'app2']) await waitFor(`HAProxy to see ${s} UP`, async () => (await lbStatus(lb!, s)) === 'UP');
  });

  after(async () => {
    await lb?.stop();
    for (const i of instances) await i.dispose();
    await redis?.stop();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it("CodeIgniter sees the client's IP and scheme through the balancer, never spoofed ones; the session follows the user", async (t) => {
    const lbHttp = `http://127.0.0.1:${lb!.ports.main}`;
    const lbHttps = `https://127.0.0.1:${lb!.ports.tls}`;
    const login = await clientGet(`${lbHttp}/prod/login?user=dora`);
    assert.equal(login.status, 200);
    const cookie = login.cookies.find((c) => c.startsWith('ci_session='));
    assert.ok(cookie, 'a session cookie');
    const spoof = { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=7.7.7.7', 'x-real-ip': '8.8.8.8', 'x-forwarded-proto': 'https' };
    const seen = new Set<string>();
    for (let i = 1; i <= 6; i++) {
      const r = await clientGet(`${lbHttp}/prod/client`, { cookie, ...spoof });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.ip, CLIENT_IP, 'the client address, not the balancer and not a spoofed header');
      assert.equal(r.body.remote_addr, CLIENT_IP);
      assert.equal(r.body.secure, false, 'plain http: a client-sent X-Forwarded-Proto is dropped');
      assert.equal(r.body.user, 'dora', 'the session from Redis, whichever instance');
      assert.equal(r.body.visits, i);
      seen.add(r.body.instance);
    }
    assert.deepEqual([...seen].sort(), ['app1', 'app2'], 'both instances served the same session');
    const tls = await clientGet(`${lbHttps}/prod/client`, { cookie });
    assert.equal(tls.status, 200);
    assert.equal(tls.body.secure, true, 'https at the balancer: CodeIgniter says isSecure()');
    assert.equal(tls.body.ip, CLIENT_IP);
    assert.equal(tls.body.user, 'dora');
    // Straight to an instance, the forwarded headers come from an untrusted peer (127.0.0.2): ignored.
    const direct = await clientGet(`${instances[0]!.url}/prod/client`, { 'x-forwarded-for': '6.6.6.6' });
    assert.equal(direct.body.ip, CLIENT_IP);
    t.diagnostic(
      `client ${CLIENT_IP} seen as ${tls.body.ip} (https: ${tls.body.secure}) on ${[...seen].join(' and ')}; session visits 1..7`,
    );
  });

  it('a rolling restart under load: 0 failed requests', async (t) => {
    const lbHttp = `http://127.0.0.1:${lb!.ports.main}`;
    const run = load(() => ({ url: `${lbHttp}/prod/slow?ms=20` }), 4);
    const notes: string[] = [];
    try {
      assert.ok(await run.until((r) => r.filter((x) => x.status === 200).length >= 60, 60_000), 'load is served');
      for (const [i, inst] of instances.entries()) {
        const name = `app${i + 1}`;
        const servedBefore = run.replies.length;
        // A request in flight when the instance is told to stop, outlasting the drain phase: it must finish.
        const inflight = get(`${inst.url}/prod/slow?ms=${INFLIGHT_MS}`).catch((err: Error) => ({
          status: 0,
          text: `${String(err)} ${String((err as { cause?: unknown }).cause)}`,
        }));
        await sleep(200);
        const pid = inst.terminate();
        const termAt = Date.now();
        // The health check turns 503 at once, while HTTP still accepts (the drain phase).
        let acceptingWhenUnhealthy = false;
        await waitFor(`${name} /health to fail`, async () => {
          try {
            const res = await fetch(`http://127.0.0.1:${inst.statusPort}/health`);
            await res.arrayBuffer();
            if (res.status !== 503) return false;
          } catch {
            // the status listener is gone already
          }
          acceptingWhenUnhealthy = await canConnect(inst.port);
          return true;
        });
        // HAProxy takes it out; with the drain phase that happens while the instance still accepts and runs.
        let acceptingWhenOut = false;
        await waitFor(`HAProxy to take ${name} out`, async () => {
          if (!(await lbStatus(lb!, name)).startsWith('DOWN')) return false;
          acceptingWhenOut = inst.child !== undefined && inst.child.exitCode === null && (await canConnect(inst.port));
          return true;
        });
        const outAt = Date.now();
        // After the drain phase it stops taking connections while its in-flight request still runs.
        let refusedWhileRunning = false;
        await waitFor(`${name} to stop accepting`, async () => {
          if (await canConnect(inst.port)) return false;
          refusedWhileRunning = inst.child !== undefined && inst.child.exitCode === null;
          return true;
        });
        const closedAt = Date.now();
        const code = await inst.stop();
        const exitAt = Date.now();
        assert.equal(code, 0, `${name} exits cleanly after SIGTERM:\n${inst.logs().slice(-3000)}`);
        const finished = await inflight;
        assert.equal(
          finished.status,
          200,
          `${name}'s in-flight request finished: ${finished.text.slice(0, 200)}\n${inst.logs().slice(-3000)}`,
        );
        if (drainPhase) {
          assert.ok(acceptingWhenUnhealthy, `${name}: /health answered 503 while HTTP still accepted`);
          assert.ok(acceptingWhenOut, `${name}: HAProxy took it out before it stopped accepting`);
          assert.ok(refusedWhileRunning, `${name}: stopped accepting while its in-flight request still ran`);
        }
        await inst.start();
        await waitFor(`HAProxy to take ${name} back`, async () => (await lbStatus(lb!, name)) === 'UP');
        const backAt = Date.now();
        assert.ok(
          await run.until((r) => r.slice(servedBefore).filter((x) => x.body?.instance === name && x.sentAt > backAt).length >= 10, 60_000),
          `${name} takes traffic again`,
        );
        notes.push(
          `${name} (pid ${pid}): 503 on /health while ${acceptingWhenUnhealthy ? 'still' : 'no longer'} accepting, ` +
            `out of HAProxy ${outAt - termAt} ms after SIGTERM while ${acceptingWhenOut ? 'still' : 'no longer'} accepting, ` +
            `refused connections ${closedAt - termAt} ms after SIGTERM ${refusedWhileRunning ? 'while its in-flight request still ran' : ''}, ` +
            `exited ${exitAt - termAt} ms after SIGTERM (code ${code}), in-flight request (${INFLIGHT_MS} ms) ${finished.status}, back in rotation`,
        );
      }
      const replies = await run.stop();
      const failed = replies.filter((r) => r.status !== 200);
      const byInstance: Record<string, number> = {};
      for (const r of replies) if (r.body?.instance) byInstance[r.body.instance] = (byInstance[r.body.instance] ?? 0) + 1;
      t.diagnostic(
        `rolling restart behind HAProxy: ${replies.length} requests, ${failed.length} failed ${JSON.stringify(histogram(replies))}, ` +
          `served by ${JSON.stringify(byInstance)}; drain phase ${drainPhase ? `on (status.drain_delay ${DRAIN_DELAY})` : 'NOT in this build'}`,
      );
      for (const n of notes) t.diagnostic(n);
      assert.deepEqual(
        failed.slice(0, 10).map((r) => `${r.status} ${r.error ?? r.text.slice(0, 200)}`),
        [],
        `${failed.length} of ${replies.length} requests failed`,
      );
    } finally {
      await run.stop();
    }
  });
});
