//! The HTTP side of `lianxin`: the router and live updates, as a library so
//! the benchmarks drive exactly what the binary serves.

pub mod http;
pub mod live;
