// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// Grafana's Combobox measures option text on a canvas, which jsdom does not draw.
HTMLCanvasElement.prototype.getContext = () => ({ measureText: (text) => ({ width: String(text).length * 7 }) });

// Grafana's components are heavy on a cold transform cache and a busy machine:
// waiting longer for something to appear changes no outcome, only patience.
require('@testing-library/react').configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

// Grafana's Combobox watches its option list scroll with IntersectionObserver, which jsdom lacks;
// nothing in the tests scrolls, so an observer that never reports is enough.
global.IntersectionObserver = class {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
};
