//! The result model: a [`Finding`] is one cluster of leaked objects (300 identical leaks are one
//! finding with count 300), with its [`Category`], sizes, growth across snapshots and the
//! retaining paths that keep it alive.

use std::fmt;

use serde::Serialize;

use heapsnap_format::NodeIdx;
use heapsnap_graph::{Allocations, Holder};

/// What kind of leak a finding is. The order is the precedence used when two detectors
/// describe the same objects: the explanation of what holds them wins (a growing `Set` of
/// sockets is reported as unclosed sockets, not as a growing collection).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Category {
    /// Detached DOM trees kept alive from JavaScript (Chrome/Electron snapshots).
    DetachedDom,
    /// EventEmitter listeners piling up on one event.
    Listeners,
    /// Intervals never cleared, pending timers in numbers, fired timers still referenced.
    Timers,
    /// Sockets, servers, pipes, file handles, workers, message ports and streams left open.
    Resources,
    /// Closures whose contexts keep large amounts of memory alive (the "theThing" leak).
    Closures,
    /// Reference cycles held from a root.
    Cycles,
    /// Maps, Sets, Arrays and dictionary objects that grow across snapshots.
    Collections,
    /// Objects allocated between the first two snapshots that are still alive and growing,
    /// not explained by a more specific category (the three-snapshot method).
    Growth,
    /// The same string content stored many times.
    DuplicateStrings,
}

impl Category {
    /// Every category, in precedence order.
    pub const ALL: [Category; 9] = [
        Category::DetachedDom,
        Category::Listeners,
        Category::Timers,
        Category::Resources,
        Category::Closures,
        Category::Cycles,
        Category::Collections,
        Category::Growth,
        Category::DuplicateStrings,
    ];

    /// The stable name used in JSON and on the command line (`detached-dom`, `listeners`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Category::DetachedDom => "detached-dom",
            Category::Listeners => "listeners",
            Category::Timers => "timers",
            Category::Resources => "resources",
            Category::Closures => "closures",
            Category::Cycles => "cycles",
            Category::Collections => "collections",
            Category::Growth => "growth",
            Category::DuplicateStrings => "duplicate-strings",
        }
    }

    /// The category with this [`name`](Category::name).
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A class of objects that a finding keeps alive (its dominated objects, by class).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetainedClass {
    /// Class name, as DevTools shows it.
    pub class: String,
    /// Objects of the class.
    pub count: u64,
    /// Their shallow size.
    pub size: u64,
}

/// A value of a [`Fact`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FactValue {
    /// A number (a count, bytes, milliseconds).
    Number(u64),
    /// Text.
    Text(String),
}

impl fmt::Display for FactValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactValue::Number(n) => write!(f, "{n}"),
            FactValue::Text(t) => f.write_str(t),
        }
    }
}

/// A detector-specific detail of a finding (`event`, `max_listeners`, `duration_ms`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    /// The key (snake case, stable for JSON consumers).
    pub key: &'static str,
    /// The value.
    pub value: FactValue,
}

impl Fact {
    /// A numeric fact.
    pub fn number(key: &'static str, n: u64) -> Fact {
        Fact { key, value: FactValue::Number(n) }
    }
    /// A text fact.
    pub fn text(key: &'static str, t: impl Into<String>) -> Fact {
        Fact { key, value: FactValue::Text(t.into()) }
    }
}

/// One leak: a cluster of objects of one class, held the same way.
#[derive(Clone, Debug)]
pub struct Finding {
    /// What kind of leak.
    pub category: Category,
    /// Class of the leaked objects (closures are written `name()`).
    pub class: String,
    /// One line saying what was found.
    pub title: String,
    /// Objects in the cluster, in the last snapshot.
    pub count: u64,
    /// Their shallow size (DevTools' shallow sizes).
    pub self_size: u64,
    /// What the cluster keeps alive, without double counting (for collections: the
    /// collection's retained size).
    pub retained_size: u64,
    /// The cluster's size in each snapshot, oldest first (`None` with one snapshot). By object
    /// ids when they are comparable (for collections: the collection's entry count), by class
    /// counts otherwise (see [`LeakReport::growth_basis`](crate::LeakReport::growth_basis)).
    pub growth: Option<Vec<u64>>,
    /// With three snapshots: members allocated between the first and the second snapshot and
    /// still alive in the last (the three-snapshot method). With two: members new since the
    /// first. `None` with one snapshot or when ids are not comparable.
    pub survivors: Option<u64>,
    /// Whether the cluster grew at every step by at least
    /// [`LeakOptions::min_growth`](crate::LeakOptions::min_growth).
    pub growing: bool,
    /// The representative path's signature: equal for every object held the same way.
    pub signature: String,
    /// Retaining paths: the first is the representative shortest path; more than one when the
    /// representative object has several holders and none of them dominates it (shared
    /// ownership), one per holder.
    pub holders: Vec<Holder>,
    /// The largest classes the cluster keeps alive (besides its own members).
    pub retains: Vec<RetainedClass>,
    /// Detector-specific details.
    pub facts: Vec<Fact>,
    /// Where the cluster's objects of its [`class`](Finding::class) were allocated (all of
    /// them when none is of the class; grouped by their top frames), when the last
    /// snapshot carries allocation traces (taken with allocation tracking on: `heapsnap hunt
    /// --track-allocations`, DevTools' "Allocation instrumentation on timeline").
    pub allocations: Option<Allocations>,
    /// The cluster's objects (positions in the last snapshot), in id order.
    pub members: Vec<NodeIdx>,
    /// Their object ids, in the same order.
    pub ids: Vec<u32>,
}

impl Finding {
    /// The representative retaining path.
    pub fn path(&self) -> Option<&Holder> {
        self.holders.first()
    }

    /// The fact with this key.
    pub fn fact(&self, key: &str) -> Option<&FactValue> {
        self.facts.iter().find(|f| f.key == key).map(|f| &f.value)
    }
}
