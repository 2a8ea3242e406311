import { expect, it } from 'vitest';
import type { ApiKeyPort } from '../../../connectors/singleview/port.js';
import { at } from './fixture.js';
import { roleContract } from './harness.js';

export const apiKeyContract = roleContract<ApiKeyPort>({
  role: 'ApiKeyPort',
  methods: { getApiKey: true, putApiKey: true, listApiKeys: true },
  tests: (view) => {
    it('stores, finds and lists API keys', async () => {
      const { store } = view;
      const key = { keyId: 'k1', secretHash: 'ab'.repeat(32), clientName: 'Test', scopes: ['customer:read'], purposes: ['SUPPORT' as const], createdAt: at(0), revoked: false };
      await store.putApiKey(key);
      expect(await store.getApiKey('k1')).toEqual(key);
      expect(await store.getApiKey('k2')).toBeNull();
      expect(await store.listApiKeys()).toEqual([key]);
      await store.putApiKey({ ...key, revoked: true });
      expect(await store.getApiKey('k1')).toEqual({ ...key, revoked: true });
    });
  },
});
