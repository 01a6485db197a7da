//! The host-memory budget of one run: a config that cannot fit fails up front, as
//! `TooLarge`, instead of being OOM-killed part way through.

use crate::error::{NativeError, Res};

/// Host memory we allow one training run to take: AUTOGLM_MAX_MEMORY_MB, else 80% of
/// MemAvailable (so a config that cannot fit fails up front instead of being OOM-killed).
fn memory_limit() -> u128 {
  if let Some(mb) = std::env::var("AUTOGLM_MAX_MEMORY_MB").ok().and_then(|v| v.parse::<u128>().ok()) {
    return mb << 20;
  }
  let avail = std::fs::read_to_string("/proc/meminfo")
    .ok()
    .and_then(|s| s.lines().find(|l| l.starts_with("MemAvailable:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u128>().ok()))
    .map(|kb| kb * 1024)
    .unwrap_or(8 << 30);
  avail * 8 / 10
}

pub fn check_fits(need: u128, what: &str) -> Res<()> {
  let limit = memory_limit();
  if need > limit {
    return Err(NativeError::TooLarge(format!(
      "{what} needs about {:.2} GiB of memory but the limit is {:.2} GiB (AUTOGLM_MAX_MEMORY_MB or 80% of available memory); reduce width, layers, context or batchSize",
      need as f64 / (1u128 << 30) as f64,
      limit as f64 / (1u128 << 30) as f64
    )));
  }
  Ok(())
}
