import { LRUCache } from 'lru-cache';
import type { LeaseOutcome, LeaseRequest, RateLimitStore } from './port.js';

/**
 * Window counts in this process: each gateway instance enforces the limit on
 * its own share of the traffic. The least recently used counts are dropped
 * past `maxWindows`; a dropped count comes back at zero, which only an idle
 * principal's window loses.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly spent: LRUCache<string, number>;

  constructor(maxWindows = 100_000) {
    this.spent = new LRUCache({ max: maxWindows });
  }

  async lease(request: LeaseRequest): Promise<LeaseOutcome> {
    const id = windowId(request);
    const spent = this.spent.get(id) ?? 0;
    if (spent + request.tokens > request.limit) return 'exhausted';
    this.spent.set(id, spent + request.tokens);
    return 'granted';
  }

  async close(): Promise<void> {
    this.spent.clear();
  }
}

/** `principal#windowStart`: the window start is digits only, so two keys never share an id. */
export function windowId(request: Pick<LeaseRequest, 'key' | 'windowStart'>): string {
  return `${request.key}#${request.windowStart}`;
}
