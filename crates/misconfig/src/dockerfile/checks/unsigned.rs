//! Package signature checks turned off.

use super::{Ctx, Family, invocations, lines};
use crate::catalog::{Diags, meta};

meta!(
    APK_UNTRUSTED,
    "OSP-DF-050",
    High,
    "apk --allow-untrusted",
    "apk installs packages without verifying their signatures.",
    "Remove `--allow-untrusted`; add the repository key to /etc/apk/keys.",
    ["checkov:CKV2_DOCKER_7"]
);
meta!(
    APT_UNAUTHENTICATED,
    "OSP-DF-051",
    High,
    "apt --allow-unauthenticated",
    "apt installs packages that failed authentication.",
    "Remove the flag; add the repository key.",
    ["checkov:CKV2_DOCKER_8"]
);
meta!(
    NOGPGCHECK,
    "OSP-DF-052",
    High,
    "yum/dnf --nogpgcheck",
    "The package manager skips GPG signature checks.",
    "Remove `--nogpgcheck`; import the repository key.",
    ["checkov:CKV2_DOCKER_9"]
);
meta!(
    RPM_NOSIGNATURE,
    "OSP-DF-053",
    High,
    "rpm signature checks bypassed",
    "`rpm --nosignature`/`--nodigest` installs packages without verifying them.",
    "Remove the flag; import the key with `rpm --import`.",
    ["checkov:CKV2_DOCKER_10"]
);
meta!(
    APT_FORCE_YES,
    "OSP-DF-054",
    High,
    "apt --force-yes",
    "`--force-yes` also accepts unauthenticated packages and downgrades.",
    "Use `-y` instead.",
    ["checkov:CKV2_DOCKER_11"]
);

pub(super) const FAMILY: Family = Family {
    name: "unsigned",
    checks: &[
        &APK_UNTRUSTED,
        &APT_UNAUTHENTICATED,
        &NOGPGCHECK,
        &RPM_NOSIGNATURE,
        &APT_FORCE_YES,
    ],
    run: check,
};

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    for (ins, script) in ctx.runs() {
        for (prog, words) in invocations(script) {
            let has = |f: &str| {
                words
                    .iter()
                    .any(|w| *w == f || w.starts_with(&format!("{f}=")))
            };
            match prog {
                "apk" if has("--allow-untrusted") => {
                    d.fail(&APK_UNTRUSTED, lines(ins), "apk --allow-untrusted")
                }
                "apt-get" | "apt" | "aptitude" => {
                    if has("--allow-unauthenticated")
                        || words
                            .iter()
                            .any(|w| w.contains("AllowUnauthenticated=true"))
                    {
                        d.fail(
                            &APT_UNAUTHENTICATED,
                            lines(ins),
                            format!("{prog} --allow-unauthenticated"),
                        );
                    }
                    if has("--force-yes") {
                        d.fail(&APT_FORCE_YES, lines(ins), format!("{prog} --force-yes"));
                    }
                }
                "yum" | "dnf" | "microdnf" | "tdnf"
                    if has("--nogpgcheck")
                        || words.iter().any(|w| {
                            w.replace(' ', "")
                                .eq_ignore_ascii_case("--setopt=gpgcheck=0")
                        }) =>
                {
                    d.fail(&NOGPGCHECK, lines(ins), format!("{prog} --nogpgcheck"))
                }
                "rpm" if has("--nosignature") || has("--nodigest") || has("--nosig") => {
                    d.fail(&RPM_NOSIGNATURE, lines(ins), "rpm --nosignature")
                }
                _ => {}
            }
        }
    }
}
