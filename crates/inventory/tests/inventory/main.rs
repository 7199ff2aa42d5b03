//! Integration tests of the inventory over real fixtures from `../shared`, through the public
//! entry points only: `analyzers()` (driven here the way the layer walker drives them) and
//! `resolve()`.

mod common;
mod distroless;
mod fixtures;
mod host_dpkg;
mod hostile;
mod layers;
mod rpm_builder;
