import React, { useState } from 'react';
import { Alert, Button, FileUpload, Modal, Stack, TextArea } from '@grafana/ui';

import type { PolicyDraft } from './policyForm';
import { parsePolicyYaml } from './policyYaml';

interface Props {
  isOpen: boolean;
  onDismiss: () => void;
  onImport: (draft: PolicyDraft) => void;
}

/** Paste or upload a policy in YAML; it replaces what is in the editor and is checked by the backend at once. */
export function ImportYamlModal({ isOpen, onDismiss, onImport }: Props) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  const importText = (source: string) => {
    const parsed = parsePolicyYaml(source);
    if (!parsed.ok) {
      setProblem(parsed.message);
      return;
    }
    setProblem(null);
    setText('');
    onImport(parsed.draft);
  };

  const readFile = (event: React.FormEvent<HTMLInputElement>) => {
    const file = event.currentTarget.files?.[0];
    if (file) {
      file.text().then((content) => {
        setText(content);
        importText(content);
      });
    }
  };

  return (
    <Modal title="Import a policy from YAML" isOpen={isOpen} onDismiss={onDismiss}>
      <Stack direction="column" gap={2}>
        <FileUpload accept=".yaml,.yml,.json" onFileUpload={readFile}>
          Upload a file
        </FileUpload>
        <TextArea
          rows={14}
          value={text}
          placeholder={
            'name: checkout-canary\nsteps:\n  - weight: 5\n    minDuration: 1m\ngates:\n  - name: errors\n    kind: error-rate\n    provider: router'
          }
          onChange={(e) => setText(e.currentTarget.value)}
          aria-label="Policy YAML"
        />
        {problem && (
          <Alert severity="error" title="Cannot import">
            {problem}
          </Alert>
        )}
      </Stack>
      <Modal.ButtonRow>
        <Button variant="secondary" onClick={onDismiss}>
          Cancel
        </Button>
        <Button onClick={() => importText(text)} disabled={text.trim() === ''}>
          Import
        </Button>
      </Modal.ButtonRow>
    </Modal>
  );
}
