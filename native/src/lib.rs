//! `@autoglm/native`: napi-rs bindings. This file is the boundary: it copies JS data into
//! owned Rust buffers, turns `NativeError` into napi errors (error.rs) and keeps panics and
//! long work off the JS thread. The hand-written facade (../index.js) wraps it.
#![deny(clippy::all)]

mod cpu;
mod cuda;
mod device;
mod error;
mod glm;
mod mlp;
mod model;
mod params;
mod rng;
mod train;

use error::{catch, NativeError, Res};
use model::Model;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn napi_res<T>(r: Res<T>) -> Result<T> {
  r.map_err(napi::Error::from)
}

// ---------------------------------------------------------------------------------------
// devices

#[napi(object)]
pub struct DeviceInfo {
  /// "cpu" or "cuda"
  pub kind: String,
  pub index: u32,
  pub name: String,
  pub threads: Option<u32>,
  pub simd: Option<String>,
  pub memory_bytes: Option<f64>,
  pub compute_capability: Option<String>,
}

#[napi(object)]
pub struct CudaStatus {
  pub driver: bool,
  pub nvrtc: bool,
  pub cublas_lt: bool,
  /// Why CUDA is not used, when it is not.
  pub error: Option<String>,
}

#[napi(object)]
pub struct DevicesReport {
  /// The backend the module selected ("cpu" | "cuda"), after AUTOGLM_DEVICE.
  pub selected: String,
  /// Where training runs: CUDA when selected, except runs with dropout (CPU only for now).
  pub training: String,
  pub devices: Vec<DeviceInfo>,
  pub cuda: CudaStatus,
}

#[napi]
pub fn devices() -> Result<DevicesReport> {
  napi_res(catch("devices", || {
    let p = cuda::probe();
    let mut devices = vec![DeviceInfo {
      kind: "cpu".into(),
      index: 0,
      name: device::cpu_name(),
      threads: Some(rayon::current_num_threads() as u32),
      simd: Some(device::cpu_simd()),
      memory_bytes: None,
      compute_capability: None,
    }];
    for d in &p.devices {
      devices.push(DeviceInfo {
        kind: "cuda".into(),
        index: d.ordinal,
        name: d.name.clone(),
        threads: None,
        simd: None,
        memory_bytes: Some(d.total_memory),
        compute_capability: Some(d.compute_capability.clone()),
      });
    }
    Ok(DevicesReport {
      selected: device::selected().name().into(),
      training: match device::selected() {
        device::Backend::Cuda => "cuda (runs with dropout stay on the cpu)".into(),
        device::Backend::Cpu => "cpu".into(),
      },
      devices,
      cuda: CudaStatus { driver: p.driver, nvrtc: p.nvrtc, cublas_lt: p.cublaslt, error: p.error },
    })
  }))
}

// ---------------------------------------------------------------------------------------
// kernels: gradient checks, GEMM benchmark, CUDA comparisons

#[napi(object)]
pub struct KernelCheck {
  pub kernel: String,
  pub device: String,
  pub max_rel_err: f64,
  pub checked: u32,
}

#[napi]
pub fn kernel_names() -> Vec<String> {
  cpu::gradcheck::KERNELS.iter().map(|s| s.to_string()).collect()
}

/// Finite-difference gradient check of one CPU kernel.
#[napi]
pub fn grad_check(kernel: String, seed: Option<u32>) -> Result<KernelCheck> {
  napi_res(catch("gradCheck", || {
    let r = cpu::gradcheck::run(&kernel, seed.unwrap_or(1) as u64)?;
    Ok(KernelCheck { kernel: r.kernel, device: "cpu".into(), max_rel_err: r.max_rel_err, checked: r.checked })
  }))
}

pub struct CudaCompareTask {
  kernel: String,
}

impl Task for CudaCompareTask {
  type Output = KernelCheck;
  type JsValue = KernelCheck;
  fn compute(&mut self) -> Result<KernelCheck> {
    let k = self.kernel.clone();
    napi_res(catch("cudaCompare", || {
      let (err, n) = cuda::ops::compare(&k)?;
      Ok(KernelCheck { kernel: k.clone(), device: "cuda".into(), max_rel_err: err, checked: n })
    }))
  }
  fn resolve(&mut self, _: Env, out: KernelCheck) -> Result<KernelCheck> {
    Ok(out)
  }
}

/// Runs one kernel on CUDA and on the CPU with the same inputs; resolves to the largest
/// relative difference over outputs and gradients. Rejects when CUDA is unusable.
#[napi]
pub fn cuda_compare(kernel: String) -> AsyncTask<CudaCompareTask> {
  AsyncTask::new(CudaCompareTask { kernel })
}

/// Compiles the CUDA kernels with NVRTC only (no GPU needed); resolves to the PTX size.
#[napi]
pub fn cuda_compile_check(arch: Option<String>, head_size: Option<u32>) -> Result<u32> {
  let arch = arch.unwrap_or_else(|| "compute_90".into());
  let hs = head_size.unwrap_or(64).clamp(1, 256) as usize;
  napi_res(catch("cudaCompileCheck", || cuda::ops::compile_check(&arch, hs).map(|n| n as u32)))
}

#[napi(object)]
pub struct AttentionBench {
  /// milliseconds per forward, GEMM version (all threads)
  pub gemm_ms: f64,
  /// milliseconds per forward, reference loops (one thread)
  pub loop_ms: f64,
}

/// Times attention forward at [b, t, c, nh], GEMM version vs the reference loops (bench only).
#[napi]
pub fn bench_attention(b: u32, t: u32, c: u32, nh: u32, iters: Option<u32>) -> Result<AttentionBench> {
  napi_res(catch("benchAttention", || {
    let (b, t, c, nh) = (b as usize, t as usize, c as usize, nh as usize);
    if nh == 0 || c % nh != 0 || b * t * c == 0 || b * nh * t * t > 1 << 28 {
      return error::invalid("benchAttention: need c % nh == 0 and a modest size");
    }
    let qkv: Vec<f32> = (0..b * t * 3 * c).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.05).collect();
    let (mut o, mut a) = (vec![0f32; b * t * c], vec![0f32; b * nh * t * t]);
    let n = iters.unwrap_or(5).max(1);
    let time = |f: &mut dyn FnMut()| {
      f();
      let t0 = std::time::Instant::now();
      for _ in 0..n {
        f();
      }
      t0.elapsed().as_secs_f64() * 1e3 / n as f64
    };
    let gemm_ms = time(&mut || cpu::kernels::attention_fwd(&mut o, &mut a, &qkv, b, t, c, nh));
    let loop_ms = time(&mut || cpu::kernels::attention_fwd_ref(&mut o, &mut a, &qkv, b, t, c, nh));
    Ok(AttentionBench { gemm_ms, loop_ms })
  }))
}

#[napi(object)]
pub struct GemmBench {
  pub n: u32,
  pub device: String,
  pub threads: u32,
  pub seconds: f64,
  pub gflops: f64,
}

pub struct GemmBenchTask {
  n: usize,
  threads: usize,
  iters: usize,
  device: String,
}

impl Task for GemmBenchTask {
  type Output = GemmBench;
  type JsValue = GemmBench;
  fn compute(&mut self) -> Result<GemmBench> {
    let (n, threads, iters, dev) = (self.n, self.threads, self.iters, self.device.clone());
    napi_res(catch("benchGemm", || {
      if n == 0 || n > 16384 || iters == 0 {
        return error::invalid("benchGemm: n must be in 1..=16384 and iters > 0");
      }
      if dev == "cuda" {
        let secs = cuda::ops::bench_gemm(n, iters)?;
        let gflops = 2.0 * (n as f64).powi(3) / secs / 1e9;
        return Ok(GemmBench { n: n as u32, device: dev.clone(), threads: 0, seconds: secs, gflops });
      }
      let a: Vec<f32> = (0..n * n).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.01).collect();
      let b: Vec<f32> = (0..n * n).map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.01).collect();
      let mut c = vec![0f32; n * n];
      let par = if threads <= 1 { gemm::Parallelism::None } else { gemm::Parallelism::Rayon(threads) };
      // one warm-up product (packing buffers, page faults), then the best of `iters`
      cpu::kernels::sgemm(n, n, n, &a, false, &b, false, &mut c, false, Some(par));
      let mut best = f64::INFINITY;
      for _ in 0..iters {
        let t0 = std::time::Instant::now();
        cpu::kernels::sgemm(n, n, n, &a, false, &b, false, &mut c, false, Some(par));
        best = best.min(t0.elapsed().as_secs_f64());
      }
      Ok(GemmBench { n: n as u32, device: "cpu".into(), threads: threads.max(1) as u32, seconds: best, gflops: 2.0 * (n as f64).powi(3) / best / 1e9 })
    }))
  }
  fn resolve(&mut self, _: Env, out: GemmBench) -> Result<GemmBench> {
    Ok(out)
  }
}

/// f32 GEMM n×n×n, best of `iters` (after one warm-up). threads ≤ 1 means single-threaded.
#[napi]
pub fn bench_gemm(n: u32, threads: Option<u32>, iters: Option<u32>, device: Option<String>) -> AsyncTask<GemmBenchTask> {
  AsyncTask::new(GemmBenchTask {
    n: n as usize,
    threads: threads.unwrap_or(1) as usize,
    iters: iters.unwrap_or(5) as usize,
    device: device.unwrap_or_else(|| "cpu".into()),
  })
}

// ---------------------------------------------------------------------------------------
// training

#[napi(object, object_to_js = false)]
pub struct TrainData {
  /// mlp: features, row-major rows × inputs
  pub x: Option<Float32Array>,
  /// mlp: class labels (one per row) or regression targets (rows × outputs)
  pub y: Option<Float32Array>,
  pub rows: Option<u32>,
  pub val_x: Option<Float32Array>,
  pub val_y: Option<Float32Array>,
  pub val_rows: Option<u32>,
  /// glm: training bytes
  pub text: Option<Uint8Array>,
  /// glm: held-out bytes
  pub val_text: Option<Uint8Array>,
}

#[napi(object)]
#[derive(Clone)]
pub struct StepMetrics {
  pub step: u32,
  pub epoch: Option<u32>,
  pub loss: f64,
  pub lr: f64,
  pub grad_norm: Option<f64>,
  pub val_loss: Option<f64>,
  pub val_accuracy: Option<f64>,
  pub elapsed_ms: f64,
  /// samples/s for mlp, tokens/s for glm
  pub items_per_sec: f64,
}

#[napi(object)]
#[derive(Clone)]
pub struct TrainSummary {
  pub model: String,
  pub device: String,
  pub steps: u32,
  pub epochs: Option<u32>,
  pub final_loss: f64,
  pub val_loss: Option<f64>,
  pub val_accuracy: Option<f64>,
  pub cancelled: bool,
  pub elapsed_ms: f64,
  pub items_per_sec: f64,
  pub param_count: f64,
}

/// Per-step metrics: non-blocking, at most 64 queued (a slow listener drops metrics, it
/// never stalls training); the callee does not take an error argument.
type StepFn = ThreadsafeFunction<StepMetrics, Unknown<'static>, StepMetrics, Status, false, false, 64>;
/// Completion: node-style (err, summary).
type DoneFn = ThreadsafeFunction<TrainSummary, Unknown<'static>, TrainSummary, Status, true>;

#[napi]
pub struct TrainRun {
  cancel_flag: Arc<AtomicBool>,
  running: Arc<AtomicBool>,
  model: Arc<Mutex<Option<Arc<Model>>>>,
}

#[napi]
impl TrainRun {
  /// Asks the run to stop after its current step (a prune). Idempotent.
  #[napi]
  pub fn cancel(&self) {
    self.cancel_flag.store(true, Ordering::Relaxed);
  }

  #[napi(getter)]
  pub fn is_running(&self) -> bool {
    self.running.load(Ordering::Relaxed)
  }

  /// The trained model, once `onDone` has been called without an error.
  #[napi]
  pub fn take_model(&self) -> Option<JsModel> {
    self.model.lock().ok()?.clone().map(|inner| JsModel { inner })
  }
}

fn f32s(a: &Option<Float32Array>) -> Option<Vec<f32>> {
  a.as_ref().map(|v| v.to_vec())
}

enum Prepared {
  Mlp(mlp::Mlp, train::TabularData),
  Glm(glm::Glm, train::TextData),
}

fn prepare(model: &str, config: &serde_json::Value, data: &TrainData) -> Res<(Prepared, train::TrainOpts)> {
  let (opts, mcfg) = train::split_config(config)?;
  let seed = opts.seed.unwrap_or(0);
  let set = |name: &'static str, v: bool| if v { Some(name) } else { None };
  let misplaced: Vec<&str> = match model {
    "mlp" => [
      set("steps", opts.steps.is_some()),
      set("warmup", opts.warmup.is_some()),
      set("minLrRatio", opts.min_lr_ratio.is_some()),
      set("gradClip", opts.grad_clip.is_some()),
      set("evalEvery", opts.eval_every.is_some()),
      set("evalWindows", opts.eval_windows.is_some()),
    ]
    .into_iter()
    .flatten()
    .collect(),
    "glm" => [set("epochs", opts.epochs.is_some())].into_iter().flatten().collect(),
    _ => vec![],
  };
  if !misplaced.is_empty() {
    return error::invalid(format!("config.{} does not apply to {model} (mlp trains for epochs; glm for steps with warmup, cosine decay and clipping)", misplaced.join(", config.")));
  }
  match model {
    "mlp" => {
      let cfg: mlp::MlpConfig = serde_json::from_value(mcfg).map_err(|e| NativeError::InvalidArg(format!("mlp config: {e}")))?;
      let (x, y) = match (f32s(&data.x), f32s(&data.y)) {
        (Some(x), Some(y)) => (x, y),
        _ => return error::invalid("mlp needs data.x (Float32Array) and data.y (Float32Array)"),
      };
      let rows = data.rows.ok_or_else(|| NativeError::InvalidArg("mlp needs data.rows".into()))? as usize;
      let val = match (f32s(&data.val_x), f32s(&data.val_y)) {
        (Some(vx), Some(vy)) => Some((vx, vy, data.val_rows.ok_or_else(|| NativeError::InvalidArg("data.valX needs data.valRows".into()))? as usize)),
        (None, None) => None,
        _ => return error::invalid("data.valX and data.valY go together"),
      };
      let d = train::TabularData { x, y, rows, val };
      let cfg = train::prepare_mlp(cfg, &d)?;
      let batch = opts.batch_size.unwrap_or(32).min(rows);
      train::check_fits(cfg.train_bytes(batch), &format!("mlp ({} parameters)", cfg.param_count()))?;
      Ok((Prepared::Mlp(mlp::Mlp::new(cfg, seed)?, d), opts))
    }
    "glm" => {
      let cfg: glm::GlmConfig = serde_json::from_value(mcfg).map_err(|e| NativeError::InvalidArg(format!("glm config: {e}")))?;
      let text = data.text.as_ref().map(|t| t.to_vec()).ok_or_else(|| NativeError::InvalidArg("glm needs data.text (Uint8Array or Buffer)".into()))?;
      let d = train::TextData { train: text, val: data.val_text.as_ref().map(|t| t.to_vec()) };
      let b = opts.batch_size.unwrap_or(16);
      train::prepare_glm(&cfg, &d, b)?;
      if device::selected() == device::Backend::Cuda && cfg.dropout == 0.0 {
        cuda::glm::check_fits(&cfg, b)?;
      }
      Ok((Prepared::Glm(glm::Glm::new(cfg, seed)?, d), opts))
    }
    other => error::invalid(format!("unknown model '{other}'; expected 'mlp' or 'glm'")),
  }
}

/// Validates everything up front (throws on bad input), then trains on a thread of its own.
/// `on_done(err, summary)` is called exactly once; `on_step(metrics)` per logged step.
#[napi]
pub fn start_train(model: String, config: serde_json::Value, data: TrainData, on_step: Option<StepFn>, on_done: DoneFn) -> Result<TrainRun> {
  let (prepared, opts) = napi_res(catch("train", || prepare(&model, &config, &data)))?;
  drop(data);
  let backend = device::selected();
  let run = TrainRun { cancel_flag: Arc::new(AtomicBool::new(false)), running: Arc::new(AtomicBool::new(true)), model: Arc::new(Mutex::new(None)) };
  let (cancel, running, slot) = (run.cancel_flag.clone(), run.running.clone(), run.model.clone());
  let spawned = std::thread::Builder::new().name(format!("autoglm-train-{model}")).spawn(move || {
    let mut report = |s: train::Step| {
      if let Some(f) = &on_step {
        // NonBlocking: if the queue (64) is full the metric is dropped, training goes on.
        let _ = f.call(
          StepMetrics {
            step: s.step,
            epoch: s.epoch,
            loss: s.loss,
            lr: s.lr,
            grad_norm: s.grad_norm,
            val_loss: s.val_loss,
            val_accuracy: s.val_accuracy,
            elapsed_ms: s.elapsed_ms,
            items_per_sec: s.items_per_sec,
          },
          ThreadsafeFunctionCallMode::NonBlocking,
        );
      }
    };
    let result = catch("training", || match prepared {
      Prepared::Mlp(mut m, d) => {
        train::mlp_prepare_stats(&mut m, &d);
        let b = opts.batch_size.unwrap_or(32).min(d.rows);
        let mut stepper: Box<dyn train::MlpStepper> = match backend {
          device::Backend::Cuda => match cuda::mlp::CudaMlpStepper::new(&m, b) {
            Ok(s) => Box::new(s),
            Err(e) => {
              device::log(&format!("mlp training on CUDA could not start ({e}); training on the CPU backend"));
              Box::new(train::CpuMlpStepper::new(&m, b))
            }
          },
          device::Backend::Cpu => Box::new(train::CpuMlpStepper::new(&m, b)),
        };
        let s = train::train_mlp(&mut m, &d, &opts, &cancel, &mut report, stepper.as_mut())?;
        Ok((s, Model::Mlp(m)))
      }
      Prepared::Glm(mut g, d) => {
        let b = opts.batch_size.unwrap_or(16);
        let mut stepper: Box<dyn train::GlmStepper> = match backend {
          device::Backend::Cuda => match cuda::glm::CudaGlmStepper::new(&g, b) {
            Ok(s) => Box::new(s),
            Err(NativeError::TooLarge(m)) => return Err(NativeError::TooLarge(m)),
            Err(e) => {
              device::log(&format!("glm training on CUDA could not start ({e}); training on the CPU backend"));
              Box::new(train::CpuGlmStepper::new(&g, b))
            }
          },
          device::Backend::Cpu => Box::new(train::CpuGlmStepper::new(&g, b)),
        };
        let dev = stepper.device();
        let s = train::train_glm(&mut g, &d, &opts, &cancel, &mut report, stepper.as_mut())?;
        Ok((train::Summary { device: dev, ..s }, Model::Glm(g)))
      }
    });
    let out = match result {
      Ok((s, m)) => {
        let summary = TrainSummary {
          model: m.kind().into(),
          device: s.device.into(),
          steps: s.steps,
          epochs: s.epochs,
          final_loss: s.final_loss,
          val_loss: s.val_loss,
          val_accuracy: s.val_accuracy,
          cancelled: s.cancelled,
          elapsed_ms: s.elapsed_ms,
          items_per_sec: s.items_per_sec,
          param_count: m.param_count() as f64,
        };
        if let Ok(mut g) = slot.lock() {
          *g = Some(Arc::new(m));
        }
        Ok(summary)
      }
      Err(e) => Err(napi::Error::from(e)),
    };
    running.store(false, Ordering::Relaxed);
    on_done.call(out, ThreadsafeFunctionCallMode::Blocking);
  });
  if let Err(e) = spawned {
    return Err(NativeError::Failure(format!("cannot start the training thread: {e}")).into());
  }
  Ok(run)
}

// ---------------------------------------------------------------------------------------
// models: inference, save, load

#[napi(js_name = "Model")]
pub struct JsModel {
  inner: Arc<Model>,
}

#[napi(object)]
pub struct GenerateOptions {
  pub max_tokens: Option<u32>,
  pub temperature: Option<f64>,
  pub top_k: Option<u32>,
  pub seed: Option<u32>,
}

pub struct PredictTask {
  model: Arc<Model>,
  x: Vec<f32>,
  rows: usize,
}

impl Task for PredictTask {
  type Output = Vec<f32>;
  type JsValue = Float32Array;
  fn compute(&mut self) -> Result<Vec<f32>> {
    let (m, x, rows) = (self.model.clone(), std::mem::take(&mut self.x), self.rows);
    napi_res(catch("predict", move || match &*m {
      Model::Mlp(mlp) => Ok(mlp.predict(&x, rows)),
      Model::Glm(_) => error::invalid("predict() is for mlp models; use generate() for glm"),
    }))
  }
  fn resolve(&mut self, _: Env, out: Vec<f32>) -> Result<Float32Array> {
    Ok(Float32Array::new(out))
  }
}

pub struct GenerateTask {
  model: Arc<Model>,
  prompts: Vec<Vec<u8>>,
  max_tokens: usize,
  temperature: f32,
  top_k: usize,
  seed: u64,
}

impl Task for GenerateTask {
  type Output = Vec<Vec<u8>>;
  type JsValue = Vec<Buffer>;
  fn compute(&mut self) -> Result<Vec<Vec<u8>>> {
    use rayon::prelude::*;
    let m = self.model.clone();
    let (ps, n, t, k, s) = (std::mem::take(&mut self.prompts), self.max_tokens, self.temperature, self.top_k, self.seed);
    napi_res(catch("generate", move || match &*m {
      // A batch is sequences sampled in parallel (one KV cache each), prompt i with seed + i.
      Model::Glm(g) => ps.par_iter().enumerate().map(|(i, p)| g.generate(p, n, t, k, s.wrapping_add(i as u64))).collect(),
      Model::Mlp(_) => error::invalid("generate() is for glm models; use predict() for mlp"),
    }))
  }
  fn resolve(&mut self, _: Env, out: Vec<Vec<u8>>) -> Result<Vec<Buffer>> {
    Ok(out.into_iter().map(Buffer::from).collect())
  }
}

pub struct EvalTask {
  model: Arc<Model>,
  text: Vec<u8>,
  windows: usize,
}

impl Task for EvalTask {
  type Output = f64;
  type JsValue = f64;
  fn compute(&mut self) -> Result<f64> {
    let m = self.model.clone();
    let (text, w) = (std::mem::take(&mut self.text), self.windows);
    napi_res(catch("evalLoss", move || match &*m {
      Model::Glm(g) => Ok(g.eval_loss(&text, 16, w)? as f64),
      Model::Mlp(_) => error::invalid("evalLoss() is for glm models"),
    }))
  }
  fn resolve(&mut self, _: Env, out: f64) -> Result<f64> {
    Ok(out)
  }
}

pub struct SaveTask {
  model: Arc<Model>,
  path: String,
}

impl Task for SaveTask {
  type Output = ();
  type JsValue = ();
  fn compute(&mut self) -> Result<()> {
    let (m, p) = (self.model.clone(), self.path.clone());
    napi_res(catch("save", move || m.save(&p)))
  }
  fn resolve(&mut self, _: Env, _: ()) -> Result<()> {
    Ok(())
  }
}

pub struct LoadTask {
  path: String,
}

impl Task for LoadTask {
  type Output = Arc<Model>;
  type JsValue = JsModel;
  fn compute(&mut self) -> Result<Arc<Model>> {
    let p = self.path.clone();
    napi_res(catch("load", move || Model::load(&p).map(Arc::new)))
  }
  fn resolve(&mut self, _: Env, inner: Arc<Model>) -> Result<JsModel> {
    Ok(JsModel { inner })
  }
}

#[napi]
impl JsModel {
  /// "mlp" | "glm"
  #[napi(getter)]
  pub fn kind(&self) -> String {
    self.inner.kind().into()
  }

  /// The model's JSON config (as saved in the safetensors header).
  #[napi(getter)]
  pub fn config_json(&self) -> String {
    self.inner.config_json()
  }

  #[napi(getter)]
  pub fn param_count(&self) -> f64 {
    self.inner.param_count() as f64
  }

  /// mlp: class probabilities (rows × classes) or regression outputs (rows × targets).
  #[napi]
  pub fn predict(&self, x: Float32Array, rows: u32, signal: Option<AbortSignal>) -> Result<AsyncTask<PredictTask>> {
    let x = x.to_vec();
    let rows = rows as usize;
    if let Model::Mlp(m) = &*self.inner {
      if rows == 0 || x.len() != rows * m.cfg.inputs {
        return Err(NativeError::InvalidArg(format!("predict: x must be rows ({rows}) × {} features, got {} values", m.cfg.inputs, x.len())).into());
      }
      if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(NativeError::InvalidArg(format!("predict: x contains NaN or an infinite value at row {}, column {}", i / m.cfg.inputs, i % m.cfg.inputs)).into());
      }
    }
    Ok(AsyncTask::with_optional_signal(PredictTask { model: self.inner.clone(), x, rows }, signal))
  }

  /// glm: sample bytes after each prompt (a batch runs in parallel; prompt i uses seed + i).
  #[napi]
  pub fn generate(&self, prompts: Vec<Uint8Array>, options: Option<GenerateOptions>, signal: Option<AbortSignal>) -> Result<AsyncTask<GenerateTask>> {
    if prompts.is_empty() || prompts.len() > 4096 {
      return Err(NativeError::InvalidArg(format!("generate: 1..=4096 prompts, got {}", prompts.len())).into());
    }
    let budget = prompts.len() as u64 * options.as_ref().and_then(|o| o.max_tokens).unwrap_or(100) as u64;
    if budget > 1 << 26 {
      return Err(NativeError::InvalidArg(format!("generate: prompts × maxTokens must be at most 67108864, got {budget}")).into());
    }
    let o = options.unwrap_or(GenerateOptions { max_tokens: None, temperature: None, top_k: None, seed: None });
    let max_tokens = o.max_tokens.unwrap_or(100) as usize;
    if max_tokens > 1 << 20 {
      return Err(NativeError::InvalidArg(format!("generate: maxTokens must be at most 1048576, got {max_tokens}")).into());
    }
    Ok(AsyncTask::with_optional_signal(
      GenerateTask {
        model: self.inner.clone(),
        prompts: prompts.iter().map(|p| p.to_vec()).collect(),
        max_tokens,
        temperature: o.temperature.unwrap_or(1.0) as f32,
        top_k: o.top_k.unwrap_or(0) as usize,
        seed: o.seed.unwrap_or(0) as u64,
      },
      signal,
    ))
  }

  /// glm: mean next-byte cross-entropy (nats) over `windows` evenly spaced windows.
  #[napi]
  pub fn eval_loss(&self, text: Uint8Array, windows: Option<u32>) -> AsyncTask<EvalTask> {
    AsyncTask::new(EvalTask { model: self.inner.clone(), text: text.to_vec(), windows: windows.unwrap_or(64).clamp(1, 1 << 20) as usize })
  }

  /// Writes a safetensors file (config in its header metadata). Atomic: temp file + rename.
  #[napi]
  pub fn save(&self, path: String) -> AsyncTask<SaveTask> {
    AsyncTask::new(SaveTask { model: self.inner.clone(), path })
  }
}

/// Reads a model saved by `Model.save`. Rejects with E_INVALID_ARG on a missing or corrupt file.
#[napi]
pub fn load_model(path: String) -> AsyncTask<LoadTask> {
  AsyncTask::new(LoadTask { path })
}

/// Bytes of the safetensors form, for registries that store blobs rather than files.
#[napi]
pub fn model_from_bytes(bytes: Uint8Array) -> Result<JsModel> {
  let b = bytes.to_vec();
  napi_res(catch("modelFromBytes", || Model::from_bytes(&b, "buffer").map(|m| JsModel { inner: Arc::new(m) })))
}
