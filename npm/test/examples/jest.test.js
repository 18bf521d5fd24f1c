const { expectNoLeak } = require('heapsnap');
const { login, logout } = require('./sessions.js');

test('login and logout leave nothing behind', async () => {
  await expectNoLeak(async () => {
    const session = await login('ada');
    await logout(session);
  });
}, 60_000);
