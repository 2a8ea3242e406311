import { describe, expect, it } from 'vitest';
import { generateDemoData } from '../embedded/demoData.js';
import { TrackingPlanError, loadTrackingPlan, parseTrackingPlan } from './trackingPlan.js';

describe('the tracking plan', () => {
  const plan = loadTrackingPlan();

  it('accepts every event of the demo data, each property with a class of its own (none left SENSITIVE)', () => {
    const { events } = generateDemoData({ customers: 200, seed: 360 });
    const problems = events.flatMap((event) => {
      const properties = event.properties ?? {};
      const problem = plan.check(event.type, properties);
      const undeclared = Object.keys(properties).filter((name) => plan.classOf(event.type, name) === 'SENSITIVE');
      return problem || undeclared.length > 0 ? [{ type: event.type, problem, undeclared }] : [];
    });
    expect(problems).toEqual([]);
    expect(plan.classOf('Order Completed', 'total')).toBe('FINANCIAL');
    expect(plan.classOf('Order Completed', 'orderId')).toBe('IDENTIFIER');
  });

  it.each([
    ['an undeclared property', 'Order Completed', { total: 1, shipTo: 'x' }, { kind: 'unplanned', names: ['shipTo'], unnamed: 0 }],
    ['an event type the plan does not list, with properties', 'Custom Thing', { a: 1 }, { kind: 'unplanned', names: ['a'], unnamed: 0 }],
    ['a key that is no plain name', 'Page Viewed', { 'someone@example.com': 1 }, { kind: 'unplanned', names: [], unnamed: 1 }],
    ['text for a number', 'Order Completed', { total: '12' }, { kind: 'type', name: 'total', expected: 'number' }],
    ['a fraction for an integer', 'Order Completed', { items: 2.5 }, { kind: 'type', name: 'items', expected: 'integer' }],
    ['an infinite number', 'Product Viewed', { price: Number.POSITIVE_INFINITY }, { kind: 'type', name: 'price', expected: 'number' }],
  ])('refuses %s', (_case, type, properties, problem) => {
    expect(plan.check(type, properties)).toEqual(problem);
  });

  it('accepts an event without properties whatever its type, and a null where a property is declared', () => {
    expect(plan.check('Custom Thing', {})).toBeUndefined();
    expect(plan.check('Order Completed', { total: null })).toBeUndefined();
  });

  it('stores what a quarantining event type does not declare, as SENSITIVE', () => {
    const quarantining = parseTrackingPlan({ events: { Form: { properties: { form: { type: 'string', class: 'BEHAVIORAL' } }, unplanned: 'quarantine' } } });
    expect(quarantining.check('Form', { form: 'signup', email: 'x@example.com' })).toBeUndefined();
    expect(quarantining.classOf('Form', 'email')).toBe('SENSITIVE');
    const open = parseTrackingPlan({ events: {}, otherEvents: { unplanned: 'quarantine' } });
    expect(open.check('Anything', { note: 'x' })).toBeUndefined();
  });

  it.each([
    [{ events: { A: { properties: { x: { type: 'text', class: 'BEHAVIORAL' } } } } }, 'events.A.properties.x.type: expected one of string, number, integer, boolean, object, array'],
    [{ events: { A: { properties: { x: { type: 'string', class: 'PRIVATE' } } } } }, 'events.A.properties.x.class: expected one of CONTACT'],
    [{ events: { A: { properties: {}, unplanned: 'ignore' } } }, 'events.A.unplanned: expected one of refuse, quarantine'],
    [{ events: {}, extra: true }, 'extra: Unrecognized key'],
  ])('refuses a plan file that does not follow the documented shape: %j', (raw, message) => {
    expect(() => parseTrackingPlan(raw, 'plan.json')).toThrow(TrackingPlanError);
    expect(() => parseTrackingPlan(raw, 'plan.json')).toThrow(message);
  });
});
