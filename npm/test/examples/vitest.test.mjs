import { test } from 'vitest';
import { expectNoLeak } from 'heapsnap';
import { login, logout } from './sessions.js';

test('login and logout leave nothing behind', { timeout: 60_000 }, async () => {
  await expectNoLeak(async () => {
    const session = await login('ada');
    await logout(session);
  });
});
