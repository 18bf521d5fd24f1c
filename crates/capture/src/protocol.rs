//! The few Chrome DevTools Protocol messages we use, as borrowed serde structs.
//!
//! Every incoming text frame is one JSON object: a reply (`id` plus `result` or `error`) or an
//! event (`method` plus `params`), optionally tagged with a flat-session `sessionId`. Parameters
//! stay [`RawValue`]s until the one consumer that knows their shape parses them, so a 100 KiB
//! heap-snapshot chunk is unescaped exactly once and never copied into a `serde_json::Value`.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{Error, Result};

/// One incoming message, borrowing from the frame's text.
#[derive(Debug, Deserialize)]
pub(crate) struct Incoming<'a> {
    #[serde(default)]
    pub(crate) id: Option<u64>,
    #[serde(default, borrow)]
    pub(crate) method: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "sessionId")]
    pub(crate) session_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) params: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub(crate) result: Option<&'a RawValue>,
    #[serde(default)]
    pub(crate) error: Option<RpcError>,
}

impl<'a> Incoming<'a> {
    pub(crate) fn parse(text: &'a str) -> Result<Incoming<'a>> {
        serde_json::from_str(text).map_err(|e| {
            let mut shown: String = text.chars().take(80).collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            Error::json(format!("malformed message from the target: {shown:?}"), e)
        })
    }

    pub(crate) fn params_str(&self) -> &'a str {
        self.params.map_or("{}", RawValue::get)
    }
}

/// A CDP error reply.
#[derive(Debug, Deserialize)]
pub(crate) struct RpcError {
    #[serde(default)]
    pub(crate) code: i64,
    #[serde(default)]
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) data: Option<String>,
}

/// `HeapProfiler.addHeapSnapshotChunk`.
#[derive(Debug, Deserialize)]
pub(crate) struct ChunkParams<'a> {
    #[serde(borrow)]
    pub(crate) chunk: Cow<'a, str>,
}

/// `HeapProfiler.reportHeapSnapshotProgress`.
#[derive(Debug, Deserialize)]
pub(crate) struct ProgressParams {
    pub(crate) done: u64,
    pub(crate) total: u64,
    #[serde(default)]
    pub(crate) finished: bool,
}

/// `NodeWorker.receivedMessageFromWorker`: a whole CDP message as a JSON string.
#[derive(Debug, Deserialize)]
pub(crate) struct WorkerMessageParams<'a> {
    #[serde(borrow, rename = "sessionId")]
    pub(crate) session_id: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) message: Cow<'a, str>,
}

/// `NodeWorker.attachedToWorker`.
#[derive(Debug, Deserialize)]
pub(crate) struct AttachedToWorker {
    #[serde(rename = "sessionId")]
    pub(crate) session_id: String,
    #[serde(rename = "workerInfo")]
    pub(crate) worker_info: WorkerInfoJson,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WorkerInfoJson {
    #[serde(rename = "workerId")]
    pub(crate) worker_id: String,
    #[serde(default, rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) url: String,
}

/// `NodeWorker.detachedFromWorker`.
#[derive(Debug, Deserialize)]
pub(crate) struct DetachedFromWorker<'a> {
    #[serde(borrow, rename = "sessionId")]
    pub(crate) session_id: Cow<'a, str>,
}

/// Parses an event's or a reply's parameters into `T`.
pub(crate) fn parse_params<'a, T: Deserialize<'a>>(what: &str, raw: &'a str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| Error::json(format!("unexpected {what} message"), e))
}

/// Serializes one request: `{"id":..,"method":..,"params":..}` plus `sessionId` when given.
pub(crate) fn request(
    id: u64,
    method: &str,
    params: &serde_json::Value,
    session_id: Option<&str>,
) -> String {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), id.into());
    m.insert("method".into(), method.into());
    if !params.is_null() {
        m.insert("params".into(), params.clone());
    }
    if let Some(s) = session_id {
        m.insert("sessionId".into(), s.into());
    }
    serde_json::Value::Object(m).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_replies_and_events() {
        let m = Incoming::parse(r#"{"id":3,"result":{"a":1}}"#).unwrap();
        assert_eq!(m.id, Some(3));
        assert_eq!(m.result.unwrap().get(), r#"{"a":1}"#);
        let m = Incoming::parse(
            r#"{"method":"HeapProfiler.addHeapSnapshotChunk","params":{"chunk":"{\"a\":\n1"}}"#,
        )
        .unwrap();
        let c: ChunkParams<'_> = parse_params("chunk", m.params_str()).unwrap();
        assert_eq!(c.chunk, "{\"a\":\n1");
        let m = Incoming::parse(r#"{"id":1,"error":{"code":-32601,"message":"nope"}}"#).unwrap();
        assert_eq!(m.error.unwrap().code, -32601);
        assert!(Incoming::parse("{\"id\":").is_err());
        let r = request(7, "A.b", &serde_json::json!({"x":1}), Some("S"));
        assert_eq!(r, r#"{"id":7,"method":"A.b","params":{"x":1},"sessionId":"S"}"#);
        assert_eq!(request(1, "A.b", &serde_json::Value::Null, None), r#"{"id":1,"method":"A.b"}"#);
    }
}
