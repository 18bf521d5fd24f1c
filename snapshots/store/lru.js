'use strict';
// A bounded LRU cache, as applications write it: a Map in insertion order, the least
// recently used entry first; reading an entry moves it to the end, and setting one past
// `max` entries evicts the oldest. It never grows past `max`: it churns.
class LruCache {
  constructor(max) {
    this.max = max;
    this.entries = new Map();
  }

  get(key) {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key, value) {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.max) {
      this.entries.delete(this.entries.keys().next().value);
    }
  }
}

module.exports = { LruCache };
