import React, { useState } from 'react';
import { lastValueFrom } from 'rxjs';
import type { AppPluginMeta, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, SecretInput, Stack } from '@grafana/ui';

import { sentraRequest } from '../../api/client';
import type { AppSettings } from '../../api/types';
import { ErrorNotice } from '../ErrorNotice';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

/**
 * Where an administrator points Grafana at the Sentra backend. The API token
 * goes to secureJsonData: Grafana encrypts it and only its proxy route reads
 * it back, so the browser never sees it again.
 */
export function AppConfig({ plugin }: AppConfigProps) {
  const { enabled, pinned, jsonData, secureJsonFields } = plugin.meta;
  const [backendUrl, setBackendUrl] = useState(jsonData?.backendUrl ?? '');
  const [token, setToken] = useState('');
  const [tokenSet, setTokenSet] = useState(Boolean(secureJsonFields?.apiToken));
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(undefined);

  const urlProblem = checkUrl(backendUrl);
  const canSave = !urlProblem && (tokenSet || token !== '') && !saving;

  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!canSave) {
      return;
    }
    setSaving(true);
    setSaveError(undefined);
    try {
      await updateSettings(plugin.meta.id, {
        enabled,
        pinned,
        jsonData: { ...jsonData, backendUrl: backendUrl.trim().replace(/\/+$/, '') },
        // Sent only when typed: an empty value would overwrite the stored token.
        secureJsonData: token !== '' ? { apiToken: token } : undefined,
      });
      window.location.reload();
    } catch (error) {
      setSaveError(error);
      setSaving(false);
    }
  };

  return (
    <form onSubmit={save} aria-label="Sentra settings">
      <FieldSet label="Sentra backend">
        <Stack direction="column" gap={2}>
          <Field
            label="Backend URL"
            description="Where Grafana's server reaches the Sentra backend, e.g. http://sentra:8080 (scheme, host and port)."
            invalid={backendUrl !== '' && Boolean(urlProblem)}
            error={urlProblem}
            noMargin
          >
            <Input
              width={60}
              id="config-backend-url"
              value={backendUrl}
              placeholder="http://sentra:8080"
              onChange={(e) => setBackendUrl(e.currentTarget.value)}
            />
          </Field>
          <Field
            label="API token"
            description="The backend's SENTRA_API_TOKEN. Stored encrypted; it is never shown again."
            noMargin
          >
            <SecretInput
              width={60}
              id="config-api-token"
              value={token}
              isConfigured={tokenSet}
              placeholder="token"
              onChange={(e) => setToken(e.currentTarget.value.trim())}
              onReset={() => {
                setToken('');
                setTokenSet(false);
              }}
            />
          </Field>
          {saveError !== undefined && <ErrorNotice error={saveError} action="Saving the settings" />}
          <Stack gap={1} alignItems="flex-start">
            <Button type="submit" disabled={!canSave}>
              Save settings
            </Button>
            {enabled && jsonData?.backendUrl && <ConnectionTest />}
          </Stack>
        </Stack>
      </FieldSet>
    </form>
  );
}

function ConnectionTest() {
  const [state, setState] = useState<{ kind: 'idle' | 'running' | 'ok' } | { kind: 'failed'; error: unknown }>({
    kind: 'idle',
  });
  const run = async () => {
    setState({ kind: 'running' });
    try {
      await sentraRequest('/rollouts', { params: { limit: 1 } });
      setState({ kind: 'ok' });
    } catch (error) {
      setState({ kind: 'failed', error });
    }
  };
  return (
    <Stack direction="column" gap={1} alignItems="flex-start">
      <Button variant="secondary" onClick={run} disabled={state.kind === 'running'}>
        Test connection
      </Button>
      {state.kind === 'ok' && (
        <Alert severity="success" title="Grafana reached the Sentra backend and the token was accepted" />
      )}
      {state.kind === 'failed' && <ErrorNotice error={state.error} action="Connection test" />}
    </Stack>
  );
}

export function checkUrl(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') {
    return 'The backend URL is required.';
  }
  try {
    const url = new URL(trimmed);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return 'Use an http:// or https:// address.';
    }
    return undefined;
  } catch {
    return 'This is not a URL; write it like http://sentra:8080.';
  }
}

async function updateSettings(pluginId: string, data: Partial<PluginMeta<AppSettings>>): Promise<void> {
  await lastValueFrom(
    getBackendSrv().fetch({ url: `/api/plugins/${pluginId}/settings`, method: 'POST', data, showErrorAlert: false })
  );
}

export default AppConfig;
