//! One error type for the whole crate, mapped to napi statuses in exactly one place
//! (`From<NativeError> for napi::Error`). `InvalidArg` is the caller's fault (bad shapes,
//! NaN, unknown model, config too large, corrupt file); `Failure` is ours.

use std::fmt;

#[derive(Debug, Clone)]
pub enum NativeError {
  /// The caller passed something we cannot use. Maps to napi `InvalidArg`.
  InvalidArg(String),
  /// A config that would not fit in memory (host or device). Maps to `InvalidArg` too, but
  /// keeps its own prefix so the facade can tell it apart.
  TooLarge(String),
  /// Our fault or the environment's (I/O, CUDA, a caught panic). Maps to `GenericFailure`.
  Failure(String),
}

pub type Res<T> = Result<T, NativeError>;

impl fmt::Display for NativeError {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match self {
      NativeError::InvalidArg(m) => write!(f, "{m}"),
      NativeError::TooLarge(m) => write!(f, "{m}"),
      NativeError::Failure(m) => write!(f, "{m}"),
    }
  }
}

pub fn invalid<T>(msg: impl Into<String>) -> Res<T> {
  Err(NativeError::InvalidArg(msg.into()))
}

impl From<NativeError> for napi::Error {
  fn from(e: NativeError) -> Self {
    // The reason prefix ("E_INVALID_ARG: ...") survives into JS even where napi gives the
    // status only as a string code; the facade parses it into a typed NativeError.
    match e {
      NativeError::InvalidArg(m) => napi::Error::new(napi::Status::InvalidArg, format!("E_INVALID_ARG: {m}")),
      NativeError::TooLarge(m) => napi::Error::new(napi::Status::InvalidArg, format!("E_TOO_LARGE: {m}")),
      NativeError::Failure(m) => napi::Error::new(napi::Status::GenericFailure, format!("E_NATIVE_FAILURE: {m}")),
    }
  }
}

impl From<std::io::Error> for NativeError {
  fn from(e: std::io::Error) -> Self {
    NativeError::Failure(format!("I/O error: {e}"))
  }
}

/// Runs `f`, turning a panic into `NativeError::Failure` so that no panic crosses into Node.
pub fn catch<T>(what: &str, f: impl FnOnce() -> Res<T>) -> Res<T> {
  match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
    Ok(r) => r,
    Err(p) => {
      let msg = if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
      } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
      } else {
        "unknown panic".to_string()
      };
      Err(NativeError::Failure(format!("{what} panicked: {msg}")))
    }
  }
}
