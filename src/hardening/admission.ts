import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import type { OperationDefinitionNode, SelectionSetNode, ValueNode } from 'graphql';
import type { AdmissionSettings } from '../config.js';
import type { GatewayContext } from '../context.js';
import { overloaded } from '../errors.js';

/** Customers of a `customers(ids:)` batch that count as one slot. */
export const CUSTOMERS_PER_SLOT = 25;

/** What /readyz shows of the admission queue. */
export interface AdmissionState {
  readonly limit: number;
  readonly running: number;
  readonly queued: number;
  /** Requests answered OVERLOADED since the start, by reason. */
  readonly shed: { readonly queueFull: number; readonly waitedTooLong: number };
}

/** A slot (or several) held by one operation; `release` is idempotent. */
export interface Admission {
  release(): void;
}

interface Waiter {
  readonly principal: string;
  readonly weight: number;
  readonly grant: (admission: Admission) => void;
  readonly refuse: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

const NOTHING_HELD: Admission = { release() {} };

/**
 * Admission control (docs/security.md, "Overload"): at most `limit` slots of
 * operations execute at once; the rest wait, each principal in its own
 * arrival-ordered queue, and the queues take turns, so one partner's batches
 * cannot starve another principal's single reads. A batch holds one slot per
 * CUSTOMERS_PER_SLOT customers it asks for (at most a quarter of the slots).
 * An operation that cannot start within `waitMs` is answered 503 OVERLOADED
 * with `Retry-After`, before it has touched any source; when `queueSize`
 * operations already wait, the newest waiter of the principal with the
 * longest queue makes room (or, if that is the newcomer's own, the newcomer
 * is refused). Memory is bounded by `queueSize` waiters.
 */
export class AdmissionControl {
  private running = 0;
  private queued = 0;
  /** Insertion order is the turn order: a principal served goes to the back. */
  private readonly queues = new Map<string, Waiter[]>();
  private readonly shed = { queueFull: 0, waitedTooLong: 0 };
  readonly maxWeight: number;

  constructor(private readonly settings: AdmissionSettings) {
    this.maxWeight = Math.max(1, Math.floor(settings.maxConcurrent / 4));
  }

  get enabled(): boolean {
    return this.settings.maxConcurrent > 0;
  }

  state(): AdmissionState {
    return { limit: this.settings.maxConcurrent, running: this.running, queued: this.queued, shed: { ...this.shed } };
  }

  /** Slots for `customers` customers asked at once (a batch), within 1 … maxWeight. */
  weightOf(customers: number): number {
    return Math.min(this.maxWeight, Math.max(1, Math.ceil(customers / CUSTOMERS_PER_SLOT)));
  }

  /** Resolves when the operation may run; rejects with OVERLOADED when it may not. */
  admit(principal: string, weight: number): Admission | Promise<Admission> {
    if (!this.enabled) return NOTHING_HELD;
    if (this.queued === 0 && this.running + weight <= this.settings.maxConcurrent) return this.hold(weight);
    if (this.settings.waitMs === 0) return this.refuse('queueFull');
    if (this.queued >= this.settings.queueSize && !this.makeRoomFor(principal)) return this.refuse('queueFull');
    return new Promise<Admission>((grant, refuse) => {
      const waiter: Waiter = { principal, weight, grant, refuse, timer: undefined };
      waiter.timer = setTimeout(() => {
        this.remove(waiter);
        this.shed.waitedTooLong += 1;
        refuse(this.error());
      }, this.settings.waitMs);
      let queue = this.queues.get(principal);
      if (!queue) this.queues.set(principal, (queue = []));
      queue.push(waiter);
      this.queued += 1;
    });
  }

  /** Everyone waiting is refused (shutdown): nothing waits for a slot that will never come. */
  close(): void {
    for (const queue of this.queues.values()) {
      for (const waiter of queue) {
        clearTimeout(waiter.timer);
        waiter.refuse(this.error());
      }
    }
    this.queues.clear();
    this.queued = 0;
  }

  private hold(weight: number): Admission {
    this.running += weight;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.running -= weight;
        this.dispatch();
      },
    };
  }

  /** Grants waiters in turn, one per principal per turn, while their slots fit. */
  private dispatch(): void {
    while (this.queued > 0) {
      const [principal, queue] = this.queues.entries().next().value as [string, Waiter[]];
      const head = queue[0]!;
      if (this.running + head.weight > this.settings.maxConcurrent) return;
      queue.shift();
      this.queued -= 1;
      this.queues.delete(principal);
      if (queue.length > 0) this.queues.set(principal, queue);
      clearTimeout(head.timer);
      head.grant(this.hold(head.weight));
    }
  }

  /** The queue is full: the principal with the longest queue gives up its newest waiter, unless that is the newcomer's own. */
  private makeRoomFor(principal: string): boolean {
    let longest: Waiter[] | undefined;
    let longestPrincipal: string | undefined;
    for (const [name, queue] of this.queues) {
      if (!longest || queue.length > longest.length) {
        longest = queue;
        longestPrincipal = name;
      }
    }
    if (!longest || longestPrincipal === principal || (this.queues.get(principal)?.length ?? 0) + 1 >= longest.length) return false;
    const evicted = longest[longest.length - 1]!;
    this.remove(evicted);
    this.shed.queueFull += 1;
    evicted.refuse(this.error());
    return true;
  }

  private remove(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    const queue = this.queues.get(waiter.principal);
    if (!queue) return;
    const index = queue.indexOf(waiter);
    if (index < 0) return;
    queue.splice(index, 1);
    this.queued -= 1;
    if (queue.length === 0) this.queues.delete(waiter.principal);
  }

  private refuse(reason: keyof AdmissionControl['shed']): never {
    this.shed[reason] += 1;
    throw this.error();
  }

  private error() {
    return overloaded(Math.max(1, Math.ceil(this.settings.waitMs / 1000)));
  }
}

/**
 * How many customers the operation asks for at once: the `ids` of every
 * `customers` root field (a literal list or a variable), at least 1.
 */
export function customersAsked(operation: OperationDefinitionNode | undefined, variables: Record<string, unknown> | undefined): number {
  return operation ? Math.max(1, countIds(operation.selectionSet, variables ?? {}, 0)) : 1;
}

function countIds(selectionSet: SelectionSetNode, variables: Record<string, unknown>, depth: number): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT && depth < 4) total += countIds(selection.selectionSet, variables, depth + 1);
    if (selection.kind !== Kind.FIELD || selection.name.value !== 'customers') continue;
    const ids = selection.arguments?.find((argument) => argument.name.value === 'ids');
    if (ids) total += listLength(ids.value, variables);
  }
  return total;
}

function listLength(value: ValueNode, variables: Record<string, unknown>): number {
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.VARIABLE) {
    const given = variables[value.name.value];
    return Array.isArray(given) ? given.length : 1;
  }
  return 1;
}

/**
 * Takes the operation's slots once it is known to be valid and within its
 * limits (the last didResolveOperation hook), and gives them back when the
 * response is sent. A refused operation has touched no source.
 */
export function admissionPlugin(admission: AdmissionControl): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      if (!admission.enabled) return;
      let held: Admission = NOTHING_HELD;
      let released = false;
      return {
        async didResolveOperation({ operation, request, contextValue }) {
          const weight = admission.weightOf(customersAsked(operation, request.variables));
          const granted = await admission.admit(contextValue.principal.id, weight);
          // The response may already have gone (another hook refused the operation meanwhile).
          if (released) granted.release();
          else held = granted;
        },
        async willSendResponse() {
          released = true;
          held.release();
        },
      };
    },
  };
}
