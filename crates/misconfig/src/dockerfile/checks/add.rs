//! ADD and archives.

use super::{Ctx, Family, invocations, lines};
use crate::catalog::{Diags, meta};
use crate::dockerfile::parser::{Args, Keyword};

meta!(
    ADD_LOCAL,
    "OSP-DF-020",
    Low,
    "ADD used for plain local files",
    "ADD has surprising behaviour (archive extraction, URLs); COPY says what is meant for local files.",
    "Use COPY for local files and directories.",
    ["hadolint:DL3020", "checkov:CKV_DOCKER_4", "trivy:DS-0005"]
);
meta!(
    ADD_URL,
    "OSP-DF-021",
    Medium,
    "ADD downloads a remote URL without --checksum",
    "ADD of a URL fetches content that is not verified; a compromised or changed server changes the image.",
    "Download with a verified checksum (`ADD --checksum=sha256:...`) or fetch and verify in RUN.",
    ["checkov:CKV_DOCKER_4", "trivy:DS-0005"]
);
meta!(
    COPY_ARCHIVE_EXTRACT,
    "OSP-DF-022",
    Low,
    "Archive copied with COPY and then extracted",
    "A local archive copied and then extracted in RUN keeps the archive in a layer.",
    "Use `ADD archive.tar.gz /dest/`, which extracts without keeping the archive.",
    ["hadolint:DL3010"]
);

pub(super) const FAMILY: Family = Family {
    name: "add",
    checks: &[&ADD_LOCAL, &ADD_URL, &COPY_ARCHIVE_EXTRACT],
    run: check,
};

const ARCHIVE_SUFFIXES: &[&str] = &[
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".gz", ".bz2",
    ".xz",
];

fn is_archive(p: &str) -> bool {
    let l = p.to_ascii_lowercase();
    ARCHIVE_SUFFIXES.iter().any(|s| l.ends_with(s))
}

fn is_url(p: &str) -> bool {
    let l = p.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://") || l.starts_with("git@")
}

fn sources(words: &[String]) -> &[String] {
    match words.len() {
        0 | 1 => &[],
        n => &words[..n - 1],
    }
}

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    // Archive basename → line of the first COPY that brought it in.
    let mut copied_archives: std::collections::HashMap<String, usize> =
        std::collections::HashMap::new();
    for ins in &ctx.df.instructions {
        if !ins.heredocs.is_empty() {
            continue;
        }
        let words = match &ins.args {
            Args::Json(v) => v.clone(),
            Args::Shell(_) => ins.words(),
        };
        match ins.keyword {
            Keyword::Add => {
                let srcs = sources(&words);
                let urls: Vec<&String> = srcs.iter().filter(|s| is_url(s)).collect();
                if !urls.is_empty() && ins.flag("checksum").is_none() {
                    d.fail(&ADD_URL, lines(ins), format!("ADD {}", urls[0]));
                }
                if !srcs.is_empty() && srcs.iter().all(|s| !is_url(s) && !is_archive(s)) {
                    d.fail(&ADD_LOCAL, lines(ins), format!("ADD {}", srcs.join(" ")));
                }
            }
            Keyword::Copy if ins.flag("from").is_none() => {
                for s in sources(&words) {
                    if is_archive(s) {
                        let base = s.rsplit('/').next().unwrap_or(s).to_string();
                        copied_archives.entry(base).or_insert(ins.span.start_line);
                    }
                }
            }
            _ => {}
        }
    }
    if copied_archives.is_empty() {
        return;
    }
    for (ins, script) in ctx.runs() {
        for (prog, words) in invocations(script) {
            let extracts = match prog {
                "tar" => words.iter().any(|w| {
                    *w == "--extract"
                        || *w == "--get"
                        || (!w.starts_with("--")
                            && w.trim_start_matches('-')
                                .starts_with(|c: char| c.is_ascii_alphabetic())
                            && w.trim_start_matches('-').contains('x'))
                }),
                "unzip" | "gunzip" | "bunzip2" | "unxz" => true,
                _ => false,
            };
            if !extracts {
                continue;
            }
            let copied = words.iter().find_map(|w| {
                let name = w.rsplit('/').next().unwrap_or(w);
                copied_archives
                    .get_key_value(name)
                    .filter(|(_, line)| **line < ins.span.start_line)
            });
            if let Some((name, line)) = copied {
                d.fail(
                    &COPY_ARCHIVE_EXTRACT,
                    lines(ins),
                    format!("`{name}` copied on line {line} and extracted here"),
                );
            }
        }
    }
}
