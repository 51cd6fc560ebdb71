/**
 * CodeIgniter's MySQLi driver in long-lived Burner workers against a real MariaDB, on every CI version the bridge
 * supports: one connection per worker reused across requests; a MariaDB restart in the middle of a load run (clear
 * 500s during the outage, every request succeeds once it is back, no worker restarted, no `rr reset`); an idle
 * connection closed by the server (wait_timeout = 2 s) and connections killed server side are reconnected; a
 * transaction left open by a request is rolled back, with a warning, before the next request on that worker runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDb } from '../support/services.js';
import { CI_VERSIONS, bootOrSkip, dbEnv, get, prodApp, tail, type Instance, type Reply } from './helpers.js';
import { histogram, load } from './load.js';

const WORKERS = 2;

describe('MariaDB in long-lived CodeIgniter workers', () => {
  let db: MariaDb;

  before(async () => {
    db = await startMariaDb({ database: { name: 'app', user: 'root_setup', password: 'unused' } });
    await db.query('CREATE TABLE app.hits (id INT AUTO_INCREMENT PRIMARY KEY, pid INT NOT NULL, note VARCHAR(20) NULL) ENGINE=InnoDB');
  });
  after(() => db?.stop());

  for (const version of CI_VERSIONS) {
    describe(`CodeIgniter ${version}`, () => {
      // A database user per version: its connections are counted on the server without the other versions'.
      const user = `ci_${version.replaceAll('.', '_')}`;
      let inst: Instance | undefined;
      let skip: string | undefined;

      before(async () => {
        await db.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'secret'; GRANT ALL ON app.* TO '${user}'@'127.0.0.1'`);
        const made = prodApp('prod-db', version, dbEnv(db.port, 'app', user, 'secret'));
        if ('skip' in made) {
          skip = made.skip;
          return;
        }
        const booted = await bootOrSkip({ app: made.app, workers: WORKERS }, version);
        if ('skip' in booted) skip = `CodeIgniter ${version} is skipped: ${booted.skip}`;
        else inst = booted.inst;
      });
      after(() => inst?.dispose());

      it('one connection per worker, reused across requests (counted on the server)', async (t) => {
        if (skip) return t.skip(skip);
        const replies: Reply[] = [];
        await Promise.all(
          [0, 1, 2].map(async () => {
            for (let i = 0; i < 20; i++) replies.push(await get(`${inst!.url}/prod/db`));
          }),
        );
        for (const r of replies) assert.equal(r.status, 200, r.text.slice(0, 500));
        const connsByPid = new Map<number, Set<number>>();
        for (const r of replies) {
          if (!connsByPid.has(r.body!.pid)) connsByPid.set(r.body!.pid, new Set());
          connsByPid.get(r.body!.pid)!.add(r.body!.conn);
        }
        assert.ok(connsByPid.size >= 1 && connsByPid.size <= WORKERS);
        for (const [pid, conns] of connsByPid) assert.equal(conns.size, 1, `worker ${pid} used connections ${[...conns]}`);
        assert.equal(await db.connections(user), connsByPid.size, 'server side: one connection per worker that served');
        t.diagnostic(`${replies.length} requests, ${connsByPid.size} workers, ${await db.connections(user)} connections on the server`);
      });

      it('MariaDB restarted in the middle of a load run: clear 500s while it is down, then every request succeeds', async (t) => {
        if (skip) return t.skip(skip);
        const run = load(() => ({ url: `${inst!.url}/prod/db` }), 4);
        try {
          assert.ok(await run.until((r) => r.filter((x) => x.status === 200).length >= 40, 60_000), 'load is served before the restart');
          const pidsBefore = new Set(run.replies.filter((r) => r.status === 200).map((r) => r.body!.pid));
          const downAt = Date.now();
          await db.kill();
          // Requests sent while it is down: a bounded number of them.
          const failuresSeen = await run.until((r) => r.filter((x) => x.sentAt > downAt && x.status !== 200).length >= 20, 30_000);
          assert.ok(failuresSeen, 'requests during the outage fail');
          await db.start();
          const backAt = Date.now();
          assert.ok(await run.until((r) => r.filter((x) => x.sentAt > backAt).length >= 120, 60_000), 'load goes on after the restart');
          const replies = await run.stop();
          const outage = replies.filter((r) => r.sentAt > downAt && r.sentAt <= backAt);
          const afterBack = replies.filter((r) => r.sentAt > backAt);
          const failedAfter = afterBack.filter((r) => r.status !== 200);
          const beforeDown = replies.filter((r) => r.sentAt <= downAt);
          t.diagnostic(
            `CI ${version}: ${replies.length} requests; ${beforeDown.length} sent before MariaDB was stopped ${JSON.stringify(histogram(beforeDown))} (500s: in flight as it shut down), ` +
              `${outage.length} sent while it was stopping or down ${JSON.stringify(histogram(outage))}, ` +
              `${afterBack.length} sent after it was back ${JSON.stringify(histogram(afterBack))}`,
          );
          assert.deepEqual(
            failedAfter.map((r) => `${r.status} ${r.error ?? r.text.slice(0, 200)}`),
            [],
            'every request after MariaDB is back succeeds',
          );
          for (const r of outage.filter((x) => x.status !== 200)) {
            assert.equal(r.status, 500, `a clear 500 during the outage, not ${r.status} ${r.error ?? ''}`);
          }
          assert.match(
            inst!.logs(),
            /Unable to connect to the database|MySQL server has gone away|Connection refused/,
            'the log names the database error',
          );
          const pidsAfter = new Set(afterBack.map((r) => r.body!.pid));
          for (const pid of pidsAfter)
            assert.ok(pidsBefore.has(pid), `worker ${pid} is new: a worker was restarted (crash) during the outage`);
          assert.equal(await db.connections(user), pidsAfter.size, 'one connection per worker again');
        } finally {
          await run.stop();
        }
      });

      it('connections the server closed (KILL, then wait_timeout = 2 s) are reconnected without a worker restart', async (t) => {
        if (skip) return t.skip(skip);
        await db.query('SET GLOBAL wait_timeout = 2');
        try {
          const warm = await Promise.all([0, 1, 2, 3].map(() => get(`${inst!.url}/prod/db`)));
          assert.deepEqual(
            warm.map((r) => r.status),
            [200, 200, 200, 200],
          );
          const workers = new Set(warm.map((r) => r.body!.pid));
          for (const [id] of await db.query(`SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '${user}'`)) {
            await db.query(`KILL ${id}`).catch(() => undefined);
          }
          // A connection killed while its worker is busy fails that worker's next request once (the bridge pings only
          // after an idle second or a failed request, to keep the ping off the hot path); the one after reconnects.
          const afterKill: Reply[] = [];
          for (let i = 0; i < 8; i++) afterKill.push(await get(`${inst!.url}/prod/db`));
          for (const r of afterKill.filter((x) => x.status !== 200)) assert.equal(r.status, 500, r.text.slice(0, 300));
          const ok = afterKill.filter((r) => r.status === 200);
          assert.ok(
            afterKill.filter((r) => r.status !== 200).length <= WORKERS,
            `at most one failure per worker after KILL: ${afterKill.map((r) => r.status)}`,
          );
          assert.equal(afterKill.at(-1)!.status, 200, `then requests succeed: ${afterKill.map((r) => r.status)}`);
          assert.ok(
            ok.every((r) => r.body!.wait_timeout === 2),
            'the new connections have wait_timeout = 2',
          );
          for (const r of ok)
            assert.ok(workers.has(r.body!.pid) || workers.size < WORKERS, `worker ${r.body!.pid} is new: a worker was restarted`);
          const conns = new Set(ok.map((r) => r.body!.conn));
          // Let the server drop the idle connections itself.
          const deadline = Date.now() + 30_000;
          while ((await db.connections(user)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
          assert.equal(await db.connections(user), 0, 'the server closed the idle connections');
          const afterIdle: Reply[] = [];
          for (let i = 0; i < 6; i++) afterIdle.push(await get(`${inst!.url}/prod/db`));
          assert.deepEqual(
            afterIdle.map((r) => r.status),
            [200, 200, 200, 200, 200, 200],
            afterIdle.map((r) => r.text.slice(0, 300)).join('\n'),
          );
          for (const r of afterIdle) {
            assert.ok(!conns.has(r.body!.conn), 'a new connection after the idle drop');
            assert.ok(workers.has(r.body!.pid) || workers.size < WORKERS, `worker ${r.body!.pid} is new: a worker was restarted`);
          }
          t.diagnostic(
            `CI ${version}: after KILL ${afterKill.map((r) => r.status).join(' ')}; after the idle timeout closed every connection: ${afterIdle.map((r) => r.status).join(' ')}`,
          );
        } finally {
          await db.query('SET GLOBAL wait_timeout = 28800');
        }
      });

      it('a transaction left open by a request is rolled back, with a warning, before the next request runs', async (t) => {
        if (skip) return t.skip(skip);
        const leak = await get(`${inst!.url}/prod/leak`);
        assert.equal(leak.status, 200, leak.text.slice(0, 500));
        assert.equal(leak.body!.in_trx, 1, 'the request left its transaction open');
        let sameWorker: Reply | undefined;
        for (let i = 0; i < 40 && !sameWorker; i++) {
          const r = await get(`${inst!.url}/prod/state`);
          assert.equal(r.status, 200, r.text.slice(0, 500));
          assert.equal(r.body!.in_trx, 0, `worker ${r.body!.pid}: no transaction open at the start of a request`);
          assert.equal(r.body!.leaked, 0, 'the leaked insert was rolled back');
          if (r.body!.pid === leak.body!.pid) sameWorker = r;
        }
        assert.ok(sameWorker, 'a later request ran on the worker that leaked the transaction');
        assert.equal(sameWorker.body!.conn, leak.body!.conn, 'rolled back on the same connection, not by reconnecting');
        assert.deepEqual(await db.query("SELECT COUNT(*) FROM app.hits WHERE note = 'leaked'"), [['0']]);
        const warning = inst!
          .logs()
          .split('\n')
          .find((l) => /transaction/i.test(l) && /roll/i.test(l));
        assert.ok(warning, `a warning in the log names the rolled back transaction:\n${tail(inst!.logs(), 15)}`);
        t.diagnostic(`CI ${version}: ${warning}`);
      });
    });
  }
});
