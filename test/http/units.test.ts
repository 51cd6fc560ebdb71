/**
 * The pure parts of the HTTP plugin: the request context (names, uri, cookies, remote address), both context
 * encoders against the spec bytes and an independent protobuf implementation (@bufbuild/protobuf), response
 * decoding in both codecs, header injection filtering, the form and uploads trees, and the small middlewares.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { encodePayloadFrame, CODEC_PROTO } from '../../src/goridge/frame.js';
import { buildContext, canonicalHeaderName, encodeJsonContext, parseCookies, queryUnescape } from '../../src/http/context.js';
import { FormError, buildTree, groupPairs, keySegments, mount, parseUrlencoded } from '../../src/http/forms.js';
import { decodeProtoRequest, encodeProtoRequest, type RequestContext } from '../../src/http/proto.js';
import { ResponseDecodeError, decodeResponseHead, flattenHeaders } from '../../src/http/response.js';
import { ProxyIpParser } from '../../src/http/middleware/proxy-ip.js';
import { wantsGzip, worthCompressing } from '../../src/http/middleware/gzip.js';
import { HTTP_DEFAULTS, httpOptionsWithDefaults } from '../../src/http/options.js';

function fakeRequest(opts: {
  url: string;
  raw: string[];
  method?: string;
  remote?: string;
  tls?: boolean;
  version?: string;
}): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < opts.raw.length; i += 2) headers[opts.raw[i]!.toLowerCase()] = opts.raw[i + 1]!;
  return {
    url: opts.url,
    method: opts.method ?? 'GET',
    httpVersion: opts.version ?? '1.1',
    rawHeaders: opts.raw,
    headers,
    socket: { remoteAddress: opts.remote ?? '127.0.0.1', encrypted: opts.tls ? true : undefined },
  } as unknown as IncomingMessage;
}

describe('request context', () => {
  test('header names are Go-canonical; names with invalid characters are left as they are', () => {
    assert.equal(canonicalHeaderName('content-type'), 'Content-Type');
    assert.equal(canonicalHeaderName('X-FOO-bar'), 'X-Foo-Bar');
    assert.equal(canonicalHeaderName('x-forwarded-for'), 'X-Forwarded-For');
    assert.equal(canonicalHeaderName('dnt'), 'Dnt');
    assert.equal(canonicalHeaderName('-x--y-'), '-X--Y-');
    assert.equal(canonicalHeaderName('foo bar'), 'foo bar');
    assert.equal(canonicalHeaderName('foo_bar'), 'Foo_bar');
  });

  test('Host is removed, the uri is absolute with CR/LF stripped, values of repeated headers are kept in order', () => {
    const { ctx, contentType } = buildContext(
      fakeRequest({
        url: '/a/b?x=1&y=%20',
        raw: ['Host', 'shop.test:8443', 'accept', 'a', 'ACCEPT', 'b', 'Content-Type', 'Application/JSON; charset=utf-8'],
      }),
    );
    assert.equal(ctx.uri, 'http://shop.test:8443/a/b?x=1&y=%20');
    assert.equal(ctx.rawQuery, 'x=1&y=%20');
    assert.deepEqual(ctx.headers, { Accept: ['a', 'b'], 'Content-Type': ['Application/JSON; charset=utf-8'] });
    assert.equal(contentType, 'application/json; charset=utf-8');
    assert.equal(ctx.protocol, 'HTTP/1.1');

    const tls = buildContext(fakeRequest({ url: '/x\r\ny', raw: ['host', 'h\r\n'], tls: true, version: '1.0' })).ctx;
    assert.equal(tls.uri, 'https://h/xy');
    assert.equal(tls.protocol, 'HTTP/1.0');

    // An absolute-form target decides neither the scheme nor, when Host came with it, the host (issue 14 #9).
    const absolute = buildContext(fakeRequest({ url: 'https://other.test/p?q', raw: ['Host', 'real.test'] })).ctx;
    assert.equal(absolute.uri, 'http://real.test/p?q');
    assert.equal(absolute.rawQuery, 'q');
    assert.equal(buildContext(fakeRequest({ url: 'http://other.test?q', raw: [] })).ctx.uri, 'http://other.test/?q');
    assert.equal(buildContext(fakeRequest({ url: 'https://other.test', raw: [], tls: true })).ctx.uri, 'https://other.test/');
  });

  test('the remote address has no port, and IPv4-mapped IPv6 becomes a dotted quad', () => {
    assert.equal(buildContext(fakeRequest({ url: '/', raw: [], remote: '::ffff:10.1.2.3' })).ctx.remoteAddr, '10.1.2.3');
    assert.equal(buildContext(fakeRequest({ url: '/', raw: [], remote: '::1' })).ctx.remoteAddr, '::1');
  });

  test('the headers middleware adds request headers to what the client sent', () => {
    const { ctx } = buildContext(fakeRequest({ url: '/', raw: ['x-tenant', 'a'] }), { 'x-tenant': 'b', 'x-env': 'test' });
    assert.deepEqual(ctx.headers, { 'X-Tenant': ['a', 'b'], 'X-Env': ['test'] });
  });

  test('cookies: query-unescaped (+ is a space), quotes removed, later duplicates win, undecodable or invalid names dropped', () => {
    assert.deepEqual(parseCookies(['a=1; b=x+y%21; a=2', 'c="q v"; d=%zz; bad name=1; e=']), { a: '2', b: 'x y!', c: 'q v', e: '' });
    // Go's byte rules: printable ASCII without `"` or `\` in values (others skipped), names trimmed.
    assert.deepEqual(parseCookies(['x=caf\u00c3\u00a9; y=a\\b; z=a"b; w =1; v=a,b c']), { w: '1', v: 'a,b c' });
    assert.equal(queryUnescape('%41+b'), 'A b');
    assert.equal(queryUnescape('%4'), undefined);
  });

  test('the JSON context has RoadRunner’s keys and null uploads when there are none', () => {
    const { ctx } = buildContext(fakeRequest({ url: '/?a', raw: ['Host', 'h', 'Cookie', 'k=v'] }));
    const json = JSON.parse(encodeJsonContext(ctx, null).toString());
    assert.deepEqual(Object.keys(json), [
      'remoteAddr',
      'protocol',
      'method',
      'uri',
      'headers',
      'cookies',
      'rawQuery',
      'parsed',
      'uploads',
      'attributes',
    ]);
    assert.equal(json.uploads, null);
    assert.deepEqual(json.cookies, { k: 'v' });
    assert.deepEqual(json.headers, { Cookie: ['k=v'] });
    const withUploads = JSON.parse(encodeJsonContext(ctx, { f: { name: 'a' } }).toString());
    assert.deepEqual(withUploads.uploads, { f: { name: 'a' } });
  });
});

describe('protobuf http.v1.Request', () => {
  const spec: RequestContext = {
    remoteAddr: '127.0.0.1',
    protocol: 'HTTP/1.1',
    method: 'GET',
    uri: 'http://localhost:8080/?a=1',
    headers: { Accept: ['*/*'] },
    cookies: {},
    rawQuery: 'a=1',
    parsed: false,
    uploads: '',
    attributes: {},
  };

  test('the whole request frame of the spec example (§1.7), header and CRC included', () => {
    const ctx = encodeProtoRequest(spec);
    const frame = encodePayloadFrame(CODEC_PROTO, ctx, Buffer.alloc(0));
    assert.equal(frame.subarray(0, 16).toString('hex'), '14804c00000039b6a149000' + '04c000000');
    const expected = Buffer.concat([
      Buffer.from('0a09', 'hex'),
      Buffer.from('127.0.0.1'),
      Buffer.from('1208', 'hex'),
      Buffer.from('HTTP/1.1'),
      Buffer.from('1a03', 'hex'),
      Buffer.from('GET'),
      Buffer.from('221a', 'hex'),
      Buffer.from('http://localhost:8080/?a=1'),
      Buffer.from('2a0f0a06', 'hex'),
      Buffer.from('Accept'),
      Buffer.from('12050a03', 'hex'),
      Buffer.from('*/*'),
      Buffer.from('3a03', 'hex'),
      Buffer.from('a=1'),
    ]);
    assert.deepEqual(frame.subarray(16), expected);
  });

  test('a full context decodes with @bufbuild/protobuf’s reader to the same values', () => {
    const ctx: RequestContext = {
      remoteAddr: '::1',
      protocol: 'HTTP/1.1',
      method: 'POST',
      uri: 'http://h/ü?x=' + 'y'.repeat(300),
      headers: { 'X-Many': ['1', '', 'três'], Empty: [] },
      cookies: { session: 'a b', '': 'anon' },
      rawQuery: 'x=' + 'y'.repeat(300),
      parsed: true,
      uploads: JSON.stringify({ f: { name: 'a.txt', size: 1 } }),
      attributes: { route: 'home' },
    };
    const r = new BinaryReader(encodeProtoRequest(ctx));
    const got: Record<string, any> = { header: {}, cookies: {}, attributes: {} };
    const mapNames: Record<number, string> = { 5: 'header', 6: 'cookies', 10: 'attributes' };
    while (r.pos < r.len) {
      const [field, wire] = r.tag();
      if (field === 8) got.parsed = r.bool();
      else if (field === 9) got.uploads = Buffer.from(r.bytes()).toString();
      else if (mapNames[field]) {
        const e = new BinaryReader(r.bytes());
        let key = '';
        const values: string[] = [];
        while (e.pos < e.len) {
          const [f] = e.tag();
          if (f === 1) key = e.string();
          else {
            const hv = new BinaryReader(e.bytes());
            while (hv.pos < hv.len) {
              hv.tag();
              values.push(Buffer.from(hv.bytes()).toString());
            }
          }
        }
        got[mapNames[field]!][key] = values;
      } else {
        assert.equal(wire, WireType.LengthDelimited);
        got[field] = r.string();
      }
    }
    assert.deepEqual(got, {
      1: '::1',
      2: 'HTTP/1.1',
      3: 'POST',
      4: ctx.uri,
      7: ctx.rawQuery,
      parsed: true,
      uploads: ctx.uploads,
      header: { 'X-Many': ['1', '', 'três'], Empty: [] },
      cookies: { session: ['a b'], '': ['anon'] },
      attributes: { route: ['home'] },
    });
    assert.deepEqual(decodeProtoRequest(encodeProtoRequest(ctx)), { ...ctx, headers: { 'X-Many': ['1', '', 'três'], Empty: [] } });
  });

  test('empty strings, false and empty maps are left out, as Go does', () => {
    const empty: RequestContext = {
      remoteAddr: '',
      protocol: '',
      method: '',
      uri: '',
      headers: {},
      cookies: {},
      rawQuery: '',
      parsed: false,
      uploads: '',
      attributes: {},
    };
    assert.equal(encodeProtoRequest(empty).length, 0);
  });
});

describe('the worker’s response head', () => {
  const refResponse = (status: number | bigint, headers: [string, string[]][], extra = false) => {
    const w = new BinaryWriter();
    if (extra) w.tag(15, WireType.Varint).int32(7);
    w.tag(1, WireType.Varint).int64(status);
    for (const [name, values] of headers) {
      w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(name).tag(2, WireType.LengthDelimited).fork();
      for (const v of values) w.tag(1, WireType.LengthDelimited).string(v);
      w.join().join();
    }
    if (extra) w.tag(16, WireType.LengthDelimited).string('unknown');
    return Buffer.from(w.finish());
  };

  test('proto (flags 0x80), written by a reference encoder, unknown fields skipped, repeated entries merged', () => {
    const head = decodeResponseHead(
      0x80,
      refResponse(
        201,
        [
          ['Set-Cookie', ['a=1', 'b=2']],
          ['X-A', ['1']],
          ['Set-Cookie', ['c=3']],
        ],
        true,
      ),
    );
    assert.deepEqual(head, { status: 201, headers: { 'Set-Cookie': ['a=1', 'b=2', 'c=3'], 'X-A': ['1'] } });
  });

  test('a negative int64 status decodes to something outside 100..599', () => {
    const { status } = decodeResponseHead(0x80, refResponse(-1n, []));
    assert.ok(status < 100 || status > 599);
  });

  test('JSON with flags 0x08 or 0 (older PHP libraries) decodes the same; garbage is a clear error', () => {
    const json = Buffer.from('{"status":404,"headers":{"X-List":["a","b"],"X-Str":"c","X-Bad":[1,"d"]}}');
    for (const flags of [0x08, 0]) {
      assert.deepEqual(decodeResponseHead(flags, json), { status: 404, headers: { 'X-List': ['a', 'b'], 'X-Str': ['c'], 'X-Bad': ['d'] } });
    }
    assert.deepEqual(decodeResponseHead(0x08, Buffer.from('{"status":200,"headers":[]}')), { status: 200, headers: {} });
    assert.throws(() => decodeResponseHead(0x08, Buffer.from('not json')), ResponseDecodeError);
    assert.throws(() => decodeResponseHead(0x08, Buffer.from('42')), ResponseDecodeError);
    assert.throws(() => decodeResponseHead(0x80, Buffer.from([0x08, 0xff])), ResponseDecodeError);
  });

  test('CR, LF or NUL anywhere in a header never gets written; every Set-Cookie stays a separate line', () => {
    const h = flattenHeaders(
      {
        'Set-Cookie': ['a=1', 'b=2'],
        'X-Split': ['ok\r\nX-Injected: 1'],
        'X-Lf': ['a\nb'],
        'X-Nul': ['a\0b'],
        'Bad\r\nName': ['v'],
        'Bad Name': ['v'],
        'Content-Length': ['999'],
        'Transfer-Encoding': ['chunked'],
      },
      { 'X-Preset': 'p' },
      false,
    );
    assert.deepEqual(h.flat, ['X-Preset', 'p', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
    assert.deepEqual(h.rejected.sort(), ['Bad\r\nName', 'Bad Name', 'X-Lf', 'X-Nul', 'X-Split'].sort());
    assert.equal(h.hasTransferEncoding, true);
    assert.equal(h.hasContentLength, false);
    assert.deepEqual(flattenHeaders({ 'Content-Length': ['12'] }, undefined, true).flat, ['Content-Length', '12']);
  });
});

describe('form and uploads trees', () => {
  test('key segments', () => {
    assert.deepEqual(keySegments('a[b][c]'), ['a', 'b', 'c']);
    assert.deepEqual(keySegments('a[]'), ['a', '']);
    assert.deepEqual(keySegments('a b[ c ]'), ['ab', 'c']);
  });

  test('a[b][]=1&a[b][]=2 is {"a":{"b":["1","2"]}}; a plain key keeps its last value', () => {
    assert.deepEqual(parseUrlencoded(Buffer.from('a[b][]=1&a[b][]=2&k=1&k=2&x[y][z]=%C3%A9+e')), {
      a: { b: ['1', '2'] },
      k: '2',
      x: { y: { z: 'é e' } },
    });
    assert.deepEqual(parseUrlencoded(Buffer.from('')), {});
  });

  test('a scalar/branch conflict is an error with RoadRunner’s text, either way round', () => {
    assert.throws(
      () => parseUrlencoded(Buffer.from('a=1&a[b]=2')),
      (e: Error) => e instanceof FormError && /invalid multiple values to key 'a' in tree/.test(e.message),
    );
    assert.throws(() => parseUrlencoded(Buffer.from('a[b]=2&a=1')), FormError);
  });

  test('keys with more than 127 segments are ignored', () => {
    const deep = 'a' + '[x]'.repeat(127);
    assert.deepEqual(
      buildTree(
        groupPairs([
          [deep, '1'],
          ['ok', '2'],
        ]),
      ),
      { ok: '2' },
    );
  });

  test('uploads: a plain name keeps its first file, name[] keeps all, nested names nest', () => {
    const tree: Record<string, unknown> = {};
    const f = (n: string) => ({ name: n });
    mount(tree, 'avatar', [f('1'), f('2')], (v) => v[0]);
    mount(tree, 'docs[]', [f('a'), f('b')], (v) => v[0]);
    mount(tree, 'a[b]', [f('c')], (v) => v[0]);
    assert.deepEqual(tree, { avatar: { name: '1' }, docs: [{ name: 'a' }, { name: 'b' }], a: { b: { name: 'c' } } });
  });
});

describe('middlewares and options', () => {
  test('proxy_ip_parser: only trusted peers, Forwarded first (and exclusive), then X-Forwarded-For left-most, X-Real-Ip, True-Client-Ip, Cf-Connecting-Ip', () => {
    const p = new ProxyIpParser(['10.0.0.0/8', '::1/128']);
    const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
    assert.equal(p.clientIp(req({ 'x-forwarded-for': '1.1.1.1' }), '192.168.1.1'), '192.168.1.1');
    assert.equal(p.clientIp(req({ forwarded: 'for="2.2.2.2";proto=https', 'x-forwarded-for': '1.1.1.1' }), '10.1.1.1'), '2.2.2.2');
    assert.equal(
      p.clientIp(req({ forwarded: 'proto=https', 'x-forwarded-for': '1.1.1.1', 'x-real-ip': '3.3.3.3' }), '10.1.1.1'),
      '10.1.1.1',
    );
    assert.equal(
      p.clientIp(req({ forwarded: 'proto=https', 'x-forwarded-for': '1.1.1.1', 'true-client-ip': '4.4.4.4' }), '10.1.1.1'),
      '4.4.4.4',
    );
    assert.equal(p.clientIp(req({ forwarded: 'For="[2001:db8::1]:4711", for=7.7.7.7' }), '10.1.1.1'), '2001:db8::1');
    assert.equal(p.clientIp(req({ forwarded: 'for=192.0.2.60:8080;proto=http' }), '10.1.1.1'), '192.0.2.60');
    assert.equal(p.clientIp(req({ 'x-forwarded-for': '1.1.1.1, 5.5.5.5', 'x-real-ip': '3.3.3.3' }), '::1'), '1.1.1.1');
    assert.equal(p.clientIp(req({ 'x-real-ip': '3.3.3.3', 'true-client-ip': '4.4.4.4' }), '10.0.0.1'), '3.3.3.3');
    assert.equal(p.clientIp(req({ 'true-client-ip': '4.4.4.4', 'cf-connecting-ip': '6.6.6.6' }), '10.0.0.1'), '4.4.4.4');
    assert.equal(p.clientIp(req({ 'cf-connecting-ip': '6.6.6.6' }), '10.0.0.1'), '6.6.6.6');
    assert.throws(() => new ProxyIpParser(['not-a-cidr']), /trusted_subnets/);
  });

  test('gzip only when accepted and worth it', () => {
    assert.equal(wantsGzip('gzip, deflate, br'), true);
    assert.equal(wantsGzip('br'), false);
    assert.equal(wantsGzip('gzip;q=0'), false);
    assert.equal(wantsGzip(undefined), false);
    const big = Buffer.alloc(4096, 0x61);
    assert.equal(worthCompressing(big, 'text/html; charset=utf-8', undefined), true);
    assert.equal(worthCompressing(big, 'image/png', undefined), false);
    assert.equal(worthCompressing(Buffer.from('tiny'), 'text/html', undefined), false);
    assert.equal(worthCompressing(big, 'text/html', 'br'), false);
  });

  test('defaults are RoadRunner’s', () => {
    assert.equal(HTTP_DEFAULTS.maxRequestSize, 1000 * 1024 * 1024);
    assert.equal(HTTP_DEFAULTS.internalErrorCode, 500);
    assert.equal(HTTP_DEFAULTS.codec, 'json');
    const o = httpOptionsWithDefaults({ address: '127.0.0.1:0' });
    assert.equal(o.address, '127.0.0.1:0');
    assert.deepEqual(o.uploads.forbid, []);
    assert.notEqual(o.uploads, HTTP_DEFAULTS.uploads);
  });
});

describe('large forms', () => {
  test('the sliced parser and serializer give what parseUrlencoded and JSON.stringify give, for a form of many slices', async () => {
    const { parseUrlencodedSliced, formToJson } = await import('../../src/http/forms.js');
    const parts: string[] = [];
    for (let i = 0; i < 30_000; i++) parts.push(`a[b${i % 500}][]=${i}`, `k${i}=%C3%A9+${i}`, `n[${i % 7}][x${i}]=v`);
    parts.push('big=' + 'y'.repeat(100_000), 'k5=last');
    const body = Buffer.from(parts.join('&'));
    const tree = await parseUrlencodedSliced(body);
    assert.deepEqual(tree, parseUrlencoded(body));
    assert.equal((await formToJson(tree, body.length)).toString(), JSON.stringify(parseUrlencoded(body)));
    assert.equal((await formToJson({}, 1e9)).toString(), '{}');
  });

  test('`__proto__` is an ordinary form key and never reaches Object.prototype', async () => {
    const { parseUrlencodedSliced } = await import('../../src/http/forms.js');
    const body = Buffer.from('__proto__[polluted]=1&a[__proto__][x]=2&constructor[prototype][y]=3');
    for (const tree of [
      parseUrlencoded(body),
      await parseUrlencodedSliced(Buffer.concat([body, Buffer.from('&p=' + 'z'.repeat(40_000))])),
    ]) {
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(({} as Record<string, unknown>).x, undefined);
      assert.equal(({} as Record<string, unknown>).y, undefined);
      const json = JSON.parse(JSON.stringify(tree));
      assert.deepEqual(Object.keys(json).slice(0, 3), ['__proto__', 'a', 'constructor']);
      assert.equal(JSON.stringify(tree).startsWith('{"__proto__":{"polluted":"1"},"a":{"__proto__":{"x":"2"}}'), true);
    }
  });
});

describe('connection cap default', () => {
  test('three quarters of the open-files limit, keeping at least 64 back; no cap when unlimited or unknown', async () => {
    const { defaultMaxConnections } = await import('../../src/http/options.js');
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'burner-limits-'));
    try {
      const file = path.join(dir, 'limits');
      const limits = (soft: string) =>
        `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                 1048576              files\n`;
      await writeFile(file, limits('1024'));
      assert.equal(defaultMaxConnections(file), 768);
      await writeFile(file, limits('128'));
      assert.equal(defaultMaxConnections(file), 64);
      await writeFile(file, limits('unlimited'));
      assert.equal(defaultMaxConnections(file), 0);
      assert.equal(defaultMaxConnections(path.join(dir, 'missing')), 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('middleware chain', () => {
  test('built from http.middleware in config order: the last entry’s request hook runs first, the first entry’s transform first', async () => {
    const { MiddlewareChain, buildMiddleware } = await import('../../src/http/middleware/index.js');
    const { MemoryLog } = await import('../support/memory-log.js');
    const calls: string[] = [];
    const mw = (name: string) => ({
      name,
      request: () => {
        calls.push(`request ${name}`);
        return 'next' as const;
      },
      transform: (a: import('../../src/http/middleware/index.js').Answer) => {
        calls.push(`transform ${name}`);
        return a;
      },
    });
    const chain = new MiddlewareChain([mw('a'), mw('b'), mw('c')]);
    for (const m of chain.request) void m.request!(undefined as never, undefined as never);
    for (const m of chain.transform) void m.transform!({ status: 200, headers: {}, body: Buffer.alloc(0) }, undefined as never);
    assert.deepEqual(calls, ['request c', 'request b', 'request a', 'transform a', 'transform b', 'transform c']);

    const log = new MemoryLog();
    const built = buildMiddleware(
      httpOptionsWithDefaults({
        middleware: ['sendfile', 'gzip', 'nonsense', 'headers', 'proxy_ip_parser', 'http_metrics', 'static'],
        headers: { request: {}, response: { 'X-A': '1' } },
        trustedSubnets: ['10.0.0.0/8'],
      }),
      log,
    );
    assert.deepEqual(
      built.map((m) => m.name),
      ['sendfile', 'gzip', 'headers', 'proxy_ip_parser'],
    );
    assert.ok(log.lines.some((l) => l.msg === 'unknown http middleware is ignored'));
    assert.ok(log.lines.some((l) => /static middleware is listed but http.static is not configured/.test(l.msg)));
  });
});
