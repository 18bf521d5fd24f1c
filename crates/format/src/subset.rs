//! Cutting a snapshot down to a set of nodes (for example the new objects of a diff and their
//! retainer paths) while keeping it a valid snapshot that DevTools loads.

use crate::ids::NodeIdx;
use crate::snapshot::HeapSnapshot;
use crate::strings::{LoneSurrogate, Strings};

impl HeapSnapshot {
    /// A new snapshot holding only the nodes with `keep[i]` set (the root is always kept),
    /// the edges between kept nodes, the strings they use and their locations. Allocation
    /// tracking data is dropped (its ids would no longer match), as are uninterpreted sections.
    ///
    /// ```
    /// # let json = br#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],
    /// #   "node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],
    /// #   "edge_types":[["element","property"]]},"node_count":3,"edge_count":2},
    /// #   "nodes":[0,0,1,0,2, 1,1,3,8,0, 1,2,5,16,0],"edges":[1,3,5, 1,4,10],"strings":["","A","B","a","b"]}"#;
    /// let snap = heapsnap_format::HeapSnapshot::from_slice(json)?;
    /// let small = snap.subset(&[true, false, true]);
    /// assert_eq!((small.node_count(), small.edge_count()), (2, 1));
    /// assert_eq!(small.node(heapsnap_format::NodeIdx(1)).name(), "B");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subset(&self, keep: &[bool]) -> HeapSnapshot {
        let n = self.node_count();
        let root = self.root().index();
        let kept = |i: usize| i == root || keep.get(i).copied().unwrap_or(false);
        let mut new_pos = vec![u32::MAX; n];
        let mut count = 0u32;
        for i in 0..n {
            if kept(i) {
                new_pos[i] = count;
                count += 1;
            }
        }
        let meta = &self.meta;
        // Strings in use, renumbered in their old order; string 0 stays first.
        let mut used = vec![false; self.strings.len()];
        if let Some(u) = used.first_mut() {
            *u = true;
        }
        let mut out = HeapSnapshot {
            header: self.header.clone(),
            meta: self.meta.clone(),
            node_extra: vec![Vec::new(); self.node_extra.len()],
            edge_extra: vec![Vec::new(); self.edge_extra.len()],
            ..HeapSnapshot::default()
        };
        out.header.remove("root_index");
        out.first_edge.push(0);
        for i in (0..n).filter(|&i| kept(i)) {
            out.node_type.push(self.node_type[i]);
            out.node_name.push(self.node_name[i]);
            used[self.node_name[i] as usize] = true;
            out.node_id.push(self.node_id[i]);
            out.node_self_size.push(self.node_self_size[i]);
            if !self.node_detachedness.is_empty() {
                out.node_detachedness.push(self.node_detachedness[i]);
            }
            for (x, col) in self.node_extra.iter().enumerate() {
                out.node_extra[x].push(col[i]);
            }
            for e in self.edge_range(NodeIdx(i as u32)) {
                let e = e as usize;
                let to = self.edge_to[e] as usize;
                if !kept(to) {
                    continue;
                }
                out.edge_type.push(self.edge_type[e]);
                let name = self.edge_name_or_index[e];
                if meta.edge_kind(self.edge_type[e]).has_string_name() {
                    used[name as usize] = true;
                }
                out.edge_name_or_index.push(name);
                out.edge_to.push(new_pos[to]);
                for (x, col) in self.edge_extra.iter().enumerate() {
                    out.edge_extra[x].push(col[e]);
                }
            }
            out.first_edge.push(out.edge_to.len() as u32);
        }
        let mut new_string = vec![u32::MAX; used.len()];
        let mut strings = Strings::default();
        for (old, text) in self.strings.iter().enumerate() {
            if !used[old] {
                continue;
            }
            let idx = strings.ends.len() as u32;
            new_string[old] = idx;
            strings.buf.push_str(text);
            strings.ends.push(strings.buf.len());
            strings.lone.extend(self.strings.lone_of(old as u32).map(|l| LoneSurrogate {
                string: idx,
                byte: l.byte,
                unit: l.unit,
            }));
        }
        for s in out.node_name.iter_mut() {
            *s = new_string[*s as usize];
        }
        for (k, name) in out.edge_name_or_index.iter_mut().enumerate() {
            if meta.edge_kind(out.edge_type[k]).has_string_name() {
                *name = new_string[*name as usize];
            }
        }
        out.strings = strings;
        if let Some(loc) = &self.locations {
            let fields = meta.field_list("location_fields");
            let lf = fields.as_ref().map_or(4, |f| f.len().max(1));
            let oi =
                fields.as_ref().map_or(Some(0), |f| f.iter().position(|x| x == "object_index"));
            let mut v = Vec::new();
            if let Some(oi) = oi {
                for row in loc.chunks_exact(lf) {
                    let p = new_pos.get(row[oi] as usize).copied().unwrap_or(u32::MAX);
                    if p != u32::MAX {
                        v.extend(row.iter().enumerate().map(|(k, &x)| if k == oi { p } else { x }));
                    }
                }
            }
            out.locations = Some(v);
        }
        out.trace_function_infos = self.trace_function_infos.as_ref().map(|_| Vec::new());
        out.trace_tree = self
            .trace_tree
            .as_ref()
            .map(|t| crate::snapshot::TraceTree { value_fields: t.value_fields, flat: Vec::new() });
        out.samples = self.samples.as_ref().map(|_| Vec::new());
        out
    }
}
