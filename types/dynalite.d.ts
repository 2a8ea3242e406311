declare module 'dynalite' {
  import type { Server } from 'node:http';
  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    ssl?: boolean;
  }
  /** Returns a plain Node HTTP server that speaks the DynamoDB API. */
  export default function dynalite(options?: DynaliteOptions): Server;
}
