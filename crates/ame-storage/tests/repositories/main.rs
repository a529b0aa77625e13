//! Repository behaviour on both backends: lifecycle, constraints, tenant isolation, cascades,
//! concurrency, atomic asset sets, pagination and migrations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod assets;
mod isolation;
mod lifecycle;
mod migrations;
mod pagination;
mod statements;
mod support;
