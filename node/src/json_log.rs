//! JSON log lines that name their node: tracing's JSON formatter writes
//! one object per event, and only events inside a span carry that span's
//! fields (tasks spawned by the node run outside the span `main` opens).
//! So the writer puts `"node":"<id>"` first in every object instead, and a
//! log shipper collecting many nodes' lines can tell them apart.

use std::io::Write;
use std::sync::Arc;

use tracing_subscriber::fmt::MakeWriter;

/// Writes to stdout, each JSON object tagged with the node's id.
#[derive(Clone)]
pub struct Tagged {
    prefix: Arc<Vec<u8>>,
}

impl Tagged {
    pub fn new(node_id: &str) -> Tagged {
        let id = serde_json::to_string(node_id).expect("a string serialises");
        Tagged { prefix: Arc::new(format!("{{\"node\":{id},").into_bytes()) }
    }

    /// `line` with the tag put in (one formatted event: `{…}\n`).
    fn tag(&self, line: &[u8]) -> Vec<u8> {
        match line.strip_prefix(b"{") {
            Some(rest) if rest.first() != Some(&b'}') => [self.prefix.as_slice(), rest].concat(),
            _ => line.to_vec(),
        }
    }
}

pub struct TaggedLine {
    tagged: Tagged,
}

impl Write for TaggedLine {
    /// The formatter hands over each event whole, in one call.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stdout().lock().write_all(&self.tagged.tag(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

impl<'a> MakeWriter<'a> for Tagged {
    type Writer = TaggedLine;

    fn make_writer(&'a self) -> TaggedLine {
        TaggedLine { tagged: self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::Tagged;

    #[test]
    fn every_object_gets_the_node_first() {
        let t = Tagged::new("node0.\"org1\"");
        let line = t.tag(b"{\"timestamp\":\"t\",\"level\":\"INFO\"}\n");
        let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v["node"], "node0.\"org1\"");
        assert_eq!(v["level"], "INFO");
        assert_eq!(t.tag(b"{}\n"), b"{}\n", "an empty object is left alone");
        assert_eq!(t.tag(b"not json\n"), b"not json\n");
    }
}
