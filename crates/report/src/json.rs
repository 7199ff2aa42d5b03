//! JSON output: the report itself, and the pretty writer every JSON format shares.

use std::io::Write;

/// Two-space indentation, as `jq` and Trivy print it.
pub(crate) fn write_pretty<T: serde::Serialize>(
    value: &T,
    out: &mut dyn Write,
) -> Result<(), serde_json::Error> {
    let mut ser = serde_json::Serializer::with_formatter(
        out,
        serde_json::ser::PrettyFormatter::with_indent(b"  "),
    );
    value.serialize(&mut ser)
}
