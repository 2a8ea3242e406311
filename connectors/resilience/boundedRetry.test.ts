import { describe, expect, it } from 'vitest';
import { AGAIN, boundedRetry, errorsOf } from './boundedRetry.js';

class Lost extends Error {}
const options = { attempts: 4, initialDelayMs: 1, maxDelayMs: 2, exhausted: () => new Error('kept changing') };

describe('boundedRetry', () => {
  it('runs an attempt again while it answers AGAIN, and no more than the bound', async () => {
    let calls = 0;
    await expect(boundedRetry(options, () => (calls++, AGAIN))).rejects.toThrow('kept changing');
    expect(calls).toBe(4);
  });

  it('answers what the first attempt that is not AGAIN answers (attempts count from 0)', async () => {
    let calls = 0;
    expect(await boundedRetry(options, async (n) => (++calls < 3 ? AGAIN : `done at attempt ${n}`))).toBe('done at attempt 2');
    expect(calls).toBe(3);
  });

  it('retries the errors it is told to, up to the bound, then throws the exhausted error', async () => {
    let calls = 0;
    const failing = () => {
      calls++;
      throw new Lost('race');
    };
    await expect(boundedRetry({ ...options, retryOn: errorsOf(Lost) }, failing)).rejects.toThrow('kept changing');
    expect(calls).toBe(4);
  });

  it('lets any other error through at once', async () => {
    let calls = 0;
    const failing = () => {
      calls++;
      throw new TypeError('bad input');
    };
    await expect(boundedRetry({ ...options, retryOn: errorsOf(Lost) }, failing)).rejects.toThrow(TypeError);
    expect(calls).toBe(1);
  });
});
