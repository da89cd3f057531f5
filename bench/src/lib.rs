//! Weft's benchmark tool as a library: the `weft-bench` binary and the
//! BaaS (which runs benchmarks against the chains it manages and keeps
//! their reports) share it.
//!
//! A run: a workload (bench/workloads/*.toml) against a running network,
//! reported Caliper-style with this machine's ceiling for comparison
//! (`run`); a soak: a fixed rate for a long time with memory and disk
//! tracked for trends (`soak`); the ceiling itself (`measure`, `ceiling`).

pub mod ceiling;
pub mod html;
pub mod measure;
pub mod monitor;
pub mod rate;
pub mod report;
pub mod round;
pub mod run;
pub mod soak;
pub mod trend;
pub mod workload;
