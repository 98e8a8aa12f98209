import { isDeepStrictEqual } from 'node:util';

import { ApiException, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';

import type { RoutingState } from '../domain/rollout.ts';
import type { ControllerKind } from '../domain/traffic-config.ts';
import type { TrafficLog } from './common.ts';
import { reasonOf } from './common.ts';
import { TrafficError } from './types.ts';

/** How many times a replace refused with 409 Conflict is re-read and tried again. */
export const MAX_CONFLICT_RETRIES = 5;
const DEFAULT_TIMEOUT_MS = 10_000;

export interface KubernetesControllerOptions {
  /** Credentials and API server; by default from KUBECONFIG, ~/.kube/config or the in-cluster service account. */
  kubeConfig?: KubeConfig;
  /** Per-request timeout. */
  timeoutMs?: number;
  log?: TrafficLog;
}

/** One namespaced custom resource, as the API's URL names it. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  /** As it reads in messages: `HTTPRoute shop/checkout`. */
  kind: string;
  namespace: string;
  name: string;
}

export type KubeObject = Record<string, unknown> & {
  metadata?: { resourceVersion?: string; [key: string]: unknown };
  spec?: Record<string, unknown>;
};

export function describe(ref: ResourceRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/**
 * Reads and replaces one custom resource with optimistic concurrency: every
 * replace carries the resourceVersion it read, so a write made by someone
 * else in between is refused (409 Conflict) instead of being overwritten;
 * Sentra then reads again and redoes its edit on the fresh object.
 */
export class ResourceClient {
  readonly #controller: ControllerKind;
  readonly #options: KubernetesControllerOptions;
  #api: CustomObjectsApi | null = null;

  constructor(controller: ControllerKind, options: KubernetesControllerOptions) {
    this.#controller = controller;
    this.#options = options;
  }

  async get(ref: ResourceRef): Promise<KubeObject> {
    return (await this.#call(ref, 'read', (api) => api.getNamespacedCustomObject({ ...path(ref) }))) as KubeObject;
  }

  /**
   * Applies `edit` (which returns the object to write, or null when nothing
   * needs to change) and returns the object as stored afterwards.
   */
  async update(
    ref: ResourceRef,
    edit: (current: KubeObject) => KubeObject | null
  ): Promise<{ object: KubeObject; changed: boolean }> {
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
      const current = await this.get(ref);
      const next = edit(structuredClone(current));
      if (next === null || isDeepStrictEqual(next, current)) return { object: current, changed: false };

      try {
        const body = next;
        const stored = await this.#call(ref, 'replace', (api) =>
          api.replaceNamespacedCustomObject({ ...path(ref), body })
        );
        return { object: stored as KubeObject, changed: true };
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    throw new TrafficError(
      this.#controller,
      `${describe(ref)} kept changing under Sentra: ${MAX_CONFLICT_RETRIES + 1} replaces in a row were refused with 409 Conflict`
    );
  }

  async #call(ref: ResourceRef, verb: string, call: (api: CustomObjectsApi) => Promise<unknown>): Promise<unknown> {
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([call(this.#client()), timeout]);
    } catch (error) {
      throw this.#translate(ref, verb, error);
    } finally {
      clearTimeout(timer);
    }
  }

  #client(): CustomObjectsApi {
    if (this.#api === null) {
      const config = this.#options.kubeConfig ?? defaultKubeConfig();
      this.#api = config.makeApiClient(CustomObjectsApi);
    }
    return this.#api;
  }

  /** API errors carry a Status object; its `reason` and `message` tell what went wrong. */
  #translate(ref: ResourceRef, verb: string, error: unknown): Error {
    if (!(error instanceof ApiException)) {
      return new TrafficError(this.#controller, `cannot ${verb} ${describe(ref)}: ${reasonOf(error)}`, {
        cause: error,
      });
    }
    const status = statusOf(error.body);
    if (error.code === 409 && verb === 'replace') return new ConflictError();
    if (error.code === 404) {
      return new TrafficError(this.#controller, `${describe(ref)} not found${status ? `: ${status}` : ''}`, {
        cause: error,
      });
    }
    const said = status ?? `HTTP ${error.code}`;
    return new TrafficError(this.#controller, `cannot ${verb} ${describe(ref)}: ${said}`, { cause: error });
  }
}

class ConflictError extends Error {}

function path(ref: ResourceRef) {
  return { group: ref.group, version: ref.version, namespace: ref.namespace, plural: ref.plural, name: ref.name };
}

function defaultKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromDefault();
  return config;
}

/** `Forbidden: httproutes ... is forbidden: ...` from a Status body (text or parsed). */
function statusOf(body: unknown): string | null {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim().slice(0, 500) || null;
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { reason, message } = parsed as { reason?: unknown; message?: unknown };
  if (typeof message !== 'string') return null;
  return typeof reason === 'string' && reason !== '' ? `${reason}: ${message}` : message;
}
