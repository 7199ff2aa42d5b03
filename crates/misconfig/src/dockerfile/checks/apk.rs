//! apk hygiene.

use super::{CmdLine, Ctx, Family, has_cache_mount, invocations, lines};
use crate::catalog::{Diags, meta};

meta!(
    UNPINNED,
    "OSP-DF-070",
    Medium,
    "apk add without version pins",
    "Unpinned packages make builds unreproducible.",
    "Pin versions: `apk add pkg=1.2.3-r0`.",
    ["hadolint:DL3018"]
);
meta!(
    NO_CACHE,
    "OSP-DF-071",
    Low,
    "apk add without --no-cache",
    "The package index stays in the layer.",
    "Use `apk add --no-cache`, or a cache mount.",
    ["hadolint:DL3019", "trivy:DS-0025"]
);
meta!(
    UPGRADE,
    "OSP-DF-072",
    Low,
    "apk upgrade in a Dockerfile",
    "Upgrading everything at build time makes the image depend on the build day; update the base image instead.",
    "Use a newer base image.",
    []
);

pub(super) const FAMILY: Family = Family {
    name: "apk",
    checks: &[&UNPINNED, &NO_CACHE, &UPGRADE],
    run: check,
};

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    for (ins, script) in ctx.runs() {
        for (prog, words) in invocations(script) {
            if prog != "apk" {
                continue;
            }
            let cl = CmdLine::parse(
                &words,
                &["-X", "--repository", "-p", "--root", "-t", "--virtual"],
            );
            match cl.sub {
                Some("add") => {
                    if !cl.has(&["--no-cache"], &[])
                        && !has_cache_mount(ins, "/var/cache/apk")
                        && !has_cache_mount(ins, "/etc/apk/cache")
                    {
                        d.fail(&NO_CACHE, lines(ins), "apk add without --no-cache");
                    }
                    let loose: Vec<&str> = cl
                        .args
                        .iter()
                        .copied()
                        .filter(|p| !p.contains(['=', '~', '<', '>', '$']) && !p.ends_with(".apk"))
                        .collect();
                    if !loose.is_empty() {
                        d.fail(
                            &UNPINNED,
                            lines(ins),
                            format!("unpinned: {}", loose.join(", ")),
                        );
                    }
                }
                Some("upgrade") => d.fail(&UPGRADE, lines(ins), "apk upgrade"),
                _ => {}
            }
        }
    }
}
