import type { SegmentDefinition, SegmentFile } from './definitions.js';

/** The segment definitions in force, by id. */
export class SegmentCatalog {
  private readonly byId: ReadonlyMap<string, SegmentDefinition>;

  constructor(readonly file: SegmentFile) {
    this.byId = new Map(file.segments.map((segment) => [segment.id, segment]));
  }

  list(): readonly SegmentDefinition[] {
    return this.file.segments;
  }

  get(id: string): SegmentDefinition | undefined {
    return this.byId.get(id);
  }
}
