//! Package URLs for language packages, per the purl spec's type rules.
//!
//! The `packageurl` crate encodes and applies the spec's case rules (pypi names lower case with
//! `_` as `-`); this module decides how each ecosystem's name splits into namespace and name.

use osprey_model::{Ecosystem, Package};
use packageurl::PackageUrl;

/// The purl of a language package; the package's existing purl for ecosystems this module does
/// not own, and an empty string when the name cannot form a purl.
pub(crate) fn for_package(package: &Package) -> String {
    let (ty, namespace, name) = match package.ecosystem {
        Ecosystem::Pypi => ("pypi", None, package.name.as_str()),
        Ecosystem::Npm => {
            // `@babel/core` -> namespace `@babel` (encoded as %40babel), name `core`.
            match package.name.split_once('/') {
                Some((scope, name)) if scope.starts_with('@') => ("npm", Some(scope), name),
                _ => ("npm", None, package.name.as_str()),
            }
        }
        Ecosystem::Golang => split_last("golang", &package.name, '/'),
        Ecosystem::Cargo => ("cargo", None, package.name.as_str()),
        Ecosystem::Maven => split_last("maven", &package.name, ':'),
        Ecosystem::Gem => ("gem", None, package.name.as_str()),
        Ecosystem::Composer => split_last("composer", &package.name, '/'),
        Ecosystem::Nuget => ("nuget", None, package.name.as_str()),
        Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm => return package.purl.clone(),
    };
    // Go's `(devel)` (a main module built from a checkout) is not a version.
    let version = match package.version.as_str() {
        "(devel)" => "",
        version => version,
    };
    build(ty, namespace, name, version).unwrap_or_default()
}

/// `a/b/c` -> namespace `a/b`, name `c`.
fn split_last<'a>(
    ty: &'static str,
    full: &'a str,
    sep: char,
) -> (&'static str, Option<&'a str>, &'a str) {
    match full.rsplit_once(sep) {
        Some((namespace, name)) if !namespace.is_empty() => (ty, Some(namespace), name),
        _ => (ty, None, full),
    }
}

fn build(ty: &str, namespace: Option<&str>, name: &str, version: &str) -> Option<String> {
    let mut purl = PackageUrl::new(ty, name).ok()?;
    if let Some(namespace) = namespace {
        purl.with_namespace(namespace).ok()?;
    }
    if !version.is_empty() {
        purl.with_version(version).ok()?;
    }
    Some(purl.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purl(ecosystem: Ecosystem, name: &str, version: &str) -> String {
        for_package(&Package::new(ecosystem, name, version))
    }

    #[test]
    fn purls_follow_the_type_rules() {
        assert_eq!(
            purl(Ecosystem::Pypi, "PyYAML", "5.3.1"),
            "pkg:pypi/pyyaml@5.3.1"
        );
        assert_eq!(
            purl(Ecosystem::Pypi, "typing_extensions", "4.0"),
            "pkg:pypi/typing-extensions@4.0"
        );
        assert_eq!(
            purl(Ecosystem::Npm, "@babel/core", "7.0.0"),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl(Ecosystem::Npm, "lodash", "4.17.15"),
            "pkg:npm/lodash@4.17.15"
        );
        assert_eq!(
            purl(Ecosystem::Golang, "github.com/x/y", "v1.2.3"),
            "pkg:golang/github.com/x/y@v1.2.3"
        );
        assert_eq!(
            purl(Ecosystem::Golang, "stdlib", "v1.19.8"),
            "pkg:golang/stdlib@v1.19.8"
        );
        assert_eq!(
            purl(Ecosystem::Golang, "ex.com/m", "(devel)"),
            "pkg:golang/ex.com/m"
        );
        assert_eq!(
            purl(Ecosystem::Cargo, "smallvec", "1.6.0"),
            "pkg:cargo/smallvec@1.6.0"
        );
        assert_eq!(
            purl(
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core",
                "2.14.1"
            ),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        assert_eq!(purl(Ecosystem::Gem, "rack", "2.2.3"), "pkg:gem/rack@2.2.3");
        assert_eq!(
            purl(Ecosystem::Composer, "symfony/console", "v5.4.0"),
            "pkg:composer/symfony/console@v5.4.0"
        );
        assert_eq!(
            purl(Ecosystem::Nuget, "Newtonsoft.Json", "13.0.1"),
            "pkg:nuget/Newtonsoft.Json@13.0.1"
        );
    }

    #[test]
    fn unencodable_names_give_an_empty_purl() {
        assert_eq!(purl(Ecosystem::Cargo, "", "1.0"), "");
    }
}
