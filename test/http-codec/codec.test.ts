/** Unit tests of the hot-path HTTP codecs: protobuf http.v1 messages, the form tree, header names, cookies. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { decodeProtoRequest, decodeProtoResponse, encodeProtoRequest, encodeProtoResponse, type RequestContext } from '../../src/http/proto.js';
import { canonicalHeaderName, parseCookies } from '../../src/http/context.js';
import { FormError, buildTree, groupPairs, keySegments, parseUrlencoded } from '../../src/http/forms.js';
import { decodeResponseHead, flattenHeaders } from '../../src/http/response.js';

const base: RequestContext = {
  remoteAddr: '127.0.0.1', protocol: 'HTTP/1.1', method: 'GET', uri: 'http://localhost:8080/?a=1',
  headers: { Accept: ['*/*'] }, cookies: {}, rawQuery: 'a=1', parsed: false, uploads: '', attributes: {},
};

test('http.v1.Request matches the spec example byte for byte (§1.7)', () => {
  const hex = [
    '0a09', Buffer.from('127.0.0.1').toString('hex'),
    '1208', Buffer.from('HTTP/1.1').toString('hex'),
    '1a03', Buffer.from('GET').toString('hex'),
    '221a', Buffer.from('http://localhost:8080/?a=1').toString('hex'),
    '2a0f', '0a06', Buffer.from('Accept').toString('hex'), '1205', '0a03', Buffer.from('*/*').toString('hex'),
    '3a03', Buffer.from('a=1').toString('hex'),
  ].join('');
  const encoded = encodeProtoRequest(base);
  assert.equal(encoded.length, 0x4c);
  assert.equal(encoded.toString('hex'), hex);
});

test('http.v1.Response matches the spec example and decodes back', () => {
  const bytes = encodeProtoResponse(200, { 'Content-Type': ['text/plain'] });
  assert.equal(bytes.toString('hex'), '08c801121c0a0c' + Buffer.from('Content-Type').toString('hex') + '120c0a0a' + Buffer.from('text/plain').toString('hex'));
  assert.deepEqual(decodeProtoResponse(bytes), { status: 200, headers: { 'Content-Type': ['text/plain'] } });
});

/** Reads a Request with @bufbuild/protobuf's wire reader: an independent reference decoder. */
function referenceDecode(buf: Uint8Array): Record<string, unknown> {
  const r = new BinaryReader(buf);
  const out: Record<string, any> = { header: {}, cookies: {}, attributes: {} };
  const names: Record<number, string> = { 1: 'remote_addr', 2: 'protocol', 3: 'method', 4: 'uri', 7: 'raw_query' };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (names[field]) out[names[field]!] = r.string();
    else if (field === 8) out.parsed = r.bool();
    else if (field === 9) out.uploads = Buffer.from(r.bytes()).toString();
    else if (field === 5 || field === 6 || field === 10) {
      const entry = new BinaryReader(r.bytes());
      let key = '';
      const values: string[] = [];
      while (entry.pos < entry.len) {
        const [f] = entry.tag();
        if (f === 1) key = entry.string();
        else {
          const hv = new BinaryReader(entry.bytes());
          while (hv.pos < hv.len) {
            hv.tag();
            values.push(Buffer.from(hv.bytes()).toString());
          }
        }
      }
      const map = field === 5 ? out.header : field === 6 ? out.cookies : out.attributes;
      map[key] = [...(map[key] ?? []), ...values];
    } else r.skip(wire);
  }
  return out;
}

test('the encoder agrees with a reference protobuf reader on random contexts (unicode, empty values, long strings)', () => {
  for (let i = 0; i < 200; i++) {
    const word = () => randomBytes(1 + (i % 40)).toString('base64') + (i % 3 === 0 ? 'é☃' : '');
    const ctx: RequestContext = {
      remoteAddr: i % 5 === 0 ? '' : '::1',
      protocol: 'HTTP/1.1',
      method: i % 2 ? 'POST' : 'GET',
      uri: `http://h/${word()}`.repeat(1 + (i % 50)),
      headers: { [word()]: [word(), ''], 'X-A': [word()] },
      cookies: i % 4 ? { [word()]: word() } : {},
      rawQuery: i % 3 ? word() : '',
      parsed: i % 2 === 0,
      uploads: i % 7 === 0 ? JSON.stringify({ f: { name: word() } }) : '',
      attributes: i % 9 === 0 ? { attr: word() } : {},
    };
    const bytes = encodeProtoRequest(ctx);
    const ref = referenceDecode(bytes);
    assert.equal(ref.uri, ctx.uri);
    assert.equal(ref.method, ctx.method);
    assert.equal(ref.remote_addr ?? '', ctx.remoteAddr);
    assert.equal(ref.raw_query ?? '', ctx.rawQuery);
    assert.equal(ref.parsed ?? false, ctx.parsed);
    assert.equal(ref.uploads ?? '', ctx.uploads);
    assert.deepEqual(ref.header, ctx.headers);
    assert.deepEqual(ref.cookies, Object.fromEntries(Object.entries(ctx.cookies).map(([k, v]) => [k, [v]])));
    assert.deepEqual(decodeProtoRequest(bytes), ctx);
  }
});

test('a response written by a reference protobuf writer decodes, unknown fields skipped', () => {
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).int64(404);
  w.tag(99, WireType.LengthDelimited).string('ignored');
  for (const v of ['a=1', 'b=2']) {
    w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string('Set-Cookie');
    w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).bytes(Buffer.from(v)).join().join();
  }
  const head = decodeResponseHead(0x80, Buffer.from(w.finish()));
  assert.deepEqual(head, { status: 404, headers: { 'Set-Cookie': ['a=1', 'b=2'] } });
  assert.throws(() => decodeResponseHead(0x80, Buffer.from([0x12, 0x05, 0x0a])), /invalid protobuf response header/);
});

test('JSON response heads: RoadRunner shape, strings promoted to lists, junk rejected clearly', () => {
  assert.deepEqual(decodeResponseHead(0x08, Buffer.from('{"status":201,"headers":{"A":["1","2"],"B":"x","C":[1]}}')), {
    status: 201,
    headers: { A: ['1', '2'], B: ['x'], C: [] },
  });
  assert.deepEqual(decodeResponseHead(0, Buffer.from('{"status":200,"headers":{}}')).status, 200);
  assert.throws(() => decodeResponseHead(0x08, Buffer.from('{oops')), /invalid JSON response header from worker/);
});

test('CR, LF and NUL in header names or values are dropped; Content-Length only kept for HEAD', () => {
  const h = flattenHeaders({ Good: ['ok'], 'X-Split': ['a\r\nSet-Cookie: evil=1'], 'Bad Name': ['v'], 'X-Nul': ['a\0b'], 'Content-Length': ['99'] }, { 'X-Preset': '1' }, false);
  assert.deepEqual(h.flat, ['X-Preset', '1', 'Good', 'ok']);
  assert.deepEqual(h.rejected.sort(), ['Bad Name', 'X-Nul', 'X-Split']);
  assert.deepEqual(flattenHeaders({ 'Content-Length': ['99'] }, undefined, true).flat, ['Content-Length', '99']);
});

test('header names are canonicalized the Go way', () => {
  assert.equal(canonicalHeaderName('content-type'), 'Content-Type');
  assert.equal(canonicalHeaderName('x-FOO-bar'), 'X-Foo-Bar');
  assert.equal(canonicalHeaderName('dnt'), 'Dnt');
  assert.equal(canonicalHeaderName('x_under'), 'X_under');
  assert.equal(canonicalHeaderName('bad header'), 'bad header', 'invalid names are left alone');
});

test('cookies: unescaped, quotes stripped, later duplicates win, undecodable dropped', () => {
  assert.deepEqual(parseCookies(['a=1; b=x%20y; c="quoted"', 'a=2; bad=%zz; d=plus+sign; =novalue; e']), {
    a: '2', b: 'x y', c: 'quoted', d: 'plus sign', e: '',
  });
});

test('form tree: segments, lists, last value wins, conflicts are errors', () => {
  assert.deepEqual(keySegments('a[b][]'), ['a', 'b', '']);
  assert.deepEqual(keySegments('a [ b ]'), ['a', 'b']);
  assert.deepEqual(keySegments('x'), ['x']);
  assert.deepEqual(parseUrlencoded(Buffer.from('a[b][]=1&a[b][]=2&k=1&k=2&n[x][y]=z&e=&s=a+b%21')), {
    a: { b: ['1', '2'] }, k: '2', n: { x: { y: 'z' } }, e: '', s: 'a b!',
  });
  assert.throws(() => buildTree(groupPairs([['a', '1'], ['a[b]', '2']])), FormError);
  assert.throws(() => buildTree(groupPairs([['a[b]', '2'], ['a', '1']])), /invalid multiple values to key 'a' in tree/);
  const deep = `${'a'}${'[x]'.repeat(130)}`;
  assert.deepEqual(buildTree(groupPairs([[deep, '1']])), {}, 'keys with more than 127 segments are ignored');
});
