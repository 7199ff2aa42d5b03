//! Hostile input gets clear errors naming file and line; the public entry points (path walk,
//! bytes, auto-detection) behave as documented; random bytes never panic.

use osprey_misconfig::{Error, InputKind, Options, scan_bytes, scan_path};
use proptest::prelude::*;

fn k8s_err(name: &str, text: &str) -> Error {
    scan_bytes(
        name,
        text.as_bytes(),
        InputKind::Kubernetes,
        &Options::default(),
    )
    .unwrap_err()
}

#[test]
fn billion_laughs_names_file_and_line() {
    let mut s = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    let mut prev = "a".to_string();
    for n in ["b", "c", "d", "e", "f", "g", "h", "i", "j"] {
        s.push_str(&format!("  {n}: &{n} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        prev = n.to_string();
    }
    let started = std::time::Instant::now();
    let e = k8s_err("bomb.yaml", &s);
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with("bomb.yaml:") && msg.contains("alias expansion"),
        "{msg}"
    );
    match e {
        Error::Yaml { line, .. } => assert!((6..=14).contains(&line), "line {line}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn deep_nesting_names_file_and_line() {
    let flow = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata: {}1{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let msg = k8s_err("deep.yaml", &flow).to_string();
    assert!(msg.starts_with("deep.yaml:4:"), "{msg}");
    let mut block = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n");
    for i in 1..2000 {
        block.push_str(&" ".repeat(i));
        block.push_str("k:\n");
    }
    let msg = k8s_err("deep-block.yaml", &block).to_string();
    assert!(msg.contains("nesting deeper than"), "{msg}");
}

#[test]
fn huge_scalar_and_huge_file_are_refused() {
    let big = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata:\n  blob: {}\n",
        "a".repeat(5 * 1024 * 1024)
    );
    let msg = k8s_err("big.yaml", &big).to_string();
    assert!(
        msg.starts_with("big.yaml:5:") && msg.contains("exceeds"),
        "{msg}"
    );
    let opts = Options {
        max_file_bytes: 1024,
        ..Options::default()
    };
    let e = scan_bytes("huge.yaml", &vec![b'#'; 2048], InputKind::Kubernetes, &opts).unwrap_err();
    assert_eq!(
        e.to_string(),
        "huge.yaml: 2048 bytes is over the 1024-byte limit"
    );
}

#[test]
fn duplicate_keys_name_file_and_line() {
    let msg = k8s_err("dup.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  hostPID: false\n  hostPID: true\n").to_string();
    assert_eq!(
        msg,
        "dup.yaml:7:3: duplicate key `hostPID` (first defined on line 6)"
    );
}

#[test]
fn syntax_errors_and_bad_utf8() {
    let msg = k8s_err("bad.yaml", "apiVersion: v1\nkind: Pod\nspec: [\n").to_string();
    assert!(msg.starts_with("bad.yaml:"), "{msg}");
    let e = scan_bytes(
        "bin.yaml",
        b"apiVersion: v1\nkind: \xff\n",
        InputKind::Kubernetes,
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "bin.yaml:2:1: not valid UTF-8");
}

#[test]
fn directory_walk_detects_and_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("Dockerfile"), "FROM alpine:latest\n").unwrap();
    std::fs::create_dir_all(p.join("svc/api")).unwrap();
    std::fs::write(
        p.join("svc/api/api.Dockerfile"),
        "FROM alpine:3.20\nUSER root\n",
    )
    .unwrap();
    std::fs::write(
        p.join("svc/Containerfile.dev"),
        "FROM alpine:3.20\nBOGUS x\n",
    )
    .unwrap();
    std::fs::write(p.join("svc/pod.yml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: x}]\n").unwrap();
    std::fs::write(p.join("svc/list.json"), "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"},\"spec\":{\"type\":\"NodePort\"}}]}").unwrap();
    std::fs::write(p.join("svc/values.yaml"), "replicas: 3\nimage: x\n").unwrap();
    std::fs::write(
        p.join("svc/broken.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
    )
    .unwrap();
    std::fs::write(p.join("package.json"), "{\"name\": \"x\"}").unwrap();
    std::fs::create_dir(p.join(".git")).unwrap();
    std::fs::write(p.join(".git/Dockerfile"), "FROM x\n").unwrap();
    let results = scan_path(p, &Options::default()).unwrap();
    let by = |suffix: &str| results.iter().find(|r| r.target.ends_with(suffix));
    let ids = |suffix: &str| -> Vec<String> {
        by(suffix)
            .unwrap()
            .misconfigurations
            .iter()
            .map(|m| m.id.clone())
            .collect()
    };
    assert_eq!(
        results.len(),
        6,
        "{:?}",
        results.iter().map(|r| &r.target).collect::<Vec<_>>()
    );
    assert!(ids("/Dockerfile").contains(&"OSP-DF-011".into()));
    assert!(ids("api.Dockerfile").contains(&"OSP-DF-001".into()));
    assert!(ids("pod.yml").contains(&"pss:hostNamespaces".into()));
    assert!(ids("list.json").contains(&"OSP-K8S-070".into()));
    let parse = &by("Containerfile.dev").unwrap().misconfigurations[0];
    assert_eq!(
        (parse.id.as_str(), parse.cause_metadata.start_line),
        ("OSP-PARSE-001", 2)
    );
    let dup = &by("broken.yaml").unwrap().misconfigurations[0];
    assert_eq!(
        (dup.id.as_str(), dup.cause_metadata.start_line),
        ("OSP-PARSE-001", 5)
    );
    assert!(by("values.yaml").is_none() && by("package.json").is_none());
    assert_eq!(by("pod.yml").unwrap().r#type, "kubernetes");
    assert_eq!(by("/Dockerfile").unwrap().class, "config");
}

#[test]
fn explicit_files_must_parse() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("Dockerfile");
    std::fs::write(&f, "FROM a\nNOPE\n").unwrap();
    let e = scan_path(&f, &Options::default()).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("Dockerfile:2: Dockerfile: unknown instruction: NOPE"),
        "{e}"
    );
    let e = scan_path(&dir.path().join("missing"), &Options::default()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
}

#[test]
fn stdin_name_is_detected_by_content() {
    let helm = "---\n# Source: chart/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: x, securityContext: {privileged: true}}]\n";
    let r = scan_bytes("-", helm.as_bytes(), InputKind::Auto, &Options::default()).unwrap();
    assert!(
        r[0].misconfigurations
            .iter()
            .any(|m| m.id == "pss:privileged")
    );
    let df = scan_bytes("-", b"FROM alpine\n", InputKind::Auto, &Options::default()).unwrap();
    assert_eq!(df[0].r#type, "dockerfile");
    assert!(
        scan_bytes("-", b"hello", InputKind::Auto, &Options::default())
            .unwrap()
            .is_empty()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = scan_bytes("Dockerfile", &bytes, InputKind::Dockerfile, &Options::default());
        let _ = scan_bytes("x.yaml", &bytes, InputKind::Kubernetes, &Options::default());
    }

    #[test]
    fn mutated_dockerfiles_never_panic(
        base in prop::sample::select(vec![
            "FROM alpine:3.20 AS b\nRUN apk add curl && curl -k https://x | sh\nCOPY --from=b /a /b\nUSER root\n",
            "# escape=`\nFROM x\nRUN <<EOF\nset -e\napt-get update\nEOF\nCMD [\"a\"]\n",
            "ARG V=1\nFROM a:${V}\nENV A=1 B=\"2 3\"\nRUN sh -c 'yum install -y x' || (cd / && true)\n",
        ]),
        pos in 0usize..200,
        insert in "[\\\\`'\"<>|&;(){}$#\\n -]{0,6}",
    ) {
        let mut s = base.to_string();
        let at = pos.min(s.len());
        let at = (0..=at).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
        s.insert_str(at, &insert);
        let _ = scan_bytes("Dockerfile", s.as_bytes(), InputKind::Dockerfile, &Options::default());
    }

    #[test]
    fn mutated_manifests_never_panic(
        pos in 0usize..300,
        insert in "[-:&*!\\[\\]{}|>'\"#\\n ]{0,6}",
    ) {
        let base = "apiVersion: v1\nkind: List\nitems:\n- &p\n  apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers: [{name: c, image: x, securityContext: {capabilities: {add: [NET_RAW]}}}]\n- *p\n";
        let mut s = base.to_string();
        let at = pos.min(s.len());
        s.insert_str(at, &insert);
        let _ = scan_bytes("m.yaml", s.as_bytes(), InputKind::Kubernetes, &Options::default());
    }
}

#[test]
#[ignore = "slow: ~3 s of CPU on megabyte inputs; guards against quadratic behaviour"]
fn large_inputs_scale_linearly() {
    // Quadratic work on stages, RUNs, archives or mapping keys would take minutes here.
    let mut df = String::new();
    for i in 0..20_000 {
        df.push_str(&format!("FROM alpine:3.20 AS s{i}\nCOPY a{i}.tar.gz /t/\nRUN tar -xzf /t/a{i}.tar.gz | cat\nCOPY --from=s{i} /a /b\n"));
    }
    let started = std::time::Instant::now();
    let r = scan_bytes(
        "Dockerfile",
        df.as_bytes(),
        InputKind::Dockerfile,
        &Options::default(),
    )
    .unwrap();
    assert!(r[0].misconfigurations.iter().any(|m| m.id == "OSP-DF-015"));
    assert!(
        started.elapsed().as_secs() < 60,
        "Dockerfile took {:?}",
        started.elapsed()
    );

    let mut yaml = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n");
    for i in 0..100_000 {
        yaml.push_str(&format!("  key{i}: v\n"));
    }
    let mut list = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for i in 0..5_000 {
        list.push_str(&format!("- {{apiVersion: v1, kind: Pod, metadata: {{name: p{i}}}, spec: {{containers: [{{name: c, image: x}}]}}}}\n"));
    }
    let started = std::time::Instant::now();
    scan_bytes(
        "cm.yaml",
        yaml.as_bytes(),
        InputKind::Kubernetes,
        &Options::default(),
    )
    .unwrap();
    let r = scan_bytes(
        "list.yaml",
        list.as_bytes(),
        InputKind::Kubernetes,
        &Options::default(),
    )
    .unwrap();
    assert!(
        r[0].misconfigurations
            .iter()
            .filter(|m| m.id == "OSP-K8S-005")
            .count()
            == 5_000
    );
    assert!(
        started.elapsed().as_secs() < 60,
        "manifests took {:?}",
        started.elapsed()
    );
}

#[test]
fn helm_templates_and_non_objects_are_not_noise() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(chart.join("templates/deploy.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\n").unwrap();
    std::fs::write(dir.path().join("kustomization.yaml"), "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deploy.yaml]\n").unwrap();
    let results = scan_path(dir.path(), &Options::default()).unwrap();
    assert!(
        results.iter().all(|r| !r.target.contains("templates")),
        "{results:?}"
    );
    let k = results
        .iter()
        .find(|r| r.target.ends_with("kustomization.yaml"))
        .unwrap();
    assert!(k.misconfigurations.is_empty(), "{:?}", k.misconfigurations);
}
