import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { applyAction } from '../../../backend/src/domain/plan.ts';
import type { Planned } from '../../../backend/src/domain/plan.ts';
import { validatePolicy } from '../../../backend/src/domain/policy.ts';
import type { Rollout } from '../../../backend/src/domain/rollout.ts';
import type { Action } from '../../../backend/src/domain/vocabulary.ts';
import type { Store } from '../../../backend/src/store/types.ts';
import { StoreError } from '../../../backend/src/store/types.ts';
import {
  T0,
  aGateResult,
  aHold,
  aPolicy,
  aRollout,
  anAuditEntry,
  anEvent,
  anOutboxItem,
  uniqueName,
} from '../../support/builders.ts';

/** One empty database for one test. */
export interface TestDatabase {
  /** A new, not yet migrated store on this database: another connection (MySQL) or file handle (SQLite). */
  open(): Store;
  /** Removes the database and everything in it. */
  drop(): Promise<void>;
}

interface Ctx {
  /** The first store, migrated unless the test asked for an empty database. */
  store: Store;
  /** Another store on the same database, not migrated. */
  open(): Store;
}

type It = (title: string, body: (ctx: Ctx) => Promise<void>, options?: { migrate: boolean }) => void;

/**
 * The behaviour every Store shares, run once per database. Each test gets a
 * database of its own from `makeDatabase`.
 */
export function storeSuite(name: string, makeDatabase: () => Promise<TestDatabase>): void {
  const it: It = (title, body, options = { migrate: true }) =>
    test(title, async () => {
      const db = await makeDatabase();
      const opened: Store[] = [];
      const open = () => {
        const store = db.open();
        opened.push(store);
        return store;
      };
      try {
        const store = open();
        if (options.migrate) await store.migrate();
        await body({ store, open });
      } finally {
        for (const store of opened) await store.close();
        await db.drop();
      }
    });

  describe(`${name} store: policies`, () => policyTests(it));
  describe(`${name} store: rollouts`, () => rolloutTests(it));
  describe(`${name} store: commit`, () => commitTests(it));
  describe(`${name} store: history`, () => historyTests(it));
  describe(`${name} store: events and outbox`, () => eventTests(it));
  describe(`${name} store: schema and lifetime`, () => lifetimeTests(it));
}

function isStoreError(code: StoreError['code'], ...mentions: string[]) {
  return (error: unknown) => {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    assert.equal(error.code, code);
    for (const text of mentions) assert.match(error.message, new RegExp(escape(text)));
    return true;
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An operator action that the domain allows, as the loop would plan it. */
function act(rollout: Rollout, action: Action, at: number): Planned {
  const result = applyAction(rollout, action, 'alice', at);
  assert.ok(result.ok, `applyAction(${action}) was refused`);
  return result.planned;
}

function policyTests(it: It): void {
  it('creates a policy at version 1 and reads it back exactly', async ({ store }) => {
    const policy = aPolicy({
      name: uniqueName('fast'),
      description: 'ten percent, then all',
      limits: { failTicks: 3 },
    });
    assert.ok(validatePolicy(policy).ok);

    const created = await store.createPolicy(policy, anAuditEntry({ at: T0, target: `policy:${policy.name}` }));

    const expected = { name: policy.name, version: 1, policy, createdAt: T0, updatedAt: T0 };
    assert.deepEqual(created, expected);
    assert.deepEqual(await store.getPolicy(policy.name), expected);
    assert.deepEqual(await store.listPolicies(), [expected]);
  });

  it('refuses a second policy with a name already taken, and writes nothing for it', async ({ store }) => {
    const policy = aPolicy({ name: 'standard' });
    await store.createPolicy(policy, anAuditEntry({ action: 'policy.create', target: 'policy:standard' }));

    const again = store.createPolicy(
      aPolicy({ name: 'standard', description: 'other' }),
      anAuditEntry({ target: 'policy:standard' })
    );

    await assert.rejects(again, isStoreError('conflict', '"standard"'));
    assert.equal((await store.getPolicy('standard'))?.policy.description, undefined);
    assert.equal((await store.listAudit({ target: 'policy:standard' })).length, 1);
  });

  it('updates a policy at its expected version and raises the version by one', async ({ store }) => {
    await store.createPolicy(aPolicy({ name: 'standard' }), anAuditEntry({ at: T0 }));
    const edited = aPolicy({ name: 'standard', description: 'slower' });

    const updated = await store.updatePolicy('standard', 1, edited, anAuditEntry({ at: T0 + 1000 }));

    const expected = { name: 'standard', version: 2, policy: edited, createdAt: T0, updatedAt: T0 + 1000 };
    assert.deepEqual(updated, expected);
    assert.deepEqual(await store.getPolicy('standard'), expected);
  });

  it('refuses an update made against a stale version and keeps the stored policy', async ({ store }) => {
    await store.createPolicy(aPolicy({ name: 'standard' }), anAuditEntry());
    await store.updatePolicy('standard', 1, aPolicy({ name: 'standard', description: 'first edit' }), anAuditEntry());

    const late = store.updatePolicy(
      'standard',
      1,
      aPolicy({ name: 'standard', description: 'late edit' }),
      anAuditEntry()
    );

    await assert.rejects(late, isStoreError('conflict', 'version 2, not 1'));
    const stored = await store.getPolicy('standard');
    assert.equal(stored?.version, 2);
    assert.equal(stored?.policy.description, 'first edit');
  });

  it('refuses an update whose body names another policy', async ({ store }) => {
    await store.createPolicy(aPolicy({ name: 'standard' }), anAuditEntry());

    const renamed = store.updatePolicy('standard', 1, aPolicy({ name: 'other' }), anAuditEntry());

    await assert.rejects(renamed, isStoreError('conflict', '"other"'));
    assert.equal(await store.getPolicy('other'), null);
  });

  it('deletes a policy and records who did it', async ({ store }) => {
    await store.createPolicy(aPolicy({ name: 'standard' }), anAuditEntry({ at: T0 }));
    const audit = anAuditEntry({ at: T0 + 5, action: 'policy.delete', target: 'policy:standard' });

    await store.deletePolicy('standard', audit);

    assert.equal(await store.getPolicy('standard'), null);
    assert.deepEqual(await store.listPolicies(), []);
    const [latest] = await store.listAudit({ target: 'policy:standard' });
    assert.deepEqual(latest, { ...audit, id: latest?.id });
  });

  it('answers not-found for a policy that does not exist', async ({ store }) => {
    assert.equal(await store.getPolicy('missing'), null);
    await assert.rejects(
      store.updatePolicy('missing', 1, aPolicy({ name: 'missing' }), anAuditEntry()),
      isStoreError('not-found', '"missing"')
    );
    await assert.rejects(store.deletePolicy('missing', anAuditEntry()), isStoreError('not-found', '"missing"'));
    assert.deepEqual(await store.listAudit(), []);
  });
}

function rolloutTests(it: It): void {
  it('stores a new rollout at revision 1 with its first step opened', async ({ store }) => {
    const rollout = aRollout();

    const stored = await store.insertRollout(rollout, {});

    assert.deepEqual(stored, { ...rollout, revision: 1 });
    assert.deepEqual(await store.getRollout(rollout.id), stored);
    assert.deepEqual(await store.listSteps(rollout.id), [
      { rolloutId: rollout.id, index: 0, weight: 5, startedAt: T0, endedAt: null, outcome: null },
    ]);
    assert.equal(await store.getRollout('missing'), null);
  });

  it('refuses a second live rollout of a service and names the live one', async ({ store }) => {
    const first = await store.insertRollout(aRollout({ service: 'checkout' }), {});
    const second = aRollout({ service: 'checkout' });

    await assert.rejects(
      store.insertRollout(second, { audit: anAuditEntry(), events: [anEvent()] }),
      isStoreError('conflict', '"checkout"', first.id)
    );

    assert.equal(await store.getRollout(second.id), null);
    assert.deepEqual(await store.listAudit(), []);
    assert.equal(await store.lastEventId(), 0);
  });

  it('refuses a live rollout of a service whose other rollout is paused', async ({ store }) => {
    const first = await store.insertRollout(aRollout({ service: 'checkout' }), {});
    const paused = act(first, 'pause', T0 + 1000);
    await store.commit(paused.next, 1, paused.decision, {});

    await assert.rejects(
      store.insertRollout(aRollout({ service: 'checkout' }), {}),
      isStoreError('conflict', first.id, 'paused')
    );
  });

  it('accepts a new rollout of a service once its last one has ended', async ({ store }) => {
    const first = await store.insertRollout(aRollout({ service: 'checkout' }), {});
    const ended = act(first, 'rollback', T0 + 1000);
    await store.commit(ended.next, 1, ended.decision, {});

    const second = await store.insertRollout(aRollout({ service: 'checkout', now: T0 + 2000 }), {});

    assert.equal(second.revision, 1);
    assert.deepEqual(await store.listRollouts({ service: 'checkout', live: true }), [second]);
  });

  it('lets exactly one of two rollouts of a service, inserted at once, win', async ({ store, open }) => {
    const other = open();
    const a = aRollout({ service: 'checkout' });
    const b = aRollout({ service: 'checkout' });

    const results = await Promise.allSettled([store.insertRollout(a, {}), other.insertRollout(b, {})]);

    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    const winner = won[0]!.value;
    isStoreError('conflict', winner.id)(lost[0]!.reason);
    assert.deepEqual(await store.listRollouts({ service: 'checkout' }), [winner]);
  });

  it('refuses a rollout whose id is already taken', async ({ store }) => {
    const first = await store.insertRollout(aRollout(), {});

    await assert.rejects(store.insertRollout(aRollout({ id: first.id }), {}), isStoreError('conflict', first.id));
  });

  it('lists rollouts newest first, filtered by service, phase and liveness', async ({ store }) => {
    const old = await store.insertRollout(aRollout({ service: 'cart', now: T0 }), {});
    const ended = act(old, 'abort', T0 + 10);
    const aborted = (await store.commit(ended.next, 1, ended.decision, {})) as Rollout;
    const cart = await store.insertRollout(aRollout({ service: 'cart', now: T0 + 20 }), {});
    const search = await store.insertRollout(aRollout({ service: 'search', now: T0 + 30 }), {});

    assert.deepEqual(await store.listRollouts({}), [search, cart, aborted]);
    assert.deepEqual(await store.listRollouts({ service: 'cart' }), [cart, aborted]);
    assert.deepEqual(await store.listRollouts({ phase: 'aborted' }), [aborted]);
    assert.deepEqual(await store.listRollouts({ live: true }), [search, cart]);
    assert.deepEqual(await store.listRollouts({ service: 'cart', live: true }), [cart]);
    assert.deepEqual(await store.listRollouts({ limit: 2 }), [search, cart]);
  });

  it('refuses a limit that is not a positive whole number', async ({ store }) => {
    await assert.rejects(store.listRollouts({ limit: 0 }), /limit must be a positive whole number/);
    await assert.rejects(store.listEvents(0, 2.5), /limit must be a positive whole number/);
  });

  it('records the routing state in force without changing the revision', async ({ store }) => {
    const rollout = await store.insertRollout(aRollout(), {});
    const applied = { weight: 5, headerRoute: { header: 'X-Canary', value: 'always' } };

    await store.recordApplied(rollout.id, applied);

    assert.deepEqual(await store.getRollout(rollout.id), { ...rollout, applied });
    await assert.rejects(store.recordApplied('missing', applied), isStoreError('not-found', 'missing'));
  });
}

function commitTests(it: It): void {
  it('writes the next state, its decision and everything with it, one revision up', async ({ store }) => {
    const rollout = await store.insertRollout(aRollout(), {});
    const { next, decision } = act(rollout, 'promote', T0 + 60_000);
    const audit = anAuditEntry({ at: T0 + 60_000, action: 'rollout.promote', target: `rollout:${rollout.id}` });
    const event = anEvent({ at: T0 + 60_000, rolloutId: rollout.id, service: rollout.service });

    const stored = await store.commit(next, 1, decision, { audit, events: [event], outbox: [anOutboxItem()] });

    assert.deepEqual(stored, { ...next, revision: 2 });
    assert.deepEqual(await store.getRollout(rollout.id), stored);
    assert.deepEqual(await store.listDecisions(rollout.id), [decision]);
    const [auditRow] = await store.listAudit({ target: `rollout:${rollout.id}` });
    assert.deepEqual(auditRow, { ...audit, id: auditRow?.id });
    assert.deepEqual(await store.listEvents(0, 10), [{ ...event, id: await store.lastEventId() }]);
    assert.equal((await store.pendingOutbox('annotations', 10)).length, 1);
  });

  it('refuses a commit made against a stale revision and writes nothing of it', async ({ store }) => {
    const rollout = await store.insertRollout(aRollout(), {});
    const first = aHold(rollout, T0 + 5000);
    const current = (await store.commit(first.next, 1, first.decision, {})) as Rollout;
    const late = act(rollout, 'promote', T0 + 6000);
    const extras = { audit: anAuditEntry(), events: [anEvent()], outbox: [anOutboxItem()] };

    const answer = await store.commit(late.next, 1, { ...late.decision, seq: 2 }, extras);

    assert.equal(answer, 'stale');
    assert.deepEqual(await store.getRollout(rollout.id), current);
    assert.deepEqual(await store.listDecisions(rollout.id), [first.decision]);
    assert.equal((await store.listSteps(rollout.id)).length, 1);
    assert.deepEqual(await store.listAudit(), []);
    assert.equal(await store.lastEventId(), 0);
    assert.deepEqual(await store.pendingOutbox('annotations', 10), []);
  });

  it('lets exactly one of two writers with the same expected revision win', async ({ store, open }) => {
    const other = open();
    const rollout = await store.insertRollout(aRollout(), {});
    const hold = aHold(rollout, T0 + 5000);
    const promote = act(rollout, 'promote', T0 + 5000);

    const answers = await Promise.all([
      store.commit(hold.next, 1, hold.decision, { events: [anEvent({ type: 'hold' })] }),
      other.commit(promote.next, 1, promote.decision, { events: [anEvent({ type: 'advance' })] }),
    ]);

    assert.equal(answers.filter((a) => a === 'stale').length, 1);
    const winner = answers.find((a): a is Rollout => a !== 'stale');
    assert.ok(winner !== undefined);
    assert.equal(winner.revision, 2);
    assert.deepEqual(await store.getRollout(rollout.id), winner);
    const decisions = await store.listDecisions(rollout.id);
    assert.equal(decisions.length, 1);
    assert.equal(decisions[0]?.kind, winner.stepIndex === 1 ? 'advance' : 'hold');
    assert.equal((await store.listEvents(0, 10)).length, 1);
  });

  it('keeps the rollout as it was when an insert inside the commit fails', async ({ store }) => {
    const rollout = await store.insertRollout(aRollout(), {});
    const first = aHold(rollout, T0 + 5000);
    const current = (await store.commit(first.next, 1, first.decision, {})) as Rollout;
    const promote = act(current, 'promote', T0 + 6000);
    const extras = { audit: anAuditEntry(), events: [anEvent()], outbox: [anOutboxItem()] };

    // A decision numbered like the one already stored: its insert breaks the (rollout, seq) key.
    await assert.rejects(store.commit(promote.next, 2, { ...promote.decision, seq: 1 }, extras));

    assert.deepEqual(await store.getRollout(rollout.id), current);
    assert.deepEqual(await store.listDecisions(rollout.id), [first.decision]);
    assert.equal((await store.listSteps(rollout.id)).length, 1);
    assert.deepEqual(await store.listAudit(), []);
    assert.equal(await store.lastEventId(), 0);
    assert.deepEqual(await store.pendingOutbox('annotations', 10), []);
  });

  it('keeps the routing state recorded as applied when a commit carries an older copy', async ({ store }) => {
    const rollout = await store.insertRollout(aRollout(), {});
    const applied = { weight: 5, headerRoute: null };
    await store.recordApplied(rollout.id, applied);
    const { next, decision } = aHold(rollout, T0 + 5000);

    const stored = await store.commit(next, 1, decision, {});

    assert.equal(next.applied, null);
    assert.deepEqual(stored, { ...next, revision: 2, applied });
    assert.deepEqual(await store.getRollout(rollout.id), stored);
  });

  it('answers not-found for a commit to a rollout that does not exist', async ({ store }) => {
    const ghost = { ...aRollout(), revision: 1 };
    const { next, decision } = aHold(ghost, T0);

    await assert.rejects(store.commit(next, 1, decision, {}), isStoreError('not-found', ghost.id));
  });

  it('reads back non-finite and negative-zero numbers in verdicts exactly', async ({ store }) => {
    const rollout = await store.insertRollout(aRollout(), {});
    const verdicts = [
      aGateResult({
        gate: 'latency',
        observed: Infinity,
        baselineObserved: -Infinity,
        threshold: 0.5,
        verdict: 'fail',
      }),
      aGateResult({
        observed: NaN,
        baselineObserved: -0,
        evidence: null,
        verdict: 'inconclusive',
        inconclusive: 'no-data',
      }),
    ];
    const { next, decision } = aHold(rollout, T0 + 5000, verdicts);
    const gateState = { errors: { ...next.gateState['errors']!, windowEnd: -0 } };

    await store.commit({ ...next, gateState }, 1, decision, {});

    const [stored] = await store.listDecisions(rollout.id);
    assert.deepEqual(stored?.verdicts, verdicts);
    assert.ok(Object.is(stored?.verdicts[1]?.baselineObserved, -0));
    assert.ok(Object.is((await store.getRollout(rollout.id))?.gateState['errors']?.windowEnd, -0));
  });
}

function historyTests(it: It): void {
  it('lists decisions oldest first, after a sequence number and up to a limit', async ({ store }) => {
    let rollout = await store.insertRollout(aRollout(), {});
    const decisions = [];
    for (let tick = 1; tick <= 4; tick += 1) {
      const { next, decision } = aHold(rollout, T0 + tick * 5000);
      rollout = (await store.commit(next, rollout.revision, decision, {})) as Rollout;
      decisions.push(decision);
    }

    assert.deepEqual(await store.listDecisions(rollout.id), decisions);
    assert.deepEqual(await store.listDecisions(rollout.id, { afterSeq: 2 }), decisions.slice(2));
    assert.deepEqual(await store.listDecisions(rollout.id, { afterSeq: 1, limit: 2 }), decisions.slice(1, 3));
    assert.deepEqual(await store.listDecisions('missing'), []);
  });

  it('closes and opens step rows as the rollout advances, holds and rolls back', async ({ store }) => {
    const rollout = await store.insertRollout(aRollout(), {});
    const hold = aHold(rollout, T0 + 10_000);
    const held = (await store.commit(hold.next, 1, hold.decision, {})) as Rollout;
    const promote = act(held, 'promote', T0 + 60_000);
    const advanced = (await store.commit(promote.next, 2, promote.decision, {})) as Rollout;
    const rollback = act(advanced, 'rollback', T0 + 90_000);

    await store.commit(rollback.next, 3, rollback.decision, {});

    assert.deepEqual(await store.listSteps(rollout.id), [
      { rolloutId: rollout.id, index: 0, weight: 5, startedAt: T0, endedAt: T0 + 60_000, outcome: 'advance' },
      {
        rolloutId: rollout.id,
        index: 1,
        weight: 50,
        startedAt: T0 + 60_000,
        endedAt: T0 + 90_000,
        outcome: 'rollback',
      },
    ]);
  });

  it('closes the paused step on a resume that moves on, and the last step on completion', async ({ store }) => {
    const policy = aPolicy({
      steps: [
        { weight: 10, minDuration: '1m', pause: true },
        { weight: 100, minDuration: '1m' },
      ],
    });
    const rollout = await store.insertRollout(aRollout({ policy }), {});
    const waiting = { ...rollout, phase: 'paused' as const, awaitingResume: true, pauseReason: 'waiting', tickSeq: 1 };
    const pause = { ...aHold(rollout, T0 + 60_000).decision, kind: 'pause' as const };
    const paused = (await store.commit(waiting, 1, pause, {})) as Rollout;
    const resume = act(paused, 'resume', T0 + 70_000);
    const resumed = (await store.commit(resume.next, 2, resume.decision, {})) as Rollout;
    const complete = act(resumed, 'promote', T0 + 130_000);

    await store.commit(complete.next, 3, complete.decision, {});

    assert.equal(complete.decision.kind, 'complete');
    assert.deepEqual(await store.listSteps(rollout.id), [
      { rolloutId: rollout.id, index: 0, weight: 10, startedAt: T0, endedAt: T0 + 70_000, outcome: 'resume' },
      {
        rolloutId: rollout.id,
        index: 1,
        weight: 100,
        startedAt: T0 + 70_000,
        endedAt: T0 + 130_000,
        outcome: 'complete',
      },
    ]);
  });

  it('lists audit entries newest first, by target and up to a limit', async ({ store }) => {
    const created = anAuditEntry({ at: T0, action: 'policy.create', target: 'policy:standard' });
    const updated = anAuditEntry({
      at: T0 + 10,
      action: 'policy.update',
      target: 'policy:standard',
      detail: { from: 1, to: 2 },
    });
    const started = anAuditEntry({ at: T0 + 20, action: 'rollout.start', target: 'rollout:r1' });
    await store.createPolicy(aPolicy({ name: 'standard' }), created);
    await store.updatePolicy('standard', 1, aPolicy({ name: 'standard' }), updated);
    await store.insertRollout(aRollout({ id: 'r1' }), { audit: started });

    const withoutIds = (entries: { id?: number }[]) => entries.map(({ id, ...rest }) => rest);
    assert.deepEqual(withoutIds(await store.listAudit()), [started, updated, created]);
    assert.deepEqual(withoutIds(await store.listAudit({ target: 'policy:standard' })), [updated, created]);
    assert.deepEqual(withoutIds(await store.listAudit({ limit: 1 })), [started]);
    assert.ok((await store.listAudit()).every((entry) => typeof entry.id === 'number'));
  });
}

function eventTests(it: It): void {
  it('numbers events in order and reads them from a cursor', async ({ store }) => {
    assert.equal(await store.lastEventId(), 0);
    const inputs = [
      anEvent({ type: 'started' }),
      anEvent({ type: 'decision', payload: { ratio: 0.125, list: [1, 'a'] } }),
      anEvent(),
    ];

    const stored = await store.appendEvents(inputs);

    assert.deepEqual(
      stored.map(({ id, ...rest }) => rest),
      inputs
    );
    const ids = stored.map((event) => event.id);
    assert.deepEqual(
      [...ids].sort((a, b) => a - b),
      ids
    );
    assert.equal(new Set(ids).size, 3);
    assert.deepEqual(await store.listEvents(0, 10), stored);
    assert.deepEqual(await store.listEvents(ids[0]!, 10), stored.slice(1));
    assert.deepEqual(await store.listEvents(ids[0]!, 1), stored.slice(1, 2));
    assert.deepEqual(await store.listEvents(ids[2]!, 10), []);
    assert.equal(await store.lastEventId(), ids[2]);
    assert.deepEqual(await store.appendEvents([]), []);
  });

  it('gives events written with a commit ids after those already stored', async ({ store }) => {
    const [before] = await store.appendEvents([anEvent()]);
    const rollout = await store.insertRollout(aRollout(), { events: [anEvent({ type: 'started' })] });
    const { next, decision } = aHold(rollout, T0 + 5000);

    await store.commit(next, 1, decision, { events: [anEvent({ type: 'decision' })] });

    const types = (await store.listEvents(before!.id, 10)).map((event) => event.type);
    assert.deepEqual(types, ['started', 'decision']);
  });

  it('keeps a payload whose object looks like the number encoding', async ({ store }) => {
    const payload = { $sentra: 'NaN', nested: { $sentra: ['x'] }, value: NaN, list: [Infinity, -0] };

    const [stored] = await store.appendEvents([anEvent({ payload })]);

    const [read] = await store.listEvents(0, 1);
    assert.deepEqual(read, stored);
    assert.deepEqual(read?.payload, payload);
  });

  it('hands out undelivered outbox items of a topic in order, and counts attempts', async ({ store }) => {
    const items = [
      anOutboxItem({ payload: { n: 1 } }),
      anOutboxItem({ topic: 'webhooks' }),
      anOutboxItem({ payload: { n: 2 } }),
    ];
    const rollout = await store.insertRollout(aRollout(), { outbox: items.slice(0, 2) });
    const { next, decision } = aHold(rollout, T0);
    await store.commit(next, 1, decision, { outbox: items.slice(2) });

    const pending = await store.pendingOutbox('annotations', 10);
    assert.deepEqual(
      pending.map(({ id, ...rest }) => rest),
      [items[0], items[2]].map((item) => ({ ...item, attempts: 0, lastError: null, deliveredAt: null }))
    );
    assert.ok(pending[0]!.id < pending[1]!.id);
    assert.deepEqual(await store.pendingOutbox('annotations', 1), pending.slice(0, 1));

    await store.markAttempt(pending[0]!.id, 'grafana answered 503');
    await store.markAttempt(pending[0]!.id, 'connection refused');
    const [retried] = await store.pendingOutbox('annotations', 1);
    assert.deepEqual(retried, { ...pending[0], attempts: 2, lastError: 'connection refused' });

    await store.markDelivered(pending[0]!.id, T0 + 99);
    assert.deepEqual(await store.pendingOutbox('annotations', 10), pending.slice(1));
    assert.equal((await store.pendingOutbox('webhooks', 10)).length, 1);
  });

  it('answers not-found for an outbox item that does not exist', async ({ store }) => {
    await assert.rejects(store.markDelivered(12345, T0), isStoreError('not-found', '12345'));
    await assert.rejects(store.markAttempt(12345, 'boom'), isStoreError('not-found', '12345'));
  });
}

function lifetimeTests(it: It): void {
  it('migrates a second time without harm to what is stored', async ({ store }) => {
    const rollout = await store.insertRollout(aRollout(), {});

    await store.migrate();

    assert.deepEqual(await store.getRollout(rollout.id), rollout);
  });

  it(
    'lets two stores migrate an empty database at once',
    async ({ store, open }) => {
      const other = open();

      await Promise.all([store.migrate(), other.migrate()]);

      const rollout = await store.insertRollout(aRollout(), {});
      assert.deepEqual(await other.getRollout(rollout.id), rollout);
    },
    { migrate: false }
  );

  it('keeps everything after the store is closed and opened again', async ({ store, open }) => {
    await store.createPolicy(aPolicy({ name: 'standard' }), anAuditEntry());
    const rollout = await store.insertRollout(aRollout(), { events: [anEvent()] });
    const { next, decision } = aHold(rollout, T0 + 5000);
    const committed = await store.commit(next, 1, decision, {});
    const lastEvent = await store.lastEventId();
    await store.close();

    const reopened = open();
    await reopened.migrate();

    assert.deepEqual(await reopened.getRollout(rollout.id), committed);
    assert.deepEqual(await reopened.listDecisions(rollout.id), [decision]);
    assert.equal((await reopened.getPolicy('standard'))?.version, 1);
    assert.equal(await reopened.lastEventId(), lastEvent);
  });
}
