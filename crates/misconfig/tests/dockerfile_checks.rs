//! Every Dockerfile check has a failing and a passing snippet; this test walks the registry so
//! a new check without cases fails the build.

use osprey_misconfig::dockerfile::checks::{Config, all_checks};
use osprey_misconfig::{InputKind, Options, scan_bytes};
use std::collections::BTreeSet;

/// (check ID, Dockerfile that fails it, Dockerfile that passes it)
const CASES: &[(&str, &str, &str)] = &[
    (
        "OSP-DF-001",
        "FROM alpine:3.20\nUSER app\nUSER root\n",
        "FROM alpine:3.20\nUSER root\nRUN id\nUSER 1000\n",
    ),
    (
        "OSP-DF-002",
        "FROM alpine:3.20\nRUN id\n",
        "FROM alpine:3.20 AS base\nUSER app\nFROM base\nRUN id\n",
    ),
    (
        "OSP-DF-003",
        "FROM debian:12\nRUN sudo apt-get update\n",
        "FROM debian:12\nRUN apt-get update\n",
    ),
    (
        "OSP-DF-004",
        "FROM debian:12\nRUN echo 'root:pw' | chpasswd\n",
        "FROM debian:12\nRUN passwd -l root\n",
    ),
    (
        "OSP-DF-005",
        "FROM debian:12\nRUN useradd -u 123456 app\n",
        "FROM debian:12\nRUN useradd -l -u 123456 app\n",
    ),
    ("OSP-DF-010", "FROM alpine\n", "FROM alpine:3.20\n"),
    (
        "OSP-DF-011",
        "ARG V=latest\nFROM alpine:${V}\n",
        "FROM alpine:3.20\n",
    ),
    (
        "OSP-DF-012",
        "FROM --platform=linux/amd64 alpine:3.20\n",
        "FROM --platform=$BUILDPLATFORM alpine:3.20\n",
    ),
    (
        "OSP-DF-013",
        "FROM alpine:3.20 AS a\nFROM alpine:3.20 AS A\n",
        "FROM alpine:3.20 AS a\nFROM alpine:3.20 AS b\n",
    ),
    (
        "OSP-DF-014",
        "FROM alpine:3.20\nCOPY --from=build /a /a\n",
        "FROM alpine:3.20 AS build\nFROM alpine:3.20\nCOPY --from=build /a /a\nCOPY --from=nginx:1.27 /etc/nginx /etc/nginx\n",
    ),
    (
        "OSP-DF-015",
        "FROM alpine:3.20 AS app\nCOPY --from=app /a /b\n",
        "FROM alpine:3.20 AS build\nFROM alpine:3.20 AS app\nCOPY --from=0 /a /b\n",
    ),
    (
        "OSP-DF-016",
        "FROM alpine:3.20 AS scratch\n",
        "FROM alpine:3.20 AS builder\n",
    ),
    (
        "OSP-DF-017",
        "FROM alpine:3.20\n",
        "FROM alpine:3.20@sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
    ),
    // OSP-DF-018 needs configuration; see `trusted_registries_are_configurable`.
    (
        "OSP-DF-020",
        "FROM alpine:3.20\nADD app.py /app/\n",
        "FROM alpine:3.20\nCOPY app.py /app/\nADD rootfs.tar.gz /\n",
    ),
    (
        "OSP-DF-021",
        "FROM alpine:3.20\nADD https://example.com/x.tgz /tmp/\n",
        "FROM alpine:3.20\nADD --checksum=sha256:abc https://example.com/x.tgz /tmp/\n",
    ),
    (
        "OSP-DF-022",
        "FROM alpine:3.20\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt\n",
        "FROM alpine:3.20\nADD app.tar.gz /opt/\nRUN tar -czf /tmp/out.tar.gz /opt\n",
    ),
    (
        "OSP-DF-030",
        "FROM alpine:3.20\nRUN curl -fsSL https://get.example.com | sh\n",
        "FROM alpine:3.20\nRUN curl -fsSLo /tmp/i.sh https://get.example.com && sha256sum -c sums && sh /tmp/i.sh\n",
    ),
    (
        "OSP-DF-031",
        "FROM alpine:3.20\nRUN curl -o a https://x\nRUN wget https://y\n",
        "FROM alpine:3.20\nRUN curl -o a https://x && curl -o b https://y\n",
    ),
    (
        "OSP-DF-033",
        "FROM alpine:3.20\nRUN wget -O - https://x | tar xz\n",
        "FROM alpine:3.20\nSHELL [\"/bin/ash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN wget -O - https://x | tar xz\n",
    ),
    (
        "OSP-DF-040",
        "FROM alpine:3.20\nRUN curl -fsSLk https://x -o y\n",
        "FROM alpine:3.20\nRUN curl -fsSL https://x -o y\n",
    ),
    (
        "OSP-DF-041",
        "FROM alpine:3.20\nRUN wget --no-check-certificate https://x\n",
        "FROM alpine:3.20\nRUN wget https://x\n",
    ),
    (
        "OSP-DF-042",
        "FROM python:3.12\nRUN pip install --trusted-host pypi.org flask==3.0.0\n",
        "FROM python:3.12\nRUN pip install flask==3.0.0\n",
    ),
    (
        "OSP-DF-043",
        "FROM python:3.12\nENV PYTHONHTTPSVERIFY=0\n",
        "FROM python:3.12\nENV PYTHONHTTPSVERIFY=1\n",
    ),
    (
        "OSP-DF-044",
        "FROM node:22\nENV NODE_TLS_REJECT_UNAUTHORIZED 0\n",
        "FROM node:22\nENV NODE_EXTRA_CA_CERTS=/ca.pem\n",
    ),
    (
        "OSP-DF-045",
        "FROM node:22\nENV NPM_CONFIG_STRICT_SSL=false\n",
        "FROM node:22\nENV NPM_CONFIG_STRICT_SSL=true\n",
    ),
    (
        "OSP-DF-046",
        "FROM node:22\nRUN npm config set strict-ssl false\n",
        "FROM node:22\nRUN npm config set cafile /ca.pem\n",
    ),
    (
        "OSP-DF-047",
        "FROM alpine:3.20\nRUN GIT_SSL_NO_VERIFY=true git clone https://x\n",
        "FROM alpine:3.20\nRUN git clone https://x\n",
    ),
    (
        "OSP-DF-048",
        "FROM fedora:40\nRUN echo 'sslverify=false' >> /etc/dnf/dnf.conf\n",
        "FROM fedora:40\nRUN echo 'gpgcheck=1' >> /etc/dnf/dnf.conf\n",
    ),
    (
        "OSP-DF-049",
        "FROM python:3.12\nARG PIP_TRUSTED_HOST=pypi.internal\n",
        "FROM python:3.12\nARG PIP_INDEX_URL=https://pypi.internal/simple\n",
    ),
    (
        "OSP-DF-050",
        "FROM alpine:3.20\nRUN apk add --no-cache --allow-untrusted x=1\n",
        "FROM alpine:3.20\nRUN apk add --no-cache x=1\n",
    ),
    (
        "OSP-DF-051",
        "FROM debian:12\nRUN apt-get install -y --allow-unauthenticated x\n",
        "FROM debian:12\nRUN apt-get install -y x\n",
    ),
    (
        "OSP-DF-052",
        "FROM fedora:40\nRUN dnf install -y --nogpgcheck x\n",
        "FROM fedora:40\nRUN dnf install -y x\n",
    ),
    (
        "OSP-DF-053",
        "FROM fedora:40\nRUN rpm -i --nosignature /tmp/x.rpm\n",
        "FROM fedora:40\nRUN rpm -i /tmp/x.rpm\n",
    ),
    (
        "OSP-DF-054",
        "FROM debian:12\nRUN apt-get install --force-yes x\n",
        "FROM debian:12\nRUN apt-get install -y x\n",
    ),
    (
        "OSP-DF-060",
        "FROM debian:12\nRUN apt-get install -y curl\n",
        "FROM debian:12\nRUN apt-get install -y curl=7.88.1-10\n",
    ),
    (
        "OSP-DF-061",
        "FROM debian:12\nRUN apt-get install curl\n",
        "FROM debian:12\nRUN apt-get -qy install curl\n",
    ),
    (
        "OSP-DF-062",
        "FROM debian:12\nRUN apt-get install -y curl\n",
        "FROM debian:12\nRUN apt-get install -y --no-install-recommends curl\n",
    ),
    (
        "OSP-DF-063",
        "FROM debian:12\nRUN apt-get update && apt-get install -y x\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y y\n",
    ),
    (
        "OSP-DF-064",
        "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y x\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y x\n",
    ),
    (
        "OSP-DF-065",
        "FROM debian:12\nRUN apt install -y x\n",
        "FROM debian:12\nRUN apt-get install -y x\n",
    ),
    (
        "OSP-DF-066",
        "FROM debian:12\nRUN apt-get update && apt-get -y dist-upgrade\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y x\n",
    ),
    (
        "OSP-DF-070",
        "FROM alpine:3.20\nRUN apk add --no-cache curl\n",
        "FROM alpine:3.20\nRUN apk add --no-cache curl=8.9.1-r0\n",
    ),
    (
        "OSP-DF-071",
        "FROM alpine:3.20\nRUN apk add curl=8.9.1-r0\n",
        "FROM alpine:3.20\nRUN apk add --no-cache curl=8.9.1-r0\nRUN --mount=type=cache,target=/var/cache/apk apk add x=1\n",
    ),
    (
        "OSP-DF-072",
        "FROM alpine:3.20\nRUN apk upgrade --no-cache\n",
        "FROM alpine:3.20\nRUN apk add --no-cache x=1\n",
    ),
    (
        "OSP-DF-080",
        "FROM centos:7\nRUN yum install httpd-2.4.6 && yum clean all\n",
        "FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n",
    ),
    (
        "OSP-DF-081",
        "FROM centos:7\nRUN yum install -y httpd-2.4.6\n",
        "FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n",
    ),
    (
        "OSP-DF-082",
        "FROM centos:7\nRUN yum install -y httpd && yum clean all\n",
        "FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n",
    ),
    (
        "OSP-DF-083",
        "FROM fedora:40\nRUN dnf install httpd-2.4 && dnf clean all\n",
        "FROM fedora:40\nRUN dnf install -y httpd-2.4 && dnf clean all\n",
    ),
    (
        "OSP-DF-084",
        "FROM fedora:40\nRUN dnf install -y httpd-2.4\n",
        "FROM fedora:40\nRUN dnf install -y httpd-2.4 && rm -rf /var/cache/dnf\n",
    ),
    (
        "OSP-DF-085",
        "FROM fedora:40\nRUN microdnf install httpd && microdnf clean all\n",
        "FROM fedora:40\nRUN microdnf install httpd-2.4 && microdnf clean all\n",
    ),
    (
        "OSP-DF-086",
        "FROM opensuse/leap:15.6\nRUN zypper install x=1 && zypper clean\n",
        "FROM opensuse/leap:15.6\nRUN zypper -n install x=1 && zypper clean\n",
    ),
    (
        "OSP-DF-087",
        "FROM opensuse/leap:15.6\nRUN zypper install -y x=1\n",
        "FROM opensuse/leap:15.6\nRUN zypper install -y x=1 && zypper cc\n",
    ),
    (
        "OSP-DF-088",
        "FROM opensuse/leap:15.6\nRUN zypper in -y x && zypper clean\n",
        "FROM opensuse/leap:15.6\nRUN zypper in -y 'x>=1.0' && zypper clean\n",
    ),
    (
        "OSP-DF-089",
        "FROM opensuse/leap:15.6\nRUN zypper -n dup\n",
        "FROM opensuse/leap:15.6\nRUN zypper -n refresh\n",
    ),
    (
        "OSP-DF-090",
        "FROM python:3.12\nRUN pip install --no-cache-dir flask\n",
        "FROM python:3.12\nRUN pip install --no-cache-dir flask==3.0.0 -r requirements.txt .\n",
    ),
    (
        "OSP-DF-091",
        "FROM python:3.12\nRUN python3 -m pip install flask==3.0.0\n",
        "FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask==3.0.0\n",
    ),
    (
        "OSP-DF-092",
        "FROM node:22\nRUN npm install -g typescript @types/node\n",
        "FROM node:22\nRUN npm install -g typescript@5.6.2 @types/node@22.0.0 && npm install\n",
    ),
    (
        "OSP-DF-093",
        "FROM ruby:3.3\nRUN gem install rails\n",
        "FROM ruby:3.3\nRUN gem install rails:7.1.0 && gem install -v 2.0 bundler\n",
    ),
    (
        "OSP-DF-094",
        "FROM golang:1.23\nRUN go install golang.org/x/tools/gopls@latest\n",
        "FROM golang:1.23\nRUN go install golang.org/x/tools/gopls@v0.16.2\n",
    ),
    (
        "OSP-DF-095",
        "FROM node:22\nRUN yarn install --frozen-lockfile\n",
        "FROM node:22\nRUN yarn install --frozen-lockfile && yarn cache clean\n",
    ),
    (
        "OSP-DF-100",
        "FROM alpine:3.20\nENV DB_PASSWORD=hunter2\n",
        "FROM alpine:3.20\nENV DB_PASSWORD_FILE=/run/secrets/db\n",
    ),
    (
        "OSP-DF-101",
        "FROM alpine:3.20\nARG GITHUB_TOKEN\n",
        "FROM alpine:3.20\nARG VERSION=1.0\n",
    ),
    (
        "OSP-DF-102",
        "FROM alpine:3.20\nCOPY id_rsa /root/.ssh/\n",
        "FROM alpine:3.20\nCOPY id_rsa.pub /root/.ssh/\n",
    ),
    (
        "OSP-DF-110",
        "FROM alpine:3.20\nEXPOSE 80 22/tcp\n",
        "FROM alpine:3.20\nEXPOSE 80 443/tcp 8000-8010\n",
    ),
    (
        "OSP-DF-111",
        "FROM alpine:3.20\nEXPOSE 70000\n",
        "FROM alpine:3.20\nEXPOSE 8080 ${PORT}\n",
    ),
    (
        "OSP-DF-120",
        "FROM alpine:3.20\nWORKDIR app\n",
        "FROM alpine:3.20\nWORKDIR /app\n",
    ),
    (
        "OSP-DF-121",
        "FROM alpine:3.20\nRUN cd /src && make\n",
        "FROM alpine:3.20\nWORKDIR /src\nRUN make\n",
    ),
    (
        "OSP-DF-122",
        "FROM alpine:3.20\nCMD [\"app\"]\n",
        "FROM alpine:3.20\nHEALTHCHECK CMD [\"app\", \"health\"]\nCMD [\"app\"]\n",
    ),
    (
        "OSP-DF-123",
        "FROM alpine:3.20\nCMD [\"a\"]\nCMD [\"b\"]\n",
        "FROM alpine:3.20 AS a\nCMD [\"a\"]\nFROM alpine:3.20\nCMD [\"b\"]\n",
    ),
    (
        "OSP-DF-124",
        "FROM alpine:3.20\nENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]\n",
        "FROM alpine:3.20\nENTRYPOINT [\"a\"]\n",
    ),
    (
        "OSP-DF-125",
        "FROM alpine:3.20\nHEALTHCHECK CMD a\nHEALTHCHECK NONE\n",
        "FROM alpine:3.20\nHEALTHCHECK --interval=5s CMD a\n",
    ),
    (
        "OSP-DF-126",
        "FROM alpine:3.20\nMAINTAINER me@example.com\n",
        "FROM alpine:3.20\nLABEL org.opencontainers.image.authors=me@example.com\n",
    ),
    (
        "OSP-DF-127",
        "FROM alpine:3.20\nCMD app --serve\n",
        "FROM alpine:3.20\nCMD [\"app\", \"--serve\"]\n",
    ),
    (
        "OSP-DF-128",
        "FROM alpine:3.20\nCOPY a b /dest\n",
        "FROM alpine:3.20\nCOPY a b /dest/\nCOPY a /dest\n",
    ),
    (
        "OSP-DF-129",
        "FROM alpine:3.20\nRUN service nginx start\n",
        "FROM alpine:3.20\nRUN nginx -t\n",
    ),
    (
        "OSP-DF-130",
        "FROM debian:12\nRUN ln -sf /bin/bash /bin/sh\n",
        "FROM debian:12\nSHELL [\"/bin/bash\", \"-c\"]\n",
    ),
    (
        "OSP-DF-131",
        "FROM alpine:3.20\nRUN chmod -R 777 /app\n",
        "FROM alpine:3.20\nRUN chmod 755 /app\n",
    ),
];

fn ids(src: &str, opts: &Options) -> BTreeSet<String> {
    let results = scan_bytes("Dockerfile", src.as_bytes(), InputKind::Dockerfile, opts)
        .unwrap_or_else(|e| panic!("snippet does not parse: {e}\n{src}"));
    results[0]
        .misconfigurations
        .iter()
        .filter(|m| m.status == "FAIL")
        .map(|m| m.id.clone())
        .collect()
}

#[test]
fn every_check_fails_and_passes_its_snippets() {
    let opts = Options::default();
    let mut problems = Vec::new();
    for (id, fail, pass) in CASES {
        if !ids(fail, &opts).contains(*id) {
            problems.push(format!("{id}: failing snippet not flagged:\n{fail}"));
        }
        if ids(pass, &opts).contains(*id) {
            problems.push(format!("{id}: passing snippet flagged:\n{pass}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn every_registered_check_has_cases() {
    let registered: BTreeSet<&str> = all_checks().map(|c| c.id).collect();
    let covered: BTreeSet<&str> = CASES.iter().map(|c| c.0).chain(["OSP-DF-018"]).collect();
    assert_eq!(
        registered, covered,
        "checks without cases, or cases without checks"
    );
    assert!(
        registered.len() >= 45,
        "only {} Dockerfile checks",
        registered.len()
    );
    for c in all_checks() {
        assert!(
            !c.title.is_empty() && !c.resolution.is_empty() && !c.description.is_empty(),
            "{}",
            c.id
        );
    }
}

#[test]
fn trusted_registries_are_configurable() {
    let mut opts = Options::default();
    let src = "FROM ghcr.io/acme/app:1.0\nFROM alpine:3.20\n";
    assert!(!ids(src, &opts).contains("OSP-DF-018"));
    opts.dockerfile = Config {
        trusted_registries: vec!["docker.io".into()],
    };
    let results = scan_bytes("Dockerfile", src.as_bytes(), InputKind::Dockerfile, &opts).unwrap();
    let hits: Vec<_> = results[0]
        .misconfigurations
        .iter()
        .filter(|m| m.id == "OSP-DF-018")
        .collect();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].cause_metadata.start_line, 1);
}

#[test]
fn findings_carry_lines_code_and_refs() {
    let src = "FROM debian:12\nRUN apt-get update && \\\n    apt-get install curl\nUSER root\n";
    let r = &scan_bytes(
        "Dockerfile",
        src.as_bytes(),
        InputKind::Dockerfile,
        &Options::default(),
    )
    .unwrap()[0];
    let m = r
        .misconfigurations
        .iter()
        .find(|m| m.id == "OSP-DF-061")
        .unwrap();
    assert_eq!(
        (m.cause_metadata.start_line, m.cause_metadata.end_line),
        (2, 3)
    );
    let code = m.cause_metadata.code.as_ref().unwrap();
    assert_eq!(code.lines[1].content, "    apt-get install curl");
    assert!(code.lines[0].first_cause && code.lines[1].last_cause);
    assert!(m.references.contains(&"hadolint:DL3014".to_string()));
    assert_eq!(m.namespace, "apt");
    let root = r
        .misconfigurations
        .iter()
        .find(|m| m.id == "OSP-DF-001")
        .unwrap();
    assert_eq!(root.cause_metadata.start_line, 4);
    let summary = r.misconf_summary.unwrap();
    assert_eq!(summary.failures, r.misconfigurations.len());
    assert!(summary.successes > 40);
}

#[test]
fn include_passed_and_skip() {
    let opts = Options {
        include_passed: true,
        skip_checks: vec!["OSP-DF-017".into()],
        ..Options::default()
    };
    let r = &scan_bytes(
        "Dockerfile",
        b"FROM alpine:3.20\nUSER 1000\nHEALTHCHECK NONE\n",
        InputKind::Dockerfile,
        &opts,
    )
    .unwrap()[0];
    assert!(r.misconfigurations.iter().all(|m| m.id != "OSP-DF-017"));
    let passes = r
        .misconfigurations
        .iter()
        .filter(|m| m.status == "PASS")
        .count();
    assert_eq!(passes, r.misconf_summary.unwrap().successes);
    assert!(passes > 40);
}

#[test]
fn heredoc_run_is_checked_as_a_script() {
    let src = "FROM debian:12\nRUN <<EOF\nset -e\napt-get update\napt-get install -y curl\nEOF\nUSER 1000\n";
    let found = ids(src, &Options::default());
    assert!(
        found.contains("OSP-DF-062") && found.contains("OSP-DF-063"),
        "{found:?}"
    );
    let exec = "FROM debian:12\nRUN [\"/bin/sh\", \"-c\", \"curl -k https://x | bash\"]\n";
    let found = ids(exec, &Options::default());
    assert!(
        found.contains("OSP-DF-030") && found.contains("OSP-DF-040"),
        "{found:?}"
    );
}

#[test]
fn parse_errors_name_file_and_line() {
    let e = scan_bytes(
        "svc/Dockerfile",
        b"FROM a\nRUN x \\\n y\nBOGUS z\n",
        InputKind::Dockerfile,
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "svc/Dockerfile:4: Dockerfile: unknown instruction: BOGUS"
    );
}

#[test]
fn hadolint_and_osprey_ignore_pragmas() {
    let src = "# hadolint global ignore=DL3007\nFROM alpine:latest\n# hadolint ignore=DL3018,DL3019\nRUN apk add curl\nRUN apk add git\n# osprey ignore=OSP-DF-121\nRUN cd /x && make\nRUN cd /y\n";
    let r = &scan_bytes(
        "Dockerfile",
        src.as_bytes(),
        InputKind::Dockerfile,
        &Options::default(),
    )
    .unwrap()[0];
    let at = |id: &str| -> Vec<usize> {
        r.misconfigurations
            .iter()
            .filter(|m| m.id == id)
            .map(|m| m.cause_metadata.start_line)
            .collect()
    };
    assert!(at("OSP-DF-011").is_empty());
    assert_eq!(at("OSP-DF-070"), [5]);
    assert_eq!(at("OSP-DF-071"), [5]);
    assert_eq!(at("OSP-DF-121"), [8]);
}
