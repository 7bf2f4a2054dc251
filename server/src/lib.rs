//! The HTTP side of `lianxin`: the router and live updates, as a library so
//! the benchmarks drive exactly what the binary serves.

pub mod api_v1;
pub mod assets;
pub mod calendar;
pub mod exports;
pub mod http;
pub mod jobs;
pub mod live;
pub mod mail;
pub mod messages;
pub mod open311;
pub mod pagecache;
pub mod photos;
pub mod security;
pub mod serve;
pub mod sessions;

#[cfg(test)]
mod permission_tests;
