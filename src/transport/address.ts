import { isIPv4 } from 'node:net';

/** An address as a person reads it and a datagram needs it: `::ffff:10.0.0.5` is 10.0.0.5, over IPv4. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(.+)$/i.exec(address)?.[1];
  return mapped !== undefined && isIPv4(mapped) ? mapped : address;
}
