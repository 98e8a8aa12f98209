import { PanelPlugin } from '@grafana/data';

import { RolloutStatusPanel, type RolloutStatusOptions } from './RolloutStatusPanel';

export const plugin = new PanelPlugin<RolloutStatusOptions>(RolloutStatusPanel).setPanelOptions((builder) =>
  builder.addTextInput({
    path: 'service',
    name: 'Service',
    description: 'The service whose rollout to show; dashboard variables such as $service work.',
    defaultValue: '',
  })
);
