import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROLLCALL } from '../../harness/built.js';
import { loopbackPodEnv } from '../../harness/loopback-pod.js';
import { LocalDnsServer } from '../../src/cli/dns-server.js';
import { peerFqdn } from '../../src/identity/names.js';
import { assertBuilt } from '../integration/support.js';
import { runProcess } from '../support/process.js';
import { scratchDir } from '../support/scratch.js';
import { freePort } from './loopback.js';

/**
 * Loaded with --require into the CLI's process: writes to $TRACE, in order, the first UDP datagram (where
 * it goes, and whether perf_hooks is loaded by then), every listen, and the first use of process.stderr.
 */
const TRACER = `
const { appendFileSync } = require('node:fs');
const trace = (line) => appendFileSync(process.env.TRACE, line + '\\n');
const dgram = require('node:dgram');
const send = dgram.Socket.prototype.send;
let sent = false;
dgram.Socket.prototype.send = function (message, port, ...rest) {
  if (!sent) {
    sent = true;
    trace('datagram to ' + port + ', perf_hooks ' + (process.moduleLoadList.includes('NativeModule perf_hooks') ? 'loaded' : 'not loaded'));
  }
  return send.call(this, message, port, ...rest);
};
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  trace('listen');
  return listen.apply(this, args);
};
const stderr = Object.getOwnPropertyDescriptor(process, 'stderr');
let used = false;
Object.defineProperty(process, 'stderr', {
  configurable: true,
  enumerable: stderr.enumerable,
  get() {
    if (!used) {
      used = true;
      trace('stderr');
    }
    return stderr.get.call(process);
  },
});
`;

/**
 * A late pod's release lag starts with its first DNS question (docs/benchmarks.md): whatever the CLI does
 * before that question is paid in full by the last pod to come. So the question leaves first, and what it
 * does not need (the pod's listener and sockets, Node's stderr stream, perf_hooks) comes after.
 */
describe("the CLI's start, traced in its own process", () => {
  const dns = new LocalDnsServer('cluster.local');
  const work = scratchDir('rollcall-start-');
  let server: string;
  beforeAll(async () => {
    assertBuilt();
    server = await dns.start();
    dns.set(peerFqdn('solo', 0, 'svc', 'ns', 'cluster.local'), ['127.0.0.1']);
    writeFileSync(join(work, 'tracer.cjs'), TRACER);
  });
  afterAll(() => dns.close());

  test('the first DNS question leaves before the listener, the stderr stream and perf_hooks', async () => {
    const trace = join(work, 'trace');
    const env = { ...loopbackPodEnv('solo', { dnsServer: server, port: await freePort() }), TRACE: trace, TMPDIR: work };
    const { code, stderr } = await runProcess([process.execPath, '--require', join(work, 'tracer.cjs'), ROLLCALL, '--', 'true'], env);
    expect(code, stderr).toBe(0);
    const events = readFileSync(trace, 'utf8').trim().split('\n');
    expect(events[0]).toBe(`datagram to ${server.split(':')[1]}, perf_hooks not loaded`);
    // What came after it happened at all: the trace saw it.
    expect(events.slice(1)).toContain('listen');
    expect(events.slice(1)).toContain('stderr');
  });
});
