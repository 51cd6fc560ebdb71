/**
 * `proxy_ip_parser` (roadrunner-protocol.md §3.9): when the TCP peer is in `trusted_subnets`, the client IP comes
 * from Forwarded, X-Forwarded-For (left-most), X-Real-Ip, True-Client-Ip, Cf-Connecting-Ip, in that order.
 */
import net from 'node:net';
import type { IncomingMessage } from 'node:http';

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
    const h = req.headers;
    const forwarded = h.forwarded;
    if (typeof forwarded === 'string') {
      const m = /for=("?)\[?([^\]";,\s]+)\]?\1/i.exec(forwarded);
      return m ? m[2]! : peer;
    }
    const xff = h['x-forwarded-for'];
    if (typeof xff === 'string' && xff !== '') return xff.split(',')[0]!;
    for (const name of ['x-real-ip', 'true-client-ip', 'cf-connecting-ip']) {
      const v = h[name];
      if (typeof v === 'string' && v !== '') return v;
    }
    return peer;
  }
}
