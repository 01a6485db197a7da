//! The napi-rs surface, by concern. This is the boundary: it copies JS data into owned
//! Rust buffers, turns `NativeError` into napi errors (error.rs) and keeps panics and long
//! work off the JS thread. The hand-written facade (../index.js) wraps it.

pub mod bench;
pub mod devices;
pub mod generation;
pub mod kernels;
pub mod model;
pub mod model_tasks;
pub mod train;
pub mod train_input;

use crate::error::Res;

fn napi_res<T>(r: Res<T>) -> napi::Result<T> {
  r.map_err(napi::Error::from)
}
