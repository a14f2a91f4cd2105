import { describe, expect, it } from 'vitest';
import { TransactionTimeoutError } from '../../src/errors';
import { CoreHealth } from '../../src/policy/routing/core-health';
import { CoreAvailability } from '../../src/policy/routing/routing-setup';
import { createResponse, type SipRequest } from '../../src/sip/message';
import type { ClientHandlers } from '../../src/transaction/types';
import type { Target } from '../../src/transport/types';
import { FakeClock } from '../helpers/fake-clock';

/** IN-04: OPTIONS probes take a silent or 503 core server out of the rotation and put it back when it answers. */
const A = { host: '10.0.0.21', port: 5060 };
const B = { host: '10.0.0.22', port: 5060 };

function setup() {
  const clock = new FakeClock();
  const probes: Array<{ request: SipRequest; target: Target; handlers: ClientHandlers }> = [];
  const changes: string[] = [];
  const health = new CoreHealth([A, B], { intervalMs: 1000, timeoutMs: 500, downAfter: 2, upAfter: 1 }, {
    sender: { sendRequest: (request, target, handlers) => probes.push({ request, target, handlers }) },
    zone: 'core',
    local: { address: '10.0.0.10', port: 5060 },
    clock,
    onChange: (s, state) => changes.push(`${s.host}:${state}`),
  });
  const answer = (host: string, status: number): void => {
    const p = probes.filter((x) => x.target.endpoint.address === host).at(-1)!;
    p.handlers.onResponse(createResponse(p.request, status));
  };
  return { clock, probes, changes, health, answer };
}

describe('core server health checks', () => {
  it('probes every server with OPTIONS from the core address and keeps answering ones up', () => {
    const t = setup();
    t.health.start();
    expect(t.probes.map((p) => `${p.request.method} ${p.request.uri} ${p.target.zone}`)).toEqual(['OPTIONS sip:10.0.0.21:5060 core', 'OPTIONS sip:10.0.0.22:5060 core']);
    expect(t.probes[0]!.request.topVia().host).toBe('10.0.0.10');
    t.answer(A.host, 200);
    t.answer(B.host, 405);
    t.clock.advance(1000);
    expect(t.health.isUp(A) && t.health.isUp(B)).toBe(true);
    t.health.stop();
  });

  it('takes a server out after two unanswered probes, at once on 503, and back on the next answer', () => {
    const t = setup();
    t.health.start();
    t.answer(A.host, 200);
    t.answer(B.host, 503);
    expect(t.health.isUp(B)).toBe(false);
    t.clock.advance(500);
    t.clock.advance(500);
    t.answer(B.host, 200);
    expect(t.health.isUp(B)).toBe(true);
    // A goes silent: the probe times out twice (the transaction's own failure changes nothing more).
    t.clock.advance(1000);
    expect(t.health.isUp(A)).toBe(true);
    t.clock.advance(1000);
    expect(t.health.isUp(A)).toBe(false);
    t.probes.filter((p) => p.target.endpoint.address === A.host).at(-1)!.handlers.onFailure(new TransactionTimeoutError('F'));
    expect(t.changes).toEqual(['10.0.0.22:down', '10.0.0.22:up', '10.0.0.21:down']);
    expect(t.health.snapshot().find((s) => s.host === A.host)).toMatchObject({ state: 'down', lastResult: 'timeout' });
    t.clock.advance(1000);
    t.answer(A.host, 200);
    expect(t.health.isUp(A)).toBe(true);
    t.health.stop();
  });

  it('does not send a new probe to a server still owing an answer', () => {
    const t = setup();
    t.health.round();
    t.health.stop();
    t.health.round();
    expect(t.probes).toHaveLength(2);
  });

  it('lets a probe answered after a failed call end that call\'s hold-down early', () => {
    const t = setup();
    const availability = new CoreAvailability(30_000, t.clock, t.health);
    t.health.start();
    t.answer(A.host, 200);
    availability.markDown(A);
    expect(availability.isUp(A)).toBe(false);
    t.clock.advance(1000);
    expect(availability.isUp(A)).toBe(false);
    t.answer(A.host, 200);
    expect(availability.isUp(A)).toBe(true);
    expect(availability.heldDown(A)).toBe(false);
    t.health.stop();
  });
});
