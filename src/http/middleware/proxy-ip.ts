/**
 * `proxy_ip_parser` (roadrunner-protocol.md §3.9): when the TCP peer is in `trusted_subnets`, the client IP comes
 * from the first of: Forwarded `for=`; X-Forwarded-For (left-most) or X-Real-Ip, both only when there is no
 * Forwarded header; True-Client-Ip; Cf-Connecting-Ip. A port is removed, as RoadRunner does for remoteAddr.
 */
import net from 'node:net';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Middleware } from './types.js';

// RoadRunner's pattern: everything after `for=` up to one of ( ; | , space ).
const FORWARDED_FOR = /for=([^(;|, )]+)/i;

function first(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/** `1.2.3.4:80` → `1.2.3.4`, `[::1]:80` → `::1`; bare addresses stay as they are. */
export function stripPort(addr: string): string {
  if (net.isIP(addr)) return addr;
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    return end > 0 ? addr.slice(1, end) : addr;
  }
  const colon = addr.indexOf(':');
  return colon > 0 && colon === addr.lastIndexOf(':') ? addr.slice(0, colon) : addr;
}

export class ProxyIpParser {
  private readonly trusted = new net.BlockList();

  constructor(subnets: string[]) {
    for (const cidr of subnets) {
      const [addr, bits] = cidr.split('/');
      const type = net.isIPv6(addr!) ? 'ipv6' : 'ipv4';
      if (!net.isIP(addr!)) throw new Error(`http.trusted_subnets: ${JSON.stringify(cidr)} is not a CIDR range`);
      this.trusted.addSubnet(addr!, Number(bits ?? (type === 'ipv6' ? 128 : 32)), type);
    }
  }

  clientIp(req: IncomingMessage, peer: string): string {
    if (!net.isIP(peer) || !this.trusted.check(peer, net.isIPv6(peer) ? 'ipv6' : 'ipv4')) return peer;
    const resolved = resolve(req.headers);
    return resolved === '' ? peer : stripPort(resolved);
  }
}

function resolve(h: IncomingHttpHeaders): string {
  const forwarded = first(h.forwarded);
  if (forwarded !== '') {
    const m = FORWARDED_FOR.exec(forwarded);
    if (m) return m[1]!.replace(/^"+|"+$/g, '');
  } else {
    const xff = first(h['x-forwarded-for']);
    if (xff !== '') {
      const comma = xff.indexOf(',');
      return comma < 0 ? xff : xff.slice(0, comma);
    }
    const realIp = first(h['x-real-ip']);
    if (realIp !== '') return realIp;
  }
  const trueClient = first(h['true-client-ip']);
  if (trueClient !== '') return trueClient;
  return first(h['cf-connecting-ip']);
}

export function proxyIpMiddleware(trustedSubnets: string[]): Middleware {
  const parser = new ProxyIpParser(trustedSubnets);
  return {
    name: 'proxy_ip_parser',
    context: (ctx, req) => {
      ctx.remoteAddr = parser.clientIp(req, ctx.remoteAddr);
    },
  };
}
