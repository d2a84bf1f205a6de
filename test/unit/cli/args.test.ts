import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  durationArg,
  endpointArg,
  formatDuration,
  parseDuration,
  positiveNumberArg,
  textArg,
  wholeNumberArg,
} from '../../../lib/cli/args';

describe('Function: parseDuration', () => {
  it.each([
    ['0', 0],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    [' 45m ', 2_700_000],
  ])('reads %j as %d ms', (text, ms) => {
    // Act / Assess
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', 'abc', '-5m', '5x', '1h 30m', 'm', '1hh', '30m-'])(
    'rejects %j naming the expected form',
    (text) => {
      // Act / Assess
      expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
      expect(() => parseDuration(text)).toThrow('must be a duration like 90s, 30m, 1h or 1h30m');
    },
  );
});

describe('Function: formatDuration', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m'],
    [604_800_000, '7d'],
  ])('formats %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('Function: durationArg', () => {
  const hold = durationArg({ minMs: 0, maxMs: 86_400_000, wholeMinutes: true });

  it('accepts a duration within the bounds, in ms', () => {
    expect(hold('2h')).toBe(7_200_000);
    expect(hold('0')).toBe(0);
  });

  it('rejects a duration above the bound, naming the range', () => {
    expect(() => hold('2d')).toThrow('must be from 0s to 1d');
  });

  it('rejects what is not whole minutes rather than rounding it', () => {
    expect(() => hold('90s')).toThrow('must be whole minutes (e.g. 30m)');
  });
});

describe('Function: wholeNumberArg', () => {
  const to = wholeNumberArg(0);
  const limit = wholeNumberArg(1, 100);

  it('accepts whole numbers', () => {
    expect(to('0')).toBe(0);
    expect(to('12')).toBe(12);
    expect(limit('100')).toBe(100);
  });

  it.each(['-1', 'abc', '1.5', '', '1e3', '99999999999999999999'])(
    'rejects %j as not a whole number',
    (text) => {
      expect(() => to(text)).toThrow('must be a whole number ≥ 0');
    },
  );

  it('rejects values out of range, naming the range', () => {
    expect(() => limit('0')).toThrow('must be from 1 to 100');
    expect(() => limit('101')).toThrow('must be from 1 to 100');
  });
});

describe('Function: positiveNumberArg', () => {
  it('accepts fractions above 0 up to the maximum', () => {
    expect(positiveNumberArg(100)('0.5')).toBe(0.5);
    expect(positiveNumberArg(100)('100')).toBe(100);
  });

  it.each(['0', '-3', 'fast', '', '101'])('rejects %j', (text) => {
    expect(() => positiveNumberArg(100)(text)).toThrow('must be a number above 0 and at most 100');
  });
});

describe('Function: textArg', () => {
  it('trims and bounds the text', () => {
    expect(textArg(5)(' ok ')).toBe('ok');
    expect(() => textArg(5)('   ')).toThrow('must not be empty');
    expect(() => textArg(5)('too long')).toThrow('must be at most 5 characters');
  });
});

describe('Function: endpointArg', () => {
  it('accepts http and https URLs', () => {
    expect(endpointArg('http://127.0.0.1:9500')).toBe('http://127.0.0.1:9500');
    expect(endpointArg('https://lambda.eu-west-1.amazonaws.com')).toBe(
      'https://lambda.eu-west-1.amazonaws.com',
    );
  });

  it.each(['127.0.0.1:9500', 'ftp://x', 'not a url'])('rejects %j', (text) => {
    expect(() => endpointArg(text)).toThrow(InvalidArgumentError);
  });
});
