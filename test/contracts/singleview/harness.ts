import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SingleViewItems } from '../../../connectors/singleview/memory.js';
import type { SingleViewPort } from '../../../connectors/singleview/port.js';

export interface OpenedSingleView {
  readonly store: SingleViewPort;
  close(): Promise<void>;
}

/** A single view adapter under test: opens a fresh store, empty or loaded with items as stored. */
export interface SingleViewAdapter {
  readonly name: string;
  open(items?: SingleViewItems): Promise<OpenedSingleView>;
}

/** Every method of a role port, each named once: the type refuses a list that leaves one out. */
export type RoleMethods<Role> = { readonly [K in keyof Role]-?: true };

/** What a role's suite gets: the store it runs against, and more fresh stores when a test needs its own. */
export interface RoleContext {
  /** The suite's store (loaded with the suite's items), valid inside tests. */
  readonly store: SingleViewPort;
  open(items?: SingleViewItems): Promise<SingleViewPort>;
}

export interface RoleContract<Role> {
  /** The role port's name in connectors/singleview/port.ts. */
  readonly role: string;
  readonly methods: RoleMethods<Role>;
  /** Items the suite's store is loaded with. */
  readonly items?: SingleViewItems;
  readonly tests: (context: RoleContext) => void;
}

/** A role's suite as the runner takes it. */
export interface RoleSuite {
  readonly role: string;
  readonly methods: Readonly<Record<string, true>>;
  readonly items?: SingleViewItems;
  readonly tests: (context: RoleContext) => void;
}

/** Declares one role port's contract suite (typed by the role, so its method list stays complete). */
export function roleContract<Role>(contract: RoleContract<Role>): RoleSuite {
  return contract as RoleSuite;
}

/**
 * Runs one role's suite against one adapter. Every call to the store is
 * recorded, and the suite ends by checking that it called each method of
 * its role: a method added to the role without a test fails here.
 */
export function runRoleContract(contract: RoleSuite, adapter: SingleViewAdapter): void {
  describe(`${contract.role} contract: ${adapter.name}`, () => {
    const called = new Set<string>();
    const opened: OpenedSingleView[] = [];
    let current: SingleViewPort | undefined;

    const open = async (items?: SingleViewItems): Promise<SingleViewPort> => {
      const view = await adapter.open(items);
      let closed: Promise<void> | undefined;
      const close = () => (closed ??= view.close());
      opened.push({ store: view.store, close });
      return recording(view.store, called, close);
    };
    const store = new Proxy({} as SingleViewPort, {
      get: (_, name) => {
        if (!current) throw new Error(`${contract.role}: the store is opened in beforeAll`);
        return current[name as keyof SingleViewPort];
      },
    });

    beforeAll(async () => {
      current = await open(contract.items);
    });
    afterAll(async () => {
      await Promise.all(opened.map((view) => view.close()));
    });

    contract.tests({ store, open });

    it(`calls every method of ${contract.role}`, () => {
      expect(Object.keys(contract.methods).filter((method) => !called.has(method))).toEqual([]);
    });
  });
}

/** The store, recording the name of each method called; `close` closes it once. */
function recording(store: SingleViewPort, called: Set<string>, close: () => Promise<void>): SingleViewPort {
  return new Proxy(store, {
    get: (target, name, receiver) => {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      return (...args: unknown[]) => {
        called.add(name);
        return name === 'close' ? close() : (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
