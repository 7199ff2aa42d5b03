//! Dockerfiles: our own parser ([`parser`]), a shell tokenizer for `RUN` ([`shell`]).

pub mod parser;
pub mod shell;
