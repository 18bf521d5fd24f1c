'use strict';
// A module-level event bus (the variable `configBus` is not exported): every subscriber
// stays until it unsubscribes, and nobody does.
const { EventEmitter } = require('events');

const configBus = new EventEmitter();
configBus.setMaxListeners(0);

function subscribe(fn) {
  configBus.on('config-changed', fn);
}

function publish(config) {
  configBus.emit('config-changed', config);
}

module.exports = { subscribe, publish };
