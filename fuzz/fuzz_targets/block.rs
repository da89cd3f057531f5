//! Blocks, envelopes and payloads as peers, orderers and clients send
//! them: any bytes decode or fail, and what decodes hashes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use weft_proto::{Block, Envelope, Payload, SignedProposal};

fuzz_target!(|data: &[u8]| {
    if let Ok(block) = Block::decode(data) {
        if let Some(header) = &block.header {
            let _ = weft_proto::block_hash(header);
        }
        if let Some(body) = &block.data {
            let _ = weft_proto::data_hash(body);
            for e in &body.envelopes {
                if let Ok(env) = Envelope::decode(e.as_slice()) {
                    let _ = Payload::decode(env.payload.as_slice());
                }
            }
        }
    }
    if let Ok(env) = Envelope::decode(data) {
        let _ = Payload::decode(env.payload.as_slice());
    }
    let _ = SignedProposal::decode(data);
});
