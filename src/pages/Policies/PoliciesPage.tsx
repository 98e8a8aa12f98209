import React, { useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { ConfirmModal, EmptyState, IconButton, LinkButton, Stack, TextLink, useStyles2 } from '@grafana/ui';

import { sentraRequest } from '../../api/client';
import type { PolicyRecord } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loadable } from '../../components/Loadable';
import { appUrl, policyUrl, ROUTES } from '../../constants';
import { useMutation } from '../../hooks/useMutation';
import { usePolicies } from '../../hooks/usePolicies';
import { formatAge } from '../../utils/format';
import { downloadPolicyYaml } from './policyYaml';

export function PoliciesPage() {
  const policies = usePolicies();
  const [deleting, setDeleting] = useState<string | null>(null);
  const removal = useMutation((name: string) =>
    sentraRequest<void>(`/policies/${encodeURIComponent(name)}`, { method: 'DELETE' })
  );

  const confirmDelete = async () => {
    const name = deleting;
    setDeleting(null);
    if (name !== null) {
      await removal.run(name);
      policies.refetch();
    }
  };

  return (
    <PluginPage
      actions={
        <LinkButton icon="plus" href={appUrl(ROUTES.NewPolicy)}>
          New policy
        </LinkButton>
      }
    >
      <Stack direction="column" gap={2}>
        {removal.error !== undefined && <ErrorNotice error={removal.error} action="Deleting the policy" />}
        <Loadable
          query={policies}
          what="policies"
          isEmpty={(list) => list.length === 0}
          empty={
            <EmptyState
              variant="call-to-action"
              message="No policies yet"
              button={
                <LinkButton icon="plus" href={appUrl(ROUTES.NewPolicy)}>
                  New policy
                </LinkButton>
              }
            >
              A policy holds the steps, gates and limits a rollout follows.
            </EmptyState>
          }
        >
          {(list) => <PoliciesTable policies={list} onDelete={setDeleting} />}
        </Loadable>
      </Stack>
      <ConfirmModal
        isOpen={deleting !== null}
        title={`Delete policy ${deleting}?`}
        body="Running rollouts keep the copy they started with; new rollouts can no longer use it."
        confirmText="Delete"
        onConfirm={confirmDelete}
        onDismiss={() => setDeleting(null)}
      />
    </PluginPage>
  );
}

function PoliciesTable({ policies, onDelete }: { policies: PolicyRecord[]; onDelete: (name: string) => void }) {
  const styles = useStyles2(getStyles);
  return (
    <table className={styles.table} aria-label="Policies">
      <thead>
        <tr>
          <th>Name</th>
          <th>Steps</th>
          <th>Gates</th>
          <th>Version</th>
          <th>Updated</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {policies.map((record) => (
          <tr key={record.name}>
            <td>
              <TextLink href={policyUrl(record.name)} inline={false}>
                {record.name}
              </TextLink>
              {record.policy.description && <div className={styles.weak}>{record.policy.description}</div>}
            </td>
            <td>{record.policy.steps.map(stepText).join(' → ')}</td>
            <td>{record.policy.gates.map((g) => g.name).join(', ')}</td>
            <td>v{record.version}</td>
            <td>{formatAge(record.updatedAt)}</td>
            <td>
              <Stack gap={1}>
                <IconButton
                  name="download-alt"
                  tooltip={`Export ${record.name} as YAML`}
                  onClick={() => downloadPolicyYaml(record.name, record.policy)}
                />
                <IconButton name="trash-alt" tooltip={`Delete ${record.name}`} onClick={() => onDelete(record.name)} />
              </Stack>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': { textAlign: 'left', padding: theme.spacing(1), borderBottom: `1px solid ${theme.colors.border.weak}` },
    th: { color: theme.colors.text.secondary },
  }),
  weak: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});

function stepText(step: PolicyRecord['policy']['steps'][number]): string {
  if (step.weight !== undefined) {
    return `${step.weight}%`;
  }
  return step.headerRoute ? `header ${step.headerRoute.header}` : 'pause';
}
