//! yum, dnf and zypper hygiene.

use super::{CmdLine, Ctx, Family, has_cache_mount, invocations, lines};
use crate::catalog::{CheckMeta, Diags, meta};

meta!(
    YUM_NO_YES,
    "OSP-DF-080",
    High,
    "yum install without -y",
    "Without `-y` the install waits for confirmation.",
    "Add `-y`.",
    ["hadolint:DL3030"]
);
meta!(
    YUM_NO_CLEAN,
    "OSP-DF-081",
    Low,
    "yum install without yum clean all",
    "The yum cache stays in the layer.",
    "End the RUN with `yum clean all`.",
    ["hadolint:DL3032", "trivy:DS-0015"]
);
meta!(
    YUM_UNPINNED,
    "OSP-DF-082",
    Medium,
    "yum install without version pins",
    "Unpinned packages make builds unreproducible.",
    "Pin versions: `yum install -y pkg-1.2.3`.",
    ["hadolint:DL3033"]
);
meta!(
    DNF_NO_YES,
    "OSP-DF-083",
    High,
    "dnf install without -y",
    "Without `-y` the install waits for confirmation.",
    "Add `-y`.",
    ["hadolint:DL3038"]
);
meta!(
    DNF_NO_CLEAN,
    "OSP-DF-084",
    Low,
    "dnf install without dnf clean all",
    "The dnf cache stays in the layer.",
    "End the RUN with `dnf clean all`.",
    ["hadolint:DL3040", "trivy:DS-0019"]
);
meta!(
    DNF_UNPINNED,
    "OSP-DF-085",
    Medium,
    "dnf install without version pins",
    "Unpinned packages make builds unreproducible.",
    "Pin versions: `dnf install -y pkg-1.2.3`.",
    ["hadolint:DL3041"]
);
meta!(
    ZYPPER_NO_YES,
    "OSP-DF-086",
    High,
    "zypper install without -n/-y",
    "Without non-interactive mode the install waits for confirmation.",
    "Use `zypper -n install` or `zypper install -y`.",
    ["hadolint:DL3034"]
);
meta!(
    ZYPPER_NO_CLEAN,
    "OSP-DF-087",
    Low,
    "zypper install without zypper clean",
    "The zypper cache stays in the layer.",
    "End the RUN with `zypper clean`.",
    ["hadolint:DL3036", "trivy:DS-0020"]
);
meta!(
    ZYPPER_UNPINNED,
    "OSP-DF-088",
    Medium,
    "zypper install without version pins",
    "Unpinned packages make builds unreproducible.",
    "Pin versions: `zypper install -y pkg=1.2.3`.",
    ["hadolint:DL3037"]
);
meta!(
    ZYPPER_DUP,
    "OSP-DF-089",
    Medium,
    "zypper dist-upgrade in a Dockerfile",
    "A distribution upgrade at build time makes the image depend on the build day.",
    "Use a newer base image.",
    ["hadolint:DL3035"]
);

pub(super) const FAMILY: Family = Family {
    name: "rpm",
    checks: &[
        &YUM_NO_YES,
        &YUM_NO_CLEAN,
        &YUM_UNPINNED,
        &DNF_NO_YES,
        &DNF_NO_CLEAN,
        &DNF_UNPINNED,
        &ZYPPER_NO_YES,
        &ZYPPER_NO_CLEAN,
        &ZYPPER_UNPINNED,
        &ZYPPER_DUP,
    ],
    run: check,
};

struct Manager {
    progs: &'static [&'static str],
    install: &'static [&'static str],
    no_yes: &'static CheckMeta,
    no_clean: &'static CheckMeta,
    unpinned: &'static CheckMeta,
    cache_dir: &'static str,
}

const MANAGERS: &[Manager] = &[
    Manager {
        progs: &["yum"],
        install: &["install", "groupinstall", "localinstall"],
        no_yes: &YUM_NO_YES,
        no_clean: &YUM_NO_CLEAN,
        unpinned: &YUM_UNPINNED,
        cache_dir: "/var/cache/yum",
    },
    Manager {
        progs: &["dnf", "microdnf", "tdnf"],
        install: &["install", "groupinstall"],
        no_yes: &DNF_NO_YES,
        no_clean: &DNF_NO_CLEAN,
        unpinned: &DNF_UNPINNED,
        cache_dir: "/var/cache/dnf",
    },
    Manager {
        progs: &["zypper"],
        install: &["install", "in"],
        no_yes: &ZYPPER_NO_YES,
        no_clean: &ZYPPER_NO_CLEAN,
        unpinned: &ZYPPER_UNPINNED,
        cache_dir: "/var/cache/zypp",
    },
];

fn rpm_pinned(p: &str) -> bool {
    // `name-1.2.3`, `name-1.2.3-1.el9`, `name=1.2`, local `.rpm`, `name>=1`.
    p.contains(['=', '<', '>', '$'])
        || p.ends_with(".rpm")
        || p.split('-')
            .skip(1)
            .any(|part| part.starts_with(|c: char| c.is_ascii_digit()))
}

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    for (ins, script) in ctx.runs() {
        let calls = invocations(script);
        for m in MANAGERS {
            let mut installed = false;
            let mut cleaned = false;
            for (prog, words) in &calls {
                if *prog == "rm" && words.iter().any(|w| w.starts_with(m.cache_dir)) {
                    cleaned = true;
                }
                if !m.progs.contains(prog) {
                    continue;
                }
                let cl = CmdLine::parse(
                    words,
                    &[
                        "-c",
                        "--config",
                        "--setopt",
                        "--releasever",
                        "--installroot",
                        "-R",
                        "--root",
                        "--repo",
                        "-r",
                        "--from",
                    ],
                );
                match cl.sub {
                    Some("clean" | "cc") => cleaned = true,
                    Some(s) if m.install.contains(&s) => {
                        installed = true;
                        let yes = if *prog == "zypper" {
                            cl.has(
                                &["--non-interactive", "--no-confirm", "--assume-yes"],
                                &['n', 'y'],
                            )
                        } else {
                            cl.has(&["--assumeyes", "--yes"], &['y'])
                        };
                        // microdnf never prompts.
                        if !yes && *prog != "microdnf" {
                            d.fail(m.no_yes, lines(ins), format!("{prog} {s} without -y"));
                        }
                        let loose: Vec<&str> = cl
                            .args
                            .iter()
                            .copied()
                            .filter(|p| !rpm_pinned(p) && !p.starts_with('@'))
                            .collect();
                        if !loose.is_empty() {
                            d.fail(
                                m.unpinned,
                                lines(ins),
                                format!("unpinned: {}", loose.join(", ")),
                            );
                        }
                    }
                    Some("dist-upgrade" | "dup") if *prog == "zypper" => {
                        d.fail(&ZYPPER_DUP, lines(ins), "zypper dist-upgrade")
                    }
                    _ => {}
                }
            }
            if installed && !cleaned && !has_cache_mount(ins, m.cache_dir) {
                d.fail(
                    m.no_clean,
                    lines(ins),
                    format!("{} install without cleaning the cache", m.progs[0]),
                );
            }
        }
    }
}
