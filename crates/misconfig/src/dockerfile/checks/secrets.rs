//! Secrets baked into the image: ENV, ARG and copied credential files.

use super::{Ctx, Family, lines};
use crate::catalog::{Diags, meta};
use crate::dockerfile::parser::{Args, Keyword, key_values};
use crate::secret_names::secret_name;

meta!(
    ENV_SECRET,
    "OSP-DF-100",
    Critical,
    "Secret in ENV",
    "ENV values are stored in the image config and visible to anyone who can pull the image.",
    "Pass secrets at runtime, or use `RUN --mount=type=secret` during the build.",
    ["hadolint:DL3064", "trivy:DS-0031"]
);
meta!(
    ARG_SECRET,
    "OSP-DF-101",
    High,
    "Secret passed as a build argument",
    "Build argument values are recorded in the image history.",
    "Use `RUN --mount=type=secret` instead of ARG for credentials.",
    ["hadolint:DL3064", "trivy:DS-0031"]
);
meta!(
    SECRET_FILE,
    "OSP-DF-102",
    High,
    "Credential file copied into the image",
    "A private key, .env or credentials file copied into a layer stays in the image even if deleted later.",
    "Keep credentials out of the build context (.dockerignore) and mount them as build secrets.",
    []
);

pub(super) const FAMILY: Family = Family {
    name: "secrets",
    checks: &[&ENV_SECRET, &ARG_SECRET, &SECRET_FILE],
    run: check,
};

/// A literal value, not only a reference to another variable.
fn literal(v: &str) -> bool {
    let t = v.trim();
    let only_reference = t.starts_with('$')
        && t[1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '{' | '}'));
    !t.is_empty() && !only_reference
}

const SECRET_FILES: &[&str] = &[
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".env",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".git-credentials",
    "credentials",
    ".htpasswd",
    ".dockercfg",
    "config.json.secret",
];

fn secret_file(path: &str) -> bool {
    let base = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    SECRET_FILES.contains(&base.as_str())
        || base.ends_with(".pem")
        || base.ends_with(".key")
        || base.ends_with(".p12")
        || base.ends_with(".pfx")
        || (base.starts_with(".env.") && !base.ends_with(".example"))
}

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    for ins in &ctx.df.instructions {
        match ins.keyword {
            Keyword::Env => {
                for (k, v) in key_values(Keyword::Env, &ins.text()) {
                    if secret_name(&k) && v.as_deref().is_some_and(literal) {
                        d.fail(
                            &ENV_SECRET,
                            lines(ins),
                            format!("ENV {k} holds a literal secret"),
                        );
                    }
                }
            }
            Keyword::Arg => {
                for (k, _) in key_values(Keyword::Arg, &ins.text()) {
                    if secret_name(&k) {
                        d.fail(
                            &ARG_SECRET,
                            lines(ins),
                            format!("ARG {k} passes a secret as a build argument"),
                        );
                    }
                }
            }
            Keyword::Copy | Keyword::Add if ins.heredocs.is_empty() => {
                let words = match &ins.args {
                    Args::Json(v) => v.clone(),
                    Args::Shell(_) => ins.words(),
                };
                if words.len() >= 2
                    && let Some(f) = words[..words.len() - 1].iter().find(|s| secret_file(s))
                {
                    d.fail(
                        &SECRET_FILE,
                        lines(ins),
                        format!("`{f}` is copied into the image"),
                    );
                }
            }
            _ => {}
        }
    }
}
