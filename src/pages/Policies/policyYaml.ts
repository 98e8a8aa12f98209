import { parse, stringify } from 'yaml';

import type { PolicyDraft } from './policyForm';

export type ParsedPolicy = { ok: true; draft: PolicyDraft } | { ok: false; message: string };

/** Reads a policy from YAML (or JSON, which is YAML too). Only the shape of a mapping is checked here; the backend checks the rest. */
export function parsePolicyYaml(text: string): ParsedPolicy {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    return { ok: false, message: `This is not valid YAML: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: 'A policy is one YAML mapping with name, steps and gates at the top.' };
  }
  return { ok: true, draft: value as PolicyDraft };
}

export function policyToYaml(policy: unknown): string {
  return stringify(policy, { lineWidth: 0 });
}

/** Offers the policy as a YAML file download. */
export function downloadPolicyYaml(name: string, policy: unknown): void {
  const blob = new Blob([policyToYaml(policy)], { type: 'application/yaml' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `${name || 'policy'}.yaml`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
