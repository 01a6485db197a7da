//! `@autoglm/native`: CPU kernels (cpu/), the CUDA path (cuda/), the `mlp` and `glm` models,
//! their training loops (train/), and the napi-rs surface that exposes them to JS (js/).
#![deny(clippy::all)]

mod checks;
mod cpu;
mod cuda;
mod device;
mod error;
mod glm;
// pub: napi-derive emits no registration under cfg(test), so in `cargo test` builds the
// exported items stay live only by being reachable from the crate root.
pub mod js;
mod memory;
mod mlp;
mod model;
mod params;
mod rng;
mod run;
mod train;
