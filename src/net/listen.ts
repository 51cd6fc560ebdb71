/**
 * Listen addresses, parsed once for every plugin (http, rpc, status, metrics, the TCP/Unix relay), and one
 * listen() that rejects on the first 'error' instead of leaving an 'error' listener behind.
 *
 * Accepted forms: `host:port`, `[v6]:port`, `:port` (all interfaces, as Go), `tcp://host:port`, `unix:///path`.
 */
import type net from 'node:net';

export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export class AddressError extends Error {
  override name = 'AddressError';
}

/** Parses `address`; `key` names the config key in the error (e.g. `http.address`). */
export function parseAddress(address: string, key: string, options: { unix?: boolean } = {}): ListenAddress {
  const parsed = tryParseAddress(address, options);
  if (typeof parsed === 'string') throw new AddressError(`${key}: ${parsed}`);
  return parsed;
}

/** The parsed address, or why it is not one (for validators that place the key themselves). */
export function tryParseAddress(address: string, options: { unix?: boolean } = {}): ListenAddress | string {
  const fail = (why: string): string => {
    const forms = options.unix ? 'host:port, tcp://host:port or unix:///path' : 'host:port';
    return `${why} in ${JSON.stringify(address)} (expected ${forms})`;
  };
  if (address.startsWith('unix://')) {
    if (!options.unix) return fail('a unix socket is not allowed here');
    const path = address.slice('unix://'.length);
    if (path === '') return fail('empty socket path');
    return { kind: 'unix', path };
  }
  const rest = address.startsWith('tcp://') ? address.slice('tcp://'.length) : address;
  const i = rest.lastIndexOf(':');
  if (i < 0) return fail('no port');
  const portText = rest.slice(i + 1);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) return fail(`port ${JSON.stringify(portText)} is not a number from 0 to 65535`);
  let host = rest.slice(0, i);
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) return fail('unclosed [');
    host = host.slice(1, -1);
  } else if (host.includes(':')) {
    return fail('an IPv6 host needs brackets');
  }
  return { kind: 'tcp', host: host === '' ? '0.0.0.0' : host, port };
}

/** `server.listen()` on `address`; resolves with the bound port (0 for unix sockets), rejects on the first error. */
export function listen(server: net.Server, address: ListenAddress): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    const done = () => {
      server.off('error', onError);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound !== null ? bound.port : 0);
    };
    if (address.kind === 'unix') server.listen(address.path, done);
    else server.listen(address.port, address.host, done);
  });
}

/** `host:port` for logs and URLs (brackets around IPv6 hosts). */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
