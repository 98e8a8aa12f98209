import type { KubeConfig } from '@kubernetes/client-node';

import type { ControllerKind, RouterTraffic, TrafficConfig } from '../domain/traffic-config.ts';
import type { TrafficLog } from './common.ts';
import { GatewayApiController } from './gateway-api.ts';
import { HaproxyController } from './haproxy.ts';
import { IstioController } from './istio.ts';
import { NginxController } from './nginx.ts';
import type { ControllerFor, TrafficController } from './types.ts';
import { TrafficError } from './types.ts';
import { WebhookController } from './webhook.ts';

/** The backend's own settings for its traffic controllers; nothing here comes from a policy. */
export interface ControllerOptions {
  log?: TrafficLog;
  /** The nginx executable (default /usr/sbin/nginx). */
  nginxBinary?: string;
  /** Kubernetes credentials; by default from KUBECONFIG, ~/.kube/config or the in-cluster service account. */
  kubeConfig?: KubeConfig;
  kubernetesTimeoutMs?: number;
  /** Where webhook signing secrets are looked up (default: the process environment). */
  env?: Record<string, string | undefined>;
  /** The built-in router's controller, made by whoever starts the backend. */
  router?: (config: RouterTraffic) => TrafficController;
}

/**
 * Chooses a controller by `config.controller`. One instance per kind is
 * made on first use and kept: the proxy settings travel with each call, so
 * one instance serves every service of its kind.
 */
export function createControllerFor(options: ControllerOptions = {}): ControllerFor {
  const made = new Map<ControllerKind, TrafficController>();
  const once = (kind: ControllerKind, make: () => TrafficController) => {
    const existing = made.get(kind);
    if (existing !== undefined) return existing;
    const controller = make();
    made.set(kind, controller);
    return controller;
  };
  const kubernetes = { kubeConfig: options.kubeConfig, timeoutMs: options.kubernetesTimeoutMs, log: options.log };

  return (config: TrafficConfig): TrafficController => {
    switch (config.controller) {
      case 'router':
        if (options.router === undefined)
          throw new TrafficError('router', 'no router controller was given to createControllerFor');
        return options.router(config);
      case 'haproxy':
        return once('haproxy', () => new HaproxyController({ log: options.log }));
      case 'nginx':
        return once('nginx', () => new NginxController({ binary: options.nginxBinary, log: options.log }));
      case 'gateway-api':
        return once('gateway-api', () => new GatewayApiController(kubernetes));
      case 'istio':
        return once('istio', () => new IstioController(kubernetes));
      case 'webhook':
        return once('webhook', () => new WebhookController({ env: options.env }));
      default:
        throw new TrafficError(
          (config as { controller: ControllerKind }).controller,
          `unknown traffic controller "${String((config as { controller: unknown }).controller)}"`
        );
    }
  };
}
