//! A trained model of either family, and its safetensors form. The file carries the
//! weights as F32 tensors and, in the header's `__metadata__`, `format: "autoglm"`,
//! `model: "mlp" | "glm"` and `config` (the model's JSON config), so a registry can read
//! what a file holds from its header alone.

use crate::error::{invalid, NativeError, Res};
use crate::glm::{Glm, GlmConfig};
use crate::mlp::{Mlp, MlpConfig};
use crate::params::Tensors;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;

pub enum Model {
  Mlp(Mlp),
  Glm(Glm),
}

impl Model {
  pub fn kind(&self) -> &'static str {
    match self {
      Model::Mlp(_) => "mlp",
      Model::Glm(_) => "glm",
    }
  }

  pub fn config_json(&self) -> String {
    match self {
      Model::Mlp(m) => serde_json::to_string(&m.cfg),
      Model::Glm(g) => serde_json::to_string(&g.cfg),
    }
    .unwrap_or_else(|_| "{}".into())
  }

  pub fn param_count(&self) -> usize {
    match self {
      Model::Mlp(m) => m.p.count(),
      Model::Glm(g) => g.p.count(),
    }
  }

  fn tensors(&self) -> Vec<(&Tensors, &'static str)> {
    match self {
      Model::Mlp(m) => vec![(&m.p, ""), (&m.stats, "stats.")],
      Model::Glm(g) => vec![(&g.p, "")],
    }
  }

  pub fn to_bytes(&self) -> Res<Vec<u8>> {
    let mut owned: Vec<(String, Vec<usize>, Vec<u8>)> = vec![];
    for (t, prefix) in self.tensors() {
      for i in 0..t.data.len() {
        let bytes: Vec<u8> = t.data[i].iter().flat_map(|v| v.to_le_bytes()).collect();
        owned.push((format!("{prefix}{}", t.names[i]), t.shapes[i].clone(), bytes));
      }
    }
    let views: Vec<(String, TensorView)> = owned
      .iter()
      .map(|(n, s, b)| TensorView::new(Dtype::F32, s.clone(), b).map(|v| (n.clone(), v)))
      .collect::<Result<_, _>>()
      .map_err(|e| NativeError::Failure(format!("safetensors view: {e}")))?;
    let mut meta = HashMap::new();
    meta.insert("format".to_string(), "autoglm".to_string());
    meta.insert("version".to_string(), "1".to_string());
    meta.insert("model".to_string(), self.kind().to_string());
    meta.insert("config".to_string(), self.config_json());
    safetensors::serialize(views, Some(meta)).map_err(|e| NativeError::Failure(format!("safetensors serialize: {e}")))
  }

  pub fn from_bytes(bytes: &[u8], what: &str) -> Res<Model> {
    let bad = |m: String| NativeError::InvalidArg(format!("{what} is not a valid autoglm weights file: {m}"));
    let st = SafeTensors::deserialize(bytes).map_err(|e| bad(format!("{e}")))?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| bad(format!("{e}")))?;
    let meta = header.metadata().clone().ok_or_else(|| bad("no __metadata__ in the header".into()))?;
    if meta.get("format").map(String::as_str) != Some("autoglm") {
      return Err(bad("__metadata__.format is not 'autoglm'".into()));
    }
    let cfg = meta.get("config").ok_or_else(|| bad("no config in __metadata__".into()))?;
    // A forged header could name a config far larger than the file; allocating for it would
    // abort the process (Rust aborts on allocation failure), so the config must be backed
    // by tensor bytes actually present before anything is allocated.
    let backed = |params: usize| -> Res<()> {
      let need = (params as u128) * 4;
      if need > bytes.len() as u128 {
        return Err(bad(format!("config needs {need} bytes of tensors but the file has {} bytes", bytes.len())));
      }
      Ok(())
    };
    let mut model = match meta.get("model").map(String::as_str) {
      Some("mlp") => {
        let c: MlpConfig = serde_json::from_str(cfg).map_err(|e| bad(format!("config: {e}")))?;
        c.validate().map_err(|e| bad(format!("config: {e}")))?;
        backed(c.param_count())?;
        Model::Mlp(Mlp::new(c, 0).map_err(|e| bad(format!("config: {e}")))?)
      }
      Some("glm") => {
        let c: GlmConfig = serde_json::from_str(cfg).map_err(|e| bad(format!("config: {e}")))?;
        c.validate().map_err(|e| bad(format!("config: {e}")))?;
        backed(c.param_count())?;
        Model::Glm(Glm::new(c, 0).map_err(|e| bad(format!("config: {e}")))?)
      }
      other => return Err(bad(format!("unknown model {other:?}"))),
    };
    let fill = |t: &mut Tensors, prefix: &str| -> Res<()> {
      for i in 0..t.data.len() {
        let name = format!("{prefix}{}", t.names[i]);
        let v = st.tensor(&name).map_err(|e| bad(format!("tensor {name}: {e}")))?;
        if v.dtype() != Dtype::F32 || v.shape() != t.shapes[i].as_slice() {
          return Err(bad(format!("tensor {name}: expected F32 {:?}, found {:?} {:?}", t.shapes[i], v.dtype(), v.shape())));
        }
        for (dst, src) in t.data[i].iter_mut().zip(v.data().chunks_exact(4)) {
          *dst = f32::from_le_bytes([src[0], src[1], src[2], src[3]]);
        }
        if !t.data[i].iter().all(|x| x.is_finite()) {
          return Err(bad(format!("tensor {name} holds NaN or infinite values")));
        }
      }
      Ok(())
    };
    match &mut model {
      Model::Mlp(m) => {
        fill(&mut m.p, "")?;
        fill(&mut m.stats, "stats.")?;
      }
      Model::Glm(g) => fill(&mut g.p, "")?,
    }
    Ok(model)
  }

  pub fn save(&self, path: &str) -> Res<()> {
    let bytes = self.to_bytes()?;
    // Write beside and rename, so a crash never leaves a half-written file at `path`.
    let tmp = format!("{path}.tmp-{}", std::process::id());
    std::fs::write(&tmp, &bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
  }

  pub fn load(path: &str) -> Res<Model> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
      std::io::ErrorKind::NotFound => NativeError::InvalidArg(format!("weights file not found: {path}")),
      _ => NativeError::Failure(format!("cannot read {path}: {e}")),
    })?;
    if bytes.len() < 8 {
      return invalid(format!("{path} is not a valid autoglm weights file: only {} bytes", bytes.len()));
    }
    Model::from_bytes(&bytes, path)
  }
}
