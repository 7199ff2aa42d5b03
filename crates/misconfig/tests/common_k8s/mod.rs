//! Kubernetes check cases shared by the check tests and the checkov parity test.

/// A hardened Deployment that passes every check, restricted PSS included.
pub const GOOD: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: app
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      automountServiceAccountToken: false
      serviceAccountName: web
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: web
        image: registry.example.com/web:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
        imagePullPolicy: Always
        resources:
          limits: {cpu: 500m, memory: 256Mi}
          requests: {cpu: 100m, memory: 128Mi}
        livenessProbe: {httpGet: {path: /healthz, port: 8080}}
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
        env:
        - {name: LOG_LEVEL, value: info}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
";

/// GOOD with text replaced.
pub fn with(pairs: &[(&str, &str)]) -> String {
    let mut s = GOOD.to_string();
    for (old, new) in pairs {
        assert!(s.contains(old), "GOOD does not contain {old:?}");
        s = s.replacen(old, new, 1);
    }
    s
}

const BINDING: &str =
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\n";

/// A ClusterRole with `rules`, bound to a ServiceAccount (so graph-based peers see a subject).
/// Names derive from the rules, so snippets scanned together in one directory stay unrelated.
fn role(rules: &str) -> String {
    let tag = rules.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r{tag:x}}}\nrules:\n{rules}---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: rb{tag:x}}}\n\
         roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r{tag:x}}}\n\
         subjects: [{{kind: ServiceAccount, name: sa{tag:x}, namespace: app}}]\n"
    )
}

pub fn cases() -> Vec<(&'static str, String, String)> {
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: app}\ndata:\n";
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: app}\nspec:\n";
    let ing =
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  namespace: app\n";
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n";
    let deny = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: app}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n";
    let np = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n, namespace: app}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n";
    vec![
        ("OSP-K8S-001", with(&[("limits: {cpu: 500m, memory: 256Mi}", "limits: {memory: 256Mi}")]), GOOD.into()),
        ("OSP-K8S-002", with(&[("limits: {cpu: 500m, memory: 256Mi}", "limits: {cpu: 500m}")]), GOOD.into()),
        ("OSP-K8S-003", with(&[("requests: {cpu: 100m, memory: 128Mi}", "requests: {memory: 128Mi}")]), GOOD.into()),
        ("OSP-K8S-004", with(&[("requests: {cpu: 100m, memory: 128Mi}", "requests: {cpu: 100m}")]), GOOD.into()),
        ("OSP-K8S-005", with(&[("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")]), GOOD.into()),
        ("OSP-K8S-006", with(&[("      automountServiceAccountToken: false\n", "")]), GOOD.into()),
        ("OSP-K8S-007", with(&[("serviceAccountName: web", "serviceAccountName: default")]), GOOD.into()),
        ("OSP-K8S-008", with(&[("web:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "web:latest")]), with(&[("web:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "web:1.2.3")])),
        ("OSP-K8S-009", with(&[("web:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "web:1.2.3")]), GOOD.into()),
        ("OSP-K8S-010", with(&[("web:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "web:1.2.3"), ("imagePullPolicy: Always", "imagePullPolicy: IfNotPresent")]), with(&[("web:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "web:1.2.3")])),
        ("OSP-K8S-011", with(&[("{name: LOG_LEVEL, value: info}", "{name: DB_PASSWORD, value: hunter2}")]), with(&[("{name: LOG_LEVEL, value: info}", "{name: DB_PASSWORD_FILE, value: /run/secrets/db}")])),
        ("OSP-K8S-012", with(&[("{name: LOG_LEVEL, value: info}", "{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: pw}}}")]), with(&[("{name: LOG_LEVEL, value: info}", "{name: DB_HOST, valueFrom: {configMapKeyRef: {name: db, key: host}}}")])),
        ("OSP-K8S-013", with(&[("      containers:\n", "      volumes: [{name: d, hostPath: {path: /var/run/docker.sock}}]\n      containers:\n")]), GOOD.into()),
        ("OSP-K8S-014", with(&[("      containers:\n", "      volumes: [{name: d, hostPath: {path: /etc}}]\n      containers:\n")]), with(&[("      containers:\n", "      volumes: [{name: d, emptyDir: {}}]\n      containers:\n")])),
        ("OSP-K8S-015", with(&[("capabilities: {drop: [ALL]}", "capabilities: {drop: [ALL], add: [SYS_ADMIN]}")]), with(&[("capabilities: {drop: [ALL]}", "capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}")])),
        ("OSP-K8S-016", with(&[("capabilities: {drop: [ALL]}", "capabilities: {drop: [CHOWN]}")]), with(&[("capabilities: {drop: [ALL]}", "capabilities: {drop: [NET_RAW, ALL]}")])),
        ("OSP-K8S-017", with(&[("capabilities: {drop: [ALL]}", "capabilities: {drop: [ALL], add: [SYS_PTRACE]}")]), GOOD.into()),
        ("OSP-K8S-018", with(&[("runAsUser: 10001", "runAsUser: 1000")]), GOOD.into()),
        ("OSP-K8S-019", with(&[("runAsGroup: 10001", "runAsGroup: 0")]), GOOD.into()),
        ("OSP-K8S-020", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  containers: [{name: c, image: x:1}]\n".into(), "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  containers: [{name: c, image: x:1, securityContext: {runAsNonRoot: true}}]\n".into()),
        ("OSP-K8S-021", with(&[("        livenessProbe: {httpGet: {path: /healthz, port: 8080}}\n", "")]), GOOD.into()),
        ("OSP-K8S-022", with(&[("        readinessProbe: {httpGet: {path: /ready, port: 8080}}\n", "")]), GOOD.into()),
        ("OSP-K8S-023", with(&[("  namespace: app\n", "")]), GOOD.into()),
        ("OSP-K8S-024", with(&[("namespace: app", "namespace: kube-system")]), GOOD.into()),
        ("OSP-K8S-025", with(&[("      containers:\n", "      hostAliases: [{ip: 10.0.0.1, hostnames: [api.example.com]}]\n      containers:\n")]), GOOD.into()),
        ("OSP-K8S-026", with(&[("apiVersion: apps/v1", "apiVersion: extensions/v1beta1")]), GOOD.into()),
        ("OSP-K8S-027", with(&[("      containers:\n", "      shareProcessNamespace: true\n      containers:\n")]), with(&[("      containers:\n", "      shareProcessNamespace: false\n      containers:\n")])),
        ("OSP-K8S-040", role("- {apiGroups: [''], resources: ['*'], verbs: [get]}\n"), role("- {apiGroups: [''], resources: [configmaps], verbs: [get]}\n")),
        ("OSP-K8S-041", role("- {apiGroups: [''], resources: [secrets], verbs: [list]}\n"), role("- {apiGroups: [''], resources: [secrets], verbs: [get], resourceNames: [tls]}\n")),
        ("OSP-K8S-042", role("- {apiGroups: [apps], resources: [deployments], verbs: [create]}\n"), role("- {apiGroups: [apps], resources: [deployments], verbs: [get, list]}\n")),
        ("OSP-K8S-043", role("- {apiGroups: [''], resources: [pods/exec], verbs: [create]}\n"), role("- {apiGroups: [''], resources: [pods/log], verbs: [get]}\n")),
        ("OSP-K8S-044", role("- {apiGroups: [''], resources: [nodes/proxy], verbs: [create]}\n"), role("- {apiGroups: [''], resources: [nodes], verbs: [get]}\n")),
        ("OSP-K8S-045", role("- {apiGroups: [''], resources: [serviceaccounts], verbs: [impersonate]}\n"), role("- {apiGroups: [''], resources: [serviceaccounts], verbs: [get]}\n")),
        ("OSP-K8S-046", role("- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles, clusterrolebindings], verbs: [escalate, bind]}\n"), role("- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [get]}\n")),
        ("OSP-K8S-047", role("- {apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], verbs: [patch]}\n"), role("- {apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], verbs: [get]}\n")),
        ("OSP-K8S-048", role("- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}\n- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve]}\n"), role("- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}\n")),
        ("OSP-K8S-049", format!("{BINDING}roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}\nsubjects: [{{kind: User, name: alice}}]\n"), format!("{BINDING}roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}\nsubjects: [{{kind: User, name: alice}}]\n")),
        ("OSP-K8S-050", format!("{BINDING}roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}\nsubjects: [{{kind: Group, name: 'system:unauthenticated'}}]\n"), format!("{BINDING}roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}\nsubjects: [{{kind: Group, name: devs}}]\n")),
        ("OSP-K8S-051", format!("{BINDING}roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}\nsubjects: [{{kind: Group, name: 'system:masters'}}]\n"), format!("{BINDING}roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}\nsubjects: [{{kind: Group, name: 'system:serviceaccounts:ci'}}]\n")),
        ("OSP-K8S-052", role("- {apiGroups: [''], resources: [persistentvolumes], verbs: [create]}\n"), role("- {apiGroups: [''], resources: [persistentvolumeclaims], verbs: [create]}\n")),
        ("OSP-K8S-053", role("- {apiGroups: [''], resources: [serviceaccounts/token], verbs: [create]}\n"), role("- {apiGroups: [''], resources: [serviceaccounts], verbs: [list]}\n")),
        ("OSP-K8S-060", ns.into(), format!("{ns}{deny}")),
        ("OSP-K8S-061", format!("{np}  - {{}}\n"), format!("{np}  - from: [{{podSelector: {{matchLabels: {{app: lb}}}}}}]\n")),
        ("OSP-K8S-070", format!("{svc}  type: NodePort\n  ports: [{{port: 80}}]\n"), format!("{svc}  type: ClusterIP\n  ports: [{{port: 80}}]\n")),
        ("OSP-K8S-071", format!("{svc}  type: LoadBalancer\n"), format!("{svc}  type: LoadBalancer\n  loadBalancerSourceRanges: [10.0.0.0/8]\n")),
        ("OSP-K8S-072", format!("{svc}  externalIPs: [1.2.3.4]\n"), format!("{svc}  ports: [{{port: 80}}]\n")),
        ("OSP-K8S-073", format!("{ing}spec:\n  rules: [{{host: a.example.com}}]\n"), format!("{ing}spec:\n  tls: [{{hosts: [a.example.com], secretName: a}}]\n")),
        ("OSP-K8S-074", format!("{ing}  annotations:\n    nginx.ingress.kubernetes.io/server-snippet: 'location / {{}}'\nspec:\n  tls: [{{secretName: a}}]\n"), format!("{ing}  annotations:\n    nginx.ingress.kubernetes.io/ssl-redirect: 'true'\nspec:\n  tls: [{{secretName: a}}]\n")),
        ("OSP-K8S-075", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: app}\n".into(), "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: app}\nautomountServiceAccountToken: false\n".into()),
        ("OSP-K8S-080", format!("{cm}  db_password: hunter2\n"), format!("{cm}  db_host: db.internal\n")),
    ]
}
