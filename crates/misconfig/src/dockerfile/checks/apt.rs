//! apt-get / apt hygiene.

use super::{CmdLine, Ctx, Family, has_cache_mount, invocations, lines};
use crate::catalog::{Diags, meta};

meta!(
    UNPINNED,
    "OSP-DF-060",
    Medium,
    "apt-get install without version pins",
    "Unpinned packages make builds unreproducible and can pull unexpected versions.",
    "Pin versions: `apt-get install -y pkg=1.2.3-1`.",
    ["hadolint:DL3008"]
);
meta!(
    NO_YES,
    "OSP-DF-061",
    High,
    "apt-get install without -y",
    "Without `-y` the install waits for confirmation and the build fails or hangs.",
    "Add `-y`.",
    ["hadolint:DL3014", "trivy:DS-0021"]
);
meta!(
    RECOMMENDS,
    "OSP-DF-062",
    Low,
    "apt-get install without --no-install-recommends",
    "Recommended packages add size and attack surface nobody asked for.",
    "Add `--no-install-recommends`.",
    ["hadolint:DL3015", "trivy:DS-0029"]
);
meta!(
    LISTS_KEPT,
    "OSP-DF-063",
    Low,
    "apt lists not removed",
    "`apt-get update` leaves /var/lib/apt/lists in the layer.",
    "End the same RUN with `rm -rf /var/lib/apt/lists/*`, or use a cache mount.",
    ["hadolint:DL3009"]
);
meta!(
    UPDATE_ALONE,
    "OSP-DF-064",
    Medium,
    "Package index update alone in a RUN",
    "An update in its own RUN is cached separately; later installs use a stale index.",
    "Combine the update and the install in one RUN.",
    ["checkov:CKV_DOCKER_5", "trivy:DS-0017"]
);
meta!(
    APT_CLI,
    "OSP-DF-065",
    Low,
    "apt used instead of apt-get",
    "`apt` is meant for interactive use and has no stable command-line interface.",
    "Use `apt-get` or `apt-cache`.",
    ["hadolint:DL3027"]
);
meta!(
    UPGRADE,
    "OSP-DF-066",
    Low,
    "Distribution upgrade in a Dockerfile",
    "`upgrade`/`dist-upgrade` in a build makes the image depend on the day it was built; update the base image instead.",
    "Use a newer base image and install only what you need.",
    ["trivy:DS-0024"]
);

pub(super) const FAMILY: Family = Family {
    name: "apt",
    checks: &[
        &UNPINNED,
        &NO_YES,
        &RECOMMENDS,
        &LISTS_KEPT,
        &UPDATE_ALONE,
        &APT_CLI,
        &UPGRADE,
    ],
    run: check,
};

const WITH_VALUE: &[&str] = &[
    "-o",
    "-t",
    "-c",
    "--option",
    "--target-release",
    "--config-file",
];

fn pinned(pkg: &str) -> bool {
    pkg.contains('=') || pkg.contains('/') || pkg.ends_with(".deb") || pkg.contains('$')
}

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    let recommends_configured = ctx
        .settings()
        .iter()
        .any(|(_, _, v)| v.contains("Install-Recommends"))
        || ctx.df.source().contains("APT::Install-Recommends");
    for (ins, script) in ctx.runs() {
        let calls = invocations(script);
        let mut updates = false;
        let mut installs = false;
        let mut lists_removed = false;
        for (prog, words) in &calls {
            match *prog {
                "apt-get" | "apt" => {
                    let cl = CmdLine::parse(words, WITH_VALUE);
                    if *prog == "apt" {
                        d.fail(
                            &APT_CLI,
                            lines(ins),
                            format!("apt {}", cl.sub.unwrap_or("")),
                        );
                    }
                    match cl.sub {
                        Some("update") => updates = true,
                        Some("install") => {
                            installs = true;
                            if !cl.has(&["--yes", "--assume-yes", "--force-yes"], &['y'])
                                && !cl
                                    .opts
                                    .iter()
                                    .any(|o| *o == "-qq" || *o == "-q=2" || *o == "--quiet=2")
                            {
                                d.fail(&NO_YES, lines(ins), format!("{prog} install without -y"));
                            }
                            if !cl.has(&["--no-install-recommends"], &[]) && !recommends_configured
                            {
                                d.fail(
                                    &RECOMMENDS,
                                    lines(ins),
                                    format!("{prog} install without --no-install-recommends"),
                                );
                            }
                            let loose: Vec<&str> =
                                cl.args.iter().copied().filter(|p| !pinned(p)).collect();
                            if !loose.is_empty() {
                                d.fail(
                                    &UNPINNED,
                                    lines(ins),
                                    format!("unpinned: {}", loose.join(", ")),
                                );
                            }
                        }
                        Some("upgrade" | "dist-upgrade" | "full-upgrade") => d.fail(
                            &UPGRADE,
                            lines(ins),
                            format!("{prog} {}", cl.sub.unwrap_or("")),
                        ),
                        _ => {}
                    }
                }
                "apk" => match CmdLine::parse(words, &["-X", "--repository", "-p", "--root"]).sub {
                    Some("update") => updates = true,
                    Some("add") => installs = true,
                    _ => {}
                },
                "rm" if words.iter().any(|w| w.starts_with("/var/lib/apt/lists")) => {
                    lists_removed = true
                }
                _ => {}
            }
        }
        if updates && !installs {
            d.fail(
                &UPDATE_ALONE,
                lines(ins),
                "index update without an install in the same RUN",
            );
        }
        let apt_update = calls.iter().any(|(p, w)| {
            matches!(*p, "apt-get" | "apt") && CmdLine::parse(w, WITH_VALUE).sub == Some("update")
        });
        if apt_update && !lists_removed && !has_cache_mount(ins, "/var/lib/apt") {
            d.fail(
                &LISTS_KEPT,
                lines(ins),
                "apt-get update without removing /var/lib/apt/lists",
            );
        }
    }
}
