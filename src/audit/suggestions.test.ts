import { describe, expect, it } from 'vitest';
import { suggestionDecision } from './suggestions.js';

const suggestion = { id: 'ms_pair', origin: 'UNVERIFIED_MERGE' as const };

describe('audit records of a decision on a merge suggestion', () => {
  it('puts one record on each customer, naming the suggestion and the side, never the other customer', () => {
    const entries = suggestionDecision(suggestion, 'ACCEPTED', [
      { customerId: 'cus_survivor', side: 'survivor' },
      { customerId: 'cus_absorbed', side: 'absorbed' },
    ]);
    expect(entries).toEqual([
      { customerId: 'cus_survivor', detail: { change: 'mergeSuggestion', decision: 'ACCEPTED', suggestion: 'ms_pair', origin: 'UNVERIFIED_MERGE', side: 'survivor' } },
      { customerId: 'cus_absorbed', detail: { change: 'mergeSuggestion', decision: 'ACCEPTED', suggestion: 'ms_pair', origin: 'UNVERIFIED_MERGE', side: 'absorbed' } },
    ]);
    for (const entry of entries) {
      const others = ['cus_survivor', 'cus_absorbed'].filter((id) => id !== entry.customerId);
      for (const other of others) expect(JSON.stringify(entry.detail)).not.toContain(other);
    }
  });

  it('records a customer once when both ids had already become one', () => {
    const entries = suggestionDecision(suggestion, 'REJECTED', [
      { customerId: 'cus_one', side: 'kept-apart' },
      { customerId: 'cus_one', side: 'kept-apart' },
    ]);
    expect(entries.map((entry) => entry.customerId)).toEqual(['cus_one']);
  });
});
