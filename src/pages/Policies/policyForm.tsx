import React, { createContext, useContext, type ReactNode } from 'react';
import { Field, FieldValidationMessage, Input, RadioButtonGroup, Switch } from '@grafana/ui';

import type { FieldError } from '../../api/types';
import { getAt, numberFromText } from './pointer';

export type PolicyDraft = Record<string, unknown>;

interface PolicyFormValue {
  draft: PolicyDraft;
  errors: FieldError[];
  set: (pointer: string, value: unknown) => void;
  readOnlyPointers?: string[];
}

const PolicyFormContext = createContext<PolicyFormValue | null>(null);

export function PolicyFormProvider({ value, children }: { value: PolicyFormValue; children: ReactNode }) {
  return <PolicyFormContext.Provider value={value}>{children}</PolicyFormContext.Provider>;
}

export function usePolicyForm(): PolicyFormValue {
  const value = useContext(PolicyFormContext);
  if (value === null) {
    throw new Error('usePolicyForm is used outside PolicyFormProvider');
  }
  return value;
}

/** The backend's messages for exactly this field, joined. */
export function errorAt(errors: FieldError[], pointer: string): string | undefined {
  const messages = errors.filter((e) => e.field === pointer).map((e) => e.message);
  return messages.length > 0 ? messages.join('; ') : undefined;
}

interface FieldProps {
  pointer: string;
  label: string;
  description?: string;
  placeholder?: string;
  width?: number;
}

export function useFieldState(pointer: string) {
  const form = usePolicyForm();
  return {
    value: getAt(form.draft, pointer),
    error: errorAt(form.errors, pointer),
    set: (value: unknown) => form.set(pointer, value),
    readOnly: form.readOnlyPointers?.includes(pointer) ?? false,
  };
}

/** A text field; empty text removes the field from the policy. */
export function TextField({ pointer, label, description, placeholder, width = 24 }: FieldProps) {
  const { value, error, set, readOnly } = useFieldState(pointer);
  return (
    <Field label={label} description={description} invalid={Boolean(error)} error={error} noMargin>
      <Input
        width={width}
        value={typeof value === 'string' ? value : value === undefined ? '' : String(value)}
        placeholder={placeholder}
        disabled={readOnly}
        data-pointer={pointer}
        onChange={(e) => set(e.currentTarget.value === '' ? undefined : e.currentTarget.value)}
      />
    </Field>
  );
}

/** A number field; what does not read as a number is sent as typed, and the backend says why it is wrong. */
export function NumberField({ pointer, label, description, placeholder, width = 12 }: FieldProps) {
  const { value, error, set } = useFieldState(pointer);
  return (
    <Field label={label} description={description} invalid={Boolean(error)} error={error} noMargin>
      <Input
        width={width}
        inputMode="decimal"
        value={value === undefined ? '' : String(value)}
        placeholder={placeholder}
        data-pointer={pointer}
        onChange={(e) => set(numberFromText(e.currentTarget.value))}
      />
    </Field>
  );
}

export function SwitchField({ pointer, label }: FieldProps) {
  const { value, error, set } = useFieldState(pointer);
  return (
    <Field label={label} invalid={Boolean(error)} error={error} noMargin>
      <Switch
        value={value === true}
        data-pointer={pointer}
        onChange={(e) => set(e.currentTarget.checked ? true : undefined)}
      />
    </Field>
  );
}

interface ChoiceFieldProps extends FieldProps {
  options: readonly string[];
  /** Replaces the plain write, for choices that reshape the policy (a gate's kind). */
  onChoose?: (value: string) => void;
}

/** One of a small closed set of words (gate kind, provider, comparison). */
export function ChoiceField({ pointer, label, description, options, onChoose }: ChoiceFieldProps) {
  const { value, error, set } = useFieldState(pointer);
  return (
    <Field label={label} description={description} invalid={Boolean(error)} error={error} noMargin>
      <RadioButtonGroup
        size="sm"
        options={options.map((o) => ({ label: o, value: o }))}
        value={typeof value === 'string' ? value : undefined}
        onChange={(chosen) => (onChoose ?? set)(chosen)}
      />
    </Field>
  );
}

/** The backend's message for a whole item (a step, a gate, a list), where no single input can carry it. */
export function PointerError({ pointer }: { pointer: string }) {
  const form = usePolicyForm();
  const error = errorAt(form.errors, pointer);
  return error ? <FieldValidationMessage>{error}</FieldValidationMessage> : null;
}
