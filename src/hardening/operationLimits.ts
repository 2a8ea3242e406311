import { ApolloArmor } from '@escape.tech/graphql-armor';
import { Lexer, Source, TokenKind } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { GraphQLError, ValidationContext, ValidationRule } from 'graphql';
import type { OperationLimits } from '../config.js';
import { queryTooComplex } from '../errors.js';
import type { OperationLimitName } from '../errors.js';
import type { RequestCheck } from './checks.js';
import { queryCostCheck } from './queryCost.js';
import { refusal } from './refusals.js';
import { maxRootFieldsRule } from './rootFields.js';

export interface OperationLimitProtection {
  readonly validationRules: ValidationRule[];
  readonly checks: RequestCheck[];
}

/**
 * The operation limits of docs/security.md, all checked before execution so
 * a query over a limit never reaches a source:
 * - tokens: counted by graphql-js's lexer before the document is parsed;
 * - depth, aliases, directives: GraphQL Armor's validation rules;
 * - root fields: a validation rule of ours (Armor has none);
 * - cost: graphql-query-complexity, once the variables are known.
 * Each refusal is QUERY_TOO_COMPLEX (HTTP 400) naming the limit and its value.
 */
export function operationLimits(limits: OperationLimits): OperationLimitProtection {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.depth, flattenFragments: true, ...rejectAs('depth', limits.depth) },
    maxAliases: { n: limits.aliases, ...rejectAs('aliases', limits.aliases) },
    maxDirectives: { n: limits.directives, ...rejectAs('directives', limits.directives) },
    // Tokens are counted before parsing (below), cost once variables are known
    // (queryCost.ts: Armor's cost limit cannot weigh a list by its `first`), and
    // suggestions are Apollo's own setting (hideSchemaDetailsFromClientErrors).
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return {
    // Armor ships CommonJS-only types, so its rule type differs from the ESM graphql's.
    validationRules: [...(armor.validationRules as unknown as ValidationRule[]), maxRootFieldsRule(limits.rootFields)],
    checks: [tokenLimitCheck(limits.tokens), queryCostCheck(limits.cost)],
  };
}

/** Armor's callbacks: report our QUERY_TOO_COMPLEX error instead of throwing its own. */
function rejectAs(limit: OperationLimitName, max: number) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(queryTooComplex(error.message.replace(/^Syntax Error: /, ''), limit, max)),
    ],
  };
}

/**
 * Counts the document's tokens with graphql-js's lexer before anything parses
 * it, so an oversized document costs one linear scan. A lexing error is left
 * to the parser, which reports it with its position. A document within the
 * limit is remembered by its hash (an LRU), so a client's fixed set of
 * operations is counted once each.
 */
export function tokenLimitCheck(max: number): RequestCheck {
  const within = new LRUCache<string, true>({ max: 1_000 });
  return {
    source({ source, queryHash }) {
      if (within.has(queryHash)) return;
      if (countTokens(source, max) > max) {
        throw refusal(queryTooComplex(`Token limit of ${max} exceeded.`, 'tokens', max));
      }
      within.set(queryHash, true);
    },
  };
}

/** Tokens in `text`, counting no further than `stopAfter` + 1. */
function countTokens(text: string, stopAfter: number): number {
  const lexer = new Lexer(new Source(text));
  let count = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF && count <= stopAfter; token = lexer.advance()) count++;
  } catch {
    return count;
  }
  return count;
}
