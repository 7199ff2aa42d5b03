//! Compiles the eBPF sensor (`src/bpf/sensor.bpf.c`) with clang and generates its libbpf-rs
//! skeleton into OUT_DIR.
//!
//! `vmlinux.h` (the kernel's types for CO-RE) is generated here from the build machine's
//! `/sys/kernel/btf/vmlinux` with `bpftool` rather than vendored: it is 2.8 MB, and CO-RE
//! relocations make the object portable to other BTF kernels anyway. Set `OSPREY_VMLINUX_H`
//! to a prepared header to build where the kernel has no BTF or bpftool is missing.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use libbpf_cargo::SkeletonBuilder;

const SOURCE: &str = "src/bpf/sensor.bpf.c";

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    let include = out.join("bpf-include");
    std::fs::create_dir_all(&include).expect("create OUT_DIR/bpf-include");
    vmlinux_header(&include.join("vmlinux.h"));

    SkeletonBuilder::new()
        .source(SOURCE)
        .clang_args([
            "-I".into(),
            include.clone().into_os_string(),
            "-I".into(),
            "src/bpf".into(),
        ])
        .build_and_generate(out.join("sensor.skel.rs"))
        .unwrap_or_else(|e| {
            panic!(
                "compiling {SOURCE} (needs clang and libelf; scripts/install-test-deps.sh): {e:#}"
            )
        });
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-changed=src/bpf/sensor.h");
    println!("cargo:rerun-if-env-changed=OSPREY_VMLINUX_H");
}

fn vmlinux_header(dest: &Path) {
    if let Some(given) = env::var_os("OSPREY_VMLINUX_H") {
        std::fs::copy(&given, dest)
            .unwrap_or_else(|e| panic!("copying OSPREY_VMLINUX_H={given:?}: {e}"));
        return;
    }
    let btf = "/sys/kernel/btf/vmlinux";
    let output = Command::new("bpftool")
        .args(["btf", "dump", "file", btf, "format", "c"])
        .output()
        .unwrap_or_else(|e| {
            panic!("running bpftool to generate vmlinux.h from {btf} (apt install bpftool, or set OSPREY_VMLINUX_H): {e}")
        });
    if !output.status.success() {
        panic!(
            "bpftool btf dump {btf} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::write(dest, output.stdout).expect("write vmlinux.h");
}
