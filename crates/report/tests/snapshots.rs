//! Snapshot tests of the human and JSON outputs (`cargo insta review` to accept changes).

mod common;

use common::*;
use osprey_model::report::Report;
use osprey_report::{Format, RenderOptions};

#[test]
fn table_findings_only() {
    insta::assert_snapshot!(render_to_string(&image_report(), Format::Table, &opts()));
}

#[test]
fn table_with_package_listing() {
    let opts = RenderOptions {
        list_packages: true,
        ..opts()
    };
    insta::assert_snapshot!(render_to_string(&image_report(), Format::Table, &opts));
}

#[test]
fn table_of_empty_report() {
    insta::assert_snapshot!(render_to_string(&empty_report(), Format::Table, &opts()));
}

#[test]
fn table_colour_only_when_asked() {
    let plain = render_to_string(&image_report(), Format::Table, &opts());
    assert!(!plain.contains('\x1b'), "no escape codes without colour");
    assert!(plain.is_ascii(), "plain tables are ASCII");
    let coloured = render_to_string(
        &image_report(),
        Format::Table,
        &RenderOptions {
            color: true,
            ..opts()
        },
    );
    assert!(coloured.contains("\x1b[1m"), "bold headings");
    assert!(
        coloured.contains("\x1b[38;5;9m")
            || coloured.contains("\x1b[31m")
            || coloured.contains("\x1b[91m"),
        "red severities:\n{coloured}"
    );
}

#[test]
fn json_is_the_report_pretty_with_trailing_newline() {
    let report = image_report();
    let text = render_to_string(&report, Format::Json, &opts());
    assert!(text.ends_with("}\n") && !text.ends_with("\n\n"));
    let back: Report = serde_json::from_str(&text).expect("parses back");
    assert_eq!(back, report, "JSON output round-trips to the same report");
    insta::assert_snapshot!(text);
}
