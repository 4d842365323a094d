import { describe, expect, test } from 'vitest';
import { keepAlive } from '../../../src/transport/heartbeat.js';
import { FakeClock } from '../../support/fake-clock.js';

function link() {
  const state = { beats: 0, destroyed: false, paused: false, activity: () => {}, close: () => {} };
  return {
    state,
    beating: {
      onActivity: (handler: () => void) => void (state.activity = handler),
      onClose: (handler: () => void) => void (state.close = handler),
      beat: () => void state.beats++,
      destroy: () => void (state.destroyed = true),
      paused: () => state.paused,
    },
  };
}

describe('keepAlive', () => {
  test('a beat every sixth of the timeout; silence past the timeout drops the link', () => {
    const clock = new FakeClock();
    const { state, beating } = link();
    keepAlive(beating, 6000, clock);
    clock.advance(5000);
    expect(state.beats).toBe(5);
    expect(state.destroyed).toBe(false);
    clock.advance(2000);
    expect(state.destroyed).toBe(true);
  });

  test('anything heard resets the silence', () => {
    const clock = new FakeClock();
    const { state, beating } = link();
    keepAlive(beating, 6000, clock);
    for (let second = 0; second < 30; second++) {
      clock.advance(1000);
      state.activity();
    }
    expect(state.destroyed).toBe(false);
  });

  test('while this end has stopped reading (its reader is full), silence is its own and does not count', () => {
    const clock = new FakeClock();
    const { state, beating } = link();
    keepAlive(beating, 6000, clock);
    state.paused = true;
    clock.advance(60_000);
    expect(state.destroyed).toBe(false);
    state.paused = false;
    clock.advance(5000);
    expect(state.destroyed).toBe(false);
    clock.advance(3000);
    expect(state.destroyed).toBe(true);
  });

  test('a closed link stops beating', () => {
    const clock = new FakeClock();
    const { state, beating } = link();
    keepAlive(beating, 6000, clock);
    state.close();
    clock.advance(60_000);
    expect(state.beats).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
