import { formatGateValue, formatNumber, formatPValue, numberOf } from './format';

describe('gate value formatting', () => {
  test('writes each kind in its own unit', () => {
    expect(formatGateValue(0.0123, 'error-rate')).toBe('1.23%');
    expect(formatGateValue(0.05, 'latency')).toBe('5%');
    expect(formatGateValue(0.2345, 'latency', true)).toBe('0.2345 s');
    expect(formatGateValue(14.4, 'burn-rate')).toBe('14.4×');
    expect(formatGateValue(3, 'query')).toBe('3');
    expect(formatGateValue(null, 'query')).toBe('–');
  });

  test('shows infinities and NaN as the API spells them, never as a number', () => {
    expect(formatGateValue('+Inf', 'latency', true)).toBe('+Inf');
    expect(formatGateValue(Infinity, 'error-rate')).toBe('+Inf');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(numberOf('-Inf')).toBe(-Infinity);
    expect(Number.isNaN(numberOf('NaN'))).toBe(true);
  });

  test('keeps tiny p-values readable', () => {
    expect(formatPValue(0.00001)).toBe('< 0.0001');
    expect(formatPValue(0.0412)).toBe('0.0412');
    expect(formatPValue(null)).toBe('–');
  });
});
