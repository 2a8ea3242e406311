import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** A segment as clients see it. The file may carry more (rules); this is the public part. */
export interface SegmentDefinition {
  readonly id: string;
  readonly name: string;
  readonly description?: string | null;
  readonly realtime: boolean;
}

const definitionSchema = z.looseObject({
  id: z.string().regex(/^[a-z0-9_]{1,64}$/, 'expected lower-case letters, digits and _'),
  name: z.string().min(1),
  description: z.string().nullish(),
  realtime: z.boolean(),
});

export const segmentFileSchema = z.object({ segments: z.array(definitionSchema) }).superRefine((file, ctx) => {
  const seen = new Set<string>();
  file.segments.forEach((segment, index) => {
    if (seen.has(segment.id)) ctx.addIssue({ code: 'custom', path: ['segments', index, 'id'], message: `duplicate segment id ${segment.id}` });
    seen.add(segment.id);
  });
});

export type SegmentFile = z.infer<typeof segmentFileSchema>;

export const DEFAULT_SEGMENTS_FILE = new URL('../../config/segments.json', import.meta.url);

/** Reads and validates the segment definitions; a bad file throws with the path of each problem. */
export function loadSegmentFile(file: string | URL = DEFAULT_SEGMENTS_FILE): SegmentFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Segment file ${String(file)} is not readable JSON: ${(error as Error).message}`);
  }
  const parsed = segmentFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`Segment file ${String(file)} is invalid:\n${problems}`);
  }
  return parsed.data;
}
