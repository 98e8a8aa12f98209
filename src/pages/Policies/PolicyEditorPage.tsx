import React, { useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { Alert, Button, Stack } from '@grafana/ui';

import { sentraRequest } from '../../api/client';
import { SentraError } from '../../api/errors';
import type { FieldError, PolicyRecord, ValidationResult } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loadable } from '../../components/Loadable';
import { Section } from '../../components/Section';
import { appUrl, policyUrl, ROUTES } from '../../constants';
import { usePolicy } from '../../hooks/usePolicies';
import { GatesEditor } from './GatesEditor';
import { ImportYamlModal } from './ImportYamlModal';
import { LimitsEditor } from './LimitsEditor';
import { PolicyFormProvider, type PolicyDraft, TextField } from './policyForm';
import { downloadPolicyYaml, policyToYaml } from './policyYaml';
import { setAt } from './pointer';
import { ReplaySection } from './ReplaySection';
import { StepsEditor } from './StepsEditor';

export const NEW_POLICY: PolicyDraft = {
  name: '',
  steps: [
    { weight: 5, minDuration: '1m' },
    { weight: 25, minDuration: '1m' },
    { weight: 50, minDuration: '1m' },
    { weight: 100, minDuration: '1m' },
  ],
  gates: [{ name: 'errors', kind: 'error-rate', provider: 'router' }],
};

export function PolicyEditorPage() {
  const { name } = useParams<{ name: string }>();
  const record = usePolicy(name ?? null);
  const title = name ? `Policy ${name}` : 'New policy';

  return (
    <PluginPage pageNav={{ text: title, url: name ? policyUrl(name) : appUrl(ROUTES.NewPolicy) }}>
      {name === undefined ? (
        <PolicyEditor record={null} />
      ) : (
        <Loadable query={record} what="the policy">
          {(loaded) => <PolicyEditor key={loaded.name} record={loaded} />}
        </Loadable>
      )}
    </PluginPage>
  );
}

type Outcome = { kind: 'saved'; version: number } | { kind: 'valid' } | { kind: 'failed'; error: unknown } | null;

function PolicyEditor({ record }: { record: PolicyRecord | null }) {
  const navigate = useNavigate();
  const [draft, setDraft] = useState<PolicyDraft>(() =>
    record ? (record.policy as unknown as PolicyDraft) : NEW_POLICY
  );
  const [version, setVersion] = useState(record?.version ?? 0);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  const [importing, setImporting] = useState(false);
  const isNew = record === null;

  const set = (pointer: string, value: unknown) => {
    setDraft((current) => setAt(current, pointer, value));
    setErrors((current) => current.filter((e) => e.field !== pointer));
    setOutcome(null);
  };

  const check = async (policy: PolicyDraft) => {
    setBusy(true);
    try {
      const result = await sentraRequest<ValidationResult>('/policies/validate', { method: 'POST', data: policy });
      setErrors(result.errors);
      setOutcome(result.ok ? { kind: 'valid' } : null);
    } catch (error) {
      setOutcome({ kind: 'failed', error });
    } finally {
      setBusy(false);
    }
  };

  const save = async () => {
    setBusy(true);
    try {
      const saved = isNew
        ? await sentraRequest<PolicyRecord>('/policies', { method: 'POST', data: draft })
        : await sentraRequest<PolicyRecord>(`/policies/${encodeURIComponent(record.name)}`, {
            method: 'PUT',
            data: { version, policy: draft },
          });
      setErrors([]);
      setVersion(saved.version);
      setOutcome({ kind: 'saved', version: saved.version });
      if (isNew) {
        navigate(policyUrl(saved.name));
      }
    } catch (error) {
      // A replacement's body is { version, policy }: its errors name fields under /policy.
      const fields = error instanceof SentraError ? error.fields.map((f) => (isNew ? f : underPolicy(f))) : [];
      setErrors(fields);
      setOutcome(fields.length > 0 ? null : { kind: 'failed', error });
    } finally {
      setBusy(false);
    }
  };

  const imported = (next: PolicyDraft) => {
    setImporting(false);
    setDraft(next);
    void check(next);
  };

  return (
    <PolicyFormProvider value={{ draft, errors, set, readOnlyPointers: isNew ? [] : ['/name'] }}>
      <Stack direction="column" gap={3}>
        <Stack gap={1} wrap="wrap">
          <Button onClick={save} disabled={busy} icon={busy ? 'spinner' : 'save'}>
            {isNew ? 'Create policy' : 'Save policy'}
          </Button>
          <Button variant="secondary" onClick={() => check(draft)} disabled={busy}>
            Check
          </Button>
          <Button variant="secondary" icon="upload" onClick={() => setImporting(true)}>
            Import YAML
          </Button>
          <Button
            variant="secondary"
            icon="download-alt"
            onClick={() => downloadPolicyYaml(String(draft.name ?? ''), draft)}
          >
            Export YAML
          </Button>
        </Stack>
        <OutcomeNotice outcome={outcome} errors={errors} />
        <Section title="Policy">
          <Stack gap={2} wrap="wrap">
            <TextField pointer="/name" label="Name" description="lower case letters, digits and dashes" width={30} />
            <TextField pointer="/description" label="Description" width={60} />
          </Stack>
        </Section>
        <Section title="Steps">
          <StepsEditor />
        </Section>
        <Section title="Gates">
          <GatesEditor />
        </Section>
        <Section title="Limits">
          <LimitsEditor />
        </Section>
        <Section title="What would this policy have done?">
          {/* A replay validates the whole policy: its word on the policy's fields replaces the last one. */}
          <ReplaySection policy={draft} onPolicyErrors={setErrors} />
        </Section>
        <YamlPreview draft={draft} />
      </Stack>
      <ImportYamlModal isOpen={importing} onDismiss={() => setImporting(false)} onImport={imported} />
    </PolicyFormProvider>
  );
}

function YamlPreview({ draft }: { draft: PolicyDraft }) {
  const [open, setOpen] = useState(false);
  return (
    <div>
      <Button
        size="sm"
        variant="secondary"
        fill="text"
        icon={open ? 'angle-down' : 'angle-right'}
        onClick={() => setOpen(!open)}
      >
        As YAML
      </Button>
      {open && <pre data-testid="policy-yaml">{policyToYaml(draft)}</pre>}
    </div>
  );
}

function OutcomeNotice({ outcome, errors }: { outcome: Outcome; errors: FieldError[] }) {
  if (errors.length > 0) {
    return (
      <Alert
        severity="error"
        title={errors.length === 1 ? '1 field needs fixing' : `${errors.length} fields need fixing`}
      >
        <ul>
          {errors.map((e) => (
            <li key={`${e.field}:${e.message}`}>
              {describePointer(e.field)}: {e.message}
            </li>
          ))}
        </ul>
      </Alert>
    );
  }
  if (outcome?.kind === 'saved') {
    return <Alert severity="success" title={`Saved as version ${outcome.version}`} />;
  }
  if (outcome?.kind === 'valid') {
    return <Alert severity="success" title="The backend accepts this policy" />;
  }
  if (outcome?.kind === 'failed') {
    return <ErrorNotice error={outcome.error} action="Saving the policy" />;
  }
  return null;
}

function underPolicy(error: FieldError): FieldError {
  const { field } = error;
  return field === '/policy' || field.startsWith('/policy/')
    ? { ...error, field: field.slice('/policy'.length) }
    : error;
}

/** `/steps/1/weight` reads as "step 2 › weight". */
export function describePointer(pointer: string): string {
  if (pointer === '') {
    return 'the policy';
  }
  return pointer
    .slice(1)
    .split('/')
    .reduce<string[]>((parts, part) => {
      const previous = parts[parts.length - 1];
      if (/^\d+$/.test(part) && (previous === 'steps' || previous === 'gates')) {
        parts[parts.length - 1] = `${previous === 'steps' ? 'step' : 'gate'} ${Number(part) + 1}`;
        return parts;
      }
      return [...parts, part];
    }, [])
    .join(' › ');
}
