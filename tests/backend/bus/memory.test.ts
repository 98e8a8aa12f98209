import { MemoryBus, MemoryHub } from '../../../backend/src/bus/memory.ts';
import type { Bus } from '../../../backend/src/bus/types.ts';
import { T0 } from '../../support/builders.ts';
import { busSuite } from './bus-suite.ts';

busSuite('memory', () => {
  let now = T0;
  const hub = new MemoryHub({ clock: () => now });
  const opened: Bus[] = [];
  return {
    open: async (onError) => {
      const bus = new MemoryBus({ hub, onError });
      opened.push(bus);
      return bus;
    },
    advance: async (ms) => {
      now += ms;
    },
    cleanup: async () => {
      for (const bus of opened) await bus.close();
    },
  };
});
