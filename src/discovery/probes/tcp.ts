import { Deadline } from '../../time/deadline.js';
import { connectAny } from '../connect.js';
import type { Probe, ProbeTarget } from './types.js';

/** `tcp:<port>`: the peer's application accepts connections. */
export function tcpPortProbe(port: number, timeoutMs: number): Probe {
  return async (target: ProbeTarget, signal) => {
    const { socket, address, rttMs } = await connectAny(target.addresses, port, Deadline.in(timeoutMs), signal);
    socket.destroy();
    return { address, rttMs };
  };
}
