import { parsePolicyYaml, policyToYaml } from './policyYaml';
import { aPolicy } from '../../test/builders';

describe('policy YAML', () => {
  test('exports a policy that imports back unchanged', () => {
    const policy = aPolicy();
    const text = policyToYaml(policy);

    expect(text).toContain('name: standard');
    expect(parsePolicyYaml(text)).toEqual({ ok: true, draft: policy });
  });

  test('reads JSON too, since JSON is YAML', () => {
    expect(parsePolicyYaml('{"name": "p", "steps": [], "gates": []}')).toEqual({
      ok: true,
      draft: { name: 'p', steps: [], gates: [] },
    });
  });

  test('says what is wrong with text that is not YAML', () => {
    const parsed = parsePolicyYaml('name: [unclosed');
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(/^This is not valid YAML/);
  });
});
