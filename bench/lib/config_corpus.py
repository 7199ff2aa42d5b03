#!/usr/bin/env python3
"""Generates the config-scanning benchmark corpus: Kubernetes manifests derived from the
policy fixtures (PSS pods, Kyverno test resources, Gatekeeper samples) and Dockerfiles
assembled from snippets, each with a few seeded mutations, so the same seed always gives the
same corpus.

Layout under OUT:
    k8s/mNNNN.yaml          one manifest file each (some hold two or three documents)
    docker/NNNN/Dockerfile  one Dockerfile per directory (every peer finds that name)

Usage: config_corpus.py --fixtures ../shared/fixtures/policy --out DIR [--k8s 600] [--docker 600]
"""
import argparse
import copy
import pathlib
import random
import sys

import yaml

# Objects kept from the fixtures; policies, constraint templates, test suites and
# AdmissionReviews are inputs of policy engines, not manifests a config scanner sees.
KEEP_KINDS = {"Pod", "Deployment", "Ingress", "HorizontalPodAutoscaler"}
CONTROLLERS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"]


def load_fixture_objects(root):
    objs = []
    for path in sorted(root.rglob("*.y*ml")):
        try:
            docs = list(yaml.safe_load_all(path.read_text()))
        except yaml.YAMLError as e:
            sys.exit(f"fixture {path} does not parse: {e}")
        objs += [d for d in docs if isinstance(d, dict) and d.get("kind") in KEEP_KINDS]
    if not objs:
        sys.exit(f"no Kubernetes objects under {root}")
    return objs


def pod_spec(obj):
    """The PodSpec inside a Pod or a controller, or None."""
    if obj["kind"] == "Pod":
        return obj.setdefault("spec", {})
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("spec")


def containers(spec):
    return [c for key in ("containers", "initContainers") for c in spec.get(key) or []]


def wrap(pod, kind, rng):
    """Turns a Pod into a controller of `kind` with that Pod as its template."""
    name = pod.get("metadata", {}).get("name", "app")
    labels = {"app": name}
    template = {"metadata": {"labels": labels}, "spec": pod.get("spec", {})}
    if kind == "CronJob":
        template["spec"].setdefault("restartPolicy", "OnFailure")
        spec = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}
        api = "batch/v1"
    elif kind == "Job":
        template["spec"].setdefault("restartPolicy", "Never")
        spec = {"template": template}
        api = "batch/v1"
    else:
        spec = {"selector": {"matchLabels": labels}, "template": template}
        if kind != "DaemonSet":
            spec["replicas"] = rng.choice([1, 2, 3])
        if kind == "StatefulSet":
            spec["serviceName"] = name
        api = "apps/v1"
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name}, "spec": spec}


def sc(obj):
    """The securityContext of a PodSpec or container, created when absent or null."""
    if not isinstance(obj.get("securityContext"), dict):
        obj["securityContext"] = {}
    return obj["securityContext"]


# Each mutation edits one PodSpec in place; several are applied per variant.
def m_image(spec, rng):
    repo = rng.choice(["nginx", "redis", "registry.k8s.io/pause", "ghcr.io/acme/api", "busybox"])
    tag = rng.choice(["", ":latest", ":1.25.3", ":3.9", "@sha256:" + "%064x" % rng.getrandbits(256)])
    for c in containers(spec):
        c["image"] = repo + tag
        if rng.random() < 0.3:
            c["imagePullPolicy"] = rng.choice(["Always", "IfNotPresent"])


def m_privileged(spec, rng):
    sc(rng.choice(containers(spec) or [{}]))["privileged"] = rng.random() < 0.7


def m_escalation(spec, rng):
    for c in containers(spec):
        sc(c)["allowPrivilegeEscalation"] = rng.random() < 0.4


def m_user(spec, rng):
    target = sc(spec) if rng.random() < 0.5 else sc(rng.choice(containers(spec) or [{}]))
    choice = rng.randrange(4)
    if choice == 0:
        target["runAsUser"] = 0
    elif choice == 1:
        target["runAsNonRoot"] = True
        target["runAsUser"] = rng.choice([1000, 10001, 65534])
    elif choice == 2:
        target["runAsNonRoot"] = False
    else:
        target["runAsGroup"] = rng.choice([0, 3000, 20000])


def m_caps(spec, rng):
    for c in containers(spec):
        caps = sc(c).setdefault("capabilities", {})
        if rng.random() < 0.5:
            caps["drop"] = ["ALL"]
        if rng.random() < 0.6:
            caps["add"] = rng.sample(["NET_ADMIN", "SYS_ADMIN", "NET_BIND_SERVICE", "SYS_PTRACE", "CHOWN"], 2)


def m_host(spec, rng):
    key = rng.choice(["hostNetwork", "hostPID", "hostIPC"])
    spec[key] = True


def m_hostpath(spec, rng):
    path = rng.choice(["/var/run/docker.sock", "/run/containerd/containerd.sock", "/etc", "/data", "/proc"])
    spec.setdefault("volumes", []).append({"name": "host", "hostPath": {"path": path}})
    if containers(spec):
        containers(spec)[0].setdefault("volumeMounts", []).append({"name": "host", "mountPath": "/host"})


def m_hostport(spec, rng):
    if spec.get("containers"):
        spec["containers"][0]["ports"] = [{"containerPort": 8080, "hostPort": rng.choice([80, 8080, 30080])}]


def m_hardened(spec, rng):
    """A well-configured container: what most checks pass on."""
    spec["automountServiceAccountToken"] = False
    spec["serviceAccountName"] = "app"
    sc(spec)["seccompProfile"] = {"type": "RuntimeDefault"}
    for c in containers(spec):
        c["securityContext"] = {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "capabilities": {"drop": ["ALL"]},
        }
        c["resources"] = {
            "requests": {"cpu": "100m", "memory": "64Mi"},
            "limits": {"cpu": "500m", "memory": "128Mi"},
        }
        c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080}}
        c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}}
        c["image"] = "ghcr.io/acme/api:1.4.2@sha256:" + "%064x" % rng.getrandbits(256)
        c["imagePullPolicy"] = "Always"


def m_seccomp(spec, rng):
    sc(spec)["seccompProfile"] = {"type": rng.choice(["RuntimeDefault", "Unconfined", "Localhost"])}
    if spec["securityContext"]["seccompProfile"]["type"] == "Localhost":
        spec["securityContext"]["seccompProfile"]["localhostProfile"] = "profiles/audit.json"


def m_secret_env(spec, rng):
    if spec.get("containers"):
        env = spec["containers"][0].setdefault("env", [])
        if rng.random() < 0.5:
            env.append({"name": "DB_PASSWORD", "value": "hunter2-%d" % rng.randrange(1000)})
        else:
            env.append({"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}})


MUTATIONS = [m_image, m_privileged, m_escalation, m_user, m_caps, m_host, m_hostpath,
             m_hostport, m_hardened, m_seccomp, m_secret_env]


def k8s_variant(base, i, rng):
    obj = copy.deepcopy(base)
    meta = obj.setdefault("metadata", {})
    meta["name"] = f"{meta.get('name', 'obj')}-v{i}"[:63]
    ns = rng.choice([None, None, "default", "web", "payments", "kube-system"])
    if ns:
        meta["namespace"] = ns
    else:
        meta.pop("namespace", None)
    if obj["kind"] == "Pod" and rng.random() < 0.5:
        obj = wrap(obj, rng.choice(CONTROLLERS), rng)
        obj["metadata"]["name"] = meta["name"]
        if ns:
            obj["metadata"]["namespace"] = ns
    spec = pod_spec(obj)
    if spec is not None and containers(spec):
        for m in rng.sample(MUTATIONS, rng.choice([0, 1, 2, 3])):
            m(spec, rng)
    docs = [obj]
    # Some files carry a Service or a ConfigMap next to the workload, as real repos do.
    if spec is not None and rng.random() < 0.2:
        docs.append({"apiVersion": "v1", "kind": "Service",
                     "metadata": {"name": meta["name"], **({"namespace": ns} if ns else {})},
                     "spec": {"type": rng.choice(["ClusterIP", "NodePort", "LoadBalancer"]),
                              "selector": {"app": meta["name"]},
                              "ports": [{"port": 80, "targetPort": 8080}]}})
    if rng.random() < 0.05:
        docs.append({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": meta["name"] + "-cfg"},
                     "data": {"LOG_LEVEL": "info", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}})
    return yaml.safe_dump_all(docs, sort_keys=False)


# Dockerfile snippets: a base, package installs in several styles, other instructions, a user.
BASES = ["ubuntu", "ubuntu:latest", "ubuntu:22.04", "debian:bookworm-slim", "alpine", "alpine:3.19",
         "python:3.12-slim", "node:20-bookworm", "centos:7", "fedora:39", "opensuse/leap:15.5",
         "golang:1.22", "nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
         "registry.example.com/base/runtime:2.1"]
PKG_RUNS = {
    "apt": ["RUN apt-get update",
            "RUN apt-get update && apt-get install -y curl ca-certificates",
            "RUN apt-get update && apt-get install curl",
            "RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*",
            "RUN apt update && apt install -y git",
            "RUN apt-get update && apt-get upgrade -y && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*",
            "RUN apt-get install -y --allow-unauthenticated libssl-dev"],
    "apk": ["RUN apk add curl", "RUN apk add --no-cache curl=8.5.0-r0", "RUN apk update && apk upgrade",
            "RUN apk add --no-cache --allow-untrusted bash"],
    "yum": ["RUN yum install httpd", "RUN yum install -y httpd && yum clean all",
            "RUN yum install -y --nogpgcheck httpd-2.4.6"],
    "dnf": ["RUN dnf install -y nginx", "RUN dnf install -y nginx-1.24.0 && dnf clean all"],
    "zypper": ["RUN zypper install -y vim", "RUN zypper dist-upgrade"],
    "lang": ["RUN pip install flask requests", "RUN pip install --no-cache-dir flask==3.0.2",
             "RUN pip install --trusted-host pypi.example.com flask", "RUN npm install express",
             "RUN npm install express@4.19.2", "RUN gem install rails", "RUN go install example.com/tool@latest"],
}
PKG_FOR_BASE = {"ubuntu": "apt", "debian": "apt", "python": "apt", "node": "apt", "golang": "apt",
                "alpine": "apk", "centos": "yum", "fedora": "dnf", "opensuse/leap": "zypper"}
OTHER = ["RUN curl -fsSL https://get.example.com/install.sh | sh",
         "RUN wget -qO- https://example.com/setup | bash",
         "RUN curl -k -o /tmp/x.tgz https://example.com/x.tgz && wget https://example.com/y",
         "RUN sudo chown -R app /srv",
         "RUN cd /srv && make install",
         "RUN chmod 777 /tmp/app",
         "RUN echo 'root:toor' | chpasswd",
         "RUN useradd -u 123456 app",
         "RUN ln -sf /bin/bash /bin/sh",
         "RUN git config --global http.sslVerify false",
         "ADD app.tar.gz /srv/",
         "ADD https://example.com/tool.tgz /opt/",
         "ADD config.json /etc/app/",
         "COPY a.txt b.txt /srv",
         "COPY id_rsa /root/.ssh/id_rsa",
         "ENV AWS_SECRET_ACCESS_KEY=abc123 NODE_ENV=production",
         "ENV NODE_TLS_REJECT_UNAUTHORIZED=0",
         "ARG GITHUB_TOKEN",
         "WORKDIR app",
         "WORKDIR /srv",
         "MAINTAINER dev@example.com",
         "HEALTHCHECK CMD curl -f http://localhost/ || exit 1",
         "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]"]
PORTS = ["80", "443", "8080", "22", "3000 9090", "70000"]
USERS = [None, None, "root", "0", "1000", "app", "10001:10001"]
CMDS = ['CMD ["./server"]', "CMD ./server --port 8080", 'ENTRYPOINT ["/usr/bin/tini", "--"]\nCMD ["app"]',
        'CMD ["a"]\nCMD ["b"]']


def dockerfile_variant(rng):
    base = rng.choice(BASES)
    family = next((f for k, f in PKG_FOR_BASE.items() if base.startswith(k)), rng.choice(list(PKG_RUNS)))
    lines = []
    if rng.random() < 0.15:
        lines += ["FROM golang:1.22 AS build", "WORKDIR /src", "COPY . .",
                  "RUN go build -o /out/app ./cmd/app", ""]
    lines.append(f"FROM {base}")
    lines += rng.sample(PKG_RUNS[family], min(len(PKG_RUNS[family]), rng.choice([1, 1, 2])))
    if rng.random() < 0.4:
        lines.append(rng.choice(PKG_RUNS["lang"]))
    lines += rng.sample(OTHER, rng.choice([0, 1, 2, 3, 4]))
    if rng.random() < 0.6:
        lines.append("EXPOSE " + rng.choice(PORTS))
    if len(lines) > 5 and lines[0].startswith("FROM golang"):
        lines.append("COPY --from=build /out/app /usr/local/bin/app")
    user = rng.choice(USERS)
    if user:
        lines.append(f"USER {user}")
    lines.append(rng.choice(CMDS))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True, type=pathlib.Path)
    ap.add_argument("--out", required=True, type=pathlib.Path)
    ap.add_argument("--k8s", type=int, default=600)
    ap.add_argument("--docker", type=int, default=600)
    ap.add_argument("--seed", type=int, default=20261126)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    bases = load_fixture_objects(args.fixtures)
    (args.out / "k8s").mkdir(parents=True, exist_ok=True)
    for i in range(args.k8s):
        (args.out / "k8s" / f"m{i:04d}.yaml").write_text(k8s_variant(bases[i % len(bases)], i, rng))
    for i in range(args.docker):
        d = args.out / "docker" / f"{i:04d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "Dockerfile").write_text(dockerfile_variant(rng))
    print(f"corpus: {args.k8s} manifests (from {len(bases)} fixture objects), "
          f"{args.docker} Dockerfiles -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
