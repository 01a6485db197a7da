//! CPU kernels. Row-major f32 throughout; linear weights are stored `[out, in]` (as in
//! PyTorch and llm.c) so that `out = inp · wᵀ`. Matrix products go to the `gemm` crate
//! (AVX-512/AVX2/FMA micro-kernels, packs its own panels); everything else is a plain loop
//! split over rows with rayon. Each `*_bwd` *accumulates* into its gradient outputs.
//!
//! One file per kernel family; this one is the table the models call through (`k::…`).

/// Below this many elements a row-wise kernel runs on the calling thread. A rayon call from a
/// thread outside rayon's pool (libuv's, serving `generate` and `Generation.next`) hands the job
/// to a worker and sleeps until it is done: two context switches, ~10-20 µs, for work of ~1 µs.
/// Sampling one byte of the glm makes ~13 such calls (layernorms, biases, GELU of a 1-row
/// step); they were ~40% of generation's time, in the kernel's futex and task switching.
pub(crate) const PAR_MIN_ELEMS: usize = 1 << 14;

mod adamw;
mod attention;
mod embedding;
mod gemm;
mod layernorm;
mod loss;
mod pointwise;

pub use adamw::{adamw_step, AdamW};
pub use attention::{attention_bwd, attention_fwd, attention_fwd_ref};
pub use embedding::{embedding_bwd, embedding_fwd};
pub use gemm::{matmul_bwd, matmul_fwd, sgemm};
pub use layernorm::{layernorm_bwd, layernorm_fwd};
pub use loss::{mse, softmax_ce_bwd, softmax_ce_fwd};
pub use pointwise::{bias_act_bwd, bias_act_fwd, bias_gelu_bwd, bias_gelu_fwd, dropout_fwd, Activation};
