// A session store: the code under test in the README's examples.
let lastId = 0;

class Session {
  constructor(user) {
    this.user = user;
    this.id = ++lastId;
    this.createdAt = Date.now();
  }
}

const sessions = new Map();

async function login(user) {
  const session = new Session(user);
  sessions.set(session.id, session);
  return session;
}

async function logout(session) {
  sessions.delete(session.id);
}

module.exports = { Session, login, logout };
