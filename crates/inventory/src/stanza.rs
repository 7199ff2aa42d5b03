//! Blank-line separated records, the shape shared by dpkg `status` and apk `installed`.

/// One record: its lines with their 1-based line numbers in the file.
pub(crate) struct Stanza<'a> {
    /// Line number of the record's first line.
    pub first_line: usize,
    /// The record's lines, without line terminators (`\r` included).
    pub lines: Vec<(usize, &'a str)>,
}

/// Splits `text` into records at lines that are empty or only whitespace.
pub(crate) fn stanzas(text: &str) -> Vec<Stanza<'_>> {
    let mut out = Vec::new();
    let mut current: Vec<(usize, &str)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if let Some(&(first_line, _)) = current.first() {
                out.push(Stanza {
                    first_line,
                    lines: std::mem::take(&mut current),
                });
            }
        } else {
            current.push((index + 1, line));
        }
    }
    if let Some(&(first_line, _)) = current.first() {
        out.push(Stanza {
            first_line,
            lines: current,
        });
    }
    out
}
