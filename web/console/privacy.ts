import type { GraphQLBody, GraphQLErrorShape } from '../shared/graphql.js';

/** What the privacy layer did to one field occurrence (allowed fields have none). */
export interface FieldNote {
  readonly decision: 'deny' | 'mask' | 'hash';
  readonly reason: string;
  readonly piiClass: string | undefined;
}

/** The reasons of the privacy contract, in words an agent can repeat to a customer. */
const REASON_TEXT: Record<string, string> = {
  PURPOSE_REQUIRED: 'no purpose was stated for this request',
  POLICY_DENIES: 'the privacy policy does not release this kind of data for the chosen purpose',
  CONSENT_NOT_GRANTED: 'the customer has not consented to this purpose',
  POLICY_MASKS: 'the privacy policy masks this kind of data for the chosen purpose',
  POLICY_HASHES: 'the privacy policy hashes this kind of data for the chosen purpose',
  AUDIT_UNAVAILABLE: 'the access could not be audited, so the data is withheld',
  NOT_OWN_RECORD: 'this is not the signed-in customer’s own record',
  PII_ACCESS_DENIED: 'access to this personal data was denied',
};

export function reasonText(reason: string): string {
  return REASON_TEXT[reason] ?? 'withheld by the gateway';
}

/**
 * The field notes of one response, keyed by the path below the root field
 * (`profile.email`, `events.edges.3.node.properties`). They come from
 * `extensions.privacy.fields` and, for a withheld field, also from its
 * PII_ACCESS_DENIED error, so either alone marks the field.
 */
export class FieldNotes {
  private constructor(private readonly notes: ReadonlyMap<string, FieldNote>) {}

  static of(body: GraphQLBody<unknown>): FieldNotes {
    const notes = new Map<string, FieldNote>();
    for (const error of body.errors ?? []) {
      if (error.extensions?.code !== 'PII_ACCESS_DENIED' || !error.path) continue;
      notes.set(belowRoot(error.path.map(String)), {
        decision: 'deny',
        reason: error.extensions.reason ?? 'PII_ACCESS_DENIED',
        piiClass: error.extensions.piiClass,
      });
    }
    for (const field of body.extensions?.privacy?.fields ?? []) {
      notes.set(belowRoot(field.path.split('.')), { decision: field.decision, reason: field.reason, piiClass: field.piiClass });
    }
    return new FieldNotes(notes);
  }

  /** The note for a field, or for the nearest withheld or transformed ancestor of it. */
  at(path: string): FieldNote | undefined {
    const parts = path.split('.');
    for (let length = parts.length; length > 0; length--) {
      const note = this.notes.get(parts.slice(0, length).join('.'));
      if (note) return note;
    }
    return undefined;
  }

  get size(): number {
    return this.notes.size;
  }
}

function belowRoot(path: readonly string[]): string {
  return path.slice(1).join('.');
}

/** A source that failed for this response: the page says which, and that the rest is partial. */
export interface SourceFailure {
  readonly source: string;
  readonly code: string;
  /** The customer field that could not be filled (`loyalty`, `crm`), when the error names one. */
  readonly section: string | undefined;
}

export function sourceFailures(errors: readonly GraphQLErrorShape[] | undefined): SourceFailure[] {
  const failures: SourceFailure[] = [];
  for (const error of errors ?? []) {
    const source = error.extensions?.source;
    if (typeof source !== 'string') continue;
    const section = typeof error.path?.[1] === 'string' ? error.path[1] : undefined;
    if (failures.some((failure) => failure.source === source && failure.section === section)) continue;
    failures.push({ source, code: error.extensions?.code ?? 'SOURCE_UNAVAILABLE', section });
  }
  return failures;
}

/** Errors at a section of the customer (`customer.<section>…`) that are neither privacy nor source errors. */
export function sectionErrors(errors: readonly GraphQLErrorShape[] | undefined, section: string): GraphQLErrorShape[] {
  return (errors ?? []).filter(
    (error) => error.path?.[1] === section && error.extensions?.code !== 'PII_ACCESS_DENIED' && error.extensions?.source === undefined,
  );
}
