//! Cases shared by the Dockerfile check tests and the hadolint parity test.

/// (check ID, Dockerfile that fails it, Dockerfile that passes it)
pub const CASES: &[(&str, &str, &str)] = &[
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
    ("OSP-DF-011", "FROM alpine:latest\n", "FROM alpine:3.20\n"),
    (
        "OSP-DF-012",
        "FROM --platform=linux/amd64 alpine:3.20\n",
        "FROM --platform=$BUILDPLATFORM alpine:3.20\n",
    ),
    (
        "OSP-DF-013",
        "FROM alpine:3.20 AS a\nFROM alpine:3.20 AS a\n",
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
        "FROM fedora:40\nRUN dnf config-manager --save --setopt=sslverify=false\n",
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
        "FROM debian:12\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "OSP-DF-064",
        "FROM debian:12\nRUN apt-get update\n",
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
