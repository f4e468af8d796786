import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ALL_ACTIONS, VPCEP_ACTIONS } from '../../src/auth/policy/actions.ts';
import { parseCustomPolicy, type PolicyDocument, type Statement } from '../../src/auth/policy/document.ts';
import { compilePattern, isPatternShaped } from '../../src/auth/policy/pattern.ts';
import { PermissionSet } from '../../src/auth/policy/permission-set.ts';
import { ApiError } from '../../src/errors/api-error.ts';
import { SYSTEM_ROLES } from '../../src/identity/roles/system-roles.ts';

// The policy engine alone: pattern matching, IAM's checks of custom policies,
// and the decision rule, with fixed cases and with properties over generated ones.

const role = (displayName: string): PolicyDocument => {
  const r = SYSTEM_ROLES.find((x) => x.display_name === displayName);
  assert.ok(r);
  return r.policy;
};
const policy = (...Statement: Statement[]): PolicyDocument => ({ Version: '1.1', Statement });
const allows = (docs: PolicyDocument[], action: string) => new PermissionSet(false, docs).allows(action);

describe('action patterns', () => {
  const cases: [pattern: string, action: string, match: boolean][] = [
    ['vpcep:endpoints:list', 'vpcep:endpoints:list', true],
    ['vpcep:endpoints:list', 'vpcep:endpoints:get', false],
    ['vpcep:*:get*', 'vpcep:epserviceDesc:get', true],
    ['vpcep:*:get*', 'vpcep:epservices:get', true],
    ['vpcep:*:get*', 'vpcep:endpoints:list', false],
    ['vpcep:*:*', 'vpc:vpcs:list', false],
    ['vpc:*:*', 'vpcep:endpoints:list', false],
    ['*', 'iam:users:createUser', true],
    ['vpcep:*', 'vpcep:epRouters:update', true],
    ['identity:*', 'iam:users:createUser', true],
    ['identity:*', 'vpcep:endpoints:list', false],
    ['*:*:Get*', 'vpcep:quotas:get', true],
    ['*:*:List*', 'vpc:routeTables:list', true],
    ['VPCEP:endpoints:list', 'vpcep:endpoints:list', false],
    ['vpcep:EPROUTERS:UPDATE', 'vpcep:epRouters:update', true],
    ['vpcep:end*:l*t', 'vpcep:endpoints:list', true],
    ['vpcep:endpoints', 'vpcep:endpoints:list', false],
  ];
  for (const [pattern, action, match] of cases) {
    test(`${pattern} ${match ? 'matches' : 'does not match'} ${action}`, () => {
      assert.equal(compilePattern(pattern)(action), match);
    });
  }

  test('an action matches itself, in any case of its last two segments, and with any segment a *', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL_ACTIONS),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 }),
        (action, upper, star) => {
          const [service = '', type = '', op = ''] = action.split(':');
          const cased = [
            service,
            upper ? type.toUpperCase() : type.toLowerCase(),
            upper ? op.toUpperCase() : op,
          ];
          assert.ok(compilePattern(cased.join(':'))(action));
          const starred = [...cased];
          starred[star] = '*';
          assert.ok(compilePattern(starred.join(':'))(action));
          // A prefix of a segment followed by * matches as well.
          const prefixed = [...cased];
          prefixed[2] = `${(cased[2] ?? '').slice(0, 2)}*`;
          assert.ok(compilePattern(prefixed.join(':'))(action));
        },
      ),
    );
  });

  test('a pattern for one service never matches another service', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_ACTIONS), fc.constantFrom(...ALL_ACTIONS), (a, b) => {
        const [sa] = a.split(':');
        const [sb] = b.split(':');
        fc.pre(sa !== sb);
        assert.equal(compilePattern(`${sa}:*:*`)(b), false);
      }),
    );
  });

  test('regular-expression characters in a pattern are literal, never operators', () => {
    for (const p of ['vpcep:.*:.*', 'vpcep:(endpoints):list', 'vpcep:endpoints:list|x', 'vpcep:[a-z]+:*']) {
      assert.equal(isPatternShaped(p), false, p);
      assert.equal(compilePattern(p)('vpcep:endpoints:list'), false, p);
    }
  });
});

describe('the decision rule', () => {
  test('nothing is allowed without a grant; the account owner is allowed everything', () => {
    for (const a of ALL_ACTIONS) {
      assert.equal(allows([], a), false);
      assert.equal(new PermissionSet(true, []).allows(a), true);
    }
  });

  test('Tenant Administrator allows every VPCEP and VPC action and no IAM action', () => {
    for (const a of ALL_ACTIONS)
      assert.equal(allows([role('Tenant Administrator')], a), !a.startsWith('iam:'), a);
  });

  test("a role's own Deny does not refuse what another role allows (admin = Tenant + Security Administrator)", () => {
    const docs = [role('Tenant Administrator'), role('Security Administrator')];
    for (const a of ALL_ACTIONS) assert.equal(allows(docs, a), true, a);
  });

  test('Tenant Guest and VPCEndpoint ReadOnlyAccess allow reads only', () => {
    const reads = [
      'vpcep:endpoints:list',
      'vpcep:epservices:get',
      'vpcep:quotas:get',
      'vpcep:epserviceDesc:get',
    ];
    const writes = ['vpcep:endpoints:create', 'vpcep:tags:update', 'vpcep:epRouters:update'];
    for (const name of ['Tenant Guest', 'VPCEndpoint ReadOnlyAccess']) {
      for (const a of reads) assert.equal(allows([role(name)], a), true, `${name} ${a}`);
      for (const a of writes) assert.equal(allows([role(name)], a), false, `${name} ${a}`);
    }
    assert.equal(allows([role('Tenant Guest')], 'iam:users:listUsers'), false);
  });

  test('NotAction covers every action it does not name', () => {
    const docs = [policy({ Effect: 'Allow', NotAction: ['vpcep:endpoints:delete'] })];
    assert.equal(allows(docs, 'vpcep:endpoints:create'), true);
    assert.equal(allows(docs, 'vpcep:endpoints:delete'), false);
  });

  const statement = fc.record({
    Effect: fc.constantFrom<'Allow' | 'Deny'>('Allow', 'Deny'),
    Action: fc.array(
      fc.constantFrom(...VPCEP_ACTIONS, 'vpcep:*:*', 'vpcep:*:get*', 'vpcep:endpoints:*', '*'),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  });
  const documents = fc.array(
    fc.array(statement, { minLength: 1, maxLength: 4 }).map((s) => policy(...s)),
    {
      maxLength: 4,
    },
  );
  const covered = (s: Statement, a: string) => (s.Action ?? []).some((p) => compilePattern(p)(a));

  test('a matching Deny refuses whatever else allows, in any order', () => {
    fc.assert(
      fc.property(documents, fc.constantFrom(...VPCEP_ACTIONS), fc.nat(), (docs, action, seed) => {
        const denied = docs.some((d) => d.Statement.some((s) => s.Effect === 'Deny' && covered(s, action)));
        const allowed = docs.some((d) => d.Statement.some((s) => s.Effect === 'Allow' && covered(s, action)));
        const expected = !denied && allowed;
        assert.equal(allows(docs, action), expected);
        // The order of documents and statements never matters.
        const shuffled = [...docs].reverse().map((d) => policy(...[...d.Statement].reverse()));
        const rotated =
          docs.length > 0 ? [...docs.slice(seed % docs.length), ...docs.slice(0, seed % docs.length)] : docs;
        assert.equal(allows(shuffled, action), expected);
        assert.equal(allows(rotated, action), expected);
      }),
    );
  });

  test('adding an Allow never turns a refusal by Deny into an allow; adding a Deny never widens', () => {
    fc.assert(
      fc.property(documents, fc.constantFrom(...VPCEP_ACTIONS), statement, (docs, action, extra) => {
        const before = allows(docs, action);
        const after = allows([...docs, policy(extra)], action);
        if (extra.Effect === 'Deny') assert.ok(!after || before);
        const deniedBefore = docs.some((d) =>
          d.Statement.some((s) => s.Effect === 'Deny' && covered(s, action)),
        );
        if (deniedBefore) assert.equal(after, false);
      }),
    );
  });
});

describe('custom policy checks', () => {
  const ok = (p: unknown) => {
    const r = parseCustomPolicy(p);
    assert.ok(!(r instanceof ApiError), r instanceof ApiError ? r.message : '');
    return r;
  };
  const code = (p: unknown) => {
    const r = parseCustomPolicy(p);
    assert.ok(r instanceof ApiError, 'refused');
    return r.code;
  };
  const doc = (Statement: unknown) => ({ Version: '1.1', Statement });

  test('a valid policy is normalised (Effect spelled as IAM spells it)', () => {
    const r = ok(doc([{ Effect: 'allow', Action: ['vpcep:endpoints:list', 'ecs:*:*'] }]));
    assert.deepEqual(r.Statement, [{ Effect: 'Allow', Action: ['vpcep:endpoints:list', 'ecs:*:*'] }]);
  });

  test("IAM's limits and codes", () => {
    assert.equal(code('x'), 'IAM.1020');
    assert.equal(code({ Version: '1.0', Statement: [] }), 'IAM.1024');
    assert.equal(code({ Version: '1.1', Statement: {} }), 'IAM.1027');
    assert.equal(code(doc([])), 'IAM.1028');
    assert.equal(
      code(doc(Array.from({ length: 9 }, () => ({ Effect: 'Allow', Action: ['vpcep:*:*'] })))),
      'IAM.1028',
    );
    assert.equal(code(doc([{ Effect: 'Maybe', Action: ['vpcep:*:*'] }])), 'IAM.1029');
    assert.equal(code(doc([{ Effect: 'Allow', Action: 'vpcep:*:*' }])), 'IAM.1030');
    assert.equal(code(doc([{ Effect: 'Allow', Action: ['vpcep:*:*'], NotAction: ['x:y:z'] }])), 'IAM.1031');
    assert.equal(
      code(doc([{ Effect: 'Allow', Action: Array.from({ length: 101 }, () => 'vpcep:*:*') }])),
      'IAM.1033',
    );
    assert.equal(code(doc([{ Effect: 'Allow', Action: [`ecs:${'a'.repeat(130)}:x`] }])), 'IAM.1034');
    assert.equal(code(doc([{ Effect: 'Allow', Action: ['vpcep:end points:list'] }])), 'IAM.1035');
    assert.equal(code(doc([{ Effect: 'Allow', Action: ['VPCEP:endpoints:list'] }])), 'IAM.1035');
    assert.equal(code(doc([{ Effect: 'Allow', Action: ['vpcep:endpoint:list'] }])), 'IAM.1036');
    assert.equal(code(doc([{ Effect: 'Allow', Action: ['vpcep:*:*'], Condition: {} }])), 'IAM.1039');
    assert.equal(code(doc([{ Effect: 'Allow', Action: ['vpcep:*:*'], Resource: ['*'] }])), 'IAM.1049');
    assert.equal(code({ ...doc([{ Effect: 'Allow', Action: ['vpcep:*:*'] }]), Depends: [] }), 'IAM.1025');
    const big = doc([
      { Effect: 'Allow', Action: Array.from({ length: 60 }, (_, i) => `ecs:servers${i}:${'x'.repeat(90)}`) },
    ]);
    assert.equal(code(big), 'IAM.1021');
  });

  test('no generated document is accepted unless every action is shaped and registered', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 5 }), (actions) => {
        const r = parseCustomPolicy(doc([{ Effect: 'Allow', Action: actions }]));
        if (!(r instanceof ApiError)) for (const a of actions) assert.ok(isPatternShaped(a), a);
      }),
    );
  });
});
