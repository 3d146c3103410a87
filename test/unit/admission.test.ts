import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAdmissionGate } from '../../api/admission';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('admission gate', () => {
  it('admits up to its bound at once; the next waits and is handed the first slot freed', async () => {
    const gate = createAdmissionGate(2, 1_000);
    const first = await gate.enter();
    const second = await gate.enter();
    expect(first).toBeTypeOf('function');
    expect(second).toBeTypeOf('function');
    const third = gate.enter();
    const fourth = gate.enter();
    expect(gate.waiting).toBe(2);
    first!();
    first!(); // a second release frees nothing more
    expect(await third).toBeTypeOf('function');
    expect(gate.inFlight).toBe(2);
    expect(gate.waiting).toBe(1);
    second!();
    expect(await fourth).toBeTypeOf('function');
    expect(gate.inFlight).toBe(2);
  });

  it('refuses a waiter no slot reached in time, and at once when it may not wait', async () => {
    const gate = createAdmissionGate(1, 1_000);
    const held = await gate.enter();
    const late = gate.enter();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await late).toBeNull();
    expect(gate.waiting).toBe(0);
    held!();
    expect(gate.inFlight).toBe(0);
    const impatient = createAdmissionGate(1, 0);
    const only = await impatient.enter();
    expect(await impatient.enter()).toBeNull();
    only!();
    expect(await impatient.enter()).toBeTypeOf('function');
  });
});
