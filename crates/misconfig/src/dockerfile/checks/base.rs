//! Base images and stages: tags, digests, platforms, aliases, `COPY --from`.

use super::{Ctx, Family, lines};
use crate::catalog::{Diags, meta};
use crate::dockerfile::parser::Keyword;

meta!(
    UNTAGGED,
    "OSP-DF-010",
    Medium,
    "Base image without a tag",
    "A FROM without a tag or digest pulls `latest`, which changes under you.",
    "Pin the base image to a version tag, better a digest.",
    ["hadolint:DL3006", "checkov:CKV_DOCKER_7", "trivy:DS-0001"]
);
meta!(
    LATEST,
    "OSP-DF-011",
    Medium,
    "Base image uses the latest tag",
    "`:latest` is a moving target: builds are not reproducible and can silently pick up breaking or vulnerable versions.",
    "Pin the base image to a version tag, better a digest.",
    ["hadolint:DL3007", "checkov:CKV_DOCKER_7", "trivy:DS-0001"]
);
meta!(
    FIXED_PLATFORM,
    "OSP-DF-012",
    Low,
    "FROM --platform with a fixed value",
    "A hard-coded `--platform` forces emulation on other architectures and breaks multi-platform builds.",
    "Remove `--platform` or use `$BUILDPLATFORM`/`$TARGETPLATFORM`.",
    ["hadolint:DL3029"]
);
meta!(
    DUPLICATE_ALIAS,
    "OSP-DF-013",
    High,
    "Duplicate stage name",
    "Two stages share an `AS` name; `COPY --from` and `FROM` references become ambiguous.",
    "Give every stage a unique name.",
    ["hadolint:DL3024", "trivy:DS-0012"]
);
meta!(
    COPY_FROM_UNKNOWN,
    "OSP-DF-014",
    Medium,
    "COPY --from an unknown stage",
    "`COPY --from` names no earlier stage, so BuildKit pulls an image of that name from a registry instead.",
    "Reference an earlier stage by name or index, or a fully qualified image.",
    ["hadolint:DL3022"]
);
meta!(
    COPY_FROM_SELF,
    "OSP-DF-015",
    High,
    "COPY --from its own stage",
    "A stage cannot copy from itself; the build fails or copies from an unrelated image.",
    "Copy from an earlier stage.",
    ["hadolint:DL3023", "trivy:DS-0006"]
);
meta!(
    RESERVED_NAME,
    "OSP-DF-016",
    Medium,
    "Stage name is a reserved word",
    "`scratch` and `context` have special meaning and cannot name a stage.",
    "Rename the stage.",
    ["hadolint:DL3063"]
);
meta!(
    NO_DIGEST,
    "OSP-DF-017",
    Low,
    "Base image not pinned by digest",
    "A tag can be re-pointed to different content; only a digest pins what is built on.",
    "Use `image:tag@sha256:...`.",
    []
);
meta!(
    UNTRUSTED_REGISTRY,
    "OSP-DF-018",
    High,
    "Base image from a registry that is not allowed",
    "The base image comes from a registry outside the configured list.",
    "Use a base image from an allowed registry.",
    ["hadolint:DL3026"]
);

pub(super) const FAMILY: Family = Family {
    name: "base",
    checks: &[
        &UNTAGGED,
        &LATEST,
        &FIXED_PLATFORM,
        &DUPLICATE_ALIAS,
        &COPY_FROM_UNKNOWN,
        &COPY_FROM_SELF,
        &RESERVED_NAME,
        &NO_DIGEST,
        &UNTRUSTED_REGISTRY,
    ],
    run: check,
};

/// Splits `registry/repo:tag@digest` into (registry, tag, digest).
fn split_ref(image: &str) -> (String, Option<&str>, Option<&str>) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last_slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (repo, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    let first = repo.split('/').next().unwrap_or("");
    let registry = if repo.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost")
    {
        first.to_string()
    } else {
        "docker.io".to_string()
    };
    (registry, tag, digest)
}

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    let df = ctx.df;
    for stage in &df.stages {
        let from = &df.instructions[stage.from_instruction];
        if let Some(p) = &stage.platform
            && !p.contains('$')
        {
            d.fail(&FIXED_PLATFORM, lines(from), format!("FROM --platform={p}"));
        }
        if let Some(name) = &stage.name {
            if matches!(name.as_str(), "scratch" | "context") {
                d.fail(&RESERVED_NAME, lines(from), format!("stage named `{name}`"));
            }
            if df
                .stage_named(name)
                .is_some_and(|first| first.index < stage.index)
            {
                d.fail(
                    &DUPLICATE_ALIAS,
                    lines(from),
                    format!("stage name `{name}` is used twice"),
                );
            }
        }
        let Some(image) = stage.base_resolved.as_deref() else {
            continue; // depends on a build argument without a default
        };
        let lower = image.to_ascii_lowercase();
        if lower == "scratch"
            || df
                .stage_named(&lower)
                .is_some_and(|s| s.index < stage.index)
        {
            continue;
        }
        let (registry, tag, digest) = split_ref(image);
        match (tag, digest) {
            (None, None) => d.fail(&UNTAGGED, lines(from), format!("`{image}` has no tag")),
            (Some("latest"), None) => {
                d.fail(&LATEST, lines(from), format!("`{image}` uses latest"))
            }
            _ => {}
        }
        if digest.is_none() {
            d.fail(
                &NO_DIGEST,
                lines(from),
                format!("`{image}` is not pinned by digest"),
            );
        }
        if !ctx.cfg.trusted_registries.is_empty()
            && !ctx
                .cfg
                .trusted_registries
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&registry))
        {
            d.fail(
                &UNTRUSTED_REGISTRY,
                lines(from),
                format!("registry `{registry}` is not allowed"),
            );
        }
    }
    for ins in &df.instructions {
        if ins.keyword != Keyword::Copy {
            continue;
        }
        let Some(src) = ins.flag("from") else {
            continue;
        };
        let Some(current) = ins.stage else { continue };
        if src.contains('$') {
            continue;
        }
        let lower = src.to_ascii_lowercase();
        let named = df.stage_named(&lower);
        let by_index = lower.parse::<usize>().ok();
        let target = named.map(|s| s.index).or(by_index);
        match target {
            Some(t) if t == current => d.fail(
                &COPY_FROM_SELF,
                lines(ins),
                format!("COPY --from={src} inside stage {current}"),
            ),
            Some(t) if t > current || (named.is_none() && t >= df.stages.len()) => d.fail(
                &COPY_FROM_UNKNOWN,
                lines(ins),
                format!("COPY --from={src} names no earlier stage"),
            ),
            Some(_) => {}
            // A name that is not a stage and looks like no image reference (no `/`, `:`, `.`).
            None if !src.contains(['/', ':', '.']) => d.fail(
                &COPY_FROM_UNKNOWN,
                lines(ins),
                format!("COPY --from={src} names no stage"),
            ),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_ref;

    #[test]
    fn splits_references() {
        assert_eq!(split_ref("alpine"), ("docker.io".into(), None, None));
        assert_eq!(
            split_ref("localhost:5000/app:1.0"),
            ("localhost:5000".into(), Some("1.0"), None)
        );
        assert_eq!(
            split_ref("ghcr.io/o/app@sha256:ab"),
            ("ghcr.io".into(), None, Some("sha256:ab"))
        );
        assert_eq!(
            split_ref("library/nginx:1.27"),
            ("docker.io".into(), Some("1.27"), None)
        );
    }
}
