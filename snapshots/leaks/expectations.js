'use strict';
// Hand-written description of every leak fixture: what the program does and
// what a correct tool must find. verify.js counts the matching nodes in the
// real files and writes manifest.json (description + verified numbers).
//
// match: which nodes to count (all given conditions must hold)
//   type            node type ("object", "closure", "string", "synthetic", ...)
//   name            exact node name
//   name_regex      node name matches this regular expression
//   has_edge        the node has an outgoing edge with this name
//   where_edge      {name, to_name?, to_name_regex?}: an outgoing edge with this
//                   name whose target node has that name / matches that regex
//   retained_by_edge  some node has an edge with this name pointing at it
// intended: the counts the program is written to produce (per phase).
//   verify.js fails if the files say otherwise.

const FLAGS = ['--expose-gc'];
const ALL = ['baseline', 'target', 'final'];
const TWO = ['baseline', 'target'];

module.exports = {
  listeners: {
    title: 'EventEmitter listeners never removed',
    script: 'listeners.js',
    node_flags: FLAGS,
    isolate: 'main thread',
    phases: ALL,
    leak: true,
    action: "subscribe(): new ConfigSubscriber(id); globalThis.configBus.on('config-changed', function onConfigChanged(config) {...}) capturing it. One emit per run.",
    actions: {
      warmup: 20, warmup_undo: "configBus.removeAllListeners('config-changed')",
      baseline: 0, target: 200, final: 200,
    },
    expected: [
      {
        class: 'ConfigSubscriber', match: { type: 'object', name: 'ConfigSubscriber' },
        intended: { baseline: 0, target: 200, final: 400 },
        retaining_path: "global.configBus._events['config-changed'][k] (closure onConfigChanged) -> context -> subscriber (ConfigSubscriber)",
        notes: 'The leaked objects. 48 bytes each; each also owns its flat name string "sub-<id>".',
      },
      {
        class: 'onConfigChanged', match: { type: 'closure', name: 'onConfigChanged' },
        intended: { baseline: 0, target: 200, final: 400 },
        retaining_path: "global.configBus._events['config-changed'][k]",
        notes: 'The listener closures (node type closure; DevTools groups them under class "Function").',
      },
      {
        class: 'system / Context (var subscriber)', match: { type: 'object', name: 'system / Context', has_edge: 'subscriber' },
        intended: { baseline: 0, target: 200, final: 400 },
        retaining_path: "global.configBus._events['config-changed'][k].context",
        notes: 'One function context per subscribe() call; its context edge "subscriber" is the captured variable.',
      },
      {
        class: "listener Array of 'config-changed'", match: { type: 'object', name: 'Array', retained_by_edge: 'config-changed' },
        intended: { baseline: 0, target: 1, final: 1 },
        retaining_path: 'global.configBus._events (Object, null prototype) -> config-changed',
        notes: 'With 2+ listeners Node stores an Array under _events[name]. The same JS Array (same id) in target and final; its elements backing store is reallocated as it grows.',
      },
    ],
  },

  'closure-context': {
    title: "Shared closure context (the Meteor 'theThing' leak)",
    script: 'closure-context.js',
    node_flags: FLAGS,
    isolate: 'main thread',
    phases: ALL,
    leak: true,
    action: 'replaceThing(): originalThing = theThing (captured by the unused closure `unused`); theThing = new LeakyThing(serial, 4096-char string, function someMethod() {...}).',
    actions: { warmup: 20, warmup_undo: 'theThing = null', baseline: 0, target: 200, final: 200 },
    expected: [
      {
        class: 'LeakyThing', match: { type: 'object', name: 'LeakyThing' },
        intended: { baseline: 0, target: 200, final: 400 },
        retaining_path: 'global.theThing (newest) then (.someMethod -> context -> originalThing)* : one chain, the k-th oldest is 1 + 3*(count-k) edges below global.theThing',
        notes: 'A linked chain through closure contexts: each LeakyThing dominates all older ones, so global.theThing retains everything (~4.3 KB per thing).',
      },
      {
        class: 'someMethod', match: { type: 'closure', name: 'someMethod' },
        intended: { baseline: 0, target: 200, final: 400 },
        retaining_path: 'LeakyThing.someMethod',
        notes: 'Never uses originalThing, but shares the context of replaceThing() with `unused`, which does.',
      },
      {
        class: 'system / Context (var originalThing)', match: { type: 'object', name: 'system / Context', has_edge: 'originalThing' },
        intended: { baseline: 0, target: 200, final: 400 },
        retaining_path: 'LeakyThing.someMethod.context',
        notes: 'The shared context; edge "originalThing" points at the previous LeakyThing (the oldest one\'s points at null).',
      },
      {
        class: 'LeakyThing#<n> strings (4096 chars)', match: { type: 'string', name_regex: '^LeakyThing#[0-9]+ \\*' },
        intended: { baseline: 0, target: 200, final: 400 },
        retaining_path: 'LeakyThing.longStr',
        notes: 'Flat strings of 4096 one-byte chars (self_size 4112); their names in the file are cut to 1024 chars.',
      },
      {
        class: 'unused (closure, not retained)', match: { type: 'closure', name: 'unused' },
        intended: { baseline: 0, target: 0, final: 0 },
        retaining_path: null,
        notes: 'Created on every call but referenced by nothing afterwards: must not be reported.',
      },
    ],
  },

  cycles: {
    title: 'Reference cycles retained from a global registry',
    script: 'cycles.js',
    node_flags: FLAGS,
    isolate: 'main thread',
    phases: TWO,
    final_dropped: 'final is not committed (size budget); run cycles.js with --final to write it (800 CycleNode).',
    leak: true,
    action: "linkPair(): CycleNode a<i> <-> b<i> (peer edges), a pushed onto globalThis.cycleRegistry; plus an unreachable pair x<i> <-> y<i> that is dropped.",
    actions: { warmup: 20, warmup_undo: 'cycleRegistry.length = 0', baseline: 0, target: 200 },
    expected: [
      {
        class: 'CycleNode', match: { type: 'object', name: 'CycleNode' },
        intended: { baseline: 0, target: 400 },
        retaining_path: 'global.cycleRegistry[k] (a) and global.cycleRegistry[k].peer (b)',
        notes: '200 registered 2-cycles = 400 objects. The 200 unregistered cycles were collected.',
      },
      {
        class: 'CycleNode a<i> (registered)', match: { type: 'object', name: 'CycleNode', where_edge: { name: 'label', to_name_regex: '^a[0-9]+$' } },
        intended: { baseline: 0, target: 200 },
        retaining_path: 'global.cycleRegistry[k]',
        notes: 'Also retained by its peer (b.peer), a cycle.',
      },
      {
        class: 'CycleNode b<i> (only via the cycle)', match: { type: 'object', name: 'CycleNode', where_edge: { name: 'label', to_name_regex: '^b[0-9]+$' } },
        intended: { baseline: 0, target: 200 },
        retaining_path: 'global.cycleRegistry[k].peer',
        notes: 'Dominated by its registered partner.',
      },
      {
        class: 'CycleNode x<i>/y<i> (garbage cycles)', match: { type: 'object', name: 'CycleNode', where_edge: { name: 'label', to_name_regex: '^[xy][0-9]+$' } },
        intended: { baseline: 0, target: 0 },
        retaining_path: null,
        notes: 'Unreachable cycles: a tracing GC frees them; they are not in the files.',
      },
    ],
  },

  sockets: {
    title: 'Open TCP connections never closed (loopback)',
    script: 'sockets.js',
    node_flags: FLAGS,
    isolate: 'main thread',
    phases: ALL,
    leak: true,
    action: 'openConnections(40): 40 LeakyClientSocket clients connect to a net.Server on 127.0.0.1:<ephemeral>; the server adds each accepted Socket to globalThis.connectionTracker.open (a Set). Nothing is ever closed.',
    actions: { warmup: 40, warmup_undo: 'destroy() both ends, wait for close', baseline: 0, target: 40, final: 40, unit: 'connections (2 sockets each)' },
    expected: [
      {
        class: 'LeakyClientSocket', match: { type: 'object', name: 'LeakyClientSocket' },
        intended: { baseline: 0, target: 40, final: 80 },
        retaining_path: '(root) -> Node / TCPSocketWrap (synthetic root) -> native_to_javascript -> TCP -> <symbol owner_symbol> -> LeakyClientSocket (no user object holds it)',
        notes: 'Client side. Held only because its handle is open: an active handle is a GC root.',
      },
      {
        class: 'Socket (server side)', match: { type: 'object', name: 'Socket', has_edge: '_readableState' },
        intended: { baseline: 0, target: 40, final: 80 },
        retaining_path: 'global.connectionTracker.open (Set) -> <table> -> Socket; also (root) -> Node / TCPSocketWrap -> TCP -> <symbol owner_symbol>',
        notes: 'has_edge _readableState excludes net.Socket.prototype, which V8 also names "Socket" (1 node in every phase).',
      },
      {
        class: 'TCP (socket handles)', match: { type: 'object', name: 'TCP', where_edge: { name: '<symbol owner_symbol>', to_name_regex: '^(Socket|LeakyClientSocket)$' } },
        intended: { baseline: 0, target: 80, final: 160 },
        retaining_path: 'Socket.<symbol kHandle> and Node / TCPSocketWrap.native_to_javascript',
        notes: 'JS wrapper of each libuv TCP handle (2 per connection). The server has one more TCP (owner Server).',
      },
      {
        class: 'Node / TCPSocketWrap', match: { name: 'Node / TCPSocketWrap' },
        intended: { baseline: 0, target: 80, final: 160 },
        retaining_path: '(root) -> Node / TCPSocketWrap',
        notes: 'Native (embedder) nodes, type synthetic (root children in Node 20). Their ids are pointer-derived and change in every snapshot: match them through the TCP wrapper id.',
      },
      {
        class: 'Node / TCPServerWrap', match: { name: 'Node / TCPServerWrap' },
        intended: { baseline: 1, target: 1, final: 1 },
        retaining_path: '(root) -> Node / TCPServerWrap',
        notes: 'The listening server: present in all phases, not a leak.',
      },
    ],
  },

  intervals: {
    title: 'setInterval timers never cleared',
    script: 'intervals.js',
    node_flags: FLAGS,
    isolate: 'main thread',
    phases: ALL,
    leak: true,
    action: 'startPolling(): state = new PollState(id); setInterval(function pollStatus() { state.polls++ }, 60000); the Timeout is dropped.',
    actions: { warmup: 20, warmup_undo: 'clearInterval on each', baseline: 0, target: 200, final: 200 },
    expected: [
      {
        class: 'PollState', match: { type: 'object', name: 'PollState' },
        intended: { baseline: 0, target: 200, final: 400 },
        retaining_path: "timers module: timerListMap['60000'] (TimersList) -> _idleNext/_idlePrev chain -> Timeout._onTimeout (closure pollStatus) -> context -> state (PollState)",
        notes: 'timerListMap is a variable of the timers module; the shortest path from the global goes global.setTimeout (or setInterval) -> context -> timerListMap.',
      },
      {
        class: 'pollStatus', match: { type: 'closure', name: 'pollStatus' },
        intended: { baseline: 0, target: 200, final: 400 },
        retaining_path: 'Timeout._onTimeout',
        notes: '',
      },
      {
        class: 'Timeout', match: { type: 'object', name: 'Timeout' },
        intended: { baseline: 0, target: 200, final: 400 },
        retaining_path: "timerListMap['60000'] (TimersList) ._idleNext (or ._idlePrev) Timeout ._idleNext Timeout ... (circular doubly linked list)",
        notes: 'Active interval: _onTimeout is the closure, _repeat is a smi (absent from a snapshot without numeric values), 2 hidden edges to heap numbers (async id, trigger id) per Timeout.',
      },
      {
        class: 'TimersList', match: { type: 'object', name: 'TimersList' },
        intended: { baseline: 0, target: 1, final: 1 },
        retaining_path: "timers module timerListMap['60000'] and timerListQueue",
        notes: 'One list per duration (60000 ms), the same object (id) in target and final.',
      },
    ],
  },

  'map-cache': {
    title: 'Unbounded Map cache (no eviction)',
    script: 'map-cache.js',
    node_flags: FLAGS,
    isolate: 'main thread',
    phases: TWO,
    final_dropped: 'final is not committed (size budget); run map-cache.js with --final to write it (400 entries).',
    leak: true,
    action: "remember(): sessionCache.set('session:<i>', new CacheEntry(key, 'user-<i>', ['reader', 'writer'|'guest'])) and one get().",
    actions: { warmup: 20, warmup_undo: 'sessionCache.entries.clear()', baseline: 0, target: 200 },
    expected: [
      {
        class: 'CacheEntry', match: { type: 'object', name: 'CacheEntry' },
        intended: { baseline: 0, target: 200 },
        retaining_path: 'global.sessionCache (SessionCache) .entries (Map) .<table> (OrderedHashMap, type array) -> CacheEntry',
        notes: 'The Map backing table is an internal array; its edges to keys and values are internal edges named by slot number, not by key.',
      },
      {
        class: "session keys 'session:<i>'", match: { type: 'string', name_regex: '^session:[0-9]+$' },
        intended: { baseline: 0, target: 200 },
        retaining_path: 'global.sessionCache.entries.<table> (key slot) and CacheEntry.key (the same string)',
        notes: '',
      },
      {
        class: 'CacheEntry.roles arrays', match: { type: 'object', name: 'Array', retained_by_edge: 'roles' },
        intended: { baseline: 0, target: 200 },
        retaining_path: 'CacheEntry.roles',
        notes: 'Each with an (object elements) backing store, which DevTools 128+ folds into the Array (shallow-size transfer).',
      },
    ],
  },

  worker: {
    title: 'Leak inside a worker_threads Worker (worker isolate snapshots)',
    script: 'worker.js',
    node_flags: FLAGS,
    isolate: 'worker thread (snapshots of the worker isolate, written inside the worker with v8.writeHeapSnapshot)',
    phases: ALL,
    leak: true,
    action: 'runJob() in the worker: globalThis.jobResults.push(new WorkerJobResult(jobId, checksum)), driven by {cmd: "jobs", count} messages from the main thread.',
    actions: { warmup: 20, warmup_undo: 'jobResults.length = 0', baseline: 0, target: 200, final: 200 },
    expected: [
      {
        class: 'WorkerJobResult', match: { type: 'object', name: 'WorkerJobResult' },
        intended: { baseline: 0, target: 200, final: 400 },
        retaining_path: 'global.jobResults[k] (in the worker isolate)',
        notes: 'The main thread\'s heap is not in these files.',
      },
      {
        class: 'WorkerJobResult.output objects', match: { type: 'object', name: 'Object', retained_by_edge: 'output' },
        intended: { baseline: 0, target: 200, final: 400 },
        retaining_path: 'global.jobResults[k].output',
        notes: '{checksum, label}: the checksum is a smi and has no edge without numeric values.',
      },
    ],
  },

  control: {
    title: 'Control: the same kinds of work, everything released',
    script: 'control.js',
    node_flags: FLAGS,
    isolate: 'main thread',
    phases: ALL,
    leak: false,
    action: 'doWork(): add+emit+remove a listener capturing a ControlSubscriber; setInterval+clearInterval capturing a ControlPollState; an unreferenced ControlCycleNode pair; a ControlScratchEntry in a Map cleared after every run; a ControlCacheEntry in a BoundedCache (Map, limit 25, oldest evicted).',
    actions: { warmup: 30, warmup_undo: 'none needed (everything is released by the action itself; scratch Map cleared)', baseline: 0, target: 200, final: 200 },
    expected: [
      {
        class: 'ControlSubscriber', match: { type: 'object', name: 'ControlSubscriber' },
        intended: { baseline: 0, target: 0, final: 0 }, retaining_path: null, notes: 'Listener removed with off().',
      },
      {
        class: 'onControlEvent', match: { type: 'closure', name: 'onControlEvent' },
        intended: { baseline: 0, target: 0, final: 0 }, retaining_path: null, notes: '',
      },
      {
        class: 'ControlPollState', match: { type: 'object', name: 'ControlPollState' },
        intended: { baseline: 0, target: 0, final: 0 }, retaining_path: null, notes: 'Interval cleared.',
      },
      {
        class: 'controlPoll', match: { type: 'closure', name: 'controlPoll' },
        intended: { baseline: 0, target: 0, final: 0 }, retaining_path: null, notes: '',
      },
      {
        class: 'Timeout', match: { type: 'object', name: 'Timeout' },
        intended: { baseline: 0, target: 0, final: 0 }, retaining_path: null, notes: 'Cleared Timeouts are unlinked and collected.',
      },
      {
        class: 'ControlCycleNode', match: { type: 'object', name: 'ControlCycleNode' },
        intended: { baseline: 0, target: 0, final: 0 }, retaining_path: null, notes: 'Unreachable cycles.',
      },
      {
        class: 'ControlScratchEntry', match: { type: 'object', name: 'ControlScratchEntry' },
        intended: { baseline: 0, target: 0, final: 0 }, retaining_path: null, notes: 'Map cleared at the end of each run.',
      },
      {
        class: 'ControlCacheEntry', match: { type: 'object', name: 'ControlCacheEntry' },
        intended: { baseline: 25, target: 25, final: 25 },
        retaining_path: 'global.controlCache (BoundedCache) .entries (Map) .<table> -> ControlCacheEntry',
        notes: 'Bounded: always 25, but different objects in each phase (25 new, 25 deleted by id, delta 0). Churn, not a leak.',
      },
    ],
  },
};
