/** The test services themselves: each starts on a free loopback port, answers a real client, restarts, stops clean. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { canConnect, startHaproxy, startMariaDb, startMemcached, startRedis } from '../support/services.js';

describe('test services', () => {
  it('MariaDB: a user and database, a query, a restart on the same port, a clean stop', async () => {
    const db = await startMariaDb({ database: { name: 'app', user: 'app', password: 'secret' } });
    after(() => db.stop());
    assert.deepEqual(await db.query("SELECT 1+1, 'x'"), [['2', 'x']]);
    await db.query('CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (7)');
    await db.restart();
    assert.deepEqual(await db.query('SELECT id FROM app.t'), [['7']], 'data survives a restart');
    assert.equal(await db.connections('app'), 0);
    const dir = db.dir;
    await db.stop();
    assert.equal(await canConnect(db.port), false);
    assert.equal(existsSync(dir), false);
  });

  it('Redis: PING, SET/GET, CLIENT LIST, restart, stop', async () => {
    const redis = await startRedis();
    after(() => redis.stop());
    assert.equal(await redis.command('SET', 'k', 'v'), 'OK');
    assert.equal(await redis.command('GET', 'k'), 'v');
    assert.equal(await redis.commandIn(1, 'SET', 'k1', 'in-db-1'), 'OK');
    assert.equal(await redis.command('GET', 'k1'), null, 'database 0 does not have it');
    assert.equal(await redis.commandIn(1, 'GET', 'k1'), 'in-db-1');
    assert.deepEqual(await redis.clients(), [], 'only the CLIENT LIST connection itself, which is left out');
    await redis.restart();
    assert.equal(await redis.command('GET', 'k'), null, 'no persistence');
    await redis.stop();
    assert.equal(await canConnect(redis.port), false);
  });

  it('memcached: version and stats', async () => {
    const mc = await startMemcached();
    after(() => mc.stop());
    assert.match(await mc.command('version'), /^VERSION 1\./);
    assert.ok(Number((await mc.stats()).curr_connections) >= 1);
    await mc.stop();
    assert.equal(await canConnect(mc.port), false);
  });

  it('HAProxy: placeholders, admin socket, proxies to a backend', async () => {
    const redis = await startRedis();
    after(() => redis.stop());
    const lb = await startHaproxy(`global
  stats socket {{SOCKET}} mode 600 level admin
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
listen redis
  bind 127.0.0.1:{{PORT:main}}
  server r1 127.0.0.1:${redis.port}
`);
    after(() => lb.stop());
    assert.match(await lb.admin('show info'), /Name: HAProxy/);
    const { respCommand } = await import('../support/services.js');
    assert.equal(await respCommand(lb.port, ['PING']), 'PONG');
    await lb.stop();
    assert.equal(await canConnect(lb.port), false);
  });
});
