//! Dockerfiles: our own parser ([`parser`]), a shell tokenizer for `RUN` ([`shell`]) and the
//! checks ([`checks`]).

pub mod checks;
pub mod parser;
mod pragmas;
pub mod shell;

use crate::catalog::Diags;
use crate::report::{self, Kind};
use crate::{Error, Options};
use osprey_model::report::ReportResult;

const KIND: Kind = Kind {
    r#type: "dockerfile",
    provider: "Dockerfile",
};

/// True for file names that are Dockerfiles: `Dockerfile`, `Containerfile`, `*.Dockerfile`,
/// `Dockerfile.*`, `*.dockerfile`, `Containerfile.*`.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
        || (lower.starts_with("dockerfile.") && !lower.ends_with(".dockerignore"))
        || lower.starts_with("containerfile.")
}

/// Parses and checks one Dockerfile. `target` names it in errors and in the result.
pub fn scan(target: &str, bytes: &[u8], opts: &Options) -> Result<ReportResult, Error> {
    let df = parser::parse(bytes).map_err(|e| Error::Dockerfile {
        file: target.to_string(),
        line: e.line,
        message: e.message,
    })?;
    Ok(scan_parsed(target, &df, opts))
}

/// Checks an already parsed Dockerfile. Inline `# hadolint ignore=...` / `# osprey
/// ignore=...` comments silence checks.
pub fn scan_parsed(target: &str, df: &parser::Dockerfile, opts: &Options) -> ReportResult {
    let ctx = checks::Ctx::new(df, &opts.dockerfile);
    let mut diags = Diags::default();
    for family in checks::FAMILIES {
        (family.run)(&ctx, &mut diags);
    }
    report::build(
        target,
        KIND,
        checks::FAMILIES
            .iter()
            .flat_map(|f| f.checks.iter().map(move |m| (f.name, *m))),
        pragmas::apply(df, diags.failures),
        |n| df.line(n),
        opts,
    )
}

#[cfg(test)]
mod tests {
    use super::is_dockerfile_name;

    #[test]
    fn recognises_dockerfile_names() {
        for n in [
            "Dockerfile",
            "dockerfile",
            "Containerfile",
            "api.Dockerfile",
            "Dockerfile.prod",
            "x.dockerfile",
        ] {
            assert!(is_dockerfile_name(n), "{n}");
        }
        for n in [
            "Dockerfile.dockerignore",
            "docker-compose.yml",
            "README.md",
            "Dockerfiles",
        ] {
            assert!(!is_dockerfile_name(n), "{n}");
        }
    }
}
