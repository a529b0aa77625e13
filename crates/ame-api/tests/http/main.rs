//! The HTTP API over real HTTP (an actix server on a loopback port), on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
mod dashboard;
mod endpoints;
mod execution;
mod generation;
mod isolation;
mod jwt;
mod limits;
mod logo;
mod optimisation;
mod provider_events;
mod results;
