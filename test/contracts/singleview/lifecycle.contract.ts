import { expect, it } from 'vitest';
import type { SourceLifecyclePort } from '../../../connectors/singleview/port.js';
import { roleContract } from './harness.js';

export const lifecycleContract = roleContract<SourceLifecyclePort>({
  role: 'SourceLifecyclePort',
  methods: { health: true, close: true },
  tests: (view) => {
    it('reports health while open, and closes', async () => {
      const store = await view.open();
      await expect(store.health()).resolves.toBeUndefined();
      await expect(store.close()).resolves.toBeUndefined();
    });
  },
});
