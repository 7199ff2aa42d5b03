//! Where rendered output goes: stdout, or a file replaced atomically so a failed run never
//! leaves a truncated report where a good one was.

use anyhow::Context;
use std::io::Write;
use std::path::Path;

/// Runs `render` into stdout or into `path` (temp file in the same directory, then rename).
pub fn write_output(
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match path {
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            render(&mut lock)?;
            lock.flush().context("writing to stdout")?;
            Ok(())
        }
        Some(path) => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
            {
                let mut w = std::io::BufWriter::new(tmp.as_file_mut());
                render(&mut w)?;
                w.flush()
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            tmp.as_file()
                .sync_all()
                .with_context(|| format!("writing {}", path.display()))?;
            tmp.persist(path)
                .with_context(|| format!("replacing {}", path.display()))?;
            Ok(())
        }
    }
}
