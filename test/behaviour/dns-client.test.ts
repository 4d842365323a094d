import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DnsClient } from '../../src/discovery/dns-client.js';
import { Deadline } from '../../src/time/deadline.js';
import { AttemptError } from '../../src/errors.js';
import { waitUntil } from '../../harness/cluster/wait.js';
import { FakeClock } from '../support/fake-clock.js';

/** Lets the sockets and promises of this process run, without moving the fake clock. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The stub resolver's deadline on a real socket, with time faked: a nameserver that never answers is
 * asked twice within the deadline and given up on exactly when the deadline passes on the clock.
 */
describe('DnsClient against a nameserver that never answers', () => {
  let silent: Socket;
  let received = 0;
  let clock: FakeClock;
  let client: DnsClient;

  beforeEach(async () => {
    received = 0;
    silent = createSocket('udp4');
    silent.on('message', () => (received += 1));
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    clock = new FakeClock();
    client = new DnsClient([`127.0.0.1:${silent.address().port}`], clock);
  });
  afterEach(() => {
    client.close();
    silent.close();
  });

  test.each([1000, 2000])('with a %i ms deadline: asked again at a third of it, a dns-timeout at the deadline and not before', async (deadline) => {
    let outcome: unknown;
    const query = client.query('x.svc.ns.svc.cluster.local', { type: 'A', dnssecOk: false, checkingDisabled: false }, Deadline.in(deadline, clock)).catch((error: unknown) => (outcome = error));
    await waitUntil('the first question to arrive', () => received === 1, { timeoutMs: 5000 });
    clock.advance(Math.floor(deadline / 3));
    await waitUntil('the second question to arrive', () => received === 2, { timeoutMs: 5000 });
    clock.advance(deadline - Math.floor(deadline / 3) - 1);
    await turn();
    expect(outcome, 'given up before the deadline').toBeUndefined();
    clock.advance(1);
    await query;
    expect(outcome).toBeInstanceOf(AttemptError);
    expect((outcome as AttemptError).reason).toBe('dns-timeout');
    expect(received).toBe(2);
  });
});
