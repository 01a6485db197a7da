pub mod kernels;
pub mod gradcheck;
