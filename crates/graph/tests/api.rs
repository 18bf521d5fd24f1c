//! The library API as an analyzer uses it: the owning [`Heap`], typed accessors, and the
//! check that an analysis is used only with its own snapshot's graph.

use heapsnap_format::{HeapSnapshot, NoProgress, NodeIdx};
use heapsnap_graph::{
    Analysis, AnalysisOptions, EssentialEdges, Heap, HeapGraph, Mismatch, PathFinder, PathMode,
    PathTree,
};

/// root -> global (shortcut) -> Foo -> Bar; Lost is unreachable.
const SMALL: &[u8] =
    br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
  "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
  "edge_types":[["element","property","shortcut"]]},"node_count":5,"edge_count":3},
  "nodes":[0,0,1,0,1, 1,1,3,8,1, 1,2,5,16,1, 1,3,7,24,0, 1,4,9,32,0],
  "edges":[2,0,5, 1,5,10, 1,6,15],
  "strings":["","global","Foo","Bar","Lost","foo","bar"]}"#;

/// root -> global -> Foo.
const OTHER: &[u8] =
    br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
  "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
  "edge_types":[["element","property","shortcut"]]},"node_count":3,"edge_count":2},
  "nodes":[0,0,1,0,1, 1,1,3,8,1, 1,2,5,16,0],"edges":[2,0,5, 1,3,10],
  "strings":["","global","Foo","foo"]}"#;

#[test]
fn typed_accessors_replace_the_sentinels() {
    let heap = Heap::new(HeapSnapshot::from_slice(SMALL).unwrap());
    let (g, a) = (heap.graph(), heap.analysis());
    assert_eq!(a.node_count(), 5);
    assert_eq!(a.dominator(g.root()), None);
    assert_eq!(a.dominator(NodeIdx(2)), Some(NodeIdx(1)));
    assert_eq!(a.dominator(NodeIdx(3)), Some(NodeIdx(2)));
    // DevTools hangs what it cannot reach off the root.
    assert_eq!(a.dominator(NodeIdx(4)), Some(g.root()));
    assert_eq!(a.distance(NodeIdx(1)), Some(1));
    assert_eq!(a.distance(NodeIdx(3)), Some(3));
    assert_eq!(a.distance(NodeIdx(4)), None);
    assert_eq!((a.shallow_size(NodeIdx(2)), a.retained_size(NodeIdx(2))), (16, 40));

    let tree = PathTree::new(&g, a, PathMode::User);
    assert_eq!(tree.parent(&g, NodeIdx(3)).map(|(_, from)| from), Some(NodeIdx(2)));
    assert_eq!(tree.parent(&g, NodeIdx(4)), None);
    let finder = PathFinder::new(&g, a, PathMode::User);
    assert_eq!(finder.path_text(NodeIdx(3)).as_deref(), Some("global.foo.bar"));
    assert_eq!(finder.path_text(NodeIdx(4)), None);
}

#[test]
fn an_analysis_is_refused_with_another_snapshots_graph() {
    let small = HeapSnapshot::from_slice(SMALL).unwrap();
    let other = HeapSnapshot::from_slice(OTHER).unwrap();
    let (gs, go) = (HeapGraph::new(&small), HeapGraph::new(&other));
    let a = Analysis::new(&gs, &AnalysisOptions::default(), &mut NoProgress);
    assert_eq!(a.check(&gs), Ok(()));
    let expected: Mismatch = a.check(&go).unwrap_err();
    assert_eq!((expected.analysis, expected.graph), ((5, 3), (3, 2)));
    assert_eq!(
        expected.to_string(),
        "the analysis belongs to another snapshot: it has 5 nodes and 3 edges, the graph 3 nodes \
         and 2 edges"
    );
    assert!(PathFinder::try_new(&go, &a, PathMode::User).is_err());
    assert!(EssentialEdges::new(&go, &a).is_err());
    let err = Heap::from_parts(other, a).unwrap_err();
    assert_eq!(err.analysis, (5, 3));
}

#[test]
#[should_panic(expected = "the analysis belongs to another snapshot")]
fn path_tree_panics_with_a_clear_message_on_a_mismatch() {
    let small = HeapSnapshot::from_slice(SMALL).unwrap();
    let other = HeapSnapshot::from_slice(OTHER).unwrap();
    let a = Analysis::new(&HeapGraph::new(&small), &AnalysisOptions::default(), &mut NoProgress);
    let _ = PathTree::new(&HeapGraph::new(&other), &a, PathMode::User);
}

#[test]
fn a_heap_is_one_value_that_moves_across_threads() {
    let heap = Heap::new(HeapSnapshot::from_slice(SMALL).unwrap());
    // The retainer index is built once and shared by every graph the heap hands out.
    let before: Vec<NodeIdx> = heap.graph().retainers(NodeIdx(3)).map(|(_, f)| f).collect();
    let heap = std::thread::spawn(move || {
        let g = heap.graph();
        assert_eq!(g.retainer_count(NodeIdx(2)), 1);
        heap
    })
    .join()
    .unwrap();
    assert_eq!(before, [NodeIdx(2)]);
    let (snap, a) = heap.into_parts();
    let again = Heap::from_parts(snap, a).unwrap();
    assert_eq!(again.snapshot().node_count(), 5);
}
