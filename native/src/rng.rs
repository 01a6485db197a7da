//! A small seeded RNG (SplitMix64 → xoshiro256**). Training must be reproducible from a
//! seed and we need only uniform/normal draws, so a 40-line generator beats a dependency.

#[derive(Clone)]
pub struct Rng {
  s: [u64; 4],
}

impl Rng {
  pub fn new(seed: u64) -> Self {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut s = [0u64; 4];
    for v in s.iter_mut() {
      z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
      let mut x = z;
      x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
      x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
      *v = x ^ (x >> 31);
    }
    Rng { s }
  }

  pub fn next_u64(&mut self) -> u64 {
    let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
    let t = self.s[1] << 17;
    self.s[2] ^= self.s[0];
    self.s[3] ^= self.s[1];
    self.s[1] ^= self.s[2];
    self.s[0] ^= self.s[3];
    self.s[2] ^= t;
    self.s[3] = self.s[3].rotate_left(45);
    r
  }

  /// Uniform in [0, 1).
  pub fn uniform(&mut self) -> f32 {
    ((self.next_u64() >> 40) as f32) * (1.0 / (1u64 << 24) as f32)
  }

  pub fn below(&mut self, n: usize) -> usize {
    (self.next_u64() % n as u64) as usize
  }

  /// Standard normal (Box–Muller).
  pub fn normal(&mut self) -> f32 {
    let u1 = self.uniform().max(1e-7);
    let u2 = self.uniform();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos()
  }

  pub fn shuffle<T>(&mut self, v: &mut [T]) {
    for i in (1..v.len()).rev() {
      let j = self.below(i + 1);
      v.swap(i, j);
    }
  }
}
