//! The codec: round trips, bytes exchanged with `@tars/stream`, the fuzz corpus.

mod fuzz_corpus;
mod node;
mod roundtrip;
