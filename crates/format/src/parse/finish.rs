//! Checks that need the whole file: required sections, edge count, string references,
//! location and trace sections; then the final column trims.

use std::io::Read;

use serde_json::Value;

use super::parser::Parser;
use crate::error::{Error, Result, Section, Warning};
use crate::snapshot::HeapSnapshot;

impl<R: Read> Parser<'_, R> {
    pub(super) fn finish(mut self) -> Result<HeapSnapshot> {
        let end = self.s.offset();
        for (key, section) in [
            ("snapshot", Section::Header),
            ("nodes", Section::Nodes),
            ("edges", Section::Edges),
            ("strings", Section::Strings),
        ] {
            if !self.seen.contains(key) {
                return Err(Error::parse(
                    section,
                    end,
                    format!("the snapshot has no `{key}` section"),
                ));
            }
        }
        if self.edge_count_sum != self.edge_count as u64 {
            return Err(Error::parse(
                Section::Nodes,
                self.nodes_end,
                format!(
                    "the nodes' edge_count fields add up to {} but snapshot.edge_count is {}",
                    self.edge_count_sum, self.edge_count
                ),
            ));
        }
        let meta = &self.snap.meta;
        if meta.node_type_names.len() > meta.listed_node_types {
            let listed = meta.listed_node_types;
            let names: Vec<String> = meta.node_type_names[listed..]
                .iter()
                .enumerate()
                .map(|(k, name)| format!("{} as `{name}`", listed + k))
                .collect();
            let message = format!(
                "nodes use type values that meta.node_types does not list ({listed} types; \
                 V8 6.x leaves out `symbol`): read {}, as DevTools loads them",
                names.join(", ")
            );
            self.snap.warnings.push(Warning { section: Section::Nodes, message });
        }
        let nstr = self.snap.strings.len() as u64;
        for (max, section, what) in [
            (self.node_name_max, Section::Nodes, "node name"),
            (self.edge_name_max, Section::Edges, "edge name"),
        ] {
            if max.seen && u64::from(max.value) >= nstr {
                return Err(Error::parse(
                    section,
                    max.offset,
                    format!(
                        "{what} refers to string {} but there are only {nstr} strings",
                        max.value
                    ),
                ));
            }
        }
        let meta = &self.snap.meta;
        let nf = meta.node_fields.len() as u64;
        if let Some(loc) = &mut self.snap.locations {
            let fields = meta.field_list("location_fields").unwrap_or_else(|| {
                ["object_index", "script_id", "line", "column"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            });
            let lf = fields.len().max(1);
            if loc.len() % lf != 0 {
                return Err(Error::parse(
                    Section::Locations,
                    self.locations_offset,
                    format!(
                        "`locations` has {} values, not a multiple of {lf} location fields",
                        loc.len()
                    ),
                ));
            }
            if let Some(oi) = fields.iter().position(|f| f == "object_index") {
                // Stored as node positions, so a rewrite with another layout stays right.
                for row in loc.chunks_exact_mut(lf) {
                    let o = u64::from(row[oi]);
                    if o % nf != 0 || o >= self.node_count as u64 * nf {
                        return Err(Error::parse(
                            Section::Locations,
                            self.locations_offset,
                            format!("location object_index {o} is not the start of a node"),
                        ));
                    }
                    row[oi] = (o / nf) as u32;
                }
            }
        }
        let tf = meta.field_list("trace_function_info_fields").map_or(6, |f| f.len().max(1));
        if let Some(infos) = &self.snap.trace_function_infos
            && infos.len() % tf != 0
        {
            return Err(Error::parse(
                Section::TraceFunctionInfos,
                end,
                format!(
                    "`trace_function_infos` has {} values, not a multiple of {tf} fields",
                    infos.len()
                ),
            ));
        }
        // The array is the truth: V8 has written counts that disagree with it. The header is
        // normalized so that writing and reading again gives the same snapshot.
        let actual = self.snap.trace_function_infos.as_ref().map_or(0, |v| (v.len() / tf) as u64);
        let declared = self.header_trace_function_count;
        if declared.is_some() || actual > 0 {
            if declared.unwrap_or(0) != actual {
                let message = format!(
                    "snapshot.trace_function_count is {} but trace_function_infos holds {actual} \
                     functions (a known V8 inconsistency); using the array",
                    declared.map_or("absent".to_string(), |d| d.to_string())
                );
                // Reported once, by whoever reads `warnings()` (the CLI logs them).
                self.snap.warnings.push(Warning { section: Section::TraceFunctionInfos, message });
            }
            self.snap.header.insert("trace_function_count".into(), Value::from(actual));
        }
        if let Some(samples) = &self.snap.samples {
            let sf = meta.field_list("sample_fields").map_or(2, |f| f.len().max(1));
            if samples.len() % sf != 0 {
                return Err(Error::parse(
                    Section::Samples,
                    end,
                    format!(
                        "`samples` has {} values, not a multiple of {sf} fields",
                        samples.len()
                    ),
                ));
            }
        }
        let snap = &mut self.snap;
        for v in [
            &mut snap.node_name,
            &mut snap.node_id,
            &mut snap.node_self_size,
            &mut snap.node_trace_node_id,
        ] {
            v.shrink_to_fit();
        }
        Ok(self.snap)
    }
}
